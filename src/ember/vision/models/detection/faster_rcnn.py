"""Faster R-CNN (Ren et al., 2015) with torchvision's names, structure and weights.

``FasterRCNN`` wires a backbone with ``out_channels`` to an ``RegionProposalNetwork`` and
``RoIHeads`` (``MultiScaleRoIAlign`` 7x7 -> ``TwoMLPHead`` -> ``FastRCNNPredictor``) behind
a ``GeneralizedRCNNTransform``.  ``fasterrcnn_resnet50_fpn`` is the model of PyTorch's
object detection finetuning tutorial: replace ``model.roi_heads.box_predictor`` with a
``FastRCNNPredictor(in_features, num_classes)`` to train it on new classes.
"""
from __future__ import annotations

from typing import Any, Callable


from .... import nn
from ....nn import functional as F
from ...ops import misc as misc_nn_ops
from ...ops.poolers import MultiScaleRoIAlign
from .._api import Weights, WeightsEnum
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from ..resnet import ResNet50_Weights, resnet50
from ..segmentation._utils import _handle_legacy, _ovewrite_value_param
from ._utils import _COCO_CATEGORIES, ObjectDetection, overwrite_eps
from .anchor_utils import AnchorGenerator
from .backbone_utils import (_mobilenet_extractor, _resnet50_fpn, _resnet_fpn_extractor,
                             _validate_trainable_layers)
from .generalized_rcnn import GeneralizedRCNN
from .roi_heads import RoIHeads
from .rpn import RegionProposalNetwork, RPNHead
from .transform import imagenet_transform

__all__ = ["FasterRCNN", "FasterRCNN_ResNet50_FPN_Weights", "FasterRCNN_ResNet50_FPN_V2_Weights",
           "FasterRCNN_MobileNet_V3_Large_FPN_Weights",
           "FasterRCNN_MobileNet_V3_Large_320_FPN_Weights", "fasterrcnn_resnet50_fpn",
           "fasterrcnn_resnet50_fpn_v2", "fasterrcnn_mobilenet_v3_large_fpn",
           "fasterrcnn_mobilenet_v3_large_320_fpn"]


def _default_anchorgen() -> AnchorGenerator:
    sizes = ((32,), (64,), (128,), (256,), (512,))
    return AnchorGenerator(sizes, ((0.5, 1.0, 2.0),) * len(sizes))


