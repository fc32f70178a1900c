"""The v2 transforms (``torchvision.transforms.v2``).

They take any nesting of tuples, lists and dicts (an image with its label, boxes and
masks), transform the images and tv_tensors in it together with the same random
parameters, and pass everything else through.  Random draws come from the global
generator with the calls torchvision v2 makes, so the same seed gives the same result.

>>> from ember.vision.transforms import v2
>>> tf = v2.Compose([v2.ToImage(), v2.ToDtype(ember.float32, scale=True)])
"""
from ..autoaugment import AutoAugmentPolicy
from . import functional
from ._augment import CutMix, MixUp
from ._auto_augment import AugMix, AutoAugment, RandAugment, TrivialAugmentWide
from ._geometry import (CenterCrop, FiveCrop, Pad, RandomAffine, RandomCrop, RandomHorizontalFlip,
                        RandomResize, RandomResizedCrop, RandomRotation, RandomShortestSize,
                        RandomVerticalFlip, RandomZoomOut, Resize, ScaleJitter, TenCrop)
from ._misc import (RGB, ClampBoundingBoxes, ClampKeyPoints, ColorJitter, Compose,
                    ConvertBoundingBoxFormat,
                    ConvertImageDtype, GaussianBlur, GaussianNoise, Grayscale, JPEG,
                    Identity, Lambda, LinearTransformation, Normalize, PILToTensor,
                    RandomAdjustSharpness, RandomApply,
                    RandomAutocontrast, RandomChannelPermutation, RandomChoice, RandomEqualize,
                    RandomErasing, RandomGrayscale, RandomInvert, RandomOrder,
                    RandomPhotometricDistort, RandomPosterize, RandomSolarize,
                    SanitizeBoundingBoxes, SanitizeKeyPoints, ToDtype, ToImage, ToPILImage,
                    ToPureTensor, ToTensor)
from ._transform import Transform
from ._warp_more import ElasticTransform, RandomIoUCrop, RandomPerspective
from . import _keypoints  # noqa: F401,E402 (KeyPoints' kernels)
from ._utils import check_type, get_bounding_boxes, has_all, has_any, query_chw, query_size
from .functional import InterpolationMode

__all__ = ["AugMix", "AutoAugment", "AutoAugmentPolicy", "CenterCrop", "ClampBoundingBoxes",
           "ClampKeyPoints",
           "ColorJitter", "Compose", "ConvertBoundingBoxFormat", "ConvertImageDtype", "CutMix",
           "ElasticTransform",
           "FiveCrop", "GaussianBlur", "GaussianNoise", "Grayscale", "Identity", "JPEG",
           "InterpolationMode", "Lambda", "LinearTransformation", "MixUp", "Normalize",
           "PILToTensor", "Pad", "RGB",
           "RandAugment", "RandomAdjustSharpness", "RandomAffine", "RandomApply",
           "RandomAutocontrast", "RandomChannelPermutation", "RandomChoice", "RandomCrop",
           "RandomEqualize", "RandomErasing", "RandomGrayscale", "RandomHorizontalFlip",
           "RandomInvert", "RandomIoUCrop", "RandomOrder", "RandomPerspective",
           "RandomPhotometricDistort", "RandomPosterize",
           "RandomResize", "RandomResizedCrop", "RandomRotation", "RandomShortestSize",
           "RandomSolarize", "RandomVerticalFlip", "RandomZoomOut", "Resize",
           "SanitizeBoundingBoxes", "SanitizeKeyPoints", "ScaleJitter", "TenCrop", "ToDtype",
           "ToImage",
           "ToPILImage", "ToPureTensor", "ToTensor", "Transform", "TrivialAugmentWide",
           "check_type", "functional", "get_bounding_boxes", "has_all", "has_any", "query_chw",
           "query_size"]


from ...._unsupported import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torchvision.transforms.v2")  # a missing API is named
