"""The ``ember`` command: ``ember demo``, ``ember predict CHECKPOINT IMAGE...`` and
``ember run SCRIPT [ARGS...]``."""
from __future__ import annotations

import argparse
import os
import sys
import types


def run_script(path: str, args: list[str]) -> int:
    """Run a PyTorch script unchanged, with ``torch``/``torchvision`` resolved to ember.

    It runs as ``python script.py`` would: as ``__main__``, with an absolute ``__file__``,
    ``sys.argv[0]`` as given, and an uncaught error's traceback starting at the script.
    """
    from . import _compat

    if not os.path.isfile(path):
        print(f"ember run: no such script: {path}", file=sys.stderr)
        return 2
    _compat.install()
    # processes the script spawns (DataLoader workers) import torch from ember._shims
    shims = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_shims")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [shims] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    full = os.path.abspath(path)
    sys.argv = [path, *args]
    # (a spawned child takes the parent's sys.path: the stand-ins come before site-packages)
    sys.path[:0] = [os.path.dirname(full), shims]
    with open(full, "rb") as f:
        # (dont_inherit: this module's ``from __future__ import annotations`` must not turn
        # the script's annotations into strings)
        code = compile(f.read(), full, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__file__ = full
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as e:  # noqa: BLE001 - reported as Python reports it, from the script
        # NOTE: through sys.excepthook (Python's own display, unless the script set one), as
        # an uncaught error is shown: on Python 3.11 only that one adds "Did you mean...?"
        e = e.with_traceback(e.__traceback__.tb_next)
        sys.excepthook(type(e), e, e.__traceback__)
        return 1
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("demo", "predict"):
        from . import demo

        return (demo.demo_main if argv[0] == "demo" else demo.predict_main)(argv[1:])
    if argv and argv[0] == "run":
        # Everything after the script belongs to the script, flags included.
        if len(argv) < 2:
            print("usage: ember run SCRIPT [ARGS...]", file=sys.stderr)
            return 2
        return run_script(argv[1], argv[2:])
    parser = argparse.ArgumentParser(prog="ember", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run an unmodified PyTorch script on ember")
    sub.add_parser("demo", help="train the tutorial's network on FashionMNIST")
    sub.add_parser("predict", help="classify images with a demo checkpoint")
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
