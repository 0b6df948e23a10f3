"""Failures are TF1's named errors, naming the node and the user's line: a run-time allocation too
large (ResourceExhaustedError), cholesky and the other square-matrix ops of a non-square matrix
(ValueError at build, InvalidArgumentError at run), a reduction out of a placeholder_with_default
of unknown shape (runs, as in TF1), tf.summary.merge of floats (TypeError); each class compared
with tf.compat.v1's where TensorFlow is installed."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need

HUGE = 2**24  # a [HUGE, HUGE] float32 tensor is 1 PiB: past any machine's memory and address space


def _line_of(marker: str) -> str:
    """``file:line`` of the line of this file holding ``marker`` (a node's creation site)."""
    with open(__file__) as f:
        for k, text in enumerate(f, start=1):
            if marker in text and "_line_of" not in text:
                return f"{__file__}:{k}"
    raise AssertionError(f"no line holds {marker!r}")


def test_fill_too_large_at_run_time_is_resource_exhausted_naming_the_node() -> None:
    with gf.Graph().as_default():
        dims = gf.placeholder(gf.int32, [2])
        big = gf.fill(dims, 1.0, name="big")  # marker: fill-big
        with gf.Session() as s:
            with pytest.raises(gf.errors.ResourceExhaustedError) as e:
                s.run(big, {dims: [HUGE, HUGE]})
            message = str(e.value)
            assert f"OOM when allocating tensor with shape[{HUGE},{HUGE}] and type float32" in message
            assert "'big' (Fill)" in message and _line_of("marker: fill-big") in message
            assert e.value.node_def.name == "big" and isinstance(e.value, MemoryError)
            np.testing.assert_array_equal(s.run(big, {dims: [2, 3]}), np.ones((2, 3), np.float32))
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"Dimension -1 must be >= 0.*\[-1,3\]"):
                s.run(big, {dims: [-1, 3]})


def test_static_fill_and_tile_too_large_fail_at_run_time_naming_the_node() -> None:
    with gf.Graph().as_default():
        zeros = gf.zeros([HUGE, HUGE], name="zeros_huge")
        x = gf.placeholder(gf.float32, [None])
        tiled = gf.tile(x, [HUGE], name="tiled")  # marker: tile-huge
        overflow = gf.tile(x, [2**62], name="overflow")  # 8 * 2**62 elements: past int64
        with gf.Session() as s:
            with pytest.raises(gf.errors.ResourceExhaustedError, match=rf"(?s)shape\[{HUGE},{HUGE}\].*'zeros_huge'"):
                s.run(gf.reduce_sum(zeros))
            with pytest.raises(gf.errors.ResourceExhaustedError) as e:
                s.run(tiled, {x: np.ones(HUGE, np.float32)})
            assert f"shape[{HUGE * HUGE}]" in str(e.value) and f"an input of shape [{HUGE}] tiled [{HUGE}]" in \
                str(e.value)
            assert "'tiled' (Tile)" in str(e.value) and _line_of("marker: tile-huge") in str(e.value)
            with pytest.raises(gf.errors.ResourceExhaustedError, match=r"shape \[8\] tiled \[4611686018427387904\]"):
                s.run(overflow, {x: np.ones(8, np.float32)})


def test_an_unforeseen_out_of_memory_is_resource_exhausted_naming_the_fetch() -> None:
    with gf.Graph().as_default():
        a = gf.placeholder(gf.float32, [None, 1])
        b = gf.placeholder(gf.float32, [1, None])
        outer = gf.add(a, b, name="outer")
        with gf.Session() as s:
            with pytest.raises(gf.errors.ResourceExhaustedError, match="OOM when allocating a tensor while "
                                                                       "computing outer:0"):
                s.run(outer, {a: np.ones((HUGE, 1), np.float32), b: np.ones((1, HUGE), np.float32)})


def test_square_matrix_ops_of_a_non_square_matrix() -> None:
    with gf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3") as e:
            gf.linalg.cholesky(gf.zeros([2, 3]))  # marker: cholesky-static
        assert _line_of("marker: cholesky-static") in str(e.value)
        with pytest.raises(ValueError, match="Shape must be at least rank 2 but is rank 1"):
            gf.linalg.cholesky(gf.zeros([3]))
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
            gf.linalg.solve(gf.zeros([2, 2]), gf.zeros([3, 1]))
        p = gf.placeholder(gf.float32, [None, None])
        q = gf.placeholder(gf.float32, [None, None])
        chol = gf.linalg.cholesky(p, name="chol")  # marker: cholesky-fed
        with gf.Session() as s:
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"Input matrix must be square.*\[2,3\]") as r:
                s.run(chol, {p: np.ones((2, 3), np.float32)})
            assert "'chol' (Cholesky)" in str(r.value) and _line_of("marker: cholesky-fed") in str(r.value)
            for fn in (gf.linalg.inv, gf.linalg.det):
                with pytest.raises(gf.errors.InvalidArgumentError, match="Input matrix must be square"):
                    s.run(fn(p), {p: np.ones((2, 3), np.float32)})
            with pytest.raises(gf.errors.InvalidArgumentError, match=r"incompatible.*\[2,2\].*\[3,1\]"):
                s.run(gf.linalg.solve(p, q), {p: np.eye(2, dtype=np.float32), q: np.ones((3, 1), np.float32)})
            np.testing.assert_allclose(s.run(chol, {p: [[4.0, 2.0], [2.0, 5.0]]}), [[2.0, 0.0], [1.0, 2.0]])


