"""``tf.data``: input pipelines (``Dataset``) and their iterators."""
from graphflow.data.dataset import Dataset, Iterator, make_initializable_iterator, make_one_shot_iterator
from graphflow.utils.data import DataLoader, TensorDataset

__all__ = ["DataLoader", "Dataset", "Iterator", "TensorDataset", "make_initializable_iterator",
           "make_one_shot_iterator"]
