"""``tf.data.Dataset`` for the common TF1 pipelines, run on the host.

A dataset is a Python description of a stream of elements (nested structures of numpy arrays):
``from_tensor_slices`` / ``from_tensors`` / ``range``, then ``map``, ``filter``, ``shuffle``,
``batch``, ``repeat``, ``shard``, ``take``, ``skip``, ``prefetch``, ``zip``. ``get_next()`` of an
iterator gives tensors that the Session fills with the next element at the start of every run
that needs them (one element per run, shared by all fetches; the arrays go to the compiled call
as they are: a batch is a view of the source arrays where it can be), and raises
``tf.errors.OutOfRangeError`` when the stream ends. ``map`` functions are graph functions: they
are traced once and run by a session of their own on each element.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Iterator as PyIterator
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.errors import FailedPreconditionError, OutOfRangeError
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Graph, Tensor, get_default_graph
from graphflow.core.runtime_hook import new_session
from graphflow.core.shapes import TensorShape
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.py_func_ops import py_func
from graphflow.ops.state_ops import placeholder


def _as_arrays(x: object) -> Any:
    if isinstance(x, dict):
        return {k: _as_arrays(v) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(_as_arrays(v) for v in x)
    if isinstance(x, Tensor):
        v = static_value(x)
        return v if v is not None else x  # a run-time source (a placeholder): read at initialization
    arr = np.asarray(x)
    if arr.dtype.kind in "US" or arr.dtype == object:
        return _dt.to_strings(arr)
    if arr.dtype == np.float64 and not isinstance(x, np.ndarray):
        arr = arr.astype(np.float32)  # Python floats become float32, as TF1 converts them
    if arr.dtype == np.int64 and not isinstance(x, np.ndarray):
        arr = arr.astype(np.int32)
    return arr


class Dataset:
    """A stream of elements; every transformation returns a new Dataset."""

    def __init__(self, make: Callable[[], PyIterator[Any]], structure: object, shapes: list[TensorShape],
                 dtypes: list[_dt.DType], sources: list[Tensor] | None = None) -> None:
        self._make = make
        # tensors whose values the stream is made from, read when an initializable iterator is
        # initialized (from_tensor_slices of placeholders fed with the initializer's run)
        self._sources = sources or []
        self._source_values: list[Any] = []
        self._structure = structure  # a nesting whose leaves are placeholders for the flat values
        self.output_shapes_flat = shapes
        self.output_types_flat = dtypes

    # -- sources
    @staticmethod
    def from_tensor_slices(tensors: object) -> Dataset:
        data = _as_arrays(tensors)
        flat = flatten(data)
        sources = [a for a in flat if isinstance(a, Tensor)]
        holder: list[Dataset] = []

        def make() -> PyIterator[Any]:
            vals = iter(holder[0]._source_values)
            arrays = [next(vals) if isinstance(a, Tensor) else a for a in flat]
            n = {int(np.shape(a)[0]) for a in arrays}
            if len(n) != 1:
                raise ValueError(f"from_tensor_slices needs components with one first dim, got sizes {sorted(n)}")
            for i in range(n.pop()):
                yield [a[i] for a in arrays]
        shapes = [TensorShape(a.shape.as_list()[1:] if a.shape.rank else None) if isinstance(a, Tensor)
                  else TensorShape(np.shape(a)[1:]) for a in flat]
        ds = Dataset(make, data, shapes, [a.dtype if isinstance(a, Tensor) else _dt_of(a) for a in flat], sources)
        holder.append(ds)
        return ds

    @staticmethod
    def from_tensors(tensors: object) -> Dataset:
        data = _as_arrays(tensors)
        flat = flatten(data)
        return Dataset(lambda: iter([list(flat)]), data, [TensorShape(np.shape(a)) for a in flat],
                       [_dt_of(a) for a in flat])

    @staticmethod
    def range(*args: int) -> Dataset:  # noqa: A003
        r = range(*args)
        return Dataset(lambda: ([np.int64(i)] for i in r), 0, [TensorShape([])], [_dt.int64])

    @staticmethod
    def zip(datasets: Dataset | Sequence[Dataset]) -> Dataset:  # noqa: A003
        parts = flatten(datasets) if isinstance(datasets, (tuple, list)) else [datasets]
        if not all(isinstance(d, Dataset) for d in parts):
            raise TypeError("Dataset.zip takes a tuple of datasets")

        def make() -> PyIterator[Any]:
            for items in zip(*[d._make() for d in parts]):
                yield [v for it in items for v in it]
        structure = tuple(d._structure for d in parts)
        return Dataset(make, structure, [s for d in parts for s in d.output_shapes_flat],
                       [t for d in parts for t in d.output_types_flat])

    # -- transformations
    def _derive(self, make: Callable[[], PyIterator[Any]], shapes: list[TensorShape] | None = None) -> Dataset:
        out = Dataset(make, self._structure, shapes or self.output_shapes_flat, self.output_types_flat)
        out._parent = self  # type: ignore[attr-defined]
        return out

    def _all_sources(self) -> list[Dataset]:
        """This dataset and the ones it derives from that read run-time sources."""
        found, d = [], self
        while d is not None:
            if d._sources:
                found.append(d)
            d = getattr(d, "_parent", None)
        return found

    def repeat(self, count: int | None = None) -> Dataset:
        def make() -> PyIterator[Any]:
            k = 0
            while count is None or count < 0 or k < count:
                yield from self._make()
                k += 1
        return self._derive(make)

    def shuffle(self, buffer_size: int, seed: int | None = None, reshuffle_each_iteration: bool = True) -> Dataset:
        """TF1's buffered shuffle: a random element of a ``buffer_size`` buffer each time."""
        state = {"epoch": 0}

        def make() -> PyIterator[Any]:
            base = seed if seed is not None else get_default_graph().seed
            epoch = state["epoch"] if reshuffle_each_iteration else 0
            rs = np.random.RandomState(None if base is None else base + epoch)
            state["epoch"] += 1
            buf: list[Any] = []
            for item in self._make():
                buf.append(item)
                if len(buf) >= buffer_size:
                    yield buf.pop(rs.randint(len(buf)))
            while buf:
                yield buf.pop(rs.randint(len(buf)))
        return self._derive(make)

    def batch(self, batch_size: int, drop_remainder: bool = False) -> Dataset:
        def make() -> PyIterator[Any]:
            buf: list[Any] = []
            for item in self._make():
                buf.append(item)
                if len(buf) == batch_size:
                    yield [np.stack(col) for col in zip(*buf)]
                    buf = []
            if buf and not drop_remainder:
                yield [np.stack(col) for col in zip(*buf)]
        lead = batch_size if drop_remainder else None
        return self._derive(make, [TensorShape([lead] + (s.as_list() if s.rank is not None else []))
                                   for s in self.output_shapes_flat])

    def shard(self, num_shards: int, index: int) -> Dataset:
        def make() -> PyIterator[Any]:
            for k, item in enumerate(self._make()):
                if k % num_shards == index:
                    yield item
        return self._derive(make)

    def take(self, count: int) -> Dataset:
        def make() -> PyIterator[Any]:
            for k, item in enumerate(self._make()):
                if 0 <= count <= k:
                    return
                yield item
        return self._derive(make)

    def skip(self, count: int) -> Dataset:
        def make() -> PyIterator[Any]:
            for k, item in enumerate(self._make()):
                if k >= count:
                    yield item
        return self._derive(make)

    def prefetch(self, buffer_size: int) -> Dataset:
        return self

    def cache(self, filename: str = "") -> Dataset:
        return self

    def apply(self, transformation_func: Callable[[Dataset], Dataset]) -> Dataset:
        """``transformation_func(self)``: how TF1 chains the ``tf.data.experimental`` (and
        ``tf.contrib.data``) transformations, ``ds.apply(map_and_batch(f, 32))``."""
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError(f"`transformation_func` must return a Dataset, got {type(out).__name__}")
        return out

    def map(self, map_func: Callable[..., Any], num_parallel_calls: int | None = None) -> Dataset:
        """``map_func`` (graph ops) applied to each element: traced once, run per element."""
        g = Graph()
        with g.as_default():
            phs = [placeholder(d, s) for d, s in zip(self.output_types_flat, self.output_shapes_flat)]
            args = pack_as(self._structure, phs)
            out = map_func(*args) if isinstance(args, tuple) and not hasattr(args, "_fields") else map_func(args)
        flat_out = flatten(out)
        sess: list[Any] = []

        def make() -> PyIterator[Any]:
            if not sess:
                sess.append(new_session(g))
            for item in self._make():
                vals = sess[0].run(flat_out, dict(zip(phs, item)))
                yield [np.asarray(v) for v in vals]
        structure = pack_as(out, [0] * len(flat_out)) if isinstance(out, (tuple, list, dict)) else 0
        res = Dataset(make, structure, [t.shape for t in flat_out], [t.dtype for t in flat_out])
        res._parent = self  # type: ignore[attr-defined]
        return res

    def filter(self, predicate: Callable[..., Any]) -> Dataset:
        mapped = self.map(lambda *a: predicate(*a))

        def make() -> PyIterator[Any]:
            for item, keep in zip(self._make(), mapped._make()):
                if bool(keep[0]):
                    yield item
        return self._derive(make)

    # -- iterators
    def make_one_shot_iterator(self) -> Iterator:
        return Iterator(self, initializable=False)

    def make_initializable_iterator(self, shared_name: str | None = None) -> Iterator:
        return Iterator(self, initializable=True)

    @property
    def output_shapes(self) -> Any:
        return pack_as(self._structure, self.output_shapes_flat) if isinstance(self._structure, (tuple, list, dict)) \
            else self.output_shapes_flat[0]

    @property
    def output_types(self) -> Any:
        return pack_as(self._structure, self.output_types_flat) if isinstance(self._structure, (tuple, list, dict)) \
            else self.output_types_flat[0]

    @property
    def output_classes(self) -> Any:
        """The class of each component (``tf.Tensor``: graphflow's datasets hold no sparse ones)."""
        return pack_as(self._structure, [Tensor] * len(self.output_types_flat)) \
            if isinstance(self._structure, (tuple, list, dict)) else Tensor

    def __iter__(self) -> PyIterator[Any]:
        for item in self._make():
            yield pack_as(self._structure, item) if isinstance(self._structure, (tuple, list, dict)) else item[0]


