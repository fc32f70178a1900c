"""Differential fuzz of the scans (cumsum, cumprod, cummax/cummin, logcumsumexp), diff,
trapezoid, cross, renorm, flips, triangles, diagonals, kron/cartesian_prod/combinations,
meshgrid, atleast_*, the splits and the concatenations against PyTorch: values bit for bit,
dtypes, shapes, strides, view-ness, gradients, exceptions and warnings.  Seeded and fast; the
regression tests below pin what the fuzzer found."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

DT = ["float32", "float64", "int64", "int32", "bool", "uint8", "int16", "float16", "complex64"]


def _arr(rng, shape, dt, special=False):
    if dt == "bool":
        return np.asarray(rng.rand(*shape) > 0.5)
    if dt.startswith("int") or dt == "uint8":
        return np.asarray(rng.randint(0 if dt == "uint8" else -3, 4, size=shape)).astype(dt)
    if dt.startswith("complex"):
        return np.asarray(rng.randn(*shape) + 1j * rng.randn(*shape)).astype(dt)
    a = np.asarray(rng.randn(*shape))
    if special and a.size:
        m = rng.rand(*shape)
        a[m < 0.1] = np.nan
        a[(m > 0.1) & (m < 0.2)] = np.inf
        a[(m > 0.2) & (m < 0.3)] = -np.inf
        a[(m > 0.3) & (m < 0.4)] = 0.0
        a[(m > 0.4) & (m < 0.45)] = -0.0
    if rng.rand() < 0.3:
        a = np.round(a)
    return np.asarray(a.astype(dt))


def _shape(rng, nd):
    return tuple(int(rng.choice([0, 1, 2, 3, 5])) if rng.rand() < 0.15 else int(rng.randint(1, 5))
                 for _ in range(nd))


def _scan(rng):
    sh = _shape(rng, rng.randint(0, 4))
    dt = rng.choice(DT)
    nd = max(len(sh), 1)
    dim = int(rng.randint(-nd, nd))
    fn = rng.choice(["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"])
    kw = ""
    if fn in ("cumsum", "cumprod") and rng.rand() < 0.4:
        kw = ", dtype=lib." + rng.choice(["float64", "float32", "int64", "int32", "float16"])
    code = f"lib.{fn}(x, {dim}{kw})" if rng.rand() < 0.5 else f"x.{fn}({dim}{kw})"
    return code, [_arr(rng, sh, dt, special=rng.rand() < 0.5)]


def _diff(rng):
    sh = _shape(rng, rng.randint(1, 4))
    dt = rng.choice(DT)
    dim = int(rng.randint(-len(sh), len(sh)))
    args = [_arr(rng, sh, dt)]
    kw = f"n={int(rng.randint(0, 4))}, dim={dim}"
    for name in ("prepend", "append"):
        if rng.rand() < 0.3:
            psh = list(sh)
            psh[dim] = int(rng.randint(0, 3))
            args.append(_arr(rng, tuple(psh), dt))
            kw += f", {name}=args[{len(args) - 1}]"
    return f"lib.diff(x, {kw})", args


def _trapezoid(rng):
    sh = _shape(rng, rng.randint(1, 3))
    dt = rng.choice(["float32", "float64", "int64", "bool"])
    dim = int(rng.randint(-len(sh), len(sh)))
    fn = rng.choice(["trapezoid", "trapz", "cumulative_trapezoid"])
    args = [_arr(rng, sh, dt)]
    r = rng.rand()
    if r < 0.3:
        return f"lib.{fn}(x, dim={dim})", args
    if r < 0.6:
        return f"lib.{fn}(x, dx={rng.choice([0.5, 2, -1])}, dim={dim})", args
    xs = (sh[dim],) if rng.rand() < 0.5 else sh
    args.append(np.sort(_arr(rng, xs, rng.choice(["float32", "float64", "int64", "bool"])),
                        axis=-1))
    return f"lib.{fn}(x, y, dim={dim})", args


def _cross(rng):
    sh = list(_shape(rng, rng.randint(1, 4)))
    k = int(rng.randint(0, len(sh)))
    sh[k] = 3
    dt = rng.choice(["float32", "float64", "int64", "complex64"])
    sh2 = list(sh)
    if rng.rand() < 0.3 and len(sh2) > 1:
        sh2[0] = 1
    code = rng.choice(["lib.cross(x, y)", f"lib.cross(x, y, dim={k})", "lib.linalg.cross(x, y)",
                       f"lib.linalg.cross(x, y, dim={k - len(sh)})", "x.cross(y)"])
    return code, [_arr(rng, tuple(sh), dt), _arr(rng, tuple(sh2), dt)]


def _flips(rng):
    sh = _shape(rng, rng.randint(0, 4))
    nd = len(sh)
    c = rng.choice(["flip", "fliplr", "flipud", "roll", "rot90"])
    if c == "flip":
        dims = rng.choice(range(-nd, nd), size=rng.randint(0, nd + 1), replace=False) if nd \
            else []
        code = f"lib.flip(x, {tuple(int(d) for d in dims)})"
    elif c == "roll":
        if nd == 0 or rng.rand() < 0.3:
            code = f"lib.roll(x, {int(rng.randint(-7, 7))})"
        else:
            dims = [int(d) for d in rng.choice(range(-nd, nd), size=rng.randint(1, nd + 1),
                                               replace=False)]
            code = f"lib.roll(x, {tuple(int(rng.randint(-7, 7)) for _ in dims)}, {tuple(dims)})"
    elif c == "rot90":
        code = f"lib.rot90(x, {int(rng.randint(-3, 5))})"
    else:
        code = f"lib.{c}(x)"
    return code, [_arr(rng, sh, rng.choice(DT))]


def _triangles(rng):
    sh = _shape(rng, rng.randint(1, 4))
    c = rng.choice(["tril", "triu"])
    k = int(rng.randint(-4, 5))
    r = rng.rand()
    if r < 0.6:
        return f"lib.{c}(x, {k})", [_arr(rng, sh, rng.choice(DT))]
    if r < 0.8:
        return f"x.clone().{c}_({k})", [_arr(rng, sh, rng.choice(DT))]
    n, m = int(rng.randint(0, 6)), int(rng.randint(0, 6))
    kw = "" if rng.rand() < 0.5 else ", dtype=lib." + rng.choice(["int32", "int64", "float32"])
    return f"lib.{c}_indices({n}, {m}, {k}{kw})", []


def _diagonals(rng):
    sh = _shape(rng, rng.randint(1, 4))
    dt = rng.choice(DT)
    k = int(rng.randint(-4, 5))
    c = rng.choice(["diag", "diagflat", "diagonal", "trace"])
    if c == "diag":
        return f"lib.diag(x, {k})", [_arr(rng, sh[:2] if rng.rand() < 0.8 else sh, dt)]
    if c == "diagflat":
        return f"lib.diagflat(x, {k})", [_arr(rng, sh, dt)]
    if c == "trace":
        return "lib.trace(x)", [_arr(rng, sh[:2] if rng.rand() < 0.9 else sh, dt)]
    if len(sh) < 2:
        sh = sh + (3,)
    d1, d2 = (int(d) for d in rng.choice(range(-len(sh), len(sh)), size=2, replace=False))
    return f"lib.diagonal(x, {k}, {d1}, {d2})", [_arr(rng, sh, dt)]


def _combining(rng):
    c = rng.choice(["kron", "cartesian_prod", "combinations", "meshgrid", "atleast"])
    dt = rng.choice(DT)
    if c == "kron":
        return "lib.kron(x, y)", [_arr(rng, _shape(rng, rng.randint(0, 4)), dt),
                                  _arr(rng, _shape(rng, rng.randint(0, 4)),
                                       rng.choice([dt, "float32", "int64"]))]
    if c == "cartesian_prod":
        return "lib.cartesian_prod(*args)", [_arr(rng, (rng.randint(0, 4),), dt)
                                             for _ in range(rng.randint(1, 4))]
    if c == "combinations":
        r, w = int(rng.randint(0, 4)), bool(rng.rand() < 0.5)
        return f"lib.combinations(x, {r}, {w})", [_arr(rng, (rng.randint(0, 5),), dt)]
    if c == "meshgrid":
        ix = rng.choice([", indexing='ij'", ", indexing='xy'"])
        return f"lib.meshgrid(*args{ix})", [_arr(rng, _shape(rng, int(rng.choice([0, 1, 1]))),
                                                 dt) for _ in range(rng.randint(1, 4))]
    n = rng.choice(["1d", "2d", "3d"])
    if rng.rand() < 0.5:
        return f"lib.atleast_{n}(x)", [_arr(rng, _shape(rng, rng.randint(0, 5)), dt)]
    return f"lib.atleast_{n}(*args)", [_arr(rng, _shape(rng, rng.randint(0, 4)), dt)
                                       for _ in range(rng.randint(1, 3))]


def _splits(rng):
    sh = _shape(rng, rng.randint(1, 4))
    dim = int(rng.randint(-len(sh), len(sh)))
    size = sh[dim]
    x = _arr(rng, sh, rng.choice(DT))
    c = rng.choice(["split", "sizes", "chunk", "tensor_split", "indices", "tensor", "hsplit",
                    "vsplit", "dsplit", "unbind"])
    if c == "split":
        return f"lib.split(x, {int(rng.randint(0, 5))}, {dim})", [x]
    if c == "sizes":
        parts, rest = [], size
        while rest > 0:
            parts.append(int(rng.randint(0, rest + 1)))
            rest -= parts[-1]
        if rng.rand() < 0.2:
            parts.append(0)
        if rng.rand() < 0.1:
            parts.append(1)
        return rng.choice([f"lib.split(x, {parts}, {dim})",
                           f"x.split_with_sizes({parts}, {dim})"]), [x]
    if c == "chunk":
        return f"lib.chunk(x, {int(rng.randint(0, 6))}, {dim})", [x]
    if c == "tensor_split":
        return f"lib.tensor_split(x, {int(rng.randint(0, 6))}, {dim})", [x]
    if c == "indices":
        idx = sorted(int(i) for i in rng.randint(-2, size + 3, size=rng.randint(0, 4)))
        return f"lib.tensor_split(x, {idx[::-1] if rng.rand() < 0.2 else idx}, dim={dim})", [x]
    if c == "tensor":
        if rng.rand() < 0.5:
            return f"lib.tensor_split(x, lib.tensor({int(rng.randint(1, 5))}), {dim})", [x]
        idx = sorted(int(i) for i in rng.randint(0, size + 2, size=rng.randint(0, 4)))
        return f"lib.tensor_split(x, lib.tensor({idx}, dtype=lib.long), {dim})", [x]
    if c in ("hsplit", "vsplit", "dsplit"):
        if rng.rand() < 0.5:
            return f"lib.{c}(x, {int(rng.randint(1, 4))})", [x]
        return f"lib.{c}(x, {sorted(int(i) for i in rng.randint(0, 5, rng.randint(0, 3)))})", [x]
    return f"lib.unbind(x, {dim})", [x]


def _concatenating(rng):
    c = rng.choice(["cat", "stack", "hstack", "vstack", "dstack", "column_stack", "row_stack",
                    "concat", "concatenate"])
    base = list(_shape(rng, rng.randint(0, 4)))
    nd = len(base)
    dim = int(rng.randint(-nd, nd)) if nd else 0
    args = []
    for _ in range(rng.randint(1, 4)):
        s = list(base)
        if c in ("cat", "concat", "concatenate") and nd:
            s[dim] = int(rng.randint(0, 4))
        if rng.rand() < 0.1:
            s = [0]  # (the legacy empty 1-d tensor, skipped by cat)
        args.append(_arr(rng, tuple(s), rng.choice(DT) if rng.rand() < 0.4 else "float32"))
    if c == "stack":
        return f"lib.stack(args, {int(rng.randint(-nd - 1, nd + 1))})", args
    if c in ("cat", "concat", "concatenate"):
        return f"lib.{c}(args, {dim})", args
    return f"lib.{c}(args)", args


def _outs(rng):
    c = rng.choice(["cumsum", "cat", "stack", "cumprod", "diff", "cross", "tril", "logcumsumexp"])
    odt = rng.choice(["float32", "float64", "int64"])
    x = _arr(rng, (2, 3), rng.choice(["float32", "int64", "float64"]))
    code = {"cumsum": "lib.cumsum(x, 0, out=o)", "cumprod": "lib.cumprod(x, 1, out=o)",
            "cat": "lib.cat([x, x], out=o)", "stack": "lib.stack([x, x], out=o)",
            "diff": "lib.diff(x, out=o)", "tril": "lib.tril(x, out=o)",
            "cross": "lib.cross(x.T.contiguous(), x.T.contiguous(), dim=1, out=o)",
            "logcumsumexp": "lib.logcumsumexp(x, 0, out=o)"}[c]
    osh = rng.choice(["(0,)", "(2, 3)", "(6,)"])
    return f"(lambda o: ({code}, o))(lib.zeros({osh}, dtype=lib.{odt}))", [x]


GENERATORS = [_scan, _diff, _trapezoid, _cross, _flips, _triangles, _diagonals, _combining,
              _splits, _concatenating, _outs]


def _lib_args(args, lib, grad):
    out = []
    for a in args:
        t = lib.from_numpy(a.copy())
        if grad and t.is_floating_point():
            t.requires_grad_()
        out.append(t)
    return out


def _call(lib, code, args):
    x = args[0] if args else None
    y = args[1] if len(args) > 1 else None
    env = {"lib": lib, "x": x, "y": y, "args": args}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = eval(code, env)
        except Exception as e:  # (compared by type and first line of message)
            res = ("raised", type(e).__name__, str(e).split("\n")[0])
    return res, [str(w.message) for w in caught if "meshgrid" not in str(w.message)]


def _describe(r, lib, grads=False):
    if isinstance(r, lib.Tensor):
        d = r.detach().resolve_conj()
        a = (d.float() if d.dtype == lib.bfloat16 else d).numpy()
        stride = tuple(r.stride()) if r.numel() and not grads else None
        view = None if grads else r._base is not None
        return ("T", str(r.dtype)[6:], tuple(r.shape), stride, view, a.tobytes())
    if isinstance(r, (tuple, list)) and not (r and r[0] == "raised"):
        return tuple(_describe(v, lib, grads) for v in r)
    return r


def _grads(res, ins, lib, seed):
    if not isinstance(res, lib.Tensor) or not res.requires_grad:
        return None
    g = np.asarray(np.random.RandomState(seed).randn(*res.shape))
    leaves = [t for t in ins if t.requires_grad]
    out = lib.autograd.grad(res, leaves, lib.from_numpy(g).to(res.dtype), allow_unused=True)
    # (gradients' strides are not compared: those of real inputs mixed with complex ones are
    # PyTorch's real views of complex gradients)
    return tuple(None if v is None else _describe(v, lib, True) for v in out)


def _differential(seed):
    rng = np.random.RandomState(seed)
    code, args = GENERATORS[seed % len(GENERATORS)](rng)
    results = []
    for lib in (torch, ember):
        ins = _lib_args(args, lib, grad=True)
        res, warned = _call(lib, code, ins)
        results.append((_describe(res, lib), bool(warned), res, ins))
    (dt, wt, rt, it), (de, we, re_, ie) = results
    assert de == dt, f"seed {seed}: {code}"
    assert we == wt, f"seed {seed}: {code} warnings"
    skip_grad = code.startswith("lib.logcumsumexp") or code.startswith("x.logcumsumexp")
    if not skip_grad:  # (logcumsumexp's float32 gradient takes exp's bits: CPU-dependent)
        assert _grads(re_, ie, ember, seed) == _grads(rt, it, torch, seed), \
            f"seed {seed}: {code} gradients"


@pytest.mark.parametrize("block", range(8))
def test_fuzz_slice(block):
    for seed in range(block * 60, block * 60 + 60):
        _differential(seed)


# -- regressions --------------------------------------------------------------------------------

def _same_bits(e, t):
    assert str(e.dtype) == str(t.dtype) and tuple(e.shape) == tuple(t.shape)
    ea, ta = e.detach(), t.detach()
    if ta.dtype == torch.bfloat16:
        ea, ta = ea.float(), ta.float()
    assert ea.numpy().tobytes() == ta.numpy().tobytes()


def test_cross_complex_bits():
    rng = np.random.RandomState(1)
    a = (rng.randn(200, 3) + 1j * rng.randn(200, 3)).astype(np.complex64)
    b = (rng.randn(200, 3) + 1j * rng.randn(200, 3)).astype(np.complex64)
    for dt in ("complex64", "complex128"):
        _same_bits(ember.cross(ember.from_numpy(a).to(getattr(ember, dt)),
                               ember.from_numpy(b).to(getattr(ember, dt)), dim=1),
                   torch.cross(torch.from_numpy(a).to(getattr(torch, dt)),
                               torch.from_numpy(b).to(getattr(torch, dt)), dim=1))


@pytest.mark.parametrize("shape,dim", [((300, 3), 0), ((2, 500), 1), ((1000,), 0)])
def test_logcumsumexp_float64_long_bits(shape, dim):
    rng = np.random.RandomState(sum(shape))
    x, g = rng.randn(*shape) * 3, rng.randn(*shape)
    res = []
    for lib in (torch, ember):
        t = lib.from_numpy(x.copy()).requires_grad_()
        y = lib.logcumsumexp(t, dim)
        y.backward(lib.from_numpy(g.copy()))
        res.append((y, t.grad))
    _same_bits(res[1][0], res[0][0])
    _same_bits(res[1][1], res[0][1])


@pytest.mark.parametrize("fn", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_scans_accumulate_in_float(fn, dt):
    rng = np.random.RandomState(4097)
    v = rng.randn(3000) if fn == "cumsum" else 1 + 0.01 * rng.randn(3000)
    _same_bits(getattr(ember, fn)(ember.from_numpy(v).to(getattr(ember, dt)), 0),
               getattr(torch, fn)(torch.from_numpy(v).to(getattr(torch, dt)), 0))


@pytest.mark.parametrize("fn", ["cumsum", "cumprod"])
@pytest.mark.parametrize("idt,odt", [("float32", "float16"), ("float16", "float32"),
                                     ("float32", "float64"), ("float64", "float32")])
def test_scan_dtype_gradient(fn, idt, odt):
    rng = np.random.RandomState(7)
    x, g = rng.randn(5, 4) * 3, rng.randn(5, 4)
    res = []
    for lib in (torch, ember):
        t = lib.from_numpy(x).to(getattr(lib, idt)).requires_grad_()
        y = getattr(lib, fn)(t, 0, dtype=getattr(lib, odt))
        y.backward(lib.from_numpy(g).to(y.dtype))
        res.append((y, t.grad, y.grad_fn.name()))
    _same_bits(res[1][0], res[0][0])
    _same_bits(res[1][1], res[0][1])
    assert res[1][2] == res[0][2]


def test_cumprod_length_one_gradient_passes_through():
    rng = np.random.RandomState(3)
    x, g = rng.randn(40, 1).astype(np.float32), rng.randn(40, 1).astype(np.float32)
    res = []
    for lib in (torch, ember):
        t = lib.from_numpy(x.copy()).requires_grad_()
        lib.cumprod(t, 1).backward(lib.from_numpy(g.copy()))
        res.append(t.grad)
    _same_bits(res[1], res[0])


@pytest.mark.parametrize("dt", ["float32", "float64", "float16"])
def test_cumprod_zeros_gradient_bits(dt):
    for seed in range(40):
        rng = np.random.RandomState(seed)
        shape = (rng.randint(1, 7), rng.randint(1, 5))
        x = rng.randn(*shape)
        x[rng.rand(*shape) < 0.3] = 0
        x, g = x.astype(dt), rng.randn(*shape).astype(dt)
        for d in (0, 1):
            res = []
            for lib in (torch, ember):
                t = lib.from_numpy(x.copy()).requires_grad_()
                lib.cumprod(t, d).backward(lib.from_numpy(g.copy()))
                res.append(t.grad)
            _same_bits(res[1], res[0])


@pytest.mark.parametrize("fn", ["cummax", "cummin"])
def test_cummax_signed_zero_ties(fn):
    rng = np.random.RandomState(0)
    for dt in ("float32", "float16", "float64"):
        x = rng.choice([0.0, -0.0, 1.0, -1.0, np.nan, np.inf], size=(8, 5)).astype(dt)
        for d in (0, 1):
            e = getattr(ember, fn)(ember.from_numpy(x), d)
            t = getattr(torch, fn)(torch.from_numpy(x), d)
            _same_bits(e.values, t.values)
            _same_bits(e.indices, t.indices)


ERROR_CASES = [
    "lib.cumsum(lib.randn(2, 3, requires_grad=True), 0, out=lib.zeros(2, 3, dtype=lib.long))",
    "lib.cumprod(lib.randn(2, 3, requires_grad=True), 5, out=lib.zeros(2, 3, dtype=lib.long))",
    "lib.diff(lib.randn(2, 3, requires_grad=True), out=lib.zeros(2, 3))",
    "lib.cross(lib.randn(3, 2, requires_grad=True), lib.randn(3, 2), dim=1, "
    "out=lib.zeros(2, 3))",
    "lib.logcumsumexp(lib.arange(3), 0, out=lib.zeros(3))",
    "lib.logcumsumexp(lib.arange(3.), 0, out=lib.zeros(3, dtype=lib.long))",
    "lib.trapezoid(lib.ones(3, dtype=lib.bool), lib.ones(3))",
    "lib.trapezoid(lib.ones(3), lib.ones(3, dtype=lib.bool))",
    "lib.trapezoid(lib.ones(3, dtype=lib.bool), dx=2)",
    "lib.trapezoid(lib.ones(0, dtype=lib.bool))",
    "lib.trapezoid(lib.ones(3, 0), lib.ones(0, dtype=lib.bool))",
    "lib.trapezoid(lib.ones(2, 0, dtype=lib.bool), dim=5)",
    "lib.trapezoid(lib.tensor(True))",
    "lib.cumulative_trapezoid(lib.ones(2, dtype=lib.bool), dim=5)",
    "lib.cumulative_trapezoid(lib.ones(2, dtype=lib.bool), lib.ones(2), dim=5)",
    "lib.cumulative_trapezoid(lib.ones(0, dtype=lib.bool), lib.ones(0))",
]


@pytest.mark.parametrize("code", ERROR_CASES)
def test_errors_and_orders(code):
    out = []
    for lib in (torch, ember):
        try:
            r = eval(code, {"lib": lib})
            out.append(("ok", str(r.dtype)[6:], tuple(r.shape), r.tolist()))
        except Exception as e:
            out.append((type(e).__name__, str(e).split("\n")[0]))
    assert out[1] == out[0]


def test_meshgrid_indexing_warning_once():
    from ember import _warnings

    def count(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.meshgrid(lib.ones(2), lib.ones(3))
            lib.meshgrid(lib.ones(2), lib.ones(3))
        return sum("meshgrid" in str(w.message) for w in caught)
    assert count(torch) <= 1  # (TORCH_WARN_ONCE: at most once a process)
    _warnings._once.discard("meshgrid-indexing")
    assert count(ember) == 1


@pytest.mark.parametrize("dt", ["float16", "bfloat16", "float32"])
def test_logcumsumexp_low_precision_bits(dt):
    # (half types: a float running total with float exp/log1p; float32: a double one)
    v = np.random.RandomState(5).randn(1000) * 3
    _same_bits(ember.logcumsumexp(ember.from_numpy(v).to(getattr(ember, dt)), 0),
               torch.logcumsumexp(torch.from_numpy(v).to(getattr(torch, dt)), 0))


@pytest.mark.parametrize("code", [
    "lib.cat([lib.zeros(0)], 1)", "lib.cat([lib.zeros(0), lib.zeros(0, dtype=lib.long)], -3)",
    "lib.cat([lib.zeros(0), lib.zeros(2, 3)], 2)", "lib.cat([lib.zeros(0), lib.ones(2, 3)], -1)",
    "lib.cat([lib.zeros(0, dtype=lib.int32), lib.ones(2, 3, dtype=lib.uint8)], 0)",
])
def test_cat_legacy_empty(code):
    test_errors_and_orders(code)
