"""A differential sweep of ``ember.save`` / ``ember.load`` against PyTorch's, both ways.

Every case writes a checkpoint with one library and reads it with the other (and with the
same one), and compares the result with what PyTorch gives when it both writes and reads:
values, dtypes, shapes, strides, storage offsets, memory sharing, types of the loaded
objects, and the exception types (and the essential words) of what fails.
"""
from __future__ import annotations

import collections
import io
import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

LIBS = {"ember": ember, "torch": torch}
# (writer, reader): every direction but torch -> torch, which is the reference.
DIRECTIONS = [("ember", "torch"), ("torch", "ember"), ("ember", "ember")]
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64",
          "float16", "bfloat16", "float32", "float64", "complex64", "complex128"]


def save_bytes(lib, obj, **kw):
    buf = io.BytesIO()
    lib.save(obj, buf, **kw)
    return buf.getvalue()


def load_bytes(lib, data, **kw):
    return lib.load(io.BytesIO(data), **kw)


def via(writer, reader, make, **load_kw):
    """``make(writer_lib)`` saved by the writer and loaded by the reader."""
    w, r = LIBS[writer], LIBS[reader]
    return load_bytes(r, save_bytes(w, make(w)), **load_kw)


def as_np(t):
    t = t.detach()
    if str(t.dtype).endswith("bfloat16"):
        t = t.float()
    return np.asarray(t.cpu().numpy())


def same_tensor(e, t, strides=True):
    assert type(e).__name__ == type(t).__name__
    assert str(e.dtype) == str(t.dtype)
    assert tuple(e.shape) == tuple(t.shape)
    assert e.requires_grad == t.requires_grad
    if strides and e.numel():
        # NOTE: ember reports contiguous strides for tensors without elements (NumPy keeps
        # none for them), so strides and offsets are compared where there are elements.
        assert tuple(e.stride()) == tuple(t.stride())
        assert e.storage_offset() == t.storage_offset()
    np.testing.assert_array_equal(as_np(e), as_np(t))


def outcome(fn):
    """``('ok', value)`` or ``('error', exception)``."""
    try:
        return "ok", fn()
    except Exception as e:  # the error itself is the behaviour to compare
        return "error", e


def same_outcome(fn, check=None, words=()):
    """``fn(lib)`` succeeds or fails alike for both libraries; ``check(e, t)`` compares values,
    ``words`` must appear in both error messages."""
    tk, tv = outcome(lambda: fn(torch))
    ek, ev = outcome(lambda: fn(ember))
    assert ek == tk, f"torch: {tk} {tv!r}; ember: {ek} {ev!r}"
    if tk == "error":
        assert isinstance(ev, type(tv)), f"torch raised {type(tv)}, ember {type(ev)}: {ev}"
        for w in words:
            assert w in str(tv) and w in str(ev), (w, str(tv), str(ev))
    elif check is not None:
        check(ev, tv)
    return ev, tv


# -- tensors: every dtype, views, sharing ------------------------------------------------------

VARIANTS = {
    "plain": lambda t: t,
    "transposed": lambda t: t.transpose(0, 2),
    "sliced": lambda t: t[:, 1:, ::2],
    "expanded": lambda t: t[:, :1, :].expand(2, 5, 4),
    "zero_dim": lambda t: t[1, 2, 3],
    "empty": lambda t: t[:, :0],
    "offset": lambda t: t.reshape(-1)[5:],
    "row": lambda t: t[1, 2],
}


def dtype_sample(lib, dtype):
    t = lib.arange(24).reshape(2, 3, 4)
    if dtype == "bool":
        return t % 3 == 0
    return (t - 7).to(getattr(lib, dtype)) if dtype[0] in "if" else t.to(getattr(lib, dtype))


def views_of(lib, dtype):
    base = dtype_sample(lib, dtype)
    return {name: f(base) for name, f in VARIANTS.items()}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("writer,reader", DIRECTIONS)
def test_dtypes_and_views(writer, reader, dtype):
    ref = via("torch", "torch", lambda L: views_of(L, dtype))
    got = via(writer, reader, lambda L: views_of(L, dtype))
    assert list(got) == list(ref)
    for name in ref:
        same_tensor(got[name], ref[name])
    # All views share the one storage of the base, as PyTorch's do.
    r = LIBS[reader]
    one = r.ones((), dtype=got["plain"].dtype)
    got["plain"][1, 2, 3] = one
    ref["plain"][1, 2, 3] = torch.ones((), dtype=ref["plain"].dtype)
    for name in ref:
        same_tensor(got[name], ref[name])


