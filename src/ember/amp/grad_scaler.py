"""``GradScaler``: loss scaling for float16 training.

``scale(loss)`` multiplies the loss by the scale before ``backward``, so that small float16
gradients do not flush to zero; ``step(optimizer)`` divides the gradients back (``unscale_``)
and skips the step when any is inf or NaN; ``update()`` halves the scale after such a step
and doubles it after ``growth_interval`` clean ones.
"""
from __future__ import annotations

import math

import numpy as np
from ember._warnings import warn as _warn

from .._tensor import Tensor


def _f32(x) -> float:
    """``x`` rounded to float32, as PyTorch's scale tensor holds it."""
    return float(np.float32(x))


def _refresh_per_optimizer_state() -> dict:
    """A fresh per-optimizer record (the factory that PyTorch's pickled scaler names)."""
    return {"unscaled": False, "found_inf": False}


# (the attributes that ``__getstate__`` writes in PyTorch's form)
_STATE_KEYS = frozenset(("_device", "_enabled", "_init_scale", "_scale", "_growth_factor",
                         "_backoff_factor", "_growth_interval", "_init_growth_tracker",
                         "_growth_tracker", "_per_optimizer"))


class GradScaler:
    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):
        self._device = device
        if enabled and device == "cuda":
            from .. import cuda
            if not cuda.is_available():
                _warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available. "
                      " Disabling.", UserWarning, stacklevel=2)
                enabled = False
        self._enabled = enabled
        if not enabled:  # (as PyTorch: a disabled scaler keeps no settings; their getters fail)
            return
        if growth_factor <= 1.0:
            raise AssertionError("The growth factor must be > 1.0.")
        if backoff_factor >= 1.0:
            raise AssertionError("The backoff factor must be < 1.0.")
        self._init_scale = init_scale
        self._scale = None  # (a float32 value, as PyTorch's scale tensor, once scale() runs)
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval
        self._growth_tracker = 0
        self._per_optimizer = {}  # id(optimizer) -> {"unscaled": bool, "found_inf": bool}

    def is_enabled(self) -> bool:
        return self._enabled

    def scale(self, outputs):
        """``outputs`` (a tensor or nested tuples/lists of them) times the current scale."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = _f32(self._init_scale)
        if isinstance(outputs, Tensor):
            # (times PyTorch's 0-d float32 scale tensor: a 0-d half or integer loss promotes
            # to float32, a half tensor with dims stays half)
            from .. import _dtype as D
            from .._ops.creation import full
            return outputs * full((), self._scale, dtype=D.float32, device=outputs.device)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _state(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer),
                                              {"unscaled": False, "found_inf": False})

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale (in place), noting any inf/NaN."""
        if not self._enabled:
            return
        if self._scale is None:
            raise AssertionError("Attempted unscale_ but _scale is None.  This may indicate "
                                 "your script did not use scaler.scale(loss or outputs) earlier "
                                 "in the iteration.")
        state = self._state(optimizer)
        if state["unscaled"]:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        inv = 1.0 / self._scale
        # one "all finite" flag per device, combined there: the host reads each device's
        # flag once (a GPU waits once per unscale_, not once per gradient)
        finite = {}
        from ..autograd.grad_mode import no_grad
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if p.grad.dtype.name == "float16":
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    p.grad.mul_(inv)
                    ok = p.grad.isfinite().all()
                    key = str(ok.device)
                    finite[key] = ok if key not in finite else finite[key] & ok
        found = not all(bool(ok) for ok in finite.values())
        state["unscaled"], state["found_inf"] = True, found

    def _unscale_fused(self, optimizer, state) -> None:
        """A ``fused=True`` optimizer's unscaling, as PyTorch's fused kernels take the scale:
        the inf check on the scaled gradients (float16 ones too), then, unless one is inf or
        NaN, each gradient divided by the scale in place (where an inf leaves them scaled)."""
        from ..autograd.grad_mode import no_grad
        grads = [p.grad for group in optimizer.param_groups for p in group["params"]
                 if p.grad is not None]
        with no_grad():
            found = not all(bool(g.isfinite().all()) for g in grads)
            if not found:
                for g in grads:
                    g.div_(self._scale)
        state["unscaled"], state["found_inf"] = True, found

    def step(self, optimizer, *args, **kwargs):
        """Unscale (if not yet done) and step, unless a gradient was inf or NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        if self._scale is None:
            raise AssertionError("Attempted step but _scale is None.  This may indicate your "
                                 "script did not use scaler.scale(loss or outputs) earlier in "
                                 "the iteration.")
        state = self._state(optimizer)
        if not state["unscaled"]:
            if (getattr(optimizer, "defaults", None) or {}).get("fused"):
                self._unscale_fused(optimizer, state)
            else:
                self.unscale_(optimizer)
        if not any(p.grad is not None for g in optimizer.param_groups for p in g["params"]):
            raise AssertionError("No inf checks were recorded for this optimizer.")
        if state["found_inf"]:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        """Adjust the scale: back off after a step with inf/NaN gradients, grow after
        ``growth_interval`` clean steps in a row (or set ``new_scale``)."""
        if not self._enabled:
            return
        if self._scale is None:
            raise AssertionError("Attempted update but _scale is None.  This may indicate your "
                                 "script did not use scaler.scale(loss or outputs) earlier in "
                                 "the iteration.")
        if new_scale is not None:
            if not isinstance(new_scale, float):
                reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                          "torch.FloatTensor with requires_grad=False.")
                if new_scale.device.type != self._device or new_scale.numel() != 1 or \
                        new_scale.requires_grad is True:
                    raise AssertionError(reason)
                new_scale = new_scale.item()
            self._scale = _f32(new_scale)
        else:
            if not self._per_optimizer:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(s["found_inf"] for s in self._per_optimizer.values()):
                self._scale = _f32(self._scale * self._backoff_factor)
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = _f32(self._scale * self._growth_factor)
                    if math.isfinite(grown):
                        self._scale = grown
                    self._growth_tracker = 0
        self._per_optimizer = {}

    def get_scale(self) -> float:
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def _get_growth_tracker(self) -> int:
        return self._growth_tracker if self._enabled else 0

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = new_interval

    def __getstate__(self) -> dict:
        # (PyTorch's pickled form, its attributes' names and order: the scale and growth
        # tracker as values to start from, the per-optimizer states a fresh defaultdict)
        if not self._enabled:
            return self.__dict__.copy()
        if self._per_optimizer:
            raise AssertionError("A GradScaler instance may only be pickled at the beginning "
                                 "of an iteration, or at the end after scaler.update().")
        import collections

        state = {k: v for k, v in self.__dict__.items() if k not in _STATE_KEYS}
        theirs = {"_device": self._device, "_enabled": True, "_init_scale": self.get_scale(),
                  "_scale": None, "_growth_factor": self._growth_factor,
                  "_backoff_factor": self._backoff_factor,
                  "_growth_interval": self._growth_interval,
                  "_init_growth_tracker": self._get_growth_tracker(), "_growth_tracker": None,
                  "_per_optimizer_states": collections.defaultdict(
                      _refresh_per_optimizer_state)}
        return {**theirs, **state}

    def __setstate__(self, state) -> None:
        state = dict(state)
        if state.get("_enabled") and state.get("_growth_tracker", 0) is None:
            state["_growth_tracker"] = int(state.get("_init_growth_tracker", 0))
        if "_per_optimizer_states" in state:
            state["_per_optimizer"] = {}
            del state["_per_optimizer_states"]
        self.__dict__.update(state)

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale = _f32(self._init_scale)
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._growth_tracker = int(state_dict["_growth_tracker"])
