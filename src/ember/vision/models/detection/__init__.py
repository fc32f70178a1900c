"""Object detection models with torchvision's API (torchvision.models.detection): the
R-CNN family (Faster, Mask and Keypoint R-CNN), RetinaNet, FCOS, SSD300 and SSDlite.

In training mode a model takes ``(images, targets)`` and returns a dict of losses; in eval
mode it takes a list of ``(C, H, W)`` images in [0, 1] and returns one dict per image
(``boxes`` as ``x1, y1, x2, y2`` in the image's pixels, ``labels``, ``scores``, plus
``masks`` for Mask R-CNN).
"""
from .faster_rcnn import (FasterRCNN, FasterRCNN_MobileNet_V3_Large_320_FPN_Weights,
                          FasterRCNN_MobileNet_V3_Large_FPN_Weights,
                          FasterRCNN_ResNet50_FPN_V2_Weights, FasterRCNN_ResNet50_FPN_Weights,
                          fasterrcnn_mobilenet_v3_large_320_fpn,
                          fasterrcnn_mobilenet_v3_large_fpn, fasterrcnn_resnet50_fpn,
                          fasterrcnn_resnet50_fpn_v2)
from .fcos import FCOS, FCOS_ResNet50_FPN_Weights, fcos_resnet50_fpn
from .keypoint_rcnn import (KeypointRCNN, KeypointRCNN_ResNet50_FPN_Weights,
                            keypointrcnn_resnet50_fpn)
from .mask_rcnn import (MaskRCNN, MaskRCNN_ResNet50_FPN_V2_Weights,
                        MaskRCNN_ResNet50_FPN_Weights, maskrcnn_resnet50_fpn,
                        maskrcnn_resnet50_fpn_v2)
from .retinanet import (RetinaNet, RetinaNet_ResNet50_FPN_V2_Weights,
                        RetinaNet_ResNet50_FPN_Weights, retinanet_resnet50_fpn,
                        retinanet_resnet50_fpn_v2)
from .ssd import SSD300_VGG16_Weights, ssd300_vgg16
from .ssdlite import SSDLite320_MobileNet_V3_Large_Weights, ssdlite320_mobilenet_v3_large

__all__ = ["SSDLite320_MobileNet_V3_Large_Weights", "ssdlite320_mobilenet_v3_large",
           "SSD", "SSD300_VGG16_Weights", "ssd300_vgg16",
           "FCOS", "FCOS_ResNet50_FPN_Weights", "fcos_resnet50_fpn",
           "RetinaNet", "RetinaNet_ResNet50_FPN_V2_Weights", "RetinaNet_ResNet50_FPN_Weights",
           "retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2",
           "KeypointRCNN", "KeypointRCNN_ResNet50_FPN_Weights", "keypointrcnn_resnet50_fpn",
           "MaskRCNN", "MaskRCNN_ResNet50_FPN_V2_Weights", "MaskRCNN_ResNet50_FPN_Weights",
           "maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2",
           "FasterRCNN", "FasterRCNN_MobileNet_V3_Large_320_FPN_Weights",
           "FasterRCNN_MobileNet_V3_Large_FPN_Weights", "FasterRCNN_ResNet50_FPN_V2_Weights",
           "FasterRCNN_ResNet50_FPN_Weights", "fasterrcnn_mobilenet_v3_large_320_fpn",
           "fasterrcnn_mobilenet_v3_large_fpn", "fasterrcnn_resnet50_fpn",
           "fasterrcnn_resnet50_fpn_v2"]
