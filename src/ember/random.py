"""Random number generation: ``Generator``, ``manual_seed`` and the RNG state.

The numbers come from ``_random.CPUGenerator``, which reproduces PyTorch's
CPU generator (MT19937) draw for draw.
"""
from __future__ import annotations

import contextlib

import numpy as np

from . import _random
from ._ctype import CTypeName
from ._device import device as Device

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "default_generator", "fork_rng"]


# PyTorch's words for generators of devices without a backend here
_NO_GENERATOR = {  # (other device types: "<TYPE> device type not an accelerator.")
    "mps": "Cannot execute getNewGenerator() without MPS backend.",
    "mtia": "Cannot execute getNewGenerator() without MTIA backend.",
    "hip": "Backend doesn`t support getNewGenerator()",
    "hpu": "Backend doesn`t support getNewGenerator()",
    "xpu": "Cannot get XPU generator without ATen_xpu library.",
    "privateuseone": "Please register PrivateUse1HooksInterface by "
                     "`RegisterPrivateUse1HooksInterface` first.",
    "xla": "Cannot get XLA generator without torch_xla library. This error has occurred because "
           "you are trying to use some XLA functionality, but the XLA library has not been "
           "loaded by the dynamic linker. You must load xla libraries by `import torch_xla`"}
_NO_CUDA_GENERATOR = (
    "Cannot get CUDA generator without ATen_cuda library. PyTorch splits its backend into two "
    "shared libraries: a CPU library and a CUDA library; this error has occurred because you "
    "are trying to use some CUDA functionality, but the CUDA library has not been loaded by "
    "the dynamic linker for some reason.  The CUDA library MUST be loaded, EVEN IF you don't "
    "directly use any symbols from the CUDA library! One common culprit is a lack of "
    "-Wl,--no-as-needed in your link arguments; many dynamic linkers will delete dynamic "
    "library dependencies if you don't depend on any of their symbols.  You can check if this "
    "has occurred by using ldd on your binary to see if there is a dependency on *_cuda.so "
    "library.")


class Generator(metaclass=CTypeName):
    """A random number generator, as ``torch.Generator``; pass it as ``generator=``."""

    _c_name = "torch._C.Generator"

    def __init__(self, device="cpu"):
        self.device = Device(device)
        if self.device.type == "cuda":
            # NOTE: a GPU's generator here is a stream of ember's CPU generator of its own (a
            # seed gives the same numbers on every device; PyTorch's Philox gives others),
            # whose draws go onto the GPU, as the default stream's do (see ember.cuda)
            from ._device import _get_cupy, no_cuda

            if _get_cupy() is None:  # (PyTorch's CPU build's words)
                raise no_cuda(RuntimeError, _NO_CUDA_GENERATOR)
            if self.device.index is None:
                from . import cuda

                self.device = Device("cuda", cuda.current_device())
        elif self.device.type != "cpu":
            raise RuntimeError(_NO_GENERATOR.get(
                self.device.type, f"{self.device.type.upper()} device type not an accelerator."))
        self._core = _random.CPUGenerator()

    def manual_seed(self, seed):
        # (a Generator's seed must be a Python int, as PyTorch's: not a tensor, nor a NumPy
        # number; torch.manual_seed takes int(seed))
        if isinstance(seed, np.integer):  # (PyTorch's unpacking of an unsigned long long)
            raise TypeError("an integer is required")
        if isinstance(seed, np.generic):
            raise RuntimeError(f"manual_seed expected a long, but got numpy."
                               f"{type(seed).__name__}")
        self._core.manual_seed(seed)
        return self

    def seed(self):
        return self._core.seed()

    def initial_seed(self):
        return self._core.initial_seed()

    def get_state(self):
        from ._ops._core import wrap

        return wrap(np.asarray(self._core.get_state(), dtype=np.uint8).copy())

    def set_state(self, new_state):
        from ._tensor import Tensor

        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype.name != "uint8":
            raise TypeError("RNG state must be a torch.ByteTensor")
        if not new_state.is_contiguous():
            raise RuntimeError("RNG state must be contiguous")
        self._core.set_state(new_state.numpy(force=True))
        return self

    def clone_state(self):
        """A new generator of the same device, in this one's state (seed included)."""
        g = Generator.__new__(Generator)
        g.device = self.device
        g._core = self._core.clone()
        return g

    def graphsafe_get_state(self):  # (for CUDA graphs: a CPU generator has none)
        raise NotImplementedError("graphsafe_get_state is not supported in this Generator")

    def graphsafe_set_state(self, state):
        raise NotImplementedError("graphsafe_set_state is not supported in this Generator")

    def __repr__(self):
        return f"<torch._C.Generator object at {id(self):#x}>"

    def __reduce__(self):
        # PyTorch's form: Generator(device), then __setstate__((seed, offset, state tensor))
        # (a CPU generator has no offset), so that PyTorch and ember load each other's
        return type(self), (self.device,), (self.initial_seed(), None, self.get_state())

    def __setstate__(self, st):
        if isinstance(st, dict):  # (the form of earlier ember versions)
            self.device = Device(st["device"])
            self._core = _random.CPUGenerator()
            self._core.set_state(np.asarray(st["state"], dtype=np.uint8))
            return
        seed, _offset, state = st
        self.manual_seed(seed)
        self.set_state(state)


