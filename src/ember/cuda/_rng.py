"""The random stream ember draws from on a GPU itself (dropout masks), one per device.

Why not CuPy's generator: CuPy (over cuRAND) can be seeded but offers no way to read its
position back, so ``torch.cuda.get_rng_state()`` could not be honoured.  ember keeps the
stream itself instead: a counter-based generator, SplitMix64, evaluated on the device with
ordinary array operations.  Value number ``k`` of the stream seeded with ``s`` is
``mix(s + (k + 1) * 0x9E3779B97F4A7C15)`` (mod 2**64; ``mix`` is SplitMix64's finaliser),
so a device's whole state is two integers, the seed and the number of values drawn so far
(``offset``), and setting them back makes the following draws repeat exactly.  This is the
same (seed, offset) layout as PyTorch's 16-byte CUDA state, though PyTorch's numbers come
from Philox and differ.

Every array here belongs to ``xp`` (CuPy, or the test-only simulated device), so the same
seed gives the same masks on any GPU and on the simulation.
"""
from __future__ import annotations

import os

import numpy as np

DEFAULT_SEED = 67280421310721  # the seed a CUDA generator starts from in PyTorch, too
_GOLDEN = 0x9E3779B97F4A7C15
_M1, _M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_MASK = 2**64 - 1


class DeviceStream:
    """The state of one device's stream: ``seed`` and ``offset`` (values drawn so far)."""

    __slots__ = ("seed", "offset")

    def __init__(self, seed=DEFAULT_SEED):
        self.seed, self.offset = seed, 0

    def manual_seed(self, seed) -> None:
        self.seed, self.offset = int(seed) & _MASK, 0

    def reseed(self) -> int:
        """A fresh nondeterministic seed (``torch.cuda.seed()``)."""
        s = int.from_bytes(os.urandom(8), "little") & (2**63 - 1)
        self.manual_seed(s)
        return s

    def get_state(self) -> bytes:
        """16 bytes: the seed and the offset, each a little-endian unsigned 64-bit integer."""
        return self.seed.to_bytes(8, "little") + self.offset.to_bytes(8, "little")

    def set_state(self, raw: bytes) -> None:
        """Load ``get_state()``'s bytes (8 bytes: a seed alone, offset 0, as PyTorch allows)."""
        self.seed = int.from_bytes(raw[:8], "little")
        self.offset = int.from_bytes(raw[8:16], "little") if len(raw) == 16 else 0

    def uniform(self, xp, shape, dtype):
        """An array of ``shape`` on ``xp``'s device, uniform in [0, 1): float64 from 53 bits
        of each value, any other dtype float32 from 24 bits.  Advances the offset."""
        n = 1
        for s in shape:
            n *= int(s)
        u64 = np.uint64
        # position k = offset + i: the stream's counter is seed + (k + 1) * golden
        base = (self.seed + (self.offset + 1) * _GOLDEN) & _MASK
        z = xp.arange(n, dtype=np.uint64)
        z *= u64(_GOLDEN)
        z += u64(base)
        t = z >> u64(30)
        z ^= t
        z *= u64(_M1)
        xp.right_shift(z, u64(27), out=t)
        z ^= t
        z *= u64(_M2)
        xp.right_shift(z, u64(31), out=t)
        z ^= t
        del t  # (in place where it can be: two 8-byte buffers per value at most)
        self.offset = (self.offset + n) & _MASK
        if np.dtype(dtype) == np.float64:
            z >>= u64(11)
            r = z.astype(np.float64)
            r *= 2.0 ** -53
        else:
            z >>= u64(40)
            r = z.astype(np.float32)
            r *= np.float32(2.0 ** -24)
        return r.reshape(tuple(shape))


def reference(seed: int, start: int, n: int) -> np.ndarray:
    """Values ``start .. start + n - 1`` of the stream seeded with ``seed``, as uint64, in
    plain Python integers (for tests: an independent statement of the formula)."""
    out = []
    for k in range(start, start + n):
        z = (seed + (k + 1) * _GOLDEN) & _MASK
        z = ((z ^ (z >> 30)) * _M1) & _MASK
        z = ((z ^ (z >> 27)) * _M2) & _MASK
        out.append(z ^ (z >> 31))
    return np.array(out, dtype=np.uint64)