def _dt_of(a: np.ndarray) -> Any:
    return _dt.string if a.dtype == object else _dt.as_dtype(a.dtype)


class Iterator:
    """Delivers a dataset's elements to the runs that fetch ``get_next()``'s tensors."""

    def __init__(self, dataset: Dataset, initializable: bool) -> None:
        self._dataset = dataset
        self._stream: PyIterator[Any] | None = None if initializable else dataset._make()
        self._initializable = initializable
        g = get_default_graph()
        self._outputs = [placeholder(d, s, name="IteratorGetNext") for d, s in
                         zip(dataset.output_types_flat, dataset.output_shapes_flat)]
        registry = g.__dict__.setdefault("_auto_feeds", {})
        for k, t in enumerate(self._outputs):
            registry[id(t)] = (self, k, t)
        self._fed = dataset._all_sources()
        inputs = [t for d in self._fed for t in d._sources]
        if inputs and not initializable:
            raise ValueError("a dataset read from placeholders needs make_initializable_iterator (its "
                             "initializer run feeds them)")
        self.initializer = py_func(self._reset, inputs, _dt.bool_, name="MakeIterator").node if initializable else None

    def _reset(self, *values: np.ndarray) -> np.ndarray:
        it = iter(values)
        for d in self._fed:
            d._source_values = [next(it) for _ in d._sources]
        self._stream = self._dataset._make()
        return np.bool_(True)

    def get_next(self, name: str | None = None) -> Any:
        s = self._dataset._structure
        return pack_as(s, list(self._outputs)) if isinstance(s, (tuple, list, dict)) else self._outputs[0]

    def next_values(self) -> list[Any]:
        """The next element's arrays (the Session calls this once per run that needs them)."""
        if self._stream is None:
            raise FailedPreconditionError(None, None, "GetNext() failed because the iterator has not been "
                                          "initialized: run its initializer first")
        try:
            return next(self._stream)
        except StopIteration:
            raise OutOfRangeError(None, None, "End of sequence") from None

    output_shapes = property(lambda self: self._dataset.output_shapes)
    output_types = property(lambda self: self._dataset.output_types)
    output_classes = property(lambda self: self._dataset.output_classes)


def make_one_shot_iterator(dataset: Dataset) -> Iterator:
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset: Dataset, shared_name: str | None = None) -> Iterator:
    return dataset.make_initializable_iterator()
