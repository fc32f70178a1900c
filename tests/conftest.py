import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

# Many tests start fresh interpreters (scripts under `ember run`, spawned workers, ...), and each
# imports ember.  Where the environment turns bytecode files off (PYTHONDONTWRITEBYTECODE), each
# of them compiled ember's sources again (~0.8 s of CPU apiece).  This process and its children
# share a bytecode cache in a temporary folder instead (never in the source tree), so ember is
# compiled once per session.
if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
    import atexit
    import shutil
    import tempfile

    _PYC = tempfile.mkdtemp(prefix="ember-tests-pyc-")
    atexit.register(shutil.rmtree, _PYC, True)
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = _PYC
    sys.pycache_prefix = _PYC
    sys.dont_write_bytecode = False

try:  # the generated cases are the same on every run, so that CI never fails by chance;
    # HYPOTHESIS_PROFILE=explore draws new ones
    from hypothesis import settings

    settings.register_profile("fixed", derandomize=True)
    settings.register_profile("explore", derandomize=False)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fixed"))
except ImportError:  # pragma: no cover
    pass


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Each test starts from PyTorch's defaults in both libraries.

    A hook rather than an autouse fixture: pytest's fixture machinery (set-up, finaliser,
    teardown) cost more than the resets themselves, for each of the suite's ~50k tests.
    A wrapper, so that it runs after the test's own fixtures are torn down, even where one
    of their finalisers raises.
    """
    try:
        return (yield)
    finally:
        ember = sys.modules.get("ember")
        if ember is not None:
            ember.set_default_dtype(ember.float32)
            ember.set_printoptions(profile="default")
            ember.set_grad_enabled(True)
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.set_default_dtype(torch.float32)
            torch.set_printoptions(profile="default")
            torch.set_grad_enabled(True)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
