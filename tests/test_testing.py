"""``torch.testing.assert_close`` against PyTorch's: which inputs pass, and the exception
type and full message of those that fail."""
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")

CASES = {
    "one element off": lambda T, tc: tc(T.tensor([1., 2, 3]), T.tensor([1., 2.5, 3])),
    "dtypes differ": lambda T, tc: tc(T.tensor([1., 2]), T.tensor([1., 2], dtype=T.float64)),
    "shapes differ": lambda T, tc: tc(T.ones(3), T.ones(2)),
    "ints": lambda T, tc: tc(T.tensor([1, 2, 3]), T.tensor([1, 2, 4])),
    "2-d with tolerances": lambda T, tc: tc(T.tensor([[1., 2], [3, 4]]),
                                            T.tensor([[1., 2], [3, 5]]), rtol=0, atol=0.1),
    "nan": lambda T, tc: tc(T.tensor([NAN]), T.tensor([NAN])),
    "nan equal": lambda T, tc: tc(T.tensor([NAN, 1.]), T.tensor([NAN, 1.]), equal_nan=True),
    "inf": lambda T, tc: tc(T.tensor([1., INF]), T.tensor([1., INF])),
    "inf signs": lambda T, tc: tc(T.tensor([1., INF]), T.tensor([1., -INF])),
    "floats close": lambda T, tc: tc(1.0, 1.0 + 1e-9),
    "floats far": lambda T, tc: tc(1.0, 1.5),
    "ints differ": lambda T, tc: tc(3, 4),
    "int and float": lambda T, tc: tc(1, 1.0),
    "int and float unchecked": lambda T, tc: tc(2.0, 2, check_dtype=False),
    "lists": lambda T, tc: tc([T.ones(2), T.zeros(2)], [T.ones(2), T.ones(2)]),
    "list and tuple": lambda T, tc: tc((T.ones(2),), [T.ones(2)]),
    "lengths": lambda T, tc: tc([T.ones(2)], [T.ones(2), T.ones(2)]),
    "dicts": lambda T, tc: tc({"a": T.ones(2)}, {"a": T.ones(3)}),
    "nested": lambda T, tc: tc({"a": [1, T.ones(2)]}, {"a": [1, T.zeros(2)]}),
    "keys": lambda T, tc: tc({"a": 1, "c": 2}, {"b": 1, "c": 2}),
    "tensor and float": lambda T, tc: tc(T.ones(1), 1.0),
    "custom msg": lambda T, tc: tc(T.ones(2), T.ones(2) * 1.1, msg="custom"),
    "callable msg": lambda T, tc: tc(T.ones(2), T.ones(2) * 1.1, msg=lambda m: m + " extra"),
    "rtol alone": lambda T, tc: tc(T.ones(2), T.ones(2), rtol=1e-3),
    "atol alone": lambda T, tc: tc(T.ones(2), T.ones(2), atol=1e-3),
    "bools": lambda T, tc: tc(T.tensor(True), T.tensor(False)),
    "bool tensors": lambda T, tc: tc(T.tensor([True, False]), T.tensor([True, True])),
    "views": lambda T, tc: tc(T.ones(2, 3)[0], T.ones(6)[:3]),
    "unchecked dtype": lambda T, tc: tc(T.ones(2), T.ones(2).double() * 1.1, check_dtype=False),
    "several off": lambda T, tc: tc(T.tensor([1., 2, 3, 4]),
                                    T.tensor([1., 2, 3, 4]) + T.tensor([0, 1e-3, 0, 2e-3])),
    "large values": lambda T, tc: tc(T.tensor([1e-8, 1e8]), T.tensor([0., 1.0001e8])),
    "requires grad": lambda T, tc: tc(T.ones(2, requires_grad=True), T.ones(2)),
    "all off": lambda T, tc: tc(T.ones(100), T.zeros(100)),
    "0-d": lambda T, tc: tc(T.tensor(1.), T.tensor(2.)),
    "0-d ints": lambda T, tc: tc(T.tensor(1), T.tensor(2)),
    "one element": lambda T, tc: tc(T.ones(1, 1), T.zeros(1, 1)),
    "uint8": lambda T, tc: tc(T.tensor([1, 2], dtype=T.uint8), T.tensor([3, 2], dtype=T.uint8)),
    "float16": lambda T, tc: tc(T.ones(2, dtype=T.float16), T.ones(2, dtype=T.float16) * 1.01),
    "bfloat16": lambda T, tc: tc(T.ones(2, dtype=T.bfloat16), T.ones(2, dtype=T.bfloat16) * 1.1),
    "stride": lambda T, tc: tc(T.ones(2, 3), T.ones(3, 2).t(), check_stride=True),
    "empty": lambda T, tc: tc(T.zeros(0), T.zeros(0)),
    "None": lambda T, tc: tc(None, None),
    "numpy": lambda T, tc: tc(np.ones(2), np.zeros(2)),
    "numpy and tensor": lambda T, tc: tc(T.ones(2), np.ones(2)),
    "float and int tensor": lambda T, tc: tc(T.tensor([1., 2]), T.tensor([1, 2])),
    "row": lambda T, tc: tc(T.arange(3.)[None], T.arange(3.)[None] + 1),
}


def outcome(T, name):
    try:
        CASES[name](T, T.testing.assert_close)
    except Exception as e:  # noqa: BLE001 - compared between the libraries
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("name", list(CASES))
def test_assert_close_like_pytorch(name):
    assert outcome(ember, name) == outcome(torch, name)


def test_assert_allclose_is_deprecated_and_lenient_about_nan():
    for T in (ember, torch):
        with pytest.warns(FutureWarning, match="assert_allclose"):
            T.testing.assert_allclose(T.tensor([NAN, 1.0]), [NAN, 1.0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(AssertionError, match="Tensor-likes are not close"):
                T.testing.assert_allclose(T.ones(2), T.zeros(2))
