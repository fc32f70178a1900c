"""ember.optim.lr_scheduler against torch.optim.lr_scheduler: every scheduler's learning-rate
(and momentum) sequence, exactly, over 40+ steps; state dicts, resuming, warnings, errors."""
import math
import pickle
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")

EPOCHS = 45


def make_opt(lib, name="SGD", groups=1, **kw):
    params = [{"params": [lib.nn.Parameter(lib.ones(2))], "lr": 0.1 * (i + 1)}
              for i in range(groups)]
    kw = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.1)}[name] | kw
    return getattr(lib.optim, name)(params, **kw)


def _lambda(e):
    return 0.95 ** e


def _mult(e):
    return 0.9 if e % 3 else 1.05


class Scale:
    """A callable object: LambdaLR saves its ``__dict__`` in the state dict."""

    def __init__(self):
        self.k = 0.5

    def __call__(self, e):
        return self.k / (e + 1)


SCHEDULERS = {
    "LambdaLR": lambda L, o: L.LambdaLR(o, _lambda),
    "LambdaLR-list": lambda L, o: L.LambdaLR(o, [_lambda, Scale()]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, _mult),
    "StepLR": lambda L, o: L.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[3, 10, 10, 25], gamma=0.3),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=7),
    "LinearLR": lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=13),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=17, power=1.7),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR-0": lambda L, o: L.CosineAnnealingLR(o, T_max=7),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5),
    "CosineAnnealingWarmRestarts-mult": lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.01),
    "CyclicLR": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5),
    "CyclicLR-triangular2": lambda L, o: L.CyclicLR(o, 0.01, [0.1, 0.3], step_size_up=4,
                                                     step_size_down=6, mode="triangular2"),
    "CyclicLR-exp_range": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                   mode="exp_range", gamma=0.97),
    "CyclicLR-scale_fn": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                  scale_fn=lambda x: 0.9 ** x,
                                                  scale_mode="iterations"),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, max_lr=0.5, total_steps=EPOCHS + 1),
    "OneCycleLR-linear": lambda L, o: L.OneCycleLR(o, max_lr=[0.5, 1.0], epochs=5,
                                                    steps_per_epoch=10,
                                                    anneal_strategy="linear",
                                                    div_factor=10.0),
    "OneCycleLR-three_phase": lambda L, o: L.OneCycleLR(o, 0.5, total_steps=EPOCHS + 5,
                                                         three_phase=True, pct_start=0.2),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.2, total_iters=5), L.ExponentialLR(o, gamma=0.9),
            L.CosineAnnealingLR(o, T_max=8)], milestones=[5, 20]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.5, total_iters=4), L.ExponentialLR(o, gamma=0.95),
         L.StepLR(o, 6, 0.7)]),
    "ChainedScheduler-nested": lambda L, o: L.ChainedScheduler(
        [L.SequentialLR(o, [L.ConstantLR(o, 0.5, 3), L.MultiplicativeLR(o, _mult)], [3]),
         L.ExponentialLR(o, 0.97)], optimizer=o),
}

# Schedulers that also drive the momentum (SGD's momentum, Adam's beta1).
MOMENTUM = {n for n in SCHEDULERS if n.startswith(("CyclicLR", "OneCycleLR"))}


def run(lib, name, opt_name="SGD", groups=2, epochs=EPOCHS):
    opt = make_opt(lib, opt_name, groups)
    sched = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
    lrs, moms = [sched.get_last_lr()], []
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        moms.append([g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups])
    return opt, sched, lrs, moms


def assert_seq_equal(a, b):
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b)):
        assert x == y, f"epoch {i}: {x} != {y}"


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_lr_sequence(name):
    _, st, lt, mt = run(torch, name)
    oe, se, le, me = run(ember, name)
    assert_seq_equal(le, lt)
    assert_seq_equal(me, mt)
    assert getattr(se, "last_epoch", None) == getattr(st, "last_epoch", None)
    assert [g["lr"] for g in oe.param_groups] == le[-1]


@pytest.mark.parametrize("name", ["CyclicLR", "OneCycleLR", "OneCycleLR-three_phase"])
def test_momentum_cycles_adam_beta1(name):
    ot, _, lt, mt = run(torch, name, "Adam")
    oe, _, le, me = run(ember, name, "Adam")
    assert_seq_equal(le, lt)
    assert_seq_equal(me, mt)
    assert [g["betas"] for g in oe.param_groups] == [g["betas"] for g in ot.param_groups]


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_state_dict(name):
    ot, st, _, _ = run(torch, name, epochs=12)
    oe, se, _, _ = run(ember, name, epochs=12)
    a, b = se.state_dict(), st.state_dict()
    if name == "CyclicLR-scale_fn":  # a lambda: PyTorch keeps it out of the state dict
        assert a["_scale_fn_custom"] is None and b["_scale_fn_custom"] is None
    assert list(a) == list(b)
    assert a == b
    # the optimizer's groups carry the same bookkeeping (initial_lr, max_lr, momenta...)
    for ge, gt in zip(oe.param_groups, ot.param_groups):
        assert sorted(k for k in ge if k != "params") == sorted(k for k in gt if k != "params")
        for k in gt:
            if k != "params":
                assert ge[k] == gt[k], k


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "CosineAnnealingLR",
                                  "CosineAnnealingWarmRestarts-mult", "CyclicLR",
                                  "OneCycleLR", "SequentialLR", "ChainedScheduler",
                                  "LambdaLR-list", "LinearLR", "PolynomialLR"])
