"""``gf.losses``: TF1's loss functions with weights and reductions."""
from __future__ import annotations

__all__: list[str] = []
