"""TF1's queue-based input pipeline builders (``tf.train.string_input_producer``, ``batch``,
``shuffle_batch``...): each builds a queue, its enqueue op and a ``QueueRunner`` for it (in the
graph's ``QUEUE_RUNNERS``), which ``tf.train.start_queue_runners`` starts. ``num_epochs`` counts
in a local variable (``tf.local_variables_initializer()`` sets it), whose limit ends the input
with OutOfRangeError, as in TF1.
"""
from __future__ import annotations

import glob as _glob
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.shapes import TensorShape
from graphflow.ops import elementwise_ops as M
from graphflow.ops.array_ops import boolean_mask, gather
from graphflow.ops.check_ops import Assert
from graphflow.ops.py_func_ops import py_func
from graphflow.ops.queue_ops import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue
from graphflow.ops.random_ops import random_shuffle
from graphflow.ops.shape_ops import expand_dims, reshape, shape
from graphflow.ops.state_ops import range as _range
from graphflow.ops.update_ops import count_up_to
from graphflow.ops.variables import GraphKeys, Variable
from graphflow.tf1 import summary
from graphflow.tf1.graph_functions import name_scope
from graphflow.tf1.train.queue_runner import QueueRunner, add_queue_runner

__all__ = ["batch", "batch_join", "input_producer", "limit_epochs", "match_filenames_once", "maybe_batch",
           "maybe_batch_join", "maybe_shuffle_batch", "maybe_shuffle_batch_join", "range_input_producer",
           "shuffle_batch", "shuffle_batch_join", "slice_input_producer", "string_input_producer"]


def limit_epochs(tensor: Any, num_epochs: int | None = None, name: str | None = None) -> Tensor:
    """``tensor``, for ``num_epochs`` runs; the next run raises OutOfRangeError (None: forever)."""
    if num_epochs is None:
        return tensor
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    with name_scope(name, "limit_epochs", [tensor]) as scope:
        epochs = Variable(np.int64(0), name="epochs", trainable=False, collections=[GraphKeys.LOCAL_VARIABLES])
        counter = count_up_to(epochs, num_epochs)
        with get_default_graph().control_dependencies([counter.node]):
            return M.identity(tensor, name=scope)


def input_producer(input_tensor: Any, element_shape: Any = None, num_epochs: int | None = None,
                   shuffle: bool = True, seed: int | None = None, capacity: int = 32,
                   shared_name: str | None = None, summary_name: str | None = None, name: str | None = None,
                   cancel_op: Any = None) -> FIFOQueue:
    """A queue fed the rows of ``input_tensor`` (shuffled each epoch when ``shuffle``) by a queue runner."""
    with name_scope(name, "input_producer", [input_tensor]):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        rows = TensorShape(x.shape.as_list()[1:] if x.shape.rank is not None else None)
        elem = rows.merge_with(element_shape) if element_shape is not None else rows
        if not elem.is_fully_defined():
            raise ValueError("Either `input_tensor` must have a fully defined shape or `element_shape` must be "
                             "specified")
        if shuffle:
            x = random_shuffle(x, seed=seed)
        x = limit_epochs(x, num_epochs)
        q = FIFOQueue(capacity=capacity, dtypes=[x.dtype], shapes=[elem], shared_name=shared_name, name=name)
        enq = q.enqueue_many([x])
        add_queue_runner(QueueRunner(q, [enq], cancel_op=cancel_op))
        if summary_name is not None:
            summary.scalar(summary_name, M.cast(q.size(), _dt.float32) * (1.0 / capacity))
        return q


def string_input_producer(string_tensor: Any, num_epochs: int | None = None, shuffle: bool = True,
                          seed: int | None = None, capacity: int = 32, shared_name: str | None = None,
                          name: str | None = None, cancel_op: Any = None) -> FIFOQueue:
    """A queue of the strings (file names) of ``string_tensor``, ``num_epochs`` times over.

    >>> import graphflow as gf
    >>> with gf.Graph().as_default():
    ...     gf.train.string_input_producer(["a.csv", "b.csv"]).dtypes
    [gf.string]
    """
    with name_scope(name, "input_producer", [string_tensor]) as scope:
        s = convert_to_tensor(string_tensor, dtype=_dt.string)
        known = s.shape.num_elements() if s.shape.is_fully_defined() else None
        if known == 0:
            raise ValueError("string_input_producer requires a non-null input tensor")
        if known is None:  # (TF1's run-time check, for a fed or computed tensor)
            check = Assert(M.greater(shape(s)[0], 0), ["string_input_producer requires a non-null input tensor"])
            with get_default_graph().control_dependencies([check]):
                s = M.identity(s)
        return input_producer(s, [], num_epochs, shuffle, seed, capacity, shared_name,
                              f"fraction_of_{capacity}_full", scope or None, cancel_op)


