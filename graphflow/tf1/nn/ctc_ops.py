"""Connectionist temporal classification: ``tf.nn.ctc_loss`` (TF1's: labels a SparseTensor, the
blank the last class), ``ctc_loss_v2`` (dense or sparse labels, the blank class 0 unless given),
``ctc_greedy_decoder`` and ``ctc_beam_search_decoder``.

The loss is the forward (alpha) recursion of Graves et al. (2006) in log space over each row's
extended labels ``blank l1 blank l2 ... blank``: one ``while_loop`` step per frame on ``[batch,
2L+1]`` states. Its gradient is the loop's own (differentiating the forward recursion gives the
backward one). An unreachable state holds a large negative finite number rather than -inf, so no
step computes ``inf - inf``; a frame past a row's ``sequence_length`` leaves the row's states as
they are.

The greedy decoder is graph ops (argmax, masks, ``where``). The beam search decoder is the prefix
beam search, run on the host (``py_func``): per frame it keeps the ``beam_width`` most probable
label prefixes, each with its probability of ending in a blank and in its last label.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import array_ops as A
from graphflow.ops import check_ops as K
from graphflow.ops import control_flow as CF
from graphflow.ops import elementwise_ops as E
from graphflow.ops import index_ops as I
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as Red
from graphflow.ops import run_time_axes as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as St
from graphflow.ops.concat_ops import stack
from graphflow.ops.ctc_label_ops import collapse_repeated
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.nn_ops import log_softmax
from graphflow.ops.py_func_ops import py_func
from graphflow.ops.sparse_ops import SparseTensor, as_sparse, sparse_tensor_to_dense
from graphflow.tf1.graph_functions import control_dependencies, name_scope

__all__ = ["ctc_beam_search_decoder", "ctc_beam_search_decoder_v2", "ctc_greedy_decoder", "ctc_loss",
           "ctc_loss_v2"]

_NEG = -1e30  # the log-probability of an unreachable state


def _time_major(x: TensorLike, time_major: bool, what: str) -> Tensor:
    t = convert_to_tensor(x)
    if t.shape.rank is not None and t.shape.rank != 3:
        dims = "[max_time, batch, num_classes]" if time_major else "[batch, max_time, num_classes]"
        raise ValueError(f"{what} needs {dims} inputs (rank 3), got {t.name} of shape {t.shape}")
    if not t.dtype.is_floating:
        raise TypeError(f"{what} needs float logits, got {t.name} of dtype {t.dtype.name}")
    return t if time_major else R.transpose(t, [1, 0, 2])


def _one_hot(ids: Tensor, depth: TensorLike, dtype: _dt.DType) -> Tensor:
    """``one_hot`` with a depth computed at run time as well."""
    return M.cast(E.equal(R.expand_dims(ids, -1), M.cast(St.range(depth), ids.dtype)), dtype)


def _dense_labels(labels: SparseTensor) -> tuple[Tensor, Tensor]:
    """(``[batch, max_len]`` int32 labels, zero-padded; each row's length, its entry count).
    Labels of unknown rank (``sparse_placeholder(tf.int32)``, as CTC tutorials feed them) are
    checked to be rank 2 when the run feeds them."""
    if labels.dense_shape.shape.as_list()[0] is None:
        labels = SparseTensor(S.reshape(labels.indices, [-1, 2]), labels.values, S.reshape(labels.dense_shape, [2]))
    dense = M.cast(sparse_tensor_to_dense(labels, 0), _dt.int32)
    rows = M.cast(labels.indices[:, 0], _dt.int32)
    length = Red.reduce_sum(_one_hot(rows, S.shape(dense)[0], _dt.int32), 0)
    return dense, length


def _positions(width: TensorLike) -> Tensor:
    return S.reshape(St.range(width), [1, -1])


def _nll(logp: Tensor, labels: Tensor, length: Tensor, frames: Tensor, blank: TensorLike,
         merge_repeated: bool) -> Tensor:
    """-log p(labels | logp) of each row: ``logp`` [time, batch, classes] log-probabilities,
    ``labels`` [batch, L] int32 of ``length`` [batch], ``frames`` [batch] the frames to read."""
    width = S.shape(labels)[1]
    blanks = St.zeros_like(labels) + M.cast(convert_to_tensor(blank), _dt.int32)
    ext = S.reshape(stack([blanks, labels], axis=2), stack([S.shape(labels)[0], 2 * width]))
    ext = R.concat([ext, blanks[:, :1]], 1)  # [batch, 2L+1]: blank l1 blank l2 ... blank
    # emit[t, b, s] = logp[t, b, ext[b, s]]
    emit = matmul(R.transpose(logp, [1, 0, 2]), _one_hot(ext, S.shape(logp)[2], logp.dtype),
                  transpose_b=True)
    emit = R.transpose(emit, [1, 0, 2])
    is_blank = E.equal(ext, blanks[:, :1])
    skip_ok = E.logical_not(is_blank)  # s-2 -> s, over a blank between two labels
    if merge_repeated:  # ... unless the two labels are equal: a path merges them
        skip_ok = E.logical_and(skip_ok, E.not_equal(ext, R.concat([ext[:, :2] * 0 - 1, ext[:, :-2]], 1)))
    neg = St.zeros_like(emit[0]) + _NEG
    alpha = M.where(_positions(2 * width + 1) < 2, emit[0], neg)  # a path starts on a blank or l1
    alpha = M.where(R.expand_dims(frames > 0, 1), alpha, neg)
    steps = S.shape(logp)[0]

    def body(t: Tensor, alpha: Tensor) -> tuple[Tensor, Tensor]:
        one = neg[:, :1]
        stay = alpha if merge_repeated else M.where(is_blank, alpha, neg)  # else a label frame emits anew
        step = R.concat([one, alpha[:, :-1]], 1)
        skip = M.where(skip_ok, R.concat([one, one, alpha[:, :-2]], 1), neg)
        new = Red.reduce_logsumexp(stack([stay, step, skip]), 0) + R.gather(emit, t)
        return t + 1, M.where(R.expand_dims(t < frames, 1), new, alpha)

    _, alpha = CF.while_loop(lambda t, _a: t < steps, body, [St.zeros_like(steps) + 1, alpha])
    last = R.expand_dims(2 * length, 1)  # a path ends on the last blank or the last label
    ends = E.logical_or(E.equal(_positions(2 * width + 1), last), E.equal(_positions(2 * width + 1), last - 1))
    return -Red.reduce_logsumexp(M.where(ends, alpha, neg), 1)


def _loss(logits: Tensor, labels: Tensor, length: Tensor, sequence_length: TensorLike, blank: TensorLike,
          merge_repeated: bool, ignore_longer: bool, what: str, labels_needed: bool = True) -> Tensor:
    """The loss with TF1's checks: a row of more labels than frames fails the run (with
    ``ignore_longer``: loss 0, no gradient); a row no path can emit (too few frames for the blanks
    between repeats) has an infinite loss, whose gradient is the softmax of its frames, as TF1's."""
    frames = M.cast(convert_to_tensor(sequence_length), _dt.int32)
    steps = S.shape(logits)[0]
    checks = [K.assert_less_equal(frames, steps, message=f"{what}: a sequence_length is longer than the inputs' "
                                  "max_time")]
    if labels_needed:
        checks.append(K.assert_positive(length, message=f"{what}: a batch row has no labels"))
    if not ignore_longer:
        checks.append(K.assert_less_equal(length, frames, message=f"{what}: not enough time for the target transition "
                                          "sequence (a row has more labels than sequence_length gives frames; "
                                          "ignore_longer_outputs_than_inputs=True makes such rows' loss 0)"))
    with control_dependencies(checks):
        logp = log_softmax(logits, axis=-1)
        loss = _nll(logp, labels, length, frames, blank, merge_repeated)
    inside = R.expand_dims(R.transpose(I.sequence_mask(frames, steps, dtype=logits.dtype), [1, 0]), 2)
    normaliser = Red.reduce_sum(Red.reduce_logsumexp(logits, 2, keepdims=True) * inside, [0, 2])
    softmax_only = normaliser - E.stop_gradient(normaliser)  # 0, with the softmax as its gradient
    loss = M.where(loss < -0.5 * _NEG, loss, softmax_only + np.inf)
    if ignore_longer:
        loss = M.where(length <= frames, loss, St.zeros_like(loss))
    return loss


