"""``graphflow.utils``: PyTorch's ``torch.utils`` paths (``graphflow.utils.data``)."""
from graphflow.utils import data

__all__ = ["data"]
