# ruff: noqa: E501
"""ElasticTransform (v1, v2), v2 RandomPerspective / RandomIoUCrop / RandomZoomOut and the v2
``perspective`` / ``elastic`` functionals against torchvision 0.29.1.

torchvision is not installed next to the test's PyTorch, so its results are stored here as
sha256 prefixes (made by running ``_cases`` below with torch + torchvision in place of
ember).  The inputs come from the seeded generator, which ember replays; every output
(uint8, float, PIL, boxes, masks) is compared bit for bit.

The video models (``ember.vision.models.video``) are compared the same way: ``print(model)``
and the seeded state dict bit for bit, eval logits within 1e-5, the weights' descriptions,
and checkpoints written by ember read by PyTorch and back.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

import ember
from ember.vision import tv_tensors
from ember.vision import transforms as T
from ember.vision.transforms import v2

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")


# --- shared with the generator (run under torchvision with ``lib=torch``) ----------------------
def _digest(y):
    if isinstance(y, (tuple, list)):
        return "|".join(_digest(v) for v in y)
    if hasattr(y, "mode") and hasattr(y, "size") and not hasattr(y, "numpy"):
        arr = np.asarray(y)
        kind = "PIL"
    else:
        arr = y.numpy()
        kind = type(y).__name__
    meta = f"{kind}:{arr.dtype}:{arr.shape}:"
    return meta + hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()[:16]


def _cases(lib, T, v2, tv_tensors, Image):
    """{name: digest of the output, or the next random number drawn after it}."""
    out = {}
    lib.manual_seed(0)
    u8 = lib.randint(0, 256, (3, 24, 28), dtype=lib.uint8)
    fl = lib.rand(2, 3, 24, 28)
    disp = lib.randn(1, 24, 28, 2) * 0.1
    pil = Image.fromarray(u8.permute(1, 2, 0).numpy())
    boxes = tv_tensors.BoundingBoxes(
        lib.tensor([[2.0, 3.0, 15.5, 20.0], [10.0, 4.0, 26.0, 12.0], [0.0, 0.0, 5.0, 5.0]]),
        format="XYXY", canvas_size=(24, 28))
    iboxes = tv_tensors.BoundingBoxes(lib.tensor([[8, 10, 9, 12], [18, 8, 12, 6]]),
                                      format="CXCYWH", canvas_size=(24, 28))
    mask = tv_tensors.Mask((u8[0] > 128).to(lib.uint8))
    img = tv_tensors.Image(u8)
    IM = T.InterpolationMode
    v1_cases = [dict(), dict(alpha=20.0, sigma=2.0),
                dict(alpha=(30.0, 10.0), sigma=(3.0, 1.5), fill=[10, 20, 30]),
                dict(alpha=40.0, sigma=0.0, interpolation=IM.NEAREST, fill=5)]
    for i, kw in enumerate(v1_cases):
        t = T.ElasticTransform(**kw)
        out[f"v1repr{i}"] = repr(t)
        for name, x in (("u8", u8), ("pil", pil), ("f", fl)):
            lib.manual_seed(i + 10)
            out[f"v1_{i}_{name}"] = _digest(t(x))
            out[f"v1_{i}_{name}_next"] = float(lib.rand(1))
    out["v1_fn_u8"] = _digest(T.functional.elastic_transform(u8, disp))
    out["v1_fn_f"] = _digest(T.functional.elastic_transform(fl, disp, fill=[0.5, 0.2, 0.1]))
    out["v1_fn_near"] = _digest(T.functional.elastic_transform(u8, disp, IM.NEAREST))
    out["v1_fn_pil"] = _digest(T.functional.elastic_transform(pil, disp, fill=[3.0]))

    tfs = {"persp": v2.RandomPerspective(p=1.0),
           "persp2": v2.RandomPerspective(0.8, p=1.0, interpolation="nearest",
                                          fill={tv_tensors.Image: 100, tv_tensors.Mask: 3}),
           "persp3": v2.RandomPerspective(0.3, p=0.7, fill=7),
           "ela": v2.ElasticTransform(),
           "ela2": v2.ElasticTransform(alpha=20.0, sigma=2.0, fill=9),
           "ela3": v2.ElasticTransform(alpha=(40, 10), sigma=0, interpolation="nearest"),
           "iou": v2.RandomIoUCrop(),
           "iou2": v2.RandomIoUCrop(sampler_options=[0.3, 0.5], trials=10),
           "zoom": v2.RandomZoomOut(p=1.0, fill=4)}
    for name, t in tfs.items():
        out[f"repr_{name}"] = repr(t)
        inputs = [(img, boxes, mask, iboxes), (fl, boxes), (pil, iboxes), (u8, boxes)]
        if name.startswith("iou"):  # one set of boxes: the crop marks them by index
            inputs[0] = (img, boxes, mask)
        for j, inp in enumerate(inputs):
            for seed in (0, 1, 5):
                lib.manual_seed(seed)
                out[f"{name}_{j}_{seed}"] = _digest(t(inp))
                out[f"{name}_{j}_{seed}_next"] = float(lib.rand(1))
    F = v2.functional
    out["f_ela_u8"] = _digest(F.elastic(u8, disp))
    out["f_ela_fl"] = _digest(F.elastic(fl, disp, fill=[0.5, 0.2, 0.1]))
    out["f_ela_b"] = _digest(F.elastic(boxes, disp))
    out["f_ela_ib"] = _digest(F.elastic(iboxes, disp))
    out["f_ela_m"] = _digest(F.elastic(mask, disp, fill=2))
    out["f_ela_pil"] = _digest(F.elastic(pil, disp))
    sp = [[0, 0], [27, 0], [27, 23], [0, 23]]
    ep = [[3, 2], [25, 1], [26, 20], [1, 22]]
    out["f_p_u8"] = _digest(F.perspective(u8, sp, ep))
    out["f_p_fl"] = _digest(F.perspective(fl.double(), sp, ep, fill=0.3))
    out["f_p_b"] = _digest(F.perspective(boxes, sp, ep))
    out["f_p_ib"] = _digest(F.perspective(iboxes, sp, ep))
    out["f_p_m"] = _digest(F.perspective(mask, sp, ep))
    out["f_p_pil"] = _digest(F.perspective(pil, sp, ep, fill=(1, 2, 3)))
    out["f_p_coef"] = _digest(F.perspective(img, None, None, coefficients=[
        1.05, 0.02, -1.0, 0.01, 0.98, 0.5, 0.001, -0.0005]))
    return out
# --- end of the shared part --------------------------------------------------------------------


# torchvision 0.29.1 / torch 2.14.1 (CPU) results of ``_cases``.
GOLDEN = {'ela2_0_0': 'Image:uint8:(3, 24, 28):242786e85efb003f|BoundingBoxes:float32:(3, '
             '4):1c497c8763fbd4d8|Mask:uint8:(24, 28):8fe955c5ed5dc01c|BoundingBoxes:int64:(2, '
             '4):06d5085c1d23f588',
 'ela2_0_0_next': 0.31909000873565674,
 'ela2_0_1': 'Image:uint8:(3, 24, 28):f3e64c9ccf9c2bd9|BoundingBoxes:float32:(3, '
             '4):9a7a6ac6d59ae21e|Mask:uint8:(24, 28):14dc3ec058850c68|BoundingBoxes:int64:(2, '
             '4):b16a1eef551cbd46',
 'ela2_0_1_next': 0.2244400978088379,
 'ela2_0_5': 'Image:uint8:(3, 24, 28):5038ea8c320c3b33|BoundingBoxes:float32:(3, '
             '4):910f41c6daae0c1b|Mask:uint8:(24, 28):1a9717f6436f0dbb|BoundingBoxes:int64:(2, '
             '4):e1d28b7f4747fd0b',
 'ela2_0_5_next': 0.43303167819976807,
 'ela2_1_0': 'Tensor:float32:(2, 3, 24, 28):93897225f4d55b4b|BoundingBoxes:float32:(3, '
             '4):1c497c8763fbd4d8',
 'ela2_1_0_next': 0.31909000873565674,
 'ela2_1_1': 'Tensor:float32:(2, 3, 24, 28):272c4a2006535bf1|BoundingBoxes:float32:(3, '
             '4):9a7a6ac6d59ae21e',
 'ela2_1_1_next': 0.2244400978088379,
 'ela2_1_5': 'Tensor:float32:(2, 3, 24, 28):dd3ab4de26c06afc|BoundingBoxes:float32:(3, '
             '4):910f41c6daae0c1b',
 'ela2_1_5_next': 0.43303167819976807,
 'ela2_2_0': 'PIL:uint8:(24, 28, 3):0935871ccaf0f81a|BoundingBoxes:int64:(2, 4):06d5085c1d23f588',
 'ela2_2_0_next': 0.31909000873565674,
 'ela2_2_1': 'PIL:uint8:(24, 28, 3):290dc4e2a74e300f|BoundingBoxes:int64:(2, 4):b16a1eef551cbd46',
 'ela2_2_1_next': 0.2244400978088379,
 'ela2_2_5': 'PIL:uint8:(24, 28, 3):12fed5e844a6258d|BoundingBoxes:int64:(2, 4):e1d28b7f4747fd0b',
 'ela2_2_5_next': 0.43303167819976807,
 'ela2_3_0': 'Tensor:uint8:(3, 24, 28):242786e85efb003f|BoundingBoxes:float32:(3, '
             '4):1c497c8763fbd4d8',
 'ela2_3_0_next': 0.31909000873565674,
 'ela2_3_1': 'Tensor:uint8:(3, 24, 28):f3e64c9ccf9c2bd9|BoundingBoxes:float32:(3, '
             '4):9a7a6ac6d59ae21e',
 'ela2_3_1_next': 0.2244400978088379,
 'ela2_3_5': 'Tensor:uint8:(3, 24, 28):5038ea8c320c3b33|BoundingBoxes:float32:(3, '
             '4):910f41c6daae0c1b',
 'ela2_3_5_next': 0.43303167819976807,
 'ela3_0_0': 'Image:uint8:(3, 24, 28):079d855bf5231dd6|BoundingBoxes:float32:(3, '
             '4):466e7289e5f90833|Mask:uint8:(24, 28):95688554c62642ab|BoundingBoxes:int64:(2, '
             '4):ea2dc5cd4c853ced',
 'ela3_0_0_next': 0.31909000873565674,
 'ela3_0_1': 'Image:uint8:(3, 24, 28):e85302a03bb22b03|BoundingBoxes:float32:(3, '
             '4):20fcfc09bc31a36e|Mask:uint8:(24, 28):0ae974365d918b05|BoundingBoxes:int64:(2, '
             '4):09c8aa9e3a7c5b63',
 'ela3_0_1_next': 0.2244400978088379,
 'ela3_0_5': 'Image:uint8:(3, 24, 28):5a8b0d0677e14735|BoundingBoxes:float32:(3, '
             '4):42902aa3e78bed6f|Mask:uint8:(24, 28):3cb176634ff701b4|BoundingBoxes:int64:(2, '
             '4):02ff721ed23c3ed7',
 'ela3_0_5_next': 0.43303167819976807,
 'ela3_1_0': 'Tensor:float32:(2, 3, 24, 28):f1e64e1fcc65bebd|BoundingBoxes:float32:(3, '
             '4):466e7289e5f90833',
 'ela3_1_0_next': 0.31909000873565674,
 'ela3_1_1': 'Tensor:float32:(2, 3, 24, 28):bad6a70dea329aa8|BoundingBoxes:float32:(3, '
             '4):20fcfc09bc31a36e',
 'ela3_1_1_next': 0.2244400978088379,
 'ela3_1_5': 'Tensor:float32:(2, 3, 24, 28):598217d30be4b5c4|BoundingBoxes:float32:(3, '
             '4):42902aa3e78bed6f',
 'ela3_1_5_next': 0.43303167819976807,
 'ela3_2_0': 'PIL:uint8:(24, 28, 3):36388d8b3387ea0a|BoundingBoxes:int64:(2, 4):ea2dc5cd4c853ced',
 'ela3_2_0_next': 0.31909000873565674,
 'ela3_2_1': 'PIL:uint8:(24, 28, 3):143907ef14da3074|BoundingBoxes:int64:(2, 4):09c8aa9e3a7c5b63',
 'ela3_2_1_next': 0.2244400978088379,
 'ela3_2_5': 'PIL:uint8:(24, 28, 3):92222ed1d1572959|BoundingBoxes:int64:(2, 4):02ff721ed23c3ed7',
 'ela3_2_5_next': 0.43303167819976807,
 'ela3_3_0': 'Tensor:uint8:(3, 24, 28):079d855bf5231dd6|BoundingBoxes:float32:(3, '
             '4):466e7289e5f90833',
 'ela3_3_0_next': 0.31909000873565674,
 'ela3_3_1': 'Tensor:uint8:(3, 24, 28):e85302a03bb22b03|BoundingBoxes:float32:(3, '
             '4):20fcfc09bc31a36e',
 'ela3_3_1_next': 0.2244400978088379,
 'ela3_3_5': 'Tensor:uint8:(3, 24, 28):5a8b0d0677e14735|BoundingBoxes:float32:(3, '
             '4):42902aa3e78bed6f',
 'ela3_3_5_next': 0.43303167819976807,
 'ela_0_0': 'Image:uint8:(3, 24, 28):714de3594f7c0f76|BoundingBoxes:float32:(3, '
            '4):630b2003cebc989a|Mask:uint8:(24, 28):c90786264596b242|BoundingBoxes:int64:(2, '
            '4):7651d012dea1cae0',
 'ela_0_0_next': 0.31909000873565674,
 'ela_0_1': 'Image:uint8:(3, 24, 28):978d1b1e298af38d|BoundingBoxes:float32:(3, '
            '4):aca1f959c3ac0cbf|Mask:uint8:(24, 28):69ca0f664cb07973|BoundingBoxes:int64:(2, '
            '4):705fb37308f23a24',
 'ela_0_1_next': 0.2244400978088379,
 'ela_0_5': 'Image:uint8:(3, 24, 28):4d9a57740727ecd7|BoundingBoxes:float32:(3, '
            '4):f8e2024c6d40d522|Mask:uint8:(24, 28):847897d0052b2406|BoundingBoxes:int64:(2, '
            '4):1c2d1e92e3d147cf',
 'ela_0_5_next': 0.43303167819976807,
 'ela_1_0': 'Tensor:float32:(2, 3, 24, 28):a6b21ea106a108e2|BoundingBoxes:float32:(3, '
            '4):630b2003cebc989a',
 'ela_1_0_next': 0.31909000873565674,
 'ela_1_1': 'Tensor:float32:(2, 3, 24, 28):5abdeab79d106831|BoundingBoxes:float32:(3, '
            '4):aca1f959c3ac0cbf',
 'ela_1_1_next': 0.2244400978088379,
 'ela_1_5': 'Tensor:float32:(2, 3, 24, 28):087315ea827bc852|BoundingBoxes:float32:(3, '
            '4):f8e2024c6d40d522',
 'ela_1_5_next': 0.43303167819976807,
 'ela_2_0': 'PIL:uint8:(24, 28, 3):db5dd702eed4c522|BoundingBoxes:int64:(2, 4):7651d012dea1cae0',
 'ela_2_0_next': 0.31909000873565674,
 'ela_2_1': 'PIL:uint8:(24, 28, 3):d3314caf5f92ec27|BoundingBoxes:int64:(2, 4):705fb37308f23a24',
 'ela_2_1_next': 0.2244400978088379,
 'ela_2_5': 'PIL:uint8:(24, 28, 3):cf747aeb17ff7a28|BoundingBoxes:int64:(2, 4):1c2d1e92e3d147cf',
 'ela_2_5_next': 0.43303167819976807,
 'ela_3_0': 'Tensor:uint8:(3, 24, 28):714de3594f7c0f76|BoundingBoxes:float32:(3, '
            '4):630b2003cebc989a',
 'ela_3_0_next': 0.31909000873565674,
 'ela_3_1': 'Tensor:uint8:(3, 24, 28):978d1b1e298af38d|BoundingBoxes:float32:(3, '
            '4):aca1f959c3ac0cbf',
 'ela_3_1_next': 0.2244400978088379,
 'ela_3_5': 'Tensor:uint8:(3, 24, 28):4d9a57740727ecd7|BoundingBoxes:float32:(3, '
            '4):f8e2024c6d40d522',
 'ela_3_5_next': 0.43303167819976807,
 'f_ela_b': 'BoundingBoxes:float32:(3, 4):4c610967bf185a0e',
 'f_ela_fl': 'Tensor:float32:(2, 3, 24, 28):788f69ff98d59988',
 'f_ela_ib': 'BoundingBoxes:int64:(2, 4):0a333446bd96b083',
 'f_ela_m': 'Mask:uint8:(24, 28):9191786a291ced98',
 'f_ela_pil': 'PIL:uint8:(24, 28, 3):1552da2320b4a227',
 'f_ela_u8': 'Tensor:uint8:(3, 24, 28):977d2dd56c8a1500',
 'f_p_b': 'BoundingBoxes:float32:(3, 4):3074d93ff73ce12a',
 'f_p_coef': 'Image:uint8:(3, 24, 28):5194251eb24ff79b',
 'f_p_fl': 'Tensor:float64:(2, 3, 24, 28):bac7fb0dadf12495',
 'f_p_ib': 'BoundingBoxes:int64:(2, 4):0098b208444347bf',
 'f_p_m': 'Mask:uint8:(24, 28):e48ff86b7edec701',
 'f_p_pil': 'PIL:uint8:(24, 28, 3):688636a7fbe6d052',
 'f_p_u8': 'Tensor:uint8:(3, 24, 28):7d1a3b4c5dbade8e',
 'iou2_0_0': 'Image:uint8:(3, 12, 10):92b5b7ef25cfcca9|BoundingBoxes:float32:(3, '
             '4):b184582c02393183|Mask:uint8:(12, 10):e87f6c6470e52ea8',
 'iou2_0_0_next': 0.8964447379112244,
 'iou2_0_1': 'Image:uint8:(3, 13, 13):76cfac8883d81034|BoundingBoxes:float32:(3, '
             '4):271a1272c81d283f|Mask:uint8:(13, 13):bb161ccd11fd50e6',
 'iou2_0_1_next': 0.7998586297035217,
 'iou2_0_5': 'Image:uint8:(3, 23, 12):c9a8651573fe5d1d|BoundingBoxes:float32:(3, '
             '4):bcbb447f87a9c133|Mask:uint8:(23, 12):4c6fa08fe5cf60a9',
 'iou2_0_5_next': 0.366219699382782,
 'iou2_1_0': 'Tensor:float32:(2, 3, 12, 10):0199cec6465c28e5|BoundingBoxes:float32:(3, '
             '4):b184582c02393183',
 'iou2_1_0_next': 0.8964447379112244,
 'iou2_1_1': 'Tensor:float32:(2, 3, 13, 13):5f306c1bd98c7c7a|BoundingBoxes:float32:(3, '
             '4):271a1272c81d283f',
 'iou2_1_1_next': 0.7998586297035217,
 'iou2_1_5': 'Tensor:float32:(2, 3, 23, 12):854cf084acfe986e|BoundingBoxes:float32:(3, '
             '4):bcbb447f87a9c133',
 'iou2_1_5_next': 0.366219699382782,
 'iou2_2_0': 'PIL:uint8:(12, 10, 3):eb26fc69bd10f890|BoundingBoxes:int64:(2, 4):f8770ba59f0e57f2',
 'iou2_2_0_next': 0.8964447379112244,
 'iou2_2_1': 'PIL:uint8:(14, 12, 3):2018bfe84f636d65|BoundingBoxes:int64:(2, 4):0311a0e298756984',
 'iou2_2_1_next': 0.5239408016204834,
 'iou2_2_5': 'PIL:uint8:(12, 17, 3):632113c4969a73c6|BoundingBoxes:int64:(2, 4):15991ceb489fc60b',
 'iou2_2_5_next': 0.7671375870704651,
 'iou2_3_0': 'Tensor:uint8:(3, 12, 10):92b5b7ef25cfcca9|BoundingBoxes:float32:(3, '
             '4):b184582c02393183',
 'iou2_3_0_next': 0.8964447379112244,
 'iou2_3_1': 'Tensor:uint8:(3, 13, 13):76cfac8883d81034|BoundingBoxes:float32:(3, '
             '4):271a1272c81d283f',
 'iou2_3_1_next': 0.7998586297035217,
 'iou2_3_5': 'Tensor:uint8:(3, 23, 12):c9a8651573fe5d1d|BoundingBoxes:float32:(3, '
             '4):bcbb447f87a9c133',
 'iou2_3_5_next': 0.366219699382782,
 'iou_0_0': 'Image:uint8:(3, 18, 13):7d3dedbe731243e6|BoundingBoxes:float32:(3, '
            '4):b419e9cf63245989|Mask:uint8:(18, 13):815f40cdd9b1cce5',
 'iou_0_0_next': 0.9397097229957581,
 'iou_0_1': 'Image:uint8:(3, 13, 13):76cfac8883d81034|BoundingBoxes:float32:(3, '
            '4):271a1272c81d283f|Mask:uint8:(13, 13):bb161ccd11fd50e6',
 'iou_0_1_next': 0.7998586297035217,
 'iou_0_5': 'Image:uint8:(3, 22, 24):d931afd6b6fd7072|BoundingBoxes:float32:(3, '
            '4):e56b20c43a2f47de|Mask:uint8:(22, 24):5822feaa9dbef579',
 'iou_0_5_next': 0.7379193902015686,
 'iou_1_0': 'Tensor:float32:(2, 3, 18, 13):ec77948e682adeca|BoundingBoxes:float32:(3, '
            '4):b419e9cf63245989',
 'iou_1_0_next': 0.9397097229957581,
 'iou_1_1': 'Tensor:float32:(2, 3, 13, 13):5f306c1bd98c7c7a|BoundingBoxes:float32:(3, '
            '4):271a1272c81d283f',
 'iou_1_1_next': 0.7998586297035217,
 'iou_1_5': 'Tensor:float32:(2, 3, 22, 24):5462583886c61a3f|BoundingBoxes:float32:(3, '
            '4):e56b20c43a2f47de',
 'iou_1_5_next': 0.7379193902015686,
 'iou_2_0': 'PIL:uint8:(15, 11, 3):ad67e25d78208bb2|BoundingBoxes:int64:(2, 4):e8326475226ebb3f',
 'iou_2_0_next': 0.2086472511291504,
 'iou_2_1': 'PIL:uint8:(13, 13, 3):bd5dea25581dc0d4|BoundingBoxes:int64:(2, 4):309cbc76ca0a9867',
 'iou_2_1_next': 0.7998586297035217,
 'iou_2_5': 'PIL:uint8:(22, 24, 3):cd7b1f2cae748609|BoundingBoxes:int64:(2, 4):c18bdfebe9527298',
 'iou_2_5_next': 0.7379193902015686,
 'iou_3_0': 'Tensor:uint8:(3, 18, 13):7d3dedbe731243e6|BoundingBoxes:float32:(3, '
            '4):b419e9cf63245989',
 'iou_3_0_next': 0.9397097229957581,
 'iou_3_1': 'Tensor:uint8:(3, 13, 13):76cfac8883d81034|BoundingBoxes:float32:(3, '
            '4):271a1272c81d283f',
 'iou_3_1_next': 0.7998586297035217,
 'iou_3_5': 'Tensor:uint8:(3, 22, 24):d931afd6b6fd7072|BoundingBoxes:float32:(3, '
            '4):e56b20c43a2f47de',
 'iou_3_5_next': 0.7379193902015686,
 'persp2_0_0': 'Image:uint8:(3, 24, 28):c3bc24af099e2c27|BoundingBoxes:float32:(3, '
               '4):cd5bf4c6d7f35542|Mask:uint8:(24, 28):17d1540e41f7816c|BoundingBoxes:int64:(2, '
               '4):58bbf724fea00a40',
 'persp2_0_0_next': 0.6323062777519226,
 'persp2_0_1': 'Image:uint8:(3, 24, 28):66fe3fada6f8e0c0|BoundingBoxes:float32:(3, '
               '4):61271768e4fa45b5|Mask:uint8:(24, 28):ea1a1bd22fba912f|BoundingBoxes:int64:(2, '
               '4):1c020083e0392778',
 'persp2_0_1_next': 0.4387779235839844,
 'persp2_0_5': 'Image:uint8:(3, 24, 28):a5c62e17fe879054|BoundingBoxes:float32:(3, '
               '4):f6115b406fc1a0d8|Mask:uint8:(24, 28):eab5a0404e554d5f|BoundingBoxes:int64:(2, '
               '4):f803120537aae516',
 'persp2_0_5_next': 0.9941847324371338,
 'persp2_1_0': 'Tensor:float32:(2, 3, 24, 28):44ce1769a2131cb4|BoundingBoxes:float32:(3, '
               '4):cd5bf4c6d7f35542',
 'persp2_1_0_next': 0.6323062777519226,
 'persp2_1_1': 'Tensor:float32:(2, 3, 24, 28):06eb97be3e817dd2|BoundingBoxes:float32:(3, '
               '4):61271768e4fa45b5',
 'persp2_1_1_next': 0.4387779235839844,
 'persp2_1_5': 'Tensor:float32:(2, 3, 24, 28):7bb3c65292cbbad1|BoundingBoxes:float32:(3, '
               '4):f6115b406fc1a0d8',
 'persp2_1_5_next': 0.9941847324371338,
 'persp2_2_0': 'PIL:uint8:(24, 28, 3):a19f08e486fbf33b|BoundingBoxes:int64:(2, 4):58bbf724fea00a40',
 'persp2_2_0_next': 0.6323062777519226,
 'persp2_2_1': 'PIL:uint8:(24, 28, 3):07f204d481ea0a9f|BoundingBoxes:int64:(2, 4):1c020083e0392778',
 'persp2_2_1_next': 0.4387779235839844,
 'persp2_2_5': 'PIL:uint8:(24, 28, 3):1e36fc896a8bfe48|BoundingBoxes:int64:(2, 4):f803120537aae516',
 'persp2_2_5_next': 0.9941847324371338,
 'persp2_3_0': 'Tensor:uint8:(3, 24, 28):0294f2bb7e551239|BoundingBoxes:float32:(3, '
               '4):cd5bf4c6d7f35542',
 'persp2_3_0_next': 0.6323062777519226,
 'persp2_3_1': 'Tensor:uint8:(3, 24, 28):b0604b09c10c1563|BoundingBoxes:float32:(3, '
               '4):61271768e4fa45b5',
 'persp2_3_1_next': 0.4387779235839844,
 'persp2_3_5': 'Tensor:uint8:(3, 24, 28):a740de557d90b4d0|BoundingBoxes:float32:(3, '
               '4):f6115b406fc1a0d8',
 'persp2_3_5_next': 0.9941847324371338,
 'persp3_0_0': 'Image:uint8:(3, 24, 28):8644714e57173857|BoundingBoxes:float32:(3, '
               '4):e00781540e24b31f|Mask:uint8:(24, 28):24307989c2ecb30a|BoundingBoxes:int64:(2, '
               '4):a50d6e4de01ab21e',
 'persp3_0_0_next': 0.6323062777519226,
 'persp3_0_1': 'Image:uint8:(3, 24, 28):972bc03cd5a32a0a|BoundingBoxes:float32:(3, '
               '4):eeb0ad1af311cf03|Mask:uint8:(24, 28):2fb8b40454ff1d0f|BoundingBoxes:int64:(2, '
               '4):c18bdfebe9527298',
 'persp3_0_1_next': 0.2793108820915222,
 'persp3_0_5': 'Image:uint8:(3, 24, 28):972bc03cd5a32a0a|BoundingBoxes:float32:(3, '
               '4):eeb0ad1af311cf03|Mask:uint8:(24, 28):2fb8b40454ff1d0f|BoundingBoxes:int64:(2, '
               '4):c18bdfebe9527298',
 'persp3_0_5_next': 0.12611091136932373,
 'persp3_1_0': 'Tensor:float32:(2, 3, 24, 28):f648b91d37ee5f94|BoundingBoxes:float32:(3, '
               '4):e00781540e24b31f',
 'persp3_1_0_next': 0.6323062777519226,
 'persp3_1_1': 'Tensor:float32:(2, 3, 24, 28):77cf0c328418a370|BoundingBoxes:float32:(3, '
               '4):eeb0ad1af311cf03',
 'persp3_1_1_next': 0.2793108820915222,
 'persp3_1_5': 'Tensor:float32:(2, 3, 24, 28):77cf0c328418a370|BoundingBoxes:float32:(3, '
               '4):eeb0ad1af311cf03',
 'persp3_1_5_next': 0.12611091136932373,
 'persp3_2_0': 'PIL:uint8:(24, 28, 3):05e789293ec04811|BoundingBoxes:int64:(2, 4):a50d6e4de01ab21e',
 'persp3_2_0_next': 0.6323062777519226,
 'persp3_2_1': 'PIL:uint8:(24, 28, 3):383fe80ccefe2222|BoundingBoxes:int64:(2, 4):c18bdfebe9527298',
 'persp3_2_1_next': 0.2793108820915222,
 'persp3_2_5': 'PIL:uint8:(24, 28, 3):383fe80ccefe2222|BoundingBoxes:int64:(2, 4):c18bdfebe9527298',
 'persp3_2_5_next': 0.12611091136932373,
 'persp3_3_0': 'Tensor:uint8:(3, 24, 28):8644714e57173857|BoundingBoxes:float32:(3, '
               '4):e00781540e24b31f',
 'persp3_3_0_next': 0.6323062777519226,
 'persp3_3_1': 'Tensor:uint8:(3, 24, 28):972bc03cd5a32a0a|BoundingBoxes:float32:(3, '
               '4):eeb0ad1af311cf03',
 'persp3_3_1_next': 0.2793108820915222,
 'persp3_3_5': 'Tensor:uint8:(3, 24, 28):972bc03cd5a32a0a|BoundingBoxes:float32:(3, '
               '4):eeb0ad1af311cf03',
 'persp3_3_5_next': 0.12611091136932373,
 'persp_0_0': 'Image:uint8:(3, 24, 28):5c0cfcf0ddd68220|BoundingBoxes:float32:(3, '
              '4):02670c85b43238f4|Mask:uint8:(24, 28):69a764e8cff4664d|BoundingBoxes:int64:(2, '
              '4):1d4b4f1d9e02c1c5',
 'persp_0_0_next': 0.6323062777519226,
 'persp_0_1': 'Image:uint8:(3, 24, 28):125c4e150093906f|BoundingBoxes:float32:(3, '
              '4):c59964bd2a7277a4|Mask:uint8:(24, 28):f4ac5dcb1f6b87e0|BoundingBoxes:int64:(2, '
              '4):c6ef308e84384658',
 'persp_0_1_next': 0.4387779235839844,
 'persp_0_5': 'Image:uint8:(3, 24, 28):81c88786b17b6d16|BoundingBoxes:float32:(3, '
              '4):3bbb562e57489f34|Mask:uint8:(24, 28):11c72bbee7a77fa8|BoundingBoxes:int64:(2, '
              '4):cc54be34b3c4f1be',
 'persp_0_5_next': 0.9941847324371338,
 'persp_1_0': 'Tensor:float32:(2, 3, 24, 28):27f433f0153797f6|BoundingBoxes:float32:(3, '
              '4):02670c85b43238f4',
 'persp_1_0_next': 0.6323062777519226,
 'persp_1_1': 'Tensor:float32:(2, 3, 24, 28):06ee93fe8996501e|BoundingBoxes:float32:(3, '
              '4):c59964bd2a7277a4',
 'persp_1_1_next': 0.4387779235839844,
 'persp_1_5': 'Tensor:float32:(2, 3, 24, 28):1a423a86694abf8b|BoundingBoxes:float32:(3, '
              '4):3bbb562e57489f34',
 'persp_1_5_next': 0.9941847324371338,
 'persp_2_0': 'PIL:uint8:(24, 28, 3):716fff32f00912b8|BoundingBoxes:int64:(2, 4):1d4b4f1d9e02c1c5',
 'persp_2_0_next': 0.6323062777519226,
 'persp_2_1': 'PIL:uint8:(24, 28, 3):0c530d1d955bc1f3|BoundingBoxes:int64:(2, 4):c6ef308e84384658',
 'persp_2_1_next': 0.4387779235839844,
 'persp_2_5': 'PIL:uint8:(24, 28, 3):172ae51e10252bfb|BoundingBoxes:int64:(2, 4):cc54be34b3c4f1be',
 'persp_2_5_next': 0.9941847324371338,
 'persp_3_0': 'Tensor:uint8:(3, 24, 28):5c0cfcf0ddd68220|BoundingBoxes:float32:(3, '
              '4):02670c85b43238f4',
 'persp_3_0_next': 0.6323062777519226,
 'persp_3_1': 'Tensor:uint8:(3, 24, 28):125c4e150093906f|BoundingBoxes:float32:(3, '
              '4):c59964bd2a7277a4',
 'persp_3_1_next': 0.4387779235839844,
 'persp_3_5': 'Tensor:uint8:(3, 24, 28):81c88786b17b6d16|BoundingBoxes:float32:(3, '
              '4):3bbb562e57489f34',
 'persp_3_5_next': 0.9941847324371338,
 'repr_ela': 'ElasticTransform(alpha=[50.0, 50.0], sigma=[5.0, 5.0], interpolation=bilinear, '
             'fill=0)',
 'repr_ela2': 'ElasticTransform(alpha=[20.0, 20.0], sigma=[2.0, 2.0], interpolation=bilinear, '
              'fill=9)',
 'repr_ela3': 'ElasticTransform(alpha=[40.0, 10.0], sigma=[0.0, 0.0], interpolation=nearest, '
              'fill=0)',
 'repr_iou': 'RandomIoUCrop(min_scale=0.3, max_scale=1.0, min_aspect_ratio=0.5, '
             'max_aspect_ratio=2.0, options=[0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0], trials=40)',
 'repr_iou2': 'RandomIoUCrop(min_scale=0.3, max_scale=1.0, min_aspect_ratio=0.5, '
              'max_aspect_ratio=2.0, options=[0.3, 0.5], trials=10)',
 'repr_persp': 'RandomPerspective(p=1.0, distortion_scale=0.5, interpolation=bilinear, fill=0)',
 'repr_persp2': 'RandomPerspective(p=1.0, distortion_scale=0.8, interpolation=nearest)',
 'repr_persp3': 'RandomPerspective(p=0.7, distortion_scale=0.3, interpolation=bilinear, fill=7)',
 'repr_zoom': 'RandomZoomOut(p=1.0, fill=4, side_range=(1.0, 4.0))',
 'v1_0_f': 'Tensor:float32:(2, 3, 24, 28):8ea79b8d6e93bb29',
 'v1_0_f_next': 0.3709283471107483,
 'v1_0_pil': 'PIL:uint8:(24, 28, 3):92ff7de2372da454',
 'v1_0_pil_next': 0.3709283471107483,
 'v1_0_u8': 'Tensor:uint8:(3, 24, 28):f9089dbe101d8685',
 'v1_0_u8_next': 0.3709283471107483,
 'v1_1_f': 'Tensor:float32:(2, 3, 24, 28):df1080bc7ef3914f',
 'v1_1_f_next': 0.5184929966926575,
 'v1_1_pil': 'PIL:uint8:(24, 28, 3):4fe513dd9681ffa3',
 'v1_1_pil_next': 0.5184929966926575,
 'v1_1_u8': 'Tensor:uint8:(3, 24, 28):8f19b340c1cef489',
 'v1_1_u8_next': 0.5184929966926575,
 'v1_2_f': 'Tensor:float32:(2, 3, 24, 28):05cc701398c1e34d',
 'v1_2_f_next': 0.09932810068130493,
 'v1_2_pil': 'PIL:uint8:(24, 28, 3):0a24f9d96903b372',
 'v1_2_pil_next': 0.09932810068130493,
 'v1_2_u8': 'Tensor:uint8:(3, 24, 28):272edf9358cbf74c',
 'v1_2_u8_next': 0.09932810068130493,
 'v1_3_f': 'Tensor:float32:(2, 3, 24, 28):49d86d90e1026e09',
 'v1_3_f_next': 0.6090264916419983,
 'v1_3_pil': 'PIL:uint8:(24, 28, 3):6b10bc7a623fb360',
 'v1_3_pil_next': 0.6090264916419983,
 'v1_3_u8': 'Tensor:uint8:(3, 24, 28):fc7e61225001856b',
 'v1_3_u8_next': 0.6090264916419983,
 'v1_fn_f': 'Tensor:float32:(2, 3, 24, 28):2dad627f8f111db7',
 'v1_fn_near': 'Tensor:uint8:(3, 24, 28):d25128c3aab022b0',
 'v1_fn_pil': 'PIL:uint8:(24, 28, 3):eb71f1703abd2e57',
 'v1_fn_u8': 'Tensor:uint8:(3, 24, 28):977d2dd56c8a1500',
 'v1repr0': 'ElasticTransform(alpha=[50.0, 50.0], sigma=[5.0, 5.0], '
            'interpolation=InterpolationMode.BILINEAR, fill=[0.0])',
 'v1repr1': 'ElasticTransform(alpha=[20.0, 20.0], sigma=[2.0, 2.0], '
            'interpolation=InterpolationMode.BILINEAR, fill=[0.0])',
 'v1repr2': 'ElasticTransform(alpha=(30.0, 10.0), sigma=(3.0, 1.5), '
            'interpolation=InterpolationMode.BILINEAR, fill=[10.0, 20.0, 30.0])',
 'v1repr3': 'ElasticTransform(alpha=[40.0, 40.0], sigma=[0.0, 0.0], '
            'interpolation=InterpolationMode.NEAREST, fill=[5.0])',
 'zoom_0_0': 'Image:uint8:(3, 79, 92):286ec298a4635bc8|BoundingBoxes:float32:(3, '
             '4):b4d3975ee6e06fb4|Mask:uint8:(79, 92):559e0cd966059af6|BoundingBoxes:int64:(2, '
             '4):7a8c98e2215cd4c0',
 'zoom_0_0_next': 0.30742281675338745,
 'zoom_0_1': 'Image:uint8:(3, 44, 51):e594596db394072e|BoundingBoxes:float32:(3, '
             '4):fecc71f3ce8470c1|Mask:uint8:(44, 51):cd9fdaec52a084e0|BoundingBoxes:int64:(2, '
             '4):8cc0867a83ef4b17',
 'zoom_0_1_next': 0.029281556606292725,
 'zoom_0_5': 'Image:uint8:(3, 33, 38):61c79314bc64a751|BoundingBoxes:float32:(3, '
             '4):fcff397fb29b6a8f|Mask:uint8:(33, 38):4f3133fe40d579b8|BoundingBoxes:int64:(2, '
             '4):72675e4b4a2d5b81',
 'zoom_0_5_next': 0.9201034307479858,
 'zoom_1_0': 'Tensor:float32:(2, 3, 79, 92):35c88b42e3f30773|BoundingBoxes:float32:(3, '
             '4):b4d3975ee6e06fb4',
 'zoom_1_0_next': 0.30742281675338745,
 'zoom_1_1': 'Tensor:float32:(2, 3, 44, 51):160c30243c6bb224|BoundingBoxes:float32:(3, '
             '4):fecc71f3ce8470c1',
 'zoom_1_1_next': 0.029281556606292725,
 'zoom_1_5': 'Tensor:float32:(2, 3, 33, 38):1e1398eccd59cc9b|BoundingBoxes:float32:(3, '
             '4):fcff397fb29b6a8f',
 'zoom_1_5_next': 0.9201034307479858,
 'zoom_2_0': 'PIL:uint8:(79, 92, 3):710f6586cb46fe4b|BoundingBoxes:int64:(2, 4):7a8c98e2215cd4c0',
 'zoom_2_0_next': 0.30742281675338745,
 'zoom_2_1': 'PIL:uint8:(44, 51, 3):ca3dd3bd2add4388|BoundingBoxes:int64:(2, 4):8cc0867a83ef4b17',
 'zoom_2_1_next': 0.029281556606292725,
 'zoom_2_5': 'PIL:uint8:(33, 38, 3):e6f47c56b4f5662e|BoundingBoxes:int64:(2, 4):72675e4b4a2d5b81',
 'zoom_2_5_next': 0.9201034307479858,
 'zoom_3_0': 'Tensor:uint8:(3, 79, 92):286ec298a4635bc8|BoundingBoxes:float32:(3, '
             '4):b4d3975ee6e06fb4',
 'zoom_3_0_next': 0.30742281675338745,
 'zoom_3_1': 'Tensor:uint8:(3, 44, 51):e594596db394072e|BoundingBoxes:float32:(3, '
             '4):fecc71f3ce8470c1',
 'zoom_3_1_next': 0.029281556606292725,
 'zoom_3_5': 'Tensor:uint8:(3, 33, 38):61c79314bc64a751|BoundingBoxes:float32:(3, '
             '4):fcff397fb29b6a8f',
 'zoom_3_5_next': 0.9201034307479858}


@pytest.fixture(scope="module")
def results():
    return _cases(ember, T, v2, tv_tensors, Image)


def test_matches_torchvision(results):
    assert set(results) == set(GOLDEN)
    bad = []
    for key, want in GOLDEN.items():
        got = results[key]
        if got != want:
            bad.append((key, got, want))
    assert not bad, bad[:5]


def test_elastic_matches_grid_sample():
    """F.elastic_transform is torch's grid_sample at identity + displacement (differential)."""
    rng = np.random.default_rng(3)
    img = rng.random((2, 3, 9, 13), dtype=np.float32)
    disp = (rng.standard_normal((1, 9, 13, 2)) * 0.2).astype(np.float32)
    got = T.functional.elastic_transform(ember.from_numpy(img), ember.from_numpy(disp),
                                         fill=[0.0, 0.0, 0.0]).numpy()
    ys = torch.linspace(-8 / 9, 8 / 9, 9)
    xs = torch.linspace(-12 / 13, 12 / 13, 13)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    grid = torch.stack([gx, gy], -1)[None] + torch.from_numpy(disp)
    x = torch.cat([torch.from_numpy(img), torch.ones(2, 1, 9, 13)], 1)
    s = torch.nn.functional.grid_sample(x, grid.expand(2, -1, -1, -1), align_corners=False)
    mask = s[:, -1:].expand(2, 3, 9, 13)
    want = (s[:, :-1] * mask + (1.0 - mask) * 0.0).numpy()
    np.testing.assert_array_equal(got, want)


