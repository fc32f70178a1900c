"""``save``/``load`` interchange with real PyTorch checkpoints, both ways: a seeded fuzz of
nested objects (every dtype, views sharing storage, parameters), byte-identical files,
the names of pickled modules, ``map_location``, ``pickle_protocol``, ``pickle_load_args``,
CRC-less files and the errors of bad paths and files, each against PyTorch."""
import collections
import io
import os
import pickle
import types
import warnings
import zipfile

import numpy as np
import pytest

import ember
import ember.serialization as es

torch = pytest.importorskip("torch")
LIBS = {"torch": torch, "ember": ember}
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64",
          "float16", "bfloat16", "float32", "float64", "complex64", "complex128",
          "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"]


def save_bytes(L, obj, **kw):
    buf = io.BytesIO()
    L.save(obj, buf, **kw)
    return buf.getvalue()


def load_bytes(L, data, **kw):
    return L.load(io.BytesIO(data), **kw)


def outcome(fn):
    try:
        return "ok", fn()
    except Exception as e:  # the error itself is what is compared
        return type(e).__name__, str(e)


def same_error(fn):
    """``fn(lib)`` fails alike (type and message) with both libraries; returns the outcome."""
    t, e = outcome(lambda: fn(torch)), outcome(lambda: fn(ember))
    assert t[0] != "ok" and e == t, (t, e)
    return t


def ember_bytes_like_torch(eobj, tdata, **kw):
    """``ember.save(eobj)`` with the serialization id of the torch file ``tdata`` (the only
    record that differs from save to save)."""
    with zipfile.ZipFile(io.BytesIO(tdata)) as z:
        info = [i for i in z.infolist() if i.filename.endswith("serialization_id")][0]
        start = info.header_offset + 30 + len(info.filename)
        extra = int.from_bytes(tdata[info.header_offset + 28:info.header_offset + 30], "little")
        sid = int(tdata[start + extra:start + extra + 40])
    real = es.uuid
    es.uuid = types.SimpleNamespace(uuid4=lambda: types.SimpleNamespace(int=sid))
    try:
        return save_bytes(ember, eobj, **kw)
    finally:
        es.uuid = real


# -- a seeded fuzz of nested objects -------------------------------------------------------

def _spec(r, depth=0):
    k = r.random()
    if depth > 2 or k < 0.3:
        kind = int(r.integers(0, 8))
        return [("int", int(r.integers(-2**40, 2**40))), ("float", float(r.normal())),
                ("str", f"s{int(r.integers(0, 99))}é"), ("bytes", bytes([1, 250])),
                ("none",), ("complex", complex(1.5, -2)),
                ("size", tuple(int(x) for x in r.integers(0, 5, int(r.integers(0, 3))))),
                ("dtype", str(r.choice(DTYPES)))][kind]
    if k < 0.6:
        shape = tuple(int(x) for x in r.integers(1, 4, int(r.integers(0, 4))))
        return ("tensor", str(r.choice(DTYPES)), shape,
                str(r.choice(["none", "t", "slice", "step", "expand", "param"])),
                int(r.integers(0, 2**31)))
    if k < 0.7:
        return ("shared", str(r.choice(["float32", "bfloat16", "uint16", "bool", "float8_e5m2"])),
                [str(v) for v in r.choice(["base", "slice", "step", "view2", "t2", "sel"], 3)],
                int(r.integers(0, 2**31)))
    kind = str(r.choice(["dict", "odict", "list", "tuple"]))
    items = [_spec(r, depth + 1) for _ in range(int(r.integers(1, 4)))]
    return (kind, items)


def _tensor(L, dt, shape, seed):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    if dt == "bool":
        a = rng.random(n) < 0.5
    elif dt.startswith(("int", "uint")):
        a = rng.integers(0, 120, n).astype(dt)
    elif dt.startswith("complex"):
        a = (rng.normal(size=n) + 1j * rng.normal(size=n)).astype(dt)
    else:
        a = rng.normal(size=n).astype(np.float32)
    t = L.from_numpy(a)
    if dt in ("bfloat16",) or dt.startswith("float8"):
        t = t.to(getattr(L, dt))
    elif dt == "float16":
        t = t.half()
    return t.reshape(shape)


