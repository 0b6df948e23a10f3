"""``tf.io`` and ``tf.python_io``: files (gfile), TFRecord files, tf.train.Example and its parsing."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphflow.formats import tfrecord as _tfrecord
from graphflow.graphdef.util import write_graph
from graphflow.ops import image_codecs as _codecs
from graphflow.ops.csv_ops import decode_csv
from graphflow.ops.io_ops import decode_compressed, decode_raw, parse_tensor, read_file, serialize_tensor, write_file
from graphflow.ops.parsing_ops import (
    FixedLenFeature,
    FixedLenSequenceFeature,
    SparseFeature,
    VarLenFeature,
    parse_example,
    parse_single_example,
)
from graphflow.ops.queue_ops import PaddingFIFOQueue, PriorityQueue, QueueBase, RandomShuffleQueue
from graphflow.ops.sequence_parsing_ops import parse_sequence_example, parse_single_sequence_example
from graphflow.ops.string_pattern_ops import decode_base64, encode_base64
from graphflow.tf1.python.platform import gfile
from graphflow.tf1.train.input import match_filenames_once

_CODECS = ["decode_and_crop_jpeg", "decode_bmp", "decode_gif", "decode_image", "decode_jpeg", "decode_png",
           "encode_jpeg", "encode_png", "extract_jpeg_shape", "is_jpeg"]
__all__ = ["gfile", "TFRecordCompressionType", "TFRecordOptions", "TFRecordWriter", "tf_record_iterator",
           "FixedLenFeature", "FixedLenSequenceFeature", "VarLenFeature", "SparseFeature", "parse_example",
           "parse_single_example", "parse_single_sequence_example", "parse_sequence_example", "decode_raw",
           "decode_compressed", "read_file", "write_file", "serialize_tensor", "parse_tensor",
           # tf.io's names for functions of other modules (TF 1.15's tf.io has them all)
           "decode_csv", "decode_base64", "encode_base64", "match_filenames_once", "matching_files", "write_graph",
           "PaddingFIFOQueue", "PriorityQueue", "QueueBase", "RandomShuffleQueue", *_CODECS]


globals().update({name: getattr(_codecs, name) for name in _CODECS})
matching_files = match_filenames_once  # (a glob's sorted matches whenever it runs, as TF's MatchingFiles)


class TFRecordCompressionType:
    """TF1's compression codes of TFRecord files."""
    NONE = 0
    ZLIB = 1
    GZIP = 2


class TFRecordOptions:
    """How a TFRecord file is compressed (``compression_type``: ``""``, ``"ZLIB"``, ``"GZIP"`` or a
    ``TFRecordCompressionType``). The zlib tuning options are accepted and not used: graphflow
    writes with zlib's defaults, which every reader reads."""

    compression_type_map = {TFRecordCompressionType.ZLIB: "ZLIB", TFRecordCompressionType.GZIP: "GZIP",
                            TFRecordCompressionType.NONE: ""}

    def __init__(self, compression_type: Any = None, flush_mode: Any = None, input_buffer_size: Any = None,
                 output_buffer_size: Any = None, window_bits: Any = None, compression_level: Any = None,
                 compression_method: Any = None, mem_level: Any = None, compression_strategy: Any = None) -> None:
        self.compression_type = _tfrecord.compression_name(compression_type)
        self.flush_mode, self.input_buffer_size, self.output_buffer_size = flush_mode, input_buffer_size, \
            output_buffer_size
        self.window_bits, self.compression_level, self.compression_method = window_bits, compression_level, \
            compression_method
        self.mem_level, self.compression_strategy = mem_level, compression_strategy

    @classmethod
    def get_compression_type_string(cls, options: Any) -> str:
        """``""``, ``"ZLIB"`` or ``"GZIP"`` for a ``TFRecordOptions``, a string or None.

        >>> TFRecordOptions.get_compression_type_string(TFRecordOptions(TFRecordCompressionType.GZIP))
        'GZIP'
        """
        if isinstance(options, TFRecordOptions):
            return options.compression_type
        return _tfrecord.compression_name(options)


class TFRecordWriter(_tfrecord.Writer):
    """``TFRecordWriter(path, options=None)``: ``write(record)``, ``flush()``, ``close()``, ``with``.
    The file appears, complete, at ``close`` (written atomically)."""

    def __init__(self, path: Any, options: Any = None) -> None:
        super().__init__(path, TFRecordOptions.get_compression_type_string(options))

    def write(self, record: bytes | str) -> None:
        super().write(record.encode() if isinstance(record, str) else record)


def tf_record_iterator(path: Any, options: Any = None) -> Iterator[bytes]:
    """The records of a TFRecord file, one ``bytes`` each.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.tfrecord")
    >>> with TFRecordWriter(p) as w:
    ...     w.write(b"one")
    >>> list(tf_record_iterator(p))
    [b'one']
    """
    return _tfrecord.iterate(path, TFRecordOptions.get_compression_type_string(options))


# names TF1 also has at the top level (tf.parse_example, tf.FixedLenFeature...)
TOP_LEVEL: dict[str, object] = {
    "parse_example": parse_example, "parse_single_example": parse_single_example,
    "parse_single_sequence_example": parse_single_sequence_example, "FixedLenFeature": FixedLenFeature,
    "FixedLenSequenceFeature": FixedLenSequenceFeature, "VarLenFeature": VarLenFeature,
    "SparseFeature": SparseFeature, "matching_files": matching_files,
    "decode_raw": decode_raw, "decode_compressed": decode_compressed, "read_file": read_file, "write_file": write_file,
    "serialize_tensor": serialize_tensor, "parse_tensor": parse_tensor,
}
