"""ember.optim.lr_scheduler against torch.optim.lr_scheduler by random fuzzing: random
schedulers with random arguments on optimizers of 1-3 parameter groups, random step sequences
(with and without the deprecated epoch argument, before and after ``optimizer.step()``);
learning rates, momenta and betas compared bit for bit, with warnings and exceptions."""
import random
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")


def _fmt(lib, v):
    if isinstance(v, lib.Tensor):
        return ("T", v.item(), str(v.dtype))
    if isinstance(v, (list, tuple)):
        return tuple(_fmt(lib, x) for x in v)
    return (type(v).__name__, v)


def _groups(lib, opt):
    keys = ("lr", "momentum", "betas", "initial_lr", "max_lr", "min_lr", "base_momentum",
            "max_momentum")
    return [[(k, _fmt(lib, g[k])) for k in keys if k in g] for g in opt.param_groups]


def _make_opt(lib, r):
    groups = []
    for _ in range(r.randint(1, 3)):
        g = {"params": [lib.nn.Parameter(lib.ones(2))]}
        if r.random() < 0.5:
            g["lr"] = r.choice([0.1, 0.05, 0.3, 1e-3, 0.017])
        groups.append(g)
    kind = r.choice(["sgd", "sgdm", "adam", "rmsprop"])
    lr = r.choice([0.1, 0.01, 0.5, 0.0123])
    u = r.random()
    if u < 0.25:
        lr = lib.tensor(lr, dtype=r.choice([lib.float32, lib.float64]))
    elif u < 0.35:
        lr = 1
    if kind == "sgd":
        return lib.optim.SGD(groups, lr=lr)
    if kind == "sgdm":
        return lib.optim.SGD(groups, lr=lr, momentum=0.9)
    if kind == "adam":
        return lib.optim.Adam(groups, lr=lr, betas=r.choice([(0.9, 0.999), (0.8, 0.99)]))
    return lib.optim.RMSprop(groups, lr=lr, momentum=0.5)


def _make_sched(lib, r, opt, n):
    L = lib.optim.lr_scheduler
    ng = len(opt.param_groups)
    k = r.choice(["Step", "MultiStep", "Constant", "Linear", "Exp", "Poly", "Cos", "CosWR",
                  "Cyclic", "OneCycle", "Lambda", "Mult", "Plateau", "Seq", "Chain"])
    if k == "Step":
        return L.StepLR(opt, step_size=r.choice([1, 2, 3, 2.5]), gamma=r.choice([0.1, 0.5]))
    if k == "MultiStep":
        marks = sorted(r.sample(range(1, 10), r.randint(1, 3))) + [3] * (r.random() < 0.3)
        return L.MultiStepLR(opt, milestones=marks, gamma=r.choice([0.1, 0.5, 0.7]))
    if k == "Constant":
        return L.ConstantLR(opt, factor=r.choice([0.1, 0.5, 1 / 3]), total_iters=r.randint(0, 6))
    if k == "Linear":
        return L.LinearLR(opt, start_factor=r.choice([0.1, 1 / 3, 1.0]),
                          end_factor=r.choice([1.0, 0.5, 0.0]), total_iters=r.randint(1, 6))
    if k == "Exp":
        return L.ExponentialLR(opt, gamma=r.choice([0.9, 0.5, 1.1, 1]))
    if k == "Poly":
        return L.PolynomialLR(opt, total_iters=r.randint(1, 8), power=r.choice([1.0, 2.0, 0.5]))
    if k == "Cos":
        return L.CosineAnnealingLR(opt, T_max=r.choice([1, 2, 5, 2.5]),
                                   eta_min=r.choice([0, 1e-4]))
    if k == "CosWR":
        return L.CosineAnnealingWarmRestarts(opt, T_0=r.randint(1, 5), T_mult=r.randint(1, 3),
                                             eta_min=r.choice([0, 1e-4, 0.01]))
    if k == "Cyclic":
        return L.CyclicLR(opt, base_lr=r.choice([0.001, [0.01] * ng]), max_lr=r.choice([0.1, 0.05]),
                          step_size_up=r.randint(1, 5), step_size_down=r.choice([None, 1, 3]),
                          mode=r.choice(["triangular", "triangular2", "exp_range"]),
                          gamma=r.choice([1.0, 0.9]), cycle_momentum=r.random() < 0.5,
                          base_momentum=0.85, max_momentum=r.choice([0.9, 0.95]))
    if k == "OneCycle":
        kw = dict(max_lr=r.choice([0.1, [0.2] * ng]), pct_start=r.choice([0.3, 0.25, 0.5]),
                  anneal_strategy=r.choice(["cos", "linear"]), three_phase=r.random() < 0.4,
                  div_factor=r.choice([25.0, 10, 3.0]), final_div_factor=r.choice([1e4, 7.0]),
                  cycle_momentum=r.random() < 0.7)
        if r.random() < 0.5:
            kw["total_steps"] = n + r.randint(0, 3)
        else:
            kw["epochs"], kw["steps_per_epoch"] = r.randint(1, 3), n
        return L.OneCycleLR(opt, **kw)
    if k == "Lambda":
        return L.LambdaLR(opt, r.choice([lambda e: 0.95 ** e, lambda e: 1.0 / (e + 1)]))
    if k == "Mult":
        return L.MultiplicativeLR(opt, lambda e: 0.9)
    if k == "Plateau":
        return L.ReduceLROnPlateau(opt, mode=r.choice(["min", "max"]), factor=r.choice([0.1, 0.5]),
                                   patience=r.randint(0, 3), threshold=r.choice([1e-4, 0.1, 0.0]),
                                   threshold_mode=r.choice(["rel", "abs"]),
                                   cooldown=r.randint(0, 2),
                                   min_lr=r.choice([0, 1e-3, [1e-3] * ng]),
                                   eps=r.choice([1e-8, 1e-3]))
    a = L.ConstantLR(opt, factor=0.5, total_iters=r.randint(1, 4))
    if k == "Seq":
        b = r.choice([lambda: L.ExponentialLR(opt, gamma=0.9), lambda: L.StepLR(opt, 2, 0.5),
                      lambda: L.CosineAnnealingLR(opt, 5)])()
        return L.SequentialLR(opt, [a, b], milestones=[r.randint(1, 5)])
    return L.ChainedScheduler([a, L.ExponentialLR(opt, gamma=0.9)])


