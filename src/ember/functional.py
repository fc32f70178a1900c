"""``torch.functional``: the module where PyTorch defines a group of its top-level
functions in Python; here the same names, pointing at ember's functions."""
from ember import (atleast_1d, atleast_2d, atleast_3d, block_diag,  # noqa: F401
                   broadcast_shapes, broadcast_tensors, cartesian_prod, cdist, chain_matmul,
                   einsum, istft, lu, meshgrid, norm, pca_lowrank, split, stft, svd_lowrank,
                   tensordot, unique, unique_consecutive, unravel_index)

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
    "cartesian_prod", "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu", "norm",
    "meshgrid", "pca_lowrank", "split", "stft", "svd_lowrank", "tensordot", "unique",
    "unique_consecutive", "unravel_index",
]
