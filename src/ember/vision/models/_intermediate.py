"""``IntermediateLayerGetter``: run a model's top-level children in order and hand back the
outputs of the ones asked for (torchvision.models._utils)."""
from __future__ import annotations

from collections import OrderedDict

from ... import nn

__all__ = ["IntermediateLayerGetter"]


class IntermediateLayerGetter(nn.ModuleDict):
    """The children of ``model`` up to the last one named in ``return_layers``, as a
    ``ModuleDict``; calling it runs them one after the other and returns an ``OrderedDict``
    mapping ``return_layers[name]`` to the output of child ``name``.

    Only direct children can be asked for, and the model must use its children in the order
    they were registered, each once (a ResNet's ``layer4`` can be returned, its
    ``layer4.0`` cannot; the ``fc`` after the last asked-for child is dropped).

    >>> body = IntermediateLayerGetter(resnet18(), {"layer1": "feat1", "layer3": "feat2"})
    >>> [(k, v.shape) for k, v in body(ember.rand(1, 3, 224, 224)).items()]  # doctest: +SKIP
    [('feat1', torch.Size([1, 64, 56, 56])), ('feat2', torch.Size([1, 256, 14, 14]))]
    """

    _version = 2

    def __init__(self, model: nn.Module, return_layers: dict[str, str]) -> None:
        children = [name for name, _ in model.named_children()]
        if not set(return_layers).issubset(children):
            raise ValueError("return_layers are not present in model")
        wanted = {str(k) for k in return_layers}
        layers: OrderedDict = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            wanted.discard(name)
            if not wanted:
                break
        super().__init__(layers)
        self.return_layers = return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out
