"""``tf.data``: input pipelines (``Dataset``), the file datasets, their iterators,
``experimental``'s transformations, and TF1's ``get_output_shapes`` / ``_types`` / ``_classes``."""
from graphflow.tf1.data import experimental
from graphflow.tf1.data.dataset import Dataset
from graphflow.tf1.data.experimental import AUTOTUNE, get_output_classes, get_output_shapes, get_output_types
from graphflow.tf1.data.iterators import Iterator, make_initializable_iterator, make_one_shot_iterator
from graphflow.tf1.data.readers import FixedLengthRecordDataset, TextLineDataset, TFRecordDataset

__all__ = ["AUTOTUNE", "Dataset", "FixedLengthRecordDataset", "Iterator", "TFRecordDataset", "TextLineDataset",
           "experimental", "get_output_classes", "get_output_shapes", "get_output_types",
           "make_initializable_iterator", "make_one_shot_iterator"]
