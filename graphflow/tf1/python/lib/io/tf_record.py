"""``tensorflow.python.lib.io.tf_record``: TFRecord files under their internal path."""
from graphflow.tf1.io import TFRecordCompressionType, TFRecordOptions, TFRecordWriter, tf_record_iterator

__all__ = ["TFRecordCompressionType", "TFRecordOptions", "TFRecordWriter", "tf_record_iterator"]