def _view(t, v):
    if v == "t" and t.dim() >= 2:
        return t.transpose(0, 1)
    if v == "slice" and t.dim() and t.shape[0] > 1:
        return t[1:]
    if v == "step" and t.dim() and t.shape[-1] > 1:
        return t[..., ::2]
    if v == "expand" and t.dim() and t.shape[0] == 1:
        return t.expand(3, *t.shape[1:])
    return t


def _shared_view(base, v):
    return {"base": lambda: base, "slice": lambda: base[1:], "step": lambda: base[::2],
            "view2": lambda: base[:6].view(2, 3), "t2": lambda: base[:6].view(2, 3).t(),
            "sel": lambda: base[2]}[v]()


def _build(L, spec):
    k = spec[0]
    if k in ("int", "float", "str", "bytes", "complex"):
        return spec[1]
    if k == "none":
        return None
    if k == "size":
        return L.Size(spec[1])
    if k == "dtype":
        return getattr(L, spec[1])
    if k == "tensor":
        _, dt, shape, view, seed = spec
        t = _view(_tensor(L, dt, shape, seed), view)
        if view == "param" and dt in ("float32", "float64", "float16", "bfloat16"):
            return L.nn.Parameter(t[1:] if t.dim() and t.shape[0] > 1 else t)
        return t
    if k == "shared":
        base = _tensor(L, spec[1], (8,), spec[3])
        return [_shared_view(base, v) for v in spec[2]]
    items = [_build(L, s) for s in spec[1]]
    if k == "dict":
        return {f"k{i}": v for i, v in enumerate(items)}
    if k == "odict":
        return collections.OrderedDict((f"k{i}", v) for i, v in enumerate(items))
    return items if k == "list" else tuple(items)


def _raw(t):
    t = t.detach()
    c = t.new_empty(t.shape).copy_(t).reshape(-1)
    return bytes(c.numpy().tobytes()) if c.dtype in (torch.bool, ember.bool) else \
        bytes(c.view(torch.uint8 if isinstance(c, torch.Tensor) else ember.uint8).numpy())


def _compare(a, b, path, ptrs):
    """``b`` (either library's) is ``a`` (torch's): types, dtypes, values, strides, offsets."""
    if isinstance(a, torch.Tensor):
        assert type(b).__name__ == type(a).__name__, path
        assert (str(b.dtype), tuple(b.shape), b.requires_grad) == \
            (str(a.dtype), tuple(a.shape), a.requires_grad), path
        assert (tuple(b.stride()), b.storage_offset()) == \
            (tuple(a.stride()), a.storage_offset()), path
        assert _raw(b) == _raw(a), path
        ptrs.append((path, a.untyped_storage().data_ptr(), b.untyped_storage().data_ptr()))
        return
    assert type(b).__name__ == type(a).__name__, path
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _compare(a[k], b[k], f"{path}[{k!r}]", ptrs)
    elif isinstance(a, (list, tuple)) and not isinstance(a, torch.Size):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _compare(x, y, f"{path}[{i}]", ptrs)
    else:
        assert repr(b) == repr(a), path


def _groups(ptrs, i):
    out = collections.defaultdict(list)
    for p in ptrs:
        out[p[i]].append(p[0])
    return sorted(out.values())


@pytest.mark.parametrize("seed", range(8))
def test_fuzzed_objects_round_trip_both_ways_and_save_byte_identical(seed):
    r = np.random.default_rng(seed)
    spec = ("dict", [_spec(r, 1) for _ in range(3)])
    tobj, eobj = _build(torch, spec), _build(ember, spec)
    _compare(tobj, eobj, "built", [])
    tdata = save_bytes(torch, tobj)
    edata = ember_bytes_like_torch(eobj, tdata)
    assert edata == tdata  # the whole file, byte for byte
    legacy = save_bytes(ember, eobj, _use_new_zipfile_serialization=False)
    for data in (tdata, edata):
        for reader in (torch, ember):
            for wo in (True, False):
                ptrs = []
                _compare(tobj, load_bytes(reader, data, weights_only=wo), "r", ptrs)
                assert _groups(ptrs, 1) == _groups(ptrs, 2)  # the same sharing
    if not any(d in repr(spec) for d in ("int16", "uint32", "uint64", "float8", "'uint16'")):
        for reader in (torch, ember):  # (torch's legacy reader takes no untyped storages)
            _compare(tobj, load_bytes(reader, legacy), "legacy", [])


