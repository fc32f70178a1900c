"""Video ResNets of Tran et al. (2018), "A Closer Look at Spatiotemporal Convolutions for
Action Recognition", with torchvision's module names, init and Kinetics-400 weights.

All three are 18-layer ResNets on clips ``(N, 3, T, H, W)``; they differ in the 3-D
convolution each stage uses:

- ``r3d_18``: full 3x3x3 convolutions everywhere;
- ``mc3_18``: 3x3x3 in the first stage, then 1x3x3 (spatial only, "mixed convolutions");
- ``r2plus1d_18``: each 3x3x3 split into a 1x3x3 spatial and a 3x1x1 temporal convolution
  with batch norm and ReLU between, the middle width chosen to keep the parameter count.
"""
from __future__ import annotations

from functools import partial

from .... import Tensor, nn
from .._api import Weights, WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from .._utils import _hinted
from ._meta import _KINETICS400_CATEGORIES
from ._presets import VideoClassification

__all__ = ["MC3_18_Weights", "R2Plus1D_18_Weights", "R3D_18_Weights", "VideoResNet", "mc3_18",
           "r2plus1d_18", "r3d_18"]


class Conv3DSimple(nn.Conv3d):
    """A 3x3x3 convolution (``midplanes`` unused)."""

    def __init__(self, in_planes: int, out_planes: int, midplanes=None, stride: int = 1,
                 padding: int = 1) -> None:
        super().__init__(in_channels=in_planes, out_channels=out_planes, kernel_size=(3, 3, 3),
                         stride=stride, padding=padding, bias=False)

    @staticmethod
    def get_downsample_stride(stride: int) -> tuple[int, int, int]:
        return stride, stride, stride


class Conv2Plus1D(nn.Sequential):
    """1x3x3 spatial convolution to ``midplanes``, batch norm, ReLU, 3x1x1 temporal one."""

    def __init__(self, in_planes: int, out_planes: int, midplanes: int, stride: int = 1,
                 padding: int = 1) -> None:
        super().__init__(
            nn.Conv3d(in_planes, midplanes, kernel_size=(1, 3, 3), stride=(1, stride, stride),
                      padding=(0, padding, padding), bias=False),
            nn.BatchNorm3d(midplanes),
            nn.ReLU(inplace=True),
            nn.Conv3d(midplanes, out_planes, kernel_size=(3, 1, 1), stride=(stride, 1, 1),
                      padding=(padding, 0, 0), bias=False))

    @staticmethod
    def get_downsample_stride(stride: int) -> tuple[int, int, int]:
        return stride, stride, stride


class Conv3DNoTemporal(nn.Conv3d):
    """A 1x3x3 convolution: strides and pads only the spatial dimensions."""

    def __init__(self, in_planes: int, out_planes: int, midplanes=None, stride: int = 1,
                 padding: int = 1) -> None:
        super().__init__(in_channels=in_planes, out_channels=out_planes, kernel_size=(1, 3, 3),
                         stride=(1, stride, stride), padding=(0, padding, padding), bias=False)

    @staticmethod
    def get_downsample_stride(stride: int) -> tuple[int, int, int]:
        return 1, stride, stride


def _midplanes(inplanes: int, planes: int) -> int:
    """The (2+1)D middle width whose two convolutions hold as many weights as one 3x3x3."""
    return (inplanes * planes * 27) // (inplanes * 9 + 3 * planes)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, conv_builder, stride: int = 1,
                 downsample=None) -> None:
        mid = _midplanes(inplanes, planes)
        super().__init__()
        self.conv1 = nn.Sequential(conv_builder(inplanes, planes, mid, stride),
                                   nn.BatchNorm3d(planes), nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(conv_builder(planes, planes, mid), nn.BatchNorm3d(planes))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.conv2(self.conv1(x))
        # (the shortcut after the convolutions, as torchvision: FX node order follows it)
        shortcut = x if self.downsample is None else self.downsample(x)
        out += shortcut
        return self.relu(out)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, conv_builder, stride: int = 1,
                 downsample=None) -> None:
        super().__init__()
        mid = _midplanes(inplanes, planes)
        self.conv1 = nn.Sequential(nn.Conv3d(inplanes, planes, kernel_size=1, bias=False),
                                   nn.BatchNorm3d(planes), nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(conv_builder(planes, planes, mid, stride),
                                   nn.BatchNorm3d(planes), nn.ReLU(inplace=True))
        self.conv3 = nn.Sequential(
            nn.Conv3d(planes, planes * self.expansion, kernel_size=1, bias=False),
            nn.BatchNorm3d(planes * self.expansion))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.conv3(self.conv2(self.conv1(x)))
        shortcut = x if self.downsample is None else self.downsample(x)
        out += shortcut
        return self.relu(out)


class BasicStem(nn.Sequential):
    """3x7x7 convolution (spatial stride 2), batch norm, ReLU."""

    def __init__(self) -> None:
        super().__init__(
            nn.Conv3d(3, 64, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3),
                      bias=False),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True))