def _as_seed(seed):
    # NOTE: torch.manual_seed takes int(seed): 1.5, True, "3" and tensor([3]) are seeds, and a
    # tensor of two elements gets int()'s ValueError
    return int(seed)


default_generator = Generator.__new__(Generator)
default_generator.device = Device("cpu")
default_generator._core = _random.default_generator


def manual_seed(seed):
    """Seed the default generator (and every CUDA device's, when there are any)."""
    seed = _as_seed(seed)
    default_generator.manual_seed(seed)
    from . import cuda

    cuda._seed_all_quietly(seed)
    return default_generator


def seed():
    s = default_generator.seed()
    from . import cuda

    cuda._seed_all_quietly(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


_fork_rng_warned = [False]


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type=None):
    """Restore the CPU generator's state on exit, and those of the GPUs ``devices`` (every
    GPU when not given) of ``device_type`` (the accelerator's, else CUDA)."""
    if device_type == "meta":
        yield
        return
    if device_type is None:
        from .accelerator import current_accelerator

        acc = current_accelerator()
        device_type = "cuda" if acc is None else acc.type
    from ._ops.compat_api import get_device_module

    mod = get_device_module(device_type)
    if not enabled:
        yield
        return
    kind = Device(device_type).type.upper()
    if devices is None:
        count = mod.device_count()
        if count > 1 and not _fork_rng_warned[0]:
            from ._warnings import warn

            warn(f"{kind} reports that you have {count} available devices, and you have used "
                 f"{_caller} without explicitly specifying which devices are being used. For "
                 f"safety, we initialize *every* {kind} device by default, which can be quite "
                 f"slow if you have a lot of {kind}s. If you know that you are only making use "
                 f"of a few {kind} devices, set the environment variable {kind}_VISIBLE_DEVICES "
                 f"or the '{_devices_kw}' keyword argument of {_caller} with the set of devices "
                 "you are actually using. For example, if you are using CPU only, set "
                 "device.upper()_VISIBLE_DEVICES= or devices=[]; if you are using device 0 "
                 f"only, set {kind}_VISIBLE_DEVICES=0 or devices=[0].  To initialize all "
                 f"devices and suppress this warning, set the '{_devices_kw}' keyword argument "
                 f"to `range(torch.{Device(device_type).type}.device_count())`.", UserWarning,
                 stacklevel=3)
            _fork_rng_warned[0] = True
        devices = list(range(count))
    else:
        devices = list(devices)
    cpu_state = get_rng_state()
    device_states = [mod.get_rng_state(d) for d in devices]
    try:
        yield
    finally:
        set_rng_state(cpu_state)
        for d, state in zip(devices, device_states):
            mod.set_rng_state(state, d)
