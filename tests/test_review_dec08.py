"""Review of the Dec 8 session's changes: func.rearrange's parse errors and warnings, sparse
Parameters under the optimizers, and conftest's state reset after a failing fixture."""
import os
import shutil
import subprocess
import sys

from diff import same

HERE = os.path.dirname(os.path.abspath(__file__))


def test_rearrange_errors_and_warnings():
    cases = [((2, 3), "a . -> a", {}), ((2, 3), "a b.c -> a", {}), ((2, 3), "a .... -> a", {}),
             ((2, 3), "a ... -> ... a ...", {}), ((2, 3), "a ... ... -> a", {}),
             ((2, 3), "a 2b -> a", {}), ((2, 3), "for b -> b for", {}),
             ((2, 3), "axis b -> b axis", {}), ((2, 3), "_a b -> b _a", {}),
             ((6, 4), "(a b) c -> a b c", {"a": 4}), ((6, 4), "(a b) c -> a b c", {"b": 4}),
             ((18, 2), "(a b c) d -> a b c d", {"a": 4, "c": 2}),
             ((12, 2), "(a b c) d -> a b c d", {"a": 2, "c": 2}),
             ((2, 3, 4), "a ... -> ... a", {}),
             # (functorch's own limits: a 1-d tensor's dim is never split; an ellipsis
             # pattern counts its axes, not its dims)
             ((6,), "(a b) -> a b", {"a": 2}), ((12,), "(a b c) -> c b a", {}),
             ((6,), "(a 1) -> a", {}), ((6, 4), "(a b) ... -> a b ...", {"a": 2}),
             ((6, 4), "(a b) c ... -> a b c ...", {"a": 2}),
             ((6, 4, 1), "(a b) c () ... -> a b c ...", {"a": 2}),
             ((6, 4, 5), "(a b) ... c -> a b ... c", {"a": 3})]
    for shape, pattern, kw in cases:
        same(lambda lib, s=shape, p=pattern, k=kw:
             tuple(lib.func.rearrange(lib.zeros(s), p, **k).shape))
    for pattern in ["->", " -> 1", "... -> 1 ...", "... -> (...)", "1 -> "]:
        def zero_dim(lib, p=pattern):
            x = lib.zeros(())
            r = lib.func.rearrange(x, p)
            return tuple(r.shape), r is x
        same(zero_dim)


def _sparse_param(lib):
    i = lib.tensor([[0, 1, 1], [2, 0, 2]])
    return lib.nn.Parameter(lib.sparse_coo_tensor(i, lib.tensor([3.0, 4.0, 5.0]), (2, 3)))


def test_sparse_parameter_optimizers():
    def steps(lib, name, **kw):
        p = _sparse_param(lib)
        opt = getattr(lib.optim, name)([p], **kw)
        for _ in range(2):
            opt.zero_grad()
            lib.sparse.mm(p, lib.arange(6.0).reshape(3, 2)).pow(2).sum().backward()
            opt.step()
        return type(p).__name__, p.is_sparse, p.is_leaf, p.to_dense().tolist()
    for name, kw in [("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}),
                     ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
                     ("Adagrad", {"lr": 0.1}), ("SparseAdam", {"lr": 0.1}),
                     ("Adam", {}), ("AdamW", {})]:
        same(lambda lib, n=name, k=kw: steps(lib, n, **k), warns=False)


def test_sparse_gradient_refusals_name_the_base_optimizer():
    def step(lib, kind):
        base = {"AdamW": lib.optim.AdamW, "sub_rms": lib.optim.RMSprop,
                "sub_adamw": lib.optim.AdamW, "NAdam": lib.optim.NAdam}[kind]
        cls = type("Mine", (base,), {}) if kind.startswith("sub") else base
        emb = lib.nn.Embedding(5, 2, sparse=True)
        opt = cls(emb.parameters())
        emb(lib.tensor([1])).sum().backward()
        opt.step()
    for kind in ["AdamW", "sub_rms", "sub_adamw", "NAdam"]:
        same(lambda lib, k=kind: step(lib, k))


CT_TEST = '''
import pytest
import torch
import ember


@pytest.fixture
def failing():
    yield
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    raise RuntimeError("teardown fails")


def test_a(failing):
    torch.set_grad_enabled(False)
    ember.set_grad_enabled(False)


def test_b():
    assert torch.get_default_dtype() == torch.float32
    assert ember.get_default_dtype() == ember.float32
    assert torch.is_grad_enabled() and ember.is_grad_enabled()
'''


def test_conftest_resets_state_after_a_failing_fixture(tmp_path):
    shutil.copy(os.path.join(HERE, "conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_ct.py").write_text(CT_TEST)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.join(os.path.dirname(HERE), "src"), HERE, os.environ.get("PYTHONPATH", "")]))
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                        "-o", "addopts=", "test_ct.py"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120)
    assert "2 passed, 1 error" in p.stdout, p.stdout[-2000:]


def test_zero_dim_nan_bits():
    import numpy as np

    from diff import same_bits

    nans = {np.float32: np.array([0xFF812345, 0x7F80ABCD], np.uint32).view(np.float32),
            np.float64: np.array([0xFFF0000000012345, 0x7FF400000000ABCD],
                                 np.uint64).view(np.float64)}
    fns = [lambda lib, a: a.sigmoid(), lambda lib, a: lib.nn.functional.logsigmoid(a),
           lambda lib, a: a.sinh(), lambda lib, a: lib.nn.functional.softplus(a),
           lambda lib, a: lib.nn.functional.hardswish(a), lambda lib, a: a ** 2.5,
           lambda lib, a: lib.atan2(lib.tensor(float("nan"), dtype=a.dtype), a),
           lambda lib, a: lib.atan2(a, lib.tensor(1.0, dtype=a.dtype)),
           lambda lib, a: lib.pow(a, lib.tensor(0.5, dtype=a.dtype))]
    for dt, vals in nans.items():
        for v in vals:
            for f in fns:
                same_bits(lambda lib, v=v, f=f: f(lib, lib.from_numpy(np.array(v))))