def shared_views(L):
    base = L.arange(12.0).reshape(3, 4)
    return {"base": base, "t": base.t(), "row": base[1], "tail": base.reshape(-1)[2:7],
            "col": base[:, 2], "exp": base[0].expand(3, 4)}


@pytest.mark.parametrize("writer,reader", DIRECTIONS)
def test_sharing_survives_round_trip(writer, reader):
    ref = via("torch", "torch", shared_views)
    got = via(writer, reader, shared_views)
    for d in (ref, got):
        d["base"][1, 2] = 100.0
        d["tail"][0] = -1.0
    for name in ref:
        same_tensor(got[name], ref[name])
    L = LIBS[reader]
    assert got["base"].untyped_storage().data_ptr() == got["row"].untyped_storage().data_ptr()
    assert got["base"].untyped_storage().nbytes() == ref["base"].untyped_storage().nbytes()
    assert isinstance(got["t"], L.Tensor)


def grad_objects(L):
    L.manual_seed(0)
    lin = L.nn.Linear(3, 2)
    p = L.nn.Parameter(L.ones(2))
    frozen = L.nn.Parameter(L.ones(2), requires_grad=False)
    leaf = L.ones(3, requires_grad=True)
    nonleaf = leaf * 2  # saved as a leaf that requires grad, as PyTorch does
    return {"p": p, "frozen": frozen, "leaf": leaf, "nonleaf": nonleaf, "w": lin.weight,
            "w_row": lin.weight[1], "w_t": lin.weight.t(), "buf": L.nn.Buffer(L.zeros(2))}


@pytest.mark.parametrize("writer,reader", DIRECTIONS)
def test_parameters_and_requires_grad(writer, reader):
    ref = via("torch", "torch", grad_objects)
    got = via(writer, reader, grad_objects)
    for name in ref:
        same_tensor(got[name], ref[name])
        assert got[name].is_leaf == ref[name].is_leaf
        assert got[name].grad is None and got[name].grad_fn is None
    assert repr(got["p"]) == repr(ref["p"])
    with LIBS[reader].no_grad():
        got["w"][1, 0] = 42.0
    with torch.no_grad():
        ref["w"][1, 0] = 42.0
    for name in ("w_row", "w_t"):
        same_tensor(got[name], ref[name])


def with_attributes(L):
    t = L.ones(2)
    t.note = "kept"
    p = L.nn.Parameter(L.zeros(2))
    p.tag = 3
    return [t, p]


@pytest.mark.parametrize("writer,reader", DIRECTIONS)
def test_tensor_attributes(writer, reader):
    got = via(writer, reader, with_attributes)
    ref = via("torch", "torch", with_attributes)
    assert (got[0].note, got[1].tag) == (ref[0].note, ref[1].tag)
    assert [type(x).__name__ for x in got] == [type(x).__name__ for x in ref]


