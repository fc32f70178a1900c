"""Grad mode and inference mode are per thread (as PyTorch's); anomaly mode is per process."""
import threading

import pytest

import ember

torch = pytest.importorskip("torch")


def _in_thread(lib, outer):
    """What a fresh thread sees while the main thread sits inside ``outer(lib)``."""
    seen = {}

    def worker():
        seen["grad"] = lib.is_grad_enabled()
        seen["inference"] = lib.is_inference_mode_enabled()
        x = lib.ones(2, requires_grad=True)
        seen["records"] = (x * 2).requires_grad
        with lib.no_grad():
            seen["inner"] = lib.is_grad_enabled()
        lib.set_grad_enabled(False)  # a bare switch in the thread stays in the thread
        seen["switched"] = lib.is_grad_enabled()

    with outer(lib):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen["main"] = (lib.is_grad_enabled(), lib.is_inference_mode_enabled())
    seen["after"] = lib.is_grad_enabled()
    return seen


@pytest.mark.parametrize("outer", [lambda lib: lib.no_grad(), lambda lib: lib.inference_mode(),
                                   lambda lib: lib.enable_grad()],
                         ids=["no_grad", "inference_mode", "enable_grad"])
def test_grad_mode_is_per_thread(outer):
    assert _in_thread(ember, outer) == _in_thread(torch, outer)


def test_anomaly_mode_is_process_wide():
    def probe(lib):
        seen = []
        lib.autograd.set_detect_anomaly(True)
        try:
            t = threading.Thread(target=lambda: seen.append(lib.is_anomaly_enabled()))
            t.start()
            t.join()
        finally:
            lib.autograd.set_detect_anomaly(False)
        return seen + [lib.is_anomaly_enabled()]
    assert probe(ember) == probe(torch) == [True, False]
