"""Small BLAS calls on one thread (``ember._blas.serial``): the same bits whichever thread
setting, OpenBLAS's thread count restored after every call (exceptions too), and
``set_num_threads`` (and a DataLoader worker's one thread) still honoured.  No timings here:
``bench/`` holds those."""
from __future__ import annotations

import types

import numpy as np
import pytest

import ember
from ember import _blas

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.skipif(not (_blas.has_sgemm() and _blas.threads() is not None),
                                reason="NumPy's BLAS is not an OpenBLAS ember can switch")


@pytest.fixture
def two_threads():
    """NumPy's BLAS on 2 threads for the test, everything restored after."""
    before, torch_before = _blas.threads(), torch.get_num_threads()
    saved = (_blas._SERIAL_WORK, _blas._CONTENDED_WORK, _blas._stat, _blas._busy,
             ember._ops._cascade.intraop_threads)
    _blas.set_threads(2)
    torch.set_num_threads(1)  # (compared within a tolerance only: no spinning OpenMP threads)
    yield
    torch.set_num_threads(torch_before)
    _blas._SERIAL_WORK, _blas._CONTENDED_WORK, _blas._stat, _blas._busy, \
        ember._ops._cascade.intraop_threads = saved
    _blas.set_threads(before)


def _policy(mode):
    """``"never"``: every call on the BLAS's threads (ember before); ``"always"``: every call
    that may go to one thread goes; ``"auto"``: as ember decides."""
    if mode == "never":
        _blas._CONTENDED_WORK = 0
    elif mode == "always":
        _blas._CONTENDED_WORK = 1 << 40
        _blas._SERIAL_WORK = 1 << 40
    else:
        _blas._CONTENDED_WORK = 1 << 27
        _blas._SERIAL_WORK = 1 << 21


def _gemm(ar, br, a, b, c0):
    """``c0 + a @ b`` through :func:`ember._blas.sgemm` (``a``/``b`` by rows or columns)."""
    m, k = a.shape
    n = b.shape[1]
    am = np.ascontiguousarray(a) if ar else np.ascontiguousarray(a.T)
    bm = np.ascontiguousarray(b) if br else np.ascontiguousarray(b.T)
    c = c0.copy()
    _blas.sgemm(ar, br, m, n, k, am.ctypes.data, k if ar else m, bm.ctypes.data, n if br else k,
                1.0, c.ctypes.data)
    return c


def _bits(x):
    return np.ascontiguousarray(x).view(np.int32)


def test_sgemm_bits_whichever_threads(two_threads):
    """A sweep of shapes (K past OpenBLAS's block too, where no call switches) and layouts:
    the same bits on one thread, on the BLAS's two, and as ember decides."""
    rng = np.random.default_rng(11)
    same_k = _blas._same_k()
    switched = 0
    for _ in range(60):
        m = int(rng.integers(1, 130))
        n = int(rng.integers(1, 700))
        k = int(rng.integers(1, 600))
        ar, br = bool(rng.integers(2)), bool(rng.integers(2))
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        c0 = rng.standard_normal((m, n)).astype(np.float32)
        got = {}
        for mode in ("never", "always", "auto"):
            _policy(mode)
            got[mode] = _gemm(ar, br, a, b, c0)
            assert _blas.threads() == 2 and _blas._thread_fns[0]() == 2
        switched += _blas.serial(m, n, k)
        assert np.array_equal(_bits(got["never"]), _bits(got["always"])), (m, n, k, ar, br)
        assert np.array_equal(_bits(got["never"]), _bits(got["auto"])), (m, n, k, ar, br)
        if k > same_k:
            assert not _blas.serial(m, n, k)
    assert switched > 15


