"""torchvision.models beyond VGG/ResNet, and torchvision.ops, against references.

torchvision itself is not installed in CI, so the references are: the same networks written
out here on torch.nn with torchvision's structure, names and init loops (repr, state-dict
keys, seeded parameters bit for bit, eval-mode outputs); NumPy re-statements of the box and
RoI algorithms; and a few literal values taken from torchvision 0.29.1 (marked as such).
"""
from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest

import ember
from ember.vision import models, ops

torch = pytest.importorskip("torch")
tnn = torch.nn


# -- torchvision's building blocks, written out on torch.nn ----------------------------------

class Conv2dNormActivation(tnn.Sequential):
    def __init__(self, cin, cout, k=3, s=1, groups=1, norm=tnn.BatchNorm2d, act=tnn.ReLU):
        layers = [tnn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=groups, bias=norm is None)]
        if norm is not None:
            layers.append(norm(cout))
        if act is not None:
            layers.append(act(inplace=True))
        super().__init__(*layers)


class SqueezeExcitation(tnn.Module):
    def __init__(self, cin, csq, act=tnn.ReLU, scale=tnn.Sigmoid):
        super().__init__()
        self.avgpool = tnn.AdaptiveAvgPool2d(1)
        self.fc1 = tnn.Conv2d(cin, csq, 1)
        self.fc2 = tnn.Conv2d(csq, cin, 1)
        self.activation = act()
        self.scale_activation = scale()

    def forward(self, x):
        return self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x))))) * x


class StochasticDepth(tnn.Module):  # identity in eval mode
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return x

    def __repr__(self):
        return f"StochasticDepth(p={self.p}, mode=row)"


def init_mobilenet(model, linear="normal"):
    """torchvision's init loop of MobileNetV2/V3 (linear="normal") and EfficientNet."""
    for m in model.modules():
        if isinstance(m, tnn.Conv2d):
            tnn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                tnn.init.zeros_(m.bias)
        elif isinstance(m, tnn.BatchNorm2d):
            tnn.init.ones_(m.weight)
            tnn.init.zeros_(m.bias)
        elif isinstance(m, tnn.Linear):
            if linear == "normal":
                tnn.init.normal_(m.weight, 0, 0.01)
            else:
                r = 1.0 / math.sqrt(m.out_features)
                tnn.init.uniform_(m.weight, -r, r)
            tnn.init.zeros_(m.bias)


class Residual(tnn.Module):
    """Base of the reference blocks: ``block`` plus the input where the shapes agree."""

    def forward(self, x):
        out = getattr(self, self._body)(x)
        return out + x if self.res else out


def ref_mobilenet_v2(num_classes):
    class InvertedResidual(Residual):
        _body = "conv"

        def __init__(self, cin, cout, stride, t):
            super().__init__()
            hid = cin * t
            layers = [] if t == 1 else [Conv2dNormActivation(cin, hid, 1, act=tnn.ReLU6)]
            layers += [Conv2dNormActivation(hid, hid, 3, stride, groups=hid, act=tnn.ReLU6),
                       tnn.Conv2d(hid, cout, 1, 1, 0, bias=False), tnn.BatchNorm2d(cout)]
            self.conv = tnn.Sequential(*layers)
            self.res = stride == 1 and cin == cout

    class MobileNetV2(tnn.Module):
        def __init__(self):
            super().__init__()
            feats, cin = [Conv2dNormActivation(3, 32, 3, 2, act=tnn.ReLU6)], 32
            for t, c, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2],
                               [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]:
                for i in range(n):
                    feats.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                    cin = c
            feats.append(Conv2dNormActivation(cin, 1280, 1, act=tnn.ReLU6))
            self.features = tnn.Sequential(*feats)
            self.classifier = tnn.Sequential(tnn.Dropout(0.2), tnn.Linear(1280, num_classes))
            init_mobilenet(self)

        def forward(self, x):
            return self.classifier(self.features(x).mean((2, 3)))

    return MobileNetV2()


def ref_mobilenet_v3_small(num_classes):
    norm = partial(tnn.BatchNorm2d, eps=0.001, momentum=0.01)

    class InvertedResidual(Residual):
        _body = "block"

        def __init__(self, cin, k, exp, cout, sq, hs, stride):
            super().__init__()
            act = tnn.Hardswish if hs else tnn.ReLU
            layers = [] if exp == cin else [Conv2dNormActivation(cin, exp, 1, norm=norm, act=act)]
            layers.append(Conv2dNormActivation(exp, exp, k, stride, groups=exp, norm=norm, act=act))
            if sq:
                layers.append(SqueezeExcitation(exp, sq, scale=tnn.Hardsigmoid))
            layers.append(Conv2dNormActivation(exp, cout, 1, norm=norm, act=None))
            self.block = tnn.Sequential(*layers)
            self.res = stride == 1 and cin == cout

    class MobileNetV3(tnn.Module):
        def __init__(self):
            super().__init__()
            feats = [Conv2dNormActivation(3, 16, 3, 2, norm=norm, act=tnn.Hardswish)]
            # (in, kernel, expanded, out, squeeze channels or 0, hardswish, stride)
            for cfg in [(16, 3, 16, 16, 8, 0, 2), (16, 3, 72, 24, 0, 0, 2),
                        (24, 3, 88, 24, 0, 0, 1), (24, 5, 96, 40, 24, 1, 2),
                        (40, 5, 240, 40, 64, 1, 1), (40, 5, 240, 40, 64, 1, 1),
                        (40, 5, 120, 48, 32, 1, 1), (48, 5, 144, 48, 40, 1, 1),
                        (48, 5, 288, 96, 72, 1, 2), (96, 5, 576, 96, 144, 1, 1),
                        (96, 5, 576, 96, 144, 1, 1)]:
                feats.append(InvertedResidual(*cfg))
            feats.append(Conv2dNormActivation(96, 576, 1, norm=norm, act=tnn.Hardswish))
            self.features = tnn.Sequential(*feats)
            self.avgpool = tnn.AdaptiveAvgPool2d(1)
            self.classifier = tnn.Sequential(tnn.Linear(576, 1024), tnn.Hardswish(inplace=True),
                                             tnn.Dropout(0.2, inplace=True),
                                             tnn.Linear(1024, num_classes))
            init_mobilenet(self)

        def forward(self, x):
            return self.classifier(self.avgpool(self.features(x)).flatten(1))

    return MobileNetV3()


