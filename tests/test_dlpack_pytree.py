"""torch.utils.dlpack / torch.from_dlpack / Tensor.__dlpack__ and torch.utils._pytree,
checked against PyTorch (memory sharing with NumPy and with real PyTorch tensors)."""
import collections

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
          "complex64", "complex128"]


def _sample(dtype):
    a = (np.arange(12).reshape(3, 4) % 5 - 2).astype(dtype)
    return a


def _same(e, t):
    assert str(e.dtype).replace("torch.", "") == str(t.dtype).replace("torch.", "")
    assert tuple(e.shape) == tuple(t.shape) and tuple(e.stride()) == tuple(t.stride())
    np.testing.assert_array_equal(e.numpy(), t.numpy())


# -- DLPack ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_ember_to_torch_shares_memory(dtype):
    e = ember.from_numpy(_sample(dtype))
    t = torch.from_dlpack(e)
    _same(e, t)
    t[1, 2] = t[0, 0]              # written through PyTorch, seen by ember
    assert e.numpy()[1, 2] == e.numpy()[0, 0]
    assert t.data_ptr() == e.data_ptr()


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_to_ember_shares_memory(dtype):
    t = torch.from_numpy(_sample(dtype))
    e = ember.from_dlpack(t)
    _same(e, t)
    e[2, 3] = e[0, 1]
    assert t[2, 3] == t[0, 1]
    assert t.data_ptr() == e.data_ptr()


def test_numpy_both_ways():
    a = np.arange(10.0)
    e, t = ember.from_dlpack(a), torch.from_dlpack(a)
    _same(e, t)
    a[3] = -1
    assert e[3].item() == t[3].item() == -1
    back = np.from_dlpack(ember.arange(5))
    assert back.dtype == np.int64 and back.tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("view", ["t", "slice", "expand", "scalar", "empty"])
def test_views_keep_strides(view):
    def make(lib):
        x = lib.arange(24.0).reshape(4, 6)
        return {"t": lambda: x.t(), "slice": lambda: x[1:, ::2],
                "expand": lambda: lib.ones(3, 1).expand(3, 5),
                "scalar": lambda: lib.tensor(2.5), "empty": lambda: lib.zeros(0, 3)}[view]()

    e, t = make(ember), make(torch)
    if view == "empty":   # NumPy exports empty arrays with zero strides (as torch.from_dlpack(np))
        assert torch.from_dlpack(e).shape == t.shape
    else:
        _same(torch.from_dlpack(e), torch.from_dlpack(t))
    _same(ember.from_dlpack(t), t)


def test_capsules():
    e = ember.arange(6).reshape(2, 3)
    cap = ember.utils.dlpack.to_dlpack(e)
    assert "dltensor" in repr(cap) and "versioned" not in repr(cap)
    t = torch.utils.dlpack.from_dlpack(cap)
    _same(e, t)
    t[0, 0] = 42
    assert e[0, 0].item() == 42
    t2 = torch.arange(4.0)
    back = ember.utils.dlpack.from_dlpack(torch.utils.dlpack.to_dlpack(t2))
    _same(back, t2)
    versioned = ember.ones(2).__dlpack__(max_version=(1, 0))
    assert "dltensor_versioned" in repr(versioned)
    _same(ember.from_dlpack(versioned), torch.ones(2))
    assert ember.from_dlpack is ember.utils.dlpack.from_dlpack


def test_dlpack_device_and_enum():
    assert ember.ones(1).__dlpack_device__() == torch.ones(1).__dlpack_device__()
    assert {m.name: int(m) for m in ember.utils.dlpack.DLDeviceType} == \
        {m.name: int(m) for m in torch.utils.dlpack.DLDeviceType}


def test_copy_and_device_arguments():
    t = torch.arange(3.0)
    e = ember.from_dlpack(t, copy=True)
    e[0] = 9
    assert t[0] == 0
    e2 = ember.from_dlpack(t, device="cpu")
    e2[0] = 7
    assert t[0] == 7


