"""Data movement ops: concat, stack, unstack, split, tile, pad, gather, gather_nd, one_hot,
boolean_mask and indexing."""
from __future__ import annotations

__all__: list[str] = []
