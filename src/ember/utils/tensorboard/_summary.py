"""Summary messages for each kind of data TensorBoard shows, built as PyTorch's
``torch.utils.tensorboard.summary`` builds them (same fields, same histogram buckets, same
image scaling), encoded by :mod:`._proto`."""
from __future__ import annotations

import io

import numpy as np

from . import _proto as P

# TensorFlow's DataType numbers used in TensorProto.dtype
DT_FLOAT, DT_DOUBLE, DT_STRING = 1, 2, 7


def make_np(x) -> np.ndarray:
    """A NumPy array of a tensor, an array or a Python number (as PyTorch's writer takes)."""
    from ..._tensor import Tensor
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        if str(x.dtype) == "torch.bfloat16":
            x = x.float().half()  # NumPy has no bfloat16: float16, as PyTorch's writer does
        return x.detach().cpu().numpy()
    raise NotImplementedError(f"Got {type(x)}, but numpy array or torch tensor are expected.")


# ---- message builders (field numbers from TensorBoard's .proto files) ----------------------

def _plugin_metadata(name: str, content: bytes = b"") -> bytes:
    plugin = P.message(P.bytes_field(1, name), P.bytes_field(2, content))
    return P.message(P.submessage(1, plugin))


def _shape(dims) -> bytes:
    return P.message(*(P.submessage(2, P.message(P.int_field(1, d))) for d in dims))


def _value(tag: str, *, simple_value=None, image=None, histo=None, audio=None, tensor=None,
           metadata=None) -> bytes:
    return P.message(P.bytes_field(1, tag), P.float_field(2, simple_value, present=True),
                     P.submessage(4, image), P.submessage(5, histo), P.submessage(6, audio),
                     P.submessage(8, tensor), P.submessage(9, metadata))


def summary(*values: bytes) -> bytes:
    return P.message(*(P.submessage(1, v) for v in values))


def event(wall_time: float, step=None, *, file_version=None, graph_def=None, summary=None,
          session_log=None, source_writer=None) -> bytes:
    return P.message(P.double_field(1, wall_time), P.int_field(2, step),
                     P.bytes_field(3, file_version, present=file_version is not None),
                     P.bytes_field(4, graph_def, present=graph_def is not None),
                     P.submessage(5, summary), P.submessage(7, session_log),
                     P.submessage(10, None if source_writer is None
                                  else P.message(P.bytes_field(1, source_writer))))


# ---- scalars, tensors, text ----------------------------------------------------------------

def scalar(tag, value, new_style=False, double_precision=False) -> bytes:
    value = make_np(value).squeeze()
    if value.ndim != 0:
        # NOTE: PyTorch's message carries the indentation of its continued source line
        raise AssertionError(f"Tensor should contain one element (0 dimensions). {' ' * 12}"
                             f"Was given size: {value.size} and {value.ndim} dimensions.")
    value = float(value)
    if not new_style:
        return summary(_value(tag, simple_value=value))
    if double_precision:
        tensor = P.message(P.int_field(1, DT_DOUBLE), P.packed_doubles(6, [value]))
    else:
        tensor = P.message(P.int_field(1, DT_FLOAT), P.packed_floats(5, [value]))
    return summary(_value(tag, tensor=tensor, metadata=_plugin_metadata("scalars")))


def custom_scalars(layout) -> bytes:
    """The custom-scalars plugin's layout: ``{category: {title: [kind, tags]}}`` where kind
    ``"Margin"`` takes three tags (value, lower, upper) and anything else is a multiline
    chart; the serialised ``Layout`` goes in a string tensor."""
    categories = []
    for title, charts in layout.items():
        encoded = []
        for chart_title, (kind, tags) in charts.items():
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = P.message(*(P.bytes_field(i + 1, t) for i, t in enumerate(tags)))
                body = P.submessage(3, P.message(P.submessage(1, series)))
            else:
                body = P.submessage(2, P.message(P.repeated_bytes(1, tags)))
            encoded.append(P.message(P.bytes_field(1, chart_title), body))
        categories.append(P.message(P.bytes_field(1, title),
                                    *(P.submessage(2, c) for c in encoded)))
    config = P.message(*(P.submessage(2, c) for c in categories))
    tensor = P.message(P.int_field(1, DT_STRING), P.submessage(2, b""),
                       P.repeated_bytes(8, [config]))
    return summary(_value("custom_scalars__config__", tensor=tensor,
                          metadata=_plugin_metadata("custom_scalars")))


