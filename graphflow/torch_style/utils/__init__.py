"""``graphflow.utils``: PyTorch's ``torch.utils`` paths (``graphflow.utils.data``)."""
from graphflow.torch_style.utils import data

__all__ = ["data"]
