"""More of ``torch``'s pointwise math: gamma-family functions, ``logit``, ``sinc``, bit and
float manipulation (``copysign``, ``ldexp``, ``gcd``...)."""
from __future__ import annotations

__all__: list = []
