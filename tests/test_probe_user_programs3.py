"""Whole user programs, round 3: PyTorch's "Learn the Basics" series past its first page and
what follows it, written as its pages and the Q&A answers about them write them (every
snippet of the tensors page, the autograd page and the YouTube series' autograd
fundamentals with their ``grad_fn`` chains, the optimization loop's formatted prints, save &
load with ``_IncompatibleKeys`` and ``strict=False``, printed state_dicts and optimizer
states of every optimizer, scheduler state_dicts, print options and summarisation, seeded
randomness with DataLoader and ``random_split`` generators, reprs of sequence and other
layers, the NumPy bridge and dtype semantics), run unchanged on ember and on PyTorch: the
printed text must be the same.

The programs live in tests/data/programs3; all of them run in one subprocess per library
(``import torch`` resolved to ember on ember's side).  Where ember's float32 products and
vector math are PyTorch's bit for bit (``measured_cpu``) the text must be identical, else
numbers are compared to a relative 2e-3 (the last digits of float32 results may differ).
"""
import os

import pytest
from programs import check_program, names, run_both

torch = pytest.importorskip("torch")

HERE = os.path.join(os.path.dirname(__file__), "data", "programs3")
PROGRAMS = names(HERE)


@pytest.fixture(scope="module")
def outputs():
    return run_both(HERE)


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_prints_what_pytorch_prints(outputs, name):
    check_program(outputs, name)


# -- no_grad / enable_grad keep the mode to restore in the object's ``prev``, as PyTorch's ----

def _grad_mode_story(lib):
    seen = []
    ng = lib.no_grad()
    seen.append(ng.prev)  # (False before any entry)
    with ng:
        with ng:  # (re-entered: ``prev`` is now False, and so is the mode after both exits)
            pass
        seen.append(lib.is_grad_enabled())
    seen.append(lib.is_grad_enabled())
    lib.set_grad_enabled(True)
    ng.__enter__()
    seen.append((lib.ones(1, requires_grad=True) * 2).requires_grad)
    ng.__exit__(None, None, None)
    seen.append((lib.is_grad_enabled(), ng.prev))
    lib.no_grad().__exit__(None, None, None)  # (a fresh one's exit turns grad mode off)
    seen.append(lib.is_grad_enabled())
    lib.set_grad_enabled(True)
    try:
        lib.enable_grad().__exit__(None, None, None)
        seen.append("no error")
    except AttributeError as e:
        seen.append(str(e))
    with lib.no_grad():
        eg = lib.enable_grad()
        with eg:
            seen.append((lib.is_grad_enabled(), eg.prev))
        seen.append(lib.is_grad_enabled())
        with lib.inference_mode():
            with lib.no_grad():
                pass
            seen.append((lib.is_inference_mode_enabled(), lib.is_grad_enabled()))
    seen.append((lib.is_inference_mode_enabled(), lib.is_grad_enabled()))
    return seen


def test_grad_mode_objects_restore_their_prev():
    import ember

    try:
        want = _grad_mode_story(torch)
    finally:
        torch.set_grad_enabled(True)
    try:
        got = _grad_mode_story(ember)
    finally:
        ember.set_grad_enabled(True)
    assert got == want
