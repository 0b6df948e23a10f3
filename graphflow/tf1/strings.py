"""``tf.strings``: the string ops under their TF 1.13+ names."""
from graphflow.ops.string_format_ops import string_format as format  # noqa: A004
from graphflow.ops.string_hash_ops import string_to_hash_bucket as to_hash_bucket
from graphflow.ops.string_hash_ops import string_to_hash_bucket_fast as to_hash_bucket_fast
from graphflow.ops.string_hash_ops import string_to_hash_bucket_strong as to_hash_bucket_strong
from graphflow.ops.string_ngram_ops import ngrams
from graphflow.ops.string_ops import as_string, length, lower, reduce_join, strip, substr, to_number, upper
from graphflow.ops.string_ops import string_join as join
from graphflow.ops.string_pattern_ops import regex_full_match, regex_replace
from graphflow.ops.string_split_ops import bytes_split, split, unsorted_segment_join
from graphflow.ops.string_unicode_ops import unicode_encode, unicode_script, unicode_transcode

__all__ = ["as_string", "bytes_split", "format", "join", "length", "lower", "ngrams", "reduce_join",
           "regex_full_match", "regex_replace", "split", "strip", "substr", "to_hash_bucket", "to_hash_bucket_fast",
           "to_hash_bucket_strong", "to_number", "unicode_encode", "unicode_script", "unicode_transcode",
           "unsorted_segment_join", "upper"]
