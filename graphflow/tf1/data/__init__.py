"""``tf.data``: input pipelines (``Dataset``) and their iterators."""
from graphflow.tf1.data.dataset import Dataset, Iterator, make_initializable_iterator, make_one_shot_iterator

__all__ = ["Dataset", "Iterator", "make_initializable_iterator", "make_one_shot_iterator"]
