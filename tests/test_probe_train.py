"""Differential probes of data loading, optimizers, schedulers and checkpoints against PyTorch.

Each test runs the same user-style code with ember and with PyTorch and compares what comes
out (values, exception types and messages).
"""
from __future__ import annotations

import io
import warnings

import pytest

import ember
import ember.optim.lr_scheduler as elrs

torch = pytest.importorskip("torch")
import torch.optim.lr_scheduler as tlrs  # noqa: E402

LIBS = {"ember": ember, "torch": torch}


def outcome(fn):
    try:
        return "ok", repr(fn())
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)


def same(fn):
    got, want = outcome(lambda: fn(ember)), outcome(lambda: fn(torch))
    assert got == want
    return got


@pytest.mark.parametrize("kwargs", [
    {"generator": True}, {"generator": 5}, {"dtype": True}, {"out": True}, {"device": "cpu"},
    {},
])
@pytest.mark.parametrize("n", [3.0, "a", 4])
def test_randperm_bad_arguments(n, kwargs):
    def run(L):
        L.manual_seed(0)
        kw = dict(kwargs)
        if kw.get("generator") is True:
            kw["generator"] = L.Generator().manual_seed(0)
        if kw.get("dtype") is True:
            kw["dtype"] = L.int32
        if kw.get("out") is True:
            kw["out"] = L.empty(4, dtype=L.int64)
        return L.randperm(n, **kw).tolist()
    same(run)


@pytest.mark.parametrize("lengths", [[1, 2.0], [0.5, 0.6], [1, 1], [0.3, 0.7]])
def test_random_split_bad_lengths(lengths):
    def run(L):
        g = L.Generator().manual_seed(0)
        return [list(s) for s in L.utils.data.random_split(range(3), lengths, generator=g)]
    same(run)


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("data", [b"", b"\x80\x02", b"\x80\x02K\x05", b"\x80\x02K\x05.",
                                  b"\x80\x02]q\x00(K\x01K\x02e."])
def test_load_empty_truncated_or_plain_pickle(data, weights_only):
    """An empty or truncated file: the unpickler's EOFError; a pickle whose first object is
    not the magic number: PyTorch's RuntimeError."""
    same(lambda L: L.load(io.BytesIO(data), weights_only=weights_only))


@pytest.mark.parametrize("data", [b"\x80", b"garbage", b"hello world"])
def test_load_garbage_without_weights_only(data):
    """weights_only=False: what Python's unpickler raises (PyTorch's is the same one)."""
    same(lambda L: L.load(io.BytesIO(data), weights_only=False))


def _checkpoint_bytes(L):
    buf = io.BytesIO()
    L.save({"w": L.arange(100.0)}, buf)
    return buf.getvalue()


@pytest.mark.parametrize("cut", [30, -10])
def test_load_truncated_zip(cut):
    data = _checkpoint_bytes(torch)
    for wo in (True, False):
        same(lambda L: L.load(io.BytesIO(data[:cut]), weights_only=wo))


def test_lr_scheduler_old_name_is_a_subclass():
    for L, S in ((ember, elrs), (torch, tlrs)):
        opt = L.optim.SGD([L.nn.Parameter(L.ones(1))], lr=1.0)
        assert S._LRScheduler.__name__ == "_LRScheduler"
        assert issubclass(S._LRScheduler, S.LRScheduler)
        assert not isinstance(S.StepLR(opt, 2), S._LRScheduler)

        class Warm(S._LRScheduler):
            def get_lr(self):
                return [b * (self.last_epoch + 1) / 4 for b in self.base_lrs]

        s = Warm(opt)
        assert isinstance(s, S._LRScheduler)
        if L is ember:  # (PyTorch's first optimizer step is slow: its result is known)
            for _ in range(3):
                opt.step()
                s.step()
            assert s.get_last_lr() == [1.0]


class _Thing:
    def __init__(self):
        self.x = 1


@pytest.mark.parametrize("obj", ["thing", "slice", "protocol4"])
def test_weights_only_refusal_message(obj):
    """The refusal of a global (and of a pickle opcode) is worded as PyTorch words it."""
    def run(L):
        buf = io.BytesIO()
        if obj == "protocol4":
            L.save([1, 2], buf, pickle_protocol=4)
        else:
            L.save({"t": L.ones(2), "x": _Thing() if obj == "thing" else slice(1, 2)}, buf)
        buf.seek(0)
        return L.load(buf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the protocol 4 warning)
        same(run)


def test_allowlisted_global_loads():
    for L in (ember, torch):
        buf = io.BytesIO()
        L.save({"x": _Thing()}, buf)
        with L.serialization.safe_globals([_Thing]):
            buf.seek(0)
            assert L.load(buf)["x"].x == 1


@pytest.mark.parametrize("name", ["bogus", "ResNet18_Weights.bogus"])
def test_unknown_weights_name_is_the_enums_key_error(name):
    """torchvision looks the name up in the enum: its KeyError names the member looked for."""
    from ember.vision import models

    with pytest.raises(KeyError) as err:
        models.resnet18(weights=name)
    assert str(err.value) == "'bogus'"
    with pytest.raises(KeyError) as err:
        models.ResNet18_Weights.verify(name)
    assert str(err.value) == "'bogus'"