def ref_efficientnet_b0(num_classes):
    class MBConv(Residual):
        _body = "block"

        def __init__(self, t, k, stride, cin, cout, p):
            super().__init__()
            exp = cin * t
            layers = [] if exp == cin else [Conv2dNormActivation(cin, exp, 1, act=tnn.SiLU)]
            layers += [Conv2dNormActivation(exp, exp, k, stride, groups=exp, act=tnn.SiLU),
                       SqueezeExcitation(exp, max(1, cin // 4),
                                         act=partial(tnn.SiLU, inplace=True)),
                       Conv2dNormActivation(exp, cout, 1, act=None)]
            self.block = tnn.Sequential(*layers)
            self.stochastic_depth = StochasticDepth(p)
            self.res = stride == 1 and cin == cout

    class EfficientNet(tnn.Module):
        def __init__(self):
            super().__init__()
            feats = [Conv2dNormActivation(3, 32, 3, 2, act=tnn.SiLU)]
            stages = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
                      (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
                      (6, 3, 1, 192, 320, 1)]
            block_id = 0
            for t, k, s, cin, cout, n in stages:
                blocks = []
                for i in range(n):
                    blocks.append(MBConv(t, k, s if i == 0 else 1, cin if i == 0 else cout, cout,
                                         0.2 * block_id / 16))
                    block_id += 1
                feats.append(tnn.Sequential(*blocks))
            feats.append(Conv2dNormActivation(320, 1280, 1, act=tnn.SiLU))
            self.features = tnn.Sequential(*feats)
            self.avgpool = tnn.AdaptiveAvgPool2d(1)
            self.classifier = tnn.Sequential(tnn.Dropout(0.2, inplace=True),
                                             tnn.Linear(1280, num_classes))
            init_mobilenet(self, linear="uniform")

        def forward(self, x):
            return self.classifier(self.avgpool(self.features(x)).flatten(1))

    return EfficientNet()


def ref_squeezenet(version, num_classes):
    class Fire(tnn.Module):
        def __init__(self, cin, sq, e1, e3):
            super().__init__()
            self.squeeze = tnn.Conv2d(cin, sq, 1)
            self.squeeze_activation = tnn.ReLU(inplace=True)
            self.expand1x1 = tnn.Conv2d(sq, e1, 1)
            self.expand1x1_activation = tnn.ReLU(inplace=True)
            self.expand3x3 = tnn.Conv2d(sq, e3, 3, padding=1)
            self.expand3x3_activation = tnn.ReLU(inplace=True)

        def forward(self, x):
            x = self.squeeze_activation(self.squeeze(x))
            return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                              self.expand3x3_activation(self.expand3x3(x))], 1)

    class SqueezeNet(tnn.Module):
        def __init__(self):
            super().__init__()
            pool = partial(tnn.MaxPool2d, kernel_size=3, stride=2, ceil_mode=True)
            if version == "1_0":
                stem = [tnn.Conv2d(3, 96, kernel_size=7, stride=2)]
                fires = [(96, 16), (128, 16), (128, 32), "M", (256, 32), (256, 48), (384, 48),
                         (384, 64), "M", (512, 64)]
            else:
                stem = [tnn.Conv2d(3, 64, kernel_size=3, stride=2)]
                fires = [(64, 16), (128, 16), "M", (128, 32), (256, 32), "M", (256, 48),
                         (384, 48), (384, 64), (512, 64)]
            layers = stem + [tnn.ReLU(inplace=True), pool()]
            layers += [pool() if f == "M" else Fire(f[0], f[1], 4 * f[1], 4 * f[1])
                       for f in fires]
            self.features = tnn.Sequential(*layers)
            final = tnn.Conv2d(512, num_classes, kernel_size=1)
            self.classifier = tnn.Sequential(tnn.Dropout(p=0.5), final, tnn.ReLU(inplace=True),
                                             tnn.AdaptiveAvgPool2d((1, 1)))
            for m in self.modules():
                if isinstance(m, tnn.Conv2d):
                    if m is final:
                        tnn.init.normal_(m.weight, mean=0.0, std=0.01)
                    else:
                        tnn.init.kaiming_uniform_(m.weight)
                    tnn.init.constant_(m.bias, 0)

        def forward(self, x):
            return self.classifier(self.features(x)).flatten(1)

    return SqueezeNet()


