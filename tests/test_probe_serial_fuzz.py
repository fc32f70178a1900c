"""Differential checks of save/load interop with PyTorch found by a random fuzzer
(empty views of a storage, truncated archives, strides of views of one-element tensors)."""
import io
import random
import zipfile

import pytest
import torch

import ember

LIBS = {"torch": torch, "ember": ember}


def save_bytes(lib, obj, **kw):
    buf = io.BytesIO()
    lib.save(obj, buf, **kw)
    return buf.getvalue()


def outcome(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)


def records(data):
    return [n.split("/", 1)[1] for n in zipfile.ZipFile(io.BytesIO(data)).namelist()]


@pytest.mark.parametrize("legacy", [False, True])
def test_empty_view_at_the_end_of_its_storage_keeps_its_offset(legacy):
    base = torch.arange(4.0)
    data = save_bytes(torch, [base, base[1:1], base[4:], base[2:2].reshape(0, 5)],
                      _use_new_zipfile_serialization=not legacy)

    def look(lib):
        r = lib.load(io.BytesIO(data))
        ptr = r[0].untyped_storage().data_ptr()
        return [(t.storage_offset(), t.untyped_storage().nbytes(),
                 t.untyped_storage().data_ptr() == ptr, tuple(t.shape)) for t in r]

    assert look(ember) == look(torch)


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("view", ["reshape", "slice", "t", "view", "narrow"])
def test_empty_views_are_saved_with_their_base_storage(view, legacy):
    def make(L):
        base = L.empty(0, 3, dtype=L.int16) if view != "narrow" else L.arange(6.0)
        v = {"reshape": lambda: base.reshape(-1), "slice": lambda: base[:0],
             "t": lambda: base.t(), "view": lambda: base.view(3, 0),
             "narrow": lambda: base[:0]}[view]()
        return [base, v, L.ones(3)[3:]]

    kw = dict(_use_new_zipfile_serialization=not legacy)
    ref, got = save_bytes(torch, make(torch), **kw), save_bytes(ember, make(ember), **kw)
    if not legacy:
        assert records(got)[:-1] == records(ref)[:-1]

    def look(data):
        r = torch.load(io.BytesIO(data))
        return [(tuple(t.shape), t.untyped_storage().nbytes(),
                 t.untyped_storage().data_ptr() == r[0].untyped_storage().data_ptr())
                for t in r]

    assert look(got) == look(ref)


def test_empty_view_of_another_dtype_cannot_be_saved():
    def go(L):
        x = L.ones(4)
        return outcome(lambda: save_bytes(L, [x, x.view(L.int32)[:0]]))

    assert go(ember) == go(torch)


def _truncated(n, cut):
    data = save_bytes(torch, {"w": torch.arange(float(n)), "s": "x"})
    return data[:cut if cut > 0 else len(data) + cut]


@pytest.mark.parametrize("n,cut", [(1000, -1), (1000, -22), (1000, -200), (5000, 5386),
                                   (5000, -30), (2000, 4095), (2000, 4100), (2000, 8189),
                                   (2000, 8190), (20000, 8000), (20000, 40000), (200, -1)])
def test_truncated_archive_fails_as_in_pytorch(n, cut, tmp_path):
    data = _truncated(n, cut)
    path = tmp_path / "cut.pt"
    path.write_bytes(data)
    for kw in ({}, {"weights_only": False}, {"mmap": True}):
        for src in (lambda: io.BytesIO(data), lambda: path, lambda: str(path)):
            if "mmap" in kw and isinstance(src(), io.BytesIO):
                continue
            assert outcome(lambda: ember.load(src(), **kw)) == \
                outcome(lambda: torch.load(src(), **kw))


def test_view_strides_of_one_element_tensors():
    def go(L):
        x = L.zeros(4, dtype=L.int64).as_strided((1, 1), (2, 2))
        y = L.zeros(12).as_strided((2, 1, 3), (6, 7, 2))
        return [x.reshape(-1).stride(), x.view(-1).stride(), x.flatten().stride(),
                x.view(1, 1, 1).stride(), y.view(2, 1, 1, 3).stride(),
                outcome(lambda: x.reshape(-1).view(L.uint8).shape)]

    assert go(ember) == go(torch)


def test_reshape_strides_of_tensors_with_size_one_dims():
    rng = random.Random(1)
    for _ in range(150):
        shape = [rng.choice([1, 1, 2, 3]) for _ in range(rng.randint(1, 4))]
        strides = [rng.randint(1, 7) for _ in shape]
        tgt = [d for d in shape if d != 1]
        for _ in range(rng.randint(0, 3)):
            tgt.insert(rng.randint(0, len(tgt)), 1)
        got = []
        for L in (torch, ember):
            x = L.arange(200).as_strided(shape, strides)
            got.append([outcome(lambda: getattr(x, op)(*tgt).stride())
                        for op in ("view", "reshape")])
        assert got[0] == got[1], (shape, strides, tgt)