def test_bad_input():
    u8 = ember.zeros(3, 8, 8, dtype=ember.uint8)
    with pytest.raises(ValueError, match="displacement shape"):
        T.functional.elastic_transform(u8, ember.zeros(1, 8, 7, 2))
    with pytest.raises(TypeError, match="displacement should be a Tensor"):
        v2.functional.elastic(u8, [0.0])
    with pytest.raises(TypeError, match="alpha should be float"):
        T.ElasticTransform(alpha=3)
    with pytest.raises(ValueError, match="sigma is a sequence its length should be 2"):
        T.ElasticTransform(sigma=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="distortion_scale"):
        v2.RandomPerspective(distortion_scale=1.5)
    with pytest.raises(TypeError, match="requires input sample to contain"):
        v2.RandomIoUCrop()(u8)
    with pytest.raises(ValueError, match="shouldn't be defined concurrently"):
        v2.functional.perspective(u8, [[0, 0]] * 4, [[0, 0]] * 4, coefficients=[0.0] * 8)


def test_iou_crop_marks_dropped_boxes():
    boxes = tv_tensors.BoundingBoxes(ember.tensor([[1.0, 1.0, 4.0, 4.0], [30.0, 30.0, 38.0, 38.0]]),
                                     format="XYXY", canvas_size=(40, 40))
    img = ember.zeros(3, 40, 40)
    t = v2.RandomIoUCrop(sampler_options=[0.0], min_scale=0.2, max_scale=0.4)
    for seed in range(5):
        ember.manual_seed(seed)
        out_img, out_boxes = t(img, boxes)
        h, w = out_img.shape[-2:]
        assert out_boxes.canvas_size == (h, w)
        kept = (out_boxes != 0).any(dim=1)
        assert int(kept.sum()) >= 1


