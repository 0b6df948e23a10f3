"""``tf.data.experimental`` (and the same functions under ``tf.contrib.data`` and as TF1's
``tf.data.get_output_*``): ``AUTOTUNE``, ``map_and_batch``, ``shuffle_and_repeat``,
``parallel_interleave``, ``unbatch``, ``ignore_errors``, ``CsvDataset``, ``get_single_element``, and the
structure of a dataset's or iterator's elements."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import graphflow.tf1.data.transforms as transforms
from graphflow.core.errors import InvalidArgumentError
from graphflow.ops.func_graph import pack_as
from graphflow.ops.py_func_ops import py_func
from graphflow.tf1.data.csv_reader import CsvDataset, make_csv_dataset
from graphflow.tf1.data.dataset import Dataset
from graphflow.tf1.data.iterators import Iterator

# Every ``num_parallel_calls`` / ``buffer_size`` graphflow's host pipeline takes accepts it: the
# elements are made one at a time in the session's thread, so there is nothing to tune
AUTOTUNE = -1


def map_and_batch(map_func: Callable[..., Any], batch_size: int, num_parallel_batches: int | None = None,
                  drop_remainder: bool = False, num_parallel_calls: int | None = None) -> Callable[[Dataset], Dataset]:
    """``ds.apply(map_and_batch(f, n))`` is ``ds.map(f).batch(n, drop_remainder)`` (TF fused the two).

    >>> import graphflow as gf
    >>> ds = gf.data.Dataset.range(5).apply(map_and_batch(lambda x: x * 2, 2))
    >>> [b.tolist() for b in ds]
    [[0, 2], [4, 6], [8]]
    """
    if num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError("`num_parallel_batches` and `num_parallel_calls` are mutually exclusive.")
    return lambda dataset: dataset.map(map_func).batch(batch_size, drop_remainder=drop_remainder)


def shuffle_and_repeat(buffer_size: int, count: int | None = None,
                       seed: int | None = None) -> Callable[[Dataset], Dataset]:
    """``ds.apply(shuffle_and_repeat(n))``: ``shuffle(n, seed)`` then ``repeat(count)``."""
    return lambda dataset: dataset.shuffle(buffer_size, seed=seed).repeat(count)


def parallel_interleave(map_func: Callable[..., Any], cycle_length: int, block_length: int = 1, sloppy: bool = False,
                        buffer_output_elements: int | None = None,
                        prefetch_input_elements: int | None = None) -> Callable[[Dataset], Dataset]:
    """``ds.apply(parallel_interleave(f, n))``: ``ds.interleave(f, n, block_length)``, in the
    deterministic order (``sloppy=True`` gives it too: graphflow makes one element at a time)."""
    return lambda dataset: transforms.interleave(dataset, map_func, cycle_length, block_length)


def unbatch() -> Callable[[Dataset], Dataset]:
    """``ds.apply(unbatch())``: ``ds.unbatch()``."""
    return transforms.unbatch


def ignore_errors() -> Callable[[Dataset], Dataset]:
    """``ds.apply(ignore_errors())``: the elements whose ``map`` (or ``from_generator``
    conversion) raised are left out.

    >>> import graphflow as gf
    >>> ds = gf.data.Dataset.from_tensor_slices([1.0, 0.0, 2.0]).map(
    ...     lambda x: gf.debugging.check_numerics(1.0 / x, "inf")).apply(ignore_errors())
    >>> [float(v) for v in ds]
    [1.0, 0.5]
    """
    return transforms.ignore_errors


def get_single_element(dataset: Dataset) -> Any:
    """Tensors holding the only element of ``dataset``, made again on every run; a run raises
    ``InvalidArgumentError`` if the dataset is empty or has more than one element.

    >>> import graphflow as gf
    >>> x = get_single_element(gf.data.Dataset.from_tensors([1.0, 2.0]))
    >>> x.shape.as_list()
    [2]
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"`dataset` must be a `tf.data.Dataset` object, got {type(dataset).__name__}")
    fed = dataset._all_sources()
    inputs = [t for d in fed for t in d._sources]

    def only_element(*values: np.ndarray) -> list[np.ndarray]:
        it = iter(values)
        for d in fed:  # a dataset of placeholders reads them in this run, as an initializer would
            d._source_values = [next(it) for _ in d._sources]
        stream = dataset._make()
        first = next(stream, None)
        if first is None:
            raise InvalidArgumentError(None, None, "Dataset was empty.")
        if next(stream, None) is not None:
            raise InvalidArgumentError(None, None, "Dataset had more than one element.")
        return [np.asarray(v) for v in first]

    outs = py_func(only_element, inputs, list(dataset.output_types_flat), name="DatasetToSingleElement")
    for t, shape in zip(outs, dataset.output_shapes_flat):
        t.set_shape(shape)
    s = dataset._structure
    return pack_as(s, outs) if isinstance(s, (tuple, list, dict)) else outs[0]


def get_output_shapes(dataset_or_iterator: Dataset | Iterator) -> Any:
    """The ``TensorShape`` of each component of the elements."""
    return dataset_or_iterator.output_shapes


def get_output_types(dataset_or_iterator: Dataset | Iterator) -> Any:
    """The ``DType`` of each component of the elements."""
    return dataset_or_iterator.output_types


def get_output_classes(dataset_or_iterator: Dataset | Iterator) -> Any:
    """The class of each component of the elements (``tf.Tensor``)."""
    return dataset_or_iterator.output_classes


__all__ = ["AUTOTUNE", "CsvDataset", "get_output_classes", "get_output_shapes", "get_output_types",
           "get_single_element", "ignore_errors", "make_csv_dataset", "map_and_batch", "parallel_interleave",
           "shuffle_and_repeat", "unbatch"]
