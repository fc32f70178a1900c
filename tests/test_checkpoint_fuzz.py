"""Checkpoints both ways, fuzzed against PyTorch: what ``torch.save`` writes, ``ember.load``
reads (and the reverse), compared structurally and bit for bit, and ``ember.save``'s file is
byte for byte ``torch.save``'s (but for the random serialization id): state dicts of many
module kinds, optimizer, scheduler and GradScaler state, plain Python objects, every tensor
kind (meta tensors, untyped storages...), pickle protocols 0 to 5, whole modules,
``map_location``, allowlisted globals and ``.safetensors`` files."""
import collections
import dataclasses
import enum
import io
import math
import pickletools
import types
import warnings
import zipfile

import numpy as np
import pytest

import ember
import ember.serialization as es

torch = pytest.importorskip("torch")
import torch.serialization as ts  # noqa: E402

LIBS = (torch, ember)


def save_bytes(L, obj, **kw):
    buf = io.BytesIO()
    L.save(obj, buf, **kw)
    return buf.getvalue()


def load_bytes(L, data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return L.load(io.BytesIO(data), **kw)


def ember_bytes_like(eobj, tdata, **kw):
    """``ember.save(eobj)`` with the serialization id of torch's file ``tdata``."""
    with zipfile.ZipFile(io.BytesIO(tdata)) as z:
        name = [n for n in z.namelist() if n.endswith(".data/serialization_id")][0]
        sid = int(z.read(name))
    real = es.uuid
    es.uuid = types.SimpleNamespace(uuid4=lambda: types.SimpleNamespace(int=sid))
    try:
        return save_bytes(ember, eobj, **kw)
    finally:
        es.uuid = real


def pickle_of(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read([n for n in z.namelist() if n.endswith("/data.pkl")][0])


def ops(data):
    """The opcodes and arguments of a checkpoint's pickle (for readable failures)."""
    return [(op.name, repr(arg)) for op, arg, _ in pickletools.genops(pickle_of(data))]


def outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return type(e).__name__, str(e).replace("ember", "torch")


def _bytes_of(t):
    t = t.detach()
    c = t.new_empty(t.shape).copy_(t).reshape(-1)
    if str(c.dtype) == "torch.bool":
        return c.numpy().tobytes()
    return c.view(torch.uint8 if isinstance(c, torch.Tensor) else ember.uint8).numpy().tobytes()


def compare(a, b, path="obj", ptrs=None):
    """``b`` (ember's or torch's) is ``a`` (torch's): types, dtypes, shapes, strides, offsets,
    bits, attributes; ``ptrs`` collects each strided tensor's storage (for sharing)."""
    ptrs = [] if ptrs is None else ptrs
    if isinstance(a, torch.Tensor):
        assert isinstance(b, (torch.Tensor, ember.Tensor)), path
        assert type(b).__name__ == type(a).__name__ or type(a) is torch.Tensor, path
        assert (str(b.dtype), tuple(b.shape), b.requires_grad, str(b.layout), b.device.type) \
            == (str(a.dtype), tuple(a.shape), a.requires_grad, str(a.layout), a.device.type), \
            path
        if a.is_quantized:
            assert (a.q_scale(), a.q_zero_point()) == (b.q_scale(), b.q_zero_point()), path
            compare(a.int_repr(), b.int_repr(), path + ".int_repr()")
        elif a.layout == torch.strided:
            assert (tuple(b.stride()), b.storage_offset()) == \
                (tuple(a.stride()), a.storage_offset()), path
            if a.device.type != "meta":
                assert _bytes_of(b) == _bytes_of(a), path
            if a.device.type != "meta" and a.untyped_storage().nbytes():
                ptrs.append((path, a.untyped_storage().data_ptr(),
                             b.untyped_storage().data_ptr()))
        elif a.layout == torch.sparse_coo:
            compare(a._indices(), b._indices(), path + "._indices")
            compare(a._values(), b._values(), path + "._values")
            assert a.is_coalesced() == b.is_coalesced(), path
        for k, v in getattr(a, "__dict__", {}).items():
            compare(v, getattr(b, k), f"{path}.{k}", ptrs)
        return ptrs
    if isinstance(a, torch.nn.Module):
        assert type(b).__name__ == type(a).__name__ and a.training == b.training, path
        assert list(a.__dict__) == list(b.__dict__), path
        compare(a.state_dict(), b.state_dict(), path + ".state_dict()", ptrs)
        return ptrs
    if isinstance(a, torch.dtype):
        assert repr(b) == repr(a), path
        return ptrs
    assert type(b).__name__ == type(a).__name__, (path, type(a), type(b))
    if isinstance(a, dict):
        keys = [repr(k) for k in a], [repr(k).replace("ember", "torch") for k in b]
        assert keys[0] == keys[1], path
        for (k, v), w in zip(a.items(), b.values()):
            compare(v, w, f"{path}[{k!r}]", ptrs)
        assert getattr(a, "_metadata", None) == getattr(b, "_metadata", None), path
    elif isinstance(a, (list, tuple)) and not isinstance(a, torch.Size):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", ptrs)
    elif dataclasses.is_dataclass(a):
        compare(vars(a), vars(b), path, ptrs)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    elif isinstance(a, (torch.storage.TypedStorage, torch.UntypedStorage)):
        assert (str(a.dtype), a.size()) == (str(b.dtype), b.size()), path
        ua, ub = (getattr(s, "_untyped_storage", s) for s in (a, b))
        assert bytes(ua) == (ub._data.tobytes() if hasattr(ub, "_data") else bytes(ub)), path
    else:
        assert repr(b).replace("ember", "torch") == repr(a), path
    return ptrs


def _sharing(ptrs, i):
    groups = collections.defaultdict(list)
    for p in ptrs:
        groups[p[i]].append(p[0])
    return sorted(groups.values())


def both_ways(make, weights_only=(True, False), same_bytes=True, legacy=True, **kw):
    """``make(lib)`` built by both libraries: torch's and ember's files (byte-identical unless
    ``same_bytes`` is False), each loaded by both, equal to torch's object, with the same
    sharing of storages; also through the legacy format (``legacy``)."""
    torch.manual_seed(0)
    tobj = make(torch)
    ember.manual_seed(0)
    eobj = make(ember)
    compare(tobj, eobj, "built")
    tdata = save_bytes(torch, tobj, **kw)
    edata = ember_bytes_like(eobj, tdata, **kw)
    if same_bytes:
        assert ops(edata) == ops(tdata)
        assert edata == tdata
    for data in (tdata, edata):
        for reader in LIBS:
            for wo in weights_only:
                got = load_bytes(reader, data, weights_only=wo)
                ptrs = compare(tobj, got, f"{reader.__name__}.load(weights_only={wo})")
                assert _sharing(ptrs, 1) == _sharing(ptrs, 2)
    if legacy:
        for data in (save_bytes(L, o, _use_new_zipfile_serialization=False, **kw)
                     for L, o in ((torch, tobj), (ember, eobj))):
            for reader in LIBS:
                compare(tobj, load_bytes(reader, data, weights_only=False), "legacy")
    return tdata


# -- state dicts of modules -----------------------------------------------------------------

def _modules(L):
    nn = L.nn
    return {
        "linear": lambda: nn.Linear(3, 4),
        "conv": lambda: nn.Conv2d(2, 3, 3, bias=False),
        "convt": lambda: nn.ConvTranspose1d(2, 3, 2),
        "bn": lambda: nn.BatchNorm2d(3),
        "bn_no_affine": lambda: nn.BatchNorm1d(4, affine=False),
        "in": lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
        "lstm": lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True),
        "lstm_proj": lambda: nn.LSTM(3, 4, proj_size=2),
        "gru": lambda: nn.GRU(3, 2),
        "rnn": lambda: nn.RNN(2, 3, nonlinearity="relu"),
        "emb": lambda: nn.Embedding(5, 3, padding_idx=1),
        "emb_bag": lambda: nn.EmbeddingBag(5, 2),
        "ln": lambda: nn.LayerNorm(4),
        "gn": lambda: nn.GroupNorm(2, 4),
        "mha": lambda: nn.MultiheadAttention(4, 2, kdim=3, vdim=5),
        "transformer": lambda: nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
                                              num_decoder_layers=1, dim_feedforward=16),
        "seq": lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.BatchNorm1d(3)),
        "prelu": lambda: nn.PReLU(3),
        "bilinear": lambda: nn.Bilinear(2, 3, 4),
        "lists": lambda: nn.ModuleList([nn.Linear(1, 1), nn.ModuleDict({"a": nn.Linear(1, 2)})]),
        "params": lambda: nn.ParameterDict({"x": nn.Parameter(L.ones(2)),
                                            "l": nn.ParameterList([L.zeros(3)])}),
    }


