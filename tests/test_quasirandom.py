"""torch.quasirandom.SobolEngine: ember's points equal PyTorch's, bit for bit."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

E = ember.quasirandom.SobolEngine
T = torch.quasirandom.SobolEngine
SUPPORTED = 53


def same(a, b):
    assert str(a.dtype).replace("torch.", "") == str(b.dtype).replace("torch.", "")
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("dim", [1, 2, 3, 7, 21, 38, SUPPORTED])
def test_direction_numbers(dim):
    np.testing.assert_array_equal(E(dim).sobolstate.numpy(), T(dim).sobolstate.numpy())


@pytest.mark.parametrize("dim", [1, 4, SUPPORTED])
@pytest.mark.parametrize("scramble,seed", [(False, None), (True, 0), (True, 1234)])
def test_draw_sequence(dim, scramble, seed):
    e, t = E(dim, scramble=scramble, seed=seed), T(dim, scramble=scramble, seed=seed)
    np.testing.assert_array_equal(e.sobolstate.numpy(), t.sobolstate.numpy())
    np.testing.assert_array_equal(e.shift.numpy(), t.shift.numpy())
    for n in (1, 2, 5, 0, 64, 300):
        same(e.draw(n), t.draw(n))
    same(e.draw(7, dtype=ember.float64), t.draw(7, dtype=torch.float64))
    e.fast_forward(37)
    t.fast_forward(37)
    same(e.draw(11), t.draw(11))
    assert e.num_generated == t.num_generated
    e.reset()
    t.reset()
    same(e.draw(9, dtype=ember.float64), t.draw(9, dtype=torch.float64))


def test_first_point_float64_keeps_default_dtype_rounding():
    e, t = E(5, scramble=True, seed=3), T(5, scramble=True, seed=3)
    same(e.draw(1, dtype=ember.float64), t.draw(1, dtype=torch.float64))
    same(e.draw(1, dtype=ember.float64), t.draw(1, dtype=torch.float64))


def test_fast_forward_from_start():
    for k in (0, 1, 2, 13):
        e, t = E(6).fast_forward(k), T(6).fast_forward(k)
        assert e.num_generated == t.num_generated
        same(e.draw(5), t.draw(5))


def test_scramble_from_global_generator():
    ember.manual_seed(2024)
    torch.manual_seed(2024)
    e, t = E(10, scramble=True), T(10, scramble=True)
    same(e.draw(33), t.draw(33))
    # the global generator moved on by the same amount
    same(ember.rand(4), torch.rand(4))


def test_draw_base2_and_out():
    e, t = E(3, scramble=True, seed=9), T(3, scramble=True, seed=9)
    same(e.draw_base2(3), t.draw_base2(3))
    same(e.draw_base2(3), t.draw_base2(3))
    oe, ot = ember.empty(0), torch.empty(0)
    re, rt = e.draw_base2(4, out=oe), t.draw_base2(4, out=ot)
    assert re is oe and rt is ot
    same(oe, ot)
    with pytest.raises(ValueError) as ie:
        e.draw_base2(2)
    with pytest.raises(ValueError) as it:
        t.draw_base2(2)
    assert str(ie.value) == str(it.value)


def test_repr():
    for args in [(3,), (4, True), (5, True, 7), (6, False, 2)]:
        assert repr(E(*args)) == repr(T(*args))


@pytest.mark.parametrize("dim", [0, -1, 21202])
def test_bad_dimension(dim):
    with pytest.raises(ValueError) as ie:
        E(dim)
    with pytest.raises(ValueError) as it:
        T(dim)
    assert str(ie.value) == str(it.value)


def test_beyond_carried_table():
    T(SUPPORTED + 1)                      # PyTorch has the full table ...
    with pytest.raises(NotImplementedError, match="dimensions 1 to 53"):
        E(SUPPORTED + 1)                  # ... ember stops where its table does


@pytest.mark.parametrize("case", ["half", "long", "negative_first", "negative_later"])
def test_draw_errors(case):
    def run(lib):
        eng = lib.quasirandom.SobolEngine(3)
        if case == "half":
            return eng.draw(4, dtype=lib.float16)
        if case == "long":
            return eng.draw(3, dtype=lib.int64)
        if case == "negative_first":
            return eng.draw(0)
        eng.draw(2)
        return eng.draw(-1)

    with pytest.raises(Exception) as it:
        run(torch)
    with pytest.raises(it.type) as ie:
        run(ember)
    assert str(ie.value) == str(it.value)


def test_float16_first_point():
    same(E(3).draw(1, dtype=ember.float16), T(3).draw(1, dtype=torch.float16))
