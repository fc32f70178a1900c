"""``torch.utils.benchmark``, ``torch.profiler`` / ``torch.autograd.profiler`` and
``torch.jit`` against PyTorch: printed layouts (numbers masked), schedules, structure."""
from __future__ import annotations

import json
import os
import re
import warnings

import numpy as np
import pytest

import ember
import ember.jit
import ember.profiler
import ember.utils.benchmark as eb
from ember._unsupported import Unsupported

torch = pytest.importorskip("torch")
import torch.profiler  # noqa: E402,F811
import torch.utils.benchmark as tb  # noqa: E402

# (PyTorch 2.13 deprecates torch.jit.script/trace/save/load, and ember says so too: checked
# in test_jit_deprecation_warnings, silenced elsewhere)
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.:DeprecationWarning")

LIBS = {"ember": (ember, ember.profiler, eb), "torch": (torch, torch.profiler, tb)}


def _addr(text):
    return re.sub(r"0x[0-9a-f]+", "0xADDR", text)


# -- torch.utils.benchmark ---------------------------------------------------------

def _spec(B, **kw):
    base = dict(stmt="x + y", setup="pass")
    base.update(kw)
    return B.utils.common.TaskSpec(**base) if hasattr(B, "utils") else B.TaskSpec(**base)


SPECS = [
    dict(),
    dict(label="Add", sub_label="float", description="n=4"),
    dict(stmt="a = x + y\nb = a * 2", setup="x = 1\ny = 2", sub_label="multi"),
    dict(setup="x = torch.ones(3)", num_threads=4, description="d"),
    dict(label="L"),
]
TIMES = [
    [1.3e-6],
    [2e-6, 2.1e-6, 2.05e-6],
    [5.0e-6, 5.1e-6, 5.05e-6, 5.2e-6, 5.02e-6, 5.3e-6, 4.9e-6],
    [1e-6, 2e-6, 3e-6, 9e-6, 1e-6],  # a wide spread: the printout warns
    [0.0123, 0.0125, 0.0119, 0.0121],
    [3.4e-9, 3.5e-9, 3.45e-9, 3.41e-9, 3.44e-9],
]


@pytest.mark.parametrize("si", range(len(SPECS)))
@pytest.mark.parametrize("ti", range(len(TIMES)))
def test_measurement_repr_and_stats(si, ti):
    out = {}
    for name, (_, _, B) in LIBS.items():
        spec = B.TaskSpec(**{"stmt": "x + y", "setup": "pass", **SPECS[si]})
        m = B.Measurement(100, list(TIMES[ti]), spec)
        out[name] = (_addr(repr(m)), m.mean, m.median, m.iqr, m.times, m.significant_figures,
                     m.has_warnings, m.meets_confidence(), m.title, m.as_row_name, m.env,
                     m.number_per_run, m.raw_times, m.num_threads)
    e, t = out["ember"], out["torch"]
    assert e[0] == t[0]
    np.testing.assert_allclose(e[1:4], t[1:4], rtol=1e-12)
    assert e[4:] == t[4:]


def test_measurement_merge():
    res = {}
    for name, (_, _, B) in LIBS.items():
        s1 = B.TaskSpec(stmt="a", setup="pass", label="L", sub_label="x")
        s2 = B.TaskSpec(stmt="b", setup="pass", label="L", sub_label="y")
        ms = [B.Measurement(10, [1e-5, 2e-5], s1), B.Measurement(100, [3e-4], s1),
              B.Measurement(10, [1e-5], s2)]
        merged = B.Measurement.merge(ms)
        res[name] = [(m.number_per_run, m.raw_times, m.stmt) for m in merged]
    assert res["ember"] == res["torch"]


@pytest.mark.parametrize("x", [3.14159, 123456.0, 0.000123456, 9.996, 1.0, 55.5, 2.5e-7])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_trim_sigfig_select_unit(x, n):
    assert eb.trim_sigfig(x, n) == tb.trim_sigfig(x, n)
    assert eb.select_unit(x / 1e6) == tb.select_unit(x / 1e6)
    assert eb.unit_to_english(eb.select_unit(x)[0]) == tb.unit_to_english(tb.select_unit(x)[0])


