"""``ember.nn.functional``: the stateless functions behind the layers (``import ... as F``)."""
from __future__ import annotations

from ._functional.activation import *  # noqa: F401,F403
from ._functional.activation import __all__ as _act
from ._functional.linear import *  # noqa: F401,F403
from ._functional.linear import __all__ as _lin
from ._functional.loss import *  # noqa: F401,F403
from ._functional.loss import __all__ as _loss
from ._functional.conv import *  # noqa: F401,F403
from ._functional.conv import __all__ as _conv
from ._functional.pooling import *  # noqa: F401,F403
from ._functional.pooling import __all__ as _pool
from ._functional.fractional import *  # noqa: F401,F403
from ._functional.fractional import __all__ as _frac
from ._functional.fractional3d import (fractional_max_pool3d,  # noqa: F401,E402
                                      fractional_max_pool3d_with_indices)
from ._functional.spatial import *  # noqa: F401,F403
from ._functional.spatial import __all__ as _spatial
from ._functional.normalization import *  # noqa: F401,F403
from ._functional.normalization import __all__ as _norm
from ._functional.dropout import *  # noqa: F401,F403
from ._functional.dropout import __all__ as _drop
from ._functional.sparse import *  # noqa: F401,F403
from ._functional.sparse import __all__ as _sparse
from ._functional.distance import *  # noqa: F401,F403
from ._functional.distance import __all__ as _dist
from ._functional.attention import *  # noqa: F401,F403
from ._functional.attention import __all__ as _attn
from ._functional.grid import *  # noqa: F401,F403
from ._functional.grid import __all__ as _grid
from ._functional.more_layers import *  # noqa: F401,F403
from ._functional.more_layers import __all__ as _more_layers
from ._functional.linear_cross_entropy import linear_cross_entropy  # noqa: F401,E402

__all__ = [*_act, *_lin, *_loss, *_conv, *_pool, *_spatial, *_norm, *_drop, *_sparse, *_dist,
           *_attn, *_more_layers, *_grid, *_frac, "linear_cross_entropy"]

from .._ops.more_tensor import pdist  # noqa: E402,F401  (torch.pdist, also here in PyTorch)
from . import grad  # noqa: E402,F401  (torch.nn.grad, which PyTorch's F imports too)
from .._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.nn.functional")


from .._ops._core import tensor_input as _tensor_input  # noqa: E402
from .._argparse import python_words as _python_words  # noqa: E402

# PyTorch's C++ bindings (the others are Python functions passing ``input`` on by position,
# so that their error names position 1 even for ``input=``)
_BOUND = {"gelu", "hardshrink", "softplus", "logsigmoid", "one_hot", "pdist", "softshrink",
          "relu_", "linear", "avg_pool2d", "threshold_"}

for _name in ("alpha_dropout", "celu", "celu_", "dropout", "elu", "elu_", "feature_alpha_dropout",
              "gelu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "hardtanh_",
              "leaky_relu", "leaky_relu_", "logsigmoid", "mish", "one_hot", "pdist", "relu",
              "relu6", "relu_", "rrelu", "rrelu_", "selu", "selu_", "silu", "softplus",
              "softshrink", "threshold_"):
    globals()[_name] = _tensor_input(globals()[_name],
                                     "log_sigmoid" if _name == "logsigmoid" else _name, True,
                                     keyword_position=_name not in _BOUND)
for _name, _theirs in (("cross_entropy", "cross_entropy_loss"), ("nll_loss", "nll_loss_nd"),
                       ("kl_div", "kl_div"), ("linear", "linear"), ("layer_norm", "layer_norm"),
                       ("pad", "pad"), ("max_pool2d", "max_pool2d"),
                       ("avg_pool2d", "avg_pool2d")):
    globals()[_name] = _tensor_input(globals()[_name], _theirs, True,
                                     keyword_position=_name not in _BOUND)
del _name, _theirs, _BOUND
for _name in ("threshold_", "hardtanh_"):  # (PyTorch's C functions: its parser's words)
    globals()[_name] = _python_words(globals()[_name], _name, _name)