# --- video models: shared with the generator -------------------------------------------------
def _state_digest(sd):
    h = hashlib.sha256()
    for k, v in sd.items():
        h.update(k.encode())
        h.update(str(v.dtype).encode())
        h.update(np.ascontiguousarray(v.detach().numpy()).tobytes())
    return h.hexdigest()[:16]


_VIDEO_SHAPES = {"r3d_18": (1, 3, 4, 32, 32), "mc3_18": (1, 3, 4, 32, 32),
                 "r2plus1d_18": (1, 3, 4, 32, 32), "s3d": (1, 3, 14, 224, 224),
                 "swin3d_t": (1, 3, 4, 32, 32), "mvit_v1_b": (1, 3, 4, 32, 32),
                 "mvit_v2_s": (1, 3, 4, 32, 32)}


def _video_case(lib, video, name):
    """repr and state-dict digests of a seeded model, then eval logits on a random clip
    after giving its norms random statistics and affine parameters.  The MViTs are built for 4x32x32
    clips (their builders fix 16x224x224, so the module's ``_mvit`` is wrapped)."""
    import sys

    builder = getattr(video, name)
    module = sys.modules[builder.__module__]
    orig = getattr(module, "_mvit", None)
    if name.startswith("mvit"):
        def small(*args, **kwargs):
            kwargs.update(spatial_size=(32, 32), temporal_size=4)
            return orig(*args, **kwargs)
        module._mvit = small
    try:
        lib.manual_seed(0)
        m = builder()
    finally:
        if orig is not None:
            module._mvit = orig
    out = {"repr": hashlib.sha256(repr(m).encode()).hexdigest()[:16],
           "state": _state_digest(m.state_dict()), "next": float(lib.rand(1))}
    lib.manual_seed(1)
    for mod in m.modules():
        if isinstance(mod, lib.nn.BatchNorm3d):
            mod.running_mean.uniform_(-0.1, 0.1)
            mod.running_var.uniform_(0.5, 1.5)
        if isinstance(mod, (lib.nn.BatchNorm3d, lib.nn.LayerNorm)):
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.1, 0.1)
    x = lib.randn(_VIDEO_SHAPES[name])
    m.eval()
    with lib.no_grad():
        y = m(x)
    out["logits"] = [float(v) for v in y.flatten()[:6]] + [float(y.double().sum()),
                                                            float(y.double().abs().sum())]
    return out, m, x, y