def _compare_results(B):
    out = []
    for threads in (1, 4):
        for n in (1, 10, 100):
            for i, sub in enumerate(("relu", "add_bias", "x")):
                spec = B.TaskSpec(stmt="f(x)", setup="pass", label="Ops", sub_label=sub,
                                  description=f"n={n}", num_threads=threads)
                base = 1e-6 * n * (1 + i) * (1.5 if threads == 1 else 1)
                times = [base * (1 + 0.013 * ((k * 7) % 5)) for k in range(9)]
                if sub == "x" and n == 10:
                    times = [base * (1 + 0.4 * (k % 3)) for k in range(9)]  # noisy
                out.append(B.Measurement(1000, times, spec))
    spec = B.TaskSpec(stmt="g(x)", setup="pass", label="Other", sub_label="s", description="n=1",
                      env="envA")
    out.append(B.Measurement(10, [2e-3, 2.1e-3], spec))
    spec = B.TaskSpec(stmt="g(x)", setup="pass", label="Other", sub_label="s", description="n=1",
                      env="environment_B")
    out.append(B.Measurement(10, [3e-3, 3.1e-3], spec))
    return out


@pytest.mark.parametrize("options", [(), ("trim",), ("colorize",), ("rowwise",),
                                     ("trim", "highlight"), ("trim", "colorize", "highlight")])
def test_compare_table(options, capsys):
    text = {}
    for name, (_, _, B) in LIBS.items():
        c = B.Compare(_compare_results(B))
        if "trim" in options:
            c.trim_significant_figures()
        if "colorize" in options:
            c.colorize()
        if "rowwise" in options:
            c.colorize(rowwise=True)
        if "highlight" in options:
            c.highlight_warnings()
        text[name] = str(c)
        c.print()
        assert capsys.readouterr().out == text[name] + "\n"
    assert text["ember"] == text["torch"]


def test_compare_refuses_non_measurements():
    for _, _, B in LIBS.values():
        with pytest.raises(ValueError, match="Expected an instance of `Measurement`"):
            B.Compare([1])


def _layout(text):
    """A Measurement printout with every number replaced (timings differ between runs)."""
    text = _addr(text)
    return re.sub(r"\d+(\.\d+)?", "N", text)


def test_timer_timeit_and_blocked_autorange():
    shapes = {}
    for name, (lib, _, B) in LIBS.items():
        x = lib.ones(8)
        t = B.Timer(stmt="x * 2 + y", setup="y = 1", globals={"x": x}, label="mul",
                    sub_label="f32", description="n=8")
        m = t.timeit(50)
        assert m.number_per_run == 50 and len(m.raw_times) == 1 and m.raw_times[0] > 0
        assert isinstance(m, B.Measurement)
        b = t.blocked_autorange(min_run_time=0.02)
        assert sum(b.raw_times) >= 0.02
        assert str(b.number_per_run).strip("0") == "1"  # a power of ten
        a = t.adaptive_autorange(threshold=0.5, min_run_time=0.01, max_run_time=0.2)
        assert len(a.raw_times) >= 1
        shapes[name] = (_layout(repr(m)), m.task_spec.stmt, m.task_spec.setup,
                        m.title, m.description, m.num_threads)
        for meth, args in (("repeat", ()), ("autorange", ())):
            with pytest.raises(NotImplementedError, match="blocked_autorange"):
                getattr(t, meth)(*args)
        with pytest.raises(ValueError, match="Currently only a `str` stmt is supported."):
            B.Timer(stmt=lambda: 1)
        # the library is ``torch`` inside statements, as in PyTorch
        assert B.Timer("torch.ones(2)").timeit(3).raw_times[0] > 0
    assert shapes["ember"] == shapes["torch"]


def test_timer_statement_cleanup():
    specs = {}
    for name, (_, _, B) in LIBS.items():
        t = B.Timer(stmt="\n    a = 1\n    b = a + 1\n", setup="\n  c = 2\n")
        specs[name] = (t._task_spec.stmt, t._task_spec.setup, t._task_spec.title)
    assert specs["ember"] == specs["torch"]


# -- torch.profiler: schedules -----------------------------------------------------

SCHEDULES = [dict(wait=1, warmup=1, active=2), dict(wait=1, warmup=1, active=2, repeat=2),
             dict(wait=0, warmup=2, active=1, repeat=1, skip_first=3),
             dict(wait=2, warmup=1, active=3, skip_first=2, skip_first_wait=1),
             dict(wait=0, warmup=1, active=1, repeat=3)]


