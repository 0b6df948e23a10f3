"""The ``Dataset`` transformations beyond one-element-in, one-out: ``from_generator``,
``interleave`` / ``flat_map`` (a function of an element that returns a dataset), ``padded_batch``,
``unbatch``, ``concatenate``, ``cache``, ``reduce`` and ``window``.

A function that returns a dataset is traced once on placeholders for the element; per element,
the tensors the returned dataset is made from (its run-time sources) are evaluated for that
element and the dataset's stream is started on them.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Iterator as PyIterator
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.errors import DataLossError, InvalidArgumentError, OpError
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Graph, Tensor
from graphflow.core.runtime_hook import new_session
from graphflow.core.shapes import TensorShape
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.py_func_ops import py_func
from graphflow.ops.state_ops import placeholder
from graphflow.tf1.data.dataset import SKIP_ERRORS, Dataset, _as_arrays, stack
from graphflow.tf1.data.iterators import _flat_spec, _flatten_like


def _call(fn: Callable[..., Any], args: Any) -> Any:
    """``fn`` on an element: a tuple element is spread over the arguments, as ``map`` does."""
    return fn(*args) if isinstance(args, tuple) and not hasattr(args, "_fields") else fn(args)


def _as_element(value: object, dtype: _dt.DType, shape: TensorShape, what: str) -> np.ndarray:
    try:
        arr = _dt.to_strings(value) if dtype.is_string else np.asarray(value, dtype=dtype.np)
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(None, None, f"TypeError: `generator` yielded an element that could not be converted "
                                   f"to the expected type. The expected type was {dtype.name}, but the yielded "
                                   f"element was {value!r}.") from e
    if not shape.is_compatible_with(TensorShape(arr.shape)):
        raise InvalidArgumentError(None, None, f"`{what}` yielded an element of shape {arr.shape} where an element "
                                   f"of shape {tuple(shape.as_list() or ())} was expected.")
    return arr


def from_generator(generator: Callable[..., Any], output_types: Any, output_shapes: Any = None,
                   args: Any = None) -> Dataset:
    """The elements ``generator(*args)`` yields, converted to ``output_types`` (and checked
    against ``output_shapes``); the generator is called again each time an iterator starts.

    >>> import graphflow as gf
    >>> ds = from_generator(lambda: iter([[1, 2], [3]]), gf.int32, [None])
    >>> [v.tolist() for v in ds]
    [[1, 2], [3]]
    """
    structure, types, shapes = _flat_spec(output_types, output_shapes)
    arg_vals = [_as_arrays(a) for a in (args or ())]
    sources = [a for a in arg_vals if isinstance(a, Tensor)]
    holder: list[Dataset] = []

    def make() -> PyIterator[Any]:
        given = iter(holder[0]._source_values)
        actual = [next(given) if isinstance(a, Tensor) else a for a in arg_vals]
        for item in generator(*actual):
            try:
                flat = _flatten_like(structure, item) if structure != 0 else [item]
                element = [_as_element(v, d, s, "generator") for v, d, s in zip(flat, types, shapes)]
            except (OpError, ValueError):
                if SKIP_ERRORS[0]:
                    continue
                raise
            yield element
    ds = Dataset(make, structure, shapes, types, sources)
    holder.append(ds)
    return ds


class _DatasetFunction:
    """A function of an element that returns a Dataset, traced once; ``open(item)`` starts the
    returned dataset's stream for one element."""

    def __init__(self, dataset: Dataset, fn: Callable[..., Any]) -> None:
        self._graph = g = Graph()
        with g.as_default():
            self._phs = [placeholder(d, s) for d, s in zip(dataset.output_types_flat, dataset.output_shapes_flat)]
            g._dataset_fn_inputs = self._phs  # type: ignore[attr-defined]  # what a nested map may capture
            args: list[Any] = self._phs
            if getattr(dataset, "_windows", False):  # each component of a window is a dataset
                args = [Dataset.from_tensor_slices(p) for p in self._phs]
            nested = isinstance(dataset._structure, (tuple, list, dict))
            inner = _call(fn, pack_as(dataset._structure, args) if nested else args[0])
        if not isinstance(inner, Dataset):
            raise TypeError(f"`map_func` must return a `Dataset` object, got {type(inner).__name__}")
        self.dataset = inner
        self._fed = inner._all_sources()
        self._sources = [t for d in self._fed for t in d._sources]
        self._sess: list[Any] = []

    def open(self, item: list[Any]) -> PyIterator[Any]:
        values: list[Any] = []
        if self._sources:
            if not self._sess:
                self._sess.append(new_session(self._graph))
            values = self._sess[0].run(self._sources, dict(zip(self._phs, item)))
        return self._stream(values)

    def _stream(self, values: list[Any]) -> PyIterator[Any]:
        stream = None
        while True:
            # streams of several elements are open at once (interleave): each reads its own values
            it = iter(values)
            for d in self._fed:
                d._source_values = [next(it) for _ in d._sources]
            stream = stream if stream is not None else self.dataset._make()
            try:
                item = next(stream)
            except StopIteration:
                return
            yield item


