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
from graphflow.core.errors import OpError
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Graph, Tensor, get_default_graph
from graphflow.core.runtime_hook import new_session
from graphflow.core.shapes import TensorShape
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.state_ops import placeholder
from graphflow.tf1.data.iterators import Iterator

# > 0 while an ``ignore_errors`` stage asks for its next element
SKIP_ERRORS = [0]


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
    if arr.dtype == np.float64 and not isinstance(x, (np.ndarray, np.generic)):
        arr = arr.astype(np.float32)  # Python floats become float32, as TF1 converts them
    if arr.dtype == np.int64 and not isinstance(x, (np.ndarray, np.generic)):
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
        sources = [a for a in flat if isinstance(a, Tensor)]
        holder: list[Dataset] = []

        def make() -> PyIterator[Any]:
            vals = iter(holder[0]._source_values)
            yield [next(vals) if isinstance(a, Tensor) else a for a in flat]
        ds = Dataset(make, data, [a.shape if isinstance(a, Tensor) else TensorShape(np.shape(a)) for a in flat],
                     [a.dtype if isinstance(a, Tensor) else _dt_of(a) for a in flat], sources)
        holder.append(ds)
        return ds

    @staticmethod
    def range(*args: int) -> Dataset:  # noqa: A003
        vals = [_static_arg(a) for a in args]
        tensors = [v for v in vals if isinstance(v, Tensor)]
        holder: list[Dataset] = []

        def make() -> PyIterator[Any]:
            given = iter(holder[0]._source_values)
            r = range(*[int(np.asarray(next(given))) if isinstance(v, Tensor) else v for v in vals])
            yield from ([np.int64(i)] for i in r)
        ds = Dataset(make, 0, [TensorShape([])], [_dt.int64], tensors)
        holder.append(ds)
        return ds

    @staticmethod
    def zip(datasets: Dataset | Sequence[Dataset]) -> Dataset:  # noqa: A003
        parts = flatten(datasets) if isinstance(datasets, (tuple, list)) else [datasets]
        if not all(isinstance(d, Dataset) for d in parts):
            raise TypeError("Dataset.zip takes a tuple of datasets")

        def make() -> PyIterator[Any]:
            for items in zip(*[d._make() for d in parts]):
                yield [v for it in items for v in it]
        structure = tuple(d._structure for d in parts)
        out = Dataset(make, structure, [s for d in parts for s in d.output_shapes_flat],
                       [t for d in parts for t in d.output_types_flat])
        out._inputs = parts  # type: ignore[attr-defined]
        return out

    # -- transformations
    def _derive(self, make: Callable[[], PyIterator[Any]], shapes: list[TensorShape] | None = None) -> Dataset:
        out = Dataset(make, self._structure, shapes or self.output_shapes_flat, self.output_types_flat)
        out._parent = self  # type: ignore[attr-defined]
        return out

    def _all_sources(self) -> list[Dataset]:
        """This dataset and the ones it derives from that read run-time sources."""
        found: list[Dataset] = []
        stack, seen = [self], set()
        while stack:
            d = stack.pop()
            if id(d) in seen:
                continue
            seen.add(id(d))
            if d._sources:
                found.append(d)
            stack.extend(getattr(d, "_inputs", []))
            if getattr(d, "_parent", None) is not None:
                stack.append(d._parent)
        return found

    def _deferred(self, name: str, *args: Any) -> Dataset | None:
        """``getattr(self, name)(*args)`` made when a stream starts, when an argument is a tensor
        known only at run time (a count inside an ``interleave`` function, a fed placeholder)."""
        vals = [_static_arg(a) for a in args]
        tensors = [v for v in vals if isinstance(v, Tensor)]
        if not tensors:
            return None
        probe = getattr(self, name)(*[1 if isinstance(v, Tensor) else v for v in vals])
        holder: list[Dataset] = []

        def make() -> PyIterator[Any]:
            given = iter(holder[0]._source_values)
            actual = [int(np.asarray(next(given))) if isinstance(v, Tensor) else v for v in vals]
            yield from getattr(self, name)(*actual)._make()
        shapes = probe.output_shapes_flat
        if name == "batch":  # the batch size is not known when the graph is built
            shapes = [TensorShape([None] + s.as_list()[1:]) if s.rank is not None else s for s in shapes]
        out = Dataset(make, probe._structure, shapes, probe.output_types_flat, tensors)
        out._parent = self  # type: ignore[attr-defined]
        holder.append(out)
        return out

    def repeat(self, count: int | None = None) -> Dataset:
        if (d := self._deferred("repeat", count)) is not None:
            return d

        def make() -> PyIterator[Any]:
            k = 0
            while count is None or count < 0 or k < count:
                yield from self._make()
                k += 1
        return self._derive(make)

    def shuffle(self, buffer_size: int, seed: int | None = None, reshuffle_each_iteration: bool = True) -> Dataset:
        """TF1's buffered shuffle: a random element of a ``buffer_size`` buffer each time."""
        if isinstance(buffer_size, Tensor):
            buffer_size = _static_arg(buffer_size)
            if isinstance(buffer_size, Tensor):  # known at run time only: a buffer of everything
                buffer_size = 2**62
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
        if (d := self._deferred("batch", batch_size, drop_remainder)) is not None:
            return d

        def make() -> PyIterator[Any]:
            buf: list[Any] = []
            for item in self._make():
                buf.append(item)
                if len(buf) == batch_size:
                    yield [stack(col, t) for col, t in zip(zip(*buf), self.output_types_flat)]
                    buf = []
            if buf and not drop_remainder:
                yield [stack(col, t) for col, t in zip(zip(*buf), self.output_types_flat)]
        lead = batch_size if drop_remainder else None
        return self._derive(make, [TensorShape([lead] + (s.as_list() if s.rank is not None else []))
                                   for s in self.output_shapes_flat])

    def shard(self, num_shards: int, index: int) -> Dataset:
        if (d := self._deferred("shard", num_shards, index)) is not None:
            return d

        def make() -> PyIterator[Any]:
            for k, item in enumerate(self._make()):
                if k % num_shards == index:
                    yield item
        return self._derive(make)

    def take(self, count: int) -> Dataset:
        if (d := self._deferred("take", count)) is not None:
            return d

        def make() -> PyIterator[Any]:
            for k, item in enumerate(self._make()):
                if 0 <= count <= k:
                    return
                yield item
        return self._derive(make)

    def skip(self, count: int) -> Dataset:
        if (d := self._deferred("skip", count)) is not None:
            return d

        def make() -> PyIterator[Any]:
            for k, item in enumerate(self._make()):
                if k >= count:
                    yield item
        return self._derive(make)

    def prefetch(self, buffer_size: int) -> Dataset:
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
        # inside an interleave/flat_map function, map_func may read the outer element's tensors:
        # it is traced in that function's graph, and the outer element is fed with each run
        outer = get_default_graph()
        captured = list(getattr(outer, "_dataset_fn_inputs", []))
        g = outer if captured else Graph()
        with g.as_default():
            phs = [placeholder(d, s) for d, s in zip(self.output_types_flat, self.output_shapes_flat)]
            args = pack_as(self._structure, phs)
            out = map_func(*args) if isinstance(args, tuple) and not hasattr(args, "_fields") else map_func(args)
        flat_out = flatten(out)
        sess: list[Any] = []
        holder: list[Dataset] = []

        def make() -> PyIterator[Any]:
            if not sess:
                sess.append(new_session(g))
            for item in self._make():
                feeds = dict(zip(phs, item))
                feeds.update(zip(captured, holder[0]._source_values))
                try:
                    vals = sess[0].run(flat_out, feeds)
                except OpError:
                    if SKIP_ERRORS[0]:  # under experimental.ignore_errors: the element is dropped
                        continue
                    raise
                yield [np.asarray(v, dtype=object) if t.dtype.is_string else np.asarray(v)
                       for v, t in zip(vals, flat_out)]
        structure = pack_as(out, [0] * len(flat_out)) if isinstance(out, (tuple, list, dict)) else 0
        res = Dataset(make, structure, [t.shape for t in flat_out], [t.dtype for t in flat_out], captured)
        res._parent = self  # type: ignore[attr-defined]
        holder.append(res)
        return res

    def filter(self, predicate: Callable[..., Any]) -> Dataset:
        mapped = self.map(lambda *a: predicate(*a))

        def make() -> PyIterator[Any]:
            for item, keep in zip(self._make(), mapped._make()):
                if bool(keep[0]):
                    yield item
        return self._derive(make)

    # -- iterators
    def make_one_shot_iterator(self) -> Any:
        return Iterator(self, initializable=False)

    def make_initializable_iterator(self, shared_name: str | None = None) -> Any:
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


def stack(items: Sequence[Any], dtype: _dt.DType) -> np.ndarray:
    """``np.stack``, strings kept as an object array of bytes (numpy would make them ``S<n>``)."""
    if not dtype.is_string:
        return np.stack(items)
    out = np.empty((len(items), *np.shape(items[0])), dtype=object)
    for i, v in enumerate(items):
        out[i, ...] = np.asarray(v, dtype=object)
    return out


def _static_arg(value: Any) -> Any:
    """An int argument given as a tensor: its value if the graph fixes it, else the tensor."""
    if isinstance(value, Tensor):
        v = static_value(value)
        return value if v is None else v.item()
    return value


def _dt_of(a: np.ndarray) -> Any:
    return _dt.string if a.dtype == object else _dt.as_dtype(a.dtype)