@pytest.mark.parametrize("writer,reader", DIRECTIONS)
def test_storages(writer, reader):
    def make(L):
        t = L.arange(6.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [t.storage(), t[2:], t.untyped_storage()]

    # A typed and an untyped storage of one tensor: both libraries refuse to mix types.
    same_outcome(lambda L: save_bytes(L, make(L)),
                 words=("view the same data as different types",))

    def typed(L):
        t = L.arange(6.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [t.storage(), t[2:]]

    ref = via("torch", "torch", typed)
    got = via(writer, reader, typed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert type(got[0]).__name__ == type(ref[0]).__name__ == "TypedStorage"
        assert str(got[0].dtype) == str(ref[0].dtype) and got[0].size() == ref[0].size()
    same_tensor(got[1], ref[1])


def test_views_of_other_dtypes_are_refused():
    same_outcome(lambda L: save_bytes(L, [L.arange(4.0), L.arange(4.0).view(L.int32)]),
                 words=("view the same data as different types",))


# -- plain Python objects -----------------------------------------------------------------

def python_objects(L):
    return {"none": None, "int": 3, "neg": -5, "big": 2 ** 70, "float": 2.5,
            "nan": float("nan"), "inf": float("-inf"), "str": "hé", "long_str": "x" * 300,
            "bytes": b"\x00\xff", "bool": True, "complex": 1 + 2j, "set": {1, 2},
            "bytearray": bytearray(b"q"), "tuple": (1, [2, {"k": (3,)}]), "list": [[], ()],
            "od": collections.OrderedDict(b=1, a=2), "counter": collections.Counter("aab"),
            "keys": {(1, 2): "t", 3.5: "f", None: 0},
            "size": L.Size([2, 3]), "size0": L.Size([]), "dtype": L.float16,
            "dtypes": [L.bool, L.uint16, L.complex128, L.bfloat16],
            "cpu": L.device("cpu"), "cuda1": L.device("cuda", 1), "meta": L.device("meta"),
            "layout": L.strided}


@pytest.mark.parametrize("writer,reader", DIRECTIONS)
def test_python_objects(writer, reader):
    ref = via("torch", "torch", python_objects)
    got = via(writer, reader, python_objects)
    assert list(got) == list(ref)
    for k in ref:
        assert type(got[k]).__name__ == type(ref[k]).__name__, k
        assert repr(got[k]) == repr(ref[k]), k


def test_recursive_and_repeated_objects():
    def make(L):
        a = [L.ones(2)]
        a.append(a)
        d = {}
        d["self"] = d
        return [a, d, a[0]]

    for writer, reader in DIRECTIONS:
        got = via(writer, reader, make)
        assert got[0][1] is got[0] and got[1]["self"] is got[1] and got[2] is got[0][0]


# -- weights_only: what loads by default, allowlisting --------------------------------------

REFUSED = {"frozenset": lambda: frozenset([1]), "slice": lambda: slice(1, 2),
           "range": lambda: range(3), "deque": lambda: collections.deque([1]),
           "defaultdict": lambda: collections.defaultdict(list),
           "type": lambda: int, "ellipsis": lambda: ...,
           "np_array": lambda: np.arange(3.0), "np_scalar": lambda: np.float32(1.5),
           "np_dtype": lambda: np.dtype("int16")}


@pytest.mark.parametrize("name", sorted(REFUSED))
@pytest.mark.parametrize("writer", ["torch", "ember"])
def test_weights_only_refuses_other_globals(writer, name):
    data = save_bytes(LIBS[writer], {"x": REFUSED[name](), "t": LIBS[writer].ones(1)})
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))
    assert sorted(ember.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))) \
        == sorted(unsafe)
    shown = unsafe[0][len("builtins."):] if len(unsafe) == 1 and unsafe[0].startswith(
        "builtins.") else None
    words = ["Weights only load failed", "was not an allowed global by default"]
    if shown is not None:  # builtins are named as Python code names them
        words.append(f"Unsupported global: GLOBAL {shown} was not")
    same_outcome(lambda L: load_bytes(L, data), words=words)
    # weights_only=False loads it, and so does allowlisting every global it names.
    e = load_bytes(ember, data, weights_only=False)
    t = load_bytes(torch, data, weights_only=False)
    assert repr(e["x"]) == repr(t["x"])
    objs = [pickle.loads(pickle.dumps(REFUSED[name]())).__class__]
    if name.startswith("np_"):
        objs = [np._core.multiarray._reconstruct, np._core.multiarray.scalar, np.ndarray,
                np.dtype, type(np.dtype("float64")), type(np.dtype("float32")),
                type(np.dtype("int16"))]
    elif name == "type":
        objs = [int]
    elif name == "ellipsis":
        objs = [...]

    def allowed(L):
        with L.serialization.safe_globals(objs):
            return load_bytes(L, data)["x"]

    same_outcome(allowed, check=lambda a, b: repr(a) == repr(b) or pytest.fail(f"{a!r}{b!r}"))


def test_add_safe_globals_and_get_safe_globals():
    class Point:
        def __init__(self):
            self.x = 1

        def __reduce__(self):
            return (Point, ())

    Point.__module__, Point.__qualname__ = __name__, "Point"
    globals()["Point"] = Point
    try:
        for writer in LIBS.values():
            data = save_bytes(writer, {"p": Point(), "w": writer.ones(1)})
            for L in LIBS.values():
                assert L.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)) == \
                    [f"{__name__}.Point"]
                with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
                    load_bytes(L, data)
                with L.serialization.safe_globals([Point]):
                    assert type(load_bytes(L, data)["p"]) is Point
                    assert L.serialization.get_unsafe_globals_in_checkpoint(
                        io.BytesIO(data)) == []
                assert Point not in L.serialization.get_safe_globals()
                L.serialization.add_safe_globals([(Point, f"{__name__}.Point")])
                try:
                    assert type(load_bytes(L, data)["p"]) is Point
                finally:
                    L.serialization.clear_safe_globals()
                with pytest.raises(pickle.UnpicklingError):
                    load_bytes(L, data)
    finally:
        del globals()["Point"]