def interleave(dataset: Dataset, map_func: Callable[..., Any], cycle_length: int = -1, block_length: int = 1,
               num_parallel_calls: int | None = None) -> Dataset:
    """``block_length`` elements in turn from each of ``cycle_length`` datasets ``map_func``
    makes of consecutive input elements (TF's order: an exhausted slot takes the next input
    element when the cycle comes back to it).

    >>> import graphflow as gf
    >>> ds = gf.data.Dataset.range(1, 4).interleave(lambda x: gf.data.Dataset.from_tensors(x).repeat(2), 2)
    >>> [int(v) for v in ds]
    [1, 2, 1, 2, 3, 3]
    """
    fn = _DatasetFunction(dataset, map_func)
    cycle = (os.cpu_count() or 1) if cycle_length in (None, -1) else int(cycle_length)
    if cycle <= 0 or block_length <= 0:
        raise InvalidArgumentError(None, None, f"cycle_length ({cycle_length}) and block_length ({block_length}) "
                                   "must be positive")

    def make() -> PyIterator[Any]:
        yield from _interleave(dataset._make(), fn.open, cycle, block_length)
    out = Dataset(make, fn.dataset._structure, fn.dataset.output_shapes_flat, fn.dataset.output_types_flat)
    out._parent = dataset  # type: ignore[attr-defined]
    return out


def _interleave(inputs: PyIterator[Any], open_fn: Callable[[Any], PyIterator[Any]], cycle: int,
                block: int) -> PyIterator[Any]:
    slots: list[PyIterator[Any] | None] = [None] * cycle
    index = taken = n_open = 0
    end_of_input = False
    while not end_of_input or n_open:
        current = slots[index]
        if current is not None:
            item = next(current, None)
            if item is not None:
                yield item
                taken += 1
                if taken == block:
                    index, taken = (index + 1) % cycle, 0
                continue
            slots[index] = None
            n_open -= 1
            index, taken = (index + 1) % cycle, 0
        elif not end_of_input:
            element = next(inputs, None)
            if element is None:
                end_of_input = True
                continue
            slots[index] = open_fn(element)
            n_open += 1
        else:
            index, taken = (index + 1) % cycle, 0


def flat_map(dataset: Dataset, map_func: Callable[..., Any]) -> Dataset:
    """The elements of ``map_func(element)``'s datasets, one dataset after the other."""
    return interleave(dataset, map_func, cycle_length=1, block_length=1)


def padded_batch(dataset: Dataset, batch_size: int, padded_shapes: Any = None, padding_values: Any = None,
                 drop_remainder: bool = False) -> Dataset:
    """Batches whose components are padded to ``padded_shapes`` (a -1 or None dimension pads to
    the largest in the batch) with ``padding_values`` (0 or ``b""`` unless given).

    >>> import graphflow as gf
    >>> ds = gf.data.Dataset.range(1, 4).map(lambda n: gf.fill([n], n)).padded_batch(2, [None])
    >>> [b.tolist() for b in ds]
    [[[1, 0], [2, 2]], [[3, 3, 3]]]
    """
    n = len(dataset.output_types_flat)
    nested = isinstance(dataset._structure, (tuple, list, dict))
    if padded_shapes is None:
        want = [TensorShape([None] * s.rank) if s.rank is not None else s for s in dataset.output_shapes_flat]
    else:
        flat = _flatten_like(dataset._structure, padded_shapes) if nested else [padded_shapes]
        want = [TensorShape([None if d in (-1, None) else int(d) for d in
                             (s.as_list() if isinstance(s, TensorShape) else s)]) for s in flat]
    pads: list[Any] = ([None] * n if padding_values is None else
                       _flatten_like(dataset._structure, padding_values) if nested else [padding_values])
    for k, (w, s) in enumerate(zip(want, dataset.output_shapes_flat)):
        if w.rank is None or (s.rank is not None and w.rank != s.rank):
            raise ValueError(f"The padded shape {w} is not compatible with the corresponding input component "
                             f"shape {s} (component {k}).")
        if not w.is_compatible_with(s) and s.is_fully_defined():
            raise ValueError(f"The padded shape {w} is not compatible with the corresponding input component "
                             f"shape {s} (component {k}).")
    types = dataset.output_types_flat
    fill = [_pad_value(p, d) for p, d in zip(pads, types)]

    def stack(col: list[np.ndarray], k: int) -> np.ndarray:
        target = [w if w is not None else max(np.shape(a)[i] for a in col) for i, w in enumerate(want[k].as_list())]
        out = np.full([len(col)] + target, fill[k], dtype=types[k].np)
        for j, a in enumerate(col):
            a = np.asarray(a)
            if a.ndim != len(target):
                raise InvalidArgumentError(None, None, f"padded_batch: component {k} has rank {a.ndim}, its padded "
                                           f"shape {want[k]} rank {len(target)}")
            if any(d > t for d, t in zip(a.shape, target)):
                raise DataLossError(None, None, f"Attempted to pad to a smaller size than the input element: "
                                           f"component {k} of shape {list(a.shape)}, padded shape {target}")
            out[(j, *(slice(0, d) for d in a.shape), Ellipsis)] = a  # (Ellipsis: a 0-d string is copied, not held)
        return out

    def make() -> PyIterator[Any]:
        buf: list[Any] = []
        for item in dataset._make():
            buf.append(item)
            if len(buf) == batch_size:
                yield [stack(list(col), k) for k, col in enumerate(zip(*buf))]
                buf = []
        if buf and not drop_remainder:
            yield [stack(list(col), k) for k, col in enumerate(zip(*buf))]
    lead = batch_size if drop_remainder else None
    shapes = [TensorShape([lead] + w.as_list()) for w in want]
    return dataset._derive(make, shapes)


