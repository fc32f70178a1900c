"""ember's ops: forward on the device's array module, plus backward rules."""
from . import _core, convert, creation, index, linalg, pointwise, reduce, shape  # noqa: F401
