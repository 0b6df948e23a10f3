"""``tf.contrib.learn`` (TF 1.15): its data utilities — ``datasets`` (MNIST from local files) and
``preprocessing`` (``VocabularyProcessor``). Its Estimators are tf.estimator's world (issue 25)."""
from graphflow.tf1.contrib.learn import datasets, preprocessing
from graphflow.tf1.contrib.learn.datasets.base import Datasets

__all__ = ["Datasets", "datasets", "preprocessing"]