def _pad_value(value: object, dtype: _dt.DType) -> Any:
    if value is None:
        return b"" if dtype.is_string else dtype.np.type(0)
    if isinstance(value, Tensor):
        v = static_value(value)
        if v is None:
            raise ValueError("padded_batch needs padding_values known when the graph is built")
        value = v
    arr = _dt.to_strings(value) if dtype.is_string else np.asarray(value)
    if arr.shape != ():
        raise ValueError(f"padding_values must be scalars, got shape {arr.shape}")
    return arr.item() if dtype.is_string else arr.astype(dtype.np)


def unbatch(dataset: Dataset) -> Dataset:
    """Each element split along its first dimension into elements (the inverse of ``batch``)."""
    for s in dataset.output_shapes_flat:
        if s.rank == 0:
            raise ValueError("Cannot unbatch an input with scalar components.")

    def make() -> PyIterator[Any]:
        for item in dataset._make():
            sizes = {int(np.shape(a)[0]) for a in item}
            if len(sizes) != 1:
                raise InvalidArgumentError(None, None, f"unbatch needs components of one first dimension, got sizes "
                                           f"{sorted(sizes)}")
            for i in range(sizes.pop()):
                yield [np.asarray(a)[i] for a in item]
    return dataset._derive(make, [TensorShape(s.as_list()[1:]) if s.rank is not None else s
                                  for s in dataset.output_shapes_flat])


def concatenate(dataset: Dataset, other: Dataset) -> Dataset:
    """``dataset``'s elements, then ``other``'s (of the same types and nesting)."""
    if [t.name for t in dataset.output_types_flat] != [t.name for t in other.output_types_flat]:
        raise TypeError(f"Two datasets to concatenate have different types {dataset.output_types} and "
                        f"{other.output_types}")

    def merged(a: TensorShape, b: TensorShape) -> TensorShape:
        if a.rank is None or b.rank is None or a.rank != b.rank:
            return TensorShape(None)
        return TensorShape([x if x == y else None for x, y in zip(a.as_list(), b.as_list())])

    def make() -> PyIterator[Any]:
        yield from dataset._make()
        yield from other._make()
    out = Dataset(make, dataset._structure, [merged(a, b) for a, b in
                                             zip(dataset.output_shapes_flat, other.output_shapes_flat)],
                  dataset.output_types_flat)
    out._inputs = [dataset, other]  # type: ignore[attr-defined]
    return out


def cache(dataset: Dataset, filename: str = "") -> Dataset:
    """The elements of the first complete pass, kept in memory and replayed by later passes
    (a ``filename`` is accepted; the cache is kept in memory all the same)."""
    kept: list[list[Any]] = []
    done: list[bool] = []

    def make() -> PyIterator[Any]:
        if done:
            yield from kept
            return
        seen: list[list[Any]] = []
        for item in dataset._make():
            seen.append(item)
            yield item
        if not done:
            kept[:] = seen
            done.append(True)
    return dataset._derive(make)


