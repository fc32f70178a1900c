"""AlexNet (Krizhevsky et al., 2012) in torchvision's one-GPU variant ("One weird trick").

``features``: five convolutions with ReLUs and three 3x3/2 max-pools; ``avgpool`` to
6x6; ``classifier``: Dropout-Linear-ReLU twice, then Linear.  No init of its own:
every layer keeps PyTorch's default initialisation, drawn in construction order.

>>> alexnet(num_classes=10)(ember.randn(1, 3, 64, 64)).shape  # doctest: +SKIP
torch.Size([1, 10])
"""
from __future__ import annotations

import ember

from ... import Tensor, nn
from ._api import WeightsEnum, _ovewrite_named_param, handle_legacy_interface
from ._utils import _hinted, _imagenet_weights, _load

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    """AlexNet with ``num_classes`` outputs and ``dropout`` before the two hidden linears."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    @_hinted
    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))


class AlexNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights(
        "alexnet-owt-7be5be79.pth", 61100840, 56.522, 79.066, 0.714, 233.087,
        recipe="https://github.com/pytorch/vision/tree/main/references/classification"
               "#alexnet-and-vgg",
        min_size=(63, 63), crop_size=224,
        docs="Trained from scratch with a simplified recipe; close to the paper's results.")
    DEFAULT = IMAGENET1K_V1


@handle_legacy_interface(AlexNet_Weights.IMAGENET1K_V1)
def alexnet(*, weights=None, progress: bool = True, **kwargs) -> AlexNet:
    """AlexNet from `One weird trick for parallelizing convolutional neural networks
    <https://arxiv.org/abs/1404.5997>`__; ``weights``: ``AlexNet_Weights`` or None."""
    weights = AlexNet_Weights.verify(weights)
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    return _load(AlexNet(**kwargs), weights, progress)
