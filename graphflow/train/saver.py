"""Checkpoints: ``gf.train.Saver`` and ``latest_checkpoint``."""
from __future__ import annotations

__all__: list[str] = []