def ref_shufflenet_v2(channels, num_classes):
    def dw(i, s):
        return tnn.Conv2d(i, i, 3, s, 1, bias=False, groups=i)

    class InvertedResidual(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            half = cout // 2
            self.stride = stride
            self.branch1 = tnn.Sequential(
                dw(cin, stride), tnn.BatchNorm2d(cin), tnn.Conv2d(cin, half, 1, bias=False),
                tnn.BatchNorm2d(half), tnn.ReLU(inplace=True)) if stride > 1 else tnn.Sequential()
            self.branch2 = tnn.Sequential(
                tnn.Conv2d(cin if stride > 1 else half, half, 1, bias=False), tnn.BatchNorm2d(half),
                tnn.ReLU(inplace=True), dw(half, stride), tnn.BatchNorm2d(half),
                tnn.Conv2d(half, half, 1, bias=False), tnn.BatchNorm2d(half),
                tnn.ReLU(inplace=True))

        def forward(self, x):
            if self.stride == 1:
                a, b = x.chunk(2, dim=1)
                out = torch.cat((a, self.branch2(b)), 1)
            else:
                out = torch.cat((self.branch1(x), self.branch2(x)), 1)
            n, c, h, w = out.shape
            return out.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)

    class ShuffleNetV2(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Sequential(tnn.Conv2d(3, channels[0], 3, 2, 1, bias=False),
                                        tnn.BatchNorm2d(channels[0]), tnn.ReLU(inplace=True))
            self.maxpool = tnn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            cin = channels[0]
            for k, (n, c) in enumerate(zip([4, 8, 4], channels[1:4])):
                units = [InvertedResidual(cin, c, 2)] + [InvertedResidual(c, c, 1)
                                                          for _ in range(n - 1)]
                setattr(self, f"stage{k + 2}", tnn.Sequential(*units))
                cin = c
            self.conv5 = tnn.Sequential(tnn.Conv2d(cin, channels[4], 1, 1, 0, bias=False),
                                        tnn.BatchNorm2d(channels[4]), tnn.ReLU(inplace=True))
            self.fc = tnn.Linear(channels[4], num_classes)

        def forward(self, x):
            x = self.stage4(self.stage3(self.stage2(self.maxpool(self.conv1(x)))))
            return self.fc(self.conv5(x).mean([2, 3]))

    return ShuffleNetV2()


def ref_densenet(growth, blocks, init_features, num_classes):
    class _DenseLayer(tnn.Module):
        def __init__(self, cin):
            super().__init__()
            self.norm1 = tnn.BatchNorm2d(cin)
            self.relu1 = tnn.ReLU(inplace=True)
            self.conv1 = tnn.Conv2d(cin, 4 * growth, 1, 1, bias=False)
            self.norm2 = tnn.BatchNorm2d(4 * growth)
            self.relu2 = tnn.ReLU(inplace=True)
            self.conv2 = tnn.Conv2d(4 * growth, growth, 3, 1, 1, bias=False)

        def forward(self, feats):
            x = self.conv1(self.relu1(self.norm1(torch.cat(feats, 1))))
            return self.conv2(self.relu2(self.norm2(x)))

    class _DenseBlock(tnn.ModuleDict):
        def forward(self, x):
            feats = [x]
            for layer in self.values():
                feats.append(layer(feats))
            return torch.cat(feats, 1)

    class _Transition(tnn.Sequential):
        def __init__(self, cin, cout):
            super().__init__()
            self.norm = tnn.BatchNorm2d(cin)
            self.relu = tnn.ReLU(inplace=True)
            self.conv = tnn.Conv2d(cin, cout, 1, 1, bias=False)
            self.pool = tnn.AvgPool2d(2, 2)

    class DenseNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.features = tnn.Sequential()
            for name, m in [("conv0", tnn.Conv2d(3, init_features, 7, 2, 3, bias=False)),
                            ("norm0", tnn.BatchNorm2d(init_features)),
                            ("relu0", tnn.ReLU(inplace=True)),
                            ("pool0", tnn.MaxPool2d(3, 2, 1))]:
                self.features.add_module(name, m)
            c = init_features
            for i, n in enumerate(blocks):
                block = _DenseBlock({f"denselayer{j + 1}": _DenseLayer(c + j * growth)
                                     for j in range(n)})
                self.features.add_module(f"denseblock{i + 1}", block)
                c += n * growth
                if i != len(blocks) - 1:
                    self.features.add_module(f"transition{i + 1}", _Transition(c, c // 2))
                    c //= 2
            self.features.add_module("norm5", tnn.BatchNorm2d(c))
            self.classifier = tnn.Linear(c, num_classes)
            for m in self.modules():
                if isinstance(m, tnn.Conv2d):
                    tnn.init.kaiming_normal_(m.weight)
                elif isinstance(m, tnn.BatchNorm2d):
                    tnn.init.constant_(m.weight, 1)
                    tnn.init.constant_(m.bias, 0)
                elif isinstance(m, tnn.Linear):
                    tnn.init.constant_(m.bias, 0)

        def forward(self, x):
            return self.classifier(torch.relu(self.features(x)).mean((2, 3)))

    return DenseNet()


# -- comparing an ember model with its reference ----------------------------------------------

def randomize_norms(model):
    """Non-trivial batch-norm statistics and biases, so eval outputs are not near zero."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2, generator=g)
                m.running_var.uniform_(0.5, 1.5, generator=g)
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.2, 0.2, generator=g)
            elif isinstance(m, (tnn.Linear, tnn.Conv2d)) and m.bias is not None:
                m.bias.uniform_(-0.2, 0.2, generator=g)


def check_against(ours, ref, tmp_path, size=64, atol=1e-4):
    """Same keys, shapes and (seeded) values, same repr; then a torch checkpoint of the
    reference loads into ours and both give the same eval-mode output."""
    sd, rsd = ours.state_dict(), ref.state_dict()
    assert list(sd) == list(rsd)
    for k in sd:
        np.testing.assert_array_equal(sd[k].numpy(), rsd[k].numpy(), err_msg=k)
    assert repr(ours) == repr(ref)
    randomize_norms(ref)
    torch.save(ref.state_dict(), tmp_path / "ref.pth")
    ours.load_state_dict(ember.load(tmp_path / "ref.pth"))
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(np.float32)
    ours.eval()
    ref.eval()
    with ember.no_grad():
        y = ours(ember.tensor(x)).numpy()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # NOTE: much faster for these small convolutions on a busy machine
    try:
        with torch.no_grad():
            r = ref(torch.tensor(x)).numpy()
    finally:
        torch.set_num_threads(threads)
    assert np.abs(r).max() > 1e-3  # a meaningful comparison
    np.testing.assert_allclose(y, r, atol=atol, rtol=1e-4)


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


CASES = {
    "mobilenet_v2": (lambda: models.mobilenet_v2(), lambda: ref_mobilenet_v2(1000),
                     models.MobileNet_V2_Weights),
    "mobilenet_v3_small": (lambda: models.mobilenet_v3_small(num_classes=10),
                           lambda: ref_mobilenet_v3_small(10), None),
    "efficientnet_b0": (lambda: models.efficientnet_b0(), lambda: ref_efficientnet_b0(1000),
                        models.EfficientNet_B0_Weights),
    "squeezenet1_0": (lambda: models.squeezenet1_0(num_classes=7),
                      lambda: ref_squeezenet("1_0", 7), None),
    "squeezenet1_1": (lambda: models.squeezenet1_1(), lambda: ref_squeezenet("1_1", 1000),
                      models.SqueezeNet1_1_Weights),
    "shufflenet_v2_x0_5": (lambda: models.shufflenet_v2_x0_5(),
                           lambda: ref_shufflenet_v2([24, 48, 96, 192, 1024], 1000),
                           models.ShuffleNet_V2_X0_5_Weights),
    "densenet-small": (lambda: models.DenseNet(8, (2, 3), 16, num_classes=5),
                       lambda: ref_densenet(8, (2, 3), 16, 5), None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_model_matches_torchvision_structure_init_and_output(name, tmp_path):
    build, build_ref, weights = CASES[name]
    ember.manual_seed(0)
    ours = build()
    torch.manual_seed(0)
    ref = build_ref()
    if weights is not None:  # torchvision's published parameter count
        assert n_params(ours) == weights.DEFAULT.meta["num_params"]
    check_against(ours, ref, tmp_path)


def test_alexnet_structure_and_default_init(monkeypatch):
    """AlexNet keeps PyTorch's default layer init, drawn in construction order."""
    # NOTE: drawing the classifier's 58M numbers takes seconds, so its Linear layers are
    # zero-filled here in both libraries; the convolutions are drawn as usual
    for lib in (ember, torch):
        monkeypatch.setattr(lib.nn.Linear, "reset_parameters",
                            lambda self: (self.weight.data.zero_(), self.bias.data.zero_()))
    ember.manual_seed(3)
    ours = models.alexnet(num_classes=10)
    torch.manual_seed(3)
    ref = tnn.Module()
    ref.features = tnn.Sequential(
        tnn.Conv2d(3, 64, 11, 4, 2), tnn.ReLU(True), tnn.MaxPool2d(3, 2),
        tnn.Conv2d(64, 192, 5, padding=2), tnn.ReLU(True), tnn.MaxPool2d(3, 2),
        tnn.Conv2d(192, 384, 3, padding=1), tnn.ReLU(True), tnn.Conv2d(384, 256, 3, padding=1),
        tnn.ReLU(True), tnn.Conv2d(256, 256, 3, padding=1), tnn.ReLU(True), tnn.MaxPool2d(3, 2))
    ref.avgpool = tnn.AdaptiveAvgPool2d((6, 6))
    ref.classifier = tnn.Sequential(
        tnn.Dropout(0.5), tnn.Linear(9216, 4096), tnn.ReLU(True), tnn.Dropout(0.5),
        tnn.Linear(4096, 4096), tnn.ReLU(True), tnn.Linear(4096, 10))
    assert repr(ours).replace("AlexNet(", "Module(", 1) == repr(ref)
    rsd = ref.state_dict()
    for k, v in ours.state_dict().items():
        assert np.array_equal(v.numpy(), rsd[k].numpy()), k
    assert models.AlexNet_Weights.DEFAULT.meta["num_params"] == 61_100_840
    ours.eval()
    with ember.no_grad():
        assert tuple(ours(ember.randn(1, 3, 63, 63)).shape) == (1, 10)


def ref_grouped_resnet(groups, width, num_classes):
    """torchvision's Bottleneck ResNet with grouped 3x3 convolutions, one block per stage."""
    class Bottleneck(tnn.Module):
        def __init__(self, cin, planes, stride, down):
            super().__init__()
            w = int(planes * width / 64) * groups
            self.conv1 = tnn.Conv2d(cin, w, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(w)
            self.conv2 = tnn.Conv2d(w, w, 3, stride, 1, groups=groups, bias=False)
            self.bn2 = tnn.BatchNorm2d(w)
            self.conv3 = tnn.Conv2d(w, planes * 4, 1, bias=False)
            self.bn3 = tnn.BatchNorm2d(planes * 4)
            self.relu = tnn.ReLU(inplace=True)
            self.downsample = down

    class ResNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = tnn.BatchNorm2d(64)
            self.relu = tnn.ReLU(inplace=True)
            self.maxpool = tnn.MaxPool2d(3, 2, 1)
            cin = 64
            for k, planes in enumerate([64, 128, 256, 512]):
                s = 1 if k == 0 else 2
                down = tnn.Sequential(tnn.Conv2d(cin, planes * 4, 1, s, bias=False),
                                      tnn.BatchNorm2d(planes * 4))
                setattr(self, f"layer{k + 1}", tnn.Sequential(Bottleneck(cin, planes, s, down)))
                cin = planes * 4
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(2048, num_classes)
            for m in self.modules():
                if isinstance(m, tnn.Conv2d):
                    tnn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, tnn.BatchNorm2d):
                    tnn.init.constant_(m.weight, 1)
                    tnn.init.constant_(m.bias, 0)

    return ResNet()


def test_resnext_and_wide_resnet(monkeypatch):
    ember.manual_seed(0)
    ours = models.ResNet(models.Bottleneck, [1, 1, 1, 1], groups=4, width_per_group=8,
                         num_classes=10)
    torch.manual_seed(0)
    ref = ref_grouped_resnet(4, 8, 10)
    rsd = ref.state_dict()
    assert list(ours.state_dict()) == list(rsd)
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), rsd[k].numpy(), err_msg=k)
    assert repr(ours).startswith("ResNet(\n  (conv1)")
    assert "groups=4" in repr(ours.layer1[0].conv2)
    # the builders' settings (without drawing their 25M-127M parameters)
    monkeypatch.setattr(models.resnet, "_resnet",
                        lambda block, layers, weights, progress, **kw: (block, layers, kw))
    assert models.resnext50_32x4d() == (models.Bottleneck, [3, 4, 6, 3],
                                        {"groups": 32, "width_per_group": 4})
    assert models.resnext101_64x4d()[2] == {"groups": 64, "width_per_group": 4}
    assert models.wide_resnet101_2() == (models.Bottleneck, [3, 4, 23, 3],
                                         {"width_per_group": 128})
    with pytest.raises(ValueError, match="'groups' expected value 32 but got 2"):
        models.resnext50_32x4d(groups=2)
    W = models.ResNeXt50_32X4D_Weights
    assert W.DEFAULT is W.IMAGENET1K_V2
    assert W.IMAGENET1K_V1.url.endswith("/resnext50_32x4d-7cdf4587.pth")
    assert models.Wide_ResNet50_2_Weights.DEFAULT.meta["num_params"] == 68_883_240


def test_model_options_and_training_step():
    m = models.mobilenet_v3_large(num_classes=4, width_mult=0.5, reduced_tail=True, dropout=0.1)
    assert m.classifier[3].out_features == 4 and m.classifier[2].p == 0.1
    assert m.features[0][0].out_channels == 8  # 16 * 0.5
    x = ember.randn(2, 3, 32, 32)
    m.train()
    out = m(x)
    ember.nn.functional.cross_entropy(out, ember.tensor([0, 3])).backward()
    assert m.features[0][0].weight.grad is not None
    e = models.efficientnet_b0(num_classes=3, stochastic_depth_prob=0.5)
    assert repr(e.features[6][3].stochastic_depth) == "StochasticDepth(p=0.4375, mode=row)"
    assert e.features[1][0].stochastic_depth.p == 0.0
    e.train()
    e(x).sum().backward()
    d = models.DenseNet(4, (2, 2), 8, num_classes=3, memory_efficient=True, drop_rate=0.2)
    d(x).sum().backward()
    assert d.features.conv0.weight.grad is not None
    with pytest.raises(ValueError, match="Unsupported SqueezeNet version 2_0"):
        models.SqueezeNet("2_0")
    with pytest.raises(ValueError, match="expected stages_repeats as list of 3"):
        models.ShuffleNetV2([1, 2], [1, 2, 3, 4, 5])
    with pytest.raises(TypeError, match="List\\[InvertedResidualConfig\\]"):
        models.MobileNetV3([1, 2], 10)


def test_densenet_loads_old_checkpoint_keys():
    ember.manual_seed(0)
    src = models.DenseNet(4, (1, 1), 8, num_classes=3)
    old = {}
    for k, v in src.state_dict().items():  # the published files say "norm.1", not "norm1"
        if k.endswith("num_batches_tracked"):
            continue  # (and predate this buffer)
        for part in ("norm1", "norm2", "conv1", "conv2"):
            if ".denselayer" in k and f".{part}." in k:
                k = k.replace(f".{part}.", f".{part[:-1]}.{part[-1]}.")
        old[k] = v.clone()
    assert "features.denseblock1.denselayer1.norm.1.weight" in old

    class FakeWeights:
        def get_state_dict(self, **kwargs):
            return dict(old)

    dst = models.DenseNet(4, (1, 1), 8, num_classes=3)
    models.densenet._load_state_dict(dst, FakeWeights(), progress=False)
    for k, v in src.state_dict().items():
        if not k.endswith("num_batches_tracked"):
            np.testing.assert_array_equal(dst.state_dict()[k].numpy(), v.numpy())


def test_weights_and_registry():
    W = models.MobileNet_V2_Weights
    assert W.DEFAULT is W.IMAGENET1K_V2 and repr(W.DEFAULT) == "MobileNet_V2_Weights.IMAGENET1K_V2"
    assert W.IMAGENET1K_V1.url == "https://download.pytorch.org/models/mobilenet_v2-b0353104.pth"
    assert len(W.DEFAULT.meta["categories"]) == 1000
    assert W.DEFAULT.meta["categories"][:2] == ["tench", "goldfish"]
    assert W.DEFAULT.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 72.154
    t = models.EfficientNet_B3_Weights.DEFAULT.transforms()
    assert (t.crop_size, t.resize_size, t.interpolation.value) == ([300], [320], "bicubic")
    assert models.EfficientNet_V2_L_Weights.DEFAULT.transforms().mean == [0.5, 0.5, 0.5]
    urls = {models.MobileNet_V3_Small_Weights.DEFAULT: "mobilenet_v3_small-047dcff4.pth",
            models.MobileNet_V3_Large_Weights.DEFAULT: "mobilenet_v3_large-5c1a4163.pth",
            models.DenseNet121_Weights.DEFAULT: "densenet121-a639ec97.pth",
            models.DenseNet201_Weights.DEFAULT: "densenet201-c1103571.pth",
            models.SqueezeNet1_0_Weights.DEFAULT: "squeezenet1_0-b66bff10.pth",
            models.ShuffleNet_V2_X1_0_Weights.DEFAULT: "shufflenetv2_x1-5666bf0f80.pth",
            models.EfficientNet_B1_Weights.DEFAULT: "efficientnet_b1-c27df63c.pth",
            models.AlexNet_Weights.DEFAULT: "alexnet-owt-7be5be79.pth",
            models.Wide_ResNet101_2_Weights.DEFAULT: "wide_resnet101_2-d733dc28.pth"}
    for w, f in urls.items():
        assert w.url == "https://download.pytorch.org/models/" + f
    names = models.list_models()
    for n in ("alexnet", "densenet121", "densenet201", "efficientnet_b7", "efficientnet_v2_l",
              "mobilenet_v2", "mobilenet_v3_large", "resnext101_64x4d", "shufflenet_v2_x2_0",
              "squeezenet1_1", "wide_resnet50_2", "resnet18", "vgg16"):
        assert n in names
    assert models.list_models(include="densenet*") == ["densenet121", "densenet161",
                                                        "densenet169", "densenet201"]
    assert models.get_weight("DenseNet169_Weights.IMAGENET1K_V1").meta["num_params"] == 14149480
    assert models.get_model_builder("MobileNet_V3_Small") is models.mobilenet_v3_small
    assert models.mobilenet.MobileNetV3 is models.MobileNetV3
    with pytest.warns(UserWarning) as rec:
        with pytest.raises(RuntimeError):  # no network and no file: the weights cannot load
            _offline(models.squeezenet1_1, pretrained=True)
    assert "'pretrained' is deprecated" in str(rec[0].message)
    assert "weights=SqueezeNet1_1_Weights.IMAGENET1K_V1" in str(rec[1].message)


def _offline(builder, **kwargs):
    import urllib.error

    def refuse(url, timeout=60.0):
        raise urllib.error.URLError("network disabled in the tests")

    with pytest.MonkeyPatch.context() as mp:
        import tempfile

        mp.setenv("TORCH_HOME", tempfile.mkdtemp())
        mp.setattr(models._api, "_urlopen", refuse)
        return builder(**kwargs)


# -- ops: shared layers -----------------------------------------------------------------------

def test_conv_norm_activation_se_mlp_match_torch():
    ember.manual_seed(7)
    ours = [ops.Conv2dNormActivation(4, 8, kernel_size=5, stride=2, groups=2),
            ops.Conv2dNormActivation(4, 8, 1, norm_layer=None, activation_layer=ember.nn.SiLU),
            ops.SqueezeExcitation(16, 4),
            ops.MLP(10, [20, 5], norm_layer=ember.nn.LayerNorm, dropout=0.1, inplace=False)]
    torch.manual_seed(7)
    refs = [Conv2dNormActivation(4, 8, 5, 2, groups=2),
            Conv2dNormActivation(4, 8, 1, norm=None, act=tnn.SiLU), SqueezeExcitation(16, 4),
            tnn.Sequential(tnn.Linear(10, 20), tnn.LayerNorm(20), tnn.ReLU(inplace=False),
                           tnn.Dropout(0.1, inplace=False), tnn.Linear(20, 5),
                           tnn.Dropout(0.1, inplace=False))]
    for o, r in zip(ours, refs):
        assert repr(o).replace("MLP(", "Sequential(", 1) == repr(r)
        rsd = r.state_dict()
        for k, v in o.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), rsd[k].numpy(), err_msg=k)
    c = ops.Conv2dNormActivation(3, 6, kernel_size=(3, 5), dilation=(1, 2))
    assert c[0].padding == (1, 4) and c.out_channels == 6
    x = np.random.default_rng(1).standard_normal((2, 16, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(ours[2](ember.tensor(x)).detach().numpy(),
                               refs[2](torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning, match="Don't use ConvNormActivation directly"):
        ops.misc.ConvNormActivation(3, 4)


def test_frozen_batch_norm():
    bn = tnn.BatchNorm2d(5, eps=1e-3)
    randomize_norms(bn)
    bn.num_batches_tracked += 4
    bn.eval()
    sd = {k: ember.tensor(v.numpy()) for k, v in bn.state_dict().items()}
    fb = ops.FrozenBatchNorm2d(5, eps=1e-3)
    fb.load_state_dict(sd)  # strict, though num_batches_tracked has no place here
    assert repr(fb) == "FrozenBatchNorm2d(5, eps=0.001)"
    assert sorted(fb.state_dict()) == ["bias", "running_mean", "running_var", "weight"]
    assert list(fb.parameters()) == []
    x = np.random.default_rng(2).standard_normal((2, 5, 3, 4)).astype(np.float32)
    fb.train()
    with torch.no_grad():
        ref = bn(torch.tensor(x)).numpy()
    np.testing.assert_allclose(fb(ember.tensor(x)).numpy(), ref, rtol=1e-5, atol=1e-6)


def test_stochastic_depth_draws_like_torchvision():
    x = np.ones((8, 3, 2, 2), np.float32)
    for mode, size in (("row", (8, 1, 1, 1)), ("batch", (1, 1, 1, 1))):
        ember.manual_seed(5)
        ours = ops.stochastic_depth(ember.tensor(x), 0.4, mode).numpy()
        torch.manual_seed(5)  # torchvision: empty(size).bernoulli_(1 - p) / (1 - p)
        noise = torch.empty(size).bernoulli_(0.6).div_(0.6)
        np.testing.assert_array_equal(ours, (torch.tensor(x) * noise).numpy())
    sd = ops.StochasticDepth(0.4, "row")
    assert repr(sd) == "StochasticDepth(p=0.4, mode=row)"
    sd.eval()
    t = ember.tensor(x)
    assert sd(t) is t
    with pytest.raises(ValueError, match="drop probability has to be between 0 and 1"):
        ops.stochastic_depth(t, 1.5, "row")
    with pytest.raises(ValueError, match="mode has to be either 'batch' or 'row'"):
        ops.stochastic_depth(t, 0.5, "col")


# -- ops: boxes -------------------------------------------------------------------------------

def random_boxes(rng, n, scale=100.0, integer=False):
    xy = rng.random((n, 2)) * scale
    wh = rng.random((n, 2)) * scale / 3 + 0.5
    if integer:  # whole pixels, at least one wide
        xy, wh = np.round(xy), np.round(wh) + 1
    return np.concatenate([xy, xy + wh], 1).astype(np.float32)


def np_iou(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None] - inter)


def np_nms(boxes, scores, thr):
    """Textbook greedy NMS: best remaining box, drop those overlapping it by more than thr."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])  # sorted() is stable
    iou = np_iou(boxes, boxes)
    keep, dead = [], set()
    for i in order:
        if i not in dead:
            keep.append(i)
            dead |= {j for j in order if iou[i, j] > thr}
    return keep


def test_nms_matches_greedy_reference():
    rng = np.random.default_rng(0)
    for n, integer in ((60, False), (200, True), (1, False)):
        b = random_boxes(rng, n, integer=integer)
        s = rng.random(n).astype(np.float32)
        # NOTE: with whole-pixel boxes an IoU can equal a round threshold exactly, where
        # float32 (ember, torchvision) and this float64 reference may round differently
        for thr in ((0.3, 0.5, 0.8) if not integer else (0.3183, 0.5772, 0.7071)):
            keep = ops.nms(ember.tensor(b), ember.tensor(s), thr)
            assert keep.dtype == ember.int64
            assert keep.tolist() == np_nms(b, s, thr)
            keep64 = ops.nms(ember.tensor(b).double(), ember.tensor(s).double(), thr)
            assert keep64.tolist() == keep.tolist()
    assert ops.nms(ember.zeros(0, 4), ember.zeros(0), 0.5).tolist() == []
    with pytest.raises(RuntimeError, match="boxes should have 4 elements in dimension 1"):
        ops.nms(ember.zeros(3, 5), ember.zeros(3), 0.5)


def test_nms_literal_values_from_torchvision():
    # torchvision 0.29.1: ties in score keep their input order (a stable sort), so box 0
    # beats its identical twin 2; a zero-area box (5) is kept and suppresses nothing.
    b = ember.tensor([[0., 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [20, 20, 30, 30],
                      [21, 19, 29, 31], [0, 0, 0, 5]])
    s = ember.tensor([0.5, 0.9, 0.5, 0.7, 0.7, 0.95])
    assert ops.nms(b, s, 0.5).tolist() == [5, 1, 3]
    assert ops.nms(b, s, 0.7).tolist() == [5, 1, 3, 4, 0]
    assert ops.batched_nms(b, s, ember.tensor([0, 1, 0, 1, 1, 0]), 0.5).tolist() == [5, 1, 3, 0]


@pytest.mark.parametrize("n", [40, 1200])  # the coordinate trick, then one NMS per class
def test_batched_nms_is_nms_per_class(n):
    rng = np.random.default_rng(n)
    b = random_boxes(rng, n)
    s = rng.random(n).astype(np.float32)
    idx = rng.integers(0, 5, n)
    keep = ops.batched_nms(ember.tensor(b), ember.tensor(s), ember.tensor(idx), 0.5).tolist()
    expected = []
    for c in np.unique(idx):
        sel = np.flatnonzero(idx == c)
        expected += [int(sel[k]) for k in np_nms(b[sel], s[sel], 0.5)]
    assert keep == sorted(expected, key=lambda i: -s[i])


def torch_pairwise(b1, b2, kind):
    """The IoU variants written with torch ops, for values and gradients."""
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    lt = torch.max(b1[:, None, :2], b2[None, :, :2])
    rb = torch.min(b1[:, None, 2:], b2[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area(b1)[:, None] + area(b2)[None] - inter
    iou = inter / union
    if kind == "iou":
        return iou
    lo = torch.min(b1[:, None, :2], b2[None, :, :2])
    hi = torch.max(b1[:, None, 2:], b2[None, :, 2:])
    ew = (hi - lo).clamp(min=0)
    if kind == "giou":
        enc = ew[..., 0] * ew[..., 1]
        return iou - (enc - union) / enc
    diag = ew[..., 0] ** 2 + ew[..., 1] ** 2 + 1e-7
    c1, c2 = (b1[:, :2] + b1[:, 2:]) / 2, (b2[:, :2] + b2[:, 2:]) / 2
    diou = iou - ((c1[:, None] - c2[None]) ** 2).sum(-1) / diag
    if kind == "diou":
        return diou
    w1, h1 = b1[:, 2] - b1[:, 0], b1[:, 3] - b1[:, 1]
    w2, h2 = b2[:, 2] - b2[:, 0], b2[:, 3] - b2[:, 1]
    v = 4 / math.pi ** 2 * (torch.atan(w1 / h1)[:, None] - torch.atan(w2 / h2)[None]) ** 2
    with torch.no_grad():
        alpha = v / (1 - iou + v + 1e-7)
    return diou - alpha * v


@pytest.mark.parametrize("fn,kind", [("box_iou", "iou"), ("generalized_box_iou", "giou"),
                                     ("distance_box_iou", "diou"),
                                     ("complete_box_iou", "ciou")])
def test_pairwise_ious_values_and_gradients(fn, kind):
    rng = np.random.default_rng(3)
    b1, b2 = random_boxes(rng, 7, 20.0), random_boxes(rng, 5, 20.0)
    w = rng.random((7, 5)).astype(np.float32)
    e1, e2 = ember.tensor(b1, requires_grad=True), ember.tensor(b2, requires_grad=True)
    out = getattr(ops, fn)(e1, e2)
    (out * ember.tensor(w)).sum().backward()
    t1, t2 = torch.tensor(b1, requires_grad=True), torch.tensor(b2, requires_grad=True)
    ref = torch_pairwise(t1, t2, kind)
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e1.grad.numpy(), t1.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(e2.grad.numpy(), t2.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_box_literal_values_from_torchvision():
    b = ember.tensor([[0., 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [21, 19, 29, 31]])
    np.testing.assert_allclose(ops.generalized_box_iou(b[:2], b[2:]).numpy(),
                               [[-0.7778, -0.7820], [-0.7622, -0.7667]], atol=1e-4)
    np.testing.assert_allclose(ops.box_iou(b[:2], b[:2]).numpy(),
                               [[1.0, 0.6807], [0.6807, 1.0]], atol=1e-4)


def test_box_formats_areas_and_clipping():
    rng = np.random.default_rng(4)
    b = random_boxes(rng, 6)
    x1, y1, x2, y2 = b.T
    expect = {"xyxy": b, "xywh": np.stack([x1, y1, x2 - x1, y2 - y1], 1),
              "cxcywh": np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], 1)}
    for fa, a in expect.items():
        for fb, bb in expect.items():
            np.testing.assert_allclose(ops.box_convert(ember.tensor(a), fa, fb).numpy(), bb,
                                       rtol=1e-5, atol=1e-4)
        area = ops.box_area(ember.tensor(a), fmt=fa).numpy()
        np.testing.assert_allclose(area, (x2 - x1) * (y2 - y1), rtol=1e-5)
        iou = ops.box_iou(ember.tensor(a), ember.tensor(a[:3]), fmt=fa).numpy()
        np.testing.assert_allclose(iou, np_iou(b, b[:3]), rtol=1e-5, atol=1e-6)
    r = np.array([[10., 20, 4, 2, 90], [0, 0, 3, 1, 30]], np.float32)  # xywhr, degrees
    corners = ops.box_convert(ember.tensor(r), "xywhr", "xyxyxyxy").numpy()
    np.testing.assert_allclose(corners[0], [10, 20, 10, 16, 12, 16, 12, 20], atol=1e-5)
    back = ops.box_convert(ember.tensor(corners), "xyxyxyxy", "xywhr").numpy()
    np.testing.assert_allclose(back, r, atol=1e-4)
    c = ops.box_convert(ember.tensor(r), "xywhr", "cxcywhr")
    np.testing.assert_allclose(ops.box_convert(c, "cxcywhr", "xywhr").numpy(), r, atol=1e-4)
    assert ops.box_area(ember.tensor(b).half()).dtype == ember.float32
    assert ops.box_area(ember.tensor([[1, 2, 4, 6]], dtype=ember.int16)).dtype == ember.int32
    clipped = ops.clip_boxes_to_image(ember.tensor([[-5., 3, 70, 40], [10, -2, 20, 90]]),
                                      (30, 50))
    assert clipped.tolist() == [[0, 3, 50, 30], [10, 0, 20, 30]]
    assert ops.remove_small_boxes(ember.tensor([[0., 0, 5, 5], [0, 0, 1, 9], [2, 2, 9, 9]]),
                                  3).tolist() == [0, 2]
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions"):
        ops.box_convert(ember.tensor(b), "xyxy", "yxyx")


def test_masks_to_boxes():
    masks = np.zeros((3, 6, 7), bool)
    masks[0, 1:4, 2:6] = True
    masks[1, 5, 0] = True
    boxes = ops.masks_to_boxes(ember.tensor(masks))
    assert boxes.dtype == ember.float32
    assert boxes.tolist() == [[2, 1, 5, 3], [0, 5, 0, 5], [0, 0, 0, 0]]


def test_sigmoid_focal_loss_and_box_losses_match_torch():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 3)).astype(np.float32)
    t = (rng.random((6, 3)) > 0.5).astype(np.float32)
    for alpha, gamma, red in ((0.25, 2, "none"), (-1, 1.5, "mean"), (0.7, 0, "sum")):
        ex = ember.tensor(x, requires_grad=True)
        out = ops.sigmoid_focal_loss(ex, ember.tensor(t), alpha, gamma, red)
        out.sum().backward()
        tx = torch.tensor(x, requires_grad=True)
        p = torch.sigmoid(tx)
        ce = torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.tensor(t),
                                                                  reduction="none")
        p_t = p * torch.tensor(t) + (1 - p) * (1 - torch.tensor(t))
        ref = ce * (1 - p_t) ** gamma
        if alpha >= 0:
            ref = (alpha * torch.tensor(t) + (1 - alpha) * (1 - torch.tensor(t))) * ref
        ref = {"none": ref, "mean": ref.mean(), "sum": ref.sum()}[red]
        ref.sum().backward()
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5,
                                   atol=1e-7)
        np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-7)
    with pytest.raises(ValueError, match="Invalid alpha value"):
        ops.sigmoid_focal_loss(ember.tensor(x), ember.tensor(t), alpha=2)
    # the elementwise box losses are 1 - the diagonal of the pairwise IoUs (for overlapping
    # boxes; the pairwise ones have no eps in the IoU denominator)
    b1 = random_boxes(rng, 5, 10.0)
    b2 = b1 + rng.random((5, 4)).astype(np.float32)
    e1, e2 = ember.tensor(b1), ember.tensor(b2)
    for loss, pair in ((ops.generalized_box_iou_loss, ops.generalized_box_iou),
                       (ops.distance_box_iou_loss, ops.distance_box_iou),
                       (ops.complete_box_iou_loss, ops.complete_box_iou)):
        np.testing.assert_allclose(loss(e1, e2).numpy(), 1 - np.diag(pair(e1, e2).numpy()),
                                   rtol=1e-4, atol=1e-5)
        assert loss(e1, e2, reduction="mean").shape == ()


# -- ops: RoI pooling -------------------------------------------------------------------------

def np_roi_align(x, rois, ph, pw, scale, sampling, aligned):
    """torchvision's RoIAlign, one sample at a time (float64)."""
    _, c, h, w = x.shape
    out = np.zeros((len(rois), c, ph, pw))

    def bilinear(img, y, xx):
        if y < -1 or y > h or xx < -1 or xx > w:
            return np.zeros(c)
        y, xx = max(y, 0.0), max(xx, 0.0)
        y0, x0 = int(y), int(xx)
        y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
        if y0 >= h - 1:
            y0 = y1 = h - 1
            y = float(y0)
        if x0 >= w - 1:
            x0 = x1 = w - 1
            xx = float(x0)
        ly, lx = y - y0, xx - x0
        return ((1 - ly) * (1 - lx) * img[:, y0, x0] + (1 - ly) * lx * img[:, y0, x1]
                + ly * (1 - lx) * img[:, y1, x0] + ly * lx * img[:, y1, x1])

    off = 0.5 if aligned else 0.0
    for r, (b, *box) in enumerate(rois):
        xs, ys, xe, ye = (v * scale - off for v in box)
        rw, rh = xe - xs, ye - ys
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = sampling if sampling > 0 else math.ceil(rh / ph)
        gw = sampling if sampling > 0 else math.ceil(rw / pw)
        for i in range(ph):
            for j in range(pw):
                acc = np.zeros(c)
                for iy in range(gh):
                    for ix in range(gw):
                        y = ys + i * rh / ph + (iy + 0.5) * rh / ph / gh
                        xx = xs + j * rw / pw + (ix + 0.5) * rw / pw / gw
                        acc += bilinear(x[int(b)], y, xx)
                out[r, :, i, j] = acc / max(gh * gw, 1)
    return out


def np_roi_pool(x, rois, ph, pw, scale):
    _, c, h, w = x.shape
    out = np.zeros((len(rois), c, ph, pw))
    rnd = lambda v: int(math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1))  # noqa: E731
    for r, (b, *box) in enumerate(rois):
        x0, y0, x1, y1 = (rnd(v * scale) for v in box)
        rh, rw = max(y1 - y0 + 1, 1), max(x1 - x0 + 1, 1)
        for i in range(ph):
            hs = min(max(math.floor(i * rh / ph) + y0, 0), h)
            he = min(max(math.ceil((i + 1) * rh / ph) + y0, 0), h)
            for j in range(pw):
                ws = min(max(math.floor(j * rw / pw) + x0, 0), w)
                we = min(max(math.ceil((j + 1) * rw / pw) + x0, 0), w)
                if he > hs and we > ws:
                    out[r, :, i, j] = x[int(b), :, hs:he, ws:we].max(axis=(1, 2))
    return out


def make_rois(rng, n=9):
    xy = rng.random((n, 2)) * [20, 16] - 3
    boxes = np.concatenate([xy, xy + rng.random((n, 2)) * 12], 1)
    boxes[0] = [2, 3, 2.5, 3.2]  # smaller than a pixel
    boxes[1] = [-5, -5, 30, 30]  # past every edge
    return np.concatenate([rng.integers(0, 2, (n, 1)), boxes], 1).astype(np.float32)


@pytest.mark.parametrize("sampling,aligned,scale", [(-1, False, 1.0), (2, True, 0.5),
                                                    (0, True, 1.0), (3, False, 0.5)])
def test_roi_align_matches_reference_and_is_linear(sampling, aligned, scale):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 13, 17)).astype(np.float32)
    rois = make_rois(rng)
    ex = ember.tensor(x, requires_grad=True)
    out = ops.roi_align(ex, ember.tensor(rois), (5, 4), scale, sampling, aligned)
    ref = np_roi_align(x.astype(np.float64), rois.astype(np.float64), 5, 4, scale, sampling,
                       aligned)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-4, atol=1e-5)
    # RoIAlign is linear in x, so <grad, d> = <roi_align(d), w> for any direction d
    w = rng.standard_normal(out.shape).astype(np.float32)
    (out * ember.tensor(w)).sum().backward()
    d = rng.standard_normal(x.shape).astype(np.float32)
    lhs = float((ex.grad.numpy().astype(np.float64) * d).sum())
    rhs = float((np_roi_align(d.astype(np.float64), rois.astype(np.float64), 5, 4, scale,
                              sampling, aligned) * w).sum())
    assert lhs == pytest.approx(rhs, rel=1e-4, abs=1e-4)


