"""``ember.hub`` (``torch.hub``): models published as a ``hubconf.py``, and downloaded files.

- :func:`load`, :func:`list`, :func:`help`: a repository (a local folder with
  ``source='local'``, or ``"owner/repo[:ref]"`` on GitHub) holds a ``hubconf.py`` whose public
  callables are entry points; ``dependencies = [...]`` in it names modules that must be
  importable.  The file runs as ordinary Python: under ``ember run`` its ``import torch``
  gives ember.
- :func:`download_url_to_file`, :func:`load_state_dict_from_url`: fetch a file (``http(s)://``
  or ``file://``) into the cache, checking a SHA-256 prefix, and read it with
  :func:`ember.load`.
- :func:`get_dir`, :func:`set_dir`: the cache, ``$TORCH_HOME/hub`` (TORCH_HOME defaults to
  ``$XDG_CACHE_HOME/torch``, then ``~/.cache/torch``), shared with PyTorch and torchvision.

GitHub repositories are downloaded once into the cache (``owner_repo_ref``); without a
network, one already there is used, and otherwise :func:`load` says that it is offline.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlparse

from ._warnings import warn as _warn

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load",
           "load_state_dict_from_url", "set_dir"]

HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")  # "resnet18-f37072fd.pth": the digest's start
ENV_GITHUB_TOKEN = "GITHUB_TOKEN"
ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
VAR_DEPENDENCY = "dependencies"
MODULE_HUBCONF = "hubconf.py"
READ_DATA_CHUNK = 128 * 1024
_TRUSTED_REPO_OWNERS = ("facebookresearch", "facebookincubator", "pytorch", "fairinternal")

_hub_dir: str | None = None  # set_dir's folder, ahead of the environment


# -- the cache folder ----------------------------------------------------------------------------

def _get_torch_home() -> str:
    default = os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "torch")
    return os.path.expanduser(os.getenv(ENV_TORCH_HOME, default))


def get_dir() -> str:
    """The hub cache: the folder given to :func:`set_dir`, else ``$TORCH_HOME/hub``."""
    if os.getenv("TORCH_HUB"):
        _warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", UserWarning)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d) -> None:
    """Use folder ``d`` (``~`` expanded) as the hub cache from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


# -- downloading ---------------------------------------------------------------------------------

def _urlopen(url, timeout: float | None = 60.0):
    """Open ``url`` (a string or a ``urllib.request.Request``); tests replace this to stay
    offline."""
    import urllib.request

    if isinstance(url, str):
        url = urllib.request.Request(url, headers={"User-Agent": "torch.hub"})
    return urllib.request.urlopen(url, timeout=timeout)


class _Progress:
    """Percent (or bytes, when the size is unknown) written over itself on stderr."""

    def __init__(self, total, enabled):
        self.total, self.enabled, self.done = total, enabled, 0

    def update(self, n):
        if not self.enabled:
            return
        self.done += n
        text = f"{self.done:.1f} bytes" if self.total is None else \
            f"{100 * self.done / float(self.total):.1f}%"
        sys.stderr.write("\r" + text)
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")


def _fetch(url: str, dst: str, hash_prefix: str | None, progress: bool, opener) -> None:
    """Stream ``url`` into ``dst`` through a uniquely named ``.partial`` file beside it,
    which replaces ``dst`` only once complete and (with ``hash_prefix``) checked."""
    dst = os.path.expanduser(dst)
    for _ in range(tempfile.TMP_MAX):
        tmp = f"{dst}.{uuid.uuid4().hex}.partial"
        try:
            out = open(tmp, "xb")  # noqa: SIM115 (closed in the finally clause)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(errno.EEXIST, "No usable temporary file name found")
    try:
        with opener(url) as response:
            sizes = response.info().get_all("Content-Length")
            total = int(sizes[0]) if sizes else None
            sha = hashlib.sha256() if hash_prefix is not None else None
            bar = _Progress(total, progress)
            try:
                while chunk := response.read(READ_DATA_CHUNK):
                    out.write(chunk)
                    if sha is not None:
                        sha.update(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
        out.close()
        if sha is not None:
            digest = sha.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                   f'"{digest}")')
        shutil.move(tmp, dst)
    finally:
        out.close()
        if os.path.exists(tmp):
            os.remove(tmp)


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    """Download ``url`` to the file ``dst``.

    ``hash_prefix``: the file's SHA-256 hex digest must start with it (``RuntimeError``
    otherwise, and ``dst`` is left alone).  ``progress`` shows a percentage on stderr.
    ``file://`` URLs work as well.
    """
    _fetch(url, dst, hash_prefix, progress, _urlopen)


