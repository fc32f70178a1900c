"""All layer classes, re-exported by ``ember.nn``."""
from .activation import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .module import Module  # noqa: F401