@pytest.mark.parametrize("shape,dtype", [((), "float32"), ((2,), "float32"), ((2, 3), "float64"), ((3, 2), "int64")])
def test_reductions_of_a_placeholder_with_default_of_unknown_shape(shape: tuple[int, ...], dtype: str) -> None:
    value = (np.arange(int(np.prod(shape))) + 3).reshape(shape).astype(dtype)
    with gf.Graph().as_default():
        p = gf.placeholder_with_default(value, shape=None)
        assert p.shape.rank is None
        fetches = [gf.reduce_sum(p), gf.reduce_sum(p * 2), gf.reduce_mean(p + 1, keepdims=True), gf.reduce_max(-p)]
        # an integer mean truncates, as in TF1
        want = [value.sum(), (value * 2).sum(), (value + 1).mean(keepdims=True).astype(dtype), (-value).max()]
        if value.ndim:
            fetches.append(gf.reduce_sum(p * p, axis=-1))
            want.append((value * value).sum(axis=-1))
        with gf.Session() as s:
            for got, expected in zip(s.run(fetches), want):
                np.testing.assert_allclose(got, expected)
            fed = np.ones((2, 2, 2), value.dtype)
            assert s.run(fetches[1], {p: fed}) == 16
        if value.ndim == 0:
            with gf.Session() as s:
                with pytest.raises(gf.errors.InvalidArgumentError, match="Invalid reduction dimension 0 for input "
                                                                         "with 0 dimensions"):
                    s.run(gf.reduce_sum(p, axis=0))


def test_merge_of_tensors_that_are_not_summaries() -> None:
    with gf.Graph().as_default():
        with pytest.raises(TypeError, match=r"types \[float32, float32\] that do not match expected type string") as e:
            gf.summary.merge([gf.constant(1.0), gf.constant([2.0, 3.0])])  # marker: merge-floats
        assert _line_of("marker: merge-floats") in str(e.value)


def test_merge_of_unparsable_strings_is_invalid_argument() -> None:
    need("tensorboard")  # the summary protobufs
    with gf.Graph().as_default():
        text = gf.placeholder(gf.string, None)
        merged = gf.summary.merge([text], name="merged")
        with gf.Session() as s:
            with pytest.raises(gf.errors.InvalidArgumentError, match="Could not parse one of the summary inputs"):
                s.run(merged, {text: b"\xff\xff not a Summary"})


# ---- the same failures in tf.compat.v1 -------------------------------------------------------------

def _fill_oom(m: Any) -> None:
    dims = m.placeholder(m.int32, [2])
    with m.Session() as s:
        s.run(m.fill(dims, 1.0), {dims: [HUGE, HUGE]})


def _tile_oom(m: Any) -> None:
    x = m.placeholder(m.float32, [None])
    with m.Session() as s:
        s.run(m.tile(x, [2**46]), {x: np.ones(8, np.float32)})


def _fill_negative(m: Any) -> None:
    dims = m.placeholder(m.int32, [2])
    with m.Session() as s:
        s.run(m.fill(dims, 1.0), {dims: [-1, 3]})


def _cholesky_static(m: Any) -> None:
    m.linalg.cholesky(m.zeros([2, 3]))


def _cholesky_fed(m: Any) -> None:
    p = m.placeholder(m.float32, [None, None])
    with m.Session() as s:
        s.run(m.linalg.cholesky(p), {p: np.ones((2, 3), np.float32)})


def _solve_fed(m: Any) -> None:
    p = m.placeholder(m.float32, [None, None])
    q = m.placeholder(m.float32, [None, None])
    with m.Session() as s:
        s.run(m.linalg.solve(p, q), {p: np.eye(2, dtype=np.float32), q: np.ones((3, 1), np.float32)})


def _scalar_default_axis_0(m: Any) -> None:
    p = m.placeholder_with_default(1.0, shape=None)
    with m.Session() as s:
        s.run(m.reduce_sum(p, axis=0))


def _merge_floats(m: Any) -> None:
    m.summary.merge([m.constant(1.0), m.constant([2.0, 3.0])])


TF1_FAILURES: dict[str, Callable[[Any], None]] = {
    "fill_oom": _fill_oom, "tile_oom": _tile_oom, "fill_negative": _fill_negative,
    "cholesky_static": _cholesky_static, "cholesky_fed": _cholesky_fed, "solve_fed": _solve_fed,
    "scalar_default_axis_0": _scalar_default_axis_0, "merge_floats": _merge_floats}


def _raised(case: Callable[[Any], None], m: Any) -> str:
    with m.Graph().as_default():
        try:
            case(m)
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            return type(e).__name__
    return "nothing"


@pytest.mark.needs("tensorflow")
@pytest.mark.parametrize("name", sorted(TF1_FAILURES))
def test_the_error_classes_match_tf1(name: str) -> None:
    tf = need("tensorflow")
    ours, theirs = _raised(TF1_FAILURES[name], gf), _raised(TF1_FAILURES[name], tf)
    assert ours == theirs, (name, ours, theirs)
    assert ours != "nothing"


@pytest.mark.needs("tensorflow")
def test_reduce_sum_of_a_placeholder_with_default_of_unknown_shape_matches_tf1() -> None:
    tf = need("tensorflow")
    default = np.arange(6.0, dtype=np.float32).reshape(2, 3)

    def run(m: Any) -> list[Any]:
        with m.Graph().as_default():
            p = m.placeholder_with_default(default, shape=None)
            with m.Session() as s:
                return s.run([m.reduce_sum(p), m.reduce_sum(p * 2.0, axis=1), m.reduce_sum(p, axis=-1)])
    for ours, theirs in zip(run(gf), run(tf)):
        np.testing.assert_allclose(ours, theirs)