def ctc_loss(labels: SparseTensor, inputs: TensorLike | None = None, sequence_length: TensorLike | None = None,
             preprocess_collapse_repeated: bool = False, ctc_merge_repeated: bool = True,
             ignore_longer_outputs_than_inputs: bool = False, time_major: bool = True,
             logits: TensorLike | None = None) -> Tensor:
    """The CTC loss of each batch row, ``[batch]``: -log of the probability that the logits'
    frames (softmax over the classes) emit the row's labels, summed over every alignment.

    ``labels``: a SparseTensor of int32 class ids, ``[batch, max_labels]``, the last class being
    the blank; ``inputs`` (or ``logits``): ``[max_time, batch, num_classes]`` unnormalised
    (``[batch, max_time, num_classes]`` with ``time_major=False``); ``sequence_length``: each
    row's frame count. ``ctc_merge_repeated=False`` makes every frame of a label emit it anew;
    ``preprocess_collapse_repeated`` merges repeated labels first. A row of more labels than
    frames fails the run, or with ``ignore_longer_outputs_than_inputs`` gets loss 0 (and no
    gradient); a row no alignment can emit (equal neighbours with no frame left for the blank
    between) gets loss inf, as in TF1.
    """
    if inputs is None:
        inputs = logits
    if inputs is None or sequence_length is None:
        raise TypeError("ctc_loss needs inputs (or logits) and sequence_length")
    with name_scope(None, "CTCLoss"):
        x = _time_major(inputs, time_major, "ctc_loss")
        sp = as_sparse(labels, "labels")
        if not sp.dtype.is_integer:
            raise TypeError(f"ctc_loss needs int32 labels, got a SparseTensor of dtype {sp.dtype.name}")
        dense, length = _dense_labels(sp)
        if preprocess_collapse_repeated:
            dense, length = collapse_repeated(dense, length)
        blank = S.shape(x)[2] - 1
        return _loss(x, dense, length, sequence_length, blank, ctc_merge_repeated,
                     ignore_longer_outputs_than_inputs, "ctc_loss")