def _is_legacy_zip_format(filename: str) -> bool:
    """A checkpoint zipped as a single file (PyTorch before 1.6 published some so)."""
    if zipfile.is_zipfile(filename):
        with zipfile.ZipFile(filename) as zf:
            members = zf.infolist()
        return len(members) == 1 and not members[0].is_dir()
    return False


def _legacy_zip_load(filename, model_dir, map_location, weights_only):
    _warn("Falling back to the old format < 1.6. This support will be deprecated in favor of "
          "default zipfile format introduced in 1.6. Please redo torch.save() to save it in "
          "the new zipfile format.", FutureWarning)
    with zipfile.ZipFile(filename) as zf:
        members = zf.infolist()
        if len(members) != 1:
            raise RuntimeError("Only one file(not dir) is allowed in the zipfile")
        _safe_extract_zip(zf, model_dir)
        extracted = os.path.join(model_dir, members[0].filename)
    return _load(extracted, map_location, weights_only)


def _load(path, map_location, weights_only):
    from .serialization import load as ember_load

    return ember_load(path, map_location=map_location, weights_only=weights_only)


def _cached_download(url, model_dir, check_hash, file_name, progress, opener, announce):
    """The path of ``url``'s file in ``model_dir`` (the hub's ``checkpoints`` by default),
    downloaded there first when missing; ``announce`` prints the "Downloading" line."""
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached = os.path.join(model_dir, filename)
    if not os.path.exists(cached):
        announce(f'Downloading: "{url}" to {cached}\n')
        match = HASH_REGEX.search(filename) if check_hash else None
        _fetch(url, cached, match.group(1) if match else None, progress, opener)
    return cached


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None, weights_only: bool = False):
    """The object saved in the file at ``url`` (usually a state dict), read by
    :func:`ember.load` from ``model_dir`` (``<hub dir>/checkpoints`` by default), where it is
    downloaded first if missing.

    ``check_hash``: the file name's ``-<hex>.`` part must start its SHA-256 digest.
    ``file_name`` names the cached file instead of the URL's last part.
    """
    if os.getenv("TORCH_MODEL_ZOO"):
        _warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead", UserWarning)
    cached = _cached_download(url, model_dir, check_hash, file_name, progress, _urlopen,
                              sys.stdout.write)
    if _is_legacy_zip_format(cached):
        return _legacy_zip_load(cached, os.path.dirname(cached), map_location, weights_only)
    return _load(cached, map_location, weights_only)


# -- hubconf.py ----------------------------------------------------------------------------------

@contextlib.contextmanager
def _add_to_sys_path(path):
    sys.path.insert(0, path)
    try:
        yield
    finally:
        sys.path.remove(path)


