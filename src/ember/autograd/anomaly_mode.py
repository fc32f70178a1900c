"""``torch.autograd.anomaly_mode``: where PyTorch keeps ``detect_anomaly`` and
``set_detect_anomaly`` (ember's are in ``ember.autograd``), for code that imports them from
here."""
from . import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
