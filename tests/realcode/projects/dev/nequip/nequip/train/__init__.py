from .loss import Loss
from .metrics import Metrics
from .trainer import Trainer

__all__ = [Loss, Metrics, Trainer]
