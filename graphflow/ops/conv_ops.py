"""Convolution and pooling primitives (im2col + BLAS on the CPU) and their public functions."""
from __future__ import annotations

__all__: list[str] = []
