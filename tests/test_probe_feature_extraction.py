"""torchvision.models.feature_extraction (create_feature_extractor, get_graph_node_names) and
the model registry (get_model, list_models, get_model_weights, get_weight), against torchvision
0.29: its results are in data/feature_extraction_tv.json (written by
data/make_feature_extraction_tv.py, as torchvision is not installed here); torch.fx and plain
torch computations are compared with real torch directly."""
import copy
import json
import os
import pickle
import warnings
from functools import partial

import numpy as np
import pytest
import torch

import ember
from diff import assert_bits_or_close
from ember.vision import models
from ember.vision.models.feature_extraction import (create_feature_extractor,
                                                    get_graph_node_names)

with open(os.path.join(os.path.dirname(__file__), "data", "feature_extraction_tv.json")) as _f:
    TV = json.load(_f)

_KW = {"vit_b_16": {"image_size": 32}, "googlenet": {"init_weights": False},
      "lraspp_mobilenet_v3_large": {"weights_backbone": None}}


def _model(name):
    # (on the meta device: only names are compared)
    if name == "regnet_y_400mf":  # (its builder computes the widths with tensors)
        params = models.regnet.BlockParams.from_init_params(
            depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8, se_ratio=0.25)
        with ember.device("meta"):
            return models.RegNet(params, norm_layer=partial(ember.nn.BatchNorm2d, eps=1e-05,
                                                            momentum=0.1))
    with ember.device("meta"):
        return models.get_model(name, **_KW.get(name, {}))


def _net(lib):
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(8 * 4 * 4, 10)
            self.scale = nn.Parameter(lib.ones(1))
            self.register_buffer("offset", lib.zeros(1))

        def forward(self, x):
            x = self.pool(nn.functional.relu(self.conv1(x)))
            y = lib.relu(self.conv2(x)) * self.scale + self.offset
            x = x + y
            x = self.pool(x)
            x = x.view(x.size(0), -1)
            x = lib.cat([x, x], dim=1)[:, :128]
            x = x.mean(dim=0, keepdim=True) + x
            return self.fc(x)

    lib.manual_seed(0)
    return Net()


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return [type(e).__name__, str(e)]
    return None


@pytest.mark.parametrize("name", sorted(n for n in TV["nodes"] if n != "Net"))
def test_node_names_match_torchvision(name):
    m = _model(name)
    m.eval()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        train, eval_ = get_graph_node_names(m)
    want = TV["nodes"][name]
    assert train == want["train"]
    assert eval_ == (want["eval"] or want["train"])
    assert [str(x.message) for x in w] == want["warnings"]
    assert not m.training  # (the mode is put back)


def test_extractor_code_matches_torchvision():
    for name, nodes, code, cls_name in TV["code"]:
        if name == "Net":
            continue
        fe = create_feature_extractor(_model(name), nodes)
        fe.eval()
        assert fe.code == code, (name, nodes)
        assert type(fe).__name__ == cls_name
        assert isinstance(fe, ember.fx.GraphModule)


