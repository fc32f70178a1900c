"""``hub`` and ``testing.make_tensor`` against PyTorch.

The hub runs a ``hubconf.py`` written into a temporary folder, and downloads from
``file://`` URLs and from a local HTTP server: no test touches the network.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import ember
from localserver import LocalServer
from diff import as_numpy

torch = pytest.importorskip("torch")

BOTH = (ember, torch)

HUBCONF = '''
"""A hub repository for the tests."""
import importlib

dependencies = ["os", "json"]
VERSION = 3  # not callable: no entry point


def linear(lib_name, out_features=3, *, bias=True):
    """A seeded Linear(4, out_features) of library ``lib_name``."""
    lib = importlib.import_module(lib_name)
    lib.manual_seed(0)
    return lib.nn.Linear(4, out_features, bias=bias)


def helper_from_sibling():
    import sibling  # the repo folder is on sys.path while hubconf runs

    return sibling.VALUE


class Net:
    """A class is an entry point too."""


def _private():
    return None
'''


@pytest.fixture
def repo(tmp_path):
    d = tmp_path / "repo"
    d.mkdir()
    (d / "hubconf.py").write_text(HUBCONF)
    (d / "sibling.py").write_text("VALUE = 42\n")
    return str(d)


@pytest.fixture
def hub_env(tmp_path, monkeypatch):
    """A fresh TORCH_HOME for both libraries, no set_dir override, and no network."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TORCH_HUB", raising=False)
    monkeypatch.setattr(ember.hub, "_hub_dir", None)
    monkeypatch.setattr(torch.hub, "_hub_dir", None)

    def offline(url, timeout=None):
        import urllib.error

        target = getattr(url, "full_url", url)
        if not str(target).startswith(("file:", "http://127.0.0.1")):
            raise urllib.error.URLError("network disabled in the tests")
        import urllib.request

        return urllib.request.urlopen(url, timeout=timeout)

    monkeypatch.setattr(ember.hub, "_urlopen", offline)
    return tmp_path


# -- the cache folder ----------------------------------------------------------------------------

@pytest.mark.parametrize("env", [{}, {"TORCH_HOME": "~/th"}, {"XDG_CACHE_HOME": "/x/cache"},
                                 {"TORCH_HOME": "/t", "XDG_CACHE_HOME": "/x"}])
