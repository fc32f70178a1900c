"""Small helpers the distributions share (``torch.distributions.utils``).

``broadcast_all`` turns the parameters a distribution is given (numbers or tensors) into
tensors of one shape; ``probs_to_logits``/``logits_to_probs`` convert between the two
parameterisations of the discrete distributions; ``lazy_property`` computes a derived
parameter on first use and then stores it on the instance.
"""
from __future__ import annotations

import functools

import ember
from ember._tensor import Tensor

from . import constraints

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits",
           "lazy_property", "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060  # the Euler-Mascheroni constant

# What PyTorch accepts as a plain number for a parameter (bool is an int).
_NUMBER = (int, float)


def broadcast_all(*values):
    """Broadcast numbers and tensors against each other.

    A number becomes a tensor of the first tensor's dtype and device (the default dtype
    when every value is a number), then all of them are broadcast to one shape.

    >>> loc, scale = broadcast_all(ember.zeros(3), 1.0)   # both of shape (3,)
    """
    if not all(isinstance(v, (Tensor,) + _NUMBER) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or "
                         "objects implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        options = {"dtype": ember.get_default_dtype()}
        for v in values:
            if isinstance(v, Tensor):
                options = {"dtype": v.dtype, "device": v.device}
                break
        values = [v if isinstance(v, Tensor) else ember.tensor(v, **options) for v in values]
    # NOTE: as PyTorch's broadcast_tensors, a tensor that already has the common shape comes
    # back as itself (no expand node: ``Normal(loc, 1.).loc is loc`` for a leaf ``loc``).
    out = ember.broadcast_tensors(*values)
    return tuple(v if v.shape == o.shape else o for v, o in zip(values, out))


def _standard_normal(shape, dtype, device):
    """N(0, 1) noise of ``shape``, drawn as ``empty(shape).normal_()`` (PyTorch's stream)."""
    return ember.empty(shape, dtype=dtype, device=device).normal_()


def _sum_rightmost(value, dim):
    """``value`` summed over its ``dim`` last dimensions."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: a sigmoid of log-odds (binary) or a softmax over the
    last dimension."""
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def clamp_probs(probs):
    """``probs`` clamped into ``[eps, 1 - eps]`` with ``eps`` its dtype's machine epsilon."""
    eps = ember.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities: log-odds (binary) or the log of each probability."""
    p = clamp_probs(probs)
    if is_binary:
        return ember.log(p) - ember.log1p(-p)
    return ember.log(p)


def _require_probs_or_logits(probs, logits):
    """The check that opens the discrete distributions' ``__init__``: exactly one of
    ``probs`` and ``logits`` is given."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def _set_probs_or_logits(dist, probs, logits):
    """The start of a binary distribution's ``__init__``: exactly one of ``probs`` and
    ``logits`` is given; it is made a tensor, stored on ``dist`` under its name and
    returned."""
    _require_probs_or_logits(probs, logits)
    name, given = ("probs", probs) if probs is not None else ("logits", logits)
    param, = broadcast_all(given)
    setattr(dist, name, param)
    return param


def _expand_probs_or_logits(old, new, shape):
    """For ``expand``: give ``new`` whichever of ``probs`` and ``logits`` ``old`` holds
    (both, once the other has been derived), expanded to ``shape``, with ``_param`` the
    last one set (``logits`` when both are held, as in PyTorch)."""
    for name in ("probs", "logits"):
        if name in old.__dict__:
            setattr(new, name, old.__dict__[name].expand(shape))
            new._param = getattr(new, name)


class lazy_property:
    """A derived attribute computed on first access and then cached on the instance.

    It is a non-data descriptor, so the stored value shadows it afterwards.  The value is
    computed with gradient recording on (as PyTorch does), so a ``probs`` derived inside
    ``no_grad`` still carries its graph back to ``logits``.
    """

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _BinaryProbs:
    """``probs`` and ``logits`` of a distribution over a success probability (Bernoulli,
    Binomial, Geometric): whichever was given, the other is derived on first use."""

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)


class _RealLocScale:
    """What the location-scale families on the real line (Normal, Laplace, Cauchy) share:
    a real ``loc`` and a positive ``scale``, broadcast against each other on construction
    (their shape is the batch shape), and reparameterised sampling."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.size(), validate_args=validate_args)


def _tril_mask(n, diag, device):
    idx = ember.arange(n, device=device)
    return idx < idx.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag=0):
    """The lower-triangular entries of (a batch of) square matrices, row by row."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec, diag=0):
    """The inverse of ``tril_matrix_to_vec``: square matrices holding ``vec`` below the
    diagonal (zeros elsewhere)."""
    m = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > ember.finfo(vec.dtype).eps:
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(tuple(vec.shape[:-1]) + (n, n))
    mat[..., _tril_mask(n, diag, vec.device)] = vec
    return mat
