"""The fast paths of Sleef's expf and logf (and the small-row softmax, log_softmax and
cross_entropy built on them) give the same bits as the ways they replace (NaN payloads
included), and PyTorch's."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as EF
from ember._ops import _sleef

_SPECIAL = np.float32([0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-45, -1e-45, 1e-39,
                       -1e-39, 1.1754942e-38, 1.1754944e-38, 3.4028235e38, -3.4028235e38,
                       1, -1, 0.75, 1.5, np.nextafter(np.float32(0.75), 0),
                       np.nextafter(np.float32(1.5), 0), np.nextafter(np.float32(1), 0),
                       np.nextafter(np.float32(1), 2), 2, 0.5, 86.9, 87, 87.1, 88.72283,
                       88.73, -87, -87.1, -100, -103.9, -104, -104.1, 100, 100.1, 1e-7, -1e-7])


def _bits(a):
    a = np.ascontiguousarray(a, np.float32)
    b = a.view(np.uint32).copy()
    b[np.isnan(a)] = 0x7FC00000  # (NaN payloads aside)
    return b


def _raw(a):
    return np.ascontiguousarray(a, np.float32).view(np.uint32)


def _mixed(r, n):
    """float32 values of every kind: normal, huge, tiny, subnormal, specials, near 1."""
    kind = r.integers(0, 6, n)
    x = np.empty(n, np.float32)
    k = kind == 0
    x[k] = r.standard_normal(k.sum()) * 5
    k = kind == 1
    x[k] = np.sign(r.standard_normal(k.sum())) * 10.0 ** r.uniform(-45, 38.5, k.sum())
    k = kind == 2
    x[k] = r.integers(0, 2 ** 32, k.sum(), dtype=np.uint64).astype(np.uint32).view(np.float32)
    k = kind == 3
    x[k] = 1 + r.standard_normal(k.sum()) * 10.0 ** r.uniform(-8, 0, k.sum())
    k = kind == 4
    x[k] = r.uniform(-110, 110, k.sum())
    k = kind == 5
    x[k] = r.choice(_SPECIAL, k.sum())
    return x


def _sizes():
    return [*range(0, 40), 63, 64, 65, 100, 127, 640, 1000, 4095, 4096, 4097, 8191, 8192,
            8193, 20000, 32767, 32768, 32769, 70000]


@pytest.mark.parametrize("fn", ["expf", "logf"])
def test_short_paths_match_the_old_ones(fn):
    """>= 10**6 values of every kind through every size, each array at once."""
    new, old = {"expf": (_sleef.expf, _sleef.expf_blocked),
                "logf": (_sleef.logf, _sleef.logf_reference)}[fn]
    r = np.random.default_rng(1)
    count = 0
    with np.errstate(all="ignore"):
        while count < 10 ** 6:
            for n in _sizes():
                x = _mixed(r, n)
                assert np.array_equal(_raw(new(x)), _raw(old(x))), (fn, n)
                count += n
        for n in (64, 640, 3000):  # positive only (log's domain), the short path throughout
            x = np.abs(_mixed(r, n))
            assert np.array_equal(_raw(new(x)), _raw(old(x)))


def test_expf_blocked_is_the_reference():
    r = np.random.default_rng(2)
    x = _mixed(r, 50000)
    with np.errstate(all="ignore"):
        assert np.array_equal(_bits(_sleef.expf(x[:4000])), _bits(_sleef.expf_reference(x[:4000])))
        assert np.array_equal(_bits(_sleef.expf_blocked(x)), _bits(_sleef.expf_reference(x)))


def test_logf_near_one_and_powers_of_two():
    """log's hardest inputs: every float32 within 2**16 ulps of 1 and the first and last
    4096 of each binade."""
    one = np.int64(0x3F800000)
    bits = [np.arange(one - 2 ** 16, one + 2 ** 16)]
    for ex in range(1, 255):
        base = ex << 23
        bits += [np.arange(base, base + 4096), np.arange(base + 2 ** 23 - 4096, base + 2 ** 23)]
    x = np.concatenate(bits).astype(np.uint32).view(np.float32)
    assert np.array_equal(_raw(_sleef.logf(x)), _raw(_sleef.logf_reference(x)))


def test_logf_flagged_values_take_the_reference(monkeypatch):
    """With a margin wide enough to flag most values, the reference fills them in: the
    same bits (the fallback path itself is right)."""
    monkeypatch.setattr(_sleef, "_I64_NEAR", np.int64(0x10000000 - (1 << 27)))
    monkeypatch.setattr(_sleef, "_U64_2MARGIN", np.uint64(1 << 28))
    r = np.random.default_rng(3)
    x = np.abs(_mixed(r, 3000))
    with np.errstate(all="ignore"):
        assert np.array_equal(_raw(_sleef.logf(x)), _raw(_sleef.logf_reference(x)))


def test_logf_margin_is_needed(monkeypatch):
    """W (the float64 estimate) alone, rounded, is not always Sleef's logf: at 0x3F7FFFFE
    (just below 1) it rounds the other way; the screen sends that value to the reference."""
    x = np.array([0x3F7FFFFE, 0x3F800000, 0x3F7FFFFD], np.uint32).view(np.float32)
    m = x.astype(np.float64)  # (these are in [0.75, 1.5): e = 0)
    q0 = (x - np.float32(1)) * (np.float32(1) / (x + np.float32(1)))
    q2 = q0 * q0
    t = _sleef._fma32(q2, _sleef._LOG_POLY[0], _sleef._LOG_POLY[1])
    t = _sleef._fma32(t, q2, _sleef._LOG_POLY[2])
    w = (2 * (m - 1)) / (m + 1) + ((q2 * q0) * t).astype(np.float64)
    ref = _sleef.logf_reference(x)
    assert _bits(w.astype(np.float32))[0] != _bits(ref)[0]
    seen = []
    real = _sleef.logf_reference
    monkeypatch.setattr(_sleef, "logf_reference", lambda v: seen.append(v.size) or real(v))
    assert np.array_equal(_raw(_sleef.logf(x)), _raw(ref))
    assert seen == [1]


@pytest.mark.parametrize("shape", [(0,), (1,), (5,), (3, 4), (2, 3, 5), (7, 1), (1, 33)])
def test_shapes_and_layouts(shape):
    r = np.random.default_rng(5)
    x = _mixed(r, int(np.prod(shape))).reshape(shape)
    xt = x.T if x.ndim > 1 else x[::-1]
    with np.errstate(all="ignore"):
        for a in (x, xt, x.astype(np.float64)):
            e = _sleef.expf(a)
            assert e.shape == np.shape(a) and e.dtype == np.float32
            assert np.array_equal(_raw(e), _raw(_sleef.expf_blocked(a)))
            p = np.abs(a)
            lg = _sleef.logf(p)
            assert lg.shape == np.shape(a) and lg.dtype == np.float32
            assert np.array_equal(_raw(lg), _raw(_sleef.logf_reference(p)))
        assert _sleef.expf(np.float32(1.5)).shape == ()
        assert _raw(_sleef.logf(np.float32(2.5))) == _raw(_sleef.logf_reference(np.float32(2.5)))


def test_expf_warns_nothing(recwarn):
    """The short path enters no errstate on ordinary values and warns on none of them."""
    with np.errstate(all="raise"):
        _sleef.expf(np.float32([-87, 0, 1, 87]))
    with np.errstate(all="warn"):
        _sleef.expf(np.float32([-1e30, np.nan, 1e30, 88.5, -103]))
        _sleef.logf(np.float32([0, -1, np.nan, np.inf, 1e-40, 3]))
    assert not recwarn.list


def test_row_sums_short_rows():
    """Rows shorter than a vector add left to right (``fold_left``), whatever the values."""
    r = np.random.default_rng(6)
    from ember._ops._cascade import fold_left
    for rows in (1, 2, 3, 64, 1000):
        for n in range(1, _sleef.LANES):
            for kind in range(3):
                e = _mixed(r, rows * n).reshape(rows, n)
                if kind == 1:  # sums whose order shows: big and small values mixed
                    e = (r.standard_normal((rows, n)) * 10.0 ** r.integers(-8, 9, (rows, n)))
                    e = e.astype(np.float32)
                elif kind == 2:
                    e = r.choice(np.float32([0, -0.0, 1, -1, 3e38, 1e-45]), (rows, n))
                e[0] = -0.0
                with np.errstate(all="ignore"):
                    got = _sleef.row_sums(e)
                    if n == 1:  # (from the first value: the value itself, -0 kept)
                        first = _sleef.row_sums(e, from_first=True)
                        assert np.array_equal(_bits(first), _bits(e[:, 0])), rows
                    assert np.array_equal(_bits(got), _bits(fold_left(e))), (rows, n)
                    # (fold_left is a cumulative sum: the same, written out)
                    acc = e[:, 0].copy()
                    for j in range(1, n):
                        acc = acc + e[:, j]
                    assert np.array_equal(_bits(got), _bits(acc if n > 1 else e[:, 0] + 0))


def _logits(r, rows, n, kind):
    if kind == 0:
        x = r.standard_normal((rows, n)) * 3
    elif kind == 1:
        x = r.standard_normal((rows, n)) * 60  # exp of -87 and beyond: the errstate path
    else:
        x = r.standard_normal((rows, n))
        x.reshape(-1)[r.choice(x.size, max(1, x.size // 7))] = \
            r.choice([np.inf, -np.inf, np.nan, 1e30, -1e30, 0.0, -0.0], max(1, x.size // 7))
    return x.astype(np.float32)


@pytest.mark.parametrize("rows,n", [(64, 10), (1, 1), (3, 2), (5, 15), (7, 16), (9, 17),
                                    (64, 100), (2, 1000)])
def test_against_torch(rows, n):
    r = np.random.default_rng(rows * 1000 + n)
    for kind in range(3):
        x = _logits(r, rows, n, kind)
        target = r.integers(0, n, rows)
        for name in ("log_softmax", "softmax"):
            xe = ember.tensor(x, requires_grad=True)
            xt = torch.tensor(x, requires_grad=True)
            ye, yt = getattr(EF, name)(xe, 1), getattr(torch.nn.functional, name)(xt, 1)
            assert np.array_equal(_bits(ye.detach().numpy()), _bits(yt.detach().numpy()))
            g = r.standard_normal((rows, n)).astype(np.float32)
            ye.backward(ember.tensor(g))
            yt.backward(torch.tensor(g))
            assert np.array_equal(_bits(xe.grad.numpy()), _bits(xt.grad.numpy())), name
        xe = ember.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        le = EF.cross_entropy(xe, ember.tensor(target))
        lt = torch.nn.functional.cross_entropy(xt, torch.tensor(target))
        assert _bits(le.detach().numpy()) == _bits(lt.detach().numpy())
        le.backward()
        lt.backward()
        assert np.array_equal(_bits(xe.grad.numpy()), _bits(xt.grad.numpy()))


@pytest.mark.parametrize("n", [1, 2, 7, 8, 15, 16, 17, 33])
def test_negative_zero_gradient_rows(n):
    # an upstream gradient of all -0: PyTorch's row sums start from the row's first value
    # (its lanes from the first vector), so they stay -0, and the input gradient is +0
    x = np.random.default_rng(7).standard_normal((3, n)).astype(np.float32)
    g = np.full((3, n), -0.0, np.float32)
    for name in ("log_softmax", "softmax"):
        xe = ember.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        getattr(EF, name)(xe, 1).backward(ember.tensor(g))
        getattr(torch.nn.functional, name)(xt, 1).backward(torch.tensor(g))
        assert np.array_equal(_bits(xe.grad.numpy()), _bits(xt.grad.numpy())), name


@pytest.mark.skipif(not __import__("os").environ.get("EMBER_EXHAUSTIVE"),
                    reason="minutes: set EMBER_EXHAUSTIVE=1 (logf on all 2**31 positive floats)")
def test_logf_exhaustive():
    """logf == logf_reference on every float32 with the sign bit clear (subnormals, +0, +inf
    and NaNs included), and W is within 214 units of Sleef's V on every positive normal one
    (the margin ``_sleef._LOGF_MARGIN`` is 4096): the claim in ``_sleef``'s note."""
    f32, f64 = np.float32, np.float64
    worst = 0.0
    for k in range(512):
        bits = np.arange(k << 22, (k + 1) << 22, dtype=np.int64).astype(np.int32)
        d = bits.view(f32)
        with np.errstate(all="ignore"):
            ref = _sleef.logf_reference(d)
            assert np.array_equal(_sleef.logf(d).view(np.int32), ref.view(np.int32)), k
        d = d[(bits >= 0x00800000) & (bits < 0x7F800000)]
        if not d.size:
            continue
        # Sleef's final pair (h, l), as logf_reference forms it
        m, e = np.frexp(d)
        low = m < f32(0.75)
        m = np.where(low, m * f32(2), m).astype(f32)
        e = np.where(low, e - 1, e).astype(f32)
        with np.errstate(all="ignore"):
            q = _sleef._pair_div(_sleef._two_sum(f32(-1), m), _sleef._two_sum(f32(1), m))
            q2 = q[0] * q[0]
            t = _sleef._fma32(q2, _sleef._LOG_POLY[0], _sleef._LOG_POLY[1])
            t = _sleef._fma32(t, q2, _sleef._LOG_POLY[2])
            hi, lo = _sleef._LN2_PAIR
            head = hi * e
            s = head, _sleef._fma32(e, lo, _sleef._fma32(e, hi, -head))
            h = s[0] + q[0] * f32(2)
            s = h, (((s[0] - h) + q[0] * f32(2)) + s[1]) + q[1] * f32(2)
            tail = (q2 * q[0]) * t
            h = s[0] + tail
            v = h.astype(f64) + ((((s[0] - h) + tail) + s[1])).astype(f64)
            w = ((m - f32(1)) * f32(2)).astype(f64) / (m.astype(f64) + 1)
            w = w + e.astype(f64) * _sleef._LN2_64 + tail.astype(f64)
        nz = w != 0
        worst = max(worst, float((np.abs(v - w)[nz] / np.spacing(np.abs(w[nz]))).max()))
    assert worst <= 214 < _sleef._LOGF_MARGIN


