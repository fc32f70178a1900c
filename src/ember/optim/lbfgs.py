"""``LBFGS``: limited-memory BFGS, a quasi-Newton method driven by a closure.

Each ``step(closure)`` runs up to ``max_iter`` iterations.  An iteration turns the
gradient into a search direction with the two-loop recursion over the last
``history_size`` pairs (s = step taken, y = change of gradient), then moves along it:
by a fixed step (``lr``), or by a step that a strong-Wolfe line search picks.

The arithmetic is PyTorch's, operation for operation: vectors are flat float tensors,
the scalars it derives from them (``y.s``, ``1/y.s``, the two-loop coefficients, the
initial Hessian scale) stay 0-d tensors in the parameters' dtype, and losses are
Python floats.  The state (under the first parameter) has PyTorch's keys, so a state
dict moves between the two libraries.
"""
from __future__ import annotations

from .._ops import creation
from .._ops import shape as S
from .._ops.complex import view_as_real
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad
from . import _functional as F
from .optimizer import Optimizer, check_lr, compressed, scalar

__all__ = ["LBFGS"]


def _value(x):
    """A step length or coefficient as a Python number (a 0-d tensor gives its value)."""
    return x.item() if isinstance(x, Tensor) else x


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through ``(x1, f1)`` and ``(x2, f2)`` with slopes ``g1``
    and ``g2``, clipped to ``bounds`` (default: between the two points); their midpoint
    when the cubic has no minimum."""
    if bounds is None:
        bounds = (x1, x2) if x1 <= x2 else (x2, x1)
    lo, hi = bounds
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 ** 2 - g1 * g2
    if not disc >= 0:
        return (lo + hi) / 2.0
    d2 = disc.sqrt()
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, lo), hi)


class _Bracket:
    """Two trial points of the line search: step, loss, gradient and slope of each."""

    def __init__(self, *points):
        self.t = [p[0] for p in points]
        self.f = [p[1] for p in points]
        self.g = [p[2] for p in points]
        self.gtd = [p[3] for p in points]

    def set(self, i, point):
        self.t[i], self.f[i], self.g[i], self.gtd[i] = point

    def get(self, i):
        return self.t[i], self.f[i], self.g[i], self.gtd[i]


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """A step length ``t`` along ``d`` meeting the strong Wolfe conditions (sufficient
    decrease with ``c1``, small slope with ``c2``): first widen the step until a bracket
    holds a minimum, then narrow the bracket by cubic interpolation (as in minFunc).

    ``evaluate(t)`` gives the loss and flat gradient at ``x + t*d``.  Returns the loss,
    gradient and step of the best point, and how many evaluations were made.
    """
    d_norm = d.abs().max()
    g = g.clone()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = g_new.dot(d)
    prev = (0, f, g, gtd)
    found = False
    bracket = None
    it = 0
    # -- phase 1: grow the step until the minimum is bracketed (or the conditions hold)
    while it < max_ls:
        if f_new > (f + c1 * t * gtd) or (it > 1 and f_new >= prev[1]):
            bracket = _Bracket(prev, (t, f_new, g_new.clone(), gtd_new))
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = _Bracket((t, f_new, g_new, gtd_new))
            found = True
            break
        if gtd_new >= 0:
            bracket = _Bracket(prev, (t, f_new, g_new.clone(), gtd_new))
            break
        # extrapolate: somewhere between 1.01 and 10 times further
        t_next = _cubic_minimum(prev[0], prev[1], prev[3], t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - prev[0]), t * 10))
        prev = (t, f_new, g_new.clone(), gtd_new)
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        it += 1
    if it == max_ls:
        bracket = _Bracket((0, f, g, None), (t, f_new, g_new, None))

    # -- phase 2: zoom into the bracket
    stalled = False
    low, high = (0, 1) if bracket.f[0] <= bracket.f[-1] else (1, 0)
    while not found and it < max_ls:
        ts = bracket.t
        if abs(ts[1] - ts[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(ts[0], bracket.f[0], bracket.gtd[0], ts[1], bracket.f[1],
                           bracket.gtd[1])
        # keep away from the ends of the bracket, where progress is slow
        top, bottom = max(ts), min(ts)
        margin = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < margin:
            if stalled or t >= top or t <= bottom:
                t = top - margin if abs(t - top) < abs(t - bottom) else bottom + margin
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        it += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket.f[low]:
            bracket.set(high, (t, f_new, g_new.clone(), gtd_new))
            low, high = (0, 1) if bracket.f[0] <= bracket.f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                found = True
            elif gtd_new * (bracket.t[high] - bracket.t[low]) >= 0:
                bracket.set(high, bracket.get(low))
            bracket.set(low, (t, f_new, g_new.clone(), gtd_new))
    return bracket.f[low], bracket.g[low], bracket.t[low], evals


class LBFGS(Optimizer):
    """L-BFGS, as ``torch.optim.LBFGS``: one parameter group, and ``step`` needs a closure
    that clears the gradients, computes the loss, calls ``backward`` and returns the loss.

    ``max_eval`` (default ``max_iter * 5 // 4``) caps the closure calls per step;
    ``tolerance_grad`` and ``tolerance_change`` end a step early; ``line_search_fn`` is
    None (fixed steps) or ``'strong_wolfe'``.

    >>> opt = ember.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss
    >>> opt.step(closure)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    # -- the parameters as one flat vector ----------------------------------------------------
    # NOTE: as in PyTorch, a complex parameter takes part as its real and imaginary parts
    # (two real entries of the flat vector each), so the line search compares real numbers.
    def _numel(self):
        if self._numel_cache is None:
            self._numel_cache = sum(p.numel() * (2 if p.dtype.is_complex else 1)
                                    for p in self._params)
        return self._numel_cache

    def _flat_grad(self):
        parts = []
        for p in self._params:
            if p.grad is None:
                n = p.numel() * (2 if p.dtype.is_complex else 1)
                dt = p.dtype.to_real() if p.dtype.is_complex else p.dtype
                parts.append(creation.zeros(n, dtype=dt, device=p.device))
            elif p.grad.dtype.is_complex:
                parts.append(view_as_real(p.grad.reshape(-1)).reshape(-1))
            elif compressed(p.grad):  # (PyTorch's ``view(-1)``: a compressed one's error)
                parts.append(p.grad.view(-1))
            else:
                parts.append(p.grad.reshape(-1))
        return S.cat(parts, 0)

    def _move(self, t, d):
        """``params += t * d`` (``d`` flat)."""
        alpha = _value(t)
        offset = 0
        for p in self._params:
            a = p._data
            if p.dtype.is_complex:  # (real, imaginary) pairs of the flat vector
                step = d._data[offset:offset + 2 * a.size].reshape(a.shape + (2,))
                F.add_(a.real, step[..., 0], alpha)
                F.add_(a.imag, step[..., 1], alpha)
                offset += 2 * a.size
            else:
                F.add_(a, d._data[offset:offset + a.size].reshape(a.shape), alpha)
                offset += a.size
            p._vc.v += 1

    def _snapshot(self):
        return [p.clone() for p in self._params]

    def _restore(self, saved):
        for p, value in zip(self._params, saved):
            p.copy_(value)

    def _evaluate_at(self, closure, x, t, d):
        """Loss and flat gradient at ``x + t*d``; the parameters go back to ``x`` after."""
        self._move(t, d)
        loss = float(closure())
        grad = self._flat_grad()
        self._restore(x)
        return loss, grad

    # -- the step -----------------------------------------------------------------------------
    def step(self, closure):
        """Run up to ``max_iter`` iterations; returns the loss the first closure call gave."""
        if len(self.param_groups) != 1:  # (a group added by ``add_param_group``)
            raise AssertionError("Expected exactly one param_group, but got "
                                 f"{len(self.param_groups)}")
        with no_grad():
            return self._step(closure)

    def _step(self, closure):
        group = self.param_groups[0]
        lr = scalar(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        line_search, history = group["line_search_fn"], group["history_size"]

        def call():
            with enable_grad():
                return closure()

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        first_loss = call()
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if flat_grad.abs().max() <= tol_grad:  # already optimal
            return first_loss

        d, t = state.get("d"), state.get("t")
        dirs, steps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag = state.get("H_diag")
        prev_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # -- the search direction
            if state["n_iter"] == 1:
                d = flat_grad.neg()
                dirs, steps, ro = [], [], []
                h_diag = 1
            else:
                y = flat_grad.sub(prev_grad)
                s = d.mul(t)
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair only where the curvature is positive
                    if len(dirs) == history:
                        dirs.pop(0)
                        steps.pop(0)
                        ro.pop(0)
                    dirs.append(y)
                    steps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                d = self._two_loop(state, flat_grad, dirs, steps, ro, h_diag, history)
            if prev_grad is None:
                prev_grad = flat_grad.clone()
            else:
                prev_grad.copy_(flat_grad)
            prev_loss = loss
            # -- the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tol_change:  # not a descent direction
                break
            ls_evals = 0
            if line_search is not None:
                if line_search != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x0 = self._snapshot()
                loss, flat_grad, t, ls_evals = _strong_wolfe(
                    lambda step: self._evaluate_at(call, x0, step, d), t, d, loss, flat_grad,
                    gtd, max_ls=max_eval - evals)
                self._move(t, d)
                optimal = flat_grad.abs().max() <= tol_grad
            else:
                self._move(t, d)
                optimal = False
                if n_iter != max_iter:  # the last iteration's loss is left to the next step
                    loss = float(call())
                    flat_grad = self._flat_grad()
                    optimal = flat_grad.abs().max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals
            # -- stop?
            if n_iter == max_iter or evals >= max_eval or optimal:
                break
            if d.mul(t).abs().max() <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break

        state["d"], state["t"] = d, t
        state["old_dirs"], state["old_stps"], state["ro"] = dirs, steps, ro
        state["H_diag"] = h_diag
        state["prev_flat_grad"], state["prev_loss"] = prev_grad, prev_loss
        return first_loss

    @staticmethod
    def _two_loop(state, flat_grad, dirs, steps, ro, h_diag, history):
        """``-H @ grad`` for the inverse-Hessian estimate H the stored pairs define."""
        if "al" not in state:
            state["al"] = [None] * history
        al = state["al"]
        q = flat_grad.neg()
        for i in range(len(dirs) - 1, -1, -1):
            al[i] = steps[i].dot(q) * ro[i]
            F.add_(q._data, dirs[i]._data, -al[i].item())
        r = q * h_diag
        for i in range(len(dirs)):
            be_i = dirs[i].dot(r) * ro[i]
            F.add_(r._data, steps[i]._data, (al[i] - be_i).item())
        return r
