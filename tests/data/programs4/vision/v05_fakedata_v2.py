import torch
from torchvision import datasets, transforms
from torchvision.transforms import v2

fake = datasets.FakeData(
    size=6, image_size=(3, 8, 8), num_classes=4, transform=transforms.ToTensor()
)
print(len(fake))
print(repr(fake))
x, y = fake[0]
print(x.shape, x.dtype, type(y).__name__)
torch.manual_seed(0)
img = torch.randint(0, 256, (3, 12, 12), dtype=torch.uint8)
pipe = v2.Compose(
    [
        v2.RandomResizedCrop(size=(8, 8), antialias=True),
        v2.RandomHorizontalFlip(p=0.5),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ]
)
print(pipe)
torch.manual_seed(1)
out = pipe(img)
print(out.shape, out.dtype, f"{out.mean().item():.4f}")
print(v2.ToDtype(torch.float32, scale=True)(img)[0, 0, :4])
print(v2.ToDtype(torch.float32)(img)[0, 0, :4])
torch.manual_seed(2)
print(v2.RandomCrop(6, padding=1)(img).shape)
print(v2.CenterCrop(4)(img)[0])
print(v2.Resize(6, antialias=True)(img).shape)
torch.manual_seed(3)
print(v2.RandomRotation(15)(img.float()).shape)
torch.manual_seed(4)
print(v2.RandomErasing(p=1.0)(img.float() / 255).shape)
print(v2.Grayscale()(img).shape)
