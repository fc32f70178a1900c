"""``torch.quasirandom``: the Sobol low-discrepancy sequence engine.

The points are PyTorch's, bit for bit: the same direction numbers (Joe & Kuo's
D(6) set), the same Gray-code walk through the sequence, and, for scrambled
engines, the same random draws (``randint`` on a generator seeded with ``seed``,
or on the global generator) turned into the same random linear matrix
scramble and digital shift.

Direction numbers: dimension ``d`` (``d >= 2``) uses the ``d - 1``-th primitive
polynomial over GF(2) (ordered by degree, then by value, which ember derives
itself below) and a short list of odd initial numbers ``m_1 .. m_s`` taken from
Joe & Kuo's published table.  ember carries those initial numbers for every
polynomial of degree at most 8, that is dimensions 1 to 53; PyTorch goes up to
21201 with the full table, which ember does not ship.
"""
from __future__ import annotations

import numpy as np

import ember

__all__ = ["SobolEngine"]

_MAXBIT = 30

# Joe & Kuo's initial direction numbers m_1..m_s, one line per dimension from
# the second on, for all primitive polynomials of degree 1 to 8 in their order.
# (The polynomial of each line is not stored: `_primitive_polynomials` finds it.)
_INITIAL = """
1|1 3|1 3 1|1 1 1|1 1 3 3|1 3 5 13|1 1 5 5 17|1 1 5 5 5|1 1 7 11 19|1 1 5 1 1
1 1 1 3 11|1 3 5 5 31|1 3 3 9 7 49|1 1 1 15 21 21|1 3 1 13 27 49|1 1 1 15 7 5
1 3 1 15 13 25|1 1 5 5 19 61|1 3 7 11 23 15 103|1 3 7 13 13 15 69
1 1 3 13 7 35 63|1 3 5 9 1 25 53|1 3 1 13 9 35 107|1 3 1 5 27 61 31
1 1 5 11 19 41 61|1 3 5 3 3 13 69|1 1 7 13 1 19 1|1 3 7 5 13 19 59
1 1 3 9 25 29 41|1 3 5 13 23 1 55|1 3 7 3 13 59 17|1 3 1 3 5 53 69
1 1 5 5 23 33 13|1 1 7 7 1 61 123|1 1 7 9 13 61 49|1 3 3 5 3 55 33
1 3 1 15 31 13 49 245|1 3 5 15 31 59 63 97|1 3 1 11 11 11 77 249
1 3 1 11 27 43 71 9|1 1 7 15 21 11 81 45|1 3 7 3 25 31 65 79
1 3 1 1 19 11 3 205|1 1 5 9 19 21 29 157|1 3 7 11 1 33 89 185
1 3 3 3 15 9 79 71|1 3 7 11 15 39 119 27|1 1 3 1 11 31 97 225
1 1 1 3 23 43 57 177|1 3 7 7 17 17 37 71|1 3 1 5 27 63 123 213
1 1 3 5 11 43 53 133
"""


def _initial_numbers() -> list[list[int]]:
    text = "|".join(_INITIAL.split("\n"))
    return [[int(v) for v in item.split()] for item in text.split("|") if item.strip()]


def _poly_mulmod(a: int, b: int, p: int, deg: int) -> int:
    """a * b modulo p, polynomials over GF(2) held as the bits of an int."""
    out = 0
    while b:
        if b & 1:
            out ^= a
        b >>= 1
        a <<= 1
        if (a >> deg) & 1:
            a ^= p
    return out


def _poly_powmod_x(e: int, p: int, deg: int) -> int:
    """x ** e modulo p."""
    result, base = 1, 2 if deg > 1 else 2 ^ p
    while e:
        if e & 1:
            result = _poly_mulmod(result, base, p, deg)
        base = _poly_mulmod(base, base, p, deg)
        e >>= 1
    return result


def _prime_factors(n: int) -> list[int]:
    out, f = [], 2
    while f * f <= n:
        if n % f == 0:
            out.append(f)
            while n % f == 0:
                n //= f
        f += 1
    if n > 1:
        out.append(n)
    return out


