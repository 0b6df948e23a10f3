"""``tf.strings``: the string ops under their TF 1.13+ names."""
from graphflow.ops.string_ops import as_string, length, lower, reduce_join, strip, substr, to_number, upper
from graphflow.ops.string_ops import string_join as join

__all__ = ["as_string", "join", "length", "lower", "reduce_join", "strip", "substr", "to_number", "upper"]
