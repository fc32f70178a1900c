"""``torchvision.utils``: ``make_grid`` tiles a batch of images into one, ``save_image``
writes it to a file, ``draw_bounding_boxes``/``draw_segmentation_masks``/``draw_keypoints``
annotate an image."""
from __future__ import annotations

import math

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad


@no_grad()
def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Images ``(B, C, H, W)`` (or a list of ``(C, H, W)``) laid out ``nrow`` to a row, with
    ``padding`` pixels of ``pad_value`` around each; one-channel images become three."""
    from .._ops.shape import cat, stack

    if not isinstance(tensor, Tensor):
        if not isinstance(tensor, list):
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError("tensor or list of tensors expected, got a list containing "
                                f"{type(t)}")
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


@no_grad()
def save_image(tensor, fp, format=None, **kwargs):
    """Write ``make_grid(tensor, **kwargs)`` (values in [0, 1]) as an 8-bit image file."""
    from . import _pil
    from .. import uint8

    grid = make_grid(tensor, **kwargs)
    pixels = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", uint8).numpy()
    _pil.image_module().fromarray(pixels).save(fp, format=format)


# --- drawing on images (``draw_bounding_boxes``, ``draw_segmentation_masks``, ...) -----------
# These hand the pixels to Pillow's ImageDraw, as torchvision does, so lines, ellipses and
# label text come out pixel for pixel the same.


def _palette(count):
    """Default colours: object ``i`` gets ``(i * (2**25-1, 2**15-1, 2**21-1)) % 255``."""
    return [tuple((i * v) % 255 for v in (2**25 - 1, 2**15 - 1, 2**21 - 1))
            for i in range(count)]


def _parse_colors(colors, num_objects, floating=False):
    """One RGB triple per object from ``None``, a colour, or a list of colours."""
    from PIL import ImageColor

    if colors is None:
        colors = _palette(num_objects)
        if floating:  # NOTE: torchvision's palette holds int64 tensors: v / 255 is a float32
            from .. import tensor

            return [tuple((tensor(c) / 255).tolist()) for c in colors]
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError("Number of colors must be equal or larger than the number of "
                             f"objects, but got {len(colors)} < {num_objects}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError("colors must be a tuple or a string, or a list thereof, but got "
                         f"{colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError("If passed as tuple, colors should be an RGB triplet, but got "
                         f"{colors}.")
    else:
        colors = [colors] * num_objects
    colors = [ImageColor.getrgb(c) if isinstance(c, str) else c for c in colors]
    if floating:
        colors = [tuple(v / 255 for v in c) for c in colors]
    return colors


def _check_image(image, rgb_only, what="The image must be a tensor"):
    from .. import uint8

    if not isinstance(image, Tensor):
        raise TypeError(f"{what}, got {type(image)}")
    if not (image.dtype == uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.dim() != 3:
        raise ValueError("Pass individual images, not batches")
    if rgb_only and image.size(0) != 3:
        raise ValueError("Pass an RGB image. Other Image formats are not supported")


def _to_pil_uint8(image):
    """A 3-channel uint8 PIL image of ``image`` (floats in [0, 1] scaled as v2's to_dtype)."""
    from . import _pil
    from .transforms.v2.functional import to_dtype
    from .. import uint8

    if image.is_floating_point():
        image = to_dtype(image, uint8, scale=True)
    pixels = image.detach().permute(1, 2, 0).cpu().numpy()
    return _pil.image_module().fromarray(pixels.copy())


def _from_pil(pil_image, dtype):
    import numpy as np

    from .._ops.creation import from_numpy
    from .transforms.v2.functional import to_dtype

    # the channels-first view of the HWC pixels, with its strides, as torchvision returns it
    out = from_numpy(np.array(pil_image)).permute(2, 0, 1)
    return to_dtype(out, dtype, scale=True) if dtype.is_floating_point else out


def _dashed_line(draw, start, end, fill, width, dash=5, gap=5):
    """Alternate ``dash``-long strokes and ``gap``-long holes from ``start`` to ``end``."""
    (x, y), (x_end, y_end) = start, end
    remaining = ((x_end - x) ** 2 + (y_end - y) ** 2) ** 0.5
    stroke = True
    while remaining > 0:
        step = min(remaining, dash if stroke else gap)
        angle = math.atan2(y_end - y, x_end - x)  # from the current point, as torchvision
        nx, ny = x + math.cos(angle) * step, y + math.sin(angle) * step
        if stroke:
            draw.line([(x, y), (nx, ny)], fill, width, None)
        remaining -= step
        x, y, stroke = nx, ny, not stroke


def _oriented_rectangle(draw, xy, fill=None, outline=None, width=1):
    """A rotated box ``(x1, y1, ..., x4, y4)``: its first side dashed, the others solid."""
    _dashed_line(draw, (xy[0], xy[1]), (xy[2], xy[3]), outline, width)
    for i in range(2, len(xy), 2):
        nxt = (i + 2) % len(xy)
        draw.line(((xy[i], xy[i + 1]), (xy[nxt], xy[(i + 3) % len(xy)])), width=width,
                  fill=outline)
    draw.polygon(xy, fill=fill, outline=None, width=0)


@no_grad()
def draw_bounding_boxes(image, boxes, labels=None, colors=None, fill=False, width=1, font=None,
                        font_size=None, label_colors=None, label_background_colors=None,
                        fill_labels=False):
    """Draw ``(xmin, ymin, xmax, ymax)`` boxes, or rotated ``(x1, y1, ..., x4, y4)`` ones
    (first side dashed), and optional labels on a ``C x H x W`` image.

    Returns a new tensor of the image's dtype; coordinates are truncated to integers.
    """
    import warnings

    from PIL import ImageDraw, ImageFont

    _check_image(image, False, "Tensor expected")
    if image.size(0) not in (1, 3):
        raise ValueError("Only grayscale and RGB images are supported")
    if boxes.shape[-1] == 4 and (bool((boxes[:, 0] > boxes[:, 2]).any())
                                 or bool((boxes[:, 1] > boxes[:, 3]).any())):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use "
                         "torchvision.ops.box_convert to convert them")
    count = boxes.shape[0]
    if count == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn", stacklevel=2)
        return image
    if labels is None:
        labels = [None] * count
    elif len(labels) != count:
        raise ValueError(f"Number of boxes ({count}) and labels ({len(labels)}) mismatch. "
                         "Please specify labels for each box.")
    colors = _parse_colors(colors, count)
    if label_colors or fill_labels:
        label_colors = _parse_colors(label_colors if label_colors else "black", count)
    else:
        label_colors = list(colors)
    if fill_labels and label_background_colors:
        label_background_colors = _parse_colors(label_background_colors, count)
    else:
        label_background_colors = list(colors)
    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.",
                          stacklevel=2)
        txt_font = ImageFont.load_default()
    else:
        txt_font = ImageFont.truetype(font=font, size=font_size or 10)
    if image.size(0) == 1:
        image = image.repeat(3, 1, 1)
    dtype = image.dtype
    canvas = _to_pil_uint8(image)
    draw = ImageDraw.Draw(canvas, "RGBA" if fill else None)
    for box, color, label, text_color, back in zip(boxes.to("cpu").long().tolist(), colors,
                                                   labels, label_colors,
                                                   label_background_colors):
        shape = _oriented_rectangle if len(box) > 4 else type(draw).rectangle
        shape(draw, box, width=width, outline=color, fill=tuple(color) + (100,) if fill else None)
        if label is not None:
            margin = width + 1
            at = (box[0] + margin, box[1] + margin)
            if fill_labels:
                left, top, right, bottom = draw.textbbox(at, label, font=txt_font)
                draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=back)
            draw.text(at, label, fill=text_color, font=txt_font)
    return _from_pil(canvas, dtype)