# --- end of the shared video part --------------------------------------------------------------


# torchvision 0.29.1 results of ``_video_case`` and its video weights' descriptions.
VIDEO_GOLDEN = {'_list': ['mc3_18',
           'mvit_v1_b',
           'mvit_v2_s',
           'r2plus1d_18',
           'r3d_18',
           's3d',
           'swin3d_b',
           'swin3d_s',
           'swin3d_t'],
 '_weights': {'MC3_18_Weights.KINETICS400_V1': {'categories': '5eadbe52553dfd81',
                                                'meta': {'_docs': 'The weights reproduce closely '
                                                                  'the accuracy of the paper. The '
                                                                  'accuracies are estimated on '
                                                                  'video-level with parameters '
                                                                  '`frame_rate=15`, '
                                                                  '`clips_per_video=5`, and '
                                                                  '`clip_len=16`.',
                                                         '_file_size': 44.672,
                                                         '_metrics': {'Kinetics-400': {'acc@1': 63.96,
                                                                                       'acc@5': 84.13}},
                                                         '_ops': 43.343,
                                                         'min_size': (1, 1),
                                                         'num_params': 11695440,
                                                         'recipe': 'https://github.com/pytorch/vision/tree/main/references/video_classification'},
                                                'transforms': 'VideoClassification(\n'
                                                              '    crop_size=[112, 112]\n'
                                                              '    resize_size=[128, 171]\n'
                                                              '    mean=[0.43216, 0.394666, '
                                                              '0.37645]\n'
                                                              '    std=[0.22803, 0.22145, '
                                                              '0.216989]\n'
                                                              '    '
                                                              'interpolation=InterpolationMode.BILINEAR\n'
                                                              ')',
                                                'url': 'https://download.pytorch.org/models/mc3_18-a90a0ba3.pth'},
              'MViT_V1_B_Weights.KINETICS400_V1': {'categories': '5eadbe52553dfd81',
                                                   'meta': {'_docs': 'The weights were ported from '
                                                                     'the paper. The accuracies '
                                                                     'are estimated on video-level '
                                                                     'with parameters '
                                                                     '`frame_rate=7.5`, '
                                                                     '`clips_per_video=5`, and '
                                                                     '`clip_len=16`',
                                                            '_file_size': 139.764,
                                                            '_metrics': {'Kinetics-400': {'acc@1': 78.477,
                                                                                          'acc@5': 93.582}},
                                                            '_ops': 70.599,
                                                            'min_size': (224, 224),
                                                            'min_temporal_size': 16,
                                                            'num_params': 36610672,
                                                            'recipe': 'https://github.com/facebookresearch/pytorchvideo/blob/main/docs/source/model_zoo.md'},
                                                   'transforms': 'VideoClassification(\n'
                                                                 '    crop_size=[224, 224]\n'
                                                                 '    resize_size=[256]\n'
                                                                 '    mean=[0.45, 0.45, 0.45]\n'
                                                                 '    std=[0.225, 0.225, 0.225]\n'
                                                                 '    '
                                                                 'interpolation=InterpolationMode.BILINEAR\n'
                                                                 ')',
                                                   'url': 'https://download.pytorch.org/models/mvit_v1_b-dbeb1030.pth'},
              'MViT_V2_S_Weights.KINETICS400_V1': {'categories': '5eadbe52553dfd81',
                                                   'meta': {'_docs': 'The weights were ported from '
                                                                     'the paper. The accuracies '
                                                                     'are estimated on video-level '
                                                                     'with parameters '
                                                                     '`frame_rate=7.5`, '
                                                                     '`clips_per_video=5`, and '
                                                                     '`clip_len=16`',
                                                            '_file_size': 131.884,
                                                            '_metrics': {'Kinetics-400': {'acc@1': 80.757,
                                                                                          'acc@5': 94.665}},
                                                            '_ops': 64.224,
                                                            'min_size': (224, 224),
                                                            'min_temporal_size': 16,
                                                            'num_params': 34537744,
                                                            'recipe': 'https://github.com/facebookresearch/SlowFast/blob/main/MODEL_ZOO.md'},
                                                   'transforms': 'VideoClassification(\n'
                                                                 '    crop_size=[224, 224]\n'
                                                                 '    resize_size=[256]\n'
                                                                 '    mean=[0.45, 0.45, 0.45]\n'
                                                                 '    std=[0.225, 0.225, 0.225]\n'
                                                                 '    '
                                                                 'interpolation=InterpolationMode.BILINEAR\n'
                                                                 ')',
                                                   'url': 'https://download.pytorch.org/models/mvit_v2_s-ae3be167.pth'},
              'R2Plus1D_18_Weights.KINETICS400_V1': {'categories': '5eadbe52553dfd81',
                                                     'meta': {'_docs': 'The weights reproduce '
                                                                       'closely the accuracy of '
                                                                       'the paper. The accuracies '
                                                                       'are estimated on '
                                                                       'video-level with '
                                                                       'parameters '
                                                                       '`frame_rate=15`, '
                                                                       '`clips_per_video=5`, and '
                                                                       '`clip_len=16`.',
                                                              '_file_size': 120.318,
                                                              '_metrics': {'Kinetics-400': {'acc@1': 67.463,
                                                                                            'acc@5': 86.175}},
                                                              '_ops': 40.519,
                                                              'min_size': (1, 1),
                                                              'num_params': 31505325,
                                                              'recipe': 'https://github.com/pytorch/vision/tree/main/references/video_classification'},
                                                     'transforms': 'VideoClassification(\n'
                                                                   '    crop_size=[112, 112]\n'
                                                                   '    resize_size=[128, 171]\n'
                                                                   '    mean=[0.43216, 0.394666, '
                                                                   '0.37645]\n'
                                                                   '    std=[0.22803, 0.22145, '
                                                                   '0.216989]\n'
                                                                   '    '
                                                                   'interpolation=InterpolationMode.BILINEAR\n'
                                                                   ')',
                                                     'url': 'https://download.pytorch.org/models/r2plus1d_18-91a641e6.pth'},
              'R3D_18_Weights.KINETICS400_V1': {'categories': '5eadbe52553dfd81',
                                                'meta': {'_docs': 'The weights reproduce closely '
                                                                  'the accuracy of the paper. The '
                                                                  'accuracies are estimated on '
                                                                  'video-level with parameters '
                                                                  '`frame_rate=15`, '
                                                                  '`clips_per_video=5`, and '
                                                                  '`clip_len=16`.',
                                                         '_file_size': 127.359,
                                                         '_metrics': {'Kinetics-400': {'acc@1': 63.2,
                                                                                       'acc@5': 83.479}},
                                                         '_ops': 40.697,
                                                         'min_size': (1, 1),
                                                         'num_params': 33371472,
                                                         'recipe': 'https://github.com/pytorch/vision/tree/main/references/video_classification'},
                                                'transforms': 'VideoClassification(\n'
                                                              '    crop_size=[112, 112]\n'
                                                              '    resize_size=[128, 171]\n'
                                                              '    mean=[0.43216, 0.394666, '
                                                              '0.37645]\n'
                                                              '    std=[0.22803, 0.22145, '
                                                              '0.216989]\n'
                                                              '    '
                                                              'interpolation=InterpolationMode.BILINEAR\n'
                                                              ')',
                                                'url': 'https://download.pytorch.org/models/r3d_18-b3b3357e.pth'},
              'S3D_Weights.KINETICS400_V1': {'categories': '5eadbe52553dfd81',
                                             'meta': {'_docs': 'The weights aim to approximate the '
                                                               'accuracy of the paper. The '
                                                               'accuracies are estimated on '
                                                               'clip-level with parameters '
                                                               '`frame_rate=15`, '
                                                               '`clips_per_video=1`, and '
                                                               '`clip_len=128`.',
                                                      '_file_size': 31.972,
                                                      '_metrics': {'Kinetics-400': {'acc@1': 68.368,
                                                                                    'acc@5': 88.05}},
                                                      '_ops': 17.979,
                                                      'min_size': (224, 224),
                                                      'min_temporal_size': 14,
                                                      'num_params': 8320048,
                                                      'recipe': 'https://github.com/pytorch/vision/tree/main/references/video_classification#s3d'},
                                             'transforms': 'VideoClassification(\n'
                                                           '    crop_size=[224, 224]\n'
                                                           '    resize_size=[256, 256]\n'
                                                           '    mean=[0.43216, 0.394666, 0.37645]\n'
                                                           '    std=[0.22803, 0.22145, 0.216989]\n'
                                                           '    '
                                                           'interpolation=InterpolationMode.BILINEAR\n'
                                                           ')',
                                             'url': 'https://download.pytorch.org/models/s3d-d76dad2f.pth'},
              'Swin3D_B_Weights.KINETICS400_IMAGENET22K_V1': {'categories': '5eadbe52553dfd81',
                                                              'meta': {'_docs': 'The weights were '
                                                                                'ported from the '
                                                                                'paper. The '
                                                                                'accuracies are '
                                                                                'estimated on '
                                                                                'video-level with '
                                                                                'parameters '
                                                                                '`frame_rate=15`, '
                                                                                '`clips_per_video=12`, '
                                                                                'and `clip_len=32`',
                                                                       '_file_size': 364.134,
                                                                       '_metrics': {'Kinetics-400': {'acc@1': 81.643,
                                                                                                     'acc@5': 95.574}},
                                                                       '_ops': 140.667,
                                                                       'min_size': (1, 1),
                                                                       'min_temporal_size': 1,
                                                                       'num_params': 88048984,
                                                                       'recipe': 'https://github.com/SwinTransformer/Video-Swin-Transformer#kinetics-400'},
                                                              'transforms': 'VideoClassification(\n'
                                                                            '    crop_size=[224, '
                                                                            '224]\n'
                                                                            '    '
                                                                            'resize_size=[256]\n'
                                                                            '    mean=[0.485, '
                                                                            '0.456, 0.406]\n'
                                                                            '    std=[0.229, '
                                                                            '0.224, 0.225]\n'
                                                                            '    '
                                                                            'interpolation=InterpolationMode.BILINEAR\n'
                                                                            ')',
                                                              'url': 'https://download.pytorch.org/models/swin3d_b_22k-7c6ae6fa.pth'},
              'Swin3D_B_Weights.KINETICS400_V1': {'categories': '5eadbe52553dfd81',
                                                  'meta': {'_docs': 'The weights were ported from '
                                                                    'the paper. The accuracies are '
                                                                    'estimated on video-level with '
                                                                    'parameters `frame_rate=15`, '
                                                                    '`clips_per_video=12`, and '
                                                                    '`clip_len=32`',
                                                           '_file_size': 364.134,
                                                           '_metrics': {'Kinetics-400': {'acc@1': 79.427,
                                                                                         'acc@5': 94.386}},
                                                           '_ops': 140.667,
                                                           'min_size': (1, 1),
                                                           'min_temporal_size': 1,
                                                           'num_params': 88048984,
                                                           'recipe': 'https://github.com/SwinTransformer/Video-Swin-Transformer#kinetics-400'},
                                                  'transforms': 'VideoClassification(\n'
                                                                '    crop_size=[224, 224]\n'
                                                                '    resize_size=[256]\n'
                                                                '    mean=[0.485, 0.456, 0.406]\n'
                                                                '    std=[0.229, 0.224, 0.225]\n'
                                                                '    '
                                                                'interpolation=InterpolationMode.BILINEAR\n'
                                                                ')',
                                                  'url': 'https://download.pytorch.org/models/swin3d_b_1k-24f7c7c6.pth'},
              'Swin3D_S_Weights.KINETICS400_V1': {'categories': '5eadbe52553dfd81',
                                                  'meta': {'_docs': 'The weights were ported from '
                                                                    'the paper. The accuracies are '
                                                                    'estimated on video-level with '
                                                                    'parameters `frame_rate=15`, '
                                                                    '`clips_per_video=12`, and '
                                                                    '`clip_len=32`',
                                                           '_file_size': 218.288,
                                                           '_metrics': {'Kinetics-400': {'acc@1': 79.521,
                                                                                         'acc@5': 94.158}},
                                                           '_ops': 82.841,
                                                           'min_size': (1, 1),
                                                           'min_temporal_size': 1,
                                                           'num_params': 49816678,
                                                           'recipe': 'https://github.com/SwinTransformer/Video-Swin-Transformer#kinetics-400'},
                                                  'transforms': 'VideoClassification(\n'
                                                                '    crop_size=[224, 224]\n'
                                                                '    resize_size=[256]\n'
                                                                '    mean=[0.485, 0.456, 0.406]\n'
                                                                '    std=[0.229, 0.224, 0.225]\n'
                                                                '    '
                                                                'interpolation=InterpolationMode.BILINEAR\n'
                                                                ')',
                                                  'url': 'https://download.pytorch.org/models/swin3d_s-da41c237.pth'},
              'Swin3D_T_Weights.KINETICS400_V1': {'categories': '5eadbe52553dfd81',
                                                  'meta': {'_docs': 'The weights were ported from '
                                                                    'the paper. The accuracies are '
                                                                    'estimated on video-level with '
                                                                    'parameters `frame_rate=15`, '
                                                                    '`clips_per_video=12`, and '
                                                                    '`clip_len=32`',
                                                           '_file_size': 121.543,
                                                           '_metrics': {'Kinetics-400': {'acc@1': 77.715,
                                                                                         'acc@5': 93.519}},
                                                           '_ops': 43.882,
                                                           'min_size': (1, 1),
                                                           'min_temporal_size': 1,
                                                           'num_params': 28158070,
                                                           'recipe': 'https://github.com/SwinTransformer/Video-Swin-Transformer#kinetics-400'},
                                                  'transforms': 'VideoClassification(\n'
                                                                '    crop_size=[224, 224]\n'
                                                                '    resize_size=[256]\n'
                                                                '    mean=[0.485, 0.456, 0.406]\n'
                                                                '    std=[0.229, 0.224, 0.225]\n'
                                                                '    '
                                                                'interpolation=InterpolationMode.BILINEAR\n'
                                                                ')',
                                                  'url': 'https://download.pytorch.org/models/swin3d_t-7615ae03.pth'}},
 'mc3_18': {'logits': [0.15667912364006042,
                       -0.14421416819095612,
                       -0.17437459528446198,
                       0.22113686800003052,
                       -0.39504551887512207,
                       -0.047935180366039276,
                       6.4575991705060005,
                       76.98623120039701],
            'next': 0.16202688217163086,
            'repr': '01cb7f78d61f4b29',
            'state': 'd7802344ab0b79d3'},
 'mvit_v1_b': {'logits': [0.19950667023658752,
                          0.2271137684583664,
                          0.8549169301986694,
                          0.43659335374832153,
                          0.20206893980503082,
                          0.5424480438232422,
                          -2.768529273569584,
                          179.13778062164783],
               'next': 0.22488123178482056,
               'repr': '4c07ecaa53d5317c',
               'state': '61879fa164bf32fa'},
 'mvit_v2_s': {'logits': [1.2136619091033936,
                          -1.0573493242263794,
                          -0.48337334394454956,
                          -0.5868430733680725,
                          -0.5884687304496765,
                          -0.30174559354782104,
                          1.0145018845796585,
                          180.32305996119976],
               'next': 0.3355204463005066,
               'repr': 'f515eb4da060e7ae',
               'state': '38ae3b14e3c9142c'},
 'r2plus1d_18': {'logits': [-0.04423012211918831,
                            -0.06621872633695602,
                            0.26703014969825745,
                            -0.018599610775709152,
                            0.13536155223846436,
                            0.06902050226926804,
                            -1.5374438371509314,
                            39.469847748056054],
                 'next': 0.14022600650787354,
                 'repr': '61d27ff596fbbaba',
                 'state': 'd44e2fb7d3ce95d2'},
 'r3d_18': {'logits': [-0.035857487469911575,
                       -0.14261654019355774,
                       0.10214154422283173,
                       -0.015882574021816254,
                       -0.02577902562916279,
                       -0.1282232105731964,
                       -0.48835358768701553,
                       27.67843939550221],
            'next': 0.2838616967201233,
            'repr': '81932e5989f2b472',
            'state': '7dd1828c7ab60614'},
 's3d': {'logits': [0.06560540199279785,
                    -0.0004933364689350128,
                    0.06244160979986191,
                    -0.004091555252671242,
                    -0.061815295368433,
                    -0.0067333802580833435,
                    -1.517924000043422,
                    13.160142836626619],
         'next': 0.30963218212127686,
         'repr': '643b4cb625a3a3a6',
         'state': '017287ec36c8911b'},
 'swin3d_t': {'logits': [0.9289278388023376,
                         0.019009500741958618,
                         0.5233598947525024,
                         -0.048386842012405396,
                         -0.1262780874967575,
                         0.3603069484233856,
                         -1.0606333836913109,
                         136.75220201164484],
              'next': 0.8260632157325745,
              'repr': 'a951853a4c469d02',
              'state': 'b21fd4fb25b06158'}}

