import os
import tempfile
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.transforms import functional as TF
from PIL import Image

torch.manual_seed(0)
train_tf = transforms.Compose(
    [
        transforms.RandomResizedCrop(16, scale=(0.6, 1.0)),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize((0.5,), (0.5,)),
    ]
)
ds = datasets.FakeData(
    size=24, image_size=(1, 20, 20), num_classes=3, transform=train_tf, random_offset=5
)
img, label = ds[3]
print(img.shape, label, f"{img.mean():.4f}")
raw = datasets.FakeData(size=2, image_size=(3, 8, 8))[1]
print(type(raw[0]).__name__, raw[0].size, raw[0].mode, raw[1])


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


net = LeNet()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
loader = DataLoader(ds, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(1))
for epoch in range(2):
    running, correct = 0.0, 0
    for xb, yb in loader:
        opt.zero_grad()
        out = net(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        opt.step()
        running += loss.item() * xb.size(0)
        correct += (out.argmax(1) == yb).sum().item()
    print(f"epoch {epoch}: loss={running / len(ds):.4f} acc={correct}/{len(ds)}")
with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "x.png")
    t = torch.randint(0, 256, (3, 6, 7), dtype=torch.uint8)
    TF.to_pil_image(t).save(p)
    pil = Image.open(p)
    r = TF.pil_to_tensor(pil)
    print(r.shape, r.dtype, torch.equal(r, t), TF.pil_to_tensor(pil.convert("L")).shape, r[:, 0, 0])
    print(pil.size, TF.pil_to_tensor(pil).shape, TF.to_tensor(pil).dtype)
    small = TF.resize(pil, [3, 3])
    print(small.size, TF.pil_to_tensor(small)[0])
    print(
        TF.pil_to_tensor(TF.center_crop(pil, [4, 4]))[1, 0], TF.pil_to_tensor(TF.hflip(pil))[2, 0]
    )
    print(
        TF.pil_to_tensor(TF.rotate(pil, 30))[0, 2],
        TF.pil_to_tensor(TF.adjust_brightness(pil, 1.3))[0, 0],
    )
    print(
        TF.pil_to_tensor(transforms.Grayscale()(pil)).shape,
        TF.pil_to_tensor(TF.pad(pil, 1, fill=(255, 0, 0))).shape,
    )
try:
    datasets.MNIST(
        root=tempfile.gettempdir() + "/nonexistent_mnist_dir", train=True, download=False
    )
except RuntimeError as e:
    print("RuntimeError", str(e).split(".")[0])
try:
    datasets.CIFAR10(root=tempfile.gettempdir() + "/nonexistent_cifar", download=False)
except RuntimeError as e:
    print("RuntimeError", e)
