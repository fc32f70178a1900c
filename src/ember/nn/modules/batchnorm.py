"""``BatchNorm1d/2d/3d`` and ``InstanceNorm1d/2d/3d``.

Buffers as PyTorch's: ``running_mean`` (zeros), ``running_var`` (ones) and
``num_batches_tracked`` (an int64 scalar), so that state dicts carry the same keys.
"""
from __future__ import annotations

from ember._warnings import warn as _warn

from ... import _dtype as D
from ..._ops import creation
from .. import functional as F
from .module import Module
from .normalization import register_affine, reset_affine

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "SyncBatchNorm"]


class _NormBase(Module):
    """Parameters, running statistics and their resets, shared by the batch norms."""

    _version = 2  # PyTorch's: state dicts carry num_batches_tracked

    def _upgrade_state_dict(self, state_dict, prefix, version):
        # Checkpoints from before version 2 (or plain dicts) lack num_batches_tracked.
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and \
                key not in state_dict:
            # as PyTorch: the current count is kept (a fresh 0 where there is none, or a meta
            # one)
            nbt = self.num_batches_tracked
            state_dict[key] = nbt if nbt is not None and not nbt.is_meta else \
                creation.tensor(0, dtype=D.int64)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum=0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *,
                 bias: bool = True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        register_affine(self, affine, bias, num_features, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean",
                                 creation.zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var",
                                 creation.ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked",
                                 creation.tensor(0, dtype=D.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        reset_affine(self)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        # Batch statistics in training, or in eval when there are no running statistics.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input over the channels C.

    >>> BatchNorm1d(4)
    BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    def _check_input_dim(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input over the channels C."""

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input over the channels C."""

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation whose statistics PyTorch averages over a process group.  ember
    runs in one process, so it normalises as ``BatchNorm`` does (PyTorch's CPU path too)."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum=0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None,
                 *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")
        if input.size(1) == 0:  # (PyTorch's _check_non_zero_input_channels, called next)
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every batch norm in it replaced by a ``SyncBatchNorm`` holding the
        same parameters, running statistics and mode."""
        out = module
        if isinstance(module, _BatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                from ...autograd import no_grad
                with no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            if hasattr(module, "qconfig"):
                out.qconfig = module.qconfig
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return out


class _InstanceNorm(_NormBase):
    """Instance normalisation: each channel of each sample normalised over its positions.

    Unlike the batch norms, no affine parameters and no running statistics by default;
    with ``track_running_stats`` the running statistics are used in eval mode.
    """

    _spatial = 1  # the number of dims after the channel dim

    def __init__(self, num_features: int, eps: float = 1e-5, momentum=0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None, *,
                 bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)

    def _check_input_dim(self, input):
        k = self._spatial
        if input.dim() not in (k + 1, k + 2):
            raise ValueError(f"expected {k + 1}D or {k + 2}D input (got {input.dim()}D input)")

    def _upgrade_state_dict(self, state_dict, prefix, version):
        super()._upgrade_state_dict(state_dict, prefix, version)
        # NOTE: as PyTorch, running statistics in a checkpoint without version metadata are
        # refused (and dropped) when this layer does not track them.
        if version is not None or self.track_running_stats:
            return None
        keys = [prefix + name for name in ("running_mean", "running_var")
                if prefix + name in state_dict]
        if not keys:
            return None
        for key in keys:
            del state_dict[key]
        cls = type(self).__name__
        names = " and ".join(f'"{k}"' for k in keys)
        return [f"Unexpected running stats buffer(s) {names} for {cls} with "
                f"track_running_stats=False. If state_dict is a checkpoint saved before 0.4.0, "
                f"this may be expected because {cls} does not track running stats by default "
                f"since 0.4.0. Please remove these keys from state_dict. If the running stats "
                f"are actually needed, instead set track_running_stats=True in {cls} to enable "
                f"them. See the documentation of {cls} for details."]

    def forward(self, input):
        # (the tensor methods PyTorch's layer calls, in its order: a __torch_function__
        # subclass sees the same calls)
        self._check_input_dim(input)
        channel_dim = input.dim() - (self._spatial + 1)
        if input.size(channel_dim) != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={channel_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.size(channel_dim)}.")
            _warn(f"input's size at dim={channel_dim} does not match num_features. You can "
                  "silence this warning by not passing in num_features, which is not used "
                  "because affine=False")
        if input.dim() == self._spatial + 1:
            return self._instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._instance_norm(input)

    def _instance_norm(self, x):
        # NOTE: as PyTorch, the running statistics are updated in training mode but
        # num_batches_tracked is not, so momentum=None means a momentum of 0.
        return F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                               self.training or not self.track_running_stats,
                               0.0 if self.momentum is None else self.momentum, self.eps)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) input.

    >>> InstanceNorm1d(4)
    InstanceNorm1d(4, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)
    """

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) input."""

    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of (N, C, D, H, W) or (C, D, H, W) input."""

    _spatial = 3
