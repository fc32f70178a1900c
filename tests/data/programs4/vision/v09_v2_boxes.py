import torch
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.ops import box_convert, box_iou, box_area, generalized_box_iou

torch.manual_seed(0)
img = tv_tensors.Image(torch.randint(0, 256, (3, 20, 30), dtype=torch.uint8))
boxes = tv_tensors.BoundingBoxes(
    [[2, 3, 10, 12], [15, 5, 28, 18]], format="XYXY", canvas_size=(20, 30)
)
print(type(img).__name__, img.shape, type(boxes).__name__)
print(boxes)
labels = torch.tensor([1, 2])
tf = v2.Compose([v2.RandomHorizontalFlip(p=1.0), v2.Resize((10, 15), antialias=True)])
out_img, out_boxes, out_labels = tf(img, boxes, labels)
print(type(out_img).__name__, out_img.shape, out_boxes, out_labels)
sample = {"image": img, "boxes": boxes, "labels": labels}
torch.manual_seed(1)
out = v2.RandomCrop((12, 12))(sample)
print(out["boxes"], out["boxes"].canvas_size)
out2 = v2.SanitizeBoundingBoxes(labels_getter=lambda s: s["labels"])(out)
print(out2["boxes"].shape, out2["labels"])
print(
    v2.ClampBoundingBoxes()(
        tv_tensors.BoundingBoxes([[-5, -5, 40, 10]], format="XYXY", canvas_size=(20, 30))
    )
)
print(v2.ConvertBoundingBoxFormat("CXCYWH")(boxes))
b1 = torch.tensor([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 3.0]])
b2 = torch.tensor([[1.0, 1.0, 2.0, 2.0]])
print(box_iou(b1, b2), box_area(b1), generalized_box_iou(b1, b2))
print(box_convert(b1, "xyxy", "cxcywh"), box_convert(b1, "xyxy", "xywh"))
mask = tv_tensors.Mask(torch.zeros(20, 30, dtype=torch.uint8))
torch.manual_seed(2)
i2, m2 = v2.RandomRotation(30)(img, mask)
print(i2.shape, m2.shape, type(m2).__name__)
images = torch.rand(4, 3, 8, 8)
targets = torch.tensor([0, 1, 2, 3])
torch.manual_seed(3)
mi, mt = v2.MixUp(num_classes=4, alpha=1.0)(images, targets)
print(mi.shape, mt)
torch.manual_seed(4)
ci, ct = v2.CutMix(num_classes=4)(images, targets)
print(ci.shape, ct)
print(v2.ToImage()(torch.rand(3, 4, 4)).__class__.__name__)
print(v2.ToPureTensor()(img).__class__.__name__, img.as_subclass(torch.Tensor).__class__.__name__)
print((img + 1).__class__.__name__, img.float().__class__.__name__)
print(tv_tensors.wrap(torch.zeros(1, 4), like=boxes))
