"""``gf.data``: TF1's ``tf.data`` (``Dataset`` and its iterators, ``experimental``, from
``graphflow.tf1.data``) with PyTorch's ``DataLoader`` and ``TensorDataset`` (the objects
``graphflow.utils.data`` holds)."""
from graphflow.tf1.data import (
    AUTOTUNE,
    Dataset,
    FixedLengthRecordDataset,
    Iterator,
    TextLineDataset,
    TFRecordDataset,
    experimental,
    get_output_classes,
    get_output_shapes,
    get_output_types,
    make_initializable_iterator,
    make_one_shot_iterator,
)
from graphflow.torch_style.utils.data import DataLoader, TensorDataset

__all__ = ["AUTOTUNE", "DataLoader", "Dataset", "FixedLengthRecordDataset", "Iterator", "TFRecordDataset",
           "TensorDataset", "TextLineDataset", "experimental", "get_output_classes", "get_output_shapes",
           "get_output_types", "make_initializable_iterator", "make_one_shot_iterator"]
