# computing dataset mean/std then normalizing (forum idiom)
import torch
from torch.utils.data import DataLoader, TensorDataset
from torchvision import transforms
import torchvision.transforms.functional as F

torch.manual_seed(0)
images = torch.rand(20, 3, 6, 6) * torch.tensor([0.9, 0.5, 0.3]).view(1, 3, 1, 1)
loader = DataLoader(TensorDataset(images), batch_size=8)
mean = torch.zeros(3)
sq = torch.zeros(3)
n = 0
for (b,) in loader:
    b = b.view(b.size(0), b.size(1), -1)
    mean += b.mean(2).sum(0)
    sq += b.std(2).sum(0)
    n += b.size(0)
mean /= n
sq /= n
print(mean, sq)
norm = transforms.Normalize(mean.tolist(), sq.tolist())
print(norm)
out = norm(images[0])
print(out.mean(dim=(1, 2)), out.std(dim=(1, 2)))
inv = transforms.Normalize(mean=(-mean / sq).tolist(), std=(1 / sq).tolist())
print(torch.allclose(inv(out), images[0], atol=1e-6))
x = images[:2]
print(F.normalize(x, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]).shape)
y = x.clone()
F.normalize(y, [0.5] * 3, [0.5] * 3, inplace=True)
print(torch.equal(y, (x - 0.5) / 0.5))
try:
    transforms.Normalize([0.5] * 3, [0.0, 1.0, 1.0])(images[0])
except ValueError as e:
    print("ValueError", e)
print(
    F.pad(torch.ones(1, 2, 2), [1, 2]).shape,
    F.pad(torch.ones(1, 2, 2), 1, padding_mode="constant", fill=3)[0],
)
print(F.crop(torch.arange(25).view(1, 5, 5), 1, 2, 3, 2))
print(F.five_crop(torch.arange(25.0).view(1, 5, 5), 2)[4])
print(len(F.ten_crop(torch.rand(3, 8, 8), 4)))
print(F.resized_crop(torch.arange(16.0).view(1, 4, 4), 0, 0, 2, 2, [4, 4], antialias=True))
print(F.invert(torch.tensor([[[0, 100, 255]]], dtype=torch.uint8)))
print(F.posterize(torch.tensor([[[7, 100, 255]]], dtype=torch.uint8), 4))
print(F.solarize(torch.tensor([[[0.2, 0.6, 0.9]]]), 0.5))
print(F.autocontrast(torch.tensor([[[0.2, 0.4, 0.6]]])))
print(F.equalize(torch.tensor([[[0, 10, 10, 200]]], dtype=torch.uint8)))
print(F.get_image_size(torch.rand(3, 7, 9)), F.get_image_num_channels(torch.rand(3, 7, 9)))
