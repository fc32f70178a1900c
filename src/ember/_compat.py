"""Run PyTorch code unchanged: ``torch`` and ``torchvision`` imports resolve to ember.

``install()`` puts a finder on ``sys.meta_path`` that answers ``import torch.nn``
with ``ember.nn`` (and ``torchvision.transforms`` with ``ember.vision.transforms``).
A submodule ember lacks fails with an error naming the PyTorch module.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types

ALIASES = {"torch": "ember", "torchvision": "ember.vision"}

# Classes that PyTorch defines in another module than ember's of the same path, by the
# PyTorch module (their "home") and, for each home, the ember namespace that holds them all.
_HOMES = {
    "torch.nn.modules.flatten": ("Flatten", "Unflatten"),
    "torch.nn.modules.fold": ("Fold", "Unfold"),
    "torch.nn.modules.instancenorm": ("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
                                      "LazyInstanceNorm1d", "LazyInstanceNorm2d",
                                      "LazyInstanceNorm3d"),
    "torch.nn.modules.pixelshuffle": ("PixelShuffle", "PixelUnshuffle"),
    "torch.nn.modules.upsampling": ("Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"),
    "torch.nn.modules.pooling": ("LPPool1d", "LPPool2d", "LPPool3d", "FractionalMaxPool2d",
                                 "FractionalMaxPool3d"),
    "torch.nn.modules.normalization": ("LocalResponseNorm", "CrossMapLRN2d"),
    "torch.nn.modules.activation": ("RReLU", "MultiheadAttention"),
    "torch.nn.modules.linear": ("LazyLinear",),
    "torch.nn.modules.conv": ("LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
                              "LazyConvTranspose2d", "LazyConvTranspose3d"),
    "torch.nn.modules.batchnorm": ("LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"),
    "torch.autograd.variable": ("Variable",),
    "torch.autograd.anomaly_mode": ("detect_anomaly", "set_detect_anomaly"),
    "torch.distributions.exp_family": ("ExponentialFamily",),
    "torch.utils.hooks": ("RemovableHandle",),
    "torch.nn.modules.channelshuffle": ("ChannelShuffle",),
    "torch._dynamo.eval_frame": ("OptimizedModule",),
    "torch.nn.modules.loss": ("LinearCrossEntropyLoss",),
    "torch.nn.modules.linear_cross_entropy_options": ("LinearCrossEntropyOptions",),
    "torch.optim": ("Adafactor", "Muon"),  # (PyTorch's modules of theirs are private)
}
_HOME_OF = {name: home for home, names in _HOMES.items() for name in names}
# PyTorch's generator class lives in its C extension (``ember._C`` re-exports ember's): renamed
# only, ``torch._C`` itself stays ember's module.
_HOME_OF["Generator"] = "torch._C"

# torchvision's tv_tensors live one class to a private module (``<class
# 'torchvision.tv_tensors._image.Image'>``); ember keeps them in one: home -> (ember module,
# class names).
_VISION_HOMES = {
    "torchvision.tv_tensors._tv_tensor": ("ember.vision.tv_tensors", ("TVTensor",)),
    "torchvision.tv_tensors._image": ("ember.vision.tv_tensors", ("Image",)),
    "torchvision.tv_tensors._video": ("ember.vision.tv_tensors", ("Video",)),
    "torchvision.tv_tensors._mask": ("ember.vision.tv_tensors", ("Mask",)),
    "torchvision.tv_tensors._bounding_boxes": ("ember.vision.tv_tensors",
                                               ("BoundingBoxes", "BoundingBoxFormat")),
    "torchvision.tv_tensors._keypoints": ("ember.vision.tv_tensors", ("KeyPoints",)),
}
# and its v2 transforms live a family to a private module (``<class
# 'torchvision.transforms.v2._geometry.RandomRotation'>``), split otherwise in ember
_V2 = "ember.vision.transforms.v2."
_V2_HOMES = [
    ("_augment", "_augment", ("CutMix", "MixUp")),
    ("_augment", "_misc", ("JPEG", "RandomErasing")),
    ("_auto_augment", "_auto_augment", ("AugMix", "AutoAugment", "RandAugment",
                                        "TrivialAugmentWide")),
    ("_color", "_misc", ("ColorJitter", "Grayscale", "RGB", "RandomAdjustSharpness",
                         "RandomAutocontrast", "RandomChannelPermutation", "RandomEqualize",
                         "RandomGrayscale", "RandomInvert", "RandomPhotometricDistort",
                         "RandomPosterize", "RandomSolarize")),
    ("_container", "_misc", ("Compose", "RandomApply", "RandomChoice", "RandomOrder")),
    ("_deprecated", "_misc", ("ToTensor",)),
    ("_geometry", "_geometry", ("CenterCrop", "FiveCrop", "Pad", "RandomAffine", "RandomCrop",
                                "RandomHorizontalFlip", "RandomResize", "RandomResizedCrop",
                                "RandomRotation", "RandomShortestSize", "RandomVerticalFlip",
                                "RandomZoomOut", "Resize", "ScaleJitter", "TenCrop")),
    ("_geometry", "_warp_more", ("ElasticTransform", "RandomIoUCrop", "RandomPerspective")),
    ("_meta", "_misc", ("ClampBoundingBoxes", "ClampKeyPoints", "ConvertBoundingBoxFormat")),
    ("_misc", "_misc", ("ConvertImageDtype", "GaussianBlur", "GaussianNoise", "Identity",
                        "Lambda", "LinearTransformation", "Normalize", "SanitizeBoundingBoxes",
                        "SanitizeKeyPoints", "ToDtype")),
    ("_transform", "_transform", ("Transform",)),
    ("_type_conversion", "_misc", ("PILToTensor", "ToImage", "ToPILImage", "ToPureTensor")),
]
_VISION_HOME_OF = {(src, name): home for home, (src, names) in _VISION_HOMES.items()
                   for name in names}
for _home, _src, _names in _V2_HOMES:
    _VISION_HOMES.setdefault("torchvision.transforms.v2." + _home, (_V2 + _src, ()))
    _VISION_HOME_OF.update({(_V2 + _src, name): "torchvision.transforms.v2." + _home
                            for name in _names})
del _home, _src, _names

# Classes that PyTorch shows under a private module, which the naming below would cut
# (``torch.fx._symbolic_trace.Tracer``): (ember module, name) -> PyTorch's module, which
# resolves to an ember module that holds the class (so that it pickles).
_PRIVATE_HOME_OF = {
    ("ember.fx._symbolic_trace", "Tracer"): "torch.fx._symbolic_trace",
    ("ember.vision.models._intermediate", "IntermediateLayerGetter"):
        "torchvision.models._utils",
}

# PyTorch modules that ember keeps under another name (torchvision has a file per op).
_RENAMED = {
    "torchvision.ops.roi_align": "ember.vision.ops.roi",
    "torchvision.ops.roi_pool": "ember.vision.ops.roi",
    "torchvision.ops.ps_roi_align": "ember.vision.ops.ps_roi",
    "torchvision.ops.ps_roi_pool": "ember.vision.ops.ps_roi",
    "torchvision.ops.giou_loss": "ember.vision.ops._box_losses",
    "torchvision.ops.ciou_loss": "ember.vision.ops._box_losses",
    "torchvision.ops.diou_loss": "ember.vision.ops._box_losses",
}


class _KeepsFunctions(types.ModuleType):
    """A package with a function named as one of its submodules (``torchvision.ops.roi_align``):
    importing the submodule by its PyTorch name must leave the function in place, as it does
    on PyTorch, where the package's own import bound the name last."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and name in self.__dict__ \
                and not isinstance(self.__dict__[name], types.ModuleType):
            return
        super().__setattr__(name, value)