class FasterRCNN(GeneralizedRCNN):
    """Faster R-CNN over ``backbone`` (which must have ``out_channels``; it returns one map
    or an ordered dict of maps).  ``num_classes`` counts the background; give it or a
    ``box_predictor``, not both.  The keyword parameters are torchvision's: ``min_size`` /
    ``max_size`` of the resize, ``rpn_*`` for the proposals, ``box_*`` for the
    detections, and modules to replace the defaults (``rpn_anchor_generator``,
    ``rpn_head``, ``box_roi_pool``, ``box_head``, ``box_predictor``)."""

    def __init__(self, backbone, num_classes=None, min_size=800, max_size=1333,
                 image_mean=None, image_std=None, rpn_anchor_generator=None, rpn_head=None,
                 rpn_pre_nms_top_n_train=2000, rpn_pre_nms_top_n_test=1000,
                 rpn_post_nms_top_n_train=2000, rpn_post_nms_top_n_test=1000,
                 rpn_nms_thresh=0.7, rpn_fg_iou_thresh=0.7, rpn_bg_iou_thresh=0.3,
                 rpn_batch_size_per_image=256, rpn_positive_fraction=0.5,
                 rpn_score_thresh=0.0, box_roi_pool=None, box_head=None, box_predictor=None,
                 box_score_thresh=0.05, box_nms_thresh=0.5, box_detections_per_img=100,
                 box_fg_iou_thresh=0.5, box_bg_iou_thresh=0.5, box_batch_size_per_image=512,
                 box_positive_fraction=0.25, bbox_reg_weights=None, **kwargs) -> None:
        if not hasattr(backbone, "out_channels"):
            raise ValueError("backbone should contain an attribute out_channels specifying the "
                             "number of output channels (assumed to be the same for all the "
                             "levels)")
        if not isinstance(rpn_anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError("rpn_anchor_generator should be of type AnchorGenerator or None "
                            f"instead of {type(rpn_anchor_generator)}")
        if not isinstance(box_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError("box_roi_pool should be of type MultiScaleRoIAlign or None instead "
                            f"of {type(box_roi_pool)}")
        if num_classes is not None:
            if box_predictor is not None:
                raise ValueError("num_classes should be None when box_predictor is specified")
        elif box_predictor is None:
            raise ValueError("num_classes should not be None when box_predictor is not "
                             "specified")
        out_channels = backbone.out_channels
        if rpn_anchor_generator is None:
            rpn_anchor_generator = _default_anchorgen()
        if rpn_head is None:
            rpn_head = RPNHead(out_channels, rpn_anchor_generator.num_anchors_per_location()[0])
        rpn = RegionProposalNetwork(
            rpn_anchor_generator, rpn_head, rpn_fg_iou_thresh, rpn_bg_iou_thresh,
            rpn_batch_size_per_image, rpn_positive_fraction,
            dict(training=rpn_pre_nms_top_n_train, testing=rpn_pre_nms_top_n_test),
            dict(training=rpn_post_nms_top_n_train, testing=rpn_post_nms_top_n_test),
            rpn_nms_thresh, score_thresh=rpn_score_thresh)
        if box_roi_pool is None:
            box_roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"],
                                              output_size=7, sampling_ratio=2)
        if box_head is None:
            resolution = box_roi_pool.output_size[0]
            box_head = TwoMLPHead(out_channels * resolution ** 2, 1024)
        if box_predictor is None:
            box_predictor = FastRCNNPredictor(1024, num_classes)
        roi_heads = RoIHeads(box_roi_pool, box_head, box_predictor, box_fg_iou_thresh,
                             box_bg_iou_thresh, box_batch_size_per_image, box_positive_fraction,
                             bbox_reg_weights, box_score_thresh, box_nms_thresh,
                             box_detections_per_img)
        transform = imagenet_transform(min_size, max_size, image_mean, image_std, **kwargs)
        super().__init__(backbone, rpn, roi_heads, transform)


class TwoMLPHead(nn.Module):
    """Flatten, then ``fc6`` and ``fc7`` (Linear + ReLU each)."""

    def __init__(self, in_channels: int, representation_size: int) -> None:
        super().__init__()
        self.fc6 = nn.Linear(in_channels, representation_size)
        self.fc7 = nn.Linear(representation_size, representation_size)

    def forward(self, x):
        x = x.flatten(start_dim=1)
        return F.relu(self.fc7(F.relu(self.fc6(x))))


class FastRCNNConvFCHead(nn.Sequential):
    """``conv_layers`` 3x3 Conv-norm-ReLU blocks, Flatten, then Linear + ReLU per entry of
    ``fc_layers`` (the v2 models' box head)."""

    def __init__(self, input_size: tuple[int, int, int], conv_layers: list[int],
                 fc_layers: list[int], norm_layer: Callable[..., nn.Module] | None = None):
        in_channels, in_height, in_width = input_size
        blocks: list[nn.Module] = []
        prev = in_channels
        for ch in conv_layers:
            blocks.append(misc_nn_ops.Conv2dNormActivation(prev, ch, norm_layer=norm_layer))
            prev = ch
        blocks.append(nn.Flatten())
        prev = prev * in_height * in_width
        for ch in fc_layers:
            blocks.append(nn.Linear(prev, ch))
            blocks.append(nn.ReLU(inplace=True))
            prev = ch
        super().__init__(*blocks)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)


