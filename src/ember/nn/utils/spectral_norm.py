"""``spectral_norm``: a weight divided by its largest singular value, estimated by power
iteration (Miyato et al., 2018), through a forward pre-hook.

``module.<name>_orig`` is the learnt parameter; the buffers ``<name>_u`` and ``<name>_v`` hold
the current left and right singular vector estimates and take one more power step on each
training-mode call.  ``nn.utils.parametrizations.spectral_norm`` is the newer form.
"""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from .._functional.distance import normalize
from ..parameter import Parameter
from ._norm_hooks import check_no_hook, remove_hook

__all__ = ["SpectralNorm", "SpectralNormLoadStateDictPreHook", "SpectralNormStateDictHook",
           "spectral_norm", "remove_spectral_norm"]


def _as_matrix(weight, dim: int):
    """``weight`` seen as a matrix whose rows run along ``dim``."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.dim()) if d != dim])
    return weight.reshape(weight.shape[0], -1)


def _default_dim(module) -> int:
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

    # a transposed convolution keeps its output channels on dim 1
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name> = <name>_orig / sigma``."""

    _version: int = 1
    name: str
    dim: int
    n_power_iterations: int
    eps: float

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12):
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        return _as_matrix(weight, self.dim)

    def compute_weight(self, module, do_power_iteration: bool):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    # written into the buffers in place, so that they carry over
                    v = normalize(mat.t().mv(u), dim=0, eps=self.eps, out=v)
                    u = normalize(mat.mv(v), dim=0, eps=self.eps, out=u)
                # copies: backward must see the vectors this call used, not later updates
                u = u.clone()
                v = v.clone()
        sigma = u.dot(mat.mv(v))
        return weight / sigma

    def remove(self, module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module,
                                                       do_power_iteration=module.training))

    @staticmethod
    def apply(module, name: str, n_power_iterations: int, dim: int, eps: float) -> SpectralNorm:
        check_no_hook(module, SpectralNorm, name, "spectral_norm")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            # NOTE: the random start is drawn as PyTorch draws it (u first), so that the same
            # seed gives the same vectors
            u = normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        module._register_state_dict_hook(SpectralNormStateDictHook(fn))
        module._register_load_state_dict_pre_hook(SpectralNormLoadStateDictPreHook(fn))
        return fn

    def _solve_v_and_rescale(self, weight_mat, u, target_sigma):
        """The ``v`` for an old checkpoint: solves ``weight_mat @ v = u`` (least squares),
        scaled so that ``u @ weight_mat @ v`` is ``target_sigma``."""
        from ... import linalg

        gram_inv = weight_mat.t().mm(weight_mat).pinverse()
        v = linalg.multi_dot([gram_inv, weight_mat.t(), u.unsqueeze(1)]).squeeze(1)
        return v.mul_(target_sigma / u.dot(weight_mat.mv(v)))


class SpectralNormLoadStateDictPreHook:
    """Upgrades a checkpoint saved before version 1 (no ``<name>_v``, a stored ``<name>``)."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def __call__(self, state_dict, prefix, local_metadata, strict, missing_keys,
                 unexpected_keys, error_msgs) -> None:
        fn = self.fn
        version = local_metadata.get("spectral_norm", {}).get(fn.name + ".version", None)
        if version is not None and version >= 1:
            return
        key = prefix + fn.name
        if (version is None and key not in state_dict
                and all(key + s in state_dict for s in ("_orig", "_u", "_v"))):
            return  # a current state dict that lost its metadata
        missing = [key + s for s in ("_orig", "", "_u") if key + s not in state_dict]
        if missing:
            if strict:
                missing_keys.extend(missing)
            return
        with no_grad():
            weight_orig = state_dict[key + "_orig"]
            sigma = (weight_orig / state_dict.pop(key)).mean()
            mat = fn.reshape_weight_to_matrix(weight_orig)
            state_dict[key + "_v"] = fn._solve_v_and_rescale(mat, state_dict[key + "_u"], sigma)


class SpectralNormStateDictHook:
    """Records ``<name>.version`` under ``metadata['spectral_norm']``."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def __call__(self, module, state_dict, prefix, local_metadata) -> None:
        meta = local_metadata.setdefault("spectral_norm", {})
        key = self.fn.name + ".version"
        if key in meta:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {key}")
        meta[key] = self.fn._version


def spectral_norm(module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None):
    """Divide ``module.<name>`` by its spectral norm, re-estimated by ``n_power_iterations``
    power steps on every training-mode forward (rows along ``dim``: 0, or 1 for transposed
    convolutions).  Adds ``<name>_orig`` (the parameter) and the buffers ``<name>_u``,
    ``<name>_v``.

    >>> m = spectral_norm(nn.Linear(20, 40))  # doctest: +SKIP
    >>> m.weight_u.shape  # doctest: +SKIP
    torch.Size([40])
    """
    if dim is None:
        dim = _default_dim(module)
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name: str = "weight"):
    """Undo :func:`spectral_norm`: ``module.<name>`` becomes one parameter again (the last
    normalised value)."""
    remove_hook(module, SpectralNorm, name, "spectral_norm")
    # NOTE: as in PyTorch, the load pre-hook stays (it is wrapped, so the search misses it)
    for key, hook in module._state_dict_hooks.items():
        if isinstance(hook, SpectralNormStateDictHook) and hook.fn.name == name:
            del module._state_dict_hooks[key]
            break
    return module
