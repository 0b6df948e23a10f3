"""``tf.contrib.learn.datasets`` (TF 1.15): MNIST read from local files, the ``Datasets`` triple
and the CSV loaders. Nothing is downloaded: a missing file is an error naming it."""
from graphflow.tf1.contrib.learn.datasets import base, mnist
from graphflow.tf1.contrib.learn.datasets.mnist import load_mnist

__all__ = ["base", "load_mnist", "mnist"]