def test_module_state_dicts_both_ways_byte_identical():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the Transformer's nested-tensor warning)
        for name in _modules(torch):
            both_ways(lambda L, name=name: _modules(L)[name]().state_dict(), legacy=False)
        m = lambda L: L.nn.BatchNorm1d(2).state_dict()  # noqa: E731
        both_ways(m)  # (num_batches_tracked: a 0-d int64, in the legacy format too)


def _model(L):
    return L.nn.Sequential(L.nn.Linear(3, 4), L.nn.Tanh(), L.nn.Linear(4, 2)).double()


def _steps(L, opt, model, steps=2, sched=None):
    for _ in range(steps):
        for i, p in enumerate(model.parameters()):
            p.grad = L.linspace(-1, 1 + i, p.numel(), dtype=p.dtype).reshape(p.shape)
        opt.step()
        if sched is not None:
            sched.step()


_OPTIMIZERS = {
    "sgd_momentum": lambda L, p: L.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                             weight_decay=1e-3),
    "adam": lambda L, p: L.optim.Adam(p, lr=1e-3),
    "adam_amsgrad": lambda L, p: L.optim.Adam(p, lr=1e-3, amsgrad=True),
    "adam_foreach": lambda L, p: L.optim.Adam(p, foreach=True),
    "adam_fused": lambda L, p: L.optim.Adam(p, fused=True),
    "adam_tensor_lr": lambda L, p: L.optim.Adam(p, lr=L.tensor(1e-3)),
    "adamw_fused": lambda L, p: L.optim.AdamW(p, betas=(0.8, 0.9), fused=True),
    "rmsprop": lambda L, p: L.optim.RMSprop(p, centered=True, momentum=0.5),
    "adagrad": lambda L, p: L.optim.Adagrad(p),
    "nadam": lambda L, p: L.optim.NAdam(p, decoupled_weight_decay=True),
    "asgd": lambda L, p: L.optim.ASGD(p),
    "rprop": lambda L, p: L.optim.Rprop(p),
}

