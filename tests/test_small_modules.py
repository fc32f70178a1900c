"""Small torch modules: torch.nn.attention, torch.signal.windows, torch.xpu/torch.mps on a
machine without them, torch.utils.model_zoo, torch.types."""
import warnings

import numpy as np
import pytest

import ember
from diff import torch

WINDOWS = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "hamming", "hann",
           "kaiser", "nuttall"]


@pytest.mark.parametrize("name", WINDOWS)
def test_windows(name):
    for M in (0, 1, 2, 7, 10, 33):
        for sym in (True, False):
            for dt in ("float32", "float64"):
                got = getattr(ember.signal.windows, name)(M, sym=sym, dtype=getattr(ember, dt))
                want = getattr(torch.signal.windows, name)(M, sym=sym, dtype=getattr(torch, dt))
                assert got.dtype.__repr__() == want.dtype.__repr__() and got.shape == want.shape
                # float32 cos/sin/exp/i0 can differ from PyTorch's vector math in the last bit
                tol = 1e-6 if dt == "float32" else 1e-13
                np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=tol, atol=tol)
    w = getattr(ember.signal.windows, name)(5, requires_grad=True)
    assert w.requires_grad


def test_window_arguments_and_errors():
    W, TW = ember.signal.windows, torch.signal.windows
    a = [0.5, 0.3, 0.2]
    for got, want in [(W.general_cosine(6, a=a), TW.general_cosine(6, a=a)),
                      (W.general_hamming(5, alpha=0.6), TW.general_hamming(5, alpha=0.6)),
                      (W.exponential(8, center=2.0, sym=False, tau=0.5),
                       TW.exponential(8, center=2.0, sym=False, tau=0.5)),
                      (W.gaussian(9, std=2.5), TW.gaussian(9, std=2.5)),
                      (W.kaiser(9, beta=5.0, dtype=ember.float64),
                       TW.kaiser(9, beta=5.0, dtype=torch.float64))]:
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)
    for call in ["hann(-1)", "hann(4, dtype=T.int64)", "gaussian(4, std=0)", "kaiser(4, beta=-1)",
                 "exponential(4, center=1.0)", "general_cosine(4, a=[])",
                 "general_cosine(4, a=3)", "exponential(3, tau=0)"]:
        errors = []
        for T in (ember, torch):
            with pytest.raises(Exception) as e:
                eval("T.signal.windows." + call, {"T": T})
            errors.append((type(e.value), str(e.value)))
        assert errors[0] == errors[1], call


def test_sdpa_kernel_switches():
    from ember.nn.attention import SDPBackend, sdpa_kernel

    def run(lib):
        A = lib.nn.attention
        lib.manual_seed(0)
        q = lib.randn(1, 2, 4, 8)
        out = [repr(A.SDPBackend.MATH), str(A.SDPBackend(1)), A.WARN_FOR_UNFUSED_KERNELS]
        for b in ([A.SDPBackend.FLASH_ATTENTION], [A.SDPBackend.EFFICIENT_ATTENTION],
                  [A.SDPBackend.MATH, A.SDPBackend.CUDNN_ATTENTION], A.SDPBackend.MATH, []):
            try:
                with A.sdpa_kernel(b):
                    cuda = lib.backends.cuda
                    y = lib.nn.functional.scaled_dot_product_attention(q, q, q)
                    out.append((round(y.sum().item(), 4), cuda.flash_sdp_enabled(),
                                cuda.math_sdp_enabled(), cuda.mem_efficient_sdp_enabled(),
                                cuda.cudnn_sdp_enabled()))
            except RuntimeError as e:
                out.append(str(e))
        out.append(lib.backends.cuda.flash_sdp_enabled())
        for setter in ("enable_flash_sdp", "enable_cudnn_sdp"):
            try:
                getattr(lib.backends.cuda, setter)(1)
            except RuntimeError as e:
                out.append(str(e))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with lib.backends.cuda.sdp_kernel(enable_math=False):
                out.append(lib.backends.cuda.math_sdp_enabled())
        out.append([x.category.__name__ for x in w])
        return out
    a, b = run(ember), run(torch)
    assert a == b
    with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend"):
        with sdpa_kernel("math"):
            pass
    assert SDPBackend.MATH.value == 0


def test_absent_accelerators_and_small_modules():
    for lib in (ember, torch):
        assert not lib.xpu.is_available() and lib.xpu.device_count() == 0
        assert not lib.mps.is_available() and lib.mps.device_count() == 0
        assert lib.xpu.manual_seed(0) is None and lib.mps.manual_seed(0) is None
    for call in ("xpu.synchronize()", "xpu.current_device()", "mps.synchronize()",
                 "mps.empty_cache()", "mps.get_rng_state()"):
        errors = []
        for T in (ember, torch):
            with pytest.raises(Exception) as e:
                eval("T." + call, {"T": T})
            errors.append((type(e.value), str(e.value)))
        assert errors[0] == errors[1], call
    from ember.utils import model_zoo
    assert model_zoo.load_url is ember.hub.load_state_dict_from_url
    from ember.types import Number
    assert repr(Number) == repr(__import__("torch.types").types.Number)
