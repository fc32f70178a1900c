"""Writes feature_extraction_tv.json, the torchvision 0.29 results that
tests/test_probe_feature_extraction.py compares ember with (torchvision cannot be installed
in the test environment).  Run it with a Python that has torch 2.13 and torchvision 0.29:

    python tests/data/make_feature_extraction_tv.py
"""
import json
import os
import warnings

import torch
from torch import nn
from torchvision import models
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

# name -> builder keyword arguments (the models are built on the meta device, names only; but
# RegNet's builder computes its widths with tensors, which the meta device cannot read back)
MODELS = {
    "resnet18": {}, "mobilenet_v3_small": {}, "vgg11": {}, "densenet121": {},
    "efficientnet_b0": {}, "regnet_y_400mf": {}, "vit_b_16": {"image_size": 32}, "alexnet": {},
    "googlenet": {"init_weights": False}, "swin_t": {}, "r3d_18": {},
    "lraspp_mobilenet_v3_large": {"weights_backbone": None}, "maxvit_t": {}, "swin3d_t": {},
    "mvit_v1_b": {},
}
# model, return_nodes (for create_feature_extractor): the generated code is compared
EXTRACTORS = [
    ("resnet18", {"layer1": "feat1", "layer3": "feat2"}),
    ("resnet18", ["layer1.0.relu_1", "layer2.0", "flatten", "x", "fc"]),
    ("mobilenet_v3_small", {"features.3": "a", "avgpool": "b", "classifier.0": "c"}),
]


class Net(nn.Module):
    """A user's model: functional calls, methods, a parameter and a buffer, repeats."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 4 * 4, 10)
        self.scale = nn.Parameter(torch.ones(1))
        self.register_buffer("offset", torch.zeros(1))

    def forward(self, x):
        x = self.pool(nn.functional.relu(self.conv1(x)))
        y = torch.relu(self.conv2(x)) * self.scale + self.offset
        x = x + y
        x = self.pool(x)
        x = x.view(x.size(0), -1)
        x = torch.cat([x, x], dim=1)[:, :128]
        x = x.mean(dim=0, keepdim=True) + x
        return self.fc(x)


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return [type(e).__name__, str(e)]
    return None


def main():
    out = {"nodes": {}, "code": [], "errors": {}}
    for name, kw in MODELS.items():
        with torch.device("cpu" if name.startswith("regnet") else "meta"):
            m = models.get_model(name, **kw)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            train, eval_ = get_graph_node_names(m)
        out["nodes"][name] = {"train": train, "eval": None if eval_ == train else eval_,
                              "warnings": [str(x.message) for x in w]}
    for name, nodes in EXTRACTORS:
        with torch.device("meta"):
            m = models.get_model(name, **MODELS[name])
        fe = create_feature_extractor(m, nodes)
        fe.eval()
        out["code"].append([name, nodes, fe.code, type(fe).__name__])
    net = Net()
    out["nodes"]["Net"] = {"train": get_graph_node_names(net)[0]}
    fe = create_feature_extractor(net, {"conv1": "c1", "add": "res", "view": "flat",
                                        "fc": "out", "scale": "sc"})
    out["code"].append(["Net", None, fe.code, type(fe).__name__])
    out["net_repr"] = str(fe)
    out["net_state"] = sorted(fe.state_dict())
    with torch.device("meta"):
        g = models.googlenet(init_weights=False)
    out["errors"] = {
        "unknown": _error(lambda: create_feature_extractor(net, ["conv3"])),
        "prefix": _error(lambda: create_feature_extractor(net, {"conv1": "a", "con": "b"})),
        "none": _error(lambda: create_feature_extractor(net)),
        "train_only": _error(lambda: create_feature_extractor(net, train_return_nodes=["fc"])),
        "all_three": _error(lambda: create_feature_extractor(
            net, ["fc"], train_return_nodes=["fc"], eval_return_nodes=["fc"])),
        "eval_missing": _error(lambda: create_feature_extractor(
            g, ["aux1.fc2"], suppress_diff_warning=True)),
        "tuple": _error(lambda: create_feature_extractor(net, ("fc",))),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "feature_extraction_tv.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