_BUILT = ["r3d_18", "mc3_18", "r2plus1d_18", "s3d", "swin3d_t", "mvit_v1_b", "mvit_v2_s"]


@pytest.mark.parametrize("name", _BUILT)
def test_video_model_matches_torchvision(name, tmp_path):
    from ember.vision.models import video

    want = VIDEO_GOLDEN[name]
    got, model, x, y = _video_case(ember, video, name)
    assert got["repr"] == want["repr"]  # print(model) is torchvision's, character for character
    assert got["state"] == want["state"]  # seeded init: the same draws, bit for bit
    assert got["next"] == want["next"]
    # (float32 rounding through a deep stack: differences scale with the largest logit)
    scale = float(np.abs(np.asarray(want["logits"])).max())
    np.testing.assert_allclose(got["logits"], want["logits"], rtol=1e-5, atol=1e-6 * max(1, scale))
    if name not in ("mc3_18", "s3d"):  # (the file round trip is slow for the big ones)
        return
    # checkpoints cross both ways: ember -> torch.load -> torch.save -> ember
    ember.save(model.state_dict(), tmp_path / "e.pth")
    sd = torch.load(tmp_path / "e.pth")
    assert list(sd) == list(model.state_dict())
    torch.save(sd, tmp_path / "t.pth")
    for p in model.parameters():  # forget the weights, then read them back from torch's file
        p.data.zero_()
    model.load_state_dict(ember.load(tmp_path / "t.pth"))
    with ember.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), y.numpy())