def test_assign_is_remembered_by_the_state_dicts_metadata():
    """PyTorch writes ``assign=True`` into the state dict's own ``_metadata``: a later load of
    the same state dict assigns too (the loaded modules then share its tensors)."""
    def run(L):
        nn = L.nn
        sd = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1)).state_dict()
        m1 = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
        m1.load_state_dict(sd, assign=True)
        m2 = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
        m2.load_state_dict(sd)
        plain = dict(sd)  # (no metadata: nothing remembered)
        m3 = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
        m3.load_state_dict(plain, assign=True)
        m4 = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
        m4.load_state_dict(plain)
        return (repr(sd._metadata), m2[0].weight.data_ptr() == sd["0.weight"].data_ptr(),
                m3[0].weight.data_ptr() == plain["0.weight"].data_ptr(),
                m4[0].weight.data_ptr() == plain["0.weight"].data_ptr())
    assert same(run)[0] == "ok"


RANDOM_CALLS = [((), {"generator": 3}), ((5,), {"generator": 3}), ((0, 5), {"generator": 3}),
                ((2.5,), {}), ((0, 5, 3), {}), ((0, 2.5), {}), ((2.5,), {"generator": "g"}),
                ((True,), {}), ((None,), {}), ((0, None), {}), (("a", 3), {}), ((), {"to": 3}),
                ((), {"from": 1, "to": 3}), ((1,), {"to": 3}), ((5,), {"generator": 3, "foo": 1}),
                ((), {"foo": 1}), ((0, 2.5), {"generator": "g"}), ((1,), {"from": 2}),
                ((), {"to": 2.5}), ((), {"from": 1}), ((1, 2), {"to": 3}),
                ((), {"generator": None}), ((None, None), {}), ((0, 5, "g"), {}), (("t2",), {}),
                (("t[2]",), {}),
                (("t2.0",), {}), ((0, 5), {"generator": None}), ((), {"to": None}),
                ((1, 2, 3, 4), {}), (([1, 2],), {}), (((1,),), {}), ((3,), {})]


@pytest.mark.parametrize("call", range(len(RANDOM_CALLS)))
def test_random_fill_arguments(call):
    """``Tensor.random_`` binds its arguments (and refuses them) as PyTorch's parser does."""
    args, kwargs = RANDOM_CALLS[call]

    def run(L):
        L.manual_seed(0)
        g = L.Generator().manual_seed(1)
        conv = {"g": g, "t2": L.tensor(2), "t[2]": L.tensor([2]), "t2.0": L.tensor(2.0)}
        a = [conv.get(x, x) if isinstance(x, str) else x for x in args]
        kw = {k: conv.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
        t = L.empty(4)
        t.random_(*a, **kw)
        return t.tolist() if t.max() < 100 else "big"
    same(run)


def test_dataloader_with_a_bad_generator():
    def run(L):
        return list(L.utils.data.DataLoader(list(range(3)), shuffle=True, generator=3))
    same(run)


@pytest.mark.parametrize("data", [b"definitely not a checkpoint", b"garbage",
                                  b"\x80\x04\x95junk"])
def test_load_refused_opcode_message(data):
    """A file whose first pickle opcode the weights-only unpickler refuses: PyTorch's words."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the protocol 4 warning)
        same(lambda L: L.load(io.BytesIO(data)))


def test_load_legacy_protocol_4():
    def run(L):
        buf = io.BytesIO()
        L.save(L.ones(1), buf, _use_new_zipfile_serialization=False, pickle_protocol=4)
        buf.seek(0)
        return L.load(buf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(run)


@pytest.mark.parametrize("where", ["int", "returns_int", "returns_none", "empty_file_int"])
def test_load_map_location_oddities(where):
    """A map_location that is no location is called as PyTorch calls it (an int fails only
    when there is a storage to place); a callable returning no storage fails as there."""
    def run(L):
        buf = io.BytesIO()
        L.save({"a": 1} if where == "empty_file_int" else {"a": L.arange(3.0)}, buf)
        buf.seek(0)
        ml = {"int": 3, "empty_file_int": 3, "returns_int": lambda s, loc: 5,
              "returns_none": lambda s, loc: None}[where]
        return L.load(buf, map_location=ml)
    same(run)


@pytest.mark.parametrize("n", [5, 37, 1000])
def test_complex64_abs_rounds_as_pytorch(n):
    """|z| of complex64 values is hypot(re, im) rounded once, as PyTorch's kernel gives it
    (a complex parameter's optimizer steps go through it)."""
    torch.manual_seed(0)
    z = torch.randn(n, dtype=torch.complex64) * torch.logspace(-10, 10, n).to(torch.complex64)
    got = ember.from_numpy(z.numpy()).abs().numpy()
    want = z.abs().numpy()
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
