"""``tf.contrib.learn.datasets.mnist`` (and so ``tensorflow.examples.tutorials.mnist.input_data``):
the four MNIST files read from a local folder into ``DataSet``s with TF 1.15's behaviour — images
scaled to [0, 1] and flattened to 784, labels dense or one-hot, a validation split taken from the
front of the training set, and ``next_batch`` shuffling each epoch (numpy's generator seeded from
the graph seed, as TF1) and joining an epoch's tail to the next epoch's head.

    mnist = read_data_sets("MNIST_data", one_hot=True)   # the .gz files must be in MNIST_data/
    xs, ys = mnist.train.next_batch(100)
"""
from __future__ import annotations

import gzip
from typing import Any, BinaryIO

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.tf1.contrib.learn.datasets.base import Datasets, maybe_download
from graphflow.tf1.random_seed import get_seed

__all__ = ["DEFAULT_SOURCE_URL", "DataSet", "dense_to_one_hot", "extract_images", "extract_labels", "load_mnist",
           "read_data_sets"]

DEFAULT_SOURCE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz")


def _read32(stream: Any) -> int:
    return int(np.frombuffer(stream.read(4), dtype=np.dtype(np.uint32).newbyteorder(">"))[0])


def extract_images(f: BinaryIO) -> np.ndarray:
    """The images of a gzipped IDX3 file as uint8 ``[n, rows, cols, 1]``."""
    with gzip.GzipFile(fileobj=f) as stream:
        magic = _read32(stream)
        if magic != 2051:
            raise ValueError(f"Invalid magic number {magic} in MNIST image file: {getattr(f, 'name', f)}")
        n, rows, cols = _read32(stream), _read32(stream), _read32(stream)
        data = np.frombuffer(stream.read(rows * cols * n), dtype=np.uint8)
        if data.size != rows * cols * n:
            raise ValueError(f"MNIST image file {getattr(f, 'name', f)} is truncated: {data.size} of "
                             f"{rows * cols * n} bytes")
        return data.reshape(n, rows, cols, 1)


def dense_to_one_hot(labels_dense: np.ndarray, num_classes: int) -> np.ndarray:
    """Class ids to one-hot rows (float64, as TF1's)."""
    out = np.zeros((labels_dense.shape[0], num_classes))
    out.flat[np.arange(labels_dense.shape[0]) * num_classes + labels_dense.ravel()] = 1
    return out


def extract_labels(f: BinaryIO, one_hot: bool = False, num_classes: int = 10) -> np.ndarray:
    """The labels of a gzipped IDX1 file (uint8, or one-hot rows)."""
    with gzip.GzipFile(fileobj=f) as stream:
        magic = _read32(stream)
        if magic != 2049:
            raise ValueError(f"Invalid magic number {magic} in MNIST label file: {getattr(f, 'name', f)}")
        n = _read32(stream)
        labels = np.frombuffer(stream.read(n), dtype=np.uint8)
        if labels.size != n:
            raise ValueError(f"MNIST label file {getattr(f, 'name', f)} is truncated: {labels.size} of {n} labels")
        return dense_to_one_hot(labels, num_classes) if one_hot else labels


class DataSet:
    """Images and labels with ``next_batch``; ``dtype`` float32 scales images to [0, 1]."""

    def __init__(self, images: Any, labels: Any, fake_data: bool = False, one_hot: bool = False,
                 dtype: Any = _dt.float32, reshape: bool = True, seed: int | None = None) -> None:
        seed1, seed2 = get_seed(seed)
        np.random.seed(seed1 if seed is None else seed2)
        dt = _dt.as_dtype(dtype).base_dtype
        if dt not in (_dt.uint8, _dt.float32):
            raise TypeError(f"Invalid image dtype {dtype!r}, expected uint8 or float32")
        if fake_data:
            self._num_examples = 10000
            self.one_hot = one_hot
        else:
            images, labels = np.asarray(images), np.asarray(labels)
            if images.shape[0] != labels.shape[0]:
                raise ValueError(f"images.shape: {images.shape} labels.shape: {labels.shape}")
            self._num_examples = images.shape[0]
            if reshape:
                if images.shape[3] != 1:
                    raise ValueError(f"reshape needs one channel, got images of shape {images.shape}")
                images = images.reshape(images.shape[0], images.shape[1] * images.shape[2])
            if dt == _dt.float32:
                images = images.astype(np.float32) * np.float32(1.0 / 255.0)
        self._images, self._labels = images, labels
        self._epochs_completed = 0
        self._index_in_epoch = 0

    images = property(lambda self: self._images)
    labels = property(lambda self: self._labels)
    num_examples = property(lambda self: self._num_examples)
    epochs_completed = property(lambda self: self._epochs_completed)

    def _shuffle(self) -> None:
        perm = np.arange(self._num_examples)
        np.random.shuffle(perm)
        self._images, self._labels = self._images[perm], self._labels[perm]

    def next_batch(self, batch_size: int, fake_data: bool = False, shuffle: bool = True) -> tuple[Any, Any]:
        """The next ``batch_size`` examples; an epoch's last batch is completed from the next."""
        if fake_data:
            image = [1] * 784
            label = [1] + [0] * 9 if self.one_hot else 0
            return [image for _ in range(batch_size)], [label for _ in range(batch_size)]
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            self._shuffle()
        if start + batch_size > self._num_examples:
            self._epochs_completed += 1
            rest_images, rest_labels = self._images[start:], self._labels[start:]
            if shuffle:
                self._shuffle()
            self._index_in_epoch = batch_size - (self._num_examples - start)
            end = self._index_in_epoch
            return (np.concatenate((rest_images, self._images[:end]), axis=0),
                    np.concatenate((rest_labels, self._labels[:end]), axis=0))
        self._index_in_epoch += batch_size
        return self._images[start:self._index_in_epoch], self._labels[start:self._index_in_epoch]


def read_data_sets(train_dir: str, fake_data: bool = False, one_hot: bool = False, dtype: Any = _dt.float32,
                   reshape: bool = True, validation_size: int = 5000, seed: int | None = None,
                   source_url: str = DEFAULT_SOURCE_URL) -> Datasets:
    """``Datasets(train, validation, test)`` from the four MNIST files in ``train_dir`` (nothing
    is downloaded: a missing file raises, naming it)."""
    if fake_data:
        def fake() -> DataSet:
            return DataSet([], [], fake_data=True, one_hot=one_hot, dtype=dtype, seed=seed)
        return Datasets(train=fake(), validation=fake(), test=fake())
    url = source_url or DEFAULT_SOURCE_URL
    paths = [maybe_download(name, train_dir, url + name) for name in FILES]
    with open(paths[0], "rb") as f:
        train_images = extract_images(f)
    with open(paths[1], "rb") as f:
        train_labels = extract_labels(f, one_hot=one_hot)
    with open(paths[2], "rb") as f:
        test_images = extract_images(f)
    with open(paths[3], "rb") as f:
        test_labels = extract_labels(f, one_hot=one_hot)
    if not 0 <= validation_size <= len(train_images):
        raise ValueError(f"Validation size should be between 0 and {len(train_images)}. Received: "
                         f"{validation_size}.")
    options: dict[str, Any] = {"dtype": dtype, "reshape": reshape, "seed": seed}
    return Datasets(train=DataSet(train_images[validation_size:], train_labels[validation_size:], **options),
                    validation=DataSet(train_images[:validation_size], train_labels[:validation_size], **options),
                    test=DataSet(test_images, test_labels, **options))


def load_mnist(train_dir: str = "MNIST-data") -> Datasets:
    return read_data_sets(train_dir)