class FastRCNNPredictor(nn.Module):
    """Class scores (``cls_score``) and per-class box offsets (``bbox_pred``) from each
    RoI's feature vector."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.cls_score = nn.Linear(in_channels, num_classes)
        self.bbox_pred = nn.Linear(in_channels, num_classes * 4)

    def forward(self, x):
        if x.dim() == 4 and list(x.shape[2:]) != [1, 1]:
            raise AssertionError("x has the wrong shape, expecting the last two dimensions to "
                                 f"be [1,1] instead of {list(x.shape[2:])}")
        x = x.flatten(start_dim=1)
        return self.cls_score(x), self.bbox_pred(x)


_COMMON_META = {"categories": _COCO_CATEGORIES, "min_size": (1, 1)}
_URL = "https://download.pytorch.org/models/"
_PAPER_DOCS = "These weights were produced by following a similar training recipe as on the paper."
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/detection#"


def _coco_weights(file: str, num_params: int, box_map: float, ops: float, file_size: float,
                  recipe: str, docs: str = _PAPER_DOCS, **metrics) -> Weights:
    return Weights(url=_URL + file, transforms=ObjectDetection,
                   meta={**_COMMON_META, "num_params": num_params, "recipe": recipe,
                         "_metrics": {"COCO-val2017": {"box_map": box_map, **metrics}},
                         "_ops": ops, "_file_size": file_size, "_docs": docs})


class FasterRCNN_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("fasterrcnn_resnet50_fpn_coco-258fb6c6.pth", 41755286, 37.0,
                            134.38, 159.743, _RECIPE + "faster-r-cnn-resnet-50-fpn")
    DEFAULT = COCO_V1


class FasterRCNN_ResNet50_FPN_V2_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth", 43712278, 46.7,
                            280.371, 167.104, "https://github.com/pytorch/vision/pull/5763",
                            "These weights were produced using an enhanced training recipe to "
                            "boost the model accuracy.")
    DEFAULT = COCO_V1


class FasterRCNN_MobileNet_V3_Large_FPN_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth", 19386354, 32.8,
                            4.494, 74.239, _RECIPE + "faster-r-cnn-mobilenetv3-large-fpn")
    DEFAULT = COCO_V1


class FasterRCNN_MobileNet_V3_Large_320_FPN_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("fasterrcnn_mobilenet_v3_large_320_fpn-907ea3f9.pth", 19386354,
                            22.8, 0.719, 74.239,
                            _RECIPE + "faster-r-cnn-mobilenetv3-large-320-fpn")
    DEFAULT = COCO_V1


def _prepare(weights, weights_backbone, num_classes, default_classes: int = 91):
    """torchvision's rules: with ``weights`` the backbone's weights are not loaded and the
    classes are the weights'; without, ``num_classes`` defaults to 91 (COCO)."""
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
    elif num_classes is None:
        num_classes = default_classes
    return weights_backbone, num_classes


def _load(model, weights, progress: bool):
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


@_handle_legacy(weights=("pretrained", FasterRCNN_ResNet50_FPN_Weights.COCO_V1),
                weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def fasterrcnn_resnet50_fpn(*, weights=None, progress: bool = True,
                            num_classes: int | None = None,
                            weights_backbone=ResNet50_Weights.IMAGENET1K_V1,
                            trainable_backbone_layers: int | None = None,
                            **kwargs: Any) -> FasterRCNN:
    """Faster R-CNN with a ResNet-50-FPN backbone (`Faster R-CNN: Towards Real-Time Object
    Detection with Region Proposal Networks <https://arxiv.org/abs/1506.01497>`_).

    ``weights``: ``FasterRCNN_ResNet50_FPN_Weights`` or None; ``weights_backbone``:
    ``ResNet50_Weights`` or None; ``num_classes`` (91, background included);
    ``trainable_backbone_layers`` (0-5, default 3 with pretrained weights, else 5).  With
    pretrained weights the backbone's batch norms are ``FrozenBatchNorm2d``.  Other
    keywords go to ``FasterRCNN``.
    """
    weights = FasterRCNN_ResNet50_FPN_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    weights_backbone, num_classes = _prepare(weights, weights_backbone, num_classes)
    backbone = _resnet50_fpn(weights, weights_backbone, trainable_backbone_layers, progress)
    model = _load(FasterRCNN(backbone, num_classes=num_classes, **kwargs), weights, progress)
    if weights == FasterRCNN_ResNet50_FPN_Weights.COCO_V1:
        overwrite_eps(model, 0.0)
    return model


@_handle_legacy(weights=("pretrained", FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1),
                weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def fasterrcnn_resnet50_fpn_v2(*, weights=None, progress: bool = True,
                               num_classes: int | None = None, weights_backbone=None,
                               trainable_backbone_layers: int | None = None,
                               **kwargs: Any) -> FasterRCNN:
    """Faster R-CNN v2 (`Benchmarking Detection Transfer Learning with Vision Transformers
    <https://arxiv.org/abs/2111.11429>`_): ResNet-50-FPN with batch norm in the FPN, a
    two-conv RPN head and a four-conv + one-FC box head."""
    weights = FasterRCNN_ResNet50_FPN_V2_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    weights_backbone, num_classes = _prepare(weights, weights_backbone, num_classes)
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers,
                                                           5, 3)
    backbone = resnet50(weights=weights_backbone, progress=progress)
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers,
                                     norm_layer=nn.BatchNorm2d)
    anchor_gen = _default_anchorgen()
    rpn_head = RPNHead(backbone.out_channels, anchor_gen.num_anchors_per_location()[0],
                       conv_depth=2)
    box_head = FastRCNNConvFCHead((backbone.out_channels, 7, 7), [256, 256, 256, 256], [1024],
                                  norm_layer=nn.BatchNorm2d)
    model = FasterRCNN(backbone, num_classes=num_classes, rpn_anchor_generator=anchor_gen,
                       rpn_head=rpn_head, box_head=box_head, **kwargs)
    return _load(model, weights, progress)


