"""Result layouts PyTorch users can observe (``stride()``, ``is_contiguous()``, whether
``view`` works), against PyTorch 2.13."""
import pytest

import ember

torch = pytest.importorskip("torch")


def _layout(lib, fn):
    out = fn(lib)
    try:
        viewed = tuple(out.view(-1).shape)
    except RuntimeError as e:
        viewed = str(e)
    return tuple(out.shape), out.stride(), out.is_contiguous(), viewed, out.tolist()


@pytest.mark.parametrize("name,fn", [
    ("nonzero_2d", lambda T: T.nonzero(T.tensor([[1, 0], [1, 1]]))),
    ("nonzero_1d", lambda T: T.nonzero(T.tensor([1, 0, 1]))),
    ("nonzero_3d", lambda T: T.nonzero(T.arange(24).reshape(2, 3, 4) % 3 == 0)),
    ("nonzero_single", lambda T: T.nonzero(T.tensor([[0, 0], [0, 7]]))),
    ("argwhere", lambda T: T.argwhere(T.tensor([[0.5, 0.0], [2.0, 3.0]]))),
    ("method", lambda T: (T.arange(6).reshape(2, 3) > 1).nonzero()),
    ("scalar", lambda T: T.nonzero(T.tensor(5))),
])
def test_nonzero_layout(name, fn):
    assert _layout(ember, fn) == _layout(torch, fn)