@pytest.mark.parametrize("kw", SCHEDULES)
def test_schedule_actions(kw):
    es, ts = ember.profiler.schedule(**kw), torch.profiler.schedule(**kw)
    assert [es(i).name for i in range(30)] == [ts(i).name for i in range(30)]


def test_schedule_checks():
    for P in (ember.profiler, torch.profiler):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            P.schedule(wait=1, warmup=0, active=1)
        assert [str(x.message) for x in w] == ["Profiler won't be using warmup, this can skew "
                                              "profiler results"]
    for bad in (dict(wait=1, warmup=1, active=0), dict(wait=-1, warmup=1, active=1)):
        with pytest.raises(AssertionError) as e1:
            ember.profiler.schedule(**bad)
        with pytest.raises(AssertionError) as e2:
            torch.profiler.schedule(**bad)
        assert str(e1.value) == str(e2.value)
    assert [a.name for a in ember.profiler.ProfilerAction] == \
        [a.name for a in torch.profiler.ProfilerAction]
    for a in ember.profiler.ProfilerAction:
        assert a.value == getattr(torch.profiler.ProfilerAction, a.name).value
    for name in ("CPU", "CUDA"):
        assert getattr(ember.profiler.ProfilerActivity, name).value == \
            getattr(torch.profiler.ProfilerActivity, name).value
        assert str(getattr(ember.profiler.ProfilerActivity, name)) == \
            str(getattr(torch.profiler.ProfilerActivity, name))


