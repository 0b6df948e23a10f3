"""``from tensorflow.python import tf2``: whether TF2 behaviour is on, which in graphflow (TF1's
graph mode) it never is."""
from __future__ import annotations


def enabled() -> bool:
    """False: graphflow runs TF1's graph mode."""
    return False