_SCHEDULERS = {
    "step": lambda L, o: L.optim.lr_scheduler.StepLR(o, 2, gamma=0.5),
    "onecycle": lambda L, o: L.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10),
    "cyclic": lambda L, o: L.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1),
    "warm_restarts": lambda L, o: L.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 3),
    "sequential": lambda L, o: L.optim.lr_scheduler.SequentialLR(
        o, [L.optim.lr_scheduler.ConstantLR(o), L.optim.lr_scheduler.ExponentialLR(o, 0.9)],
        milestones=[2]),
}


def test_optimizer_scheduler_and_scaler_state_both_ways_byte_identical():
    for name, make_opt in _OPTIMIZERS.items():
        def make(L, make_opt=make_opt):
            m = _model(L)
            opt = make_opt(L, m.parameters())
            _steps(L, opt, m)
            return opt.state_dict()
        both_ways(make, legacy=name == "adam")

    def groups(L):  # (param groups with keys of the user's own)
        m = _model(L)
        opt = L.optim.SGD([{"params": m[0].parameters(), "lr": 0.5, "name": "first",
                            "extra": (1, "x")}, {"params": m[2].parameters()}],
                          lr=0.1, momentum=0.9)
        _steps(L, opt, m)
        return {"opt": opt.state_dict(), "model": m.state_dict()}
    both_ways(groups)

    def lbfgs(L):
        m = _model(L)
        opt = L.optim.LBFGS(m.parameters())

        def closure():
            for i, p in enumerate(m.parameters()):
                p.grad = (p.detach() * 2 + i).clone()
            return L.tensor(1.0, dtype=L.float64)
        opt.step(closure)
        return opt.state_dict()
    both_ways(lbfgs, legacy=False)

    for make_sched in _SCHEDULERS.values():
        def make(L, make_sched=make_sched):
            m = _model(L)
            o = L.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
            s = make_sched(L, o)
            _steps(L, o, m, steps=3, sched=s)
            return {"sched": s.state_dict(), "opt": o.state_dict()}
        both_ways(make, legacy=False)

    def plateau(L):
        o = L.optim.SGD(_model(L).parameters(), lr=0.1)
        s = L.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1)
        for v in (1.0, 1.0, 1.0, 1.0):
            s.step(v)
        return s.state_dict()
    both_ways(plateau, legacy=False)

    def scaler(L):
        s = L.amp.GradScaler("cpu", init_scale=2.0 ** 10)
        m = _model(L)
        o = L.optim.SGD(m.parameters(), lr=0.1)
        s.scale(m(L.ones(1, 3, dtype=L.float64)).sum()).backward()
        s.step(o)
        s.update()
        return s.state_dict()
    both_ways(scaler, legacy=False)


# -- plain Python objects -------------------------------------------------------------------

NT = collections.namedtuple("NT", "a b")


@dataclasses.dataclass
class DC:
    x: int
    y: object = None


class Color(enum.Enum):
    RED = 1