def test_shared_storage_written_again_as_a_tuple():
    def make(L):
        base = L.arange(12.0)
        return {"a": base[::2], "b": base.view(3, 4).t(), "c": [base[1:5], base]}

    tdata = save_bytes(torch, make(torch))
    assert ember_bytes_like_torch(make(ember), tdata) == tdata
    got = load_bytes(ember, tdata)
    got["c"][1][2] = 100.0
    assert float(got["a"][1]) == 100.0 and float(got["b"][2, 0]) == 100.0
    assert got["a"].untyped_storage().data_ptr() == got["c"][0].untyped_storage().data_ptr()


@pytest.mark.parametrize("dtype", ["bfloat16", "float8_e4m3fn", "float8_e5m2", "float16"])
def test_expand_keeps_size_one_strides_for_every_dtype(dtype):
    def go(L):
        t = L.zeros(6).to(getattr(L, dtype)).reshape(2, 1, 3)
        e = t.expand(4, 2, 1, 3)
        return e.stride(), t[:1].expand(5, 1, 3).stride(), e.is_contiguous()

    assert go(ember) == go(torch)


def test_parameter_of_a_view_keeps_its_storage_offset():
    def go(L):
        x = L.arange(6.0)
        p = L.nn.Parameter(x.view(2, 3)[1:], requires_grad=False)
        q = L.nn.Parameter(x.to(L.bfloat16)[2:])
        out = [p.storage_offset(), p.untyped_storage().nbytes(), q.storage_offset(),
               q.untyped_storage().nbytes()]
        back = load_bytes(L, save_bytes(L, {"p": p, "x": x}))
        out += [back["p"].storage_offset(),
                back["p"].untyped_storage().data_ptr() == back["x"].untyped_storage().data_ptr()]
        p.data = L.arange(10.0)[3:]
        out += [p.storage_offset(), p.untyped_storage().nbytes()]
        back["p"].data = L.zeros(2)
        d = x[1:].detach()
        d.data = L.ones(2)
        return out + [back["p"].storage_offset(), d.storage_offset()]

    assert go(ember) == go(torch)


def test_torch_file_of_ember_parameter_view_has_its_offset():
    x = ember.arange(6.0)
    data = save_bytes(ember, {"p": ember.nn.Parameter(x[2:]), "x": x})
    got = load_bytes(torch, data)
    assert got["p"].storage_offset() == 2
    assert got["p"].untyped_storage().data_ptr() == got["x"].untyped_storage().data_ptr()


# -- map_location ---------------------------------------------------------------------------

@pytest.mark.parametrize("ml", ["dict_device", "dict_bytes", "dict_int", "bytes"])
def test_map_location_values_must_be_location_strings(ml):
    data = save_bytes(torch, {"a": torch.ones(2)})

    def go(L):
        m = {"dict_device": {"cpu": L.device("cpu")}, "dict_bytes": {"cpu": b"cpu"},
             "dict_int": {"cpu": 3}, "bytes": b"cpu"}[ml]
        return load_bytes(L, data, map_location=m)

    same_error(go)


@pytest.mark.parametrize("location", ["dev", b"cpu", 5, "lambda"])
def test_default_restore_location_refuses_non_strings(location):
    def go(L):
        loc = {"dev": L.device("cpu"), "lambda": lambda s, l: s}.get(location, location) \
            if isinstance(location, str) else location
        return L.serialization.default_restore_location(L.UntypedStorage(2), loc)

    same_error(go)


# -- names of pickled classes -----------------------------------------------------------------

