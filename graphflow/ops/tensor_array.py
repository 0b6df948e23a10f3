"""TF1's ``tf.TensorArray``: a list of same-shaped tensors written and read by index, inside and
outside ``while_loop``, with gradients.

A TensorArray here is a value, not a resource: its state is the tensor it started from (``base``:
a buffer of [size, *element] rows, or nothing yet) and the writes made since, each a vector of
indices and the rows written there. Reading materialises the buffer: the base (zeros of
[size, *element] where there is none) with every write scattered in (one
``tensor_scatter_nd_update``, whose gradient sends each written row's gradient to its value and
the rest to the base). Inside a ``while_loop`` a TensorArray among the loop variables records
the body's writes; the loop emits each iteration's index and row (stacked, as ``scan`` stacks
its outputs, so the element shape may be known only at run time) and the array after the loop
is its state before with all of them written. Gradients of the rows flow back through the
loop's emitted values.

TF1 allows each index to be written once; so does this (a second write of an index in one run
raises when run, in materialising). An array the loop both reads and writes is carried whole
instead: its buffer becomes a loop value (the pre-loop buffer, or zeros of [size, *element] when
the element shape is known), each iteration scatters its writes into it, and reads see the earlier
iterations' writes and the iteration's own earlier ones; a dynamic_size array's buffer grows
between iterations (the loop records such a value zero-padded with its shape, for the gradient).

``split`` with equal lengths known when the graph is built makes an array like any other. With
unequal or run-time lengths, the array keeps the value whole and the lengths: element k is the
next ``lengths[k]`` rows (a slice at a run-time offset); such an array is read, not written.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.shapes import TensorShape, as_shape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import array_extras as AX
from graphflow.ops import array_ops as A
from graphflow.ops import check_ops as C
from graphflow.ops import elementwise_ops as E
from graphflow.ops import reductions as R
from graphflow.ops import shape_ops as S
from graphflow.ops import sort_ops as SO
from graphflow.ops import state_ops as ST
from graphflow.ops.concat_ops import concat
from graphflow.ops.run_time_args import folded
from graphflow.ops.run_time_args import slice as slice_at

__all__ = ["TensorArray"]

_READ_IN_LOOP = ("TensorArray {}: reading, inside a while_loop, an array nothing was written to before the loop "
                 "needs its element_shape (fully defined) to start from zeros")

@dataclass
class LoopRecord:
    """What a loop body did with one TensorArray loop variable: whether it read it, and (an array
    the body reads and writes) the buffer the loop carries."""

    read: bool = False
    outer: Any = None  # the graph the loop is built in (where a carried buffer's zeros are made)
    start: Tensor | None = None  # zeros the body read as the buffer before the loop (none was written)
    carried: bool = False  # the loop carries the whole buffer (the body read and wrote the array)

    def zeros_for(self, array: TensorArray) -> Tensor | None:
        """The pre-loop buffer of an array nothing was written to: zeros of [size, *element], made
        in the loop's graph, or None when the element shape is not known."""
        if self.start is None and self.outer is not None and array._element.is_fully_defined():
            with self.outer.as_default(), self.outer.control_dependencies(None):
                self.start = array._zeros()
        return self.start


@dataclass(frozen=True)
class _State:
    base: Tensor | None  # [rows, *element], or None before anything is written
    writes: tuple[tuple[Tensor, Tensor], ...] = ()  # (indices [n], rows [n, *element])
    loop: LoopRecord | None = field(default=None, compare=False)  # set inside a loop body
    lengths: Tensor | None = None  # split with unequal lengths: element k is base's next lengths[k] rows