def audio(tag, values, sample_rate=44100) -> bytes:
    """A mono clip in [-1, 1] (clipped, with PyTorch's printed warning, if louder) as a
    16-bit PCM WAV file."""
    import wave

    array = make_np(values).squeeze()
    if abs(array).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        array = array.clip(-1, 1)
    if array.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    pcm = (array * np.iinfo(np.int16).max).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    encoded = P.message(P.float_field(1, sample_rate), P.int_field(2, 1),
                        P.int_field(3, pcm.shape[-1]), P.bytes_field(4, buffer.getvalue()),
                        P.bytes_field(5, "audio/wav"))
    return summary(_value(tag, audio=encoded))


def text(tag: str, string: str) -> bytes:
    tensor = P.message(P.int_field(1, DT_STRING), P.submessage(2, _shape([1])),
                       P.repeated_bytes(8, [string.encode("utf-8")]))
    return summary(_value(tag + "/text_summary", tensor=tensor,
                          metadata=_plugin_metadata("text")))


# ---- histograms ----------------------------------------------------------------------------

def default_bins() -> list[float]:
    """TensorBoard's default bucket edges: +-1e-12 growing by 10% a step to 1e20, and 0."""
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-b for b in reversed(pos)] + [0] + pos


def _histo(vmin, vmax, num, total, sum_squares, limits, counts) -> bytes:
    return P.message(P.double_field(1, vmin), P.double_field(2, vmax), P.double_field(3, num),
                     P.double_field(4, total), P.double_field(5, sum_squares),
                     P.packed_doubles(6, limits), P.packed_doubles(7, counts))


def _floats(values) -> list[float]:
    return np.asarray(values if isinstance(values, (list, tuple)) else make_np(values),
                      dtype=float).reshape(-1).tolist()


def histogram_raw(tag, vmin, vmax, num, total, sum_squares, limits, counts) -> bytes:
    return summary(_value(tag, histo=_histo(vmin, vmax, num, total, sum_squares,
                                            _floats(limits), _floats(counts))))


