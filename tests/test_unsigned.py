"""uint16, uint32 and uint64: PyTorch's "shell" dtypes. Tensors hold, print, convert, save
and load them; promotion with anything but a floating type or themselves is refused."""
import io

import numpy as np
import pytest

import ember
from diff import torch

WIDE = ["uint16", "uint32", "uint64"]
OTHERS = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64"] + WIDE


def outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001  (compared with PyTorch's)
        return type(e).__name__, str(e)
    return "ok", repr(r)


@pytest.mark.parametrize("u", WIDE)
def test_promotion_as_pytorch(u):
    for o in OTHERS:
        for a, b in ((u, o), (o, u)):
            got = outcome(lambda: ember.promote_types(getattr(ember, a), getattr(ember, b)))
            want = outcome(lambda: torch.promote_types(getattr(torch, a), getattr(torch, b)))
            assert got == want, (a, b)
    for lib in (ember, torch):
        d = getattr(lib, u)
        assert str(lib.result_type(lib.tensor([1], dtype=d), 5)) == f"torch.{u}"
        assert lib.result_type(lib.tensor([1], dtype=d), 2.5) is lib.float32
        assert str(lib.result_type(lib.tensor(1), lib.tensor([1], dtype=d))) == f"torch.{u}"


CASES = [
    "T.tensor([-1], dtype=T.uint16)", "T.tensor([70000], dtype=T.uint16)",
    "T.tensor([2**64-1], dtype=T.uint64)", "T.tensor([2**63], dtype=T.uint64)",
    "T.full((2,), 70000, dtype=T.uint16)", "T.tensor([1.7, 300.2], dtype=T.uint16)",
    "T.tensor([3.0]).to(T.uint32)", "T.tensor([1, 2], dtype=T.uint64) + 1.5",
    "T.tensor([1, 2], dtype=T.uint16).sum().dtype", "T.tensor([1, 2], dtype=T.uint16).tolist()",
    "T.tensor(5, dtype=T.uint64).item()", "T.tensor([1, 2], dtype=T.uint16) == 1",
    "T.tensor([[1, 2], [3, 4]], dtype=T.uint16).T.contiguous()",
    "T.tensor([1, 2], dtype=T.uint16).view(T.int16)", "T.tensor([1, 2], dtype=T.uint32).type()",
    "T.tensor([1, 2], dtype=T.uint32).is_signed()", "T.ones(2, 3, dtype=T.uint16)",
    "T.tensor([7], dtype=T.uint16).to(T.uint8)", "T.tensor([2**64 - 1], dtype=T.uint64).double()",
    "T.tensor([1, 2], dtype=T.uint16) + T.tensor([1], dtype=T.int16)",
    "T.tensor([1, 2], dtype=T.uint16) + T.tensor([1.5])", "T.iinfo(T.uint32)",
    "T.tensor([[1, 60000], [3, 4]], dtype=T.uint16)", "T.uint64.is_signed",
    "T.from_numpy(np.array([1, 60000], dtype=np.uint16))",
    "T.empty(5, dtype=T.uint16).random_(0, 7)", "T.randint(3, 60000, (6,), dtype=T.uint32)",
    "T.empty(5, dtype=T.uint16).random_()", "T.randperm(5, dtype=T.uint32)",
    "T.empty(3, dtype=T.uint64).bernoulli_(0.5)", "T.randperm(257, dtype=T.uint8)",
]


@pytest.mark.parametrize("expr", CASES)
def test_same_as_pytorch(expr):
    results = []
    for T in (ember, torch):
        T.manual_seed(0)
        results.append(outcome(lambda: eval(expr, {"T": T, "np": np})))
    assert results[0] == results[1]


@pytest.mark.parametrize("u", WIDE)
def test_checkpoints_cross_both_ways(u):
    big = {"uint16": 65535, "uint32": 2**32 - 1, "uint64": 2**64 - 1}[u]
    for save_lib, load_lib in ((ember, torch), (torch, ember)):
        t = save_lib.tensor([[1, 2], [3, big]], dtype=getattr(save_lib, u))
        buf = io.BytesIO()
        save_lib.save({"t": t, "col": t[:, 1]}, buf)
        buf.seek(0)
        d = load_lib.load(buf)
        assert str(d["t"].dtype) == f"torch.{u}"
        assert d["t"].tolist() == [[1, 2], [3, big]] and d["col"].tolist() == [2, big]
        assert d["col"].storage_offset() == 1 and d["col"].stride() == (2,)