def test_resume_from_state_dict(name):
    """Save after 12 epochs, load into a fresh optimizer and scheduler, continue: the same
    rates as an uninterrupted run (and as PyTorch's)."""
    _, _, full, _ = run(ember, name, epochs=30)
    oe, se, head, _ = run(ember, name, epochs=12)
    o_sd, s_sd = oe.state_dict(), se.state_dict()
    opt = make_opt(ember, "SGD", 2)
    sched = SCHEDULERS[name](ember.optim.lr_scheduler, opt)
    opt.load_state_dict(o_sd)
    sched.load_state_dict(s_sd)
    tail = []
    for _ in range(18):
        opt.step()
        sched.step()
        tail.append(sched.get_last_lr())
    assert_seq_equal(head + tail, full)


def test_load_torch_state_dict():
    _, st, lt, _ = run(torch, "CosineAnnealingLR", epochs=30)
    _, _, head, _ = run(torch, "CosineAnnealingLR", epochs=10)
    opt_t = make_opt(torch, "SGD", 2)
    s10 = torch.optim.lr_scheduler.CosineAnnealingLR(opt_t, T_max=10, eta_min=0.001)
    for _ in range(10):
        opt_t.step()
        s10.step()
    opt = make_opt(ember, "SGD", 2)
    opt.load_state_dict({"state": {}, "param_groups": opt_t.state_dict()["param_groups"]})
    sched = ember.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    sched.load_state_dict(pickle.loads(pickle.dumps(s10.state_dict())))
    rest = []
    for _ in range(20):
        opt.step()
        sched.step()
        rest.append(sched.get_last_lr())
    assert_seq_equal(head + rest, lt)


def test_reduce_lr_on_plateau():
    metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.8, 0.81, 0.82,
               0.83, 0.84, 0.85, 0.86, 0.87, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
               0.5, 0.5, 0.5]
    for kw in (dict(patience=2), dict(mode="max", factor=0.5, patience=1, cooldown=2),
               dict(patience=0, threshold=0.05, threshold_mode="abs", min_lr=[0.03, 0.001]),
               dict(mode="max", threshold_mode="abs", patience=3, eps=0.02)):
        seqs = []
        for lib in (torch, ember):
            opt = make_opt(lib, "SGD", 2)
            sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
            seq = []
            for m in metrics:
                opt.step()
                sched.step(lib.tensor(m))
                seq.append(sched.get_last_lr())
            seqs.append((seq, sched.state_dict()))
        (lt, sdt), (le, sde) = seqs
        assert_seq_equal(le, lt)
        assert list(sde) == list(sdt) and sde == sdt


def test_step_with_epoch_uses_closed_form():
    for name, make in [("StepLR", lambda L, o: L.StepLR(o, 3, 0.5)),
                       ("ExponentialLR", lambda L, o: L.ExponentialLR(o, 0.9)),
                       ("CosineAnnealingLR", lambda L, o: L.CosineAnnealingLR(o, 10)),
                       ("LambdaLR", lambda L, o: L.LambdaLR(o, _lambda))]:
        seqs = []
        for lib in (torch, ember):
            opt = make_opt(lib)
            sched = make(lib.optim.lr_scheduler, opt)
            seq = []
            for e in (5, 2, 9, 9, 17):
                opt.step()
                with pytest.warns(UserWarning, match="The epoch parameter"):
                    sched.step(e)
                seq.append(sched.get_last_lr())
            seqs.append(seq)
        assert_seq_equal(seqs[1], seqs[0])


def test_warm_restarts_fractional_epochs():
    seqs = []
    for lib in (torch, ember):
        opt = make_opt(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2)
        seq = []
        for i in range(60):
            sched.step(i / 3)
            seq.append((sched.get_last_lr(), sched.T_cur, sched.T_i, sched.last_epoch))
        seqs.append(seq)
    assert seqs[1] == seqs[0]


def test_initial_lr_and_base_lrs():
    for lib in (torch, ember):
        opt = make_opt(lib, groups=2)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
        assert sched.base_lrs == [0.1, 0.2] and sched.last_epoch == 0


