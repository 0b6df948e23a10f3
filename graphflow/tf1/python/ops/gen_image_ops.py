"""``from tensorflow.python.ops import gen_image_ops``: importable, but graphflow has no image ops
yet (tf.image is issue 24), so every name raises AttributeError saying so."""
from __future__ import annotations


def __getattr__(attr: str) -> object:
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}: graphflow has no image ops "
                         "(tf.image is issue 24)")
