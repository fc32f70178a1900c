"""``torchvision.utils``: ``make_grid`` tiles a batch of images into one, ``save_image``
writes it to a file."""
from __future__ import annotations

import math

from .._tensor import Tensor


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Images ``(B, C, H, W)`` (or a list of ``(C, H, W)``) laid out ``nrow`` to a row, with
    ``padding`` pixels of ``pad_value`` around each; one-channel images become three."""
    from .._ops.shape import cat, stack

    if not (isinstance(tensor, Tensor) or (isinstance(tensor, list) and
                                           all(isinstance(t, Tensor) for t in tensor))):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        tensor = stack(tensor, 0)
    if tensor.dim() == 2:  # one image, one channel
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:  # one image
        if tensor.size(0) == 1:
            tensor = cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = cat((tensor, tensor, tensor), 1)
    if normalize:
        tensor = tensor.clone()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")

        def fit(img, low, high):
            img.clamp_(min=low, max=high)
            img.sub_(low).div_(max(high - low, 1e-5))

        def fit_range(t):
            if value_range is not None:
                fit(t, value_range[0], value_range[1])
            else:
                fit(t, float(t.min()), float(t.max()))

        if scale_each:
            for t in tensor:
                fit_range(t)
        else:
            fit_range(tensor)
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    count = tensor.size(0)
    cols = min(nrow, count)
    rows = int(math.ceil(float(count) / cols))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = tensor.new_full((tensor.size(1), height * rows + padding, width * cols + padding),
                           pad_value)
    for k in range(count):
        y, x = divmod(k, cols)
        grid.narrow(1, y * height + padding, height - padding).narrow(
            2, x * width + padding, width - padding).copy_(tensor[k])
    return grid


def save_image(tensor, fp, format=None, **kwargs):
    """Write ``make_grid(tensor, **kwargs)`` (values in [0, 1]) as an 8-bit image file."""
    from . import _pil
    from .. import uint8

    grid = make_grid(tensor, **kwargs)
    pixels = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", uint8).numpy()
    _pil.image_module().fromarray(pixels).save(fp, format=format)