def fuzz_case(lib, case):
    """Everything a random scheduler run shows: rates, group values, warnings, exceptions."""
    L = lib.optim.lr_scheduler
    r = random.Random(case)
    out = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt = _make_opt(lib, r)
            n = r.randint(3, 10)
            s = _make_sched(lib, r, opt, n)
            out.append((type(s).__name__, _fmt(lib, s.get_last_lr()), _groups(lib, opt)))
            in_order = r.random() < 0.8
            for i in range(n):
                if in_order:
                    opt.step()
                if isinstance(s, L.ReduceLROnPlateau):
                    s.step(r.choice([1.0, 0.9, 0.95, 1.0, 1.1, 0.5]))
                elif isinstance(s, L.CosineAnnealingWarmRestarts) and r.random() < 0.4:
                    s.step(i + r.choice([0, 0.5, 0.25]))
                elif r.random() < 0.15 and not isinstance(
                        s, (L.SequentialLR, L.ChainedScheduler, L.OneCycleLR, L.CyclicLR)):
                    s.step(r.choice([i + 1, i + 0.5, 0, 2 * i]))
                else:
                    s.step()
                if not in_order:
                    opt.step()
                out.append((i, _fmt(lib, s.get_last_lr()), _groups(lib, opt)))
            out.append(sorted(s.state_dict()))
        out.extend((w.category.__name__, str(w.message)) for w in caught)
    except Exception as e:  # noqa: BLE001 - the exception is part of what is compared
        out.append(("EXC", type(e).__name__, str(e)))
    return out


@pytest.mark.parametrize("start", range(0, 120, 20))
def test_fuzz_matches_torch(start):
    for case in range(start, start + 20):
        assert fuzz_case(ember, case) == fuzz_case(torch, case), case


def _outside_step_warnings(lib):
    """get_lr() outside step() under the default filter: PyTorch warns at the line of each
    scheduler class's get_lr, so once per class, however many calls and user lines."""
    L = lib.optim.lr_scheduler
    opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(2))], lr=0.1, momentum=0.9)
    scheds = [L.StepLR(opt, 2), L.StepLR(opt, 3), L.ExponentialLR(opt, 0.9),
              L.CosineAnnealingLR(opt, 3), L.OneCycleLR(opt, 0.1, total_steps=10),
              L.CyclicLR(opt, 0.01, 0.1), L.CosineAnnealingWarmRestarts(opt, 3),
              L.LambdaLR(opt, lambda e: 1.0)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for s in scheds:
            s.get_lr()
            s.get_lr()
        for s in scheds:
            s.get_lr()
    return [(w.category.__name__, str(w.message), w.filename.endswith("lr_scheduler.py"))
            for w in caught]


def test_get_lr_outside_step_warns_once_per_class():
    got = _outside_step_warnings(ember)
    assert got == _outside_step_warnings(torch)
    assert len(got) == 7


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR", "SequentialLR",
                                  "ChainedScheduler", "StepLR", "ReduceLROnPlateau"])