def test_user_model_against_torch():
    e, t = _net(ember), _net(torch)
    assert get_graph_node_names(e)[0] == TV["nodes"]["Net"]["train"]
    fe = create_feature_extractor(e, {"conv1": "c1", "add": "res", "view": "flat", "fc": "out",
                                      "scale": "sc"})
    assert fe.code == TV["code"][-1][2] and type(fe).__name__ == "Net"
    assert str(fe) == TV["net_repr"]
    assert sorted(fe.state_dict()) == TV["net_state"]
    x = np.random.default_rng(0).standard_normal((2, 3, 16, 16)).astype(np.float32)
    out = fe(ember.tensor(x))
    assert list(out) == ["c1", "sc", "res", "flat", "out"]  # (in the graph's order)
    tx = torch.tensor(x)
    with torch.no_grad():
        c1 = t.conv1(tx)
        p = t.pool(torch.relu(c1))
        y = torch.relu(t.conv2(p)) * t.scale + t.offset  # ("add": the first addition)
        want = {"c1": c1, "sc": t.scale, "res": y, "flat": t.pool(p + y).view(2, -1),
                "out": t(tx)}
    for k, v in want.items():
        np.testing.assert_allclose(out[k].detach().numpy(), v.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    # a module's name gives its last node; names are matched by prefix up to a dot
    fe = create_feature_extractor(e, ["pool", "pool_1", "getitem", "mean", "add_1"])
    got = {k: tuple(v.shape) for k, v in fe(ember.tensor(x)).items()}
    assert got == {"pool": (2, 8, 8, 8), "add_1": (2, 8, 8, 8), "pool_1": (2, 8, 4, 4),
                   "getitem": (2, 128), "mean": (1, 128)}


def test_errors_match_torchvision():
    net = _net(ember)
    with ember.device("meta"):
        g = models.googlenet(init_weights=False)
    got = {
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
    assert got == TV["errors"]


def _mode_models():
    nn = ember.nn

    class Drop(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)
            self.drop = nn.Dropout(0.5)

        def forward(self, x):
            x = self.lin(x)
            if self.training:
                x = self.drop(x) * 2
            return x.relu()

    class Other(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            x = self.lin(x)
            if self.training:
                return x.sigmoid()
            return x.tanh()

    return Drop, Other


_SUGGEST = ("When choosing nodes for feature extraction, you may need to specify output nodes "
            "for train and eval mode separately.")


def test_train_and_eval_graphs():
    Drop, Other = _mode_models()
    for cls, train, eval_, msg in [
            (Drop, ["x", "lin", "drop", "mul", "relu"], ["x", "lin", "relu"],
             "NOTE: The nodes obtained by tracing the model in eval mode are a subsequence of "
             "those obtained in train mode. "),
            (Other, ["x", "lin", "sigmoid"], ["x", "lin", "tanh"],
             "The nodes obtained by tracing the model in train mode are different to those "
             "obtained in eval mode. ")]:
        m = cls().eval()
        with pytest.warns(UserWarning) as w:
            assert get_graph_node_names(m) == (train, eval_)
        assert [str(x.message) for x in w] == [msg + _SUGGEST]
        assert not m.training
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            get_graph_node_names(m, suppress_diff_warning=True)
    fe = create_feature_extractor(Drop(), train_return_nodes={"mul": "a", "relu": "b"},
                                  eval_return_nodes={"lin": "a", "relu": "b"},
                                  suppress_diff_warning=True)
    assert fe.training and fe.graph is fe.train_graph
    assert fe.code == ("\n\n\ndef forward(self, x):\n    lin = self.lin(x);  x = None\n"
                       "    drop = self.drop(lin);  lin = None\n    mul = drop * 2;  drop = None\n"
                       "    relu = mul.relu()\n    return {'a': mul, 'b': relu}\n    ")
    fe.eval()
    assert fe.graph is fe.eval_graph
    assert fe.code == ("\n\n\ndef forward(self, x):\n    lin = self.lin(x);  x = None\n"
                       "    relu = lin.relu()\n    return {'a': lin, 'b': relu}\n    ")
    assert sorted(dict(fe.named_modules())) == ["", "drop", "lin"]


def test_copies_as_torchvision():
    Drop, _ = _mode_models()
    fe = create_feature_extractor(Drop().eval(), ["lin", "relu"], suppress_diff_warning=True)
    assert not fe.training and type(fe).__name__ == "Drop"
    # a deep copy is named GraphModule and starts in train mode; the original keeps its name
    dc = copy.deepcopy(fe)
    assert (type(dc).__name__, dc.training, dc.graph is dc.train_graph) == \
        ("GraphModule", True, True)
    assert type(fe).__name__ == "Drop" and type(dc).__mro__[1].__name__ == "DualGraphModule"
    # copy and pickle give plain GraphModules (pickle keeps the other attributes)
    cp = copy.copy(fe)
    assert (type(cp).__name__, type(cp).__mro__[1].__name__) == ("GraphModule", "GraphModule")
    pk = pickle.loads(pickle.dumps(fe))
    assert (type(pk).__name__, type(pk).__mro__[1].__name__) == ("GraphModule", "GraphModule")
    assert hasattr(pk, "train_graph") and not pk.training
    x = ember.ones(2, 4)
    assert ember.equal(pk(x)["relu"], fe(x)["relu"])


def test_graph_module_copies_named_as_torch():
    def make(lib):
        class Small(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(2, 2)

            def forward(self, x):
                return self.lin(x).relu()
        return lib.fx.symbolic_trace(Small())

    for gm in (make(torch), make(ember)):
        gm.eval()
        for f in (copy.copy, copy.deepcopy, lambda g: pickle.loads(pickle.dumps(g))):
            other = f(gm)
            assert (type(other).__name__, other.training, type(gm).__name__) == \
                ("GraphModule", False, "Small")
    assert type(make(ember)).__qualname__ == type(make(torch)).__qualname__


def test_buffers_are_not_proxied_as_torch():
    def make(lib):
        class B(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("flag", lib.ones(1))
                self.register_buffer("shift", lib.zeros(2))

            def forward(self, x):
                s = self.shift
                if self.flag.sum() > 0:  # (a buffer is a tensor while tracing)
                    x = x * 2
                return x + s + s
        return lib.fx.symbolic_trace(B())

    t, e = make(torch), make(ember)
    assert str(e.graph) == str(t.graph)
    assert e.code == t.code


def test_model_forward_annotations_in_traced_code():
    with ember.device("meta"):
        gm = ember.fx.symbolic_trace(models.resnet18())
    assert gm.code.splitlines()[3] == "def forward(self, x : torch.Tensor) -> torch.Tensor:"
    assert "flatten = torch.flatten(avgpool, 1);  avgpool = None" in gm.code
    assert models.GoogLeNet.forward.__annotations__["return"] is models.GoogLeNetOutputs
    assert "return" not in models.VisionTransformer.forward.__annotations__


def test_fpn_style_features_and_intermediate_layer_getter():
    with ember.device("meta"):  # (a quick init: uniform weights)
        m = models.ResNet(models.BasicBlock, [1, 1, 1, 1], num_classes=10)
    m = m.to_empty(device="cpu").eval()
    ember.manual_seed(0)
    for p in m.parameters():
        ember.nn.init.uniform_(p, -0.1, 0.1)
    for mod in m.modules():
        if isinstance(mod, ember.nn.BatchNorm2d):
            mod.reset_running_stats()
    body = create_feature_extractor(m, {f"layer{k}": str(k - 1) for k in (1, 2, 3, 4)})
    assert not body.training
    x = ember.rand(1, 3, 32, 32)
    with ember.no_grad():
        feats = body(x)
        ilg = models._utils.IntermediateLayerGetter(
            m, {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"})(x)
        fpn = ember.vision.ops.FeaturePyramidNetwork([64, 128, 256, 512], 16)(feats)
    assert [(k, tuple(v.shape)) for k, v in feats.items()] == [
        ("0", (1, 64, 8, 8)), ("1", (1, 128, 4, 4)), ("2", (1, 256, 2, 2)), ("3", (1, 512, 1, 1))]
    for k in feats:
        assert ember.equal(feats[k], ilg[k])
    assert [tuple(v.shape) for v in fpn.values()] == [(1, 16, 8, 8), (1, 16, 4, 4),
                                                       (1, 16, 2, 2), (1, 16, 1, 1)]
    # only what the outputs need is kept
    assert not hasattr(body, "fc") and not hasattr(body, "avgpool")


def test_registry_as_torchvision():
    assert models.list_models(module=models.resnet) == []  # (a file, not a package)
    assert models.list_models(module=models.detection)[:3] == [
        "fasterrcnn_mobilenet_v3_large_320_fpn", "fasterrcnn_mobilenet_v3_large_fpn",
        "fasterrcnn_resnet50_fpn"]
    assert "resnet18" in models.list_models(module=models)
    assert "fcn_resnet50" not in models.list_models(module=models)
    assert models.list_models(include=["vit_*", "swin_v2*"], exclude="*_l_*") == [
        "swin_v2_b", "swin_v2_s", "swin_v2_t", "vit_b_16", "vit_b_32", "vit_h_14"]
    assert models.list_models(include=[]) == models.list_models()
    assert _error(lambda: models.list_models("vgg*")) == [
        "AttributeError", "'str' object has no attribute '__name__'"]
    assert models.get_weight("ResNet18_Weights.DEFAULT") is models.ResNet18_Weights.IMAGENET1K_V1
    assert models.get_weight("FasterRCNN_ResNet50_FPN_Weights.DEFAULT") is \
        models.detection.FasterRCNN_ResNet50_FPN_Weights.COCO_V1
    assert _error(lambda: models.get_weight("ResNet50_Weights")) == [
        "ValueError", "Invalid weight name provided: 'ResNet50_Weights'."]
    assert _error(lambda: models.get_weight("a.b.c")) == [
        "ValueError", "Invalid weight name provided: 'a.b.c'."]
    assert _error(lambda: models.get_weight("resnet50.DEFAULT")) == [
        "TypeError", "issubclass() arg 1 must be a class"]
    assert _error(lambda: models.get_weight("Nope_Weights.DEFAULT")) == [
        "ValueError", "The weight enum 'Nope_Weights' for the specific method couldn't be "
        "retrieved."]
    assert _error(lambda: models.get_weight("ResNet50_Weights.NOPE")) == ["KeyError", "'NOPE'"]
    assert models.get_model_weights(models.vit_b_16) is models.ViT_B_16_Weights
    assert _error(lambda: models.get_model_weights(models.get_model)) == [
        "ValueError", "The method is missing the 'weights' argument."]
    assert _error(lambda: models.get_model("nope")) == ["ValueError", "Unknown model nope"]


def test_torchvision_ops_functions_are_fx_leaves():
    ops = ember.vision.ops

    class M(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.sd = ops.StochasticDepth(0.2, "row")
            self.db = ops.DropBlock2d(0.1, 3)

        def forward(self, x):
            return self.db(self.sd(x)) + x

    code = ember.fx.symbolic_trace(M()).code
    assert code.startswith(
        '\ntorch.fx._symbolic_trace.wrap("torchvision_ops_stochastic_depth_stochastic_depth")\n'
        'torch.fx._symbolic_trace.wrap("torchvision_ops_drop_block_drop_block2d")\n')
    assert ("    stochastic_depth = torchvision_ops_stochastic_depth_stochastic_depth(x, 0.2, "
            "'row', True)\n    drop_block2d = torchvision_ops_drop_block_drop_block2d("
            "stochastic_depth, 0.1, 3, False, 1e-06, True);  stochastic_depth = None\n") in code


def _leaf_function(x):
    return int(x)


def test_user_leaf_modules_and_functions():
    nn = ember.nn

    class LeafModule(nn.Module):
        def forward(self, x):
            int(x.shape[0])
            return nn.functional.relu(x + 4)

    class MyModule(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 1, 3)
            self.leaf_module = LeafModule()

        def forward(self, x):
            _leaf_function(x.shape[0])
            x = self.conv(x)
            return self.leaf_module(x)

    m = MyModule()
    assert _error(lambda: get_graph_node_names(m)) == [
        "TypeError", "int() argument must be a string, a bytes-like object or a real number, "
        "not 'Proxy'"]
    kw = {"leaf_modules": [LeafModule], "autowrap_functions": [_leaf_function]}
    names = ["x", "getattr", "getitem", "_leaf_function", "conv", "leaf_module"]
    assert get_graph_node_names(m, tracer_kwargs=dict(kw)) == (names, names)
    fe = create_feature_extractor(m, ["leaf_module", "_leaf_function"], tracer_kwargs=kw)
    out = fe(ember.rand(2, 3, 8, 8))
    assert list(out) == ["_leaf_function", "leaf_module"] and out["_leaf_function"] == 2
    assert '_leaf_function")\n\ndef forward(self, x):\n' in fe.code


def test_print_readable_as_torch():
    seq = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.ReLU())
    # (PyTorch's, as a literal: its print_readable takes seconds to import)
    assert ember.fx.symbolic_trace(seq).print_readable(print_output=False) == (
        'class Sequential(torch.nn.Module):\n    def forward(self, input):\n'
        '        input_1 = input\n\n        # No stacktrace found for following nodes\n'
        '        _0 = getattr(self, "0")(input_1);  input_1 = None\n'
        '        _1 = getattr(self, "1")(_0);  _0 = None\n        return _1\n')


_Pair = __import__("collections").namedtuple("_Pair", ["a", "b"])


def test_namedtuple_outputs_are_nodes_as_torch():
    def make(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(2, 2)

            def forward(self, x):
                return _Pair(self.lin(x), x.relu())
        return lib.fx.symbolic_trace(M())

    e, t = make(ember), make(torch)
    assert e.code == t.code and str(e.graph) == str(t.graph)
    assert "    _pair = " in e.code
    out = e(ember.ones(1, 2))
    assert type(out) is _Pair and ember.equal(out.b, ember.ones(1, 2))
    with ember.device("meta"):
        g = models.googlenet(init_weights=False, aux_logits=True)
    assert ("    goog_le_net_outputs = torchvision_models_googlenet_GoogLeNetOutputs(fc, aux2_fc2, "
            "aux1_fc2);  fc = aux2_fc2 = aux1_fc2 = None\n    return goog_le_net_outputs\n") \
        in ember.fx.symbolic_trace(g).code


def _tiny_maxvit():
    ember.manual_seed(0)
    return models.MaxVit(input_size=(32, 32), stem_channels=8, partition_size=2,
                         block_channels=[8, 16], block_layers=[1, 1], head_dim=4,
                         stochastic_depth_prob=0.0, num_classes=5)


def test_maxvit_traces_and_its_extractor_matches_the_model():
    # (maxvit_t's node names against torchvision are in test_node_names_match_torchvision)
    m = _tiny_maxvit().eval()
    att = "blocks.0.layers.0.layers.grid_attention.attn_layer.1."
    names = get_graph_node_names(m)[0]
    for n in ["einsum", "einsum_1", "softmax", "chunk", "getitem_6", "permute_4", "merge"]:
        assert att + n in names
    assert "blocks.0.layers.0.layers.window_attention.partition_swap" in names
    assert "blocks.0.layers.0.layers.grid_attention.partition_swap.swapaxes" in names
    fe = create_feature_extractor(m, {"blocks.0": "b0", att + "softmax": "attn",
                                      "classifier.5": "out"})
    # (torchvision's forward is annotated: x : torch.Tensor)
    assert fe.code.startswith("\n\n\ndef forward(self, x : torch.Tensor):\n")
    x = ember.tensor(np.random.default_rng(0).standard_normal((2, 3, 32, 32), np.float32))
    out = fe(x)
    with ember.no_grad():
        assert ember.equal(out["out"], m(x))
        assert ember.equal(out["b0"], m.blocks[0](m.stem(x)))
    assert out["attn"].shape == (2, 16, 2, 4, 4)  # (B, G, heads, P, P)


def test_maxvit_attention_against_torch():
    m = models.maxvit.RelativePositionalMultiHeadAttention(16, 4, 9)
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 16)).astype(np.float32)
    got = m(ember.tensor(x)).detach().numpy()
    w = {k: torch.from_numpy(v.detach().numpy().copy()) for k, v in m.state_dict().items()}
    B, G, P, D = x.shape
    q, k, v = torch.chunk(torch.nn.functional.linear(torch.from_numpy(x), w["to_qkv.weight"],
                                                     w["to_qkv.bias"]), 3, dim=-1)
    q, k, v = (t.reshape(B, G, P, 4, 4).permute(0, 1, 3, 2, 4) for t in (q, k, v))
    bias = w["relative_position_bias_table"][w["relative_position_index"].view(-1)]
    bias = bias.view(9, 9, -1).permute(2, 0, 1).contiguous().unsqueeze(0)
    a = torch.einsum("B G H I D, B G H J D -> B G H I J", q, k * 16 ** -0.5)
    a = torch.nn.functional.softmax(a + bias, dim=-1)
    out = torch.einsum("B G H I J, B G H J D -> B G H I D", a, v)
    out = out.permute(0, 1, 3, 2, 4).reshape(B, G, P, D)
    want = torch.nn.functional.linear(out, w["merge.weight"], w["merge.bias"]).numpy()
    # (products (MKL) and softmax's exp (VML): bitwise on the measured processor, else close)
    assert_bits_or_close(got, want, rtol=1e-5, atol=1e-6)


def test_tracer_and_layer_getter_class_names_under_ember_run():
    from ember import _compat
    from ember.vision.models._utils import IntermediateLayerGetter

    with ember.device("meta"):
        g = IntermediateLayerGetter(models.resnet18(), {"layer1": "a"})
    _compat.install()
    try:
        assert str(ember.fx.Tracer) == str(torch.fx.Tracer)
        assert [str(c) for c in ember.fx.Tracer.__mro__] == \
            [str(c) for c in torch.fx.Tracer.__mro__]
        assert str(ember.fx.proxy.GraphAppendingTracer.__mro__) == \
            str(torch.fx.proxy.GraphAppendingTracer.__mro__)
        # torchvision 0.29.1
        assert str(type(g)) == "<class 'torchvision.models._utils.IntermediateLayerGetter'>"
        assert pickle.loads(pickle.dumps(IntermediateLayerGetter)) is IntermediateLayerGetter
    finally:
        _compat.uninstall()
    assert ember.fx.Tracer.__module__ == "ember.fx._symbolic_trace"
    assert IntermediateLayerGetter.__module__ == "ember.vision.models._intermediate"


def test_tensor_split_takes_its_overloads_keywords_as_torch():
    # (torchvision's MViT pools with torch.tensor_split(x, indices=(1,), dim=2))
    def run(lib):
        x = lib.arange(12).reshape(2, 6)
        calls = [lambda: lib.tensor_split(x, indices=(1, 4), dim=1),
                 lambda: x.tensor_split(indices=[2]), lambda: x.tensor_split(sections=2, dim=-1),
                 lambda: lib.tensor_split(x, tensor_indices_or_sections=lib.tensor([1, 3]), dim=1),
                 lambda: lib.tensor_split(x, tensor_indices_or_sections=2),
                 lambda: lib.tensor_split(x, indices_or_sections=2),
                 lambda: x.tensor_split(sections=(1, 2)), lambda: lib.tensor_split(x, indices=2),
                 lambda: lib.tensor_split(x, 2, dim=0, sections=2)]
        out = []
        for f in calls:
            try:
                out.append([p.tolist() for p in f()])
            except TypeError as e:
                out.append(str(e))
        return out

    assert run(ember) == run(torch)
