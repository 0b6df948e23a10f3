"""``tf.contrib.seq2seq.gather_tree`` (TF 1.15's GatherTree kernel, built here from graphflow ops so
it runs on every target) and the TensorArray reordering the beam search decoder's ``finalize``
does with it.

``gather_tree(step_ids, parent_ids, max_sequence_lengths, end_token)``, all ids
``[max_time, batch, beam]``: the output starts as ``end_token`` everywhere; for each batch row b and
beam k the path is traced back from step ``min(max_time, max_sequence_lengths[b]) - 1`` (beam k
there) through the parent ids down to step 0; then every entry after a path's first ``end_token``
is ``end_token``. A parent id the trace follows outside ``[0, beam)`` fails the run.
"""
from __future__ import annotations

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import gather
from graphflow.ops.check_ops import check_in_range
from graphflow.ops.control_flow import while_loop
from graphflow.ops.index_ops import sequence_mask
from graphflow.ops.tensor_array import TensorArray
from graphflow.tf1.graph_functions import name_scope

__all__ = ["gather_tree", "gather_tree_from_array"]


def _dim(t: Tensor, axis: int) -> int | Tensor:
    d = t.shape.as_list()[axis]
    return d if d is not None else S.shape(t)[axis]


def _pick(x: Tensor, pointers: Tensor, batch: int | Tensor, width: int | Tensor) -> Tensor:
    """``x[b, pointers[b, k]]`` for ``x`` [batch, width] and ``pointers`` [batch, beam]."""
    offsets = S.expand_dims(ST.range(batch) * width, 1)
    flat = gather(S.reshape(x, [-1]), S.reshape(pointers + offsets, [-1]))
    return S.reshape(flat, S.shape(pointers))


def gather_tree(step_ids: TensorLike, parent_ids: TensorLike, max_sequence_lengths: TensorLike,
                end_token: TensorLike, name: str | None = None) -> Tensor:
    """The full beams ``[max_time, batch, beam]`` traced back from ``step_ids`` and ``parent_ids``
    (TF 1.15's GatherTree).

    >>> import graphflow as gf
    >>> ids = gf.constant([[[1, 2]], [[3, 4]]])
    >>> gather_tree(ids, gf.constant([[[0, 0]], [[1, 0]]]), [2], 9).shape.as_list()
    [2, 1, 2]
    """
    with name_scope(name, "GatherTree"):
        ids = convert_to_tensor(step_ids)
        if not ids.dtype.is_integer:
            raise TypeError(f"gather_tree: step_ids must be integers, got {ids.dtype.name}")
        parents = M.cast(convert_to_tensor(parent_ids), ids.dtype)
        lengths = M.cast(convert_to_tensor(max_sequence_lengths), _dt.int32)
        end = M.cast(convert_to_tensor(end_token), ids.dtype)
        if ids.shape.rank != 3:
            raise ValueError(f"gather_tree: step_ids must be a 3-tensor [max_time, batch, beam], saw shape {ids.shape}")
        if not parents.shape.is_compatible_with(ids.shape):
            raise ValueError(f"gather_tree: step_ids.shape must match parent_ids.shape, but shapes are {ids.shape} "
                             f"and {parents.shape}")
        if lengths.shape.rank != 1:
            raise ValueError(f"gather_tree: max_sequence_lengths must be a vector, saw shape {lengths.shape}")
        if end.shape.rank != 0:
            raise ValueError(f"gather_tree: end_token must be a scalar, saw shape {end.shape}")
        if not TensorShape([ids.shape.as_list()[1]]).is_compatible_with(lengths.shape):
            raise ValueError(f"gather_tree: batch size dimensions step_ids.shape[1] and max_sequence_lengths.shape[0] "
                             f"must match, but shapes are {ids.shape} and {lengths.shape}")
        static = ids.shape.merge_with(parents.shape).as_list()
        max_time, batch, beam = (d if d is not None else S.shape(ids)[j] for j, d in enumerate(static))
        limit = S.expand_dims(M.minimum(lengths, M.cast(max_time, _dt.int32)), 1)  # [batch, 1]
        own = R.broadcast_to(S.expand_dims(M.cast(ST.range(beam), ids.dtype), 0), S.shape(ids)[1:])
        message = "gather_tree: saw a parent id outside [0, beam_width) on a traced path"

        def body(t: Tensor, pointers: Tensor, first_end: Tensor, out: TensorArray) -> tuple:
            # a path starts (at its own beam) at step limit - 1; steps past it stay end_token
            here = M.where(M.greater_equal(t, limit - 1), own, pointers)
            here = check_in_range(here, 0, beam, message)
            picked = M.where(M.less(t, limit), _pick(gather(ids, t), here, batch, beam), end)
            first_end = M.where(M.equal(picked, end), t, first_end)  # steps go down: the earliest wins
            return t - 1, _pick(gather(parents, t), here, batch, beam), first_end, out.write(t, picked)

        array = TensorArray(ids.dtype, size=max_time, element_shape=TensorShape(static[1:]))
        start = M.cast(max_time, _dt.int32) - 1
        never = ST.fill(S.shape(own), M.cast(max_time, _dt.int32))
        _, _, first_end, array = while_loop(lambda t, *_: M.greater_equal(t, 0), body, (start, own, never, array))
        traced = S.reshape(array.stack(), S.shape(ids))  # the shape also when max_time is 0
        traced.set_shape(static)
        # every entry after a path's first end_token becomes end_token
        steps = S.reshape(ST.range(max_time), [-1, 1, 1])
        return M.where(M.greater(steps, first_end), end, traced)


def gather_tree_from_array(t: TensorLike, parent_ids: TensorLike, sequence_length: TensorLike) -> Tensor:
    """A stacked TensorArray ``t`` ([max_time, batch * beam, ...] or [max_time, batch, beam, ...])
    with each step's beams reordered along the paths ``gather_tree`` traces from ``parent_ids``
    ([max_time, batch, beam]); steps past a beam's ``sequence_length`` ([batch, beam]) keep its own
    beam (TF 1.15)."""
    values = convert_to_tensor(t)
    parents = M.cast(convert_to_tensor(parent_ids), _dt.int32)
    lengths = convert_to_tensor(sequence_length)
    max_time, batch, beam = (_dim(parents, j) for j in range(3))
    own = R.broadcast_to(S.reshape(ST.range(beam), [1, 1, -1]), S.shape(parents))
    longest = M.cast(R.reduce_max(lengths, axis=1), _dt.int32)
    sorted_ids = gather_tree(own, parents, longest, end_token=beam + 1)
    in_bounds = S.transpose(sequence_mask(lengths, maxlen=max_time), [2, 0, 1])
    sorted_ids = M.where(in_bounds, sorted_ids, own)
    # row (time, b, sorted beam) of t seen as [max_time * batch * beam, -1]
    rows = (S.reshape(ST.range(max_time), [-1, 1, 1]) * batch + S.reshape(ST.range(batch), [1, -1, 1])) * beam
    flat = S.reshape(values, [max_time * batch * beam, -1])
    ordered = gather(flat, S.reshape(rows + sorted_ids, [-1]))
    out = S.reshape(ordered, S.shape(values))
    out.set_shape(values.shape)
    return out