def _warning_text(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [str(x.message) for x in w]


def test_scheduler_before_optimizer_warns():
    def go(lib):
        opt = make_opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        return _warning_text(sched.step)

    te, ee = go(torch), go(ember)
    assert len(ee) == 1 and ee == te
    assert "Detected call of `lr_scheduler.step()` before `optimizer.step()`" in ee[0]


def test_overridden_optimizer_step_warns():
    def go(lib):
        opt = make_opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        opt.step = lambda closure=None: None
        return _warning_text(sched.step)

    assert go(ember) == go(torch)
    assert "has been overridden" in go(ember)[0]


def test_no_warning_in_right_order_and_get_lr_outside_step_warns():
    opt = make_opt(ember)
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    opt.step()
    sched.step()  # warnings are errors in this suite: none here
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_two_schedulers_share_one_optimizer_wrapper():
    opt = make_opt(ember)
    a = ember.optim.lr_scheduler.StepLR(opt, 2)
    wrapped = opt.step
    b = ember.optim.lr_scheduler.ExponentialLR(opt, 0.9)
    assert opt.step is wrapped and hasattr(opt.step, "_wrapped_by_lr_sched")
    opt.step()
    a.step()
    b.step()
    assert not hasattr(ember.optim.SGD.step, "_wrapped_by_lr_sched")
    # the optimizer still pickles, without the wrapper
    clone = pickle.loads(pickle.dumps(opt))
    assert "step" not in vars(clone)


def _adagrad(opt):
    """An Adagrad optimizer (no momentum, no betas) from the library ``opt`` belongs to."""
    lib = ember if isinstance(opt, ember.optim.Optimizer) else torch
    return lib.optim.Adagrad([lib.nn.Parameter(lib.ones(1))])


ERRORS = [
    lambda L, o: L.StepLR(object(), 2),
    lambda L, o: L.LambdaLR(o, [_lambda]),
    lambda L, o: L.MultiplicativeLR(o, 3),
    lambda L, o: L.ConstantLR(o, factor=1.5),
    lambda L, o: L.LinearLR(o, start_factor=0),
    lambda L, o: L.LinearLR(o, end_factor=2),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="x"),
    lambda L, o: L.CyclicLR(o, 0.1, 1.0, mode="nope"),
    lambda L, o: L.CyclicLR(o, [0.1, 0.2, 0.3], 1.0),
    lambda L, o: L.CyclicLR(_adagrad(o), 0.1, 1.0),
    lambda L, o: L.OneCycleLR(o, 0.1),
    lambda L, o: L.OneCycleLR(o, 0.1, total_steps=0),
    lambda L, o: L.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=-1),
    lambda L, o: L.OneCycleLR(o, 0.1, total_steps=10, pct_start=1),
    lambda L, o: L.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"),
    lambda L, o: L.ReduceLROnPlateau(o, factor=1.0),
    lambda L, o: L.ReduceLROnPlateau(o, mode="middle"),
    lambda L, o: L.ReduceLROnPlateau(o, threshold_mode="x"),
    lambda L, o: L.ReduceLROnPlateau(o, min_lr=[0.1, 0.2, 0.3]),
    lambda L, o: L.SequentialLR(o, [], []),
    lambda L, o: L.SequentialLR(o, [L.StepLR(o, 2)], [3]),
    lambda L, o: L.SequentialLR(o, [L.StepLR(o, 2), L.ReduceLROnPlateau(o)], [3]),
    lambda L, o: L.ChainedScheduler([]),
    lambda L, o: L.StepLR(o, 2, last_epoch=5),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors(i):
    outcomes = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            ERRORS[i](lib.optim.lr_scheduler, make_opt(lib, groups=2))
        outcomes.append((type(info.value), str(info.value)))
    (tt, tm), (et, em) = outcomes
    assert et.__name__ == tt.__name__ and em == tm


def test_onecycle_too_many_steps():
    for lib in (torch, ember):
        opt = make_opt(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=3)
        for _ in range(3):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of "
                                             "total steps is 3"):
            opt.step()
            sched.step()


def test_chained_and_sequential_need_one_optimizer():
    o1, o2 = make_opt(ember), make_opt(ember)
    L = ember.optim.lr_scheduler
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same"):
        L.ChainedScheduler([L.StepLR(o1, 2), L.StepLR(o2, 2)])


def test_custom_scheduler_subclass():
    class Halve(ember.optim.lr_scheduler.LRScheduler):
        def get_lr(self):
            return [base * 0.5 ** self.last_epoch for base in self.base_lrs]

    opt = make_opt(ember)
    sched = Halve(opt)
    seq = []
    for _ in range(4):
        opt.step()
        sched.step()
        seq.append(sched.get_last_lr()[0])
    assert seq == [0.05, 0.025, 0.0125, 0.00625]
    assert math.isclose(opt.param_groups[0]["lr"], 0.00625)


def test_public_names():
    import torch.optim.lr_scheduler as T

    for name in T.__all__:
        assert hasattr(ember.optim.lr_scheduler, name), name