def test_class_mro_matches_torch(name):
    def mro(lib):
        return [c.__name__ for c in getattr(lib.optim.lr_scheduler, name).__mro__]
    assert mro(ember) == mro(torch)


class _Decay:
    def __init__(self):
        self.k = 0.9

    def __call__(self, e):
        return self.k ** e


def _load_mismatched(lib, kind):
    """Loading a state dict with more saved children / lambdas than the scheduler has."""
    L = lib.optim.lr_scheduler
    opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(2))], lr=0.1)
    if kind == "lambda":
        sd = L.LambdaLR(opt, _Decay()).state_dict()
        sd["lr_lambdas"] = sd["lr_lambdas"] * 2
        target = L.LambdaLR(opt, _Decay())
    else:
        cls = L.SequentialLR if kind == "seq" else L.ChainedScheduler
        args = ([2, 4],) if kind == "seq" else ()
        sd = cls(*(opt,) * (kind == "seq"), [L.ConstantLR(opt), L.StepLR(opt, 2),
                                             L.ExponentialLR(opt, 0.9)], *args).state_dict()
        target = cls(*(opt,) * (kind == "seq"), [L.ConstantLR(opt), L.StepLR(opt, 2)],
                     *([[2]] if kind == "seq" else []))
    try:
        target.load_state_dict(sd)
        return "ok", target.state_dict().keys()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)


@pytest.mark.parametrize("kind", ["lambda", "seq", "chain"])
def test_load_state_dict_with_extra_entries(kind):
    assert _load_mismatched(ember, kind) == _load_mismatched(torch, kind)


def _nested_order_warnings(lib):
    """Children stepped by SequentialLR / ChainedScheduler before ``optimizer.step()``: PyTorch
    warns at its own line (``stacklevel=2``), so once per container class under the default
    filter, however many user lines step such schedulers."""
    L = lib.optim.lr_scheduler

    def opt():
        return lib.optim.SGD([lib.nn.Parameter(lib.ones(2))], lr=0.1)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        o = opt()
        L.SequentialLR(o, [L.ConstantLR(o, 0.5, 2), L.ExponentialLR(o, 0.8)], [2]).step()
        o = opt()
        L.SequentialLR(o, [L.ConstantLR(o, 0.5, 2), L.ExponentialLR(o, 0.8)], [2]).step()
        o = opt()
        L.ChainedScheduler([L.ConstantLR(o, 0.5, 2), L.ExponentialLR(o, 0.8)]).step()
        o = opt()
        L.ChainedScheduler([L.ConstantLR(o, 0.5, 2), L.ExponentialLR(o, 0.8)]).step()
        o = opt()
        L.StepLR(o, 2).step(3)
    return [(w.category.__name__, str(w.message)[:40], w.filename.endswith("lr_scheduler.py"))
            for w in caught]


def test_nested_step_order_warnings_at_scheduler_line():
    got = _nested_order_warnings(ember)
    assert got == _nested_order_warnings(torch)
    assert len(got) == 4


def _copied_scheduler(lib):
    """A custom scheduler written the way PyTorch's own code is, with its private helpers."""
    import math

    L = lib.optim.lr_scheduler

    class WarmCos(L.LRScheduler):
        def __init__(self, opt, warm, T, last_epoch=-1):
            self.warm, self.T = warm, T
            self.floor = L._format_param("floor", opt, 0.001)
            super().__init__(opt, last_epoch)

        def get_lr(self):
            L._warn_get_lr_called_within_step(self)
            e = self.last_epoch
            if e < self.warm:
                return [b * (e + 1) / self.warm for b in self.base_lrs]
            return [f + (b - f) * (1 + math.cos(math.pi * (e - self.warm) / self.T)) / 2
                    for b, f in zip(self.base_lrs, self.floor)]

        def step(self, epoch=None):
            self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
            with L._enable_get_lr_call(self):
                for g, lr in zip(self.optimizer.param_groups, self.get_lr()):
                    L._update_param_group_val(g, "lr", lr)
            self._last_lr = L._param_groups_val_list(self.optimizer, "lr")

    opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(2))], lr=lib.tensor(0.1))
    s = WarmCos(opt, 3, 5)
    out = []
    for _ in range(8):
        opt.step()
        s.step()
        out.append(s.get_last_lr()[0].item())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out.append(s.get_lr()[0].item())
    out.extend((w.category.__name__, str(w.message), w.filename == __file__) for w in caught)
    with L._initial_mode(s):
        out.append(s._is_initial)
    out.append(s._is_initial)
    return out


def test_private_helpers_for_custom_schedulers():
    assert _copied_scheduler(ember) == _copied_scheduler(torch)