@pytest.mark.parametrize("kw", SCHEDULES[:4])
def test_profile_steps_call_on_trace_ready(kw):
    seen = {}
    for name, (lib, P, _) in LIBS.items():
        calls = []

        def ready(p):
            keys = {e.key for e in p.key_averages()}
            calls.append((p.step_num, "ProfilerStep*" in keys, "aten::mul" in keys,
                          sum(e.count for e in p.key_averages() if e.key == "ProfilerStep*")))

        x = lib.ones(3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with P.profile(activities=[P.ProfilerActivity.CPU], schedule=P.schedule(**kw),
                           on_trace_ready=ready) as p:
                for i in range(14):
                    x * float(i)
                    p.step()
        seen[name] = (calls, p.step_num, p.current_action.name)
    assert seen["ember"] == seen["torch"]


# -- torch.profiler: tables, events, traces ----------------------------------------

LONG = "a_block_named_at_length"  # longer than every op name on both sides


def _profile(lib, P, **kw):
    a, b = lib.ones(4, 5), lib.ones(5, 3)
    with P.profile(activities=[P.ProfilerActivity.CPU], **kw) as p:
        with P.record_function(LONG):
            c = lib.mm(a, b)
            c = c + c
    return p


def _cells(line):
    """``(masked text, end column)`` per cell: cells are two or more spaces apart."""
    out = []
    for m in re.finditer(r"\S+(?: \S+)*", line):
        text = re.sub(r"-?\d+(\.\d+)?", "N", m.group())
        text = re.sub(r"N(us|ms|s)$", "T", text)
        out.append((text, m.end()))
    return out


def _table(text):
    lines = text.split("\n")
    rule = lines[0]
    assert set(rule) <= {"-", " "} and lines[2] == rule
    rows = {}
    for line in lines[3:]:
        if line == rule:
            break
        rows[line.split()[0]] = _cells(line)
    footer = lines[lines.index(rule, 3) + 1]
    return rule, _cells(lines[1]), rows, re.sub(r"\d+\.\d+(us|ms|s)$", "T", footer), lines[-1]


@pytest.mark.parametrize("kw,group", [({}, False), ({"record_shapes": True}, False),
                                      ({"profile_memory": True}, False),
                                      ({"record_shapes": True, "profile_memory": True}, True)])
@pytest.mark.parametrize("sort_by", ["cpu_time_total", "self_cpu_time_total", None])
def test_key_averages_table_layout(kw, group, sort_by):
    got = {}
    for name, (lib, P, _) in LIBS.items():
        p = _profile(lib, P, **kw)
        text = p.key_averages(group_by_input_shape=group).table(sort_by=sort_by, row_limit=10)
        got[name] = _table(text)
    (er, eh, erows, ef, eend), (tr, th, trows, tf, tend) = got["ember"], got["torch"]
    assert ef == tf and eend == tend == ""
    if not group:
        assert er == tr and eh == th
        for op in (LONG, "aten::mm"):
            assert erows[op] == trows[op], op
    else:
        # the shapes column is as wide as its longest entry: PyTorch also lists the
        # scalar arguments of some ops (``aten::add``'s alpha), ember only the tensors
        assert eh[:-1] == th[:-1] and eh[-1][0] == th[-1][0] == "Input Shapes"
        for op in (LONG, "aten::mm"):
            assert erows[op][:-1] == trows[op][:-1]
            assert erows[op][-1][0] == trows[op][-1][0]
    # ember's rows all line up under the rule's columns
    ends = [m.end() for m in re.finditer(r"-+", er)]
    for cells in erows.values():
        assert [c[1] for c in cells] == ends[:len(cells)]


def test_table_options_and_events():
    for name, (lib, P, _) in LIBS.items():
        p = _profile(lib, P, record_shapes=True)
        ka = p.key_averages()
        assert [type(e).__name__ for e in ka][:1] == ["FunctionEventAvg"]
        assert type(ka).__name__ == "EventList"
        assert str(ka) == ka.table()
        t = ka.table(sort_by="cpu_time_total", row_limit=1)
        assert len(t.split("\n")) == 7 and LONG in t
        t = ka.table(sort_by="count", header="HEAD", top_level_events_only=True)
        lines = t.split("\n")
        assert lines[1] == "HEAD" and lines[3] == "This report only display top-level ops " \
            "statistics" and set(lines[0]) == {"="}
        assert "aten::mm" not in t
        assert "Self CPU time total: " in ka.table(time_unit="ms") and \
            ka.table(time_unit="ms").rstrip().endswith("ms")
        with pytest.raises(AttributeError):
            ka.table(sort_by="no_such_column")
        ev = p.events()
        block = next(e for e in ev if e.name == LONG)
        mm = next(e for e in ev if e.name == "aten::mm")
        assert mm.cpu_parent is block and mm in block.cpu_children
        assert mm.input_shapes == [[4, 5], [5, 3]]
        assert block.cpu_time_total >= mm.cpu_time_total >= 0
        assert abs(block.self_cpu_time_total - (block.cpu_time_total - sum(
            c.cpu_time_total for c in block.cpu_children))) < 1e-6
        assert repr(mm).startswith("<FunctionEvent id=") and "name=aten::mm" in repr(mm)
        avg = next(e for e in ka if e.key == "aten::mm")
        assert repr(avg).startswith("<FunctionEventAvg key=aten::mm self_cpu_time=")
        assert avg.count == 1 and avg.input_shapes == ""
        tot = ev.total_average()
        assert tot.key == "Total" and tot.count == len(ev)


def test_record_function_decorator_and_nesting():
    for lib, P, _ in LIBS.values():
        @P.record_function("outer_fn")
        def f(x):
            with P.record_function("inner"):
                return x * 2

        with P.profile(activities=[P.ProfilerActivity.CPU]) as p:
            f(lib.ones(2))
        ev = {e.name: e for e in p.events()}
        assert ev["inner"].cpu_parent is ev["outer_fn"]
        assert ev["aten::mul"].cpu_parent is ev["inner"]
        f(lib.ones(2))  # no profiler: the range records nothing and the call works


def test_chrome_trace_and_tensorboard_handler(tmp_path):
    for name, (lib, P, _) in LIBS.items():
        p = _profile(lib, P, record_shapes=True)
        path = tmp_path / f"{name}.json"
        p.export_chrome_trace(str(path))
        doc = json.loads(path.read_text())
        assert {"schemaVersion", "traceEvents", "displayTimeUnit"} <= set(doc)
        xs = {e["name"]: e for e in doc["traceEvents"] if e.get("ph") == "X"}
        assert xs[LONG]["cat"] == "user_annotation" and xs["aten::mm"]["cat"] == "cpu_op"
        assert xs["aten::mm"]["args"]["Input Dims"] == [[4, 5], [5, 3]]
        for e in xs.values():
            assert {"ts", "dur", "pid", "tid"} <= set(e)
        assert xs[LONG]["ts"] <= xs["aten::mm"]["ts"]
        out = tmp_path / f"tb_{name}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with P.profile(schedule=P.schedule(wait=0, warmup=1, active=1),
                           on_trace_ready=P.tensorboard_trace_handler(str(out), "wk")) as p:
                for i in range(3):
                    lib.ones(2) + i
                    p.step()
        files = sorted(os.listdir(out))
        assert len(files) == 2
        for f in files:
            assert re.fullmatch(r"wk\.\d+\.pt\.trace\.json", f)
            names = [e["name"] for e in json.loads((out / f).read_text())["traceEvents"]
                     if e.get("ph") == "X"]
            assert any(n.startswith("ProfilerStep#") for n in names)


