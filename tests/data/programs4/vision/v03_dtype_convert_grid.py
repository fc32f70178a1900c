import os
import tempfile
import torch
from torchvision import transforms
from torchvision.utils import make_grid, save_image

u8 = torch.arange(0, 256, 16, dtype=torch.uint8).reshape(1, 4, 4)
f = transforms.ConvertImageDtype(torch.float32)(u8)
print(f.dtype, f[0, 0])
back = transforms.ConvertImageDtype(torch.uint8)(f)
print(back.dtype, back[0, 1])
print(transforms.ConvertImageDtype(torch.float64)(u8).dtype)
print(transforms.ConvertImageDtype(torch.int16)(u8)[0, 0])
print(transforms.functional.convert_image_dtype(torch.tensor([[[0.0, 0.5, 1.0]]]), torch.uint8))
torch.manual_seed(0)
batch = torch.rand(10, 3, 8, 8)
g = make_grid(batch, nrow=4, padding=2)
print(g.shape, f"{g.sum().item():.3f}")
g2 = make_grid(batch, nrow=5, padding=1, normalize=True, pad_value=0.5)
print(g2.shape, f"{g2.min().item():.3f} {g2.max().item():.3f}")
g3 = make_grid(torch.rand(4, 1, 5, 5), nrow=2)
print(g3.shape, g3[0, 0, :8])
g4 = make_grid(batch[:3] * 4 - 2, normalize=True, value_range=(-1, 1), scale_each=True)
print(g4.shape, f"{g4.mean():.4f}")
with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "grid.png")
    save_image(batch, p, nrow=5)
    print(os.path.exists(p))
    from PIL import Image

    im = Image.open(p)
    print(im.size, im.mode)
    t = transforms.ToTensor()(im)
    print(t.shape, t.dtype, f"{t.sum():.4f}")
    print(transforms.PILToTensor()(im).dtype, transforms.PILToTensor()(im)[0, 0, :6])
    pil = transforms.ToPILImage()(batch[0])
    print(pil.size, pil.mode)
    print(transforms.ToTensor()(pil)[0, 0, :3])