def test_products_bits_whichever_threads(two_threads):
    """ember's products and convolutions (forward and backward), every BLAS call on the
    BLAS's threads against every one that may on one thread: the same bits; and close to
    PyTorch's."""
    rng = np.random.default_rng(3)
    cases = []
    for m, k, n in ((64, 784, 512), (64, 512, 10), (128, 300, 200), (33, 448, 700),
                    (7, 1000, 260)):
        cases.append(("linear", rng.standard_normal((m, k)).astype(np.float32),
                      (rng.standard_normal((n, k)) * 0.05).astype(np.float32),
                      rng.standard_normal(n).astype(np.float32)))
    for shape, w in (((8, 1, 28, 28), (32, 1, 3, 3)), ((8, 32, 26, 26), (64, 32, 3, 3)),
                     ((4, 64, 12, 12), (48, 64, 3, 3)), ((8, 16, 20, 20), (32, 16, 1, 1))):
        cases.append(("conv", rng.standard_normal(shape).astype(np.float32),
                      (rng.standard_normal(w) * 0.1).astype(np.float32),
                      rng.standard_normal(w[0]).astype(np.float32)))

    for g, m, k, n in ((4, 200, 300, 150), (2, 64, 448, 512), (2, 130, 700, 90)):
        cases.append(("bmm", rng.standard_normal((g, m, k)).astype(np.float32),
                      rng.standard_normal((g, k, n)).astype(np.float32),
                      rng.standard_normal(n).astype(np.float32)))

    def run(lib, kind, x, w, b):
        tx, tw, tb = (lib.from_numpy(v.copy()).requires_grad_() for v in (x, w, b))
        f = lib.nn.functional
        if kind == "bmm":
            y = lib.bmm(tx, tw) + tb
        else:
            y = f.linear(tx, tw, tb) if kind == "linear" else f.conv2d(tx, tw, tb)
        y.sum().backward()
        return [v.detach().numpy() for v in (y, tx.grad, tw.grad, tb.grad)]

    for kind, x, w, b in cases:
        got = {}
        for mode in ("never", "always"):
            _policy(mode)
            got[mode] = run(ember, kind, x, w, b)
            assert _blas.threads() == 2
        for e1, e2 in zip(got["never"], got["always"]):
            assert np.array_equal(_bits(e1), _bits(e2)), (kind, x.shape, w.shape)
        for e, t in zip(got["always"], run(torch, kind, x, w, b)):
            np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-4)