def test_autograd_profiler():
    for lib, _, _ in LIBS.values():
        AP = lib.autograd.profiler
        p = AP.profile()
        assert str(p) == "<unfinished torch.autograd.profile>"
        x = lib.ones(3, requires_grad=True)
        with AP.profile(record_shapes=True) as p:
            with AP.record_function("fwd"):
                y = (x * 3).sum()
            y.backward()
        names = {e.key for e in p.key_averages()}
        assert {"fwd", "aten::mul", "aten::sum"} <= names
        assert p.table().startswith("-") and "Self CPU time total:" in p.table()
        assert p.self_cpu_time_total > 0
        assert isinstance(AP.record_function("x"), AP.record_function)


def test_profiler_hook_is_off_outside_profiles():
    from ember._ops import _core

    assert _core._profile_hook is None
    with ember.profiler.profile() as p:
        assert _core._profile_hook is not None
        ember.ones(2).relu()
    assert _core._profile_hook is None
    assert [e.key for e in p.key_averages()] == ["aten::relu"]
    with ember.profiler.profile():
        with pytest.raises(RuntimeError, match="already enabled"):
            with ember.profiler.profile():
                pass
    assert _core._profile_hook is None


def test_aten_names():
    from ember.autograd.profiler import aten_name

    for node, name in [("AddmmBackward0", "aten::addmm"), ("MmBackward0", "aten::mm"),
                       ("ReluBackward0", "aten::relu"), ("TBackward0", "aten::t"),
                       ("ConvolutionBackward0", "aten::convolution"),
                       ("MaxPool2DWithIndicesBackward0", "aten::max_pool2d_with_indices"),
                       ("LogSoftmaxBackward0", "aten::_log_softmax"),
                       ("NativeLayerNormBackward0", "aten::native_layer_norm"),
                       ("SumBackward1", "aten::sum"), ("IndexSelectBackward0",
                                                       "aten::index_select")]:
        assert aten_name(node) == name


def test_model_ops_named_like_pytorch():
    """The ops of a small conv net forward and backward carry names PyTorch also records."""
    names = {}
    for name, (lib, P, _) in LIBS.items():
        lib.manual_seed(0)
        nn = lib.nn
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(8, 3))
        x = lib.ones(2, 1, 6, 6)
        with P.profile() as p:
            loss = nn.functional.cross_entropy(model(x), lib.tensor([0, 2]))
            loss.backward()
        names[name] = {e.key for e in p.key_averages()}
    for op in ("aten::relu", "aten::addmm", "aten::t", "aten::max_pool2d_with_indices",
               "aten::convolution", "aten::_log_softmax", "aten::linear", "aten::conv2d",
               "aten::max_pool2d", "aten::cross_entropy_loss", "aten::log_softmax",
               "aten::nll_loss_nd"):
        assert op in names["ember"] and op in names["torch"], op
    unknown = names["ember"] - names["torch"]
    assert len(unknown) <= 3, unknown


def _ember_composites():
    import ember.nn._functional.linear as lin

    return (ember.nn.functional.linear, lin.linear, ember.nn.functional.conv2d,
            ember.nn.functional.cross_entropy, ember.matmul, ember.autograd.graph._apply)