_PLAIN = {  # name: (make, loads with weights_only=True)
    "set": (lambda L: {1, 2, "a"}, True),
    "counter": (lambda L: collections.Counter("abca"), True),
    "bytearray": (lambda L: bytearray(b"\x00\xff"), True),
    "numbers": (lambda L: [2 ** 100, -2 ** 70, 2 ** 31, -2 ** 31 - 1, 65536, 1e308, 5e-324,
                           -0.0, float("inf"), float("nan"), complex(1, -2), True, None], True),
    "strings": (lambda L: ["", "é\u2603\U0001f600", "a" * 300, "\x00", bytes(range(256))], True),
    "tuples": (lambda L: ((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)), True),
    "shared_list": (lambda L: (lambda x: [x, x, {"y": x}])([1]), True),
    "keys": (lambda L: {1: "a", (2, 3): "b", None: 1, 1.5: 2, L.float32: 3}, True),
    "torch_objects": (lambda L: [L.Size([]), L.Size([2, 3]), L.float32, L.bfloat16,
                                 L.complex64, L.uint16, L.float8_e4m3fn, L.device("cpu"),
                                 L.device("cuda", 1), L.device("meta"), L.device("cuda"),
                                 L.strided, L.sparse_coo, L.per_tensor_affine], True),
    "odict_metadata": (lambda L: (lambda d: (setattr(d, "_metadata", {"": {"version": 2}}),
                                             d)[1])(collections.OrderedDict(a=L.ones(1))),
                       True),
    "frozenset": (lambda L: frozenset({1, 2}), False),
    "slice": (lambda L: slice(1, 5, 2), False),
    "range": (lambda L: range(2, 9, 3), False),
    "namedtuple": (lambda L: NT(1, L.ones(2)), False),
    "dataclass": (lambda L: DC(3, L.zeros(1)), False),
    "enum": (lambda L: Color.RED, False),
    "deque": (lambda L: collections.deque([1, 2]), False),
}


def test_plain_python_objects_both_ways_byte_identical():
    for make, weights_only in _PLAIN.values():
        both_ways(make, (True, False) if weights_only else (False,))


def test_weights_only_refusals_and_allowlists_as_pytorch():
    cases = {"namedtuple": [NT], "dataclass": [DC], "enum": [Color], "slice": [slice],
             "frozenset": [frozenset], "range": [range]}
    for name, allow in cases.items():
        make = _PLAIN[name][0]
        for data in (save_bytes(torch, make(torch)), save_bytes(ember, make(ember))):
            def plain(L, S, data=data):
                return L.load(io.BytesIO(data))

            def context(L, S, data=data, allow=allow):
                with S.safe_globals(allow):
                    return L.load(io.BytesIO(data))

            def named(L, S, data=data, allow=allow):
                entry = (allow[0], f"{allow[0].__module__}.{allow[0].__qualname__}")
                with S.safe_globals([entry]):
                    return L.load(io.BytesIO(data))

            def added(L, S, data=data, allow=allow):
                S.add_safe_globals(allow)
                try:
                    return L.load(io.BytesIO(data))
                finally:
                    S.clear_safe_globals()

            def unsafe(L, S, data=data):
                return S.get_unsafe_globals_in_checkpoint(io.BytesIO(data))
            for fn in (plain, context, named, added, unsafe):
                got = outcome(lambda: repr(fn(ember, es)).replace("ember", "torch"))
                want = outcome(lambda: repr(fn(torch, ts)))
                assert got == want, (name, fn.__name__)


# -- tensors --------------------------------------------------------------------------------

_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64",
           "float16", "bfloat16", "float32", "float64", "complex64", "complex128",
           "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"]


def _values(L, dtype, n, seed):
    r = np.random.default_rng(seed)
    if dtype == "bool":
        return L.from_numpy(r.random(n) < 0.5)
    if dtype.startswith(("int", "uint")):
        return L.from_numpy(r.integers(0, 120, n).astype(dtype))
    if dtype.startswith("complex"):
        return L.from_numpy((r.normal(size=n) + 1j * r.normal(size=n)).astype(dtype))
    return L.from_numpy(r.normal(size=n).astype(np.float32)).to(getattr(L, dtype))