def test_pickle_module_and_weights_only_conflict():
    data = save_bytes(torch, {"a": 1})
    same_outcome(lambda L: load_bytes(L, data, pickle_module=pickle, weights_only=True),
                 words=("Can not safely load weights when explicit pickle_module is specified",))
    assert load_bytes(ember, data, pickle_module=pickle) == {"a": 1}


@pytest.mark.parametrize("protocol", [-1, 0, 1, 2, 3, 4, 5, 6])
def test_pickle_protocols(protocol):
    def with_tensor(L):
        return save_bytes(L, {"x": L.arange(3.0), "s": {1}}, pickle_protocol=protocol)

    def without(L):
        return save_bytes(L, {"s": "text", "n": [1, 2.5]}, pickle_protocol=protocol)

    for make in (with_tensor, without):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (ember warns that protocol 0 is unreadable)
            e_data, t_data = same_outcome(make)
        if isinstance(t_data, Exception):
            continue
        for data in (e_data, t_data):
            for wo in (False, True):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    same_outcome(lambda L, data=data, wo=wo: load_bytes(L, data, weights_only=wo),
                                 check=lambda a, b: repr(a) == repr(b) or pytest.fail(repr(a)))
        # Loading with weights_only warns about a protocol other than 2, as PyTorch does
        # (protocol 1 has no PROTO opcode to warn about).
        if protocol == 3:
            for L in LIBS.values():
                with pytest.warns(UserWarning, match=f"Detected pickle protocol {protocol}"):
                    load_bytes(L, e_data)


# -- map_location, mmap, files --------------------------------------------------------------

MAP_LOCATIONS = ["cpu", "meta", "cuda", "cuda:0", "xyz", None, {"cpu": "meta"},
                 {"cuda:0": "cpu"}, "device", "callable", "callable_none", "callable_bad", 0]


def resolve_map_location(L, ml):
    if ml == "device":
        return L.device("cpu")
    if ml == "callable":
        return lambda storage, location: storage
    if ml == "callable_none":
        return lambda storage, location: None
    if ml == "callable_bad":
        return lambda storage, location: 5
    return ml


@pytest.mark.parametrize("ml", range(len(MAP_LOCATIONS)),
                         ids=[str(m) for m in MAP_LOCATIONS])
@pytest.mark.parametrize("writer", ["torch", "ember"])
def test_map_location(writer, ml):
    ml = MAP_LOCATIONS[ml]
    data = save_bytes(LIBS[writer], {"t": LIBS[writer].arange(4.0)})

    def check(e, t):
        assert e["t"].device.type == t["t"].device.type
        if t["t"].device.type == "cpu":
            same_tensor(e["t"], t["t"])

    same_outcome(lambda L: load_bytes(L, data, map_location=resolve_map_location(L, ml)),
                 check=check, words=("Attempting to deserialize object on a CUDA device",)
                 if ml in ("cuda", "cuda:0") else ())


def test_map_location_callable_sees_untyped_storages():
    for writer in LIBS.values():
        data = save_bytes(writer, {"a": writer.arange(4.0),
                                   "b": writer.ones(2, dtype=writer.int16)})
        seen = {}
        for L in LIBS.values():
            calls = []
            load_bytes(L, data, map_location=lambda s, loc, calls=calls: calls.append(
                (type(s).__name__, loc, s.nbytes(), s.device.type)))
            seen[L.__name__] = calls
        assert seen["ember"] == seen["torch"]


@pytest.mark.parametrize("writer", ["torch", "ember"])
def test_mmap_and_paths(writer, tmp_path):
    import pathlib

    path = tmp_path / "ck.pt"
    LIBS[writer].save({"t": LIBS[writer].arange(4.0)}, path)
    for f in (path, str(path)):
        def mapped(L, f=f):
            t = L.load(f, mmap=True)["t"]
            t.add_(1)  # copy-on-write: the file keeps its bytes
            return t, L.load(f)["t"]

        same_outcome(mapped, check=lambda e, t: [same_tensor(a, b) for a, b in zip(e, t)])
    same_outcome(lambda L: L.load(io.BytesIO(path.read_bytes()), mmap=True),
                 words=("f must be a file path in order to use the mmap argument",))
    legacy = tmp_path / "legacy.pt"
    LIBS[writer].save({"t": LIBS[writer].ones(1)}, legacy, _use_new_zipfile_serialization=False)
    same_outcome(lambda L: L.load(str(legacy), mmap=True),
                 words=("mmap can only be used with files saved with `torch.save(",))
    assert isinstance(pathlib.Path(path), os.PathLike)


