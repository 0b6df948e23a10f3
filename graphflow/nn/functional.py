"""TF1 ``tf.nn`` functions built from primitives: activations, softmax, losses on logits,
normalisation, dropout, embeddings."""
from __future__ import annotations

__all__: list[str] = []
