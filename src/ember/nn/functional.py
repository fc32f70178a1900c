"""``ember.nn.functional``: the stateless functions behind the layers (``import ... as F``)."""
from __future__ import annotations

from ._functional.activation import *  # noqa: F401,F403
from ._functional.activation import __all__ as _act
from ._functional.linear import *  # noqa: F401,F403
from ._functional.linear import __all__ as _lin

__all__ = [*_act, *_lin]
