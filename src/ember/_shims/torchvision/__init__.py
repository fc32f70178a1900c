"""``torchvision`` in a process that ``ember run`` spawned: ember.vision (see
``ember._shims``)."""
import sys

import ember.vision
from ember import _compat

_compat.install()
sys.modules[__name__] = ember.vision
