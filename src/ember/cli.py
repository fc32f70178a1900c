"""The ``ember`` command: ``ember demo``, ``ember predict CHECKPOINT IMAGE...`` and
``ember run SCRIPT [ARGS...]``."""
from __future__ import annotations

import argparse
import os
import runpy
import sys


def run_script(path: str, args: list[str]) -> int:
    """Run a PyTorch script unchanged, with ``torch``/``torchvision`` resolved to ember."""
    from . import _compat

    if not os.path.isfile(path):
        print(f"ember run: no such script: {path}", file=sys.stderr)
        return 2
    _compat.install()
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    # NOTE: as ``python script.py`` does, ``__file__`` is absolute and ``sys.argv[0]`` as given
    runpy.run_path(os.path.abspath(path), run_name="__main__")
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