def test_composite_ops_nest_like_pytorch():
    """Layers appear as PyTorch's composite operators with the primitive ops inside."""
    before = _ember_composites()
    trees = {}
    for name, (lib, P, _) in LIBS.items():
        nn = lib.nn
        lib.manual_seed(0)
        feats = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2))
        feats.eval()
        head = nn.Linear(8, 3)
        x = lib.ones(2, 1, 6, 6)
        with P.profile(record_shapes=True) as p:
            out = head(feats(x).reshape(2, 8))
            nn.functional.softmax(out, 1)
        top = [e for e in p.events() if e.cpu_parent is None]
        trees[name] = ([e.name for e in top if e.name not in ("aten::reshape", "aten::view")],
                       {e.name: e.cpu_children[0].name for e in top
                        if e.name in ("aten::conv2d", "aten::max_pool2d", "aten::softmax")},
                       [c.name for e in top if e.name == "aten::linear"
                        for c in e.cpu_children],
                       [e.input_shapes for e in top if e.name == "aten::linear"])
    # (PyTorch's eval-mode batch norm runs its kernel under two more wrapper ranges)
    assert trees["ember"][0] == trees["torch"][0]
    assert trees["ember"][1:] == trees["torch"][1:]
    # the wrappers are gone once the profile ends
    assert _ember_composites() == before


# -- torch.jit ---------------------------------------------------------------------

def _net(lib):
    nn = lib.nn

    class Net(nn.Module):
        limit: lib.jit.Final[int] = 3

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)
            self.seq = nn.Sequential(nn.ReLU(), nn.Identity())
            self.register_buffer("scale", lib.ones(2))

        def helper(self, x):
            return x * self.scale

        @lib.jit.ignore
        def not_compiled(self, x):
            return x

        @lib.jit.unused
        def unused(self, x):
            return x

        @lib.jit.export
        def exported(self, x):
            return self.helper(x)

        def forward(self, x):
            if lib.jit.is_scripting():  # (TorchScript runs this branch, eager code the other)
                return self.helper(self.seq(self.fc(x)))
            return self.helper(self.seq(self.fc(x)))

    return Net


class _Twice(object):
    pass


def test_script_and_trace_print_like_pytorch():
    text = {}
    for name, (lib, _, _) in LIBS.items():
        lib.manual_seed(0)
        m = _net(lib)()
        s = lib.jit.script(m)
        t = lib.jit.trace(m, lib.ones(4, 3))
        text[name] = (repr(s), repr(t), type(s).__name__, type(t).__name__,
                      type(t.fc).__name__, s.original_name, list(s.state_dict()),
                      list(t.state_dict()), [n for n, _ in s.named_parameters()],
                      isinstance(s, lib.jit.ScriptModule), isinstance(s, lib.nn.Module),
                      s.training, lib.jit.script(s) is s)
        # (a module without @export methods traces into TracedModules)
        seq = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.Sequential(lib.nn.Tanh()))
        ts = lib.jit.trace(seq, lib.ones(1, 3))
        text[name] += (repr(ts), type(ts).__name__, type(getattr(ts, "1")).__name__,
                       [type(c).__name__ for c in ts.modules()])
    assert text["ember"] == text["torch"]


def test_script_trace_run_the_model():
    ember.manual_seed(1)
    m = _net(ember)()
    x = ember.randn(4, 3)
    s = ember.jit.script(m)
    t = ember.jit.trace(m, (x,))
    want = m(x)
    for w in (s, t):
        assert ember.equal(w(x), want)
        assert ember.equal(w.exported(want), m.exported(want))
        assert w.limit == 3
        for (k1, v1), (k2, v2) in zip(w.state_dict().items(), m.state_dict().items()):
            assert k1 == k2 and ember.equal(v1, v2)
    # the parameters are the module's own: a training step shows in every wrapper
    opt = ember.optim.SGD(s.parameters(), lr=0.5)
    s(x).sum().backward()
    opt.step()
    assert ember.equal(m(x), s(x)) and ember.equal(t(x), s(x))
    assert not ember.equal(m(x), want)
    s.eval()
    assert not s.training and not s.fc.training and m.training
    f = ember.jit.script(lambda a: a * 2)
    assert ember.equal(f(x), x * 2)
    g = ember.jit.trace(lambda a: a + 1, x)
    assert ember.equal(g(x), x + 1)
    assert _addr(repr(f)) == _addr(repr(torch.jit.script(_double)))


def _double(a):
    return a * 2


