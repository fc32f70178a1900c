"""Downloading and unpacking dataset files, with torchvision's function names.

Downloads go through :mod:`urllib` only; every file with a known checksum is
checked (MD5, as torchvision does) before it is used.  Nothing here prints a
progress bar (torchvision uses tqdm; ember does not depend on it).
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import pathlib
import shutil
import tarfile
import zipfile

USER_AGENT = "ember/vision"

__all__ = ["calculate_md5", "check_md5", "check_integrity", "download_url", "extract_archive",
           "download_and_extract_archive", "verify_str_arg"]


def _urlopen(url: str, timeout: float = 30.0):
    """One place that opens URLs."""
    import urllib.request  # NOTE: imported on first use; it pulls in ssl and email

    return urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": USER_AGENT}),
                                  timeout=timeout)


def _urlretrieve(url: str, filename) -> None:
    """Stream ``url`` into ``filename`` through a temporary file (no half files left behind),
    as ``torch.hub`` downloads."""
    from ... import hub

    hub._fetch(url, os.fspath(filename), None, False, _urlopen)


def calculate_md5(fpath, chunk_size: int = 1 << 20) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5: str, **kwargs) -> bool:
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5: str | None = None) -> bool:
    """``True`` when ``fpath`` is a file and, if ``md5`` is given, has that checksum."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def download_url(url: str, root, filename=None, md5: str | None = None,
                 max_redirect_hops: int = 3) -> None:
    """Download ``url`` into ``root/filename`` unless a file with checksum ``md5`` is there.

    Raises ``urllib.error.URLError`` (or ``OSError``) when the server cannot be
    reached, and ``RuntimeError("File not found or corrupted.")`` when what
    arrived does not have the expected MD5 (the bad file is removed).
    ``max_redirect_hops`` is accepted for torchvision's signature; urllib
    follows redirects itself.
    """
    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    _urlretrieve(url, fpath)
    if not check_integrity(fpath, md5):
        os.remove(fpath)
        raise RuntimeError("File not found or corrupted.")


_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_ALIASES = {".tgz": (".tar", ".gz"), ".tbz": (".tar", ".bz2"), ".tbz2": (".tar", ".bz2")}


def _detect_file_type(file) -> tuple[str, str | None, str | None]:
    """``(suffix, archive type, compression)`` of ``file`` from its name."""
    suffixes = pathlib.Path(file).suffixes
    if not suffixes:
        raise RuntimeError(f"File '{file}' has no suffixes that could be used to detect the "
                           "archive type and compression.")
    suffix = suffixes[-1]
    if suffix in _ALIASES:
        return (suffix, *_ALIASES[suffix])
    if suffix in (".tar", ".zip"):
        return suffix, suffix, None
    if suffix in _COMPRESSED:
        if len(suffixes) > 1 and suffixes[-2] in (".tar", ".zip"):
            return suffixes[-2] + suffix, suffixes[-2], suffix
        return suffix, None, suffix
    valid = sorted({*_ALIASES, ".tar", ".zip", *_COMPRESSED})
    raise RuntimeError(f"Unknown compression or archive type: '{suffix}'.\n"
                       f"Known suffixes are: '{valid}'.")


def _decompress(from_path, to_path, remove_finished: bool = False) -> str:
    _, _, compression = _detect_file_type(from_path)
    tmp = os.fspath(to_path) + ".part"
    with _COMPRESSED[compression](from_path, "rb") as rfh, open(tmp, "wb") as wfh:
        shutil.copyfileobj(rfh, wfh, 1 << 20)
    os.replace(tmp, to_path)
    if remove_finished:
        os.remove(from_path)
    return os.fspath(to_path)


def extract_archive(from_path, to_path=None, remove_finished: bool = False):
    """Unpack a ``.tar(.gz|.bz2|.xz)``/``.zip`` archive, or decompress one ``.gz|.bz2|.xz`` file.

    Returns the directory extracted into (or, for a single compressed file, the
    decompressed file's path), as torchvision does.
    """
    if to_path is None:
        to_path = os.path.dirname(from_path)
    suffix, archive, compression = _detect_file_type(from_path)
    if archive is None:
        name = os.path.basename(from_path)
        return _decompress(from_path, os.path.join(to_path, name[: -len(suffix)]),
                           remove_finished)
    if archive == ".tar":
        with tarfile.open(from_path, f"r:{compression[1:]}" if compression else "r") as tar:
            if hasattr(tarfile, "data_filter"):  # refuse absolute paths and links out of to_path
                tar.extractall(to_path, filter="data")
            else:  # pragma: no cover - Python without PEP 706
                tar.extractall(to_path)
    else:
        with zipfile.ZipFile(from_path) as zf:
            zf.extractall(to_path)
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url: str, download_root, extract_root=None, filename=None,
                                 md5: str | None = None, remove_finished: bool = False) -> None:
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    extract_archive(os.path.join(download_root, filename), extract_root, remove_finished)


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    if not isinstance(value, str):
        where = "" if arg is None else f" for argument {arg}"
        raise ValueError(f"Expected type str{where}, but got type {type(value)}.")
    if valid_values is None or value in valid_values:
        return value
    if custom_msg is not None:
        raise ValueError(custom_msg)
    vals = "'" + "', '".join(str(v) for v in valid_values) + "'"
    raise ValueError(f"Unknown value '{value}' for argument {arg}. Valid values are {{{vals}}}.")