def test_threads_restored_after_a_call_and_on_errors(two_threads, monkeypatch):
    _policy("always")
    a = np.ones((64, 448), np.float32)
    b = np.ones((448, 256), np.float32)
    c = np.zeros((64, 256), np.float32)
    real = _blas._sgemm
    seen = []

    def spy(*args):
        seen.append((_blas._thread_fns[0](), _blas.threads()))
        return real(*args)

    monkeypatch.setattr(_blas, "_sgemm", spy)
    _blas.sgemm(True, True, 64, 256, 448, a.ctypes.data, 448, b.ctypes.data, 256, 0.0,
                c.ctypes.data)
    # (on one thread inside, while threads() still says what ember runs on)
    assert seen == [(1, 2)] and _blas.threads() == 2 and _blas._thread_fns[0]() == 2
    assert (c == 448).all()

    def fails(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(_blas, "_sgemm", fails)
    with pytest.raises(RuntimeError, match="boom"):
        _blas.sgemm(True, True, 64, 256, 448, a.ctypes.data, 448, b.ctypes.data, 256, 0.0,
                    c.ctypes.data)
    assert _blas._held == 0 and _blas._thread_fns[0]() == 2 and _blas.threads() == 2

    # set_num_threads while a call is on one thread: the count it goes back to
    def sets(*args):
        ember.set_num_threads(3)
        seen.append((_blas._thread_fns[0](), ember.get_num_threads()))
        return real(*args)

    seen.clear()
    monkeypatch.setattr(_blas, "_sgemm", sets)
    _blas.sgemm(True, True, 64, 256, 448, a.ctypes.data, 448, b.ctypes.data, 256, 0.0,
                c.ctypes.data)
    assert seen == [(1, 3)] and _blas._thread_fns[0]() == 3 and ember.get_num_threads() == 3
    # a product that does not switch: none of it changes the count
    monkeypatch.setattr(_blas, "_sgemm", spy)
    seen.clear()
    _blas.sgemm(True, True, 8, 8, 8, a.ctypes.data, 8, b.ctypes.data, 8, 0.0, c.ctypes.data)
    assert seen == [(3, 3)]
    # NumPy's own products in a one_thread context
    ember.set_num_threads(2)
    with _blas.one_thread(64, 256, 448):
        assert _blas._thread_fns[0]() == 1 and _blas.threads() == 2
        np.matmul(a, b)
    assert _blas._thread_fns[0]() == 2 and _blas._held == 0
    with pytest.raises(ValueError):
        with _blas.one_thread(64, 256, 448):
            raise ValueError
    assert _blas._thread_fns[0]() == 2 and _blas._held == 0
    with _blas.one_thread(64, 256, 449):  # (past the K where the threads sum alike)
        assert _blas._thread_fns[0]() == 2


def test_set_num_threads_honoured(two_threads, monkeypatch):
    """One thread asked for (as a DataLoader worker does): no call switches, and the count
    stays 1; more threads asked for: each product leaves them as asked."""
    _policy("always")
    real = _blas._sgemm
    counts = []
    monkeypatch.setattr(_blas, "_sgemm",
                        lambda *args: (counts.append(_blas._thread_fns[0]()), real(*args)))
    rng = np.random.default_rng(0)
    x = ember.from_numpy(rng.standard_normal((64, 784)).astype(np.float32))
    w = ember.from_numpy(rng.standard_normal((512, 784)).astype(np.float32))
    a, c = np.ones((64, 448), np.float32), np.empty((64, 64), np.float32)
    for n in (1, 3, 2, 1):
        ember.set_num_threads(n)
        counts.clear()
        ember.nn.functional.linear(x, w)
        _blas.sgemm(True, True, 64, 64, 448, a.ctypes.data, 448, a.ctypes.data, 64, 0.0,
                    c.ctypes.data)
        assert counts and set(counts) == {1}
        assert ember.get_num_threads() == n and _blas._thread_fns[0]() == n
    _policy("never")
    ember.set_num_threads(2)
    counts.clear()
    ember.nn.functional.linear(x, w)
    assert set(counts) == {2}


def test_decision():
    """What runs on one thread: not what OpenBLAS keeps on one anyway, not big products (a
    2048 x 2048 matrix product's K blocks), not a K past the one where the threads sum
    alike."""
    same_k = _blas._same_k()
    if not same_k:
        pytest.skip("OpenBLAS sums otherwise on one thread here")
    saved = _blas._stat, _blas._busy
    try:
        _blas._stat, _blas._busy = False, False  # (idle)
        assert not _blas.serial(64, 64, 64)
        assert _blas.serial(64, 64, min(same_k, 400))
        assert not _blas.serial(64, 512, 256)
        _blas._busy = True  # (contended)
        assert _blas.serial(64, 512, 256) and _blas.serial(32, 1452, 144)
        assert not _blas.serial(2048, 2048, 384) and not _blas.serial(64, 512, same_k + 1)
    finally:
        _blas._stat, _blas._busy = saved


def test_contended_reads_other_processes_busy_time(monkeypatch):
    """From /proc/stat's ticks (those of the processors this process may run on) less this
    process's own CPU time: contended once the others keep more than half a core busy
    beyond what the BLAS's threads leave free."""
    cpus = (0, 1)
    clock = {"t": 1000.0, "own": 5.0, "busy": [0, 0], "idle": [0, 0]}

    def stat():
        lines = ["cpu  1 2 3 4 5 6 7 8 9 10\n"]
        for i in range(3):  # (cpu2: not this process's)
            busy, idle = (clock["busy"][i], clock["idle"][i]) if i < 2 else (10 ** 6, 0)
            lines.append(f"cpu{i} {busy} 0 0 {idle} 0 0 0 0 0 0\n")
        lines.append("intr 1 2 3\n")
        return "".join(lines).encode()

    class File:
        def __init__(self, *a):
            self.data = stat().splitlines(keepends=True)

        def __enter__(self):
            return iter(self.data)

        def __exit__(self, *a):
            return False

    fake_time = types.SimpleNamespace(monotonic=lambda: clock["t"],
                                      process_time=lambda: clock["own"])
    monkeypatch.setattr(_blas, "open", File, raising=False)
    monkeypatch.setattr(_blas, "time", fake_time)
    monkeypatch.setattr(_blas.os, "sched_getaffinity", lambda pid: set(cpus))
    monkeypatch.setattr(_blas.os, "sysconf", lambda name: 100)
    monkeypatch.setattr(_blas, "threads", lambda: 2)
    monkeypatch.setattr(_blas, "_stat", None)
    monkeypatch.setattr(_blas, "_busy", False)

    def after(seconds, ours, others):
        """``seconds`` gone by, this process busy ``ours`` core-seconds, others ``others``."""
        clock["t"] += seconds
        clock["own"] += ours
        busy = round((ours + others) * 100)
        clock["busy"][0] += busy // 2
        clock["busy"][1] += busy - busy // 2
        clock["idle"][0] += round(seconds * 100) - busy // 2
        clock["idle"][1] += round(seconds * 100) - (busy - busy // 2)
        return _blas.contended()

    assert not _blas.contended()  # (the first look: nothing to compare yet)
    assert not after(0.5, 1.0, 0.0)  # (ember alone, on both cores)
    assert not after(0.5, 0.6, 0.2)  # (others: 0.4 of a core)
    assert after(0.5, 0.5, 0.5)  # (a busy loop beside it)
    assert after(0.1, 0.0, 0.0)  # (too soon to look again: the last answer)
    assert not after(0.5, 0.9, 0.0)
    monkeypatch.setattr(_blas, "threads", lambda: 1)  # (one thread: only a full core more)
    assert not after(0.5, 0.5, 0.5)
    assert after(0.5, 0.5, 0.8)
    monkeypatch.setattr(_blas, "_stat", None)

    def missing(*a):
        raise OSError("no /proc")

    monkeypatch.setattr(_blas, "open", missing, raising=False)
    assert not _blas.contended() and _blas._stat is False