def _fasterrcnn_mobilenet_v3_large_fpn(*, weights, progress: bool, num_classes,
                                       weights_backbone, trainable_backbone_layers,
                                       **kwargs: Any) -> FasterRCNN:
    weights_backbone, num_classes = _prepare(weights, weights_backbone, num_classes)
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers,
                                                           6, 3)
    norm_layer = misc_nn_ops.FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
    backbone = mobilenet_v3_large(weights=weights_backbone, progress=progress,
                                  norm_layer=norm_layer)
    backbone = _mobilenet_extractor(backbone, True, trainable_backbone_layers)
    sizes = ((32, 64, 128, 256, 512),) * 3
    anchor_gen = AnchorGenerator(sizes, ((0.5, 1.0, 2.0),) * len(sizes))
    model = FasterRCNN(backbone, num_classes, rpn_anchor_generator=anchor_gen, **kwargs)
    return _load(model, weights, progress)


@_handle_legacy(weights=("pretrained", FasterRCNN_MobileNet_V3_Large_320_FPN_Weights.COCO_V1),
                weights_backbone=("pretrained_backbone", MobileNet_V3_Large_Weights.IMAGENET1K_V1))
def fasterrcnn_mobilenet_v3_large_320_fpn(
        *, weights=None, progress: bool = True, num_classes: int | None = None,
        weights_backbone=MobileNet_V3_Large_Weights.IMAGENET1K_V1,
        trainable_backbone_layers: int | None = None, **kwargs: Any) -> FasterRCNN:
    """Low-resolution Faster R-CNN with a MobileNetV3-Large FPN backbone (images resized to
    320 on the short side, 150 proposals)."""
    weights = FasterRCNN_MobileNet_V3_Large_320_FPN_Weights.verify(weights)
    weights_backbone = MobileNet_V3_Large_Weights.verify(weights_backbone)
    defaults = {"min_size": 320, "max_size": 640, "rpn_pre_nms_top_n_test": 150,
                "rpn_post_nms_top_n_test": 150, "rpn_score_thresh": 0.05}
    return _fasterrcnn_mobilenet_v3_large_fpn(
        weights=weights, progress=progress, num_classes=num_classes,
        weights_backbone=weights_backbone, trainable_backbone_layers=trainable_backbone_layers,
        **{**defaults, **kwargs})


@_handle_legacy(weights=("pretrained", FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1),
                weights_backbone=("pretrained_backbone", MobileNet_V3_Large_Weights.IMAGENET1K_V1))
def fasterrcnn_mobilenet_v3_large_fpn(
        *, weights=None, progress: bool = True, num_classes: int | None = None,
        weights_backbone=MobileNet_V3_Large_Weights.IMAGENET1K_V1,
        trainable_backbone_layers: int | None = None, **kwargs: Any) -> FasterRCNN:
    """Faster R-CNN with a MobileNetV3-Large FPN backbone."""
    weights = FasterRCNN_MobileNet_V3_Large_FPN_Weights.verify(weights)
    weights_backbone = MobileNet_V3_Large_Weights.verify(weights_backbone)
    return _fasterrcnn_mobilenet_v3_large_fpn(
        weights=weights, progress=progress, num_classes=num_classes,
        weights_backbone=weights_backbone, trainable_backbone_layers=trainable_backbone_layers,
        **{"rpn_score_thresh": 0.05, **kwargs})