def range_input_producer(limit: Any, num_epochs: int | None = None, shuffle: bool = True, seed: int | None = None,
                         capacity: int = 32, shared_name: str | None = None, name: str | None = None) -> FIFOQueue:
    """A queue of ``0 .. limit - 1`` (int32), ``num_epochs`` times over."""
    with name_scope(name, "input_producer", [limit]) as scope:
        r = _range(limit)
        return input_producer(r, [], num_epochs, shuffle, seed, capacity, shared_name,
                              f"fraction_of_{capacity}_full", scope or None)


def slice_input_producer(tensor_list: Sequence[Any], num_epochs: int | None = None, shuffle: bool = True,
                         seed: int | None = None, capacity: int = 32, shared_name: str | None = None,
                         name: str | None = None) -> list[Tensor]:
    """Row ``i`` of every tensor of ``tensor_list``, for ``i`` from a ``range_input_producer``."""
    with name_scope(name, "input_producer", tensor_list):
        ts = [convert_to_tensor(t) for t in tensor_list]
        if not ts:
            raise ValueError("Expected at least one tensor in slice_input_producer().")
        q = range_input_producer(shape(ts[0])[0], num_epochs=num_epochs, shuffle=shuffle, seed=seed,
                                 capacity=capacity, shared_name=shared_name)
        index = q.dequeue()
        return [gather(t, index) for t in ts]


def match_filenames_once(pattern: Any, name: str | None = None) -> Tensor:
    """The sorted names of the files matching ``pattern`` (a glob), as a string vector."""
    def matches(p: np.ndarray) -> np.ndarray:
        pats = [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(p, dtype=object).reshape(-1)]
        found = sorted({f for pat in pats for f in _glob.glob(pat)})
        return np.array([f.encode() for f in found], dtype=object).reshape(-1)
    out = py_func(matches, [convert_to_tensor(pattern, dtype=_dt.string)], _dt.string,
                  name=name or "matching_filenames")
    out.set_shape([None])
    return out


# -- batching


def _flatten(tensors: Any) -> tuple[list[Tensor], Any]:
    """The tensors of ``tensors`` (a tensor, a list/tuple or a dict by sorted keys) and how to rebuild it."""
    if isinstance(tensors, Mapping):
        keys = sorted(tensors)
        return [convert_to_tensor(tensors[k]) for k in keys], ("dict", keys)
    if isinstance(tensors, (list, tuple)):
        return [convert_to_tensor(t) for t in tensors], (type(tensors), len(tensors))
    return [convert_to_tensor(tensors)], ("one", 1)


def _rebuild(how: Any, outs: Any) -> Any:
    outs = outs if isinstance(outs, list) else [outs]
    kind, info = how
    if kind == "dict":
        return dict(zip(info, outs))
    if kind == "one":
        return outs[0]
    return kind(outs) if kind is tuple else list(outs)


def _shapes(lists: list[list[Tensor]], shapes: Any, enqueue_many: bool, dynamic_pad: bool) -> list[Any]:
    if shapes is None:
        merged = []
        for i in range(len(lists[0])):
            s = TensorShape(None)
            for tl in lists:
                t = tl[i]
                ts = TensorShape(t.shape.as_list()[1:] if enqueue_many and t.shape.rank is not None else
                                 None if enqueue_many else t.shape)
                s = s.merge_with(ts)
            merged.append(s)
        shapes = merged
    shapes = [s if isinstance(s, TensorShape) else TensorShape(s) for s in shapes]
    if not dynamic_pad and not all(s.is_fully_defined() for s in shapes):
        raise ValueError(f"All shapes must be fully defined: {shapes}")
    return shapes


def _validate(lists: list[list[Tensor]]) -> None:
    if not lists or not lists[0]:
        raise ValueError("Expected at least one tensor in batch().")
    n = len(lists[0])
    for tl in lists:
        if len(tl) != n:
            raise ValueError("Expected all tensor lists to have the same number of tensors")
        if [t.dtype for t in tl] != [t.dtype for t in lists[0]]:
            raise TypeError("Expected types to be the same in every tensor list, given "
                            f"{[t.dtype.name for t in lists[0]]} and {[t.dtype.name for t in tl]}")


