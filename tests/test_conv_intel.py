"""PyTorch's float32 convolutions bit for bit on both measured processors (AMD and Intel).

``ember._ops._onednn_conv`` and its companions reproduce oneDNN's kernels and PyTorch's own
batch-1 path; on the Intel processor (``_mkl_gemm.profile() == "intel"``) oneDNN sums in the
same orders, but its blocking reads the larger caches there (48 KiB L1, 2 MiB L2:
``_onednn_conv.caches``), its strided backward-data threads cut the width more often
(``_onednn_conv.strided_width_whole`` counts its work otherwise there), and MKL's batch-1
products follow the Intel plan.
Checked here against PyTorch: random shapes of every family (forward and the three
gradients, 1 and 2 threads; every claim exact), the shapes that were wrong on the Intel
processor, and the tutorial CNNs trained from the same seed (every loss and parameter bit).
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember._ops import _mkl_gemm, _onednn_conv as OC, _onednn_deconv as D

from diff import bits, conv_exact, pinned_threads

torch = pytest.importorskip("torch")
F = torch.nn.functional

exact = conv_exact(torch)


@pytest.fixture(autouse=True)
def _threads():
    yield from pinned_threads(torch, ember, 2)


def test_cache_sizes():
    want = {"amd": (32 << 10, 1 << 20), "intel": (48 << 10, 2 << 20)}
    assert OC.caches() == want.get(_mkl_gemm.profile(), want["amd"])


def _torch_pass(x, w, b, g, s, p, d, groups, threads):
    torch.set_num_threads(threads)
    ts = [torch.from_numpy(a).requires_grad_() for a in (x, w, b)]
    y = F.conv2d(*ts, s, p, d, groups)
    return [y.detach().numpy()] + [t.numpy() for t in torch.autograd.grad(y, ts,
                                                                         torch.from_numpy(g))]


def _ember_pass(x, w, b, g, s, p, d, groups, threads):
    return [OC.conv2d(x, w, b, s, p, d, groups, threads=threads),
            OC.conv2d_grad_input(g, w, x.shape, s, p, d, groups, threads=threads),
            OC.conv2d_grad_weight(x, g, w.shape, s, p, d, groups, threads=threads),
            OC.conv2d_grad_bias(g, x.shape, w.shape, s, p, d, groups, threads=threads)]


def _random_shape(rng, family):
    """(N, C, H, W, O, KH, KW, stride, padding, dilation, groups) of one family."""
    n = int(rng.choice([1, 2, 3, 4, 8, 16]))
    s, p, d, g = int(rng.choice([1, 1, 2, 3])), int(rng.integers(0, 3)), 1, 1
    kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    c, o = int(rng.choice([1, 3, 6, 16, 17, 32, 40])), int(rng.choice([1, 6, 16, 32, 48]))
    if family == "1x1":
        kh = kw = 1
        p = 0
        c, o = int(rng.integers(60, 200)), int(rng.integers(8, 200))
    elif family == "native":
        n = 1
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    elif family == "depthwise":
        g = c = o = int(rng.choice([3, 8, 16, 32]))
    elif family == "grouped":
        g = int(rng.choice([2, 4]))
        c, o = g * 16 * int(rng.integers(1, 3)), g * 16 * int(rng.integers(1, 3))
    elif family == "dilated":
        d = 2
    h, w = int(rng.integers(max(kh * d, 5), 26)), int(rng.integers(max(kw * d, 5), 26))
    return n, c, h, w, o, kh, kw, s, p, d, g


@exact
@pytest.mark.parametrize("family", ["direct", "1x1", "native", "depthwise", "grouped",
                                    "dilated"])
def test_random_shapes_claims_are_exact(family):
    """Every claimed forward, input, weight and bias result of random shapes is PyTorch's
    bit for bit on 1 and 2 threads, and most shapes are claimed."""
    rng = np.random.default_rng(["direct", "1x1", "native", "depthwise", "grouped",
                                 "dilated"].index(family) + 40)
    claimed, wrong, tried = 0, [], 0
    while tried < 8:
        n, c, h, w, o, kh, kw, s, p, d, groups = shape = _random_shape(rng, family)
        if n * c * h * w > 30000:
            continue
        tried += 1
        x = rng.standard_normal((n, c, h, w)).astype(np.float32)
        wt = (rng.standard_normal((o, c // groups, kh, kw)) / (c * kh * kw / groups) ** 0.5
              ).astype(np.float32)
        b = rng.standard_normal(o).astype(np.float32)
        oh, ow = ((h + 2 * p - d * (kh - 1) - 1) // s + 1, (w + 2 * p - d * (kw - 1) - 1) // s + 1)
        g = (rng.standard_normal((n, o, oh, ow)) / 10).astype(np.float32)
        for threads in (1, 2):
            theirs = _torch_pass(x, wt, b, g, s, p, d, groups, threads)
            for name, e, t in zip("yxwb", _ember_pass(x, wt, b, g, s, p, d, groups, threads),
                                  theirs, strict=True):
                if e is None:
                    continue
                claimed += 1
                if e.shape != t.shape or (bits(e) != bits(t)).any():
                    wrong.append((name, threads, shape))
    assert not wrong, wrong
    assert claimed >= (8 if family == "dilated" else 24)  # (of 64; dilated: forward only)


def _onexone(n, c, h, w, o, seed):
    rng = np.random.default_rng(seed)
    x = np.maximum(rng.standard_normal((n, c, h, w)), 0).astype(np.float32)
    wt = (rng.standard_normal((o, c, 1, 1)) / c ** 0.5).astype(np.float32)
    g = (rng.standard_normal((n, o, h, w)) / 50).astype(np.float32)
    return x, wt, g


@exact
@pytest.mark.parametrize("shape", [(2, 96, 23, 23, 128), (3, 118, 25, 23, 251),
                                   (2, 131, 39, 38, 16)], ids=str)
def test_1x1_weight_gradient_blocks_follow_the_l1_cache(shape):
    """oneDNN's 1x1 weight gradient walks its positions in steps the L1 cache bounds: 32 KiB
    on the AMD processor, 48 KiB on the Intel one (with 32 KiB these were wrong there)."""
    x, wt, g = _onexone(*shape, seed=sum(shape))
    assert OC.bwd_route(x.shape, wt.shape, 1, threads=2) == "onednn_1x1"
    t = _torch_pass(x, wt, np.zeros(shape[4], np.float32), g, 1, 0, 1, 1, 2)
    assert (bits(OC.conv2d_grad_weight(x, g, wt.shape, 1, threads=2)) == bits(t[2])).all()


@exact
def test_strided_input_gradient_widths():
    """brgconv_strided's row blocks read the L2 cache (2 MiB on the Intel processor: 3 images
    of 64x64 stay one row block there, their width cut in halves, refused); and on the Intel
    processor its 2 threads cut the width of few-image shapes that the AMD model keeps whole
    (all channels up to 64 one block of work there: an odd number of images may be cut,
    refused unless whole and cut sum alike; an even one is kept whole)."""
    rng = np.random.default_rng(3)
    intel = _mkl_gemm.profile() == "intel"
    for xs, ws, s, p, refused_on_intel in [
            ((3, 8, 64, 64), (64, 8, 3, 3), 2, 1, True),
            ((5, 47, 23, 64), (5, 47, 4, 4), 2, 1, True),  # (10 items on AMD: whole)
            ((7, 6, 9, 72), (13, 6, 4, 4), 2, 1, True),
            ((2, 16, 32, 32), (32, 16, 4, 4), 2, 1, False),  # (2 images: kept whole)
            ((32, 16, 12, 12), (8, 16, 3, 3), 2, 1, False)]:  # (many items: kept whole)
        w = rng.standard_normal(ws).astype(np.float32)
        oh, ow = (xs[2] + 2 * p - ws[2]) // s + 1, (xs[3] + 2 * p - ws[3]) // s + 1
        g = rng.standard_normal((xs[0], ws[0], oh, ow)).astype(np.float32)
        got = OC.conv2d_grad_input(g, w, xs, s, p, threads=2)
        if intel:
            assert (got is None) == refused_on_intel, xs
        if got is not None:
            xt = torch.zeros(xs, requires_grad=True)
            F.conv2d(xt, torch.from_numpy(w), None, s, p).backward(torch.from_numpy(g))
            assert (bits(got) == bits(xt.grad.numpy())).all(), xs


@exact
@pytest.mark.parametrize("threads", [1, 2])
def test_transposed_bias_gradient_of_few_channels(threads):
    """conv_transpose2d's bias gradient with 1 to 3 output channels: per image, then the
    images' sums, where oneDNN's weights pass takes them as one block (its AVX-512 kernel,
    or 3 channels on its AVX2 one); one chain where its AVX2 kernel pads 1 or 2 channels to
    a block of 8 (paddings past half the kernel: once summed per image, wrong)."""
    ember.set_num_threads(threads)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(threads)
    for n, c, h, w, co, k, s, p, op in [(16, 3, 19, 11, 1, 5, 2, 3, 0),
                                        (8, 32, 9, 5, 2, 5, 1, 3, 0),
                                        (16, 16, 12, 8, 3, 4, 2, 3, 1),
                                        (4, 8, 9, 9, 2, 3, 2, 1, 0),
                                        (8, 8, 9, 9, 1, 3, 2, 0, 0)]:
        x = rng.standard_normal((n, c, h, w)).astype(np.float32)
        wt = rng.standard_normal((c, co, k, k)).astype(np.float32)
        ts = [torch.from_numpy(a).requires_grad_() for a in (x, wt, np.zeros(co, np.float32))]
        y = F.conv_transpose2d(*ts, s, p, op)
        g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        want = torch.autograd.grad(y, ts, torch.from_numpy(g))
        got = (D.forward(x, wt, None, s, p, op), D.grad_input(g, wt, x.shape, s, p, op),
               D.grad_weight(x, g, wt.shape, s, p, op), D.grad_bias(g, x.shape, wt.shape, s, p, op))
        assert got[3] is not None
        for e, t in zip(got, (y.detach(),) + want, strict=True):
            if e is not None:
                assert (bits(e) == bits(t.numpy())).all(), (n, c, co, k, s, p)


# -- the tutorial CNNs, trained -------------------------------------------------------------

def _cnn(mod, kind):
    nn = mod.nn
    if kind == "fashion":  # (the FashionMNIST CNN: Conv2d(1, 32, 3), Conv2d(32, 64, 3))
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(64 * 5 * 5, 10))
    if kind == "padded":
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    # (the CIFAR-10 tutorial's: Conv2d(3, 6, 5), Conv2d(6, 16, 5))
    return nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 5 * 5, 120),
                         nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def _train(mod, kind, x, y, batches, adam):
    mod.manual_seed(0)
    model = _cnn(mod, kind)
    opt = (mod.optim.Adam(model.parameters(), lr=1e-3) if adam else
           mod.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    losses, at = [], 0
    for size in batches:  # (the last batch may be partial)
        loss = mod.nn.functional.cross_entropy(model(mod.tensor(x[at:at + size])),
                                               mod.tensor(y[at:at + size]))
        at += size
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item().hex())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


@exact
@pytest.mark.parametrize("kind,batches,adam,threads", [
    ("fashion", (16, 5), False, 2),
    ("fashion", (1, 1), False, 2),  # (batch 1: PyTorch's own path, MKL's one-row products)
    ("padded", (16, 7), True, 2),
    ("cifar", (8, 3), True, 1)], ids=str)
def test_tutorial_cnn_training_bit_for_bit(kind, batches, adam, threads):
    ember.set_num_threads(threads)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(len(batches))
    side, ch = (32, 3) if kind == "cifar" else (28, 1)
    x = rng.standard_normal((sum(batches), ch, side, side)).astype(np.float32)
    y = rng.integers(0, 10, sum(batches))
    ours, theirs = (_train(mod, kind, x, y, batches, adam) for mod in (ember, torch))
    assert ours[0] == theirs[0]
    for e, t in zip(ours[1], theirs[1], strict=True):
        assert (bits(e) == bits(t)).all()


@exact
@pytest.mark.parametrize("threads", [1, 2])
def test_batch1_conv_stack_training_bit_for_bit(threads):
    """One image through the FashionMNIST convolutions (PyTorch's own im2col + MKL path
    both ways: MKL's Intel plan there), a squared-mean loss, SGD steps."""
    ember.set_num_threads(threads)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 1, 1, 28, 28)).astype(np.float32)
    out = []
    for mod in (ember, torch):
        mod.manual_seed(1)
        nn = mod.nn
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3))
        opt = mod.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for img in x:
            loss = model(mod.tensor(img)).square().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item().hex())
        out.append((losses, [p.detach().numpy().copy() for p in model.parameters()]))
    assert out[0][0] == out[1][0]
    for e, t in zip(out[0][1], out[1][1], strict=True):
        assert (bits(e) == bits(t)).all()