@no_grad()
def draw_segmentation_masks(image, masks, alpha=0.8, colors=None):
    """Blend boolean ``masks`` (``(N, H, W)`` or ``(H, W)``) onto an RGB image in colour.

    Each masked pixel becomes ``image * (1 - alpha) + colour * alpha``; where masks
    overlap the colour is black.
    """
    import warnings

    from .. import bool as bool_, tensor

    _check_image(image, True)
    if masks.ndim == 2:
        masks = masks[None, :, :]
    if masks.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if masks.dtype != bool_:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if tuple(masks.shape[-2:]) != tuple(image.shape[-2:]):
        raise ValueError("The image and the masks must have the same height and width")
    count = masks.size(0)
    if count == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn", stacklevel=2)
        return image
    overlap = masks.sum(dim=0) > 1
    dtype = image.dtype
    painted = image.detach().clone()
    for mask, color in zip(masks, _parse_colors(colors, count, image.is_floating_point())):
        painted[:, mask] = tensor(color, dtype=dtype, device=image.device)[:, None]
    painted[:, overlap] = 0
    return (image * (1 - alpha) + painted * alpha).to(dtype)


@no_grad()
def draw_keypoints(image, keypoints, connectivity=None, colors=None, radius=2, width=3,
                   visibility=None):
    """Draw ``(num_instances, K, 2)`` keypoints as filled circles, optionally joined by
    lines between the index pairs in ``connectivity``."""
    from PIL import ImageDraw

    from .. import bool as bool_, ones

    _check_image(image, True)
    if keypoints.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    if visibility is None:
        visibility = ones(tuple(keypoints.shape[:-1]), dtype=bool_)
    if visibility.ndim == 3:
        visibility = visibility.squeeze(-1)
    if visibility.ndim != 2:
        raise ValueError(f"visibility must be of shape (num_instances, K). Got "
                         f"ndim={visibility.ndim}")
    if tuple(visibility.shape) != tuple(keypoints.shape[:-1]):
        raise ValueError("keypoints and visibility must have the same dimensionality for "
                         f"num_instances and K. Got visibility.shape={visibility.shape} and "
                         f"keypoints.shape={keypoints.shape}")
    dtype = image.dtype
    canvas = _to_pil_uint8(image)
    draw = ImageDraw.Draw(canvas)
    for points, seen in zip(keypoints.to("cpu").long().tolist(),
                            visibility.to("cpu").bool().tolist()):
        for (x, y), shown in zip(points, seen):
            if shown:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colors,
                             outline=None, width=0)
        for a, b in connectivity or ():
            if seen[a] and seen[b]:
                draw.line(((points[a][0], points[a][1]), (points[b][0], points[b][1])),
                          width=width)
    return _from_pil(canvas, dtype)