def _kept(lists: list[list[Tensor]], keep_input: Any, enqueue_many: bool) -> list[list[Tensor]]:
    """The members of ``lists`` as batches holding only the elements ``keep_input`` keeps (a
    scalar for single elements, a vector along dimension 0 with ``enqueue_many``)."""
    keep = convert_to_tensor(keep_input, dtype=_dt.bool_)
    rank = keep.shape.rank
    if enqueue_many and rank != 1:
        raise ValueError(f"`keep_input` must be a vector when `enqueue_many=True`, given shape {keep.shape}")
    if not enqueue_many and rank != 0:
        raise ValueError(f"`keep_input` must be a scalar (or a Python bool) when `enqueue_many=False`, given "
                         f"shape {keep.shape}")
    if not enqueue_many:  # one element: a batch of one or none
        return [[boolean_mask(expand_dims(t, 0), reshape(keep, [1])) for t in tl] for tl in lists]
    return [[boolean_mask(t, keep) for t in tl] for tl in lists]


def _batched(queue: Any, lists: list[list[Tensor]], threads: int, enqueue_many: bool, batch_size: Any,
             allow_smaller_final_batch: bool, name: str | None, keep_input: Any = None) -> Any:
    if keep_input is not None and not (isinstance(keep_input, bool) and keep_input):
        lists, enqueue_many = _kept(lists, keep_input, enqueue_many), True
    enqueue = queue.enqueue_many if enqueue_many else queue.enqueue
    ops = [enqueue(tl) for tl in lists]
    if len(lists) == 1:
        ops = ops * threads
    add_queue_runner(QueueRunner(queue, ops))
    if allow_smaller_final_batch:
        return queue.dequeue_up_to(batch_size, name=name)
    return queue.dequeue_many(batch_size, name=name)


def _batch_any(lists: list[Any], batch_size: Any, num_threads: int, capacity: int, enqueue_many: bool,
               shapes: Any, dynamic_pad: bool, allow_smaller_final_batch: bool, shared_name: str | None,
               name: str | None, default: str, keep_input: Any = None) -> Any:
    flat = [_flatten(t) for t in lists]
    tls = [f[0] for f in flat]
    _validate(tls)
    with name_scope(name, default, tls[0]) as scope:
        shp = _shapes(tls, shapes, enqueue_many, dynamic_pad)
        kind = PaddingFIFOQueue if dynamic_pad else FIFOQueue
        q = kind(capacity=capacity, dtypes=[t.dtype for t in tls[0]], shapes=shp, shared_name=shared_name)
        summary.scalar(f"fraction_of_{capacity}_full", M.cast(q.size(), _dt.float32) * (1.0 / capacity))
        out = _batched(q, tls, num_threads, enqueue_many, batch_size, allow_smaller_final_batch, scope or None,
                       keep_input)
    return _rebuild(flat[0][1], out)


def batch(tensors: Any, batch_size: Any, num_threads: int = 1, capacity: int = 32, enqueue_many: bool = False,
          shapes: Any = None, dynamic_pad: bool = False, allow_smaller_final_batch: bool = False,
          shared_name: str | None = None, name: str | None = None) -> Any:
    """Batches of ``batch_size`` of ``tensors`` (same structure, a new leading dimension), kept in
    order by a FIFO queue that ``num_threads`` threads feed."""
    return _batch_any([tensors], batch_size, num_threads, capacity, enqueue_many, shapes, dynamic_pad,
                      allow_smaller_final_batch, shared_name, name, "batch")


def batch_join(tensors_list: Sequence[Any], batch_size: Any, capacity: int = 32, enqueue_many: bool = False,
               shapes: Any = None, dynamic_pad: bool = False, allow_smaller_final_batch: bool = False,
               shared_name: str | None = None, name: str | None = None) -> Any:
    """As ``batch``, one thread per member of ``tensors_list`` (tensors of the same structure)."""
    return _batch_any(list(tensors_list), batch_size, 1, capacity, enqueue_many, shapes, dynamic_pad,
                      allow_smaller_final_batch, shared_name, name, "batch_join")