def test_trace_runs_the_example():
    results = {}
    for name, (lib, _, _) in LIBS.items():
        m = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.ReLU())
        seen = []

        def hook(mod, i, o):
            seen.append(lib.jit.is_tracing())

        m.register_forward_hook(hook)
        lib.jit.trace(m, lib.ones(2, 3))
        with pytest.raises(RuntimeError) as e:
            lib.jit.trace(m, lib.ones(2, 5))
        results[name] = (seen, str(e.value).split("\n")[0], lib.jit.is_tracing())
    assert results["ember"] == results["torch"]


def test_jit_helpers_match():
    import typing

    for lib, _, _ in LIBS.values():
        J = lib.jit
        assert J.is_scripting() is False and J.is_tracing() is False
        assert J.annotate(typing.List[int], []) == []
        assert issubclass(J.Error, Exception)
        assert J.Final is typing.Final

        with pytest.warns(FutureWarning, match=r"ignore\(True\) has been deprecated"):
            @J.ignore(drop=True)
            def dropped(x):
                return x + 1

        with pytest.raises(RuntimeError, match="must be a bool or a function but got 3"):
            J.ignore(3)

        assert dropped(1) == 2

        @J.interface
        class Iface:
            def f(self, x: int) -> int:
                pass

        assert Iface.__name__ == "Iface"

        class WithOverloads:
            @J._overload_method
            def g(self, x: int) -> int:
                pass

            @J._overload_method
            def g(self, x: str) -> str:  # noqa: F811
                pass

            def g(self, x):  # noqa: F811
                return x

        assert WithOverloads().g(3) == 3
    cases = [([1, 2], typing.List[int]), ([1, "a"], typing.List[int]), ({"a": 1},
             typing.Dict[str, int]), ((1, "a"), typing.Tuple[int, str]), (None,
             typing.Optional[int]), (3, typing.Optional[int]), ("s", typing.Optional[int]),
             ((1, 2, 3), typing.Tuple[int, ...]), ([[1]], typing.List[typing.List[int]]),
             ({"a": [1]}, typing.Dict[str, typing.List[int]]), ([1.5], typing.List[int]),
             ((1, 2), typing.List[int]), ([1], int)]
    for obj, tp in cases:
        assert ember.jit.isinstance(obj, tp) == torch.jit.isinstance(obj, tp), (obj, tp)
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="The inner type of a container is lost"):
            assert lib.jit.isinstance([], typing.List[int])


def test_freeze_and_optimize_for_inference():
    msgs = {}
    for name, (lib, _, _) in LIBS.items():
        m = _net(lib)()
        s = lib.jit.script(m)
        errs = []
        for call in (lambda: lib.jit.freeze(m), lambda: lib.jit.freeze(s),
                     lambda: lib.jit.optimize_for_inference(m)):
            with pytest.raises(RuntimeError) as e:
                call()
            errs.append(str(e.value))
        fz = lib.jit.freeze(s.eval())
        x = lib.ones(2, 3)
        assert lib.equal(fz(x), m(x))
        o = lib.jit.optimize_for_inference(lib.jit.script(m))
        assert lib.equal(o(x), m(x))
        msgs[name] = errs
    assert msgs["ember"] == msgs["torch"]


def test_no_torchscript_program(tmp_path):
    s = ember.jit.script(_net(ember)())
    for call in (lambda: s.save(str(tmp_path / "m.pt")),
                 lambda: ember.jit.save(s, str(tmp_path / "m.pt")),
                 lambda: ember.jit.load(str(tmp_path / "m.pt")), lambda: s.code,
                 lambda: s.graph, lambda: ember.jit.script(lambda a: a).graph):
        with pytest.raises(Unsupported, match=r"state_dict"):
            call()
    assert not hasattr(s, "code")
    assert not (tmp_path / "m.pt").exists()


def test_registered_as_torch_modules():
    assert ember.jit.script is not None and ember.profiler.profile is not None
    assert ember.autograd.profiler.record_function is ember.profiler.record_function
    from ember.utils.benchmark import Compare, Timer  # noqa: F401
    with pytest.raises(Unsupported, match="torch.jit.last_executed_optimized_graph"):
        ember.jit.last_executed_optimized_graph  # noqa: B018
    # (a name PyTorch lacks too gets its AttributeError)
    with pytest.raises(AttributeError, match="module 'torch.jit' has no attribute 'nothing_"):
        ember.jit.nothing_here  # noqa: B018


