"""Stand-in ``torch`` and ``torchvision`` packages for processes ``ember run`` starts by
spawning (DataLoader workers under the ``spawn`` or ``forkserver`` start method): ``ember
run`` puts this folder first on ``PYTHONPATH``, so a child that re-imports the script finds
these, which install the import redirect and stand for ember."""