# -- the files themselves ------------------------------------------------------------------

@pytest.mark.parametrize("target", ["path", "bytesio"])
def test_zip_records_as_pytorch_writes_them(target, tmp_path):
    def write(L):
        obj = {"a": L.ones(2), "b": L.zeros(3, dtype=L.int64), "h": L.ones(1, dtype=L.uint16)}
        if target == "path":
            p = tmp_path / f"{L.__name__}" / "model.pth"
            p.parent.mkdir(exist_ok=True)
            L.save(obj, p)
            return p.read_bytes()
        return save_bytes(L, obj)

    e, t = zipfile.ZipFile(io.BytesIO(write(ember))), zipfile.ZipFile(io.BytesIO(write(torch)))
    fields = ("filename", "compress_type", "flag_bits", "header_offset", "file_size",
              "extract_version", "create_version")
    assert [[getattr(i, f) for f in fields] for i in e.infolist()] == \
        [[getattr(i, f) for f in fields] for i in t.infolist()]
    prefix = "model/" if target == "path" else "archive/"
    assert e.namelist()[0] == prefix + "data.pkl"
    for name in t.namelist():
        if name.endswith("serialization_id"):
            assert len(e.read(name)) == 40 and e.read(name).isdigit()
        else:
            assert e.read(name) == t.read(name), name
    assert zipfile.ZipFile(io.BytesIO(write(ember))).testzip() is None


@pytest.mark.parametrize("writer,reader", DIRECTIONS)
def test_legacy_format(writer, reader):
    def make(L, all_dtypes):
        base = L.arange(6.0).reshape(2, 3)
        out = {"base": base, "row": base[1], "t": base.t(), "p": L.nn.Parameter(L.ones(2)),
               "i16": L.tensor([1, -2], dtype=L.int16), "bf": L.ones(2, dtype=L.bfloat16),
               "c": L.ones(2, dtype=L.complex64), "b": L.tensor([True, False]),
               "size": L.Size([1, 2]), "s": "x"}
        if all_dtypes:
            # (PyTorch cannot read its own legacy files of these dtypes; ember reads both)
            out.update(u16=L.ones(2, dtype=L.uint16), u64=L.arange(3).to(L.uint64))
        return out

    def go(w, r):
        data = save_bytes(LIBS[w], make(LIBS[w], (w, r) == ("ember", "ember")),
                          _use_new_zipfile_serialization=False)
        assert data[:2] == b"\x80\x02"  # a pickle, not a zip
        return load_bytes(LIBS[r], data)

    ref, got = go("torch", "torch"), go(writer, reader)
    for k in ref:
        if isinstance(ref[k], torch.Tensor):
            same_tensor(got[k], ref[k])
        else:
            assert repr(got[k]) == repr(ref[k])
    got["base"][1, 1] = 50.0
    assert float(got["row"][1]) == 50.0 and float(got["t"][1, 1]) == 50.0
    if "u16" in got:
        assert got["u16"].tolist() == [1, 1] and got["u64"].tolist() == [0, 1, 2]
    # torch's legacy uint16 file loads in ember
    data = save_bytes(torch, {"u": torch.arange(3).to(torch.uint32)},
                      _use_new_zipfile_serialization=False)
    assert load_bytes(ember, data)["u"].tolist() == [0, 1, 2]


def test_legacy_format_to_meta():
    data = save_bytes(torch, {"t": torch.arange(3.0)}, _use_new_zipfile_serialization=False)
    same_outcome(lambda L: load_bytes(L, data, map_location="meta"),
                 check=lambda e, t: (e["t"].device.type, tuple(e["t"].shape)) ==
                 (t["t"].device.type, tuple(t["t"].shape)) or pytest.fail("meta"))