@pytest.mark.filterwarnings("default")
def test_jit_deprecation_warnings():
    msgs = {}
    for name, (lib, _, _) in LIBS.items():
        m = _net(lib)()
        got = []
        for call in (lambda: lib.jit.script(m), lambda: lib.jit.trace(m, lib.ones(1, 3)),
                     lambda: lib.jit.trace_module(m, {"forward": lib.ones(1, 3)})):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                call()
            got.append([(x.category, str(x.message)) for x in w])
        msgs[name] = got
    assert msgs["ember"] == msgs["torch"]


def test_backward_ranges_like_pytorch():
    got = {}
    for name, (lib, P, _) in LIBS.items():
        lin = lib.nn.Linear(3, 2)
        with P.profile() as p:
            lin(lib.ones(4, 3)).sum().backward()
        ev = p.events()
        outer = [e for e in ev if e.name.startswith("autograd::engine::evaluate_function: ")]
        got[name] = (sorted(e.name for e in outer),
                     sorted({e.cpu_children[0].name for e in outer}),
                     [line for line in p.key_averages().table().split("\n")
                      if "evaluate_function: torch::" in line][0].split()[0])
        assert all(e.cpu_parent is None for e in outer)
        assert lin.weight.grad is not None
    assert got["ember"] == got["torch"]
    assert ember.autograd.graph._apply.__name__ == "_apply" and not hasattr(
        ember.autograd.graph._apply, "__wrapped__")


SCRIPT = '''
import re, warnings
warnings.simplefilter("ignore")
import torch
import torch.profiler
from torch.profiler import profile, record_function, ProfilerActivity
from torch.utils.benchmark import Timer, Compare
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU())
x = torch.ones(2, 4)
with profile(activities=[ProfilerActivity.CPU]) as prof:
    with record_function("my_block_of_model_code"):
        model(x)
lines = prof.key_averages().table(sort_by="cpu_time_total", row_limit=3).splitlines()
print(lines[1])
print(lines[3].split()[0], len(lines))
print(sorted({e.key for e in prof.key_averages()} & {"my_block_of_model_code", "aten::linear",
                                                    "aten::addmm", "aten::relu", "aten::t"}))
with torch.autograd.profiler.profile() as p2:
    with torch.autograd.profiler.record_function("legacy"):
        model(x)
print("legacy" in {e.key for e in p2.key_averages()})
m = Timer("model(x)", globals=dict(model=model, x=x), label="mlp", description="n=2").timeit(10)
print(re.sub(r"0x[0-9a-f]+|\\d+\\.\\d+ [mun]?s", "#", repr(m)))
print(type(m).__module__, type(m).__name__)
table = re.sub(r"\\d+\\.\\d+|\\w+seconds \\(\\w+\\)", "#", str(Compare([m])))
print(re.sub(r" +", " ", re.sub(r"-+", "-", table)))  # (widths follow the numbers)
s = torch.jit.script(model)
t = torch.jit.trace(model, x)
print(s)
print(bool((t(x) == model(x)).all()), list(t.state_dict()), torch.jit.is_scripting())
'''


def test_scripts_run_alike_under_ember_run(tmp_path):
    """The same PyTorch script, run by PyTorch and by ``ember run``, prints the same."""
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    outs = []
    for cmd in ([sys.executable, str(script)],
                [sys.executable, "-m", "ember.cli", "run", str(script)]):
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                           env=env)
        assert p.returncode == 0, p.stderr
        outs.append(p.stdout)
    assert outs[0] == outs[1]
    assert "Measurement object at #" in outs[1] and "RecursiveScriptModule" in outs[1]


def test_event_list_trace_and_attribute(tmp_path):
    keys = {}
    for name, (lib, P, _) in LIBS.items():
        p = _profile(lib, P)
        path = tmp_path / f"legacy_{name}.json"
        p.events().export_chrome_trace(str(path))
        doc = json.loads(path.read_text())
        assert isinstance(doc, list)
        block = [e for e in doc if e["name"] == LONG]
        assert len(block) == 1
        keys[name] = (sorted(block[0]), block[0]["ph"], block[0]["pid"])

        class M(lib.jit.ScriptModule):
            def __init__(self):
                super().__init__()
                self.n = lib.jit.Attribute(3, int)

        assert M().n == 3
    assert keys["ember"] == keys["torch"]
