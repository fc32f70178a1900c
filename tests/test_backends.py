"""``torch.backends`` switches, matmul precision, deterministic mode and thread counts:
PyTorch's defaults, types and errors (the switches change nothing ember computes)."""
import warnings

import pytest

import ember
from test_cli import run

torch = pytest.importorskip("torch")
LIBS = {"torch": torch, "ember": ember}

CUDNN = ("enabled", "benchmark", "deterministic", "allow_tf32")
MATMUL = ("allow_tf32", "allow_fp16_reduced_precision_reduction",
          "allow_bf16_reduced_precision_reduction")


@pytest.fixture(autouse=True)
def restore():
    """Each test leaves both libraries' process-wide settings as it found them."""
    saved = {name: ([getattr(T.backends.cudnn, k) for k in CUDNN],
                    T.get_float32_matmul_precision(),
                    T.are_deterministic_algorithms_enabled(), T.get_num_threads())
             for name, T in LIBS.items()}
    yield
    for name, T in LIBS.items():
        flags, precision, det, threads = saved[name]
        for k, v in zip(CUDNN, flags):
            setattr(T.backends.cudnn, k, v)
        T.set_float32_matmul_precision(precision)
        T.use_deterministic_algorithms(det)
        T.set_num_threads(threads)


def outcome(fn):
    """What ``fn()`` gives: its value, or its exception's type and message."""
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the point is to compare them
        return (type(e).__name__, str(e))


def same(fn):
    got = {name: outcome(lambda: fn(T)) for name, T in LIBS.items()}
    assert got["ember"] == got["torch"]
    return got["ember"]


def test_defaults():
    same(lambda T: [getattr(T.backends.cudnn, k) for k in CUDNN])
    same(lambda T: [getattr(T.backends.cuda.matmul, k) for k in MATMUL])
    same(lambda T: (T.backends.cudnn.is_available(), T.backends.cudnn.version(),
                    T.backends.mps.is_available(), T.backends.mps.is_built()))
    same(lambda T: (T.get_float32_matmul_precision(), T.are_deterministic_algorithms_enabled(),
                    T.is_deterministic_algorithms_warn_only_enabled()))


@pytest.mark.parametrize("name", CUDNN)
@pytest.mark.parametrize("value", [True, False, 1, None, "yes"])
def test_cudnn_switches_take_bools(name, value):
    def set_and_get(T):
        setattr(T.backends.cudnn, name, value)
        return getattr(T.backends.cudnn, name)
    same(set_and_get)


@pytest.mark.parametrize("name", MATMUL)
@pytest.mark.parametrize("value", [True, False, 1, (False, True), [True], (1,), "x"])
def test_matmul_switches(name, value):
    def set_and_get(T):
        setattr(T.backends.cuda.matmul, name, value)
        return getattr(T.backends.cuda.matmul, name), T.get_float32_matmul_precision()
    same(set_and_get)


def test_unknown_matmul_switch_is_an_error():
    same(lambda T: setattr(T.backends.cuda.matmul, "allow_tf16", True))
    same(lambda T: T.backends.cuda.matmul.allow_tf16)


@pytest.mark.parametrize("precision", ["highest", "high", "medium", "HIGH", "fast", 1, None])
def test_float32_matmul_precision(precision):
    def set_and_get(T):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            T.set_float32_matmul_precision(precision)
        return (T.get_float32_matmul_precision(), T.backends.cuda.matmul.allow_tf32,
                [w.category.__name__ for w in caught])
    same(set_and_get)


@pytest.mark.parametrize("mode,warn_only", [(True, False), (True, True), (False, False),
                                            (1, False), (None, False), (True, 1)])
def test_deterministic_algorithms(mode, warn_only):
    def set_and_get(T):
        T.use_deterministic_algorithms(mode, warn_only=warn_only)
        return (T.are_deterministic_algorithms_enabled(),
                T.is_deterministic_algorithms_warn_only_enabled())
    same(set_and_get)


@pytest.mark.parametrize("n", [1, 2, 0, -3, 1.5, "2"])
def test_num_threads(n):
    def set_and_get(T):
        T.set_num_threads(n)
        return T.get_num_threads()
    same(set_and_get)


def test_num_threads_reach_the_blas():
    from ember import _blas

    if _blas.threads() is None:
        pytest.skip("NumPy's BLAS has no thread switch ember knows")
    ember.set_num_threads(1)
    assert _blas.threads() == 1


def test_gpu_script_preamble_runs(tmp_path):
    p = run(tmp_path, """
        import torch
        import torch.backends.cudnn as cudnn
        from torch.backends import cuda
        cudnn.benchmark = True
        cudnn.deterministic = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.set_float32_matmul_precision("high")
        torch.use_deterministic_algorithms(True)
        torch.set_num_threads(1)
        device = "mps" if torch.backends.mps.is_available() else "cpu"
        print(device, cudnn.benchmark, cuda.matmul.allow_tf32, torch.get_num_threads())
        """)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["cpu", "True", "True", "1"]
