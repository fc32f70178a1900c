"""``torch.__config__``: ``show`` describes what ember runs on, ``parallel_info`` lists the
thread counts in PyTorch's layout."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def test_show_names_numpy():
    text = ember.__config__.show()
    assert isinstance(text, str) and text.endswith("\n")
    assert f"NumPy {np.__version__}" in text


def test_parallel_info_lines_as_pytorch():
    before = ember.get_num_threads()
    ember.set_num_threads(torch.get_num_threads())
    try:
        mine = ember.__config__.parallel_info().splitlines()
    finally:
        ember.set_num_threads(before)
    theirs = torch.__config__.parallel_info().splitlines()
    assert mine[:3] == theirs[:3]
    for key in ("std::thread::hardware_concurrency()", "\tOMP_NUM_THREADS",
                "ATen parallel backend"):
        assert [x for x in mine if x.startswith(key)] == [x for x in theirs if x.startswith(key)]
