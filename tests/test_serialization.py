"""ember.save / ember.load against PyTorch's own files, both ways, and their safety."""
from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import sys
import warnings
import zipfile

import numpy as np
import pytest

import ember
from ember._serialization import _zip

torch = pytest.importorskip("torch")

DTYPES = ["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64",
          "uint8", "bool"]


def as_np(t):
    t = t.detach()
    if str(t.dtype) == "torch.bfloat16":
        t = t.float()
    return np.asarray(t.numpy())


def same(e, t):
    """An ember tensor and a PyTorch one hold the same values, dtype, shape and strides."""
    assert str(e.dtype) == str(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    assert tuple(e.stride()) == tuple(t.stride())
    np.testing.assert_array_equal(as_np(e), as_np(t))


def sample(lib, dtype, shape=(3, 4)):
    data = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) - 5
    if dtype == "bool":
        data = data % 3 == 0
    elif dtype == "uint8":
        data = data + 10
    return lib.tensor(data.tolist(), dtype=getattr(lib, dtype))


def torch_bytes(obj, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    return buf.getvalue()


def ember_bytes(obj, **kw):
    buf = io.BytesIO()
    ember.save(obj, buf, **kw)
    return buf.getvalue()


def rezip(data: bytes, edit):
    """A copy of a checkpoint with ``edit(name, bytes) -> bytes`` applied to each record."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, edit(info.filename, src.read(info.filename)))
    return out.getvalue()


# -- round trips ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_ember_to_ember_all_dtypes(dtype):
    x = sample(ember, dtype)
    y = ember.load(io.BytesIO(ember_bytes(x)))
    assert y.dtype is x.dtype and y.shape == x.shape and y.stride() == x.stride()
    np.testing.assert_array_equal(as_np(y), as_np(x))


@pytest.mark.parametrize("dtype", DTYPES)
def test_ember_to_torch_all_dtypes(dtype):
    x = sample(ember, dtype)
    obj = {"x": x, "xt": x.t(), "row": x[1], "col": x[:, 2], "scalar": x[0, 0]}
    got = torch.load(io.BytesIO(ember_bytes(obj)), weights_only=True)
    for k in obj:
        same(obj[k], got[k])
    assert got["xt"].storage_offset() == 0 and got["row"].storage_offset() == 4
    assert got["col"].storage_offset() == 2
    ptr = got["x"].untyped_storage().data_ptr()
    assert all(got[k].untyped_storage().data_ptr() == ptr for k in obj)


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_to_ember_all_dtypes(dtype):
    x = sample(torch, dtype)
    obj = {"x": x, "xt": x.t(), "row": x[1], "col": x[:, 2], "scalar": x[0, 0],
           "strided": x[::2, 1::2]}
    got = ember.load(io.BytesIO(torch_bytes(obj)))
    for k in obj:
        same(got[k], obj[k])
        assert got[k].storage_offset() == obj[k].storage_offset()


def test_views_share_memory_after_load_from_torch():
    x = torch.arange(12.0).reshape(3, 4)
    got = ember.load(io.BytesIO(torch_bytes([x, x.t(), x[1], x.expand(2, 3, 4)])))
    base, tr, row, expanded = got
    assert tr.stride() == (1, 4) and expanded.stride() == (0, 4, 1)
    assert row.data_ptr() == base.data_ptr() + 4 * 4
    base[1, 2] = 100.0
    assert tr[2, 1].item() == 100.0 and row[2].item() == 100.0
    assert expanded[1, 1, 2].item() == 100.0


def test_views_share_memory_ember_round_trip():
    x = ember.arange(24.0).reshape(2, 3, 4)
    obj = [x, x.permute(2, 0, 1), x[:, 1], x[..., ::2], x.unsqueeze(0).expand(5, 2, 3, 4)]
    data = ember_bytes(obj)
    assert len([n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if "/data/" in n]) == 1
    got = ember.load(io.BytesIO(data))
    for a, b in zip(obj, got):
        assert a.stride() == b.stride() and a.storage_offset() == b.storage_offset()
        np.testing.assert_array_equal(as_np(a), as_np(b))
    got[0].add_(1)
    np.testing.assert_array_equal(as_np(got[2]), as_np(x[:, 1] + 1))
    np.testing.assert_array_equal(as_np(got[4][3]), as_np(x + 1))


def test_same_tensor_twice_is_one_object():
    x = ember.ones(3)
    a, b = ember.load(io.BytesIO(ember_bytes([x, x])))
    assert a is b


def test_zero_d_empty_and_non_contiguous():
    x = ember.arange(20.0).reshape(4, 5)
    obj = {"zero_d": ember.tensor(7, dtype=ember.int16), "empty": ember.empty(0, 3),
           "empty_i": ember.zeros(2, 0, dtype=ember.int64), "nc": x.t()[1:, ::2]}
    for loaded in (ember.load(io.BytesIO(ember_bytes(obj))),
                   torch.load(io.BytesIO(ember_bytes(obj)), weights_only=True)):
        for k in obj:
            assert str(loaded[k].dtype) == str(obj[k].dtype)
            assert tuple(loaded[k].shape) == tuple(obj[k].shape)
            assert tuple(loaded[k].stride()) == tuple(obj[k].stride())
            np.testing.assert_array_equal(as_np(loaded[k]), as_np(obj[k]))


def test_pickle_matches_torch_byte_for_byte():
    t = torch.nn.Linear(3, 2)
    e = ember.nn.Linear(3, 2)
    e.load_state_dict({k: ember.tensor(v.tolist()) for k, v in t.state_dict().items()})
    tz = zipfile.ZipFile(io.BytesIO(torch_bytes(t.state_dict())))
    ez = zipfile.ZipFile(io.BytesIO(ember_bytes(e.state_dict())))
    assert ez.namelist() == tz.namelist()
    for name in tz.namelist():
        if not name.endswith("serialization_id"):
            assert ez.read(name) == tz.read(name), name


def test_records_are_aligned_like_torch():
    data = ember_bytes({"a": ember.ones(3), "b": ember.zeros(5, dtype=ember.int8)})
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:
                                                        info.header_offset + 30])
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0


def test_zip64_records_load_in_both():
    obj = {"w": ember.arange(50.0), "b": ember.ones(3, dtype=ember.int64)}
    pkl = io.BytesIO()
    from ember._serialization._pickling import StorageTable, TorchPickler

    table = StorageTable()
    TorchPickler(pkl, 2, table).dump(obj)
    out = io.BytesIO()
    w = _zip.ZipWriter(out, "archive", zip64_limit=100)
    w.write_record("data.pkl", pkl.getvalue())
    w.write_record("byteorder", b"little")
    for ref in table.refs:
        w.write_record(f"data/{ref.key}", ref.host_bytes())
    w.write_record("version", b"3\n")
    w.finish()
    for got in (ember.load(io.BytesIO(out.getvalue())),
                torch.load(io.BytesIO(out.getvalue()), weights_only=True)):
        np.testing.assert_array_equal(as_np(got["w"]), np.arange(50.0))
        np.testing.assert_array_equal(as_np(got["b"]), np.ones(3))


# -- objects other than tensors -----------------------------------------------------------

def test_nested_containers_and_scalars_from_torch():
    obj = collections.OrderedDict(
        a=[1, 2.5, True, None, "s", b"raw", (3, {"k": torch.ones(2)})],
        b={4, 5}, c=torch.Size([2, 3]), d=torch.float16, e=torch.device("cpu"),
        f=torch.device("cuda", 1), g=-(2 ** 70), h=1e300, i=complex(1, 2), j=bytearray(b"xy"))
    got = ember.load(io.BytesIO(torch_bytes(obj)))
    assert type(got) is collections.OrderedDict and list(got) == list(obj)
    assert got["a"][:6] == [1, 2.5, True, None, "s", b"raw"]
    assert got["a"][6][0] == 3 and got["a"][6][1]["k"].tolist() == [1.0, 1.0]
    assert got["b"] == {4, 5}
    assert type(got["c"]) is ember.Size and got["c"] == (2, 3)
    assert got["d"] is ember.float16
    assert got["e"] == ember.device("cpu") and got["f"] == ember.device("cuda", 1)
    assert got["g"] == -(2 ** 70) and got["h"] == 1e300 and got["i"] == complex(1, 2)
    assert got["j"] == bytearray(b"xy")


def test_nested_containers_to_torch():
    obj = {"list": [ember.ones(2), (1, "x", None)], "size": ember.Size([4]),
           "dtype": ember.bfloat16, "dev": ember.device("cpu"), "set": {1, 2},
           "od": collections.OrderedDict(z=1), 3: 2.5, "bytes": b"\x00\xff"}
    got = torch.load(io.BytesIO(ember_bytes(obj)), weights_only=True)
    assert got["list"][1] == (1, "x", None) and got["list"][0].tolist() == [1.0, 1.0]
    assert got["size"] == torch.Size([4]) and type(got["size"]) is torch.Size
    assert got["dtype"] is torch.bfloat16 and got["dev"] == torch.device("cpu")
    assert got["set"] == {1, 2} and got["od"] == collections.OrderedDict(z=1)
    assert got[3] == 2.5 and got["bytes"] == b"\x00\xff"
    again = ember.load(io.BytesIO(ember_bytes(obj)))
    assert again["dtype"] is ember.bfloat16 and again["size"] == ember.Size([4])


def test_parameters_requires_grad_and_attributes():
    p = torch.nn.Parameter(torch.ones(2))
    frozen = torch.nn.Parameter(torch.zeros(1), requires_grad=False)
    leaf = torch.ones(3, requires_grad=True)
    tagged = torch.arange(2.0)
    tagged.note = "hello"
    got = ember.load(io.BytesIO(torch_bytes([p, frozen, leaf, tagged])))
    assert isinstance(got[0], ember.nn.Parameter) and got[0].requires_grad
    assert isinstance(got[1], ember.nn.Parameter) and not got[1].requires_grad
    assert type(got[2]) is ember.Tensor and got[2].requires_grad and got[2].is_leaf
    assert got[3].note == "hello" and got[3].tolist() == [0.0, 1.0]

    ep = ember.nn.Parameter(ember.ones(2))
    et = ember.arange(2.0)
    et.note = "hi"
    back = torch.load(io.BytesIO(ember_bytes([ep, et])), weights_only=True)
    assert isinstance(back[0], torch.nn.Parameter) and back[0].requires_grad
    assert back[1].note == "hi"


def test_state_dict_metadata_kept():
    sd = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2)).state_dict()
    got = ember.load(io.BytesIO(torch_bytes(sd)))
    assert got._metadata == sd._metadata
    e_sd = ember.nn.Sequential(ember.nn.Linear(2, 2), ember.nn.BatchNorm1d(2)).state_dict()
    back = torch.load(io.BytesIO(ember_bytes(e_sd)), weights_only=True)
    assert back._metadata == e_sd._metadata and list(back) == list(e_sd)


def _models():
    torch.manual_seed(0)
    t = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                            torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 10))
    e = ember.nn.Sequential(ember.nn.Conv2d(1, 4, 3), ember.nn.BatchNorm2d(4), ember.nn.ReLU(),
                            ember.nn.Flatten(), ember.nn.Linear(4 * 6 * 6, 10))
    t.train()(torch.randn(8, 1, 8, 8))  # move the running statistics off their defaults
    t.eval()
    e.eval()
    return t, e


def test_torch_model_state_dict_into_ember_model(tmp_path):
    t, e = _models()
    torch.save(t.state_dict(), tmp_path / "model.pth")
    e.load_state_dict(ember.load(tmp_path / "model.pth"))
    x = np.random.default_rng(0).standard_normal((2, 1, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(as_np(e(ember.tensor(x))), as_np(t(torch.tensor(x))),
                               rtol=1e-5, atol=1e-5)
    assert e[1].num_batches_tracked.item() == 1


def test_ember_model_state_dict_into_torch_model(tmp_path):
    t, e = _models()
    ember.save(e.state_dict(), tmp_path / "model.pth")
    t.load_state_dict(torch.load(tmp_path / "model.pth", weights_only=True))
    x = np.random.default_rng(1).standard_normal((2, 1, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(as_np(t(torch.tensor(x))), as_np(e(ember.tensor(x))),
                               rtol=1e-5, atol=1e-5)


def test_optimizer_state_dicts():
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    sd = opt.state_dict()
    got = ember.load(io.BytesIO(torch_bytes(sd)))
    assert set(got["state"]) == {0, 1}
    for i in (0, 1):
        for k, v in sd["state"][i].items():
            same(got["state"][i][k], v)
    assert got["param_groups"][0]["params"] == [0, 1]
    assert got["param_groups"][0]["betas"] == (0.9, 0.999)
    back = torch.load(io.BytesIO(ember_bytes(got)), weights_only=True)
    opt.load_state_dict(back)
    for i in (0, 1):
        for k, v in sd["state"][i].items():
            assert torch.equal(back["state"][i][k], v)


# -- legacy format --------------------------------------------------------------------------

def test_legacy_torch_files_load():
    x = torch.arange(6, dtype=torch.int16).reshape(2, 3)
    obj = {"x": x, "row": x[1], "t": x.t(), "p": torch.nn.Parameter(torch.ones(2)),
           "meta": [1, "two"]}
    data = torch_bytes(obj, _use_new_zipfile_serialization=False)
    assert not data.startswith(b"PK")
    for weights_only in (True, False):
        got = ember.load(io.BytesIO(data), weights_only=weights_only)
        for k in ("x", "row", "t"):
            same(got[k], obj[k])
        assert isinstance(got["p"], ember.nn.Parameter) and got["meta"] == [1, "two"]
        got["x"][1, 0] = 50
        assert got["row"][0].item() == 50 and got["t"][0, 1].item() == 50


def test_legacy_ember_files_load_in_torch(tmp_path):
    x = ember.arange(6.0).reshape(2, 3)
    ember.save({"x": x, "t": x.t(), "b": ember.ones(2, dtype=ember.bool)}, tmp_path / "l.pt",
               _use_new_zipfile_serialization=False)
    got = torch.load(tmp_path / "l.pt", weights_only=True)
    same(x, got["x"])
    same(x.t(), got["t"])
    assert got["t"].untyped_storage().data_ptr() == got["x"].untyped_storage().data_ptr()
    again = ember.load(tmp_path / "l.pt")
    same(again["t"], got["t"])


# -- map_location -----------------------------------------------------------------------------

def cuda_checkpoint():
    """A checkpoint whose storage claims to come from 'cuda:0' (written from a CPU tensor)."""
    data = torch_bytes({"w": torch.arange(4.0), "n": 3})
    old = b"X\x03\x00\x00\x00cpu"
    new = b"X\x06\x00\x00\x00cuda:0"
    return rezip(data, lambda name, b: b.replace(old, new) if name.endswith("data.pkl") else b)


def test_cuda_checkpoint_needs_map_location():
    data = cuda_checkpoint()
    assert b"cuda:0" in zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")
    if torch.cuda.is_available() or ember.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    with pytest.raises(RuntimeError) as t_err:
        torch.load(io.BytesIO(data))
    with pytest.raises(RuntimeError, match=r"map_location=torch\.device\('cpu'\)") as e_err:
        ember.load(io.BytesIO(data))
    assert "is_available() is False" in str(t_err.value) and "is_available()" in str(e_err.value)


@pytest.mark.parametrize("map_location", [
    "cpu", "ember.device", {"cuda:0": "cpu"}, "callable", "callable_none_cpu"])
def test_map_location_variants(map_location):
    seen = []
    if map_location == "ember.device":
        map_location = ember.device("cpu")
    elif map_location == "callable":
        def map_location(storage, location):
            seen.append((location, storage.nbytes()))
            return storage
    elif map_location == "callable_none_cpu":
        data = torch_bytes({"w": torch.arange(4.0), "n": 3})
        got = ember.load(io.BytesIO(data), map_location=lambda s, loc: None)
        assert got["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
        return
    got = ember.load(io.BytesIO(cuda_checkpoint()), map_location=map_location)
    assert got["w"].device == ember.device("cpu") and got["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert got["n"] == 3
    if seen:
        assert seen == [("cuda:0", 16)]


def test_map_location_cpu_file_and_unknown_location():
    data = torch_bytes(torch.ones(2))
    for ml in (None, "cpu", {"cpu": "cpu"}, ember.device("cpu")):
        assert ember.load(io.BytesIO(data), map_location=ml).tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="don't know how to restore data location"):
        ember.load(io.BytesIO(data), map_location="xla:0")


# -- safety -----------------------------------------------------------------------------------

class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.system, (f"touch {self.path}",)


class _EvilOpen:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (self.path, "w")


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("payload", [_Evil, _EvilOpen])
def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path, legacy, payload):
    marker = tmp_path / "pwned"
    obj = {"weights": torch.ones(2), "x": payload(str(marker))}
    data = torch_bytes(obj, _use_new_zipfile_serialization=not legacy)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError) as err:
        ember.load(io.BytesIO(data))
    msg = str(err.value)
    name = f"{os.system.__module__}.system" if payload is _Evil else f"{open.__module__}.open"
    # (os's functions are refused as PyTorch refuses them: their module is blocked)
    words = f"GLOBAL {name} whose module {os.system.__module__} is blocked" \
        if payload is _Evil else f"Unsupported global: GLOBAL {name}"
    assert words in msg and "`weights_only` set to `False`" in msg
    with pytest.raises(pickle.UnpicklingError) as t_err:
        torch.load(io.BytesIO(data))
    assert str(t_err.value) == msg
    assert not marker.exists()


class _Craft:
    """Pickles as whatever reduce value it is given."""

    def __init__(self, *rv):
        self.rv = rv

    def __reduce__(self):
        return self.rv


class _Pid:
    pass


def crafted_checkpoint(obj):
    """A checkpoint with one 8-byte float storage, whose pickle is ``obj`` as crafted."""
    from ember._serialization._pickling import StorageTable, TorchGlobal, TorchPickler

    class CraftPickler(TorchPickler):
        def persistent_id(self, o):
            if isinstance(o, _Pid):
                return ("storage", TorchGlobal("torch", "FloatStorage"), "0", "cpu", 2)
            return None

    pkl = io.BytesIO()
    CraftPickler(pkl, 2, StorageTable()).dump(obj)
    out = io.BytesIO()
    w = _zip.ZipWriter(out, "archive")
    w.write_record("data.pkl", pkl.getvalue())
    w.write_record("data/0", np.zeros(2, np.float32).view(np.uint8))
    w.write_record("version", b"3\n")
    w.finish()
    return out.getvalue()


def test_refuses_calls_builds_and_oversized_views():
    from ember._serialization._pickling import REBUILD_V2, TorchGlobal

    def tensor(size, *state):
        return _Craft(REBUILD_V2, (_Pid(), 0, size, (1,), False, collections.OrderedDict()),
                      *state)

    ok = crafted_checkpoint(tensor((2,)))
    assert ember.load(io.BytesIO(ok)).tolist() == [0.0, 0.0]
    assert torch.load(io.BytesIO(ok)).tolist() == [0.0, 0.0]
    too_big = crafted_checkpoint(tensor((5,)))
    with pytest.raises(RuntimeError, match="Trying to resize storage that is not resizable"):
        ember.load(io.BytesIO(too_big))
    with pytest.raises(RuntimeError):  # "Trying to resize storage that is not resizable"
        torch.load(io.BytesIO(too_big))
    build = crafted_checkpoint(tensor((2,), {"_data": 1}))
    with pytest.raises(pickle.UnpicklingError, match="Can only build"):
        ember.load(io.BytesIO(build))
    call_dtype = crafted_checkpoint(_Craft(TorchGlobal("torch", "float32"), ()))
    with pytest.raises(pickle.UnpicklingError, match="unrecognized function"):
        ember.load(io.BytesIO(call_dtype))
    setitem_on_tensor = crafted_checkpoint(_Craft(REBUILD_V2, (
        _Pid(), 0, (2,), (1,), False, collections.OrderedDict()), None, None, iter([(0, 5.0)])))
    with pytest.raises(pickle.UnpicklingError, match="Can only SETITEM for dict"):
        ember.load(io.BytesIO(setitem_on_tensor))


def test_whole_module_round_trip_needs_weights_only_false(tmp_path):
    model = ember.nn.Sequential(ember.nn.Flatten(), ember.nn.Linear(4, 8), ember.nn.ReLU(),
                                ember.nn.Linear(8, 2))
    ember.save(model, tmp_path / "model.pth")
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL "
                       "torch.nn.modules.container.Sequential") as err:
        ember.load(tmp_path / "model.pth")
    assert "`weights_only` set to `False`" in str(err.value)
    back = ember.load(tmp_path / "model.pth", weights_only=False)
    assert type(back) is ember.nn.Sequential and repr(back) == repr(model)
    x = ember.randn(3, 2, 2)
    np.testing.assert_array_equal(as_np(back(x)), as_np(model(x)))
    assert "torch.nn.modules.container.Sequential" in \
        ember.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "model.pth")
    with ember.serialization.safe_globals([ember.nn.Sequential, ember.nn.Flatten,
                                           ember.nn.Linear, ember.nn.ReLU]):
        assert repr(ember.load(tmp_path / "model.pth")) == repr(model)
    with pytest.raises(pickle.UnpicklingError):
        ember.load(tmp_path / "model.pth")


def test_whole_module_saved_by_ember_runs_in_pytorch(tmp_path):
    """A whole model pickled by ember names PyTorch's classes, so PyTorch loads and runs it."""
    torch = pytest.importorskip("torch")
    ember.manual_seed(0)
    nn = ember.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(8, 8), nn.ReLU(), nn.Unflatten(1, (2, 4)),
                          nn.LSTM(4, 8, batch_first=True), )
    head = nn.ModuleDict({"attn": nn.TransformerEncoderLayer(8, 2, dim_feedforward=16,
                                                             activation="gelu", dropout=0.0),
                          "norm": nn.LayerNorm(8), "out": nn.Linear(8, 3)})
    head.act = ember.nn.functional.relu
    ember.save({"body": model, "head": head}, tmp_path / "whole.pth")
    theirs = torch.load(tmp_path / "whole.pth", weights_only=False)
    assert type(theirs["body"][1]) is torch.nn.Linear and theirs["head"].act is \
        torch.nn.functional.relu
    assert repr(theirs["body"]) == repr(model) and repr(theirs["head"]) == repr(head)
    x = np.random.default_rng(0).standard_normal((3, 2, 4)).astype(np.float32)

    def run(T, m, xs):
        out, _ = m["body"](xs)
        return m["head"]["out"](m["head"]["norm"](m["head"]["attn"](out))).detach().numpy()
    head.eval()
    theirs["head"].eval()
    np.testing.assert_allclose(run(torch, theirs, torch.from_numpy(x)),
                               run(ember, {"body": model, "head": head}, ember.from_numpy(x)),
                               rtol=1e-5, atol=1e-6)
    back = ember.load(tmp_path / "whole.pth", weights_only=False)
    assert type(back["body"][4]) is ember.nn.LSTM and back["head"].act is ember.nn.functional.relu
    with ember.serialization.safe_globals([ember.nn.Sequential, ember.nn.Flatten,
                                           ember.nn.Linear, ember.nn.ReLU]):
        assert "torch.nn.Sequential" not in \
            ember.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "whole.pth")


