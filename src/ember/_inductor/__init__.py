"""``torch._inductor``: only its ``config`` (ember has no code generator)."""
from . import config  # noqa: F401
