"""S3D (Xie et al., 2017, "Rethinking Spatiotemporal Feature Learning"): Inception
blocks whose 3x3x3 convolutions are split into a 1x3x3 spatial and a 3x1x1 temporal
convolution; torchvision's module names, init (PyTorch's defaults) and weights.

Its 2x7x7 average pool wants clips of at least 14 frames of 224x224.
"""
from __future__ import annotations

from functools import partial

from .... import nn
from ...ops.misc import Conv3dNormActivation
from .._api import Weights, WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._meta import _KINETICS400_CATEGORIES
from ._presets import VideoClassification

__all__ = ["S3D", "S3D_Weights", "s3d"]


class TemporalSeparableConv(nn.Sequential):
    """A ``kernel_size`` cube as a 1xkxk spatial then a kx1x1 temporal conv-norm-ReLU."""

    def __init__(self, in_planes: int, out_planes: int, kernel_size: int, stride: int,
                 padding: int, norm_layer) -> None:
        super().__init__(
            Conv3dNormActivation(in_planes, out_planes, kernel_size=(1, kernel_size, kernel_size),
                                 stride=(1, stride, stride), padding=(0, padding, padding),
                                 bias=False, norm_layer=norm_layer),
            Conv3dNormActivation(out_planes, out_planes, kernel_size=(kernel_size, 1, 1),
                                 stride=(stride, 1, 1), padding=(padding, 0, 0), bias=False,
                                 norm_layer=norm_layer))


class SepInceptionBlock3D(nn.Module):
    """Four branches concatenated on channels: 1x1x1; 1x1x1 then separable 3x3x3 (twice,
    with different widths); 3x3x3 max pool then 1x1x1."""

    def __init__(self, in_planes: int, b0_out: int, b1_mid: int, b1_out: int, b2_mid: int,
                 b2_out: int, b3_out: int, norm_layer) -> None:
        super().__init__()
        unit = partial(Conv3dNormActivation, kernel_size=1, stride=1, norm_layer=norm_layer)
        sep = partial(TemporalSeparableConv, kernel_size=3, stride=1, padding=1,
                      norm_layer=norm_layer)
        self.branch0 = unit(in_planes, b0_out)
        self.branch1 = nn.Sequential(unit(in_planes, b1_mid), sep(b1_mid, b1_out))
        self.branch2 = nn.Sequential(unit(in_planes, b2_mid), sep(b2_mid, b2_out))
        self.branch3 = nn.Sequential(nn.MaxPool3d(kernel_size=(3, 3, 3), stride=1, padding=1),
                                     unit(in_planes, b3_out))

    def forward(self, x):
        import ember

        return ember.cat((self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)), 1)


class S3D(nn.Module):
    def __init__(self, num_classes: int = 400, dropout: float = 0.2, norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm3d, eps=0.001, momentum=0.001)
        block = partial(SepInceptionBlock3D, norm_layer=norm_layer)
        pool_hw = partial(nn.MaxPool3d, kernel_size=(1, 3, 3), stride=(1, 2, 2),
                          padding=(0, 1, 1))
        self.features = nn.Sequential(
            TemporalSeparableConv(3, 64, 7, 2, 3, norm_layer),
            pool_hw(),
            Conv3dNormActivation(64, 64, kernel_size=1, stride=1, norm_layer=norm_layer),
            TemporalSeparableConv(64, 192, 3, 1, 1, norm_layer),
            pool_hw(),
            block(192, 64, 96, 128, 16, 32, 32),
            block(256, 128, 128, 192, 32, 96, 64),
            nn.MaxPool3d(kernel_size=(3, 3, 3), stride=(2, 2, 2), padding=(1, 1, 1)),
            block(480, 192, 96, 208, 16, 48, 64),
            block(512, 160, 112, 224, 24, 64, 64),
            block(512, 128, 128, 256, 24, 64, 64),
            block(512, 112, 144, 288, 32, 64, 64),
            block(528, 256, 160, 320, 32, 128, 128),
            nn.MaxPool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0)),
            block(832, 256, 160, 320, 32, 128, 128),
            block(832, 384, 192, 384, 48, 128, 128),
        )
        self.avgpool = nn.AvgPool3d(kernel_size=(2, 7, 7), stride=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Conv3d(1024, num_classes, kernel_size=1, stride=1, bias=True))

    def forward(self, x):
        x = self.classifier(self.avgpool(self.features(x)))
        return x.mean(dim=(2, 3, 4))


class S3D_Weights(WeightsEnum):
    KINETICS400_V1 = Weights(
        url="https://download.pytorch.org/models/s3d-d76dad2f.pth",
        transforms=partial(VideoClassification, crop_size=(224, 224), resize_size=(256, 256)),
        meta={
            "min_size": (224, 224), "min_temporal_size": 14,
            "categories": _KINETICS400_CATEGORIES,
            "recipe": "https://github.com/pytorch/vision/tree/main/references/"
                      "video_classification#s3d",
            "_docs": ("The weights aim to approximate the accuracy of the paper. The accuracies "
                      "are estimated on clip-level with parameters `frame_rate=15`, "
                      "`clips_per_video=1`, and `clip_len=128`."),
            "num_params": 8320048,
            "_metrics": {"Kinetics-400": {"acc@1": 68.368, "acc@5": 88.050}},
            "_ops": 17.979, "_file_size": 31.972,
        })
    DEFAULT = KINETICS400_V1


@handle_legacy_interface(S3D_Weights.KINETICS400_V1)
def s3d(*, weights=None, progress: bool = True, **kwargs) -> S3D:
    """S3D from `Rethinking Spatiotemporal Feature Learning
    <https://arxiv.org/abs/1712.04851>`__; ``weights``: ``S3D_Weights`` member or name, or
    None (random init); other keywords go to :class:`S3D`."""
    weights = S3D_Weights.verify(weights)
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = S3D(**kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