def ctc_loss_v2(labels: TensorLike | SparseTensor, logits: TensorLike, label_length: TensorLike | None,
                logit_length: TensorLike, logits_time_major: bool = True, unique: object = None,
                blank_index: int | None = None, name: str | None = None) -> Tensor:
    """TF2's CTC loss (``tf.nn.ctc_loss_v2`` in TF1): dense ``[batch, max_labels]`` labels with
    ``label_length``, or a SparseTensor (then ``blank_index`` is required); the blank class is
    ``blank_index`` (0 by default for dense labels; negative counts from the last class).
    ``unique`` (a TPU speed-up) changes nothing here."""
    x = _time_major(logits, logits_time_major, "ctc_loss_v2")
    if isinstance(labels, SparseTensor):
        if blank_index is None:
            raise ValueError("ctc_loss_v2: blank_index must be given when labels is a SparseTensor")
        dense, length = _dense_labels(labels)
    else:
        if label_length is None:
            raise ValueError("ctc_loss_v2: dense labels need label_length")
        dense = M.cast(convert_to_tensor(labels), _dt.int32)
        length = M.cast(convert_to_tensor(label_length), _dt.int32)
        blank_index = 0 if blank_index is None else blank_index
    blank: TensorLike = blank_index
    if blank_index < 0:
        blank = S.shape(x)[2] + blank_index
    with name_scope(name, "ctc_loss_dense"):
        return _loss(x, dense, length, logit_length, blank, True, False, "ctc_loss_v2",
                     labels_needed=isinstance(labels, SparseTensor))