def bad_files(tmp_path):
    good = save_bytes(torch, {"x": torch.arange(10.0)})
    legacy = save_bytes(torch, {"x": torch.arange(10.0)}, _use_new_zipfile_serialization=False)
    np.save(tmp_path / "arr.npy", np.arange(3))
    (tmp_path / "empty.pt").write_bytes(b"")
    cases = {"missing": str(tmp_path / "nope.pt"), "directory": str(tmp_path),
             "empty": str(tmp_path / "empty.pt"), "npy": str(tmp_path / "arr.npy")}
    for cut in (10, len(good) // 2, len(good) - 1):
        cases[f"zip_cut_{cut}"] = io.BytesIO(good[:cut])
    for cut in (5, 60, len(legacy) - 20, len(legacy) - 1):
        cases[f"legacy_cut_{cut}"] = io.BytesIO(legacy[:cut])
    return cases


@pytest.mark.parametrize("weights_only", [True, False])
def test_bad_files(tmp_path, weights_only):
    cases = bad_files(tmp_path)
    for name, f in cases.items():
        def load(L, f=f):
            if isinstance(f, io.BytesIO):
                f = io.BytesIO(f.getvalue())
            return L.load(f, weights_only=weights_only)

        same_outcome(load)


def test_bad_file_arguments(tmp_path):
    class NotSeekable(io.RawIOBase):
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, m):
            return self._b.readinto(m)

        def seekable(self):
            return False

    data = save_bytes(torch, {"x": torch.ones(1)})
    same_outcome(lambda L: L.load(NotSeekable(data)),
                 words=("You can only torch.load from a file that is seekable",))
    for bad in (None, 123, data):
        same_outcome(lambda L, bad=bad: L.load(bad))
        same_outcome(lambda L, bad=bad: L.save({}, bad) if bad is not data else L.save(1, 5))
    same_outcome(lambda L: L.save(1, str(tmp_path / "no" / "such.pt")),
                 words=("does not exist",))
    same_outcome(lambda L: L.save(1, str(tmp_path)))
    same_outcome(lambda L: L.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(
        save_bytes(L, {"a": 1}, _use_new_zipfile_serialization=False))),
        words=("Expected input to be a checkpoint returned by torch.save",))
    for bad in ({"f": lambda: 0}, {"g": (i for i in [])}):
        same_outcome(lambda L, bad=bad: save_bytes(L, bad))


