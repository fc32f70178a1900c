"""TensorBoard logging, as ``torch.utils.tensorboard``: ``SummaryWriter`` writes event files
TensorBoard reads. Unlike PyTorch's, it needs no ``tensorboard`` package: ember encodes the
files itself (Pillow is needed for images, matplotlib for figures)."""
from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