class _Home(types.ModuleType):
    """A PyTorch module whose classes ember keeps elsewhere (``torch.nn.modules.flatten``):
    names come from ember's module of the same path, if there is one, then from the public
    ember namespace that has them all (``ember.nn``)."""

    def __init__(self, name, sources):
        super().__init__(name)
        self._sources = sources

    def __getattr__(self, attr):
        for source in self._sources:
            if hasattr(source, attr):
                return getattr(source, attr)
        raise AttributeError(f"module '{self.__name__}' has no attribute '{attr}'")


def _home_module(torch_name, target):
    public = ".".join(target.split(".")[:3 if target.startswith("ember.nn.") else 2])
    sources = []
    try:
        sources.append(importlib.import_module(target))
    except ModuleNotFoundError:
        pass
    sources.append(importlib.import_module(public))
    return _Home(torch_name, sources)


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target
        self._spec = None

    def create_module(self, spec):
        if spec.name in _HOMES:
            name_classes_as_torch()
            return _home_module(spec.name, self.target)
        parent = sys.modules.get(spec.parent)
        if type(parent) is types.ModuleType and not isinstance(
                vars(parent).get(spec.name.rpartition(".")[2], parent), types.ModuleType):
            parent.__class__ = _KeepsFunctions
        try:
            module = importlib.import_module(self.target)
            name_classes_as_torch()
            # importlib will set the torch-named spec on it: keep ember's, put back in
            # exec_module (a ``__spec__`` whose parent is not ``__package__`` makes every
            # later relative import inside the module warn)
            self._spec = module.__spec__
            return module
        except ModuleNotFoundError as exc:
            if exc.name and (exc.name == self.target or self.target.startswith(exc.name + ".")):
                torch_name = spec.name
                raise ModuleNotFoundError(f"{torch_name} is not supported by ember",
                                          name=torch_name) from None
            raise

    def exec_module(self, module):
        if self._spec is not None:
            module.__spec__ = self._spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        root, _, rest = fullname.partition(".")
        if root not in ALIASES:
            return None
        mapped = _RENAMED.get(fullname) or ALIASES[root] + ("." + rest if rest else "")
        return importlib.util.spec_from_loader(fullname, _AliasLoader(mapped))


