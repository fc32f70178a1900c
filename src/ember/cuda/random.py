"""``torch.cuda.random``: the generator functions of :mod:`ember.cuda`, under their module's
name (``torch.cuda.random.manual_seed(0)`` is ``torch.cuda.manual_seed(0)``)."""
from . import (get_rng_state, get_rng_state_all, initial_seed, manual_seed,  # noqa: F401
               manual_seed_all, seed, seed_all, set_rng_state, set_rng_state_all)

__all__ = ["get_rng_state", "get_rng_state_all", "set_rng_state", "set_rng_state_all",
           "manual_seed", "manual_seed_all", "seed", "seed_all", "initial_seed"]