_TENSORS = {
    "zero_d": lambda L: [L.tensor(3.5), L.tensor(True), L.tensor(7, dtype=L.int16),
                         L.tensor(1 + 2j)],
    "empty": lambda L: [L.empty(0), L.zeros(2, 0, 3), L.zeros(0, dtype=L.int64)],
    "offsets": lambda L: (lambda b: [b[3:], b[1:7:2], b.view(2, 5)[:, 1:], b[10:]])(
        L.arange(10)),
    "overlapping": lambda L: (lambda b: [b.as_strided((3, 3), (1, 1)), b,
                                         b.as_strided((2,), (0,), 4)])(L.arange(10.0)),
    "view_of_more": lambda L: L.arange(100.0)[10:12],
    "permuted": lambda L: L.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1),
    "channels_last": lambda L: L.arange(24.0).reshape(1, 2, 3, 4).contiguous(
        memory_format=L.channels_last),
    "a_and_a1": lambda L: (lambda a: [a, {"x": a[1:]}, (a[2:],)])(L.arange(5.0)),
    "flipped": lambda L: L.arange(5.0).flip(0),
    "requires_grad": lambda L: [L.ones(3, requires_grad=True),
                                L.ones(2, requires_grad=True) * 2],
    "parameters": lambda L: [L.nn.Parameter(L.ones(2), requires_grad=False),
                             L.nn.Parameter(L.ones(4, dtype=L.float64)[1:]),
                             L.nn.Buffer(L.ones(2))],
    "attribute": lambda L: (lambda t: (setattr(t, "foo", 3), t)[1])(L.ones(2)),
    "conjugate": lambda L: L.tensor([1 + 2j, 3j]).conj(),
    "e8m0": lambda L: L.ones(2).to(L.float8_e8m0fnu),
    "sparse_coo": lambda L: L.sparse_coo_tensor(L.tensor([[0, 1, 1], [2, 0, 2]]),
                                                L.tensor([3.0, 4.0, 5.0]), (2, 3)),
    "sparse_coalesced": lambda L: L.sparse_coo_tensor(L.tensor([[0, 1], [2, 0]]),
                                                      L.tensor([3.0, 4.0]), (2, 3)).coalesce(),
    "typed_storage": lambda L: L.arange(6.0)[2:].storage(),
    "quantized": lambda L: L.quantize_per_tensor(L.arange(4.0), 0.5, 2, L.quint8),
}


def test_tensor_kinds_both_ways_byte_identical():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (TypedStorage is deprecated)
        for name, make in _TENSORS.items():
            if name == "quantized":
                data = both_ways(make, same_bytes=True, legacy=False)
                continue
            both_ways(make, legacy=name not in ("e8m0", "typed_storage"))
    for i, dtype in enumerate(_DTYPES):  # every dtype, with views sharing its storage
        def make(L, dtype=dtype, i=i):
            base = _values(L, dtype, 12, i)
            return {"base": base, "view": base[2:8].view(2, 3).t(), "step": base[1::3]}
        both_ways(make, legacy=False)
    assert data


_EMPTY = {  # empty tensors: saved with the offset and strides they report (zeros too)
    "as_strided": lambda L: (lambda x: [x, x.as_strided((0,), (1,), 5),
                                        x.as_strided((0, 3), (0, 0), 7)])(L.arange(10.0)),
    "slices": lambda L: (lambda x: [x, x[5:5], x.view(2, 5)[:, 5:], x.view(2, 5)[1:1]])(
        L.arange(10.0)),
    "of_numpy": lambda L: [L.from_numpy(np.zeros((0, 3), np.float32)),
                           L.from_numpy(np.zeros((3, 0), np.float32).T),
                           L.from_numpy(np.zeros((0,), np.int64))[0:]],
    "sliced_empty": lambda L: [L.zeros(3, 0, 3)[1:], L.zeros(3, 0)[..., ::2],
                               L.from_numpy(np.zeros(0, np.uint32)).reshape(3, 0, 3)[2:]],
    "others": lambda L: [L.empty(0, 3).t(), L.empty_like(L.empty(2, 0, 3).permute(2, 0, 1)),
                         L.ones(1, 3).expand(0, 3), L.ones(2).new_empty(0, 5)],
}


def test_empty_tensors_keep_their_offsets_and_strides():
    for name, make in _EMPTY.items():  # (PyTorch's legacy reader takes no uint32 storage)
        both_ways(make, legacy=name != "sliced_empty")


def test_tensors_of_numpy_memory_save_no_state():
    # (ember's mark of a tensor on NumPy's memory was once saved as a user attribute)
    def make(L):
        return [L.from_numpy(np.arange(3.0)), L.from_numpy(np.arange(4, dtype=np.int16))]
    data = both_ways(make)
    assert ("GLOBAL", repr("torch._tensor _rebuild_from_type_v2")) not in ops(data)


def test_typed_storages_of_dtypes_without_a_storage_class_fail_as_pytorch():
    for dtype in _DTYPES + ["float8_e8m0fnu"]:
        for legacy in (False, True):
            got = [outcome(lambda L=L: len(save_bytes(L, _values(L, dtype, 3, 0).storage(),
                                                      _use_new_zipfile_serialization=not legacy)))
                   for L in LIBS]
            assert got[0][0] == got[1][0] and (got[0][0] == "ok" or got[0] == got[1]), dtype