ERRORS = [
    lambda L: L.from_dlpack(L.ones(2, requires_grad=True)),
    lambda L: L.from_dlpack(3),
    lambda L: L.ones(2).__dlpack__(stream=2),
    lambda L: L.ones(2).__dlpack__(stream="a"),
    lambda L: L.from_dlpack(L.ones(1).__dlpack__(), device="cpu"),
    lambda L: L.tensor([1j]).conj().__dlpack__(),
    lambda L: L.utils.dlpack.to_dlpack(3),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    with pytest.raises(Exception) as it:
        ERRORS[i](torch)
    with pytest.raises(it.type) as ie:
        ERRORS[i](ember)
    assert str(ie.value) == str(it.value)


def test_consumed_capsule():
    cap = torch.utils.dlpack.to_dlpack(torch.ones(2))
    ember.from_dlpack(cap)
    with pytest.raises(RuntimeError, match="consumed only once"):
        ember.from_dlpack(cap)


def test_bfloat16_both_ways():
    vals = [1.5, 2.25, -3.0, 0.1]
    e = ember.tensor(vals, dtype=ember.bfloat16)
    t = torch.from_dlpack(e)
    assert t.dtype == torch.bfloat16
    assert t.tolist() == torch.tensor(vals, dtype=torch.bfloat16).tolist()
    t[0] = 7
    assert e[0].item() == 7.0
    tt = torch.tensor(vals, dtype=torch.bfloat16)
    back = ember.from_dlpack(tt)
    assert back.dtype is ember.bfloat16 and back.tolist() == tt.tolist()
    back[1] = -9
    assert tt[1].item() == -9.0
    cap = ember.utils.dlpack.to_dlpack(e)
    assert torch.utils.dlpack.from_dlpack(cap).tolist() == e.tolist()
    assert ember.from_dlpack(torch.utils.dlpack.to_dlpack(tt)).tolist() == tt.tolist()


# -- torch.utils._pytree ----------------------------------------------------------------
import ember.utils._pytree as EP  # noqa: E402
import torch.utils._pytree as TP  # noqa: E402

NT = collections.namedtuple("NT", "a b")


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __repr__(self):
        return f"Point({self.x!r}, {self.y!r})"

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


for _mod in (EP, TP):
    _mod.register_pytree_node(Point, lambda p: ([p.x, p.y], "xy"), lambda v, c: Point(*v),
                              serialized_type_name="test_dlpack_pytree.Point")

TREES = [
    (1, 2), [1, (2, 3.5)], {"b": 1, "a": [2, None]}, collections.OrderedDict(x=1, y=(2,)),
    NT(1, [2, 3]), None, [None, 1], collections.defaultdict(list, {"k": 1, "j": [2]}),
    collections.deque([1, 2], maxlen=3), 5, (), [], {}, "text", [Point(1, (2, 3)), {"p": 4}],
    {"nested": {"deep": [(1,), NT(a=2, b={"c": 3})]}},
]


@pytest.mark.parametrize("i", range(len(TREES)))
def test_flatten_matches(i):
    tree = TREES[i]
    (le, se), (lt, st) = EP.tree_flatten(tree), TP.tree_flatten(tree)
    assert le == lt
    assert repr(se) == repr(st)
    assert (se.num_leaves, se.num_nodes, se.num_children, se.is_leaf()) == \
        (st.num_leaves, st.num_nodes, st.num_children, st.is_leaf())
    assert se.type == st.type and se.context == st.context
    assert EP.treespec_pprint(se) == TP.treespec_pprint(st)
    assert EP.tree_leaves(tree) == TP.tree_leaves(tree)
    assert repr(EP.tree_structure(tree)) == repr(TP.tree_structure(tree))
    back_e, back_t = EP.tree_unflatten(le, se), TP.tree_unflatten(lt, st)
    assert back_e == back_t and type(back_e) is type(back_t)
    assert se.unflatten(le) == back_t
    assert EP.tree_structure(back_e) == se
    assert isinstance(se, EP.TreeSpec) and EP.tree_is_leaf(tree) == TP.tree_is_leaf(tree)
    assert isinstance(EP.tree_structure(1), EP.LeafSpec)


@pytest.mark.parametrize("i", range(len(TREES)))
def test_dumps_loads(i):
    spec_e, spec_t = EP.tree_structure(TREES[i]), TP.tree_structure(TREES[i])
    try:
        want = TP.treespec_dumps(spec_t)
    except Exception as exc:
        with pytest.raises(type(exc)) as ie:
            EP.treespec_dumps(spec_e)
        assert str(ie.value) == str(exc)
        return
    assert EP.treespec_dumps(spec_e) == want
    assert repr(EP.treespec_loads(want)) == repr(TP.treespec_loads(want))
    assert EP.treespec_loads(want) == spec_e


def test_maps_and_predicates():
    tree = {"a": [1, 2.0, "s"], "b": (3, None), "c": NT(4, 5.5)}
    assert EP.tree_map(lambda x: (x, 0), tree) == TP.tree_map(lambda x: (x, 0), tree)
    rest = {"a": [10, 20, 30], "b": (40, 50), "c": NT(60, 70)}
    assert EP.tree_map(lambda x, y: (x, y), tree, rest) == \
        TP.tree_map(lambda x, y: (x, y), tree, rest)
    assert EP.tree_map(lambda x, y: (x, y), (1, 2), (4, [5, 6])) == \
        TP.tree_map(lambda x, y: (x, y), (1, 2), (4, [5, 6]))
    for which in (int, (int, str), lambda x: x == 2.0, int | float):
        assert EP.tree_map_only(which, lambda x: x * 2, tree) == \
            TP.tree_map_only(which, lambda x: x * 2, tree)
    for fn in (lambda x: x is not None, lambda x: isinstance(x, int)):
        assert EP.tree_all(fn, tree) == TP.tree_all(fn, tree)
        assert EP.tree_any(fn, tree) == TP.tree_any(fn, tree)
    assert EP.tree_all_only(int, lambda x: x > 3, tree) == TP.tree_all_only(int, lambda x: x > 3,
                                                                           tree)
    assert EP.tree_any_only(float, lambda x: x > 3, tree) == \
        TP.tree_any_only(float, lambda x: x > 3, tree)
    is_list = lambda x: isinstance(x, list)  # noqa: E731
    assert EP.tree_leaves(tree, is_leaf=is_list) == TP.tree_leaves(tree, is_leaf=is_list)
    assert repr(EP.tree_structure(tree, is_leaf=is_list)) == \
        repr(TP.tree_structure(tree, is_leaf=is_list))
    seen_e, seen_t = [], []
    assert EP.tree_map_(seen_e.append, tree) is tree
    TP.tree_map_(seen_t.append, tree)
    assert seen_e == seen_t


def test_tensor_leaves():
    def run(lib, mod):
        tree = {"w": lib.ones(2), "n": 3, "l": [lib.arange(3.0), "x"]}
        out = mod.tree_map_only(lib.Tensor, lambda t: t * 2, tree)
        return [v.tolist() if isinstance(v, lib.Tensor) else v for v in mod.tree_leaves(out)]

    assert run(ember, EP) == run(torch, TP)


MISUSE = [
    lambda M: M.tree_unflatten([1, 2, 3], M.tree_structure((1, 2))),
    lambda M: M.tree_unflatten([1], 5),
    lambda M: M.tree_map(lambda a, b: a, (1, 2), [1, 2]),
    lambda M: M.tree_map(lambda a, b: a, (1, 2), (1, 2, 3)),
    lambda M: M.tree_map(lambda a, b: a, {"a": 1}, {"b": 1}),
    lambda M: M.tree_map(lambda a, b: a, NT(1, 2), collections.namedtuple("NT", "a b")(1, 2)),
    lambda M: M.register_pytree_node(Point, lambda p: ([], None), lambda v, c: None),
    lambda M: M.treespec_dumps(M.tree_structure(NT(1, 2))),
    lambda M: M.tree_map(lambda a, b: a, (1, [2, 3]), (4, 5)),
    lambda M: M.tree_map(lambda a, b: a, [Point(1, 2)], [(1, 2)]),
]


@pytest.mark.parametrize("i", range(len(MISUSE)))
def test_pytree_errors(i):
    with pytest.raises(Exception) as it:
        MISUSE[i](TP)
    with pytest.raises(it.type) as ie:
        MISUSE[i](EP)
    assert str(ie.value) == str(it.value)


def test_key_paths():
    tree = {"x": [1, (2, NT(3, 4))], "y": collections.OrderedDict(z=5),
            "d": collections.deque([6]), "dd": collections.defaultdict(int, {"k": 7})}
    (pe, se), (pt, st) = EP.tree_flatten_with_path(tree), TP.tree_flatten_with_path(tree)
    assert [(repr(k), EP.keystr(k), v) for k, v in pe] == \
        [(repr(k), TP.keystr(k), v) for k, v in pt]
    assert repr(se) == repr(st)
    assert [EP.key_get(tree, k) for k, _ in pe] == [TP.key_get(tree, k) for k, _ in pt]
    fn_e = lambda kp, x, y: (EP.keystr(kp), x, y)  # noqa: E731
    fn_t = lambda kp, x, y: (TP.keystr(kp), x, y)  # noqa: E731
    assert EP.tree_map_with_path(fn_e, [1, {"a": 2}], [3, {"a": 4}]) == \
        TP.tree_map_with_path(fn_t, [1, {"a": 2}], [3, {"a": 4}])
    assert str(EP.tree_leaves_with_path([1, (2,)])) == str(TP.tree_leaves_with_path([1, (2,)]))
    with pytest.raises(ValueError) as ie:
        EP.tree_flatten_with_path([Point(1, 2)])
    with pytest.raises(ValueError) as it:
        TP.tree_flatten_with_path([Point(1, 2)])
    assert str(ie.value) == str(it.value)
