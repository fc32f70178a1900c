"""Differential checks of nn.Module's Python API found by a random fuzzer of module trees and
container operations (helper A1).  Each case runs the same code on ember and on PyTorch and
asserts the same printed result, or the same exception type and message."""
import pytest

torch = pytest.importorskip("torch")
from diff import same  # noqa: E402


@pytest.mark.parametrize("cls", ["Sequential", "ModuleList"])
@pytest.mark.parametrize("how", ["del", "del_slice", "pop", "insert", "append", "slice"])
def test_modules_dict_kind_after_container_edits(cls, how):
    # PyTorch replaces ``_modules`` with an OrderedDict when it renumbers after a deletion
    # (``del`` or ``pop``), which then prints as one; other edits keep the plain dict
    def run(T):
        mods = [T.nn.ReLU(), T.nn.Tanh(), T.nn.ELU()]
        c = T.nn.ModuleList(mods) if cls == "ModuleList" else T.nn.Sequential(*mods)
        old = c._modules
        if how == "del":
            del c[0]
        elif how == "del_slice":
            del c[::2]
        elif how == "pop":
            c.pop(1)
        elif how == "insert":
            c.insert(1, T.nn.Sigmoid())
        elif how == "append":
            c.append(T.nn.Sigmoid())
        else:
            c = c[1:]
        return repr(c._modules).replace("torch.", ""), c._modules is old, list(c._modules)
    same(run)


def test_module_list_iadd_itself_after_a_deletion():
    # ``ml += ml`` iterates ``_modules`` while adding to it: an OrderedDict of one entry lets it
    # through (after ``del``), a plain dict raises
    def run(T):
        out = []
        for pre_del in (False, True):
            ml = T.nn.ModuleList([T.nn.ReLU(), T.nn.Tanh()])
            if pre_del:
                del ml[0]
            try:
                ml += ml
                out.append(len(ml))
            except RuntimeError as e:
                out.append(str(e))
        return out
    same(run)


@pytest.mark.parametrize("arg", ["parameter_dict", "module_dict", "dict", "pairs", "bad_pair"])
def test_module_dict_update_takes_items_only_from_a_mapping(arg):
    # a ParameterDict is no Mapping: ModuleDict.update iterates it (its keys) as pairs
    def run(T):
        md = T.nn.ModuleDict({"a": T.nn.ReLU()})
        new = {"parameter_dict": lambda: T.nn.ParameterDict({"u": T.ones(1)}),
               "module_dict": lambda: T.nn.ModuleDict({"u": T.nn.Tanh()}),
               "dict": lambda: {"u": T.nn.Tanh(), "b": T.nn.ELU()},
               "pairs": lambda: [("u", T.nn.Tanh())],
               "bad_pair": lambda: [("uv", T.nn.Tanh()), "xy", "q"]}[arg]()
        try:
            md.update(new)
        except (TypeError, ValueError) as e:
            return type(e).__name__, str(e), list(md)
        return list(md), [type(m).__name__ for m in md.values()]
    same(run)


@pytest.mark.parametrize("other", ["int", "list", "module_list"])
def test_module_list_add_checks_its_items_before_the_other_operand(other):
    # PyTorch chains both operands lazily: a non-Module already held (ModuleList.insert does
    # not check) fails before a non-iterable right operand does
    def run(T):
        ml = T.nn.ModuleList([T.nn.ReLU()])
        ml.insert(1, 5)
        right = {"int": 1, "list": [T.nn.Tanh()], "module_list": T.nn.ModuleList()}[other]
        try:
            return repr(ml + right)
        except TypeError as e:
            return str(e)
    same(run)


def test_dir_lists_a_name_twice_when_class_and_instance_both_have_it():
    # PyTorch's __dir__ concatenates the class's names, __dict__ and the three registries
    # without removing duplicates (a class default overridden per instance shows twice)
    def run(T):
        class M(T.nn.Module):
            scale = 1.0

            def __init__(self):
                super().__init__()
                self.scale = 2.0
                self.forward = T.nn.ReLU()
                self.register_buffer("rb", T.ones(1))
                self.l = T.nn.Linear(1, 1)
        d = [k for k in dir(M()) if not k.startswith("_")]
        return d, [k for k in dir(T.nn.Sequential(T.nn.ReLU())) if not k.startswith("_")]
    same(run)


def test_named_modules_honours_a_caller_memo_of_modules():
    def run(T):
        r = T.nn.ReLU()
        m = T.nn.Module()
        m.a, m.b, m.c = r, r, T.nn.Linear(1, 1)
        memo = {r}
        names = [n for n, _ in m.named_modules(memo=memo, prefix="x")]
        return names, len(memo), all(isinstance(k, T.nn.Module) for k in memo)
    same(run)


@pytest.mark.parametrize("what", ["named_modules", "parameters", "train", "apply",
                                  "named_children"])
def test_module_with_eq_but_no_hash_is_unhashable_in_traversals(what):
    # PyTorch's memo sets hold the modules, so a subclass defining __eq__ alone fails to hash
    def run(T):
        class Eq(T.nn.Module):
            def __eq__(self, other):
                return True
        s = T.nn.Sequential(T.nn.Linear(1, 1), Eq())
        return {"named_modules": lambda: [n for n, _ in s.named_modules()],
                "parameters": lambda: len(list(s.parameters())),
                "train": lambda: s.train() is s,
                "apply": lambda: s.apply(lambda m: None) is s,
                "named_children": lambda: [n for n, _ in s.named_children()]}[what]()
    same(run)
