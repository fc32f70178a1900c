"""``grad_fn._saved_<name>`` / ``_raw_saved_<name>`` of the nodes users inspect most (losses,
linear/conv layers, pooling, embeddings, shape ops): the same values (ints, tuples, tensors:
the very input tensor where PyTorch keeps it), the same after a backward (numbers kept,
tensors freed), compared with PyTorch."""
import pytest
import torch

import ember


def _cases(L):
    F = L.nn.functional
    L.manual_seed(0)
    a = L.randn(3, 4, requires_grad=True)
    b = L.randn(3, 4)
    w = L.randn(5, 4, requires_grad=True)
    img = L.randn(1, 2, 6, 6, requires_grad=True)
    cw = L.randn(3, 2, 3, 3, requires_grad=True)
    t = L.tensor([0, 1, 3])

    def node(y):  # (the node itself, with its output kept alive by the caller)
        return y, y.grad_fn

    return {"a": a, "b": b, "w": w, "img": img, "cw": cw}, {
        "mse": lambda: node(F.mse_loss(a, b, reduction="sum")),
        "smooth_l1": lambda: node(F.smooth_l1_loss(a, b, beta=0.5)),
        "nll": lambda: node(F.nll_loss(a, t, ignore_index=1, reduction="sum")),
        "nll_w": lambda: node(F.nll_loss(a, t, weight=L.ones(4))),
        "cross_entropy": lambda: node(F.cross_entropy(a, t)),
        "bce": lambda: node(F.binary_cross_entropy(a.sigmoid(), b.sigmoid(), reduction="none")),
        "bce_logits": lambda: node(F.binary_cross_entropy_with_logits(a, b.sigmoid(),
                                                                      pos_weight=L.ones(4))),
        "conv": lambda: node(F.conv2d(img, cw, stride=2, padding=(1, 0))),
        "conv_t": lambda: node(F.conv_transpose2d(img, cw.transpose(0, 1), stride=2,
                                                  output_padding=1)),
        "linear": lambda: node(F.linear(a, w, L.zeros(5))),
        "linear_const_x": lambda: node(F.linear(b, w, L.zeros(5))),
        "addmm": lambda: node(L.addmm(L.zeros(3, 5), a, w.t(), beta=0.5, alpha=2)),
        "mm": lambda: node(a @ w.t()),
        "mm_const_x": lambda: node(b @ w.t()),
        "mm_const_w": lambda: node(a @ L.randn(4, 5)),
        "embedding": lambda: node(F.embedding(L.tensor([[0, 2]]), w)),
        "maxpool": lambda: node(F.max_pool2d(img, 2)),
        "view": lambda: node(a.view(-1)),
        "flatten": lambda: node(img.flatten(1)),
        "sum": lambda: node(a.sum()),
        "sum_dim": lambda: node(a.sum(1)),
        "mean": lambda: node(a.mean()),
        "mean_dim": lambda: node(a.mean(1, keepdim=True)),
        "expand": lambda: node(a[:1].expand(3, 4)),
        "squeeze": lambda: node(a.unsqueeze(0).squeeze()),
        "select": lambda: node(a[1]),
        "slice": lambda: node(a[1:3]),
        "max_dim": lambda: node(a.max(1)[0]),
        "masked_fill": lambda: node(a.masked_fill(b > 0, 1.0)),
        "std": lambda: node(a.std()),
        "norm": lambda: node(a.norm()),
        "clamp": lambda: node(a.clamp(min=0)),
        "mul_number": lambda: node(a * 3),
        "layer_norm": lambda: node(F.layer_norm(img, (6, 6))),
        "layer_norm_affine": lambda: node(F.layer_norm(a, (4,), w[0], w[1])),
        "batch_norm": lambda: node(F.batch_norm(img, None, None, training=True, eps=0.1)),
    }