def test_weights_only_with_pickle_module_is_an_error():
    with pytest.raises(RuntimeError, match="explicit pickle_module"):
        ember.load(io.BytesIO(ember_bytes(1)), pickle_module=pickle, weights_only=True)
    assert ember.load(io.BytesIO(ember_bytes([1])), pickle_module=pickle) == [1]


# -- files, atomicity, corruption ----------------------------------------------------------------

def test_paths_and_file_objects(tmp_path):
    x = ember.arange(5)
    ember.save(x, str(tmp_path / "a.pt"))
    ember.save(x, tmp_path / "b.pt")
    with open(tmp_path / "c.pt", "wb") as fh:
        ember.save(x, fh)
    assert zipfile.ZipFile(tmp_path / "b.pt").namelist()[0] == "b/data.pkl"
    for name in ("a.pt", "b.pt", "c.pt"):
        assert ember.load(str(tmp_path / name)).tolist() == list(range(5))
        with open(tmp_path / name, "rb") as fh:
            assert ember.load(fh).tolist() == list(range(5))
        assert torch.load(tmp_path / name).tolist() == list(range(5))


def test_non_seekable_targets():
    class WriteOnly:
        def __init__(self):
            self.buf = bytearray()

        def write(self, b):
            self.buf += bytes(b)
            return len(b)

        def flush(self):  # (PyTorch's writer flushes its target: see test_probe_serial_fuzz)
            pass

    w = WriteOnly()
    ember.save({"x": ember.ones(3)}, w)
    assert torch.load(io.BytesIO(bytes(w.buf)))["x"].tolist() == [1.0, 1.0, 1.0]

    class ReadOnly(io.RawIOBase):
        def readable(self):
            return True

        def tell(self):
            raise io.UnsupportedOperation("tell")

    with pytest.raises(io.UnsupportedOperation, match="seekable"):
        ember.load(ReadOnly())


