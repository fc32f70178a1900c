import os
import tempfile
import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

rng = np.random.RandomState(0)
root = tempfile.mkdtemp()
for cls in ["dog", "cat", "bird"]:
    os.makedirs(os.path.join(root, "train", cls))
    for i in range(4 if cls != "bird" else 2):
        arr = rng.randint(0, 256, (10, 12, 3), dtype=np.uint8)
        Image.fromarray(arr).save(os.path.join(root, "train", cls, f"{cls}_{i}.png"))
tf = transforms.Compose(
    [transforms.Resize((8, 8)), transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)]
)
ds = datasets.ImageFolder(os.path.join(root, "train"), transform=tf)
print(len(ds), ds.classes, ds.class_to_idx)
print([os.path.basename(p) for p, _ in ds.samples[:5]])
print(ds.targets)
x, y = ds[0]
print(x.shape, y, f"{x.mean():.4f}")
print(repr(ds).replace(root, "ROOT"))
torch.manual_seed(0)
dl = DataLoader(ds, batch_size=4, shuffle=True)
for xb, yb in dl:
    print(xb.shape, yb)
counts = torch.bincount(torch.tensor(ds.targets))
print(counts, (1.0 / counts.float()))


def npy_loader(path):
    return torch.from_numpy(np.load(path))


os.makedirs(os.path.join(root, "npy", "a"))
os.makedirs(os.path.join(root, "npy", "b"))
for i in range(3):
    np.save(os.path.join(root, "npy", "a" if i % 2 else "b", f"s{i}.npy"), np.arange(4.0) * i)
dsf = datasets.DatasetFolder(os.path.join(root, "npy"), loader=npy_loader, extensions=(".npy",))
print(len(dsf), dsf.classes, [s[1] for s in dsf.samples])
for i in range(len(dsf)):
    print(dsf[i])
raw = datasets.ImageFolder(os.path.join(root, "train"))
im, lab = raw[5]
print(type(im).__name__, im.size, im.mode, lab)
