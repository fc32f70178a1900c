"""All layer classes, re-exported by ``ember.nn``."""
from .activation import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .more_layers import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from .fractional import *  # noqa: F401,F403
from .adaptive import *  # noqa: F401,F403
from .linear_cross_entropy import *  # noqa: F401,F403
from .module import Module  # noqa: F401
# (PyTorch's modules of these names, which ember's hold elsewhere: ``nn.modules.flatten``...)
from . import channelshuffle, flatten, fold, instancenorm, pixelshuffle, upsampling  # noqa: E402,F401


def _name_inherited_methods():
    """Give layers that share an ``__init__`` or ``forward`` with others here (through ember's
    own base classes) a copy under the name PyTorch's has, which argument errors print:
    ``Conv2d.__init__() got an unexpected keyword argument 'kernel'``,
    ``ELU.forward() takes 2 positional arguments but 3 were given``."""
    import types

    from . import activation, conv, loss, normalization, padding, pooling

    def rename(cls, method, qualname):
        f = getattr(cls, method)
        g = types.FunctionType(f.__code__, f.__globals__, method, f.__defaults__, f.__closure__)
        g.__kwdefaults__, g.__doc__, g.__module__ = f.__kwdefaults__, f.__doc__, f.__module__
        g.__qualname__ = qualname
        setattr(cls, method, g)

    own = {"__init__": "AvgPool2d AvgPool3d CELU CircularPad1d CircularPad2d CircularPad3d "
                       "ConstantPad1d ConstantPad2d ConstantPad3d Conv1d Conv2d Conv3d "
                       "ConvTranspose1d ConvTranspose2d ConvTranspose3d CosineEmbeddingLoss ELU "
                       "Hardshrink Hardsigmoid Hardswish LazyConv1d LazyConv2d LazyConv3d "
                       "LazyConvTranspose1d LazyConvTranspose2d LazyConvTranspose3d "
                       "LocalResponseNorm LogSoftmax MarginRankingLoss MaxUnpool1d MaxUnpool2d "
                       "MaxUnpool3d Mish ReflectionPad1d ReflectionPad2d ReflectionPad3d "
                       "ReplicationPad1d ReplicationPad2d ReplicationPad3d SELU SiLU Softmax "
                       "Softmin Softshrink ZeroPad1d ZeroPad2d ZeroPad3d",
           "forward": "CELU Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d "
                      "ELU Hardshrink Hardsigmoid Hardswish LogSigmoid LogSoftmax Mish SELU SiLU "
                      "Softmax Softmin Softshrink Softsign SyncBatchNorm Tanhshrink"}
    shared = {"_AdaptiveAvgPoolNd.__init__": "AdaptiveAvgPool1d AdaptiveAvgPool2d "
                                             "AdaptiveAvgPool3d",
              "_AdaptiveMaxPoolNd.__init__": "AdaptiveMaxPool1d AdaptiveMaxPool2d "
                                             "AdaptiveMaxPool3d",
              "_BatchNorm.__init__": "BatchNorm1d BatchNorm2d BatchNorm3d",
              "_CircularPadNd.forward": "CircularPad1d CircularPad2d CircularPad3d",
              "_ConstantPadNd.forward": "ConstantPad1d ConstantPad2d ConstantPad3d ZeroPad1d "
                                        "ZeroPad2d ZeroPad3d",
              "_ReflectionPadNd.forward": "ReflectionPad1d ReflectionPad2d ReflectionPad3d",
              "_ReplicationPadNd.forward": "ReplicationPad1d ReplicationPad2d "
                                           "ReplicationPad3d"}
    names = {}
    for mod in (activation, conv, loss, normalization, padding, pooling):
        names.update(vars(mod))
    names.update(globals())
    for method, classes in own.items():
        for name in classes.split():
            if method not in vars(names[name]):
                rename(names[name], method, f"{name}.{method}")
    for qualname, classes in shared.items():
        for name in classes.split():
            rename(names[name], qualname.split(".")[1], qualname)


_name_inherited_methods()