def _decoded(keep: Tensor, classes: Tensor) -> SparseTensor:
    """The kept frames' classes of each row (``keep``, ``classes`` [batch, time]) as a SparseTensor
    ``[batch, most kept]``, each row's values in time order."""
    at = I.where_indices(keep)  # [n, 2] (row, frame), row-major
    slot = R.cumsum(M.cast(keep, _dt.int64), axis=1) - 1
    indices = stack([at[:, 0], A.gather_nd(slot, at)], axis=1)
    width = Red.reduce_max(R.concat([Red.reduce_sum(M.cast(keep, _dt.int64), 1), St.zeros_like(slot[:1, 0])], 0))
    shape = stack([M.cast(S.shape(keep)[0], _dt.int64), width])
    return SparseTensor(indices, M.cast(A.gather_nd(classes, at), _dt.int64), shape)


def ctc_greedy_decoder(inputs: TensorLike, sequence_length: TensorLike, merge_repeated: bool = True,
                       blank_index: int | None = None) -> tuple[list[SparseTensor], Tensor]:
    """Best-path decoding: each frame's most probable class, repeats merged (unless
    ``merge_repeated=False``), blanks dropped. Returns ([the decoded SparseTensor], ``[batch, 1]``
    minus the sum over each row's frames of its largest logit). The blank is the last class
    unless ``blank_index`` says otherwise (negative counts from the last)."""
    with name_scope(None, "CTCGreedyDecoder"):
        x = _time_major(inputs, True, "ctc_greedy_decoder")
        blank: TensorLike = S.shape(x)[2] - 1 if blank_index is None else blank_index
        if blank_index is not None and blank_index < 0:
            blank = S.shape(x)[2] + blank_index
        best = R.transpose(M.cast(R.argmax(x, axis=2), _dt.int32), [1, 0])  # [batch, time]
        frames = M.cast(convert_to_tensor(sequence_length), _dt.int32)
        inside = I.sequence_mask(frames, S.shape(best)[1])
        keep = E.logical_and(inside, E.not_equal(best, M.cast(convert_to_tensor(blank), _dt.int32)))
        if merge_repeated:
            new = R.concat([E.equal(best[:, :1], best[:, :1]), E.not_equal(best[:, 1:], best[:, :-1])], 1)
            keep = E.logical_and(keep, new)
        top = R.transpose(Red.reduce_max(x, axis=2), [1, 0])
        score = -Red.reduce_sum(M.where(inside, top, St.zeros_like(top)), 1, keepdims=True)
        return [_decoded(keep, best)], score


def _log_add(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    hi = max(a, b)
    return hi + math.log1p(math.exp(min(a, b) - hi))


def _beam_search(logp: np.ndarray, frames: int, blank: int, beam_width: int,
                 top_paths: int) -> list[tuple[tuple[int, ...], float]]:
    """Prefix beam search over one row's ``logp`` [time, classes]: the ``top_paths`` most
    probable label sequences with their log-probabilities."""
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -math.inf)}  # prefix: (ends blank, ends label)
    for t in range(frames):
        row = logp[t]
        nxt: dict[tuple[int, ...], list[float]] = {}

        def add(prefix: tuple[int, ...], blank_p: float, label_p: float) -> None:
            cur = nxt.setdefault(prefix, [-math.inf, -math.inf])
            cur[0], cur[1] = _log_add(cur[0], blank_p), _log_add(cur[1], label_p)

        for prefix, (pb, pl) in beams.items():
            total = _log_add(pb, pl)
            add(prefix, total + float(row[blank]), -math.inf)  # a blank frame
            if prefix:  # the last label again, merged
                add(prefix, -math.inf, pl + float(row[prefix[-1]]))
            for c in range(row.shape[0]):
                if c == blank:
                    continue
                # a new label; the same label as the last one needs a blank between
                before = pb if prefix and c == prefix[-1] else total
                add(prefix + (c,), -math.inf, before + float(row[c]))
        ranked = sorted(nxt.items(), key=lambda kv: -_log_add(kv[1][0], kv[1][1]))[:beam_width]
        beams = {p: (v[0], v[1]) for p, v in ranked}
    ranked_out = sorted(((p, _log_add(*v)) for p, v in beams.items()), key=lambda pv: -pv[1])
    return ranked_out[:top_paths]