def _colorwheel():
    """The Middlebury optical-flow colour wheel (Baker et al., 2007): ``(55, 3)`` float32.

    Six ramps (red-yellow 15, yellow-green 6, green-cyan 4, cyan-blue 11, blue-magenta 13,
    magenta-red 6 steps), each raising or lowering one channel by ``floor(255 * i / n)``.
    """
    from .. import arange, floor, zeros

    ramps = ((15, 1, 0, True), (6, 0, 1, False), (4, 2, 1, True), (11, 1, 2, False),
             (13, 0, 2, True), (6, 2, 0, False))
    wheel = zeros((sum(r[0] for r in ramps), 3))
    start = 0
    for n, moving, full, rising in ramps:
        ramp = floor(255 * arange(0, n) / n)
        wheel[start:start + n, full] = 255
        wheel[start:start + n, moving] = ramp if rising else 255 - ramp
        start += n
    return wheel


@no_grad()
def flow_to_image(flow):
    """An optical flow ``(2, H, W)`` or ``(N, 2, H, W)`` (float32) as a uint8 RGB image: the
    direction picks the hue on the colour wheel, the magnitude (over the largest one) the
    saturation."""
    from .. import atan2, finfo, float32, floor, long, pi, uint8, zeros

    if flow.dtype != float32:
        raise ValueError(f"Flow should be of dtype torch.float, got {flow.dtype}.")
    shape = flow.shape
    if flow.ndim == 3:
        flow = flow[None]
    if flow.ndim != 4 or flow.shape[1] != 2:
        raise ValueError(f"Input flow should have shape (2, H, W) or (N, 2, H, W), got {shape}.")
    flow = flow / (flow.pow(2).sum(dim=1).sqrt().max() + finfo(flow.dtype).eps)
    n, _, h, w = flow.shape
    wheel = _colorwheel().to(flow.device)
    ncols = wheel.shape[0]
    radius = flow.pow(2).sum(dim=1).sqrt()
    position = (atan2(-flow[:, 1], -flow[:, 0]) / pi + 1) / 2 * (ncols - 1)
    k0 = floor(position).to(long)
    k1 = k0 + 1
    k1[k1 == ncols] = 0
    frac = position - k0
    image = zeros((n, 3, h, w), dtype=uint8, device=flow.device)
    for c in range(3):
        col = (1 - frac) * (wheel[:, c][k0] / 255.0) + frac * (wheel[:, c][k1] / 255.0)
        image[:, c] = floor(255 * (1 - radius * (1 - col)))
    return image[0] if len(shape) == 3 else image