NAMES = {
    "mse": ["_saved_reduction", "_saved_self", "_saved_target"],
    "smooth_l1": ["_saved_reduction", "_saved_beta", "_saved_self", "_saved_target"],
    "nll": ["_saved_reduction", "_saved_ignore_index", "_saved_self", "_saved_target",
            "_saved_weight"],
    "nll_w": ["_saved_weight"],
    "cross_entropy": ["_saved_reduction", "_saved_ignore_index", "_saved_self"],
    "bce": ["_saved_reduction", "_saved_self", "_saved_target", "_saved_weight"],
    "bce_logits": ["_saved_reduction", "_saved_self", "_saved_target", "_saved_weight",
                   "_saved_pos_weight"],
    "conv": ["_saved_input", "_saved_weight", "_saved_stride", "_saved_padding",
             "_saved_dilation", "_saved_transposed", "_saved_output_padding", "_saved_groups"],
    "conv_t": ["_saved_stride", "_saved_transposed", "_saved_output_padding"],
    "linear": ["_saved_mat1", "_saved_mat2", "_saved_alpha", "_saved_beta",
               "_saved_mat1_sym_sizes", "_saved_mat1_sym_strides", "_saved_mat2_sym_sizes",
               "_saved_mat2_sym_strides"],
    "linear_const_x": ["_saved_mat1", "_saved_mat2", "_saved_mat1_sym_strides",
                       "_saved_mat2_sym_strides"],
    "addmm": ["_saved_mat1", "_saved_alpha", "_saved_beta"],
    "mm": ["_saved_self_sym_sizes", "_saved_self_sym_strides", "_saved_mat2_sym_sizes",
           "_saved_mat2_sym_strides"],
    "mm_const_x": ["_saved_self", "_saved_mat2", "_saved_self_sym_strides",
                   "_saved_mat2_sym_strides"],
    "mm_const_w": ["_saved_self", "_saved_mat2", "_saved_self_sym_strides",
                   "_saved_mat2_sym_strides"],
    "embedding": ["_saved_weight_sym_argsize_0", "_saved_indices"],
    "maxpool": ["_saved_self", "_saved_result1"],
    "view": ["_saved_self_sym_sizes"],
    "flatten": ["_saved_self_sym_sizes"],
    "sum": ["_saved_self_sym_sizes"],
    "sum_dim": ["_saved_self_sym_sizes"],
    "mean": ["_saved_self_sym_sizes", "_saved_self_sym_numel"],
    "mean_dim": ["_saved_self_sym_sizes", "_saved_self_sym_numel"],
    "expand": ["_saved_self_sym_sizes"],
    "squeeze": ["_saved_self_sym_sizes"],
    "select": ["_saved_self_sym_sizes"],
    "slice": ["_saved_self_sym_sizes"],
    "max_dim": ["_saved_indices"],
    "masked_fill": ["_saved_mask"],
    "std": ["_saved_self", "_saved_result"],
    "norm": ["_saved_self", "_saved_result"],
    "clamp": ["_saved_self"],
    "mul_number": ["_saved_other", "_raw_saved_other"],
    "layer_norm": ["_saved_input", "_saved_weight", "_saved_result1", "_saved_result2",
                   "_saved_normalized_shape"],
    "layer_norm_affine": ["_saved_weight", "_saved_normalized_shape"],
    "batch_norm": ["_saved_eps", "_saved_training"],
}


def _show(L, leaves, y, fn, names):
    out = [type(fn).__name__]
    for n in names:
        try:
            v = getattr(fn, n)
        except Exception as e:  # noqa: BLE001
            out.append((n, type(e).__name__, str(e)[:60]))
            continue
        if isinstance(v, L.Tensor):
            same = [k for k, t in leaves.items() if v is t] + (["out"] if v is y else [])
            out.append((n, "Tensor", tuple(v.shape), str(v.dtype).split(".")[-1],
                        v.tolist() if v.dtype in (L.int64, L.bool) else None, same))
        elif type(v).__name__ == "SavedTensor":
            out.append((n, "SavedTensor"))
        else:
            out.append((n, type(v).__name__, v))
    return out


def _run(L, key, backward):
    leaves, cases = _cases(L)
    y, fn = cases[key]()
    res = [_show(L, leaves, y, fn, NAMES[key])]
    if backward:
        y.sum().backward()
        res.append(_show(L, leaves, y, fn, NAMES[key]))
    return res


@pytest.mark.parametrize("backward", [False, True])
@pytest.mark.parametrize("key", sorted(NAMES))
def test_saved_attributes_match_torch(key, backward):
    assert _run(ember, key, backward) == _run(torch, key, backward)


def _dir_saved(L, key):
    _, cases = _cases(L)
    y, fn = cases[key]()
    return [n for n in dir(fn) if n.startswith(("_saved_", "_raw_saved_"))]


@pytest.mark.parametrize("key", ["mse", "smooth_l1", "bce", "bce_logits", "linear", "mm",
                                 "view", "sum", "mean", "expand", "squeeze", "masked_fill",
                                 "mul_number"])
def test_dir_lists_the_saved_names_in_order(key):
    assert _dir_saved(ember, key) == _dir_saved(torch, key)


def _raw_hooks(L):
    F = L.nn.functional
    a = L.randn(3, 4, requires_grad=True)
    log = []
    y = F.mse_loss(a, L.zeros(3, 4))
    y.grad_fn._raw_saved_self.register_hooks(lambda x: (log.append("pack"), x)[1],
                                             lambda x: (log.append("unpack"), x)[1])
    y.backward()
    try:
        y.grad_fn._raw_saved_self.register_hooks(lambda x: x, lambda x: x)
    except RuntimeError as e:
        log.append(str(e))
    x = a.clone()
    y = F.mse_loss(x, L.zeros(3, 4))
    x.add_(1)
    try:
        log.append(y.grad_fn._saved_self)
    except RuntimeError as e:
        log.append(str(e))
    log.append(y.grad_fn._saved_reduction)
    return log


def test_raw_saved_hooks_and_errors_match_torch():
    assert _raw_hooks(ember) == _raw_hooks(torch)