def _shuffle_any(lists: list[Any], batch_size: Any, capacity: int, min_after_dequeue: int, num_threads: int,
                 seed: int | None, enqueue_many: bool, shapes: Any, allow_smaller_final_batch: bool,
                 shared_name: str | None, name: str | None, default: str, keep_input: Any = None) -> Any:
    flat = [_flatten(t) for t in lists]
    tls = [f[0] for f in flat]
    _validate(tls)
    with name_scope(name, default, tls[0]) as scope:
        shp = _shapes(tls, shapes, enqueue_many, False)
        q = RandomShuffleQueue(capacity=capacity, min_after_dequeue=min_after_dequeue, seed=seed,
                               dtypes=[t.dtype for t in tls[0]], shapes=shp, shared_name=shared_name)
        room = capacity - min_after_dequeue
        full = M.maximum(0.0, M.cast(q.size() - min_after_dequeue, _dt.float32)) * (1.0 / room)
        summary.scalar(f"fraction_over_{min_after_dequeue}_of_{room}_full", full)
        out = _batched(q, tls, num_threads, enqueue_many, batch_size, allow_smaller_final_batch, scope or None,
                       keep_input)
    return _rebuild(flat[0][1], out)


def shuffle_batch(tensors: Any, batch_size: Any, capacity: int, min_after_dequeue: int, num_threads: int = 1,
                  seed: int | None = None, enqueue_many: bool = False, shapes: Any = None,
                  allow_smaller_final_batch: bool = False, shared_name: str | None = None,
                  name: str | None = None) -> Any:
    """Batches of ``tensors`` drawn at random from a RandomShuffleQueue holding at least
    ``min_after_dequeue`` elements after each dequeue (until its input ends)."""
    return _shuffle_any([tensors], batch_size, capacity, min_after_dequeue, num_threads, seed, enqueue_many, shapes,
                        allow_smaller_final_batch, shared_name, name, "shuffle_batch")


def shuffle_batch_join(tensors_list: Sequence[Any], batch_size: Any, capacity: int, min_after_dequeue: int,
                       seed: int | None = None, enqueue_many: bool = False, shapes: Any = None,
                       allow_smaller_final_batch: bool = False, shared_name: str | None = None,
                       name: str | None = None) -> Any:
    """As ``shuffle_batch``, one thread per member of ``tensors_list``."""
    return _shuffle_any(list(tensors_list), batch_size, capacity, min_after_dequeue, 1, seed, enqueue_many, shapes,
                        allow_smaller_final_batch, shared_name, name, "shuffle_batch_join")


def maybe_batch(tensors: Any, keep_input: Any, batch_size: Any, num_threads: int = 1, capacity: int = 32,
                enqueue_many: bool = False, shapes: Any = None, dynamic_pad: bool = False,
                allow_smaller_final_batch: bool = False, shared_name: str | None = None,
                name: str | None = None) -> Any:
    """As ``batch``, of only the elements ``keep_input`` keeps."""
    return _batch_any([tensors], batch_size, num_threads, capacity, enqueue_many, shapes, dynamic_pad,
                      allow_smaller_final_batch, shared_name, name, "batch", keep_input)


def maybe_batch_join(tensors_list: Sequence[Any], keep_input: Any, batch_size: Any, capacity: int = 32,
                     enqueue_many: bool = False, shapes: Any = None, dynamic_pad: bool = False,
                     allow_smaller_final_batch: bool = False, shared_name: str | None = None,
                     name: str | None = None) -> Any:
    """As ``batch_join``, of only the elements ``keep_input`` keeps."""
    return _batch_any(list(tensors_list), batch_size, 1, capacity, enqueue_many, shapes, dynamic_pad,
                      allow_smaller_final_batch, shared_name, name, "batch_join", keep_input)


def maybe_shuffle_batch(tensors: Any, batch_size: Any, capacity: int, min_after_dequeue: int, keep_input: Any,
                        num_threads: int = 1, seed: int | None = None, enqueue_many: bool = False,
                        shapes: Any = None, allow_smaller_final_batch: bool = False,
                        shared_name: str | None = None, name: str | None = None) -> Any:
    """As ``shuffle_batch``, of only the elements ``keep_input`` keeps."""
    return _shuffle_any([tensors], batch_size, capacity, min_after_dequeue, num_threads, seed, enqueue_many, shapes,
                        allow_smaller_final_batch, shared_name, name, "shuffle_batch", keep_input)


def maybe_shuffle_batch_join(tensors_list: Sequence[Any], batch_size: Any, capacity: int, min_after_dequeue: int,
                             keep_input: Any, seed: int | None = None, enqueue_many: bool = False,
                             shapes: Any = None, allow_smaller_final_batch: bool = False,
                             shared_name: str | None = None, name: str | None = None) -> Any:
    """As ``shuffle_batch_join``, of only the elements ``keep_input`` keeps."""
    return _shuffle_any(list(tensors_list), batch_size, capacity, min_after_dequeue, 1, seed, enqueue_many, shapes,
                        allow_smaller_final_batch, shared_name, name, "shuffle_batch_join", keep_input)
