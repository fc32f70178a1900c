"""``torch.nn.modules.channelshuffle``: where PyTorch keeps ChannelShuffle (ember defines them in
``padding.py``), for code that imports them from here."""
from .padding import ChannelShuffle

__all__ = ["ChannelShuffle"]