class R2Plus1dStem(nn.Sequential):
    """The (2+1)D stem: 1x7x7 to 45 channels, then 3x1x1 to 64, each with norm and ReLU."""

    def __init__(self) -> None:
        super().__init__(
            nn.Conv3d(3, 45, kernel_size=(1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3),
                      bias=False),
            nn.BatchNorm3d(45),
            nn.ReLU(inplace=True),
            nn.Conv3d(45, 64, kernel_size=(3, 1, 1), stride=(1, 1, 1), padding=(1, 0, 0),
                      bias=False),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True))


class VideoResNet(nn.Module):
    """``stem``, four stages of ``block`` (each with its ``conv_makers`` entry), global
    average pooling over time and space, and a linear classifier."""

    def __init__(self, block, conv_makers, layers: list[int], stem, num_classes: int = 400,
                 zero_init_residual: bool = False) -> None:
        super().__init__()
        self.inplanes = 64
        self.stem = stem()
        self.layer1 = self._make_layer(block, conv_makers[0], 64, layers[0], stride=1)
        self.layer2 = self._make_layer(block, conv_makers[1], 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, conv_makers[2], 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, conv_makers[3], 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        # torchvision's init, module by module in registration order (the draws follow it)
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    # NOTE: as torchvision, which names a ``bn3`` these blocks lack
                    nn.init.constant_(m.bn3.weight, 0)

    def _make_layer(self, block, conv_builder, planes: int, blocks: int,
                    stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv3d(self.inplanes, planes * block.expansion, kernel_size=1,
                          stride=conv_builder.get_downsample_stride(stride), bias=False),
                nn.BatchNorm3d(planes * block.expansion))
        layers = [block(self.inplanes, planes, conv_builder, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, conv_builder) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        x = self.stem(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _video_resnet(block, conv_makers, layers, stem, weights, progress: bool,
                  **kwargs) -> VideoResNet:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = VideoResNet(block, conv_makers, layers, stem, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


_COMMON_META = {
    "min_size": (1, 1), "categories": _KINETICS400_CATEGORIES,
    "recipe": "https://github.com/pytorch/vision/tree/main/references/video_classification",
    "_docs": ("The weights reproduce closely the accuracy of the paper. The accuracies are "
              "estimated on video-level with parameters `frame_rate=15`, `clips_per_video=5`, "
              "and `clip_len=16`."),
}


def _kinetics(file: str, num_params: int, acc1: float, acc5: float, ops: float,
              size: float) -> Weights:
    return Weights(url="https://download.pytorch.org/models/" + file,
                   transforms=partial(VideoClassification, crop_size=(112, 112),
                                      resize_size=(128, 171)),
                   meta={**_COMMON_META, "num_params": num_params,
                         "_metrics": {"Kinetics-400": {"acc@1": acc1, "acc@5": acc5}},
                         "_ops": ops, "_file_size": size})


class R3D_18_Weights(WeightsEnum):
    KINETICS400_V1 = _kinetics("r3d_18-b3b3357e.pth", 33371472, 63.200, 83.479, 40.697,
                               127.359)
    DEFAULT = KINETICS400_V1


class MC3_18_Weights(WeightsEnum):
    KINETICS400_V1 = _kinetics("mc3_18-a90a0ba3.pth", 11695440, 63.960, 84.130, 43.343,
                               44.672)
    DEFAULT = KINETICS400_V1


class R2Plus1D_18_Weights(WeightsEnum):
    KINETICS400_V1 = _kinetics("r2plus1d_18-91a641e6.pth", 31505325, 67.463, 86.175, 40.519,
                               120.318)
    DEFAULT = KINETICS400_V1


def _builder(conv_makers, stem, weights_enum, name: str, what: str):
    @handle_legacy_interface(weights_enum.KINETICS400_V1)
    def build(*, weights=None, progress: bool = True, **kwargs) -> VideoResNet:
        weights = weights_enum.verify(weights)
        return _video_resnet(BasicBlock, conv_makers, [2, 2, 2, 2], stem, weights, progress,
                             **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"{what} from `A Closer Look at Spatiotemporal Convolutions for Action "
                     "Recognition <https://arxiv.org/abs/1711.11248>`__.\n\n"
                     f"    ``weights``: ``{weights_enum.__name__}`` member or name, or None "
                     "(random init); other keywords go to :class:`VideoResNet`.")
    return build


r3d_18 = _builder([Conv3DSimple] * 4, BasicStem, R3D_18_Weights, "r3d_18",
                  "The 18-layer 3-D ResNet (R3D)")
mc3_18 = _builder([Conv3DSimple] + [Conv3DNoTemporal] * 3, BasicStem, MC3_18_Weights,
                  "mc3_18", "The 18-layer mixed-convolution ResNet (MC3)")
r2plus1d_18 = _builder([Conv2Plus1D] * 4, R2Plus1dStem, R2Plus1D_18_Weights, "r2plus1d_18",
                       "The 18-layer (2+1)D ResNet (R(2+1)D)")
