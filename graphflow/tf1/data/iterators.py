"""``tf.data.Iterator``: one-shot, initializable, reinitializable (``from_structure`` +
``make_initializer``) and feedable (``from_string_handle`` + ``string_handle()``) iterators.

``get_next()``'s tensors are placeholders the Session fills with the iterator's next element at
the start of every run that reads them (one element per run, shared by all fetches). A feedable
iterator's tensors come from a host op instead: which iterator they read is only known from the
handle fed in the run.
"""
from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterator as PyIterator
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError, OutOfRangeError
from graphflow.core.ir import Tensor, get_default_graph
from graphflow.core.shapes import TensorShape
from graphflow.ops.constant_ops import constant
from graphflow.ops.func_graph import flatten, pack_as
from graphflow.ops.py_func_ops import py_func
from graphflow.ops.state_ops import placeholder

# string_handle() names: a handle fed back in a later run finds its iterator here
_HANDLES: weakref.WeakValueDictionary[str, Iterator] = weakref.WeakValueDictionary()
_COUNTER = itertools.count()


def _flat_spec(output_types: Any, output_shapes: Any) -> tuple[object, list[_dt.DType], list[TensorShape]]:
    """The nesting, flat dtypes and flat shapes of a ``from_structure`` style description."""
    structure = output_types if isinstance(output_types, (tuple, list, dict)) else 0
    types = [_dt.as_dtype(t) for t in flatten(output_types)]
    if output_shapes is None:
        shapes = [TensorShape(None)] * len(types)
    else:
        # a shape is itself a list: flatten the types' nesting, keeping each shape whole
        shapes_nested = output_shapes if isinstance(output_types, (tuple, list, dict)) else [output_shapes]
        shapes = _flatten_like(structure if structure != 0 else [0], shapes_nested)
        shapes = [s if isinstance(s, TensorShape) else TensorShape(s) for s in shapes]
    if len(shapes) != len(types):
        raise ValueError(f"output_shapes has {len(shapes)} components, output_types {len(types)}")
    return structure, types, shapes


def _flatten_like(structure: object, value: object) -> list[Any]:
    if isinstance(structure, dict):
        return [v for k in sorted(structure) for v in _flatten_like(structure[k], value[k])]  # type: ignore[index]
    if isinstance(structure, (tuple, list)):
        if not isinstance(value, (tuple, list)) or len(value) != len(structure):
            raise ValueError(f"output_shapes {value!r} does not match the structure of output_types")
        return [v for s, x in zip(structure, value) for v in _flatten_like(s, x)]
    return [value]