def test_failed_save_keeps_the_existing_file(tmp_path):
    path = tmp_path / "ck.pt"
    ember.save({"a": ember.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        ember.save({"a": ember.ones(3), "bad": lambda: 0}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ck.pt"]  # no temporary file is left behind
    same_tensor(torch.load(path)["a"], torch.ones(2))


# -- models, optimizers, schedulers ---------------------------------------------------------

def small_net(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.BatchNorm1d(4),
                           L.nn.Linear(4, 2))


def trained(L, opt_name):
    m = small_net(L)
    kw = {"momentum": 0.9} if opt_name == "SGD" else {}
    opt = getattr(L.optim, opt_name)(m.parameters(), lr=0.1, **kw)
    sched = L.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)
    for i in range(3):
        opt.zero_grad()
        m(L.ones(5, 3) * (i + 1)).sum().backward()
        opt.step()
        sched.step()
    return m, opt, sched


def same_structure(e, t, path="state"):
    """Same keys, container types, tensor dtypes/shapes and plain values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor) and str(e.dtype) == str(t.dtype), path
        assert tuple(e.shape) == tuple(t.shape), path
    elif isinstance(t, dict):
        assert type(e).__name__ == type(t).__name__ and list(e) == list(t), path
        for k in t:
            same_structure(e[k], t[k], f"{path}[{k!r}]")
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t), path
        for i, (a, b) in enumerate(zip(e, t)):
            same_structure(a, b, f"{path}[{i}]")
    else:
        assert e == t or (e != e and t != t), (path, e, t)


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_optimizer_and_scheduler_state_dicts(opt_name):
    mt, ot, st = trained(torch, opt_name)
    me, oe, se = trained(ember, opt_name)
    for t_sd, e_sd in ((mt.state_dict(), me.state_dict()), (ot.state_dict(), oe.state_dict()),
                       (st.state_dict(), se.state_dict())):
        same_structure(e_sd, t_sd)
        # each library reads the other's file to exactly the values it was given
        back_t = load_bytes(torch, save_bytes(ember, e_sd))
        back_e = load_bytes(ember, save_bytes(torch, t_sd))
        same_structure(back_e, t_sd)
        for a, b in ((back_t, e_sd), (back_e, t_sd)):
            flat_a = [x for x in _leaves(a)]
            flat_b = [x for x in _leaves(b)]
            assert len(flat_a) == len(flat_b)
            for x, y in zip(flat_a, flat_b):
                if hasattr(y, "dtype") and hasattr(y, "shape"):
                    np.testing.assert_array_equal(as_np(x), as_np(y))
                else:
                    assert x == y or (x != x and y != y)
    assert load_bytes(ember, save_bytes(torch, mt.state_dict()))._metadata == \
        mt.state_dict()._metadata
    # torch's model + optimizer + scheduler files continue training in ember as in torch
    m2 = small_net(ember)
    m2.load_state_dict(load_bytes(ember, save_bytes(torch, mt.state_dict())))
    kw = {"momentum": 0.9} if opt_name == "SGD" else {}
    o2 = getattr(ember.optim, opt_name)(m2.parameters(), lr=0.1, **kw)
    o2.load_state_dict(load_bytes(ember, save_bytes(torch, ot.state_dict())))
    s2 = ember.optim.lr_scheduler.StepLR(o2, 2, gamma=0.5)
    s2.load_state_dict(load_bytes(ember, save_bytes(torch, st.state_dict())))
    for L, m, o, s in ((torch, mt, ot, st), (ember, m2, o2, s2)):
        o.zero_grad()
        m(L.ones(5, 3)).sum().backward()
        o.step()
        s.step()
    assert s2.get_last_lr() == st.get_last_lr()
    for a, b in zip(m2.state_dict().values(), mt.state_dict().values()):
        np.testing.assert_allclose(as_np(a), as_np(b), rtol=1e-5, atol=1e-6)


def _leaves(obj):
    if isinstance(obj, dict):
        for k in obj:
            yield from _leaves(obj[k])
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _leaves(x)
    else:
        yield obj


MODULES = {
    "mlp": (small_net, lambda L: L.ones(2, 3)),
    "conv": (lambda L: L.nn.Sequential(L.nn.Conv2d(1, 2, 3), L.nn.MaxPool2d(2),
                                       L.nn.Flatten(), L.nn.Linear(2, 3)),
             lambda L: L.ones(1, 1, 4, 4)),
    "lstm": (lambda L: L.nn.LSTM(3, 4, batch_first=True), lambda L: L.ones(2, 3, 3)),
    "embedding": (lambda L: L.nn.Embedding(5, 3, padding_idx=0),
                  lambda L: L.tensor([[0, 1, 4]])),
    "layers": (lambda L: L.nn.Sequential(L.nn.LayerNorm(3), L.nn.Dropout(0.3), L.nn.GELU()),
               lambda L: L.arange(6.0).reshape(2, 3)),
    "containers": (lambda L: L.nn.ModuleDict({"a": L.nn.ModuleList([L.nn.Linear(2, 2)]),
                                              "p": L.nn.ParameterList([L.nn.Parameter(
                                                  L.ones(2))])}), None),
}


@pytest.mark.parametrize("name", sorted(MODULES))
@pytest.mark.parametrize("writer,reader", DIRECTIONS)
def test_whole_pickled_modules(writer, reader, name):
    build, make_input = MODULES[name]
    w, r = LIBS[writer], LIBS[reader]
    w.manual_seed(0)
    model = build(w)
    model[-1].eval() if isinstance(model, w.nn.Sequential) else model.eval()
    data = save_bytes(w, model)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        load_bytes(r, data)
    assert r.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))
    loaded = load_bytes(r, data, weights_only=False)
    assert repr(loaded) == repr(model)
    assert [m.training for m in loaded.modules()] == [m.training for m in model.modules()]
    assert list(loaded.state_dict()) == list(model.state_dict())
    for a, b in zip(loaded.state_dict().values(), model.state_dict().values()):
        np.testing.assert_array_equal(as_np(a), as_np(b))
    if make_input is not None:
        model.eval()
        loaded.eval()
        out_w, out_r = model(make_input(w)), loaded(make_input(r))
        while isinstance(out_w, tuple):
            out_w, out_r = out_w[0], out_r[0]
        np.testing.assert_allclose(as_np(out_r), as_np(out_w), rtol=1e-6, atol=1e-6)


# -- load_state_dict ----------------------------------------------------------------------

def _extra(L, sd):
    sd["extra.w"] = L.ones(1)
    sd["0.junk"] = L.ones(1)


def _missing(L, sd):
    del sd["0.bias"]
    del sd["2.running_mean"]


def _shape(L, sd):
    sd["0.weight"] = L.ones(5, 3)
    sd["3.bias"] = L.ones(3)


def _scalar_from_vector(L, sd):
    sd["2.num_batches_tracked"] = L.tensor([2])


def _scalar_from_long_vector(L, sd):
    sd["2.num_batches_tracked"] = L.tensor([2, 3])


def _not_a_tensor(L, sd):
    sd["0.bias"] = [1, 2, 3, 4]


def _dtype(L, sd):
    sd["0.weight"] = sd["0.weight"].double() * 2


STATE_DICT_EDITS = {"extra": _extra, "missing": _missing, "both": lambda L, sd: (
    _extra(L, sd), _missing(L, sd)), "shape": _shape, "scalar_from_vector": _scalar_from_vector,
    "scalar_from_long_vector": _scalar_from_long_vector, "not_a_tensor": _not_a_tensor,
    "dtype": _dtype}


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("edit", sorted(STATE_DICT_EDITS))
def test_load_state_dict(edit, strict):
    def run(L):
        m = small_net(L)
        sd = m.state_dict()
        STATE_DICT_EDITS[edit](L, sd)
        before = {k: v.clone() for k, v in m.state_dict().items()}
        try:
            result = m.load_state_dict(sd, strict=strict)
        except RuntimeError:
            if L is ember:  # a failed load changes nothing in ember (PyTorch may copy some)
                for k, v in m.state_dict().items():
                    np.testing.assert_array_equal(as_np(v), as_np(before[k]))
            raise
        return repr(result), str(result), result.missing_keys, result.unexpected_keys, \
            {k: as_np(v).tolist() for k, v in m.state_dict().items()}

    def check(e, t):
        assert e == t

    e, t = same_outcome(run, check=check)
    if isinstance(t, Exception):
        assert str(e) == str(t)


def test_load_state_dict_assign():
    def run(L):
        m = small_net(L)
        sd = {k: v.double() + 1 for k, v in m.state_dict().items()}
        sd["2.num_batches_tracked"] = L.tensor(5)
        r = m.load_state_dict(sd, assign=True)
        p = m[0].weight
        return (repr(r), type(p).__name__, str(p.dtype), p.requires_grad, p is sd["0.weight"],
                p.data_ptr() == sd["0.weight"].data_ptr(), m[2].running_mean is
                sd["2.running_mean"], [type(x).__name__ for x in m.parameters()])

    same_outcome(run, check=lambda e, t: e == t or pytest.fail(f"{e} != {t}"))

    def bad_shape(L):
        m = small_net(L)
        sd = m.state_dict()
        sd["0.weight"] = L.ones(7, 3)
        return m.load_state_dict(sd, assign=True)

    e, t = same_outcome(bad_shape, words=(
        "size mismatch for 0.weight: copying a param with shape torch.Size([7, 3]) from "
        "checkpoint, the shape in current model is torch.Size([4, 3]).",))
    assert str(e) == str(t)


# -- safetensors --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "complex128"])
def test_safetensors_both_ways(dtype):
    stt = pytest.importorskip("safetensors.torch")
    import ember.safetensors as ste

    def tensors(L):
        base = dtype_sample(L, dtype)
        return {"x": base, "scalar": base[1, 2, 3].clone(), "empty": base[:, :0].clone()}

    t_bytes = stt.save(tensors(torch), metadata={"k": "v"})
    e_bytes = ste.save(tensors(ember), metadata={"k": "v"})
    assert e_bytes == t_bytes
    back_e, back_t = ste.load(t_bytes), stt.load(e_bytes)
    for k, v in tensors(torch).items():
        same_tensor(back_e[k], v)
        same_tensor(back_t[k], v)


def test_safetensors_files_and_errors(tmp_path):
    stt = pytest.importorskip("safetensors.torch")
    import ember.safetensors as ste

    stt.save_file({"w": torch.arange(3.0)}, tmp_path / "t.safetensors")
    ste.save_file({"w": ember.arange(3.0)}, tmp_path / "e.safetensors")
    assert (tmp_path / "t.safetensors").read_bytes() == (tmp_path / "e.safetensors").read_bytes()
    same_tensor(ember.load(str(tmp_path / "t.safetensors"))["w"], torch.arange(3.0))
    same_tensor(ember.safetensors.load_file(tmp_path / "t.safetensors")["w"], torch.arange(3.0))
    mods = {"torch": stt, "ember": ste}

    def err(make):
        def fn(L):
            return mods[L.__name__].save(make(L))
        return fn

    def shared(L):
        base = L.ones(4)
        return {"x": base, "y": base[2:]}

    cases = [
        (lambda L: {"x": L.ones(2, 3).t()}, "You are trying to save a non contiguous tensor"),
        (shared, "Some tensors share memory"),
        (lambda L: [L.ones(1)], "Expected a dict of [str, torch.Tensor]"),
        (lambda L: {1: L.ones(1)}, "'int' object is not an instance of 'str'"),
        (lambda L: {"a": 1}, "Key `a` is invalid, expected torch.Tensor but received"),
    ]
    for make, words in cases:
        same_outcome(err(make), words=(words,))