def histogram(tag, values, bins, max_bins=None) -> bytes:
    values = make_np(values).astype(float)
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        # merge neighbouring buckets, padding the count to a whole number of groups
        group = len(counts) // max_bins
        if len(counts) % group:
            counts = np.pad(counts, (0, group - len(counts) % group))
        counts = counts.reshape(-1, group).sum(axis=-1)
        limits = np.concatenate([limits[:-1:group], limits[-1:]])
    # keep the buckets from one before the first non-empty one to the last non-empty one
    # (TensorBoard shows right edges, so the left edge needs a bucket of its own)
    filled = np.cumsum(counts > 0)
    start, end = np.searchsorted(filled, [0, filled[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return summary(_value(tag, histo=_histo(values.min(), values.max(), len(values),
                                            values.sum(), values.dot(values),
                                            limits.tolist(), counts.tolist())))


# ---- images --------------------------------------------------------------------------------

def make_grid(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """Tile (N, 3, H, W) images into one (3, H*rows, W*cols) image, row by row."""
    if images.shape[1] == 1:
        images = np.concatenate([images] * 3, 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, _, h, w = images.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((3, h * nrows, w * ncols), dtype=images.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h:(y + 1) * h, x * w:(x + 1) * w] = images[i]
    return canvas


def to_hwc(array: np.ndarray, dataformats: str) -> np.ndarray:
    """An image in ``dataformats`` layout (NCHW, CHW, HWC, HW, ...) as (H, W, 3 or 4)."""
    if len(set(dataformats)) != len(dataformats):
        raise AssertionError(f"You can not use the same dimension shorthand twice. "
                             f"input_format: {dataformats}")
    if array.ndim != len(dataformats):
        # (PyTorch's message carries the indentation of its continued source line)
        raise AssertionError(f"size of input tensor and input format are different. {' ' * 8}"
                             f"tensor shape: {array.shape}, input_format: {dataformats}")
    dataformats = dataformats.upper()
    if len(dataformats) == 4:
        grid = make_grid(array.transpose([dataformats.find(c) for c in "NCHW"]))
        return grid.transpose(1, 2, 0)
    if len(dataformats) == 3:
        hwc = array.transpose([dataformats.find(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, 2) if hwc.shape[2] == 1 else hwc
    hw = array.transpose([dataformats.find(c) for c in "HW"])
    return np.stack([hw] * 3, 2)


def to_uint8(array: np.ndarray) -> np.ndarray:
    """uint8 images stay; anything else is taken as [0, 1] and scaled to [0, 255]."""
    scale = 1 if array.dtype == np.uint8 else 255
    return (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


def png(hwc: np.ndarray) -> bytes:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("TensorBoard images need Pillow: pip install pillow") from None
    buffer = io.BytesIO()
    Image.fromarray(hwc).save(buffer, format="PNG")
    return buffer.getvalue()


def image(tag, img, dataformats="NCHW") -> bytes:
    hwc = to_uint8(to_hwc(make_np(img), dataformats))
    height, width, channels = hwc.shape
    encoded = P.message(P.int_field(1, height), P.int_field(2, width), P.int_field(3, channels),
                        P.bytes_field(4, png(hwc)))
    return summary(_value(tag, image=encoded))


def figure_to_chw(figure, close=True) -> np.ndarray:
    """Render a matplotlib figure (or a list of them) to (3, H, W) uint8 (or (N, 3, H, W))."""
    if isinstance(figure, list):
        return np.stack([figure_to_chw(f, close) for f in figure])
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    width, height = figure.canvas.get_width_height()
    rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8).reshape(height, width, 4)
    if close:
        plt.close(figure)
    return np.moveaxis(rgba[:, :, :3], 2, 0)


# ---- precision-recall curves ---------------------------------------------------------------

def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None) -> bytes:
    num_thresholds = min(num_thresholds, 127)
    labels, predictions = make_np(labels), make_np(predictions)
    weights = 1.0 if weights is None else weights
    buckets = np.int32(np.floor(predictions * (num_thresholds - 1)))
    positive = labels.astype(np.float64)
    span = (0, num_thresholds - 1)
    tp_buckets, _ = np.histogram(buckets, bins=num_thresholds, range=span,
                                 weights=positive * weights)
    fp_buckets, _ = np.histogram(buckets, bins=num_thresholds, range=span,
                                 weights=(1.0 - positive) * weights)
    tp = np.cumsum(tp_buckets[::-1])[::-1]
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(1e-7, tp + fp)
    recall = tp / np.maximum(1e-7, tp + fn)
    return pr_curve_raw(tag, tp, fp, tn, fn, precision, recall, num_thresholds)


def pr_curve_raw(tag, tp, fp, tn, fn, precision, recall, num_thresholds=127) -> bytes:
    num_thresholds = min(num_thresholds, 127)
    data = np.stack([make_np(a) if not isinstance(a, np.ndarray) else a
                     for a in (tp, fp, tn, fn, precision, recall)])
    tensor = P.message(P.int_field(1, DT_FLOAT), P.submessage(2, _shape(data.shape)),
                       P.packed_floats(5, data.reshape(-1).tolist()))
    content = P.message(P.int_field(2, num_thresholds))
    return summary(_value(tag, tensor=tensor, metadata=_plugin_metadata("pr_curves", content)))


# ---- hyperparameters -----------------------------------------------------------------------

_HPARAMS = "hparams"
_STRING, _FLOAT64 = 1, 3  # hparams DataType numbers


def _struct_value(v) -> bytes:
    """A google.protobuf.Value holding a string or a number."""
    if isinstance(v, str):
        return P.message(P.bytes_field(3, v, present=True))
    return P.message(P.double_field(2, float(v), present=True))


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The three summaries (experiment, session start, session end) of one hparams run."""
    from ..._tensor import Tensor
    if not isinstance(hparam_dict, dict):
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    discrete = hparam_domain_discrete or {}
    if not isinstance(discrete, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in discrete.items():
        if k not in hparam_dict or not isinstance(v, list) or \
                not all(isinstance(d, type(hparam_dict[k])) for d in v):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same "
                            f"type as hparam_dict[{k}].")
    infos, entries = [], []
    for k, v in hparam_dict.items():
        if v is None:
            continue
        # NOTE: bools are ints to Python, so PyTorch's writer files them as numbers (1.0, 0.0)
        if isinstance(v, (int, float, str)):
            kind = _STRING if isinstance(v, str) else _FLOAT64
            domain = None if k not in discrete else \
                P.message(*(P.submessage(1, _struct_value(d)) for d in discrete[k]))
        elif isinstance(v, Tensor):
            kind, v, domain = _FLOAT64, make_np(v)[0], None  # a tensor's domain is ignored
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
        entries.append(P.message(P.bytes_field(1, k, present=True),
                                 P.submessage(2, _struct_value(v))))
        infos.append(P.message(P.bytes_field(1, k), P.int_field(4, kind), P.submessage(5, domain)))

    def plugin_summary(tag, number, body):
        content = P.message(P.submessage(number, body))  # version 0 is the default
        return summary(_value(tag, metadata=_plugin_metadata(_HPARAMS, content)))

    metrics = [P.message(P.submessage(1, P.message(P.bytes_field(2, k)))) for k in metric_dict]
    experiment = P.message(*(P.submessage(4, i) for i in infos),
                           *(P.submessage(5, m) for m in metrics))
    start = P.message(*(P.submessage(1, e) for e in entries))
    end = P.message(P.int_field(1, 1))  # STATUS_SUCCESS
    return (plugin_summary("_hparams_/experiment", 2, experiment),
            plugin_summary("_hparams_/session_start_info", 3, start),
            plugin_summary("_hparams_/session_end_info", 4, end))
