# CIFAR-style augmentation pipeline on tensors (Kaggle kernel idiom)
import torch
import torchvision.transforms as T

torch.manual_seed(0)
img = torch.rand(3, 32, 32)
mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
train_tf = T.Compose(
    [
        T.RandomCrop(32, padding=4),
        T.RandomHorizontalFlip(),
        T.Normalize(mean, std),
    ]
)
print(train_tf)
for i in range(3):
    out = train_tf(img)
    print(i, out.shape, out.dtype, f"{out.mean().item():.4f}", f"{out.std().item():.4f}")
    print(out[0, :2, :4])
pad = T.RandomCrop(8, padding=2, padding_mode="reflect")
small = torch.arange(64.0).reshape(1, 8, 8)
print(pad(small))
pad2 = T.RandomCrop(6, padding=(1, 2), fill=-1)
print(pad2(small))
pad3 = T.RandomCrop(10, pad_if_needed=True, padding_mode="edge")
print(pad3(small).shape, pad3(small)[0, 0])
test_tf = T.Compose([T.CenterCrop(24), T.Resize(16, antialias=True)])
r = test_tf(img)
print(r.shape, f"{r.sum():.4f}")
print(T.Resize((10, 12))(img).shape, T.Resize(20)(torch.rand(3, 40, 60)).shape)
print(T.CenterCrop(40)(torch.ones(1, 32, 32)).sum())
flip = T.RandomHorizontalFlip(p=1.0)
print(flip(small)[0, 0])
print(T.RandomVerticalFlip(p=1.0)(small)[0, :, 0])
