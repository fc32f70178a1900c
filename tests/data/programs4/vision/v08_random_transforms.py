import random

import torch
from torchvision import transforms as T

img = torch.rand(3, 12, 12, generator=torch.Generator().manual_seed(0))
u8 = (img * 255).to(torch.uint8)
tfs = [
    T.RandomAffine(degrees=15, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5),
    T.RandomPerspective(distortion_scale=0.3, p=1.0),
    T.RandomResizedCrop(8, scale=(0.5, 1.0), antialias=True),
    T.RandomApply([T.ColorJitter(0.5, 0.5)], p=0.5),
    T.RandomChoice([T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0)]),
    T.RandomOrder([T.Pad(1), T.CenterCrop(10)]),
    T.RandomGrayscale(p=1.0),
    T.RandomInvert(p=1.0),
    T.RandomAdjustSharpness(2.0, p=1.0),
    T.RandomAutocontrast(p=1.0),
    T.Lambda(lambda t: t * 2),
    T.Grayscale(num_output_channels=3),
    T.Pad((1, 2, 3, 4), fill=0.5),
    T.ElasticTransform(alpha=20.0, sigma=1.5),
]
for i, tf in enumerate(tfs):
    torch.manual_seed(i)
    random.seed(i)
    out = tf(img)
    print(repr(tf).replace("\n", " ")[:120])
    print("  ", tuple(out.shape), f"{out.sum().item():.3f}")
u8tfs = [
    T.RandomPosterize(bits=3, p=1.0),
    T.RandomSolarize(threshold=128, p=1.0),
    T.RandomEqualize(p=1.0),
    T.AutoAugment(),
    T.RandAugment(num_ops=2, magnitude=9),
    T.TrivialAugmentWide(),
    T.AugMix(),
]
for i, tf in enumerate(u8tfs):
    torch.manual_seed(100 + i)
    out = tf(u8)
    print(repr(tf).replace("\n", " ")[:120])
    print("  ", tuple(out.shape), out.dtype, out.sum().item())
torch.manual_seed(7)
print(T.RandomResizedCrop.get_params(img, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)))
print(T.RandomCrop.get_params(img, (5, 5)))
print(T.RandomAffine.get_params((-10, 10), (0.1, 0.1), (0.8, 1.2), None, [12, 12]))
print(T.ColorJitter.get_params((0.5, 1.5), (0.5, 1.5), None, None))
print(T.RandomErasing.get_params(img, scale=(0.02, 0.33), ratio=(0.3, 3.3)))
print(T.GaussianBlur.get_params(0.1, 2.0))
