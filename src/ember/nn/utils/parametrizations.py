"""Ready-made parametrizations (``torch.nn.utils.parametrizations``): ``weight_norm``,
``spectral_norm`` and ``orthogonal``, each registered with :mod:`.parametrize`."""
from __future__ import annotations

from enum import Enum, auto

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from .._functional.distance import normalize
from ..modules.module import Module
from . import parametrize
from .spectral_norm import _as_matrix, _default_dim
from .weight_norm import _norm_except_dim, _weight_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# -- weight norm ---------------------------------------------------------------------------------

class _WeightNorm(Module):
    """``weight = v * g / ||v||`` from the two stored tensors ``(g, v)``."""

    def __init__(self, dim: int | None = 0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name: str = "weight", dim: int | None = 0):
    """Store ``module.<name>`` as a magnitude ``original0`` (its norm over every dim but
    ``dim``; over all dims when ``dim`` is None) and a direction ``original1``.

    A state dict saved with the old :func:`ember.nn.utils.weight_norm` (keys ``<name>_g`` and
    ``<name>_v``) still loads: the keys are renamed on the way in.
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def rename_old_keys(state_dict, prefix, *_):
        g, v = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g in state_dict and v in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v)

    # (a load_state_dict pre-hook, as PyTorch's: it shows in the module's hooks and takes an
    # id from the counter that every hook handle shares)
    module._register_load_state_dict_pre_hook(rename_old_keys)
    return module


# -- spectral norm -------------------------------------------------------------------------------

class _SpectralNorm(Module):
    """``weight / sigma``, sigma the largest singular value of ``weight`` seen as a matrix
    (rows along ``dim``), tracked by power iteration in the buffers ``_u`` and ``_v``."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, "
                             f"{ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = self._reshape_weight_to_matrix(weight)
            h, w = mat.shape
            # NOTE: drawn in PyTorch's order (u, then v): the same seed gives the same start
            u = mat.new_empty(h).normal_(0, 1)
            v = mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            # a good estimate from the start
            self._power_method(mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        return _as_matrix(weight, self.dim)

    def _power_method(self, mat: Tensor, n_power_iterations: int) -> None:
        with no_grad():
            for _ in range(n_power_iterations):
                # in place: the buffers carry the estimate from call to call
                self._u = normalize(mat.mv(self._v), dim=0, eps=self.eps, out=self._u)
                self._v = normalize(mat.mT.mv(self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        # copies, so that the next power step does not change what backward reads
        u = self._u.clone()
        v = self._v.clone()
        sigma = u.dot(mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None):
    """Divide ``module.<name>`` by its spectral norm, estimated by power iteration (one step
    per training-mode read; 15 at registration).  ``dim`` defaults to 0 (1 for transposed
    convolutions); a 1-D tensor is simply normalised."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# -- orthogonal ----------------------------------------------------------------------------------

class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _eye(n, like):
    from ..._ops.creation import eye

    return eye(n, dtype=like.dtype, device=like.device)


def _matrix_exp(a: Tensor) -> Tensor:
    """``exp(a)`` of (a batch of) square matrices by scaling and squaring a Taylor series,
    written with differentiable ops (used on skew-symmetric matrices, of modest norm)."""
    with no_grad():
        norm = float(a.detach().abs().sum(-2).max()) if a.numel() else 0.0
    squarings = 0
    while norm > 0.25:
        norm /= 2
        squarings += 1
    a = a / (2 ** squarings)
    eye = _eye(a.shape[-1], a)
    out = eye
    for k in range(20, 0, -1):  # Horner: I + a/1 (I + a/2 (I + ...))
        out = eye + (a @ out) / k
    for _ in range(squarings):
        out = out @ out
    return out


def _householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """The first ``k`` columns of ``H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^T`` with ``v_i``
    the i-th column of ``a`` below the diagonal and 1 on it (LAPACK's ``orgqr``)."""
    from ..._ops.creation import arange

    n, k = a.shape[-2], a.shape[-1]
    q = _eye(n, a).expand(*a.shape[:-2], n, n)
    rows = arange(n, device=a.device)
    for i in range(k):
        v = a[..., :, i] * (rows > i).to(a.dtype) + (rows == i).to(a.dtype)
        qv = (q @ v.unsqueeze(-1))  # (..., n, 1)
        q = q - (qv * tau[..., i, None, None]) @ v.unsqueeze(-2)
    return q[..., :, :k]


def _geqrf(a: Tensor):
    """LAPACK's ``geqrf`` (Householder QR in compact form): ``(reflectors and R, tau)``."""
    import numpy as np

    from ..._ops._core import wrap

    host = a.detach().cpu().numpy(force=True)
    flat = host.reshape((-1,) + host.shape[-2:])
    outs, taus = [], []
    for m in flat:
        h, tau = np.linalg.qr(m, mode="raw")
        outs.append(h.T)
        taus.append(tau)
    x = np.stack(outs).reshape(host.shape).astype(host.dtype)
    t = np.stack(taus).reshape(host.shape[:-2] + (min(host.shape[-2:]),)).astype(host.dtype)
    return wrap(x).to(a.device), wrap(t).to(a.device)


def _make_orthogonal(a: Tensor) -> Tensor:
    """The Q of ``a``'s QR decomposition, with the signs that make R's diagonal positive."""
    x, tau = _geqrf(a)
    q = _householder_product(x, tau)
    return q * x.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _is_orthogonal(q: Tensor) -> bool:
    import numpy as np

    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * float(np.finfo(q.dtype.np).eps)
    return bool(((q.mT @ q - _eye(k, q)).abs() <= eps).all())


class _Orthogonal(Module):
    """An orthogonal matrix (or one with orthonormal columns/rows) from an unconstrained one,
    through the matrix exponential, the Cayley map or Householder reflectors."""

    base: Tensor

    def __init__(self, weight, orthogonal_map: _OrthMaps, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                from ..._ops.shape import cat

                X = cat([X, X.new_zeros((n, n - k)).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:
                from ...linalg import solve

                eye = _eye(n, A)
                Q = solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # the diagonal of X (+-1) flips the signs of the columns
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                                 f"Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError("It is not possible to assign to the matrix "
                                              "exponential or the Cayley parametrizations when "
                                              "use_trivialization=False.")
                A, tau = _geqrf(Q)
                # the diagonal stores the signs forward() multiplies the columns by (LAPACK's
                # tau = 0 marks a reflector that was skipped: its sign is flipped)
                d = A.diagonal(dim1=-2, dim2=-1).sign()
                d = d * (1 - 2 * (tau == 0.0).to(d.dtype))
                A.diagonal(dim1=-2, dim2=-1).copy_(d)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                from ..._ops.creation import randn
                from ..._ops.shape import cat

                N = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            neg_eye = Q_init.new_zeros(tuple(Q_init.shape))
            neg_eye.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_eye


def orthogonal(module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True):
    """Keep ``module.<name>`` orthogonal (a matrix or batch of matrices; orthonormal rows or
    columns when not square) through ``orthogonal_map``: ``"matrix_exp"`` (default for square
    matrices), ``"cayley"`` or ``"householder"`` (default otherwise).  With
    ``use_trivialization`` the map is applied around a stored orthogonal ``base``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} "
                         "dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