def test_get_dir_follows_the_environment(env, monkeypatch):
    for var in ("TORCH_HOME", "XDG_CACHE_HOME", "TORCH_HUB"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setattr(ember.hub, "_hub_dir", None)
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    assert ember.hub.get_dir() == torch.hub.get_dir()
    ember.hub.set_dir("~/elsewhere")
    torch.hub.set_dir("~/elsewhere")
    assert ember.hub.get_dir() == torch.hub.get_dir() == os.path.expanduser("~/elsewhere")
    from ember.vision.models import _api

    assert _api.get_dir() == ember.hub.get_dir()  # torchvision's cache is the hub's


def test_torch_hub_variable_warns(monkeypatch):
    monkeypatch.setenv("TORCH_HUB", "/old")
    monkeypatch.setattr(ember.hub, "_hub_dir", None)
    with pytest.warns(UserWarning, match="TORCH_HUB is deprecated, please use env TORCH_HOME"):
        ember.hub.get_dir()


# -- hubconf.py: list, help, load ------------------------------------------------------------------

def test_local_list_help_load(repo, hub_env):
    got = ember.hub.load(repo, "linear", "ember", 5, source="local", bias=False)
    want = torch.hub.load(repo, "linear", "torch", 5, source="local", bias=False)
    assert repr(got) == repr(want)
    np.testing.assert_array_equal(as_numpy(got.weight), as_numpy(want.weight))
    assert ember.hub.load(repo, "helper_from_sibling", source="LOCAL") == 42
    assert repo not in sys.path
    assert "hubconf.py" not in sys.modules and "hubconf" not in sys.modules


def test_local_errors_match_pytorch(repo, hub_env, tmp_path):
    def both(fn):
        got = []
        for lib in BOTH:
            with pytest.raises(Exception) as info:
                fn(lib)
            got.append((type(info.value).__name__, str(info.value)))
        assert got[0] == got[1]
        return got[0]

    assert both(lambda lib: lib.hub.load(repo, "nope", source="local")) == (
        "RuntimeError", "Cannot find callable nope in hubconf")
    assert both(lambda lib: lib.hub.load(repo, "VERSION", source="local")) == (
        "RuntimeError", "Cannot find callable VERSION in hubconf")
    assert both(lambda lib: lib.hub.load(repo, 3, source="local")) == (
        "ValueError", "Invalid input: model should be a string of function name")
    assert both(lambda lib: lib.hub.load(repo, "linear", source="svn")) == (
        "ValueError", 'Unknown source: "svn". Allowed values: "github" | "local".')
    (tmp_path / "repo" / "hubconf.py").write_text(
        HUBCONF.replace('["os", "json"]', '["os", "no_such_pkg_a", "no_such_pkg_b"]'))
    assert both(lambda lib: lib.hub.load(repo, "linear", "x", source="local")) == (
        "RuntimeError", "Missing dependencies: no_such_pkg_a, no_such_pkg_b")


def test_github_offline_is_a_clear_error(hub_env):
    with pytest.raises(RuntimeError) as info:
        ember.hub.load("someone/somerepo", "model")
    hub_dir = str(hub_env / "home" / "hub")
    assert str(info.value) == ("It looks like there is no internet connection and the repo "
                               f"could not be found in the cache ({hub_dir})")
    with pytest.raises(RuntimeError, match="no internet connection"):
        ember.hub.list("someone/somerepo")


def test_github_repo_from_the_cache_offline(hub_env, capsys):
    hub_dir = hub_env / "home" / "hub"
    cached = hub_dir / "someone_somerepo_master"
    cached.mkdir(parents=True)
    (cached / "hubconf.py").write_text(HUBCONF)
    (cached / "sibling.py").write_text("VALUE = 7\n")
    model = ember.hub.load("someone/somerepo", "linear", "ember")  # ref found in the cache
    assert isinstance(model, ember.nn.Linear)
    assert f"Using cache found in {cached}" in capsys.readouterr().err
    assert ember.hub.list("someone/somerepo:master") == ["Net", "helper_from_sibling",
                                                          "linear"]
    assert ember.hub.help("someone/somerepo:master", "linear") == \
        "A seeded Linear(4, out_features) of library ``lib_name``."
    assert (hub_dir / "trusted_list").read_text() == ""  # a cached repo counts as trusted


def test_list_matches_pytorch_on_a_cached_repo(hub_env):
    cached = hub_env / "home" / "hub" / "pytorch_fakerepo_main"
    cached.mkdir(parents=True)
    (cached / "hubconf.py").write_text(HUBCONF)
    (cached / "sibling.py").write_text("VALUE = 7\n")
    assert ember.hub.list("pytorch/fakerepo:main") == \
        torch.hub.list("pytorch/fakerepo:main", skip_validation=True)


def test_untrusted_repo_asks(hub_env, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    cached = hub_env / "home" / "hub"
    cached.mkdir(parents=True)
    with pytest.raises(Exception, match="Untrusted repository."):
        ember.hub.load("someone/other:main", "x", trust_repo=False)


def test_hubconf_written_for_pytorch_under_ember_run(tmp_path):
    d = tmp_path / "r"
    d.mkdir()
    (d / "hubconf.py").write_text(textwrap.dedent('''
        dependencies = ["torch"]
        import torch


        def tiny(n=3):
            """A Linear."""
            torch.manual_seed(1)
            return torch.nn.Linear(2, n)
    '''))
    script = tmp_path / "s.py"
    script.write_text(textwrap.dedent(f'''
        import torch
        m = torch.hub.load({str(d)!r}, "tiny", source="local", n=4)
        print(m, m.weight)
        print(torch.hub.get_dir().endswith("hub"))
    '''))
    run = ("import sys, runpy, ember._compat as c; c.install(); "
           "runpy.run_path(sys.argv[1], run_name='__main__')")
    env = dict(os.environ, TORCH_HOME=str(tmp_path / "home"))
    outs = [subprocess.run([sys.executable, *args, str(script)], capture_output=True,
                           text=True, env=env, timeout=120) for args in ([], ["-c", run])]
    for p in outs:
        assert p.returncode == 0, p.stderr
    assert outs[0].stdout == outs[1].stdout


# -- downloads -------------------------------------------------------------------------------------

@pytest.fixture
def checkpoint(tmp_path):
    """A state dict saved by PyTorch, its bytes and its SHA-256."""
    torch.manual_seed(0)
    sd = torch.nn.Linear(3, 2).state_dict()
    path = tmp_path / "src" / "lin.pth"
    path.parent.mkdir()
    torch.save(sd, path)
    data = path.read_bytes()
    return sd, data, hashlib.sha256(data).hexdigest()


@pytest.fixture
def server(checkpoint, monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _, data, sha = checkpoint
    s = LocalServer({"/models/lin.pth": data, f"/models/lin-{sha[:8]}.pth": data,
                 "/models/bad-0000beef.pth": data})
    yield s
    s.close()


def test_download_url_to_file_file_url(checkpoint, tmp_path):
    _, data, sha = checkpoint
    url = (tmp_path / "src" / "lin.pth").as_uri()
    dst = tmp_path / "copy.pth"
    ember.hub.download_url_to_file(url, str(dst), hash_prefix=sha[:10], progress=False)
    assert dst.read_bytes() == data
    with pytest.raises(RuntimeError) as info:
        ember.hub.download_url_to_file(url, str(tmp_path / "x.pth"), hash_prefix="abc")
    with pytest.raises(RuntimeError) as want:
        torch.hub.download_url_to_file(url, str(tmp_path / "y.pth"), hash_prefix="abc",
                                       progress=False)
    assert str(info.value) == str(want.value)
    assert sorted(os.listdir(tmp_path)) == ["copy.pth", "src"]  # no partial files left


def test_download_progress_on_stderr(checkpoint, tmp_path, capsys):
    url = (tmp_path / "src" / "lin.pth").as_uri()
    ember.hub.download_url_to_file(url, str(tmp_path / "p.pth"))
    err = capsys.readouterr().err
    assert err.endswith("100.0%\n")


def test_load_state_dict_from_url_http(server, checkpoint, tmp_path, hub_env, capsys):
    sd, _, sha = checkpoint
    url = server.url + f"models/lin-{sha[:8]}.pth"
    got = ember.hub.load_state_dict_from_url(url, progress=False, check_hash=True)
    cached = hub_env / "home" / "hub" / "checkpoints" / f"lin-{sha[:8]}.pth"
    assert capsys.readouterr().out == f'Downloading: "{url}" to {cached}\n'
    assert list(got) == list(sd)
    for k in sd:
        np.testing.assert_array_equal(as_numpy(got[k]), sd[k].numpy())
    # cached now: no second download
    server.files.clear()
    again = ember.hub.load_state_dict_from_url(url, progress=False, check_hash=True)
    assert list(again) == list(sd) and capsys.readouterr().out == ""
    # file_name and model_dir
    server.files["/models/lin.pth"] = cached.read_bytes()
    ember.hub.load_state_dict_from_url(server.url + "models/lin.pth", model_dir=str(tmp_path / "m"),
                                       file_name="other.pth", progress=False)
    assert (tmp_path / "m" / "other.pth").exists()


def test_load_state_dict_from_url_bad_hash(server, hub_env):
    url = server.url + "models/bad-0000beef.pth"
    with pytest.raises(RuntimeError, match='invalid hash value \\(expected "0000beef"'):
        ember.hub.load_state_dict_from_url(url, check_hash=True, progress=False)
    assert not os.path.exists(os.path.join(ember.hub.get_dir(), "checkpoints",
                                           "bad-0000beef.pth"))


def test_load_state_dict_from_url_file_url_matches_pytorch(checkpoint, tmp_path, hub_env,
                                                           capsys):
    url = (tmp_path / "src" / "lin.pth").as_uri()
    got = ember.hub.load_state_dict_from_url(url, model_dir=str(tmp_path / "e"), progress=False)
    out_e = capsys.readouterr().out
    want = torch.hub.load_state_dict_from_url(url, model_dir=str(tmp_path / "t"),
                                              progress=False)
    out_t = capsys.readouterr().out
    assert out_e.replace(str(tmp_path / "e"), "D") == out_t.replace(str(tmp_path / "t"), "D")
    for k in want:
        np.testing.assert_array_equal(as_numpy(got[k]), want[k].numpy())


def test_legacy_zip_checkpoint(tmp_path, checkpoint):
    import zipfile

    sd, data, _ = checkpoint
    inner = tmp_path / "inner.pth"
    inner.write_bytes(data)
    zpath = tmp_path / "src" / "zipped.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.write(inner, "weights.pth")
    with pytest.warns(FutureWarning, match="Falling back to the old format < 1.6"):
        got = ember.hub.load_state_dict_from_url(zpath.as_uri(), model_dir=str(tmp_path / "m"),
                                                 progress=False)
    assert list(got) == list(sd)


def test_safe_extract_refuses_traversal(tmp_path):
    import zipfile

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../evil.txt", "x")
    with zipfile.ZipFile(bad) as zf, pytest.raises(ValueError, match="directory traversal"):
        ember.hub._safe_extract_zip(zf, tmp_path / "out")


# -- testing.make_tensor ---------------------------------------------------------------------------

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [{}, {"low": -3, "high": 4.5}, {"low": 0.5, "high": 2},
                                {"noncontiguous": True}, {"exclude_zero": True, "low": -2,
                                                          "high": 2}, {"high": 3}])
def test_make_tensor_draws_pytorchs_values(dtype, kw):
    if dtype == "bool" and kw.get("low", 0) not in (0, None):
        kw = {k: v for k, v in kw.items() if k not in ("low", "high")}
    out = []
    for lib in BOTH:
        lib.manual_seed(7)
        t = lib.testing.make_tensor((3, 5), dtype=getattr(lib, dtype), device="cpu", **kw)
        out.append((as_numpy(t), str(t.dtype).replace("ember", "torch"), t.is_contiguous(),
                    t.stride(), t.requires_grad))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    assert out[0][1:] == out[1][1:]


def test_make_tensor_options():
    for lib in BOTH:
        lib.manual_seed(0)
    e = ember.testing.make_tensor(2, 3, 4, 5, dtype=ember.float32, device="cpu",
                                  memory_format=ember.channels_last, requires_grad=True)
    t = torch.testing.make_tensor(2, 3, 4, 5, dtype=torch.float32, device="cpu",
                                  memory_format=torch.channels_last, requires_grad=True)
    assert e.stride() == t.stride() and e.requires_grad and e.is_leaf
    np.testing.assert_array_equal(as_numpy(e), as_numpy(t))
    e = ember.testing.make_tensor([4], dtype=ember.float64, device="cpu", low=-1e308, high=1e308)
    t = torch.testing.make_tensor([4], dtype=torch.float64, device="cpu", low=-1e308, high=1e308)
    np.testing.assert_array_equal(as_numpy(e), as_numpy(t))
    assert ember.testing.make_tensor(1, dtype=ember.float32, device="cpu",
                                     noncontiguous=True).is_contiguous()
    assert ember.testing.make_tensor((), dtype=ember.int64, device="cpu").shape == ()


def test_make_tensor_errors_and_warning():
    for bad in [dict(low=float("nan")), dict(low=3, high=1), dict(low=300, high=400,
                                                                  dtype="uint8"),
                dict(noncontiguous=True, memory_format="channels_last"),
                dict(requires_grad=True, dtype="int32")]:
        got = []
        for lib in BOTH:
            kw = dict(dtype=lib.float32, device="cpu")
            kw.update({k: getattr(lib, v) if k in ("dtype", "memory_format") else v
                       for k, v in bad.items()})
            with pytest.raises(ValueError) as info:
                lib.testing.make_tensor(2, 2, 2, 2, **kw)
            got.append(str(info.value))
        assert got[0] == got[1]
    for lib in BOTH:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            t = lib.testing.make_tensor(2, dtype=lib.float32, device="cpu", low=1, high=1)
        assert as_numpy(t).tolist() == [1.0, 1.0]
        assert rec[0].category is FutureWarning and rec[0].filename == __file__
        assert "Passing `low==high` to `torch.testing.make_tensor`" in str(rec[0].message)