@pytest.mark.skipif(not __import__("os").environ.get("EMBER_EXHAUSTIVE"),
                    reason="minutes: set EMBER_EXHAUSTIVE=1 (expf on all 2**32 floats)")
def test_expf_exhaustive():
    """The short path's arithmetic (elementwise, so any length shows it) == expf_blocked on
    every float32 bit pattern, NaN payloads included."""
    for k in range(1024):
        bits = np.arange(k << 22, (k + 1) << 22, dtype=np.int64).astype(np.uint32)
        d = bits.view(np.float32)
        with np.errstate(all="ignore"):
            got, want = _sleef._expf_block(d), _sleef.expf_blocked(d)
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), k


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_dtype_after_dim_positionally(name):
    # torch.softmax(x, dim, dtype) and x.softmax(dim, dtype) take the dtype positionally,
    # where F.softmax has _stacklevel there
    x = np.random.default_rng(8).standard_normal((3, 5)).astype(np.float32)
    for T in (ember, torch):
        t = T.from_numpy(x.copy())
        outs = (getattr(T, name)(t, 1, T.float64), getattr(t, name)(-1, T.float64),
                getattr(T.nn.functional, name)(t, 1, 3, T.float64))
        assert [o.dtype for o in outs] == [T.float64] * 3
    e = ember.from_numpy(x.copy())
    want = getattr(torch.from_numpy(x.copy()), name)(1, torch.float64).numpy()
    assert np.array_equal(getattr(e, name)(1, ember.float64).numpy(), want)
    for bad in (lambda: getattr(e, name)(1, ember.float64, 3),
                lambda: getattr(ember, name)(e, 1, ember.float64, dtype=ember.float64)):
        with pytest.raises(TypeError):
            bad()