def test_atomic_save_keeps_old_file_on_pickling_error(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"v": ember.ones(2)}, path)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        ember.save({"v": ember.zeros(2), "f": lambda: 1}, path)
    assert ember.load(path)["v"].tolist() == [1.0, 1.0]
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_atomic_save_keeps_old_file_on_write_error(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    ember.save({"v": ember.ones(2)}, path)
    real = _zip.ZipWriter.write_record

    def failing(self, name, data):
        if name.startswith("data/"):
            raise OSError("disk full")
        return real(self, name, data)

    monkeypatch.setattr(_zip.ZipWriter, "write_record", failing)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"v": ember.zeros(2)}, path)
    monkeypatch.undo()
    assert ember.load(path)["v"].tolist() == [1.0, 1.0]
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_save_into_missing_directory(tmp_path):
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        ember.save(1, tmp_path / "nope" / "x.pt")


def test_truncated_and_corrupted_files():
    data = ember_bytes({"w": ember.arange(100.0), "n": 1})
    for cut in (len(data) // 2, len(data) - 5, 10):
        with pytest.raises(RuntimeError, match="PytorchStreamReader failed reading zip archive"):
            ember.load(io.BytesIO(data[:cut]))
    with pytest.raises(RuntimeError, match="failed finding central directory"):
        ember.load(io.BytesIO(data[: len(data) // 2]))
    # A flipped byte inside the tensor data: PyTorch's reader does not check the CRC-32 (a
    # file written in place through mmap=True and MAP_SHARED must load), nor does ember's.
    i = data.index(np.arange(100.0, dtype=np.float32)[50:52].tobytes())
    bad = bytearray(data)
    bad[i] ^= 0xFF
    assert ember.load(io.BytesIO(bytes(bad)))["w"].tolist() == \
        torch.load(io.BytesIO(bytes(bad)))["w"].tolist()
    # A damaged pickle (rewritten with valid CRCs) fails with what went wrong reading it, as
    # with PyTorch's weights-only unpickler (here a global's name that is no UTF-8).
    damaged = rezip(data, lambda n, b: b[:20] + b"\xee" + b[21:] if n.endswith(".pkl") else b)
    with pytest.raises(UnicodeDecodeError):
        ember.load(io.BytesIO(damaged))
    with pytest.raises(UnicodeDecodeError):
        torch.load(io.BytesIO(damaged))
    with pytest.raises(EOFError):
        ember.load(io.BytesIO(b""))
    with pytest.raises(RuntimeError, match="Unsupported operand 100"):  # (PyTorch's words)
        ember.load(io.BytesIO(b"definitely not a checkpoint"))
    legacy = ember_bytes({"w": ember.arange(10.0)}, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="unexpected EOF, expected 8 more bytes"):
        ember.load(io.BytesIO(legacy[:-8]))


def test_big_endian_records_are_swapped():
    data = torch_bytes({"w": torch.arange(3.0), "i": torch.tensor([1, 256], dtype=torch.int16)})

    def to_big(name, b):
        if name.endswith("byteorder"):
            return b"big"
        if name.endswith("data/0"):
            return np.arange(3.0, dtype=">f4").tobytes()
        if name.endswith("data/1"):
            return np.array([1, 256], dtype=">i2").tobytes()
        return b

    got = ember.load(io.BytesIO(rezip(data, to_big)))
    assert got["w"].tolist() == [0.0, 1.0, 2.0] and got["i"].tolist() == [1, 256]


def test_mmap(tmp_path):
    x = ember.arange(1000.0)
    ember.save({"x": x, "tail": x[900:]}, tmp_path / "m.pt")
    got = ember.load(tmp_path / "m.pt", mmap=True)
    np.testing.assert_array_equal(as_np(got["x"]), as_np(x))
    got["x"][950] = -1.0  # copy-on-write: the file is unchanged
    assert got["tail"][50].item() == -1.0
    assert ember.load(tmp_path / "m.pt")["x"][950].item() == 950.0
    with pytest.raises(ValueError, match="file path"):
        ember.load(io.BytesIO(ember_bytes(x)), mmap=True)
    ember.save(x, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="mmap can only be used"):
        ember.load(tmp_path / "legacy.pt", mmap=True)


def test_unsupported_dtypes_and_mixed_views():
    f8 = ember.load(io.BytesIO(torch_bytes(torch.ones(2, dtype=torch.float8_e4m3fn))))
    assert f8.dtype is ember.float8_e4m3fn and f8.tolist() == [1.0, 1.0]  # (test_float8.py)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch: "ComplexHalf support is experimental")
        half_complex = torch_bytes(torch.ones(2, dtype=torch.complex32))
    with pytest.raises(RuntimeError, match="complex32"):
        ember.load(io.BytesIO(half_complex))
    x = ember.zeros(4, dtype=ember.int32)
    with pytest.raises(RuntimeError, match="as different types"):
        ember.save([x, x.view(ember.float32)], io.BytesIO())


# -- safetensors ------------------------------------------------------------------------------

def test_safetensors_round_trips(tmp_path):
    pytest.importorskip("safetensors")
    import safetensors.torch

    import ember.safetensors as est

    tensors = {d: sample(ember, d) for d in DTYPES}
    est.save_file(tensors, tmp_path / "e.safetensors", metadata={"format": "pt"})
    got = est.load_file(tmp_path / "e.safetensors")
    for d in DTYPES:
        assert got[d].dtype is tensors[d].dtype
        np.testing.assert_array_equal(as_np(got[d]), as_np(tensors[d]))
    from_torch = safetensors.torch.load_file(tmp_path / "e.safetensors")
    for d in DTYPES:
        same(tensors[d], from_torch[d])
    safetensors.torch.save_file({d: sample(torch, d) for d in DTYPES}, tmp_path / "t.safetensors")
    via_load = ember.load(tmp_path / "t.safetensors")
    for d in DTYPES:
        same(via_load[d], sample(torch, d))
    assert est.load(est.save({"a": ember.ones(2)}))["a"].tolist() == [1.0, 1.0]
    x = ember.ones(4)
    with pytest.raises(RuntimeError, match="share memory"):
        est.save({"a": x, "b": x[1:]})
    with pytest.raises(ValueError, match="non contiguous"):
        est.save({"a": ember.ones(2, 3).t()})


def test_safetensors_missing_package_is_a_clear_import_error(monkeypatch):
    import ember.safetensors as est

    monkeypatch.setitem(sys.modules, "safetensors", None)
    with pytest.raises(ImportError, match="pip install safetensors"):
        est.save({"a": ember.ones(1)})


def test_resaving_loaded_tensors_keeps_one_storage_each(tmp_path):
    x, y = ember.arange(10.0), ember.arange(4, dtype=ember.int64)
    ember.save({"x": x, "y": y, "xv": x[2:]}, tmp_path / "a.pt")
    for mmap in (False, True):
        got = ember.load(tmp_path / "a.pt", mmap=mmap)
        data = ember_bytes(got)
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        assert len([n for n in names if "/data/" in n]) == 2
        again = torch.load(io.BytesIO(data))
        assert again["xv"].storage_offset() == 2 and again["y"].tolist() == [0, 1, 2, 3]


def test_ember_needs_no_torch(tmp_path):
    import subprocess

    code = ("import sys, ember\n"
            "x = ember.arange(6.0).reshape(2, 3)\n"
            f"ember.save({{'x': x, 't': x.t()}}, {str(tmp_path / 'a.pt')!r})\n"
            f"y = ember.load({str(tmp_path / 'a.pt')!r})\n"
            "assert y['t'].tolist() == x.t().tolist()\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cuda_tensors_on_a_simulated_gpu():
    simulate = getattr(__import__("ember._device", fromlist=["x"]), "_simulate_cuda", None)
    if simulate is None:
        pytest.skip("no CUDA simulator in this ember")
    with simulate():
        x = ember.arange(6.0).reshape(2, 3).to("cuda")
        data = ember_bytes({"x": x, "t": x.t(), "r": x[1]})
        assert b"cuda:0" in zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")
        on_cpu = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        assert on_cpu["t"].stride() == (1, 3) and on_cpu["r"].tolist() == [3.0, 4.0, 5.0]
        got = ember.load(io.BytesIO(data))
        assert got["x"].device == ember.device("cuda", 0) and got["t"].stride() == (1, 3)
        got["x"][1, 0] = 50.0
        assert got["r"].tolist() == [50.0, 4.0, 5.0]
        assert ember.load(io.BytesIO(data), map_location="cpu")["x"].device.type == "cpu"
        legacy = torch_bytes({"w": torch.arange(3.0)}, _use_new_zipfile_serialization=False)
        for ml in ("cuda:0", ember.device("cuda"), lambda s, loc: s.cuda(0)):
            w = ember.load(io.BytesIO(legacy), map_location=ml)["w"]
            assert w.device.type == "cuda" and w.tolist() == [0.0, 1.0, 2.0]
        with pytest.raises(RuntimeError, match="device_count"):
            ember.load(io.BytesIO(torch_bytes(torch.ones(1))), map_location="cuda:7")
