"""Laying out convolution weights in a memory format (``torch.nn.utils.memory_format``)."""
from __future__ import annotations

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _strides(shape, memory_format):
    """PyTorch's strides for ``shape`` in ``memory_format`` (the channels dim innermost for
    the channels-last formats), size-1 dims included."""
    from ..._ops.shape import channels_last, channels_last_3d

    n = len(shape)
    if memory_format in (channels_last, channels_last_3d) and n in (4, 5):
        order = [1] + list(range(n - 1, 1, -1)) + [0]  # innermost first
    else:
        order = list(range(n - 1, -1, -1))
    strides, run = [0] * n, 1
    for d in order:
        strides[d] = run
        run *= max(shape[d], 1)
    return tuple(strides)


def _convert(module, memory_format, kinds, again):
    if isinstance(module, kinds):
        from ..._ops.more_tensor import empty_strided

        from ..._ops.shape import channels_last, channels_last_3d, preserve_format

        w = module.weight.detach()
        for fmt, rank, name in ((channels_last, 4, "channels_last"),
                                (channels_last_3d, 5, "channels_last_3d")):
            if memory_format == fmt and w.dim() != rank:
                raise RuntimeError(f"required rank {rank} tensor to use {name} format")
        if memory_format == preserve_format:  # (PyTorch's resize_ refuses it)
            raise RuntimeError("Unsupported memory formatPreserve")
        new = empty_strided(tuple(w.shape), _strides(tuple(w.shape), memory_format),
                            dtype=w.dtype, device=w.device)
        module.weight.data = new.copy_(w)
    for child in module.children():
        again(child, memory_format)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """Give the weight of every ``Conv2d``/``ConvTranspose2d`` in ``module`` (itself included)
    the layout ``memory_format`` (values unchanged); returns ``module``."""
    from ..modules.conv import Conv2d, ConvTranspose2d

    return _convert(module, memory_format, (Conv2d, ConvTranspose2d),
                    convert_conv2d_weight_memory_format)


def convert_conv3d_weight_memory_format(module, memory_format):
    """As :func:`convert_conv2d_weight_memory_format`, for ``Conv3d``/``ConvTranspose3d``."""
    from ..modules.conv import Conv3d, ConvTranspose3d

    return _convert(module, memory_format, (Conv3d, ConvTranspose3d),
                    convert_conv3d_weight_memory_format)
