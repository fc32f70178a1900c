"""``add_embedding``: the files TensorBoard's projector reads (``tensors.tsv``,
``metadata.tsv``, ``sprite.png`` and the ``projector_config.pbtxt`` listing them), laid out
as PyTorch's writer lays them out."""
from __future__ import annotations

import math
import os

import numpy as np

from . import _summary as S


def _quote(tag: str) -> str:
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def _write(path: str, data: bytes):
    with open(path, "wb") as f:
        f.write(data)


def _sprite(label_img, save_path: str):
    """All label images tiled into one square PNG, row by row."""
    n = label_img.shape[0]
    grid = S.make_grid(S.make_np(label_img), ncols=math.ceil(n ** 0.5)).transpose(1, 2, 0)
    square = np.zeros((grid.shape[1], grid.shape[1], 3))
    square[:grid.shape[0]] = grid
    _write(os.path.join(save_path, "sprite.png"),
           S.png(np.uint8((square * 255).clip(0, 255))))


def _pbtxt(embeddings: list[dict]) -> str:
    """ProjectorConfig in protobuf's text format (fields in field-number order)."""
    lines = []
    for e in embeddings:
        lines.append("embeddings {")
        lines.append(f'  tensor_name: "{e["tensor_name"]}"')
        if "metadata_path" in e:
            lines.append(f'  metadata_path: "{e["metadata_path"]}"')
        if "sprite" in e:
            lines.append("  sprite {")
            lines.append(f'    image_path: "{e["sprite"]}"')
            lines += [f"    single_image_dim: {d}" for d in e["dims"]]
            lines.append("  }")
        lines.append(f'  tensor_path: "{e["tensor_path"]}"')
        lines.append("}")
    return "".join(line + "\n" for line in lines)


def add_embedding(writer, mat, metadata, label_img, global_step, tag, metadata_header):
    mat = S.make_np(mat)
    global_step = 0 if global_step is None else global_step
    subdir = f"{str(global_step).zfill(5)}/{_quote(tag)}"
    logdir = writer._get_file_writer().get_logdir()
    save_path = os.path.join(logdir, subdir)
    if os.path.exists(save_path):
        if not os.path.isdir(save_path):
            raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. Cannot proceed.")
        print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
    else:
        os.makedirs(save_path)
    info = {"tensor_name": f"{tag}:{str(global_step).zfill(5)}",
            "tensor_path": f"{subdir}/tensors.tsv"}
    if metadata is not None:
        if mat.shape[0] != len(metadata):
            raise AssertionError("#labels should equal with #data points")
        if metadata_header:
            if len(metadata_header) != len(metadata[0]):
                raise AssertionError(
                    "len of header must be equal to the number of columns in metadata")
            rows = ["\t".join(str(e) for e in row) for row in [metadata_header] + list(metadata)]
        else:
            rows = [str(x) for x in metadata]
        _write(os.path.join(save_path, "metadata.tsv"), ("\n".join(rows) + "\n").encode())
        info["metadata_path"] = f"{subdir}/metadata.tsv"
    if label_img is not None:
        if mat.shape[0] != label_img.shape[0]:
            raise AssertionError("#images should equal with #data points")
        _sprite(label_img, save_path)
        info["sprite"], info["dims"] = f"{subdir}/sprite.png", [label_img.shape[3],
                                                                 label_img.shape[2]]
    if mat.ndim != 2:
        raise AssertionError("mat should be 2D, where mat.size(0) is the number of data points")
    _write(os.path.join(save_path, "tensors.tsv"),
           "".join("\t".join(str(v.item()) for v in row) + "\n" for row in mat).encode())
    # the config lists every embedding so far, so it is rewritten whole each time
    writer._projector_embeddings = getattr(writer, "_projector_embeddings", []) + [info]
    _write(os.path.join(logdir, "projector_config.pbtxt"),
           _pbtxt(writer._projector_embeddings).encode())