class Iterator:
    """Delivers a dataset's elements to the runs that fetch ``get_next()``'s tensors."""

    def __init__(self, dataset: Any, initializable: bool, *, structure: object = None,
                 types: list[_dt.DType] | None = None, shapes: list[TensorShape] | None = None) -> None:
        self._dataset = dataset
        self._structure = dataset._structure if dataset is not None else structure
        self._types = list(dataset.output_types_flat) if dataset is not None else list(types or [])
        self._shapes = list(dataset.output_shapes_flat) if dataset is not None else list(shapes or [])
        self._stream: PyIterator[Any] | None = None
        g = get_default_graph()
        self._outputs = [placeholder(d, s, name="IteratorGetNext") for d, s in zip(self._types, self._shapes)]
        registry = g.__dict__.setdefault("_auto_feeds", {})
        for k, t in enumerate(self._outputs):
            registry[id(t)] = (self, k, t)
        self._handle: Tensor | None = None
        self.initializer = None
        if dataset is None:
            return
        if getattr(dataset, "_windows", False):
            raise TypeError("the elements of a window() dataset are datasets: flat_map or interleave them "
                            "(ds.window(n).flat_map(lambda w: w.batch(n)))")
        if initializable:
            self.initializer = self.make_initializer(dataset)
        else:
            if dataset._all_sources():
                raise ValueError("a dataset read from placeholders needs make_initializable_iterator (its "
                                 "initializer run feeds them)")
            self._stream = dataset._make()

    @staticmethod
    def from_structure(output_types: Any, output_shapes: Any = None, shared_name: str | None = None,
                       output_classes: Any = None) -> Iterator:
        """An iterator of the given element structure, not bound to a dataset: each
        ``make_initializer(dataset)`` op (re)starts it on ``dataset`` (the reinitializable iterator).

        >>> import graphflow as gf
        >>> it = Iterator.from_structure(gf.int64, [])
        >>> init = it.make_initializer(gf.data.Dataset.range(3))
        >>> with gf.Session() as s:
        ...     _ = s.run(init)
        ...     int(s.run(it.get_next()))
        0
        """
        structure, types, shapes = _flat_spec(output_types, output_shapes)
        return Iterator(None, True, structure=structure, types=types, shapes=shapes)

    @staticmethod
    def from_string_handle(string_handle: Tensor, output_types: Any, output_shapes: Any = None,
                           output_classes: Any = None) -> FeedableIterator:
        """An iterator that reads, in each run, the iterator whose ``string_handle()`` value is
        fed to ``string_handle`` (a scalar ``tf.string`` placeholder): the feedable iterator."""
        structure, types, shapes = _flat_spec(output_types, output_shapes)
        return FeedableIterator(string_handle, structure, types, shapes)

    def make_initializer(self, dataset: Any, name: str | None = None) -> Any:
        """An op that (re)starts this iterator on ``dataset``, whose element types must be this
        iterator's (shapes compatible)."""
        if [t.name for t in dataset.output_types_flat] != [t.name for t in self._types] or \
                len(dataset.output_types_flat) != len(self._types):
            raise TypeError(f"Expected output types {self.output_types} but got dataset with output types "
                            f"{dataset.output_types}.")
        for want, got in zip(self._shapes, dataset.output_shapes_flat):
            if not want.is_compatible_with(got):
                raise TypeError(f"Expected output shapes compatible with {self.output_shapes} but got dataset "
                                f"with output shapes {dataset.output_shapes}.")
        fed = dataset._all_sources()
        inputs = [t for d in fed for t in d._sources]

        def reset(*values: np.ndarray) -> np.ndarray:
            it = iter(values)
            for d in fed:
                d._source_values = [next(it) for _ in d._sources]
            self._dataset = dataset
            self._stream = dataset._make()
            return np.bool_(True)
        return py_func(reset, inputs, _dt.bool_, name=name or "MakeIterator").node

    def get_next(self, name: str | None = None) -> Any:
        s = self._structure
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

    def string_handle(self, name: str | None = None) -> Tensor:
        """A scalar string naming this iterator, to feed to a ``from_string_handle`` iterator."""
        if self._handle is None:
            key = f"graphflow-iterator-{next(_COUNTER)}"
            _HANDLES[key] = self
            self._handle = constant(key, name=name or "IteratorToStringHandle")
        return self._handle

    def _pack(self, flat: list[Any]) -> Any:
        s = self._structure
        return pack_as(s, flat) if isinstance(s, (tuple, list, dict)) else flat[0]

    output_types = property(lambda self: self._pack(self._types))
    output_shapes = property(lambda self: self._pack(self._shapes))
    output_classes = property(lambda self: self._pack([Tensor] * len(self._types)))


class FeedableIterator(Iterator):
    """``Iterator.from_string_handle``'s iterator: its element comes from the iterator named by
    the handle fed in the run."""

    def __init__(self, handle: Tensor, structure: object, types: list[_dt.DType], shapes: list[TensorShape]) -> None:
        self._structure, self._types, self._shapes = structure, types, shapes
        self._handle = None
        self._dataset = None
        self.initializer = None

        def next_of(h: np.ndarray) -> list[np.ndarray]:
            key = h.item() if isinstance(h, np.ndarray) else h
            key = key.decode() if isinstance(key, bytes) else str(key)
            target = _HANDLES.get(key)
            if target is None:
                raise NotFoundError(None, None, f"no iterator has the string handle {key!r}")
            if [t.name for t in target._types] != [t.name for t in types]:
                raise InvalidArgumentError(None, None, f"the iterator of handle {key!r} gives {target.output_types}, "
                                           f"this one expects {self.output_types}")
            return [np.asarray(v) for v in target.next_values()]
        outs = py_func(next_of, [handle], list(types), name="IteratorGetNext")
        for t, s in zip(outs, shapes):
            t.set_shape(s)
        self._outputs = outs

    def make_initializer(self, dataset: Any, name: str | None = None) -> Any:
        raise TypeError("a from_string_handle iterator reads the iterators whose handles are fed: initialize those")

    def next_values(self) -> list[Any]:
        raise TypeError("a from_string_handle iterator's elements come from its handle's iterator")


def make_one_shot_iterator(dataset: Any) -> Iterator:
    """``tf.compat.v1.data.make_one_shot_iterator(ds)``: ``ds.make_one_shot_iterator()``."""
    return Iterator(dataset, initializable=False)


def make_initializable_iterator(dataset: Any, shared_name: str | None = None) -> Iterator:
    """``tf.compat.v1.data.make_initializable_iterator(ds)``: an iterator started by running its
    ``initializer`` (which also reads the placeholders the dataset is made from)."""
    return Iterator(dataset, initializable=True)