def reduce(dataset: Dataset, initial_state: Any, reduce_func: Callable[[Any, Any], Any]) -> Any:  # noqa: A001
    """Tensors holding ``reduce_func`` folded over the elements from ``initial_state``,
    recomputed on every run that reads them."""
    init = _as_arrays(initial_state)
    init_flat = flatten(init)
    if any(isinstance(v, Tensor) for v in init_flat):
        raise ValueError("Dataset.reduce needs an initial_state known when the graph is built")
    s_struct = init if isinstance(init, (tuple, list, dict)) else 0
    s_types = [_dt.as_dtype(np.asarray(v).dtype) if np.asarray(v).dtype != object else _dt.string for v in init_flat]
    g = Graph()
    with g.as_default():
        s_ph = [placeholder(d, TensorShape(np.shape(v))) for d, v in zip(s_types, init_flat)]
        e_ph = [placeholder(d, s) for d, s in zip(dataset.output_types_flat, dataset.output_shapes_flat)]
        state = pack_as(s_struct, s_ph) if s_struct != 0 else s_ph[0]
        elem = pack_as(dataset._structure, e_ph) if isinstance(dataset._structure, (tuple, list, dict)) else e_ph[0]
        out = flatten(reduce_func(state, elem))
    if len(out) != len(s_ph):
        raise ValueError(f"reduce_func returned {len(out)} components, the state has {len(s_ph)}")
    fed = dataset._all_sources()
    inputs = [t for d in fed for t in d._sources]
    sess: list[Any] = []

    def fold(*values: np.ndarray) -> list[np.ndarray]:
        it = iter(values)
        for d in fed:
            d._source_values = [next(it) for _ in d._sources]
        if not sess:
            sess.append(new_session(g))
        acc = [np.asarray(v) for v in init_flat]
        for item in dataset._make():
            feeds = dict(zip(s_ph, acc))
            feeds.update(zip(e_ph, item))
            acc = [np.asarray(v) for v in sess[0].run(out, feeds)]
        return [a.astype(d.np) for a, d in zip(acc, s_types)]
    res = py_func(fold, inputs, s_types, name="ReduceDataset")
    for t, v in zip(res, init_flat):
        t.set_shape(TensorShape(np.shape(v)))
    return pack_as(s_struct, res) if s_struct != 0 else res[0]


def ignore_errors(dataset: Dataset) -> Dataset:
    """The elements whose making raised no error (``tf.data.experimental.ignore_errors``); a
    failing element is dropped and the stream goes on."""
    def make() -> PyIterator[Any]:
        stream = dataset._make()
        while True:
            # the stages that make one element at a time (map, from_generator) drop the element
            # whose making fails while this flag is up: a Python stream that raised cannot go on
            SKIP_ERRORS[0] += 1
            try:
                item = next(stream, None)
            finally:
                SKIP_ERRORS[0] -= 1
            if item is None:
                return
            yield item
    return dataset._derive(make)


def window(dataset: Dataset, size: int, shift: int | None = None, stride: int = 1,
           drop_remainder: bool = False) -> Dataset:
    """Windows of ``size`` elements (``stride`` apart) starting every ``shift`` elements; each
    window is an element of datasets, one per component, for ``flat_map`` / ``interleave``
    functions (``ds.window(3, 1).flat_map(lambda w: w.batch(3))``).

    >>> import graphflow as gf
    >>> ds = gf.data.Dataset.range(5).window(2, 2).flat_map(lambda w: w.batch(2))
    >>> [v.tolist() for v in ds]
    [[0, 1], [2, 3], [4]]
    """
    size, stride = int(size), int(stride)
    shift = size if shift is None else int(shift)
    if size <= 0 or shift <= 0 or stride <= 0:
        raise InvalidArgumentError(None, None, f"window size ({size}), shift ({shift}) and stride ({stride}) must "
                                   "be positive")

    def make() -> PyIterator[Any]:
        stream = dataset._make()
        buf: list[Any] = []
        base = start = 0  # buf[0] is element number `base`
        ended = False
        while True:
            last = start + (size - 1) * stride
            while not ended and base + len(buf) <= last:
                item = next(stream, None)
                if item is None:
                    ended = True
                else:
                    buf.append(item)
            picked = buf[start - base:last - base + 1:stride]
            if not picked or (drop_remainder and len(picked) < size):
                return
            yield [stack([it[k] for it in picked], t) for k, t in enumerate(dataset.output_types_flat)]
            start += shift
            drop = min(start - base, len(buf))
            del buf[:drop]
            base += drop
            if ended and start >= base + len(buf):
                return
    lead = size if drop_remainder else None
    out = dataset._derive(make, [TensorShape([lead] + s.as_list()) if s.rank is not None else s
                                 for s in dataset.output_shapes_flat])
    out._windows = True  # type: ignore[attr-defined]
    return out


# Dataset's methods implemented here (dataset.py cannot import this module, which builds on it), installed
# when the package is imported, as the op layer installs Tensor's operators
for _method in (cache, interleave, flat_map, padded_batch, unbatch, concatenate, window, reduce):
    setattr(Dataset, _method.__name__, _method)
Dataset.from_generator = staticmethod(from_generator)  # type: ignore[attr-defined]