def _spec(r, depth=0):
    k = r.random()
    if depth > 2 or k < 0.35:
        return ("leaf", int(r.integers(0, 14)), int(r.integers(0, 2 ** 31)))
    if k < 0.65:
        shape = tuple(int(x) for x in r.integers(0, 4, int(r.integers(0, 4))))
        view = str(r.choice(["none", "t", "slice", "step", "param", "grad", "meta", "attr"]))
        return ("tensor", str(r.choice(_DTYPES)), shape, view, int(r.integers(0, 2 ** 31)))
    kind = str(r.choice(["dict", "odict", "list", "tuple", "set"]))
    return (kind, [_spec(r, depth + 1) for _ in range(int(r.integers(0, 4)))])


def _build(L, spec):
    kind = spec[0]
    if kind == "leaf":
        v = spec[2]
        return [v, -v * 1e-3, f"s{v % 7}", bytes([v % 256]), None, complex(v, 1),
                L.Size([v % 3, 2]), getattr(L, _DTYPES[v % len(_DTYPES)]), L.device("cpu"),
                L.device("cuda", v % 2), True, 2 ** 70 + v, (v,), L.strided][spec[1]]
    if kind == "tensor":
        _, dtype, shape, view, seed = spec
        t = _values(L, dtype, math.prod(shape), seed).reshape(shape)
        if view == "t" and t.dim() >= 2:
            t = t.transpose(0, 1)
        elif view == "slice" and t.dim() and t.shape[0] > 1:
            t = t[1:]
        elif view == "step" and t.dim() and t.shape[-1] > 1:
            t = t[..., ::2]
        elif view == "param" and t.is_floating_point():
            t = L.nn.Parameter(t)
        elif view == "grad" and t.is_floating_point() and "float8" not in dtype:
            t.requires_grad_()
        elif view == "meta":
            t = L.empty_strided(t.shape, t.stride(), dtype=t.dtype, device="meta")
        elif view == "attr":
            t.note = seed
        return t
    items = [_build(L, s) for s in spec[1]]
    if kind == "set":
        return {repr(x) for x in items[:1]}
    if kind == "dict":
        return {f"k{i}": v for i, v in enumerate(items)}
    if kind == "odict":
        return collections.OrderedDict((f"k{i}", v) for i, v in enumerate(items))
    return items if kind == "list" else tuple(items)


def test_fuzzed_nested_objects_both_ways_byte_identical():
    for seed in range(40):
        r = np.random.default_rng(seed)
        spec = ("dict", [_spec(r, 1) for _ in range(3)])
        protocol = int(r.choice([2, 2, 4]))
        both_ways(lambda L, spec=spec: _build(L, spec), legacy=False, pickle_protocol=protocol,
                  weights_only=(True, False) if protocol == 2 else (False,))


def test_meta_tensors_save_their_shape_alone_as_pytorch():
    # (once ember wrote a storage with no record, and could not load PyTorch's form)
    makes = [lambda L: L.empty(3, device="meta"),
             lambda L: [L.empty(3, 2, device="meta", dtype=L.float16).t(),
                        L.empty(2, device="meta", requires_grad=True),
                        L.empty(2, device="meta", dtype=L.uint16)],
             lambda L: L.nn.Parameter(L.empty(2, 2, device="meta")),
             lambda L: L.nn.Linear(2, 3, device="meta").state_dict(),
             lambda L: (lambda t: (setattr(t, "foo", 3), t)[1])(L.ones(2, device="meta"))]
    for make in makes:
        data = both_ways(make)
        assert ("GLOBAL", repr("torch._utils _rebuild_meta_tensor_no_storage")) in ops(data)
    got = ember.load(io.BytesIO(save_bytes(torch, torch.empty(2, 3, device="meta").t())))
    assert (got.device.type, tuple(got.shape), got.stride()) == ("meta", (3, 2), (1, 3))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_untyped_storages_are_saved_under_their_class():
    makes = [lambda L: L.arange(4.0).untyped_storage(),
             lambda L: (lambda t: [t.untyped_storage(), t, t[1:].untyped_storage()])(
                 L.arange(4, dtype=L.uint8)),
             lambda L: L.arange(4, dtype=L.int16).untyped_storage()]
    for make in makes:
        tobj, eobj = make(torch), make(ember)
        for kw in ({}, {"pickle_protocol": 4}):
            tdata = save_bytes(torch, tobj, **kw)
            edata = ember_bytes_like(eobj, tdata, **kw)
            assert ops(edata) == ops(tdata)
            assert edata == tdata
            for reader in LIBS:
                for wo in (True, False):
                    got = outcome(lambda: repr(load_bytes(reader, edata, weights_only=wo)))
                    assert got == outcome(lambda: repr(load_bytes(torch, tdata,
                                                                  weights_only=wo)))
    tl, el = (save_bytes(L, make(L), _use_new_zipfile_serialization=False) for L in LIBS)
    assert outcome(lambda: repr(load_bytes(torch, el))) == \
        outcome(lambda: repr(load_bytes(torch, tl)))