def test_roi_pool_matches_reference_with_gradients():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 13, 17)).astype(np.float32)
    rois = make_rois(rng)
    for scale in (1.0, 0.5, 0.25):
        ex = ember.tensor(x, requires_grad=True)
        out = ops.roi_pool(ex, ember.tensor(rois), (3, 2), scale)
        np.testing.assert_array_equal(out.detach().numpy(),
                                      np_roi_pool(x, rois, 3, 2, scale).astype(np.float32))
        out.sum().backward()
        g = ex.grad.numpy()  # one unit of gradient per nonempty output, at its maximum
        assert g.sum() == pytest.approx(float((out.detach().numpy() != 0).sum()))


def test_roi_literal_values_from_torchvision():
    x = ember.arange(20.).reshape(1, 1, 4, 5)
    r = ember.tensor([[0, 0.5, 0.5, 3.2, 2.7]])
    # torchvision 0.29.1 outputs
    np.testing.assert_allclose(ops.roi_align(x, r, (2, 2)).numpy().ravel(),
                               [6.425, 7.775, 11.925, 13.275], atol=1e-4)
    np.testing.assert_allclose(ops.roi_align(x, r, 2, aligned=True).numpy().ravel(),
                               [3.425, 4.775, 8.925, 10.275], atol=1e-4)
    assert ops.roi_pool(x, r, (2, 2)).numpy().ravel().tolist() == [12, 13, 17, 18]
    as_list = ops.RoIAlign(2, 1.0, -1)(x, [r[:, 1:]])
    np.testing.assert_array_equal(as_list.numpy(), ops.roi_align(x, r, 2).numpy())
    assert repr(ops.RoIAlign((7, 7), 0.25, 2)) == (
        "RoIAlign(output_size=(7, 7), spatial_scale=0.25, sampling_ratio=2, aligned=False)")
    assert repr(ops.RoIPool(7, 0.5)) == "RoIPool(output_size=7, spatial_scale=0.5)"


