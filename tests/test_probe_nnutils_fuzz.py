"""nn.utils and friends fuzzed against PyTorch: the old ``spectral_norm``'s state-dict
version metadata and its load pre-hook (an old checkpoint's ``<name>_v`` solved for; the hook
left behind by ``remove_spectral_norm``, as PyTorch leaves it), ``AveragedModel``'s strict
buffer zip, ``SWALR.get_lr``'s warning at the caller's line, ``assert_close``'s layout check
(before stride, device and dtype) and its "None mismatch", ``make_tensor`` for complex and
float8 dtypes, ``convert_conv*_weight_memory_format``'s rank errors and ``skip_init``'s
TypeError for a non-class."""
import importlib
import warnings

import numpy as np
import pytest

import ember
from diff import error_of

torch = pytest.importorskip("torch")


_err = error_of


def _both(fn):
    return fn(ember), fn(torch)


def test_spectral_norm_state_dict_metadata():
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(2, 4))
        sd = m.state_dict()
        return dict(sd._metadata), list(sd)

    got, want = run(ember), run(torch)
    assert got == want


def test_spectral_norm_removed_keeps_load_pre_hook():
    def run(lib):
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(2, 4))
        lib.nn.utils.remove_spectral_norm(m)
        return (len(m._state_dict_hooks), len(m._load_state_dict_pre_hooks),
                _err(lambda: m.load_state_dict(m.state_dict())))

    got, want = _both(run)
    assert got == want


def test_spectral_norm_old_checkpoint_solves_v():
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.utils.spectral_norm(lib.nn.Linear(2, 4))
        m(lib.randn(1, 2))
        sd = dict(m.state_dict())  # (no metadata: a checkpoint older than version 1)
        assert str(m.load_state_dict(sd)) == "<All keys matched successfully>"
        sd["weight"] = m.weight.detach().clone()
        del sd["weight_v"]
        m2 = lib.nn.utils.spectral_norm(lib.nn.Linear(2, 4))
        r = m2.load_state_dict(sd)
        return str(r), m2.weight_v.numpy()

    (er, ev), (tr, tv) = _both(run)
    assert er == tr
    np.testing.assert_allclose(ev, tv, rtol=1e-5, atol=1e-6)


def test_averaged_model_buffer_mismatch_raises():
    def run(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4))
        swa = lib.optim.swa_utils.AveragedModel(model)
        e = _err(lambda: swa.update_parameters(lib.nn.Linear(3, 1)))
        return e, int(swa.n_averaged)

    got, want = _both(run)
    assert got == want


def test_swalr_get_lr_warns_at_caller_line():
    def run(lib):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.5)
        s = lib.optim.swa_utils.SWALR(opt, swa_lr=0.05)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lr = s.get_lr()
        return lr, [(x.category, str(x.message), x.filename) for x in w]

    got, want = _both(run)
    assert got == want and want[1][0][2] == __file__


@pytest.mark.parametrize("case", range(6))
def test_assert_close_layout_and_none(case):
    def run(lib):
        a, b = [
            (lambda: lib.ones(2).to_sparse(), lambda: lib.ones(2)),
            (lambda: lib.ones(2), lambda: None),
            (lambda: None, lambda: [1.0]),
            (lambda: lib.ones(2, 2).to_sparse(), lambda: lib.zeros(2, 2)),
            (lambda: lib.ones(2, 2).t(), lambda: lib.ones(2, 2).double()),
            (lambda: lib.ones(2, 2), lambda: lib.ones(2, 2).to_sparse()),
        ][case]
        kw = {"check_layout": False} if case == 3 else {"check_stride": True} \
            if case == 4 else {}
        return _err(lambda: lib.testing.assert_close(a(), b(), **kw))

    got, want = _both(run)
    assert got == want


@pytest.mark.parametrize("dt", ["complex64", "complex128", "float8_e4m3fn", "float8_e5m2"])
def test_make_tensor_complex_and_float8(dt):
    def run(lib, **kw):
        lib.manual_seed(0)
        t = lib.testing.make_tensor((2, 3), dtype=getattr(lib, dt), device="cpu", **kw)
        return (t if t.is_complex() else t.float()).detach().numpy(), t.requires_grad

    for kw in ({}, {"low": -1, "high": 2, "noncontiguous": True}, {"low": -1e6}):
        (g, gr), (w, wr) = run(ember, **kw), run(torch, **kw)
        np.testing.assert_array_equal(g, w)
        assert gr == wr
    kw = {"requires_grad": True}
    if dt.startswith("complex"):
        assert run(ember, **kw)[1] is True
    else:
        assert _err(lambda: run(ember, **kw)) == _err(lambda: run(torch, **kw))


def test_convert_weight_memory_format_errors():
    def run(lib):
        u = lib.nn.utils
        out = []
        for f, mk in ((u.convert_conv2d_weight_memory_format, lambda: lib.nn.Conv2d(3, 2, 2)),
                      (u.convert_conv3d_weight_memory_format, lambda: lib.nn.Conv3d(3, 2, 1)),
                      (u.convert_conv2d_weight_memory_format,
                       lambda: lib.nn.ConvTranspose2d(3, 2, 2))):
            for mf in ("channels_last", "channels_last_3d", "preserve_format",
                       "contiguous_format"):
                m = mk()
                e = _err(lambda: f(m, getattr(lib, mf)))
                out.append((mf, e, m.weight.stride()))
        return out

    got, want = _both(run)
    assert got == want


