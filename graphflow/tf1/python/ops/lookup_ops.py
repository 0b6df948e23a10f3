"""``from tensorflow.python.ops import lookup_ops``: importable, but graphflow has no lookup tables
(``tf.lookup``, ``tf.contrib.lookup``), so every name raises AttributeError saying so."""
from __future__ import annotations


def __getattr__(attr: str) -> object:
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}: graphflow has no lookup tables "
                         "(tf.lookup, tf.contrib.lookup, index_table_from_*)")