def _merge_runs(seq: Sequence[int]) -> list[int]:
    return [c for i, c in enumerate(seq) if i == 0 or c != seq[i - 1]]


def ctc_beam_search_decoder(inputs: TensorLike, sequence_length: TensorLike, beam_width: int = 100,
                            top_paths: int = 1, merge_repeated: bool = True) -> tuple[list[SparseTensor], Tensor]:
    """Beam search decoding (the blank is the last class): the ``top_paths`` most probable label
    sequences of each row, as ``top_paths`` SparseTensors ``[batch, longest]``, and their
    log-probabilities ``[batch, top_paths]``. ``merge_repeated`` (TF1's default) also merges
    equal neighbours of a decoded sequence."""
    if top_paths < 1 or top_paths > beam_width:
        raise ValueError(f"ctc_beam_search_decoder: top_paths must be in [1, beam_width={beam_width}], got {top_paths}")
    with name_scope(None, "CTCBeamSearchDecoder"):
        x = _time_major(inputs, True, "ctc_beam_search_decoder")
        logp = log_softmax(x, axis=-1)

        def search(lp: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
            batch, classes = lp.shape[1], lp.shape[2]
            if lengths.shape != (batch,) or (lengths > lp.shape[0]).any() or (lengths < 0).any():
                raise ValueError(f"ctc_beam_search_decoder: sequence_length must be {batch} values in "
                                 f"[0, max_time={lp.shape[0]}], got {lengths.tolist()}")
            found = [_beam_search(lp[:, b].astype(np.float64), int(lengths[b]), classes - 1, beam_width, top_paths)
                     for b in range(batch)]
            outs: list[np.ndarray] = []
            scores = np.full((batch, top_paths), -np.inf, lp.dtype)
            for k in range(top_paths):
                idx, vals = [], []
                for b, paths in enumerate(found):
                    if k < len(paths):
                        seq = _merge_runs(paths[k][0]) if merge_repeated else list(paths[k][0])
                        idx += [(b, j) for j in range(len(seq))]
                        vals += seq
                        scores[b, k] = paths[k][1]
                width = max([j + 1 for _, j in idx], default=0)
                outs += [np.asarray(idx, np.int64).reshape(-1, 2), np.asarray(vals, np.int64),
                         np.asarray([batch, width], np.int64)]
            return outs + [scores]

        got = py_func(search, [logp, M.cast(convert_to_tensor(sequence_length), _dt.int32)],
                      [_dt.int64, _dt.int64, _dt.int64] * top_paths + [x.dtype], stateful=False)
        decoded = []
        for k in range(top_paths):
            idx, vals, shape = got[3 * k: 3 * k + 3]
            idx.set_shape([None, 2])
            vals.set_shape([None])
            shape.set_shape([2])
            decoded.append(SparseTensor(idx, vals, shape))
        got[-1].set_shape([x.shape[1], top_paths])
        return decoded, got[-1]


def ctc_beam_search_decoder_v2(inputs: TensorLike, sequence_length: TensorLike, beam_width: int = 100,
                               top_paths: int = 1) -> tuple[list[SparseTensor], Tensor]:
    """TF2's beam search decoder (``tf.nn.ctc_beam_search_decoder_v2``): repeats not merged."""
    return ctc_beam_search_decoder(inputs, sequence_length, beam_width, top_paths, merge_repeated=False)