def test_googlenet():
    # (seeded init, repr and outputs were checked against torchvision 0.29.1 by hand; here
    # the parts a reference-free test can pin down)
    with pytest.warns(FutureWarning, match="default weight initialization of GoogleNet"):
        m = models.googlenet(num_classes=10, dropout_aux=0.5, init_weights=None)
    assert type(m.aux1).__name__ == "InceptionAux" and m.aux_logits
    assert m.aux2.dropout.p == 0.5
    g = models.googlenet(aux_logits=False, init_weights=True)  # 6.6M truncated normals
    assert n_params(g) == models.GoogLeNet_Weights.DEFAULT.meta["num_params"]
    sd = g.state_dict()
    assert tuple(sd["inception3a.branch3.1.conv.weight"].shape) == (32, 16, 3, 3)  # "5x5"
    w = sd["conv1.conv.weight"].numpy()
    assert np.abs(w).max() <= 2 and 0.009 < w.std() < 0.011  # truncated N(0, 0.01)
    x = ember.randn(2, 3, 48, 48)
    m.train()
    out = m(x)
    assert type(out).__name__ == "GoogLeNetOutputs" and tuple(out.aux_logits1.shape) == (2, 10)
    m.eval()
    assert tuple(m(x).shape) == (2, 10)
    t = models.GoogLeNet(aux_logits=False, transform_input=True, init_weights=False)
    y = t._transform_input(ember.ones(1, 3, 2, 2))
    expect = [s / 0.5 + (m - 0.5) / 0.5 for m, s in ((0.485, 0.229), (0.456, 0.224),
                                                     (0.406, 0.225))]
    np.testing.assert_allclose(y[0, :, 0, 0].numpy(), expect, rtol=1e-6)