_finder = _AliasFinder()


def install() -> None:
    """Make ``import torch`` (and submodules, and torchvision) give ember."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    name_classes_as_torch()


_named: set = set()
EMBER_MODULE: dict = {}  # a class renamed below -> the ember module that defines it


def _public_module(name: str) -> str:
    """The public ember module that stands for module ``name``: private segments are cut
    (``ember._tensor`` -> ``ember``), except ``_functional``, which is ``functional``."""
    out = []
    for part in name.split("."):
        if part == "_functional":
            part = "functional"
        elif part.startswith("_"):
            break
        out.append(part)
    return ".".join(out)


def _torch_name(name: str) -> str:
    if name == "ember.vision" or name.startswith("ember.vision."):
        return "torchvision" + name[len("ember.vision"):]
    return "torch" + name[len("ember"):]


_GETATTRS: list = []  # the modules given a ``__getattr__`` by ``name_classes_as_torch``


def _missing_from(torch_name, module):
    """A module ``__getattr__`` refusing a name as PyTorch's module ``torch_name`` does."""
    def __getattr__(name):
        err = AttributeError(f"module '{torch_name}' has no attribute '{name}'")
        err.name, err.obj = name, module
        raise err
    return __getattr__


def name_classes_as_torch() -> None:
    """Give ember's classes PyTorch's module names, so that a script that believes it runs
    on PyTorch prints ``<class 'torch.Tensor'>`` and ``torch.nn.modules.linear.Linear``.

    Only under ``ember run`` (and in the processes it spawns), where ``torch.*`` imports
    resolve to ember: a class renamed ``torch.X`` still pickles and unpickles there. A
    class is renamed only where the torch-named module really holds it.
    """
    for modname, module in list(sys.modules.items()):
        if modname in _named or not (modname == "ember" or modname.startswith("ember.")):
            continue
        if modname.startswith("ember._shims") or module is None:
            continue
        _named.add(modname)
        public = _public_module(modname)
        holder = sys.modules.get(public)
        if public == modname and isinstance(module, types.ModuleType) and \
                "__getattr__" not in vars(module) and not hasattr(type(module), "__getattr__"):
            # (a name the module lacks is missing from PyTorch's: ``torch.autograd.Varible``)
            module.__getattr__ = _missing_from(_torch_name(modname), module)
            _GETATTRS.append(module)
        for obj in list(vars(module).values()):
            if not isinstance(obj, type) or obj.__module__ != modname:
                continue
            home = _HOME_OF.get(obj.__name__)
            vision_home = _VISION_HOME_OF.get((modname, obj.__name__))
            if vision_home is not None:
                EMBER_MODULE[obj] = modname
                obj.__module__ = vision_home
                # (its parent is a module, not a package: the import system cannot find it,
                # so pickle finds it here)
                if vision_home not in sys.modules:
                    sys.modules[vision_home] = _Home(vision_home, [module])
                elif isinstance(sys.modules[vision_home], _Home) and \
                        module not in sys.modules[vision_home]._sources:
                    sys.modules[vision_home]._sources.append(module)
            elif (modname, obj.__name__) in _PRIVATE_HOME_OF:
                EMBER_MODULE[obj] = modname
                obj.__module__ = _PRIVATE_HOME_OF[modname, obj.__name__]
            elif home is not None and not modname.startswith("ember.vision"):
                EMBER_MODULE[obj] = modname
                obj.__module__ = home
            elif public == modname or (holder is not None and "." not in obj.__qualname__
                                       and getattr(holder, obj.__name__, None) is obj):
                EMBER_MODULE[obj] = modname
                obj.__module__ = _torch_name(public)


def installed() -> bool:
    """Whether ``torch`` imports resolve to ember in this process (``ember run``)."""
    return _finder in sys.meta_path


def uninstall() -> None:
    """Undo :func:`install`: ``torch`` imports no longer resolve, and the classes renamed
    for it carry ember's module names again (so that they pickle without the finder)."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for cls, modname in EMBER_MODULE.items():
        cls.__module__ = modname
    EMBER_MODULE.clear()
    for module in _GETATTRS:
        vars(module).pop("__getattr__", None)
    _GETATTRS.clear()
    for home in _VISION_HOMES:
        if isinstance(sys.modules.get(home), _Home):
            del sys.modules[home]
    _named.clear()