def _import_module(name, path):
    """Run the file ``path`` as a module called ``name`` (not put in ``sys.modules``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise AssertionError(f"failed to load spec from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hubconf(repo_dir):
    with _add_to_sys_path(repo_dir):
        return _import_module(MODULE_HUBCONF, os.path.join(repo_dir, MODULE_HUBCONF))


def _load_attr_from_module(module, name):
    return getattr(module, name) if name in dir(module) else None


def _check_dependencies(module):
    needed = _load_attr_from_module(module, VAR_DEPENDENCY)
    if needed is not None:
        import importlib.util

        missing = [pkg for pkg in needed if importlib.util.find_spec(pkg) is None]
        if missing:
            raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")


def _load_entry_from_hubconf(module, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    _check_dependencies(module)
    entry = _load_attr_from_module(module, model)
    if entry is None or not callable(entry):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return entry


def list(github, force_reload=False, skip_validation=False, trust_repo="check",
         verbose=True):
    """The entry points of the repository's ``hubconf.py``: its public callables, sorted."""
    repo_dir = _get_cache_or_reload(github, force_reload, trust_repo, verbose=verbose,
                                    skip_validation=skip_validation)
    module = _hubconf(repo_dir)
    return [name for name in dir(module)
            if callable(getattr(module, name)) and not name.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False, trust_repo="check"):
    """The docstring of entry point ``model``."""
    repo_dir = _get_cache_or_reload(github, force_reload, trust_repo, verbose=True,
                                    skip_validation=skip_validation)
    return _load_entry_from_hubconf(_hubconf(repo_dir), model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo="check", force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """``model(*args, **kwargs)``, ``model`` being an entry point of the ``hubconf.py`` in
    ``repo_or_dir``: a folder with ``source='local'``, ``"owner/repo[:ref]"`` on GitHub with
    ``source='github'`` (downloaded into :func:`get_dir` once, after asking whether to trust
    it, as ``trust_repo`` says)."""
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        repo_or_dir = _get_cache_or_reload(repo_or_dir, force_reload, trust_repo,
                                           verbose=verbose, skip_validation=skip_validation)
    return _load_local(repo_or_dir, model, *args, **kwargs)


def _load_local(hubconf_dir, model, *args, **kwargs):
    with _add_to_sys_path(hubconf_dir):
        module = _import_module(MODULE_HUBCONF, os.path.join(hubconf_dir, MODULE_HUBCONF))
        entry = _load_entry_from_hubconf(module, model)
        return entry(*args, **kwargs)


# -- GitHub repositories -------------------------------------------------------------------------

def _git_archive_link(owner, name, ref):
    return f"https://github.com/{owner}/{name}/zipball/{ref}"


def _parse_repo_info(github):
    """``(owner, name, ref)`` of ``"owner/name[:ref]"``; without a ref, ``main`` if GitHub
    has that branch, else ``master`` (offline: whichever the cache holds)."""
    if ":" in github:
        repo_info, ref = github.split(":")
    else:
        repo_info, ref = github, None
    owner, name = repo_info.split("/")
    if ref is None:
        try:
            with _urlopen(f"https://github.com/{owner}/{name}/tree/main/"):
                ref = "main"
        except HTTPError as exc:
            if exc.code != 404:
                raise
            ref = "master"
        except OSError as exc:  # URLError, and timeouts
            for guess in ("main", "master"):
                if os.path.exists(f"{get_dir()}/{owner}_{name}_{guess}"):
                    ref = guess
                    break
            if ref is None:
                raise RuntimeError("It looks like there is no internet connection and the repo "
                                   f"could not be found in the cache ({get_dir()})") from exc
    return owner, name, ref


def _read_url(request):
    with _urlopen(request) as r:
        return r.read().decode(r.headers.get_content_charset("utf-8"))


def _validate_not_a_forked_repo(owner, name, ref):
    """Refuse a ref that is neither a branch, a tag nor a commit prefix of the repo itself
    (a commit of a fork would otherwise be fetched under the original's name)."""
    import urllib.request

    headers = {"Accept": "application/vnd.github.v3+json"}
    token = os.environ.get(ENV_GITHUB_TOKEN)
    if token is not None:
        headers["Authorization"] = f"token {token}"
    for prefix in (f"https://api.github.com/repos/{owner}/{name}/branches",
                   f"https://api.github.com/repos/{owner}/{name}/tags"):
        page = 0
        while True:
            page += 1
            url = f"{prefix}?per_page=100&page={page}"
            try:
                found = json.loads(_read_url(urllib.request.Request(url, headers=headers)))
            except HTTPError:
                headers.pop("Authorization", None)
                found = json.loads(_read_url(urllib.request.Request(url, headers=headers)))
            if not found:
                break
            if any(item["name"] == ref or item["commit"]["sha"].startswith(ref)
                   for item in found):
                return
    raise ValueError(f"Cannot find {ref} in https://github.com/{owner}/{name}. If it's a commit "
                     "from a forked repo, please call hub.load() with forked repo directly.")


def _check_repo_is_trusted(owner, name, owner_name_branch, trust_repo):
    """Ask (``input``) before running code of a repository not trusted yet, as PyTorch does;
    trusted repositories are remembered in ``<hub dir>/trusted_list``."""
    hub_dir = get_dir()
    listing = os.path.join(hub_dir, "trusted_list")
    if not os.path.exists(listing):
        Path(listing).touch()
    with open(listing) as fh:
        trusted = tuple(line.strip() for line in fh)
    cached_repos = next(os.walk(hub_dir))[1]  # a repo already downloaded counts as trusted
    owner_name = f"{owner}_{name}"
    is_trusted = (owner_name in trusted or owner_name_branch in cached_repos
                  or owner in _TRUSTED_REPO_OWNERS)
    if trust_repo is False or (trust_repo == "check" and not is_trusted):
        answer = input(f"The repository {owner_name} does not belong to the list of trusted "
                       "repositories and as such cannot be downloaded. Do you trust this "
                       "repository and wish to add it to the trusted list of repositories "
                       "(y/N)?")
        if answer.lower() in ("y", "yes"):
            if is_trusted:
                print("The repository is already trusted.")
        elif answer.lower() in ("n", "no", ""):
            raise Exception("Untrusted repository.")  # noqa: TRY002 (PyTorch's type)
        else:
            raise ValueError(f"Unrecognized response {answer}.")
    if not is_trusted:
        with open(listing, "a") as fh:
            fh.write(owner_name + "\n")


def _remove_if_exists(path):
    if os.path.isfile(path):
        os.remove(path)
    elif os.path.exists(path):
        shutil.rmtree(path)


def _safe_extract_zip(zf, extract_to):
    """Extract every member of ``zf`` under ``extract_to``, refusing absolute paths and
    ``..`` that would land outside it."""
    root = Path(extract_to).resolve(strict=False)
    for member in zf.infolist():
        name = os.path.normpath(member.filename)
        if name.startswith(("/", "\\")) or (len(name) >= 2 and name[1] == ":"
                                            and name[0].isalpha()):
            raise ValueError(f"Archive entry has absolute path: {member.filename}")
        if ".." in re.split(r"[/\\]", name):
            raise ValueError(f"Archive entry contains directory traversal: {member.filename}")
        if not (root / name).resolve(strict=False).is_relative_to(root):
            raise ValueError(f"Archive entry escapes target directory: {member.filename}")
        zf.extract(member, root)


def _get_cache_or_reload(github, force_reload, trust_repo, verbose=True,
                         skip_validation=False):
    """The folder holding repository ``github`` in the cache, downloaded (zip from GitHub)
    unless already there."""
    hub_dir = get_dir()
    os.makedirs(hub_dir, exist_ok=True)
    owner, name, ref = _parse_repo_info(github)
    branch = ref.replace("/", "_")
    owner_name_branch = "_".join([owner, name, branch])
    repo_dir = os.path.join(hub_dir, owner_name_branch)
    _check_repo_is_trusted(owner, name, owner_name_branch, trust_repo)
    if not force_reload and os.path.exists(repo_dir):
        if verbose:
            sys.stderr.write(f"Using cache found in {repo_dir}\n")
        return repo_dir
    if not skip_validation:
        _validate_not_a_forked_repo(owner, name, ref)
    cached_zip = os.path.join(hub_dir, branch + ".zip")
    _remove_if_exists(cached_zip)
    url = _git_archive_link(owner, name, ref)
    sys.stdout.write(f'Downloading: "{url}" to {cached_zip}\n')
    try:
        download_url_to_file(url, cached_zip, progress=False)
    except HTTPError as exc:
        if exc.code != 300:
            raise
        _warn(f"The ref {ref} is ambiguous. Perhaps it is both a tag and a branch in the repo? "
              "Torchhub will now assume that it's a branch. You can disambiguate tags and "
              "branches by explicitly passing refs/heads/branch_name or refs/tags/tag_name as "
              "the ref. That might require using skip_validation=True.", UserWarning)
        download_url_to_file(_git_archive_link(owner, name, f"refs/heads/{ref}"), cached_zip,
                             progress=False)
    with zipfile.ZipFile(cached_zip) as zf:
        extracted = os.path.join(hub_dir, zf.infolist()[0].filename)
        _remove_if_exists(extracted)
        _safe_extract_zip(zf, hub_dir)
    _remove_if_exists(cached_zip)
    _remove_if_exists(repo_dir)
    shutil.move(extracted, repo_dir)
    return repo_dir

