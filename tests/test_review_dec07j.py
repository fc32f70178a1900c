"""Review of the writes through overlapping views (ember._ops._overlap): the paths the day's
tests left out -- a common dtype other than the written tensor's (PyTorch then computes into a
temporary, every element reading the old values), the op's own refusals (a result dtype that
cannot be cast back, a broadcast that does not fit) and the writes autograd records (their
values in PyTorch's loop order too)."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _run(lib, code):
    ns = {"t": lib}
    try:
        exec(code, ns)
    except Exception as e:  # noqa: BLE001 - the outcome compared
        return "err", type(e).__name__, str(e).split("\n")[0]
    return "ok", [np.array(v.tolist()) for v in ns["r"]], [str(v.dtype).split(".")[-1]
                                                           for v in ns["r"]]


def _compare(cases):
    bad = []
    for code in cases:
        want, got = _run(torch, code), _run(ember, code)
        if want[0] != got[0] or want[1:] != got[1:] if want[0] == "err" else \
                got[0] != "ok" or want[2] != got[2] or \
                not all(a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
                        for a, b in zip(want[1], got[1])):
            bad.append((code, want, got))
    assert not bad, "\n".join(f"{c}\n  torch: {w}\n  ember: {g}" for c, w, g in bad[:5])


def test_common_dtype_other_than_written():
    cases = []
    for dt, other in (("float16", "float32"), ("bfloat16", "float32"), ("float32", "float64"),
                      ("int32", "int64"), ("float16", "float16")):
        pre = f"x = t.zeros(8, dtype=t.{dt}); o = t.arange(1, 4).to(t.{other})\n"
        cases += [
            pre + "x.as_strided((3, 3), (1, 1)).add_(o); r = [x]",
            pre + "x.as_strided((3, 3), (2, 1)).sub_(o, alpha=2); r = [x]",
            pre + "x.as_strided((3, 3), (1, 1)).mul_(o).add_(o); r = [x]",
            pre + "x.as_strided((3, 3), (1, 1)).clamp_(min=o); r = [x]",
            pre + "x += 1; x[2::2].add_(x[:-2:2]).add_(o[:3]); r = [x]",
            pre + "x += 1; t.add(x[:-2:2], o[:1], out=x[2::2]); r = [x]",
            pre + "x += 1; t.maximum(x[:-2:2] + 0, o[:1], out=x[2::2]); r = [x]",
            pre + "x += 1; x[2::2].addcmul_(x[:-2:2], o[:1]); r = [x]",
        ]
        if dt.startswith(("float", "bfloat")):
            cases += [pre + "x += 1; x.as_strided((3, 3), (1, 1)).lerp_(o.to(x.dtype), 0.5); "
                            "r = [x]",
                      pre + "x += 1; x.as_strided((3, 3), (1, 1)).hypot_(o); r = [x]"]
    _compare(cases)


def test_refusals_on_the_ordered_path():
    cases = []
    for dt in ("int64", "int32", "bool", "uint8"):
        pre = f"x = t.arange(1, 13).to(t.{dt}); v = x.as_strided((4, 3), (2, 1))\n"
        cases += [pre + f"v.{op}; r = [x]" for op in
                  ("exp_()", "sqrt_()", "sigmoid_()", "sin_()", "mul_(1.5)", "div_(2)",
                   "add_(v.float())", "lgamma_()", "sinc_()", "clamp_(1.5, 4)", "add_(1)")]
    pre = "x = t.arange(1., 13); v = x.as_strided((4, 3), (2, 1))\n"
    cases += [pre + f"v.{op}; r = [x]" for op in
              ("lerp_(t.ones(5, 3), 0.5)", "lerp_(v, t.ones(5, 3))", "clamp_(min=t.ones(5, 3))",
               "addcmul_(t.ones(5, 3), v)", "addcdiv_(v, t.ones(2, 4, 3))",
               "hypot_(t.ones(5, 3))", "xlogy_(t.ones(5, 3))", "pow_(t.ones(5, 3))",
               "add_(t.ones(2, 4, 3))", "copy_(t.ones(5, 3))", "atan2_(t.ones(4, 4))")]
    _compare(cases)


def test_recorded_writes_in_loop_order():
    pre = ("x = t.arange(1., 13, requires_grad=True); y = x * 1\n"
           "w = t.linspace(0.1, 0.9, 12, requires_grad=True)\n")
    post = "; (y * t.arange(12.)).sum().backward(); r = [y, x.grad]"
    writes = [
        "y.as_strided((4, 3), (2, 1)).add_(1)", "y.as_strided((4, 3), (2, 1)).mul_(2)",
        "y.as_strided((4, 3), (2, 1)).exp_()", "y.as_strided((4, 3), (2, 1)).sigmoid_()",
        "y.as_strided((4, 3), (2, 1)).pow_(2)", "y.as_strided((4, 3), (2, 1)).sinc_()",
        "y.as_strided((4, 3), (2, 1)).lgamma_()", "y.as_strided((4, 3), (2, 1)).add_(w[:3])",
        "y.as_strided((4, 3), (2, 1)).mul_(w[:3])",
        "y.as_strided((4, 3), (2, 1)).lerp_(w[:3], .25)",
        "y[2::2].lerp_(y[:-2:2], w[:5])", "y[2::2].addcmul_(y[:-2:2], w[:5])",
        "y[2::2].addcdiv_(y[:-2:2], w[:5] + 1)", "y[2::2].xlogy_(y[:-2:2])",
        "y[2::2].hypot_(y[:-2:2])", "y[2::2].mul_(y[:-2:2])", "y[2::2].sub_(y[:-2:2], alpha=3)",
        "y[2::2].div_(y[:-2:2] + 1)", "y[2::2].clamp_(min=y[:-2:2])", "y[2::2].atan2_(y[:-2:2])",
        "y[2::2].copy_(y[:-2:2])",
        "y.as_strided((4, 3), (2, 1)).copy_(y.as_strided((4, 3), (1, 2)))",
        "y.as_strided((4, 3), (2, 1)).copy_(w[:3])", "y[2::2] = y[:-2:2]",
        "y.as_strided((4, 3), (2, 1)).add_(w.as_strided((4, 3), (2, 1)))",
        "y.half().as_strided((4, 3), (2, 1)).add_(w.as_strided((4, 3), (2, 1)))",
        "y.as_strided((4, 3), (2, 1)).add_(w.double().as_strided((4, 3), (2, 1)))",
    ]
    _compare([pre + s + post for s in writes])
    # the tangent's own grads: the out-of-place formulas, as PyTorch's
    _compare([pre + s + "; (y * t.arange(12.)).sum().backward(); r = [w.grad]" for s in
              ("y.as_strided((4, 3), (2, 1)).mul_(w[:3].double())",
               "y[2::2].lerp_(y[:-2:2], w[:5].double())")])


def test_fft_conj_results_into_out_of_another_dtype():
    # ``ifft`` of a real signal and ``ihfft`` end in ``conj_physical_out``: no cast into ``out``
    cases = []
    for f in ("fft", "ifft", "rfft", "ihfft", "hfft", "irfft", "ihfft2", "fft2"):
        for xd, od in (("float64", "complex64"), ("float32", "complex128"),
                       ("complex128", "complex64"), ("float32", "complex64"),
                       ("float64", "float32"), ("float32", "float32")):
            cases.append(f"x = t.arange(12.).reshape(3, 4).to(t.{xd})\n"
                         f"o = t.empty(0, dtype=t.{od}); r = [t.fft.{f}(x, out=o)]")
    _compare(cases)
