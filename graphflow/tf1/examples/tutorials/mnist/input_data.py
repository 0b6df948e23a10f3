"""``tensorflow.examples.tutorials.mnist.input_data``: ``read_data_sets`` from local files."""
from graphflow.tf1.contrib.learn.datasets.mnist import (
    DataSet,
    dense_to_one_hot,
    extract_images,
    extract_labels,
    read_data_sets,
)

__all__ = ["DataSet", "dense_to_one_hot", "extract_images", "extract_labels", "read_data_sets"]