def test_video_registry_and_weights():
    from ember.vision import models
    from ember.vision.models import video

    assert models.list_models(module=video) == VIDEO_GOLDEN["_list"]
    for name in VIDEO_GOLDEN["_list"]:
        assert models.get_model_builder(name) is getattr(video, name)
        enum = models.get_model_weights(name)
        assert enum is getattr(video, enum.__name__)
        assert enum.DEFAULT is enum.KINETICS400_V1
    for key, want in VIDEO_GOLDEN["_weights"].items():
        w = models.get_weight(key)
        meta = dict(w.meta)
        cats = meta.pop("categories")
        assert w.url == want["url"] and meta == want["meta"]
        assert hashlib.sha256("|".join(cats).encode()).hexdigest()[:16] == want["categories"]
        assert repr(w.transforms()) == want["transforms"]


def test_video_transforms_preset():
    from ember.vision.models import video

    ember.manual_seed(0)
    frames = ember.randint(0, 256, (2, 5, 3, 40, 50), dtype=ember.uint8)
    out = video.R3D_18_Weights.DEFAULT.transforms()(frames)
    assert out.shape == (2, 3, 5, 112, 112) and out.dtype == ember.float32
    one = video.R3D_18_Weights.DEFAULT.transforms()(frames[0])
    np.testing.assert_array_equal(one.numpy(), out[0].numpy())