def _random_obj(L, rng, depth=0, legacy=False):
    if depth > 1 or rng.random() < .4:
        # (PyTorch cannot load its own legacy files of the dtypes without a storage class)
        dt = getattr(L, rng.choice(["float32", "float16", "bfloat16", "int64", "bool",
                                    "complex64"] + ([] if legacy else ["uint16", "float8_e5m2"])))
        base = L.arange(12).reshape(3, 4).to(dt)
        return rng.choice([lambda: base, lambda: base[1:], lambda: base.t(),
                           lambda: base[:, ::2], lambda: base[0, 0],
                           lambda: [base[1:], base.t()], lambda: L.Size([2, 3]),
                           lambda: dt, lambda: L.device("cpu")])()
    items = [_random_obj(L, rng, depth + 1, legacy) for _ in range(rng.randint(0, 3))]
    return rng.choice([dict(enumerate(items)), tuple(items), items])


def _describe(L, obj, ptrs):
    if isinstance(obj, L.Tensor):
        p = ptrs.setdefault(obj.untyped_storage().data_ptr(), len(ptrs))
        return (str(obj.dtype), tuple(obj.shape), obj.stride(), obj.storage_offset(), p,
                obj.untyped_storage().nbytes(), bytes(obj.untyped_storage().tolist()))
    if isinstance(obj, dict):
        return [(k, _describe(L, v, ptrs)) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return type(obj).__name__, [_describe(L, v, ptrs) for v in obj]
    return type(obj).__name__, str(obj)


@pytest.mark.parametrize("seed", range(8))
def test_random_objects_round_trip_both_ways(seed):
    legacy = seed % 3 == 2
    kw = dict(_use_new_zipfile_serialization=not legacy, pickle_protocol=2 + seed % 4)
    datas = {n: save_bytes(L, _random_obj(L, random.Random(seed), legacy=legacy), **kw)
             for n, L in LIBS.items()}
    if not legacy:
        assert records(datas["ember"])[:-1] == records(datas["torch"])[:-1]

    def load(r, w):
        return _describe(LIBS[r], LIBS[r].load(io.BytesIO(datas[w]), weights_only=False), {})

    ref = load("torch", "torch")
    for w, r in (("torch", "ember"), ("ember", "torch"), ("ember", "ember")):
        assert load(r, w) == ref


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("legacy", [False, True])
def test_sparse_tensors_of_a_legacy_file_get_their_indices(legacy):
    d = torch.tensor([[0.0, 2, 0], [3, 0, 4]])
    data = save_bytes(torch, {"coo": d.to_sparse(), "csr": d.to_sparse_csr(),
                              "unc": torch.sparse_coo_tensor([[1, 0, 1], [2, 0, 2]],
                                                             [1.0, 2, 3], (2, 3))},
                      _use_new_zipfile_serialization=not legacy)

    def look(lib):
        r = lib.load(io.BytesIO(data))
        return {k: (v.to_dense().tolist(), str(v.layout)) for k, v in r.items()}

    assert look(ember) == look(torch)


def test_sparse_coo_tensor_aliases_its_int64_indices():
    def go(L):
        i = L.tensor([[0, 1], [0, 1]])
        i32 = L.tensor([[0, 1], [0, 1]], dtype=L.int32)
        s = L.sparse_coo_tensor(i, L.ones(2), (2, 2), check_invariants=False)
        s32 = L.sparse_coo_tensor(i32, L.ones(2), (2, 2), check_invariants=False)
        i[0, 0] = 1
        i32[0, 0] = 1
        return s._indices().tolist(), s32._indices().tolist()

    assert go(ember) == go(torch)


@pytest.mark.parametrize("legacy", [False, True])
def test_saving_to_an_object_without_flush(legacy):
    class Sink:
        def __init__(self):
            self.buf = io.BytesIO()

        def write(self, data):
            return self.buf.write(data)

    def go(L):
        sink = Sink()
        err = outcome(lambda: L.save({"a": L.arange(3.0)}, sink,
                                     _use_new_zipfile_serialization=not legacy))
        return err, outcome(lambda: torch.load(io.BytesIO(sink.buf.getvalue()))["a"].tolist())

    assert go(ember) == go(torch)


@pytest.mark.parametrize("legacy", [False, True])
def test_whole_module_from_pytorch_loads_without_weights_only(legacy):
    m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    data = save_bytes(torch, m, _use_new_zipfile_serialization=not legacy)

    def go(L, wo):
        def look():
            r = L.load(io.BytesIO(data), weights_only=wo)
            return type(r).__name__, {k: v.tolist() for k, v in r.state_dict().items()}
        return outcome(look)

    for wo in (False, True):
        assert go(ember, wo) == go(torch, wo)


def test_unsafe_globals_come_in_pytorchs_order():
    import collections

    m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(),
                            torch.nn.Flatten(), torch.nn.Linear(8, 2))
    for obj in (m, {"dd": collections.defaultdict(list), "fs": frozenset({3})}):
        data = save_bytes(torch, obj)
        got = [L.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))
               for L in (torch, ember)]
        assert got[1] == got[0]  # (the same string hashes in one process: the same order)