def test_whole_module_names_pytorch_module_paths(tmp_path):
    def make(L):
        L.manual_seed(0)
        return L.nn.Sequential(L.nn.Conv2d(1, 2, 3), L.nn.BatchNorm2d(2), L.nn.Flatten(),
                               L.nn.Unflatten(1, (2, 16)), L.nn.InstanceNorm1d(2),
                               L.nn.Upsample(scale_factor=2))

    from ember._serialization._unpickling import scan_globals

    def names(data):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            pkl = z.read([n for n in z.namelist() if n.endswith("data.pkl")][0])
        return sorted({g for g in scan_globals(pkl) if g.startswith("torch.nn.")})

    tdata, edata = save_bytes(torch, make(torch)), save_bytes(ember, make(ember))
    assert names(edata) == names(tdata)
    assert "torch.nn.modules.container.Sequential" in names(edata)
    # the weights-only refusal names the same class, in both readers
    for data in (tdata, edata):
        msgs = {n: outcome(lambda L=L: load_bytes(L, data)) for n, L in LIBS.items()}
        assert msgs["ember"] == msgs["torch"]
    back = load_bytes(torch, edata, weights_only=False)
    assert type(back[5]).__module__ == "torch.nn.modules.upsampling"
    x = np.random.default_rng(0).normal(size=(1, 1, 6, 6)).astype(np.float32)
    make(ember).eval(), back.eval()
    np.testing.assert_allclose(back(torch.from_numpy(x)).detach().numpy(),
                               make(ember).eval()(ember.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_unsafe_globals_and_safe_globals_on_ember_written_module():
    data = save_bytes(ember, ember.nn.Sequential(ember.nn.Linear(2, 2)))
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"t4_{os.getpid()}.pt")
    try:
        with open(path, "wb") as f:
            f.write(data)
        got = {n: sorted(L.serialization.get_unsafe_globals_in_checkpoint(path))
               for n, L in LIBS.items()}
        assert got["ember"] == got["torch"]
        with torch.serialization.safe_globals([torch.nn.Sequential, torch.nn.Linear]):
            assert isinstance(torch.load(path), torch.nn.Sequential)
    finally:
        os.unlink(path)


def test_lazy_dtypes_pickle_as_torch_globals():
    def make(L):
        return [L.bfloat16, L.float8_e4m3fn, L.float32, L.float8_e5m2fnuz]

    tdata = save_bytes(torch, make(torch))
    edata = ember_bytes_like_torch(make(ember), tdata)
    assert edata == tdata
    for wo in (True, False):
        assert load_bytes(torch, edata, weights_only=wo) == make(torch)
    assert b"torch._dtype" not in edata


# -- save arguments ---------------------------------------------------------------------------

@pytest.mark.parametrize("protocol", [None, True, False, np.int64(2), 2, 4, -1])
@pytest.mark.parametrize("legacy", [False, True])
def test_pickle_protocol_values(protocol, legacy):
    def go(L):
        data = save_bytes(L, {"a": L.ones(2), "s": "x"}, pickle_protocol=protocol,
                          _use_new_zipfile_serialization=not legacy)
        got = outcome(lambda: load_bytes(L, data, weights_only=False))
        return got if got[0] != "ok" else ("ok", got[1]["a"].tolist(), got[1]["s"])

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (protocol 0: no warning when saving, as in PyTorch)
        assert go(ember) == go(torch)


@pytest.mark.parametrize("protocol", ["2", 2.0])
def test_pickle_protocol_must_be_an_integer(protocol):
    same_error(lambda L: save_bytes(L, {}, pickle_protocol=protocol))


# -- load arguments ---------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{"encoding": "latin1"}, {"encoding": "bytes"}, {"foo": 1},
                                {"errors": "strict"}, {"fix_imports": True}])
@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("wo", [True, False])
def test_pickle_load_args(kw, legacy, wo):
    data = save_bytes(torch, {"a": torch.ones(1), "s": "é"},
                      _use_new_zipfile_serialization=not legacy)

    def go(L):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            got = outcome(lambda: load_bytes(L, data, weights_only=wo, **kw))
        if got[0] == "ok":
            got = ("ok", sorted(got[1]), got[1]["s"] if "s" in got[1] else got[1][b"s"])
        return got, [str(x.message) for x in w]

    assert go(ember) == go(torch)


@pytest.mark.parametrize("blob", [b"P", b"PK\x03", b"Pabc", b"PK\x03\x04",
                                  b"PK\x03\x04" + bytes(17), b"PK\x03\x04" + bytes(18),
                                  b"PK\x03\x04" + bytes(60)])
@pytest.mark.parametrize("wo", [True, False])
def test_short_and_truncated_files(blob, wo):
    same_error(lambda L: load_bytes(L, blob, weights_only=wo))


def test_protocol_0_file_fails_to_load_with_pytorchs_assertion():
    for L in (torch, ember):
        data = save_bytes(L, {"a": L.ones(1)}, pickle_protocol=0)
        for R in (torch, ember):
            assert outcome(lambda: load_bytes(R, data, weights_only=False)) == \
                ("AssertionError", "saved_id must be a tuple, got str")


# -- CRC-32 ---------------------------------------------------------------------------------

