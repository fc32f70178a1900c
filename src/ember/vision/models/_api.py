"""Pretrained-weight descriptions (``WeightsEnum``) and loading them from the torch hub cache.

Checkpoints are PyTorch's own ``.pth`` files, read by ``ember.load``.  They are
looked for where torchvision keeps them, ``$TORCH_HOME/hub/checkpoints``
(``~/.cache/torch/hub/checkpoints`` by default), so a file torchvision already
downloaded is used as is.  A missing file is downloaded from its URL and its
SHA-256 checked against the hash prefix in its name, as ``torch.hub`` does.
"""
from __future__ import annotations

import functools
import inspect
import os
import sys
import urllib.error
from ember._warnings import warn as _warn
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable

from ... import hub as _hub
from ...hub import get_dir

__all__ = ["Weights", "WeightsEnum", "get_dir", "load_state_dict_from_url"]

_HASH_REGEX = _hub.HASH_REGEX


@dataclass(eq=False)
class Weights:
    """Where a checkpoint lives (``url``), the preprocessing it expects, and facts about it."""

    url: str
    transforms: Callable
    meta: dict[str, Any] = field(default_factory=dict)


class WeightsEnum(Enum):
    """Base of ``VGG16_Weights``, ``ResNet18_Weights``...; ``DEFAULT`` is the recommended one."""

    @classmethod
    def verify(cls, obj):
        """``None``, a member, or its name (``"DEFAULT"``, ``"ResNet18_Weights.IMAGENET1K_V1"``)."""
        if obj is None or isinstance(obj, cls):
            return obj
        if type(obj) is str:
            # (an unknown name: the enum's own KeyError, as in torchvision)
            return cls[obj.replace(cls.__name__ + ".", "")]
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                        f"{type(obj).__name__}.")

    def get_state_dict(self, *args, **kwargs):
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self._name_}"

    def __str__(self) -> str:
        return repr(self)

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self) -> dict[str, Any]:
        return self.value.meta


# -- the hub cache ------------------------------------------------------------------------------

# get_dir and the download itself are ember.hub's (torch.hub's), shared with it.

def _urlopen(url, timeout: float = 60.0):
    """ember.hub's opener, looked up here at each download (tests replace it to stay
    offline)."""
    return _hub._urlopen(url, timeout)


class URLError(urllib.error.URLError, RuntimeError):
    """No network and no cached weights file: torchvision lets the ``URLError`` through
    (an ``OSError``); ember's says which file to put where, and is a RuntimeError too."""

    def __init__(self, reason, message):
        super().__init__(reason)
        self.message = message

    def __str__(self):
        return self.message


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None, weights_only: bool = True):
    """The checkpoint at ``url``, from ``model_dir`` (the hub cache) or downloaded into it.

    Without a network and without the file, raises ``RuntimeError`` naming the file
    and the folder to put it in.  ``progress`` is accepted and ignored.
    """
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    filename = file_name or os.path.basename(url.split("?")[0])
    cached = os.path.join(model_dir, filename)
    if not os.path.exists(cached):
        os.makedirs(model_dir, exist_ok=True)
        match = _HASH_REGEX.search(filename) if check_hash else None
        sys.stderr.write(f'Downloading: "{url}" to {cached}\n')

        try:
            _hub._fetch(url, cached, match.group(1) if match else None, False, _urlopen)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise URLError(getattr(exc, "reason", exc),
                f"The pretrained weights file {filename} is not in {model_dir} and could not "
                f"be downloaded from {url} ({exc}). Without a network, copy {filename} (the "
                "same file torchvision uses) into that folder, or point TORCH_HOME at a "
                "folder whose hub/checkpoints holds it.") from exc
    import ember

    load = getattr(ember, "load", None)
    if load is None:
        raise RuntimeError(f"Reading {cached} needs ember.load, which this build of ember "
                           "lacks.")
    return load(cached, map_location=map_location or "cpu", weights_only=weights_only)


# -- builders' helpers ---------------------------------------------------------------------------

def _ovewrite_named_param(kwargs: dict, param: str, new_value) -> None:
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _sequence_to_str(seq) -> str:
    """``'a'``, ``'a' and 'b'``, ``'a', 'b', and 'c'`` (torchvision's wording)."""
    if len(seq) == 1:
        return f"'{seq[0]}'"
    head = "'" + "', '".join(seq[:-1]) + "'"
    return head + ("" if len(seq) == 2 else ",") + f" and '{seq[-1]}'"


def handle_legacy_interface(default_weights):
    """Let a builder take torchvision's pre-0.13 ``pretrained=`` (keyword or first positional).

    ``pretrained=True`` means ``weights=default_weights`` and ``False`` means
    ``weights=None``; both warn as torchvision does.
    """

    def wrap(builder):
        params = inspect.signature(builder).parameters
        keyword_only = [name for name, p in params.items() if p.kind is p.KEYWORD_ONLY]

        @functools.wraps(builder)
        def inner(*args, **kwargs):
            if args:  # torchvision maps positionals onto the keyword-only parameters
                if len(args) > len(keyword_only):
                    raise TypeError(f"{builder.__name__}() takes {len(keyword_only)} positional "
                                    f"arguments but {len(args)} were given")
                names = _sequence_to_str(keyword_only[:len(args)])
                _warn(f"Using {names} as positional parameter(s) is deprecated since "
                      "0.13 and may be removed in the future. Please use keyword "
                      "parameter(s) instead.", stacklevel=2)
                kwargs.update(zip(keyword_only, args))
            # as torchvision: new-style ``weights`` (an enum, a name, None) win, and a
            # ``pretrained`` next to them goes on to the builder (which rejects it)
            sentinel = object()
            weights = kwargs.get("weights", sentinel)
            if (("weights" not in kwargs and "pretrained" not in kwargs)
                    or isinstance(weights, WeightsEnum) or weights is None
                    or (isinstance(weights, str) and weights != "legacy")):
                return builder(**kwargs)
            if weights is not sentinel:  # pretrained given in the weights' place
                pretrained = kwargs["pretrained"] = kwargs.pop("weights")
            else:
                pretrained = kwargs["pretrained"]
            new = None
            if pretrained:
                new = default_weights(kwargs) if callable(default_weights) else default_weights
                if not isinstance(new, WeightsEnum):
                    raise ValueError(f"No weights available for model {inner.__name__}")
            if weights is sentinel:
                _warn("The parameter 'pretrained' is deprecated since 0.13 and may be "
                      "removed in the future, please use 'weights' instead.",
                      stacklevel=2)
            del kwargs["pretrained"]
            msg = ("Arguments other than a weight enum or `None` for 'weights' are deprecated "
                   "since 0.13 and may be removed in the future. The current behavior is "
                   f"equivalent to passing `weights={new}`.")
            if new is not None:
                msg += (f" You can also use `weights={type(new).__name__}.DEFAULT` to get the "
                        "most up-to-date weights.")
            _warn(msg, stacklevel=2)
            kwargs["weights"] = new
            return builder(**kwargs)

        return inner

    return wrap