def test_device_type_names_are_written_for_each_device():
    # (PyTorch's device pickles a new string each time: never a memo reference to another)
    def make(L):
        d = L.device("cuda")
        return [d, d, L.device("cuda"), "cuda", L.device("cpu"), "cpu", L.device("cuda", 0),
                {"cpu": L.device("cpu")}]
    both_ways(make)


# -- pickle protocols -------------------------------------------------------------------------

def test_pickle_protocols_byte_identical():
    def make(L):
        base = L.arange(4.0)
        return {"a": base, "b": base[1:], "p": L.nn.Parameter(L.ones(2)),
                "i": L.tensor([1, 2], dtype=L.uint16), "s": "x", "n": [1, (2, 3)],
                "objects": [L.float32, L.per_tensor_affine, L.qint8, L.Size([1]),
                            L.device("cpu"), L.strided, L.bfloat16, L.float8_e5m2]}
    for protocol in (0, 1, 2, 3, 4, 5, -1, None):
        tobj, eobj = make(torch), make(ember)
        tdata = save_bytes(torch, tobj, pickle_protocol=protocol)
        edata = ember_bytes_like(eobj, tdata, pickle_protocol=protocol)
        assert ops(edata) == ops(tdata), protocol
        assert edata == tdata
        for reader in LIBS:
            for wo in (True, False):
                want = outcome(lambda: repr(load_bytes(torch, tdata, weights_only=wo)))
                got = outcome(lambda: repr(load_bytes(reader, edata, weights_only=wo)))
                assert got[0] == want[0] and got[1].replace("ember", "torch") == want[1]


def test_memory_formats_with_protocol_4():
    # NOTE: PyTorch writes ``torch.channels_last`` as the global ``torch._utils`` +
    # ``torch.channels_last``; ember now reads it so too
    def make(L):
        return [L.channels_last, L.float32, L.contiguous_format, L.ones(1), L.preserve_format]
    for protocol in (4, 5):
        tdata = save_bytes(torch, make(torch), pickle_protocol=protocol)
        assert ember_bytes_like(make(ember), tdata, pickle_protocol=protocol) == tdata
        got = load_bytes(ember, tdata, weights_only=False)
        assert repr(got) == repr(load_bytes(torch, tdata, weights_only=False))
        assert outcome(lambda: load_bytes(ember, tdata)) == \
            outcome(lambda: load_bytes(torch, tdata))


# -- whole modules --------------------------------------------------------------------------

def test_whole_modules_pickle_as_pytorch():
    # (modules whose attributes PyTorch sets in another order: PReLU, the constant pads)
    makes = [lambda L: L.nn.Linear(3, 2), lambda L: L.nn.Conv2d(1, 2, 3),
             lambda L: L.nn.BatchNorm1d(3), lambda L: L.nn.PReLU(),
             lambda L: L.nn.PReLU(3, init=0.5), lambda L: L.nn.ConstantPad2d((1, 2, 0, 1), 3.5),
             lambda L: L.nn.ZeroPad1d(2), lambda L: L.nn.ConstantPad3d(1, 0.0),
             lambda L: L.nn.Sequential(L.nn.Linear(2, 2), L.nn.PReLU(), L.nn.ZeroPad2d(1)),
             lambda L: L.nn.Embedding(4, 2, max_norm=1.0), lambda L: L.nn.LayerNorm([2, 3])]
    for make in makes:
        for kw in ({}, {"pickle_protocol": 4}):
            both_ways(make, weights_only=(False,), legacy=not kw, **kw)
        refused = [outcome(lambda L=L: load_bytes(L, save_bytes(L, make(L)))) for L in LIBS]
        assert refused[0][0] == refused[1][0] == "UnpicklingError"


# -- map_location, files, safetensors -------------------------------------------------------

