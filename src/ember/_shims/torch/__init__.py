"""``torch`` in a process that ``ember run`` spawned: ember (see ``ember._shims``)."""
import sys

import ember
from ember import _compat

_compat.install()
sys.modules[__name__] = ember
