"""``tf.contrib.learn.datasets.base``: the ``Datasets`` triple and the file fetching that TF 1.15's
loaders share. Nothing is downloaded here: a missing file is a clear error naming the file, the
folder to place it in and where TF1 would have fetched it from."""
from __future__ import annotations

import collections
import csv
import os
from typing import Any

import numpy as np

__all__ = ["Dataset", "Datasets", "load_csv_with_header", "load_csv_without_header", "maybe_download",
           "shrink_csv"]

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])
Dataset = collections.namedtuple("Dataset", ["data", "target"])


def maybe_download(filename: str, work_directory: str, source_url: str) -> str:
    """The path of ``filename`` in ``work_directory``; FileNotFoundError naming what to place
    there when it is missing (graphflow does not download)."""
    path = os.path.join(work_directory, filename)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{filename} is not in {os.path.abspath(work_directory)}: graphflow does not download datasets. "
            f"Place the file there (TF1 fetched it from {source_url}).")
    return path


def load_csv_with_header(filename: str, target_dtype: Any, features_dtype: Any, target_column: int = -1) -> Dataset:
    """A CSV whose first row is ``n_samples,n_features,...`` (TF1's iris / boston files)."""
    with open(filename) as f:
        rows = csv.reader(f)
        header = next(rows)
        n_samples = int(header[0])
        n_features = int(header[1])
        data = np.zeros((n_samples, n_features), dtype=features_dtype)
        target = np.zeros((n_samples,), dtype=target_dtype)
        for i, row in enumerate(rows):
            target[i] = np.asarray(row.pop(target_column), dtype=target_dtype)
            data[i] = np.asarray(row, dtype=features_dtype)
    return Dataset(data=data, target=target)


def load_csv_without_header(filename: str, target_dtype: Any, features_dtype: Any,
                            target_column: int = -1) -> Dataset:
    """A CSV of rows of features with the target in ``target_column``."""
    data, target = [], []
    with open(filename) as f:
        for row in csv.reader(f):
            target.append(row.pop(target_column))
            data.append(np.asarray(row, dtype=features_dtype))
    return Dataset(data=np.array(data), target=np.array(target).astype(target_dtype))


def shrink_csv(filename: str, ratio: int) -> None:
    """Write ``<name>_small.csv`` keeping every ``ratio``-th line of ``filename``."""
    root, ext = os.path.splitext(filename)
    with open(filename) as source, open(f"{root}_small{ext}", "w") as out:
        for i, line in enumerate(source):
            if i % ratio == 0:
                out.write(line)