def test_map_location_forms():
    def make(L):
        base = L.arange(4.0)
        return {"a": base, "b": base[1:], "p": L.nn.Parameter(L.ones(2)), "i": L.tensor([1, 2])}
    forms = ["cpu", "meta", "cuda", "foo", 3, None, ("device", "cpu"), ("device", "meta"),
             {"cpu": "cpu"}, {"cpu": "meta"}, {"cuda": "cpu"}, lambda s, loc: s,
             lambda s, loc: None, lambda s, loc: 3, lambda s, loc: loc, "CPU", "cpu:0"]
    for legacy in (False, True):
        for saver in LIBS:
            data = save_bytes(saver, make(saver), _use_new_zipfile_serialization=not legacy)
            for form in forms:
                def run(L, form=form):
                    where = L.device(form[1]) if isinstance(form, tuple) else form
                    r = load_bytes(L, data, map_location=where)
                    ptr = r["a"].untyped_storage().data_ptr() if r["a"].device.type == "cpu" \
                        else None
                    return [(k, str(v.device), str(v.dtype), tuple(v.shape), type(v).__name__,
                             ptr is not None and v.untyped_storage().data_ptr() == ptr)
                            for k, v in r.items()]
                assert outcome(lambda: run(ember)) == outcome(lambda: run(torch)), \
                    (legacy, saver.__name__, form)


def test_archive_records_order_and_alignment(tmp_path):
    def make(L):
        base = L.arange(10.0)
        return {"a": base[1:], "b": L.ones(3, dtype=L.float16), "c": L.tensor(True), "d": base}
    layouts = []
    for L in LIBS:
        (tmp_path / L.__name__).mkdir()
        path = tmp_path / L.__name__ / "model.ckpt.pth"
        L.save(make(L), path)
        data = path.read_bytes()
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            assert z.testzip() is None
            for info in infos:
                name_len, extra_len = (int.from_bytes(data[info.header_offset + i:
                                                          info.header_offset + i + 2], "little")
                                       for i in (26, 28))
                start = info.header_offset + 30 + name_len + extra_len
                assert start % 64 == 0 and info.compress_type == zipfile.ZIP_STORED
            layouts.append([(i.filename, i.file_size, i.header_offset) for i in infos
                            if not i.filename.endswith("serialization_id")])
    assert layouts[0] == layouts[1]
    assert layouts[0][0][0] == "model.ckpt/data.pkl"  # (the file's name up to its last dot)
    assert [n.split("/", 1)[1] for n, _, _ in layouts[0]] == [
        "data.pkl", ".format_version", ".storage_alignment", "byteorder", "data/0", "data/1",
        "data/2", "version"]


def test_failed_load_changes_nothing(tmp_path):
    torch.manual_seed(0)
    data = save_bytes(torch, torch.nn.Linear(3, 2).state_dict())
    for cut in (10, len(data) // 2, len(data) - 30):
        for L in LIBS:
            model = L.nn.Linear(3, 2)
            before = {k: v.clone() for k, v in model.state_dict().items()}
            got = outcome(lambda: model.load_state_dict(L.load(io.BytesIO(data[:cut]))))
            assert got[0] == "RuntimeError" and "PytorchStreamReader" in got[1]
            assert all(L.equal(before[k], v) for k, v in model.state_dict().items())
    # a path and a file object, a pathlib path whose directory does not exist
    path = tmp_path / "model.pt"
    for L in LIBS:
        L.save({"w": L.ones(2)}, path)
        with open(path, "rb") as fh:
            assert L.load(fh)["w"].tolist() == [1.0, 1.0]
        assert zipfile.ZipFile(path).namelist()[0] == "model/data.pkl"
    missing = [outcome(lambda L=L: L.save({}, tmp_path / "no" / "x.pt")) for L in LIBS]
    assert missing[0] == missing[1] and missing[0][0] == "RuntimeError"


def test_safetensors_files_as_pytorch_reads_them(tmp_path):
    st = pytest.importorskip("safetensors.torch")
    from ember import safetensors as est

    def make(L):
        d = {f"t{i}_{name}": _values(L, name, 6, i).reshape(2, 3)
             for i, name in enumerate(_DTYPES) if "fnuz" not in name and name != "complex128"}
        d.update(zero_d=L.tensor(3.5), empty=L.zeros(0, 3), a=L.ones(1))
        return d
    data = st.save(make(torch), metadata={"x": "y"})
    assert est.save(make(ember), metadata={"x": "y"}) == data
    path = tmp_path / "m.safetensors"
    path.write_bytes(data)
    for where in (None, "cpu", 3, ("device", "cpu"), "meta", "foo", "cpu:0", b"cpu",
                  {"cpu": "cpu"}, lambda s, loc: s):
        def run(L, where=where):
            w = L.device(where[1]) if isinstance(where, tuple) else where
            # (in the file's order, as safetensors.torch.load_file gives them)
            return [(k, str(v.dtype), tuple(v.shape), _bytes_of(v))
                    for k, v in L.load(path, map_location=w).items()]
        assert outcome(lambda: run(ember)) == outcome(lambda: run(torch)), where
    got = est.load_file(path)
    assert list(got) == list(st.load_file(path))