def _primitive_polynomials(count: int) -> list[int]:
    """The first `count` primitive polynomials over GF(2) of degree >= 1, by degree then value.

    A polynomial p of degree s is primitive when x has multiplicative order
    exactly 2**s - 1 modulo p (which also makes p irreducible).
    """
    found: list[int] = []
    deg = 1
    while len(found) < count:
        order = (1 << deg) - 1
        factors = _prime_factors(order)
        for p in range((1 << deg) | 1, 1 << (deg + 1), 2):
            if _poly_powmod_x(order, p, deg) != 1:
                continue
            if all(_poly_powmod_x(order // q, p, deg) != 1 for q in factors):
                found.append(p)
                if len(found) == count:
                    break
        deg += 1
    return found


_SUPPORTED_DIM = len(_initial_numbers()) + 1


def _direction_numbers(dimension: int) -> np.ndarray:
    """The (dimension, 30) int64 table of direction numbers, scaled to 30 bits."""
    state = np.zeros((dimension, _MAXBIT), dtype=np.int64)
    state[0, :] = 1                                   # first coordinate: van der Corput
    polys = _primitive_polynomials(dimension - 1)
    for d, (p, init) in enumerate(zip(polys, _initial_numbers()[:dimension - 1]), start=1):
        s = p.bit_length() - 1
        v = list(init)
        # Bratley & Fox's recurrence over the polynomial's coefficients
        for j in range(s, _MAXBIT):
            new = v[j - s]
            for k in range(s):
                if (p >> (s - 1 - k)) & 1:
                    new ^= v[j - k - 1] << (k + 1)
            v.append(new)
        state[d, :] = v
    return state << np.arange(_MAXBIT - 1, -1, -1, dtype=np.int64)


def _scramble_directions(state: np.ndarray, ltm: np.ndarray) -> np.ndarray:
    """Multiply every direction number by its dimension's random lower-triangular bit matrix.

    Bit ``29 - p`` of a scrambled number is the parity of (row p of the matrix,
    read with column 0 as bit 29) AND (the number).
    """
    ltm = ltm.copy()
    idx = np.arange(_MAXBIT)
    ltm[:, idx, idx] = 1
    bits = (state[:, :, None] >> idx) & 1                 # (dim, j, k): bit k of number j
    rows = ltm[:, :, ::-1]                               # (dim, p, k): bit k of row p
    parity = np.einsum("dpk,djk->djp", rows, bits) & 1
    return (parity << (_MAXBIT - 1 - idx)).sum(-1)


def _rightmost_zero(counts: np.ndarray) -> np.ndarray:
    low = (counts + 1) & -(counts + 1)
    return np.log2(low.astype(np.float64)).astype(np.int64)


def _walk(quasi: np.ndarray, n: int, state: np.ndarray, start: int) -> np.ndarray:
    """The next `n` integer points of the Gray-code walk from `quasi`, one per row."""
    cols = _rightmost_zero(np.arange(start, start + n, dtype=np.int64))
    if cols.size and cols.max() >= _MAXBIT:
        raise RuntimeError(f"SobolEngine: cannot draw more than 2**{_MAXBIT} points")
    steps = state[:, cols].T                             # (n, dim)
    return np.bitwise_xor.accumulate(steps, axis=0) ^ quasi if n else steps


def _to_float(points: np.ndarray, dtype) -> ember.Tensor:
    if dtype not in (ember.float32, ember.float64):
        raise NotImplementedError(f'"_sobol_engine_draw" not implemented for '
                           f"'{_dtype_word(dtype)}'")
    npdt = np.float32 if dtype is ember.float32 else np.float64
    return ember.from_numpy(points.astype(npdt) * npdt(1.0 / (1 << _MAXBIT)))


def _dtype_word(dtype) -> str:
    names = {"float16": "Half", "bfloat16": "BFloat16", "int64": "Long", "int32": "Int",
             "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
             "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
    key = str(dtype).replace("torch.", "")
    return names.get(key, key)


class SobolEngine:
    r"""An engine for (scrambled) Sobol sequences, as ``torch.quasirandom.SobolEngine``.

    Args:
        dimension (int): the dimensionality of the points.
        scramble (bool): apply Owen-style random linear matrix scrambling and a
            random digital shift.  Default: ``False``.
        seed (int, optional): seed of the generator used for scrambling; without
            it the global generator is used.

    ember supports dimensions 1 to 53 (PyTorch: 1 to 21201).
    """

    MAXBIT = _MAXBIT
    MAXDIM = 21201

    def __init__(self, dimension, scramble=False, seed=None):
        if dimension > self.MAXDIM or dimension < 1:
            raise ValueError("Supported range of dimensionality "
                             f"for SobolEngine is [1, {self.MAXDIM}]")
        if dimension > _SUPPORTED_DIM:
            raise NotImplementedError(
                f"ember's SobolEngine supports dimensions 1 to {_SUPPORTED_DIM} (it carries "
                f"Joe & Kuo's direction numbers only that far); got dimension={dimension}. "
                "PyTorch supports up to 21201.")
        self.seed = seed
        self.scramble = scramble
        self.dimension = dimension
        state = _direction_numbers(dimension)
        if not scramble:
            shift = np.zeros(dimension, dtype=np.int64)
        else:
            g = None
            if seed is not None:
                g = ember.Generator()
                g.manual_seed(seed)
            bits = ember.randint(2, (dimension, _MAXBIT), generator=g).numpy()
            shift = bits @ (np.int64(1) << np.arange(_MAXBIT, dtype=np.int64))
            ltm = np.tril(ember.randint(2, (dimension, _MAXBIT, _MAXBIT), generator=g).numpy())
            state = _scramble_directions(state, ltm)
        self.sobolstate = ember.from_numpy(state)
        self.shift = ember.from_numpy(shift)
        self.quasi = self.shift.clone()
        # NOTE: as in PyTorch, the first point is computed once, in the default dtype
        # of construction time, and only converted when drawn (float32 rounding of
        # a scrambled first point survives `draw(dtype=torch.float64)`).
        self._first_point = (self.quasi / 2 ** _MAXBIT).reshape(1, -1)
        self.num_generated = 0

    def _advance(self, n: int, start: int) -> np.ndarray:
        points = _walk(self.quasi.numpy(), n, self.sobolstate.numpy(), start)
        last = points[-1].copy() if n > 0 else self.quasi.numpy().copy()
        self.quasi = ember.from_numpy(last)
        return points

    def draw(self, n=1, out=None, dtype=None):
        """Draw the next `n` points, a ``(n, dimension)`` tensor."""
        if dtype is None:
            dtype = ember.get_default_dtype()
        if self.num_generated == 0:
            if n == 1:
                result = self._first_point.to(dtype)
            else:
                if n < 1:
                    raise RuntimeError(f"Trying to create tensor with negative dimension "
                                       f"{n - 1}: [{n - 1}, {self.dimension}]")
                rest = _to_float(self._advance(n - 1, 0), dtype)
                result = ember.cat((self._first_point.to(dtype), rest), dim=-2)
        else:
            if n < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension "
                                   f"{n}: [{n}, {self.dimension}]")
            result = _to_float(self._advance(n, self.num_generated - 1), dtype)
        self.num_generated += n
        if out is not None:
            out.resize_as_(result).copy_(result)
            return out
        return result

    def draw_base2(self, m, out=None, dtype=None):
        """Draw the next ``2**m`` points; the total drawn must stay a power of two."""
        n = 2 ** m
        total_n = self.num_generated + n
        if not (total_n & (total_n - 1) == 0):
            raise ValueError(
                "The balance properties of Sobol' points require "
                f"n to be a power of 2. {self.num_generated} points have been "
                f"previously generated, then: n={self.num_generated}+2**{m}={total_n}. "
                "If you still want to do this, please use "
                "'SobolEngine.draw()' instead.")
        return self.draw(n=n, out=out, dtype=dtype)

    def reset(self):
        """Go back to the first point."""
        self.quasi.copy_(self.shift)
        self.num_generated = 0
        return self

    def fast_forward(self, n):
        """Skip `n` points, as if drawn and thrown away."""
        if self.num_generated == 0:
            steps = n - 1
            start = 0
        else:
            steps, start = n, self.num_generated - 1
        if steps > 0:
            self._advance(steps, start)
        self.num_generated += n
        return self

    def __repr__(self):
        parts = [f"dimension={self.dimension}"]
        if self.scramble:
            parts.append("scramble=True")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        return f"{type(self).__name__}({', '.join(parts)})"