def test_files_without_crc32_load_both_ways():
    def make(L):
        return {"a": L.arange(4.0), "b": [1, "x"]}

    try:
        for L in (torch, ember):
            L.serialization.set_crc32_options(False)
        assert ember.serialization.get_crc32_options() is False
        tdata = save_bytes(torch, make(torch))
        edata = ember_bytes_like_torch(make(ember), tdata)
        assert edata == tdata
        assert load_bytes(ember, tdata)["a"].tolist() == [0.0, 1.0, 2.0, 3.0]
    finally:
        for L in (torch, ember):
            L.serialization.set_crc32_options(True)
    assert load_bytes(torch, edata)["b"] == [1, "x"]


# -- paths ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["dir", "dir/", "dir/.hidden", "dir/..", "", "nodir/x.pt",
                                  "nodir/", "dir/x.tar.gz", "dir/a.", "dir/é.pt"])
@pytest.mark.parametrize("legacy", [False, True])
def test_save_paths(tmp_path, name, legacy):
    os.makedirs(tmp_path / "dir", exist_ok=True)
    path = str(tmp_path / name) if name else ""

    def go(L):
        got = outcome(lambda: L.save({"v": L.ones(1)}, path,
                                     _use_new_zipfile_serialization=not legacy))
        if got[0] != "ok":
            return got
        if not legacy:
            with zipfile.ZipFile(path) as z:
                got = ("ok", z.namelist()[0].split("/")[0])
        os.unlink(path)
        return got

    assert go(ember) == go(torch)
    assert sorted(os.listdir(tmp_path / "dir")) == []  # (no temporary file left behind)


# -- objects beyond tensors -------------------------------------------------------------------

@pytest.mark.parametrize("writer", ["torch", "ember"])
def test_named_results_round_trip(writer):
    W = LIBS[writer]
    data = save_bytes(W, W.max(W.tensor([[1.0, 5.0], [3.0, 2.0]]), 0))
    for R in (torch, ember):
        got = load_bytes(R, data, weights_only=False)
        assert type(got).__name__ == "max" and type(got).__module__ == "torch.return_types"
        assert got.values.tolist() == [3.0, 5.0] and got.indices.tolist() == [1, 0]
        assert outcome(lambda R=R: load_bytes(R, data))[0] == "UnpicklingError"


def test_named_result_takes_one_sequence_as_pytorchs():
    def go(L):
        M = L.return_types.max
        r = M((L.tensor(1.0), L.tensor(0)))
        s = M([L.tensor(2.0), L.tensor(1)])
        return [r.values.item(), r.indices.item(), s.values.item(), len(r),
                float(r.__reduce__()[1][0][0]), r.__reduce__()[1][1]]

    assert go(ember) == go(torch)


@pytest.mark.parametrize("protocol", [2, 4])
def test_memory_formats(protocol):
    def go(L):
        data = save_bytes(L, [L.channels_last, L.contiguous_format], pickle_protocol=protocol)
        return repr(load_bytes(L, data, weights_only=False))

    t, e = outcome(lambda: go(torch)), outcome(lambda: go(ember))
    assert e == t


@pytest.mark.parametrize("what", ["finfo", "iinfo"])
def test_type_infos_cannot_be_pickled(what):
    import copy

    def make(L):
        return L.finfo(L.float16) if what == "finfo" else L.iinfo(L.int8)

    same_error(lambda L: save_bytes(L, make(L)))
    same_error(lambda L: pickle.dumps(make(L)))
    same_error(lambda L: copy.deepcopy(make(L)))


# -- mmap -------------------------------------------------------------------------------------

def test_mmap_options_and_is_shared(tmp_path):
    import mmap

    path = str(tmp_path / "m.pt")

    def go(L):
        L.save({"a": L.arange(4.0), "v": L.arange(4.0)[1:3]}, path)
        out = [L.serialization.get_default_mmap_options() == mmap.MAP_PRIVATE]
        d = L.load(path, mmap=True)
        d["a"][1] = 50.0
        out += [d["a"].is_shared(), float(d["v"][0]), L.load(path)["a"].tolist()]
        with L.serialization.set_default_mmap_options(mmap.MAP_SHARED) as ctx:
            out += [ctx, L.serialization.get_default_mmap_options() == mmap.MAP_SHARED]
            d = L.load(path, mmap=True)
            d["a"][2] = 7.0
            out += [d["a"].is_shared()]
            del d
        out += [L.load(path)["a"].tolist(), L.load(path, mmap=True)["v"].tolist(),
                L.serialization.get_default_mmap_options() == mmap.MAP_PRIVATE,
                outcome(lambda: L.serialization.set_default_mmap_options(5)),
                L.ones(2).share_memory_().is_shared()]
        return out

    assert go(ember) == go(torch)


