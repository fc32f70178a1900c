"""Internals of ``ember.utils.data``, laid out as ``torch.utils.data._utils``
(``collate``, ``fetch``, ``pin_memory``, ``worker``) so that code importing
``torch.utils.data._utils.collate.default_collate_fn_map`` keeps working."""
from . import collate, fetch, pin_memory, worker  # noqa: F401

# How often (seconds) a waiting worker checks that its parent is still alive.
MP_STATUS_CHECK_INTERVAL = 5.0