class TensorArray:
    """A list of tensors of one dtype and element shape, TF1's ``tf.TensorArray``.

    >>> import graphflow as gf
    >>> ta = gf.TensorArray(gf.float32, size=2).write(0, [1.0, 2.0]).write(1, [3.0, 4.0])
    >>> ta.stack().shape.as_list()
    [2, 2]
    """

    def __init__(self, dtype: DTypeLike, size: TensorLike | None = None, dynamic_size: bool | None = None,
                 clear_after_read: bool | None = None, tensor_array_name: str | None = None, handle: Any = None,
                 flow: Any = None, infer_shape: bool = True, element_shape: Any = None,
                 colocate_with_first_write_call: bool = True, name: str | None = None) -> None:
        if handle is not None or flow is not None:
            raise ValueError("TensorArray(handle=..., flow=...): graphflow's TensorArrays are values; build one "
                             "with dtype and size")
        self._dtype = _dt.as_dtype(dtype)
        self._dynamic = bool(dynamic_size)
        if size is None and not self._dynamic:
            raise ValueError("TensorArray needs a size, or dynamic_size=True")
        f = folded(size) if size is not None else [0]
        self._size: int | Tensor = f[0] if f is not None else E.cast(convert_to_tensor(size), _dt.int32)
        self._element = as_shape(element_shape) if element_shape is not None else TensorShape(None)
        self._infer_shape = infer_shape
        self._name = name or tensor_array_name or "TensorArray"
        self._state = _State(None)

    def _with(self, state: _State, element: TensorShape | None = None) -> TensorArray:
        out = object.__new__(TensorArray)
        out.__dict__.update(self.__dict__)
        out._state = state
        if element is not None:
            out._element = element
        return out

    # ---- properties TF1 has ------------------------------------------------------------------------
    @property
    def dtype(self) -> _dt.DType:
        return self._dtype

    @property
    def element_shape(self) -> TensorShape:
        return self._element

    @property
    def dynamic_size(self) -> bool:
        return self._dynamic

    @property
    def flow(self) -> Tensor:
        """The array's value as one tensor (its stacked elements)."""
        return self.stack()

    @property
    def handle(self) -> Tensor:
        return self.flow

    # ---- writing ------------------------------------------------------------------------------------
    def _rows(self, value: TensorLike, what: str, leading: int | None) -> Tensor:
        v = convert_to_tensor(value, dtype=self._dtype)
        if v.dtype != self._dtype:
            raise TypeError(f"TensorArray of {self._dtype.name}: {what} got a {v.dtype.name} value ({v.name})")
        element = v.shape if leading is None else (TensorShape(v.shape.dims[1:]) if v.shape.rank else  # type: ignore[index]
                                                   TensorShape(None))
        if self._infer_shape and not self._element.is_compatible_with(element):
            raise ValueError(f"TensorArray {self._name}: {what} got an element of shape {element}, but the array holds "
                             f"elements of shape {self._element}")
        return v

    def _merged(self, element: TensorShape) -> TensorShape:
        return self._element.merge_with(element) if self._infer_shape else self._element

    def write(self, index: TensorLike, value: TensorLike, name: str | None = None) -> TensorArray:
        """The array with ``value`` at ``index`` (each index is written once)."""
        self._ragged("write")
        v = self._rows(value, "write", None)
        i = S.reshape(E.cast(convert_to_tensor(index), _dt.int32), [1])
        return self._with(replace(self._state, writes=self._state.writes + ((i, S.expand_dims(v, 0)),)),
                          self._merged(v.shape))

    def scatter(self, indices: TensorLike, value: TensorLike, name: str | None = None) -> TensorArray:
        """The array with ``value[k]`` at ``indices[k]``."""
        self._ragged("scatter")
        v = self._rows(value, "scatter", 1)
        i = S.reshape(E.cast(convert_to_tensor(indices), _dt.int32), [-1])
        return self._with(replace(self._state, writes=self._state.writes + ((i, v),)),
                          self._merged(TensorShape(v.shape.dims[1:]) if v.shape.rank else TensorShape(None)))

    def unstack(self, value: TensorLike, name: str | None = None) -> TensorArray:
        """The array whose elements are ``value``'s rows."""
        v = self._rows(value, "unstack", 1)
        if self._state.base is not None or self._state.writes:
            raise ValueError(f"TensorArray {self._name}: unstack needs an array nothing was written to")
        out = self._with(_State(v, (), self._state.loop),
                         self._merged(TensorShape(v.shape.dims[1:]) if v.shape.rank else TensorShape(None)))
        out._size = v.shape.as_list()[0] if v.shape.rank and v.shape.as_list()[0] is not None else S.shape(v)[0]
        return out

    def split(self, value: TensorLike, lengths: TensorLike, name: str | None = None) -> TensorArray:
        """The array whose element k is the next ``lengths[k]`` rows of ``value``. Equal lengths known
        when the graph is built make an array like any other; unequal or run-time lengths make one
        whose elements may differ in their first dim: it is read (``read``, ``concat``, ``size``;
        ``stack`` and ``gather`` when the lengths turn out equal), not written."""
        v = self._rows(value, "split", None)
        f = folded(lengths)
        if f is not None and len(f) > 0 and len(set(f)) == 1:
            rows = S.reshape(v, [len(f), f[0]] + (v.shape.as_list()[1:] if v.shape.rank else []))
            return self.unstack(rows)
        if self._state.base is not None or self._state.writes:
            raise ValueError(f"TensorArray {self._name}: split needs an array nothing was written to")
        if v.shape.rank == 0:
            raise ValueError(f"TensorArray {self._name}: split needs a value of rank >= 1, got a scalar ({v.name})")
        lens = S.reshape(E.cast(convert_to_tensor(lengths), _dt.int32), [-1])
        total = R.reduce_sum(lens)
        check = C.Assert(E.logical_and(E.equal(total, S.shape(v)[0]), R.reduce_all(E.greater_equal(lens, 0))),
                         [f"TensorArray {self._name}: split's lengths must be >= 0 and sum to the value's first "
                          "dim; got lengths", lens, "for rows", S.shape(v)[0]])
        with get_default_graph().control_dependencies([check]):
            base = E.identity(v)
        out = self._with(_State(base, (), lengths=lens, loop=self._state.loop),
                         self._merged(TensorShape([None] + v.shape.as_list()[1:]) if v.shape.rank is not None
                                      else TensorShape(None)))
        out._size = len(f) if f is not None else S.shape(lens)[0]
        return out

    def _ragged(self, what: str) -> None:
        if self._state.lengths is not None:
            raise ValueError(f"TensorArray {self._name}: {what} on an array split with unequal or run-time lengths; "
                             "graphflow reads such an array (read, concat, size, stack, gather) but does not "
                             "write it (TF1 allows each index to be written once, and split wrote them all)")

    def _element_at(self, index: Tensor) -> Tensor:
        """Element ``index`` of a split array: rows offsets[index] .. + lengths[index] of its base."""
        st = self._state
        base, lens = st.base, st.lengths
        assert base is not None and lens is not None
        n = S.shape(lens)[0]
        check = C.Assert(E.logical_and(E.greater_equal(index, 0), E.less(index, n)),
                         [f"TensorArray {self._name}: read index", index, "out of range for size", n])
        with get_default_graph().control_dependencies([check]):
            start = R.reduce_sum(A.gather(lens, ST.range(index)))
            count = A.gather(lens, index)
        rank = base.shape.rank
        rest = ST.zeros(S.reshape(E.subtract(S.rank(base), 1), [1]), _dt.int32) if rank is None else \
            ST.constant([0] * (rank - 1), dtype=_dt.int32)
        begin = concat([S.reshape(start, [1]), rest], 0)
        size = concat([S.reshape(count, [1]), E.subtract(rest, 1)], 0)
        out = slice_at(base, begin, size)
        if rank is not None:
            out.set_shape(TensorShape([None] + base.shape.as_list()[1:]))
        return out

    def _equal_elements(self) -> Tensor:
        """A split array's base as [size, length, ...] (its lengths must be equal when run)."""
        st = self._state
        base, lens = st.base, st.lengths
        assert base is not None and lens is not None
        first = A.gather(concat([lens, ST.constant([0], dtype=_dt.int32)], 0), 0)
        check = C.Assert(R.reduce_all(E.equal(lens, first)),
                         [f"TensorArray {self._name}: stack and gather need elements of one shape; the array was "
                          "split with lengths", lens])
        with get_default_graph().control_dependencies([check]):
            shape = concat([S.reshape(S.shape(lens)[0], [1]), S.reshape(first, [1]), S.shape(base)[1:]], 0)
            return S.reshape(base, shape)

    # ---- reading --------------------------------------------------------------------------------------
    def _buffer(self) -> Tensor:
        st = self._state
        base = st.base
        if st.loop is not None:
            st.loop.read = True
            if base is None:
                base = st.loop.zeros_for(self)
        if not st.writes:
            if base is not None:
                return base
            if st.loop is not None:
                raise NotImplementedError(_READ_IN_LOOP.format(self._name))
            if not self._element.is_fully_defined():
                raise ValueError(f"TensorArray {self._name} was read before anything was written to it, and its "
                                 f"element_shape {self._element} is not fully defined")
            return self._zeros()
        indices = concat([i for i, _ in st.writes], 0) if len(st.writes) > 1 else st.writes[0][0]
        rows = concat([v for _, v in st.writes], 0) if len(st.writes) > 1 else st.writes[0][1]
        size = self._size_tensor()
        if self._dynamic:
            size = E.maximum(size, E.add(R.reduce_max(concat([indices, ST.constant([-1], dtype=_dt.int32)], 0)), 1))
        if base is None:
            base = ST.zeros(concat([S.reshape(size, [1]), S.shape(rows)[1:]], 0), self._dtype)
        elif self._dynamic:
            extra = E.maximum(E.subtract(size, S.shape(base)[0]), 0)
            base = concat([base, ST.zeros(concat([S.reshape(extra, [1]), S.shape(base)[1:]], 0), self._dtype)], 0)
        rows_now = S.shape(base)[0]
        in_range = R.reduce_all(E.logical_and(E.greater_equal(indices, 0), E.less(indices, rows_now)))
        once = E.equal(S.shape(indices)[0], S.shape(SO.unique(indices)[0])[0])
        check = C.Assert(E.logical_and(in_range, once),
                         [f"TensorArray {self._name}: each write must be at an index in [0, size) and each index "
                          "written once; got indices", indices, "for a size of", rows_now])
        with get_default_graph().control_dependencies([check]):
            out = AX.tensor_scatter_nd_update(base, S.expand_dims(indices, 1), rows)
        return self._static(out)

    def _zeros(self) -> Tensor:
        """The buffer of an array nothing was written to: zeros of [size, *element] (element shape known)."""
        return ST.zeros(concat([S.reshape(self._size_tensor(), [1]),
                                ST.constant(self._element.as_list(), dtype=_dt.int32)], 0), self._dtype)

    def _static(self, buffer: Tensor) -> Tensor:
        """``buffer`` with what is known of [size, *element] when the graph is built."""
        size = self._size if isinstance(self._size, int) and not self._dynamic else None
        if self._element.rank is not None:
            buffer.set_shape(TensorShape([size] + self._element.as_list()))
        return buffer

    def _size_tensor(self) -> Tensor:
        s = self._size
        return ST.constant(s, dtype=_dt.int32) if isinstance(s, int) else s

    def read(self, index: TensorLike, name: str | None = None) -> Tensor:
        """Element ``index``."""
        if self._state.lengths is not None:
            out = self._element_at(E.cast(convert_to_tensor(index), _dt.int32))
            out.set_shape(self._element if self._element.rank is not None else out.shape)
            return E.identity(out, name=name)
        out = A.gather(self._buffer(), E.cast(convert_to_tensor(index), _dt.int32), name=name)
        out.set_shape(self._element if self._element.rank is not None else out.shape)
        return out

    def gather(self, indices: TensorLike, element_shape: Any = None, name: str | None = None) -> Tensor:
        """The elements at ``indices``, stacked."""
        if self._state.lengths is not None:
            return A.gather(self._equal_elements(), E.cast(convert_to_tensor(indices), _dt.int32), name=name)
        return A.gather(self._buffer(), E.cast(convert_to_tensor(indices), _dt.int32), name=name)

    def stack(self, name: str | None = None) -> Tensor:
        """Every element, stacked along a new first dim."""
        if self._state.lengths is not None:
            return E.identity(self._equal_elements(), name=name or f"{self._name}_stack")
        return E.identity(self._buffer(), name=name or f"{self._name}_stack")

    def concat(self, name: str | None = None) -> Tensor:
        """Every element joined along its first dim."""
        if self._state.lengths is not None:
            assert self._state.base is not None
            return E.identity(self._state.base, name=name)
        b = self._buffer()
        if b.shape.rank is not None and b.shape.rank < 2:
            raise ValueError(f"TensorArray {self._name}: concat needs elements of rank >= 1, got {self._element}")
        return S.reshape(b, concat([ST.constant([-1], dtype=_dt.int32), S.shape(b)[2:]], 0), name=name)

    def size(self, name: str | None = None) -> Tensor:
        """The number of elements."""
        if self._state.lengths is not None:
            return S.shape(self._state.lengths, name=name)[0]
        if self._dynamic:
            return S.shape(self._buffer(), name=name)[0]
        return self._size_tensor() if not isinstance(self._size, int) else ST.constant(self._size, dtype=_dt.int32,
                                                                                         name=name)

    def close(self, name: str | None = None) -> Any:
        return ST.no_op(name=name)

    def identity(self) -> TensorArray:
        return self

    def mark_used(self) -> None:
        """Accepted for TF1's API; nothing to mark."""

    # ---- cond's side ---------------------------------------------------------------------------------------
    def from_buffer(self, buffer: Tensor) -> TensorArray:
        """This array holding ``buffer`` (a cond's output: the buffer of the branch taken). Inside a
        loop body that carries this array, every row counts as written by the iteration."""
        loop = self._state.loop
        if loop is None:
            return self._with(_State(buffer))
        loop.read = True  # the loop must carry the buffer: the cond's rows are the iteration's writes
        rows = ST.range(S.shape(buffer)[0])
        return self._with(_State(self._state.base, ((rows, buffer),), loop))

    # ---- while_loop's side -----------------------------------------------------------------------------
    def before_loop(self) -> Tensor | None:
        """The array's buffer as a loop starts (built outside the loop), or None when nothing
        was written yet."""
        return self._buffer() if (self._state.writes or self._state.base is not None) else None

    def loop_view(self, base: Tensor | None, record: LoopRecord) -> TensorArray:
        """This array as a loop body sees it: ``base``, its state before the loop, with reads
        recorded; writes in the body are collected by ``loop_writes``."""
        return self._with(_State(base, (), lengths=self._state.lengths, loop=record))

    def loop_writes(self, view: TensorArray) -> list[Tensor]:
        """The indices and rows the body's writes put into this array (one index vector and one
        row block per iteration, concatenated), checked against reads."""
        if not isinstance(view, TensorArray) or view._state.loop is None:
            got = f"TensorArray {view._name} made in the body" if isinstance(view, TensorArray) else repr(view)
            raise TypeError(f"while_loop's body must return the TensorArray it was given (or one written from it) "
                            f"in the place of TensorArray {self._name}, got {got}")
        if not view._state.writes:
            return []
        if view._state.loop.read:  # read and written: the loop carries the buffer (control_flow_while._late)
            nxt = view._buffer()
            start = view._state.base if view._state.base is not None else view._state.loop.start
            if start is None:
                raise NotImplementedError(_READ_IN_LOOP.format(self._name))
            shape = start.shape  # a dynamic_size array's buffer grows from one iteration to the next
            if self._dynamic:
                shape = TensorShape([None] + shape.as_list()[1:]) if shape.rank is not None else shape
            get_default_graph().late_loop_values.append((start, nxt, shape, self._dynamic))  # type: ignore[attr-defined]
            view._state.loop.carried = True
            return []
        indices = concat([i for i, _ in view._state.writes], 0)
        rows = concat([v for _, v in view._state.writes], 0)
        if indices.shape.as_list() == [1]:  # one row per iteration (the usual write): stacked as it is
            return [indices[0], rows[0]]
        return [indices, rows]

    def after_loop(self, view: TensorArray, stacked: Sequence[Tensor], carried: Tensor | None = None) -> TensorArray:
        """This array after a loop whose iterations' writes were stacked: ``stacked`` holds the
        indices [iterations, n] and rows [iterations, n, *element] (empty: no writes); or, for an
        array the loop carried whole, ``carried`` is its final buffer."""
        if carried is not None:
            return self._with(_State(carried, (), self._state.loop), view._element)
        if not stacked:
            return self
        indices, rows = stacked
        if indices.shape.rank == 1:  # one row per iteration
            return self._after(view, indices, rows)
        flat_rows = S.reshape(rows, concat([ST.constant([-1], dtype=_dt.int32), S.shape(rows)[2:]], 0))
        if view._element.rank is not None:
            flat_rows.set_shape(TensorShape([None] + view._element.as_list()))
        return self._after(view, S.reshape(indices, [-1]), flat_rows)

    def _after(self, view: TensorArray, indices: Tensor, rows: Tensor) -> TensorArray:
        # (inside an enclosing loop's body this array stays that loop's view: its writes add up)
        state = self._state if self._state.base is not None or self._state.writes else _State(None, (),
                                                                                             self._state.loop)
        return self._with(replace(state, writes=state.writes + ((indices, rows),)), view._element)


def is_tensor_array(x: object) -> bool:
    return isinstance(x, TensorArray)