def _globals(data):
    import pickletools

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        pkl = z.read([n for n in z.namelist() if n.endswith("data.pkl")][0])
    return sorted({a.replace(" ", ".") for op, a, _ in pickletools.genops(pkl)
                   if op.name == "GLOBAL"})


@pytest.mark.parametrize("what", ["adam", "adafactor", "steplr", "dataset", "generator"])
def test_whole_objects_name_pytorchs_classes_and_load_both_ways(what):
    def make(L):
        L.manual_seed(0)
        m = L.nn.Linear(2, 2)
        opt = L.optim.Adafactor(m.parameters()) if what == "adafactor" else \
            L.optim.Adam(m.parameters(), lr=0.1)
        sched = L.optim.lr_scheduler.StepLR(opt, 2)
        m(L.ones(1, 2)).sum().backward()
        opt.step()
        sched.step()
        if what == "steplr":
            return sched
        if what == "dataset":
            return L.utils.data.TensorDataset(L.arange(3.0))
        if what == "generator":
            g = L.Generator().manual_seed(5)
            L.rand(3, generator=g)
            return g
        return opt

    tdata, edata = save_bytes(torch, make(torch)), save_bytes(ember, make(ember))
    assert _globals(edata) == _globals(tdata)

    def summary(obj, L):
        if what == "generator":
            return L.rand(2, generator=obj).tolist(), obj.initial_seed()
        if what == "dataset":
            return obj[1][0].tolist()
        return repr(obj.state_dict())

    for data in (tdata, edata):
        for L in (torch, ember):
            assert summary(load_bytes(L, data, weights_only=False), L) == \
                summary(make(torch), torch)


# -- several archives in one stream -----------------------------------------------------------

@pytest.mark.parametrize("layout", ["A+B", "A+A", "B+A", "A+junk", "junk+A", "A+B@B"])
def test_several_saves_into_one_stream(layout):
    def go(L):
        def one(obj):
            return save_bytes(L, obj)

        A = one({"x": L.ones(1)})
        B = one({"y": L.zeros(2), "pad": "p" * 300})
        blob, start = {"A+B": (A + B, 0), "A+A": (A + A, 0), "B+A": (B + A, 0),
                       "A+junk": (A + b"junk" * 9, 0), "junk+A": (b"JUNK" + A, 4),
                       "A+B@B": (A + B, len(A))}[layout]
        f = io.BytesIO(blob)
        f.seek(start)
        got = outcome(lambda: sorted(L.load(f)))
        return got[0], got[1] if got[0] == "ok" else got[1].split(".")[0], f.tell()

    assert go(ember) == go(torch)


# -- files that are no checkpoint -------------------------------------------------------------

@pytest.mark.parametrize("tail", [b"", b"hello world this is text\n", b"\x00" * 30, b"\xff" * 9])
def test_garbage_fails_as_in_pytorch(tail):
    # every first byte (every pickle opcode and then some), both unpicklers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for b0 in range(256):
            blob = bytes([b0]) + tail
            for wo in (True, False):
                t = outcome(lambda: load_bytes(torch, blob, weights_only=wo))
                e = outcome(lambda: load_bytes(ember, blob, weights_only=wo))
                assert e == t, (b0, wo, t, e)


class _System:
    def __reduce__(self):
        return os.system, ("true",)


class _Eval:
    def __reduce__(self):
        return eval, ("1 + 1",)


@pytest.mark.parametrize("payload", ["system", "eval", "getcwd"])
@pytest.mark.parametrize("legacy", [False, True])
def test_blocked_and_unsafe_globals_messages(payload, legacy):
    obj = {"system": _System(), "eval": _Eval(), "getcwd": {"f": os.getcwd}}[payload]
    data = save_bytes(torch, obj, _use_new_zipfile_serialization=not legacy)

    def go(L):
        out = [outcome(lambda: load_bytes(L, data))]
        with L.serialization.safe_globals([os.system, eval, os.getcwd]):
            out.append(outcome(lambda: load_bytes(L, data)))
        if not legacy:
            out.append(L.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)))
        return out

    assert go(ember) == go(torch)