def test_skip_init_non_class():
    got, want = _both(lambda lib: _err(
        lambda: lib.nn.utils.skip_init(lambda: lib.nn.Linear(2, 2))))
    assert got == want


def test_skip_init_device_none_stays_meta():
    got, want = _both(lambda lib: [
        (str(p.device), tuple(p.shape)) for p in
        lib.nn.utils.skip_init(lib.nn.Linear, 2, 3, device=None).parameters()])
    assert got == want


_NUMBER_PAIRS = [(1, 1.0), (True, 1), (1.0, True), (float("-inf"), float("inf")),
                 (float("inf"), float("inf")), (True, False), (np.bool_(True), True),
                 (np.bool_(True), np.bool_(False)), (np.float32(1.0), 1.0),
                 (np.float32(1.0), np.float64(1.0)), (np.int64(1), 1), (np.float32(1), 2.0),
                 ([1, True], [1, 1]), ({"a": (2, False)}, {"a": (2, True)}), (1e300, -1e300)]


@pytest.mark.parametrize("pair", range(len(_NUMBER_PAIRS)))
def test_assert_close_numbers(pair):
    a, b = _NUMBER_PAIRS[pair]
    for kw in ({}, {"check_dtype": False}, {"rtol": 1.0, "atol": 1.0, "msg": "m"}):
        got, want = _both(lambda lib: _err(lambda: lib.testing.assert_close(a, b, **kw)))
        assert got == want


@pytest.mark.parametrize("cls", ["L1Unstructured", "RandomUnstructured", "LnStructured",
                                 "RandomStructured", "CustomFromMask"])
def test_prune_method_bad_keyword_names_class(cls):
    def run(lib):
        prune = importlib.import_module(lib.__name__ + ".nn.utils.prune")
        return _err(lambda: getattr(prune, cls)(0.5, foo=1))

    got, want = _both(run)
    assert got == want


@pytest.mark.parametrize("foreach", [None, False, True])
def test_clip_grads_with_norm_odd_total_norms(foreach):
    def run(lib):
        out = []
        for tn in (lib.tensor([1.0, 2.0]), lib.tensor([[3.0]]), 0.5, 2,
                   lib.tensor(5.0, dtype=lib.float64), lib.tensor(4)):
            p = lib.ones(2, requires_grad=True)
            p.grad = lib.ones(2)
            e = _err(lambda: lib.nn.utils.clip_grads_with_norm_([p], 1.0, tn, foreach=foreach))
            out.append((e, p.grad.tolist()))
        return out

    got, want = _both(run)
    assert got == want


_TENSOR_PAIRS = [
    (lambda L: L.ones(2, 2).to("meta"), lambda L: L.ones(2, 2).to("meta"), {}),
    (lambda L: L.ones(2), lambda L: L.zeros(2).to("meta"), {"check_device": False}),
    (lambda L: L.ones(2).to("meta"), lambda L: L.ones(2, dtype=L.float64).to("meta"), {}),
    (lambda L: L.ones(2, requires_grad=True), lambda L: L.ones(2), {"rtol": -1, "atol": 0}),
    (lambda L: {"x": [L.ones(2)]}, lambda L: {"x": [L.ones(2)]}, {"rtol": 0, "atol": -0.5}),
    (lambda L: {"b": L.ones(1), "a": L.ones(1)}, lambda L: {"b": L.zeros(1), "a": L.zeros(1)},
     {}),
    (lambda L: L.tensor([1e38, 3e38]), lambda L: L.tensor([-1e38, -3e38]), {}),
    (lambda L: L.tensor([1.0, 2.0]), lambda L: L.tensor([1.0, 3.0]),
     {"rtol": 0, "atol": float("inf")}),
]


@pytest.mark.parametrize("case", range(len(_TENSOR_PAIRS)))
def test_assert_close_meta_tolerances_and_keys(case):
    a, b, kw = _TENSOR_PAIRS[case]

    def run(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # (no stray NumPy warning)
            return _err(lambda: lib.testing.assert_close(a(lib), b(lib), **kw))

    got, want = _both(run)
    assert got == want


@pytest.mark.parametrize("dt", ["uint16", "uint32", "uint64"])
def test_make_tensor_wide_unsigned(dt):
    def run(lib):
        out = []
        for shape, kw in (((2, 3), {}), ((3,), {"low": -200, "high": 1e10}),
                          ((2, 4), {"noncontiguous": True, "high": 3}),
                          ((3,), {"exclude_zero": True}), ((), {"exclude_zero": True})):
            lib.manual_seed(0)
            e = _err(lambda: out.append(lib.testing.make_tensor(
                shape, dtype=getattr(lib, dt), device="cpu", **kw).to(lib.int64).tolist()))
            out.append(e)
        return out

    got, want = _both(run)
    assert got == want


def test_clip_grad_norm_half_overflow_is_quiet():
    def run(lib):
        p = lib.zeros(4, dtype=lib.float16, requires_grad=True)
        p.grad = lib.full((4,), 60000.0, dtype=lib.float16)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            r = lib.nn.utils.clip_grad_norm_([p], 1.0, norm_type=0.5)
            n = lib.full((4,), 3e38).norm(p=3)
        return r.item(), p.grad.tolist(), n.item()

    got, want = _both(run)
    assert got == want
