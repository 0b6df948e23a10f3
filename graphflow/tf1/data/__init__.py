"""``tf.data``: input pipelines (``Dataset``) and their iterators, ``experimental``'s
transformations, and TF1's ``get_output_shapes`` / ``_types`` / ``_classes``."""
from graphflow.tf1.data import experimental
from graphflow.tf1.data.dataset import Dataset, Iterator, make_initializable_iterator, make_one_shot_iterator
from graphflow.tf1.data.experimental import AUTOTUNE, get_output_classes, get_output_shapes, get_output_types

__all__ = ["AUTOTUNE", "Dataset", "Iterator", "experimental", "get_output_classes", "get_output_shapes",
           "get_output_types", "make_initializable_iterator", "make_one_shot_iterator"]
