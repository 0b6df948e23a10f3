"""Shape-like arguments and axes computed at run time (tile multiples, pad paddings, slice and
strided_slice bounds, split sizes and axes, transpose perms, reduction axes, the axis of argmax,
cumsum, gather, concat, expand_dims, reverse and roll): each case against numpy on every target,
its float64 gradient, TF1's own result, the static parts of the result shape, bad values raising
a named error when run, and GraphDef round trips both ways."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient
from tests.optional import need

RS = np.random.RandomState(7)
X = RS.uniform(0.5, 2.0, (4, 3, 2))  # positive: cumprod and logs stay well conditioned
K = 1  # the run-time value every case feeds

Build = Callable[[Any, Any, Any], Any]  # (module, x, k) -> tensor: gf or tf.compat.v1 build it alike

CASES: dict[str, tuple[Build, Callable[[np.ndarray], np.ndarray]]] = {
    "tile": (lambda tf, x, k: tf.tile(x, [tf.shape(x)[0] - 2, k, 1]), lambda x: np.tile(x, [2, 1, 1])),
    "pad_constant": (lambda tf, x, k: tf.pad(x, [[0, k], [k + 1, 0], [0, 0]], constant_values=2.5),
                     lambda x: np.pad(x, [[0, 1], [2, 0], [0, 0]], constant_values=2.5)),
    "pad_reflect": (lambda tf, x, k: tf.pad(x, [[k, 0], [0, 2 * k], [k, k]], mode="REFLECT"),
                    lambda x: np.pad(x, [[1, 0], [0, 2], [1, 1]], mode="reflect")),
    "pad_symmetric": (lambda tf, x, k: tf.pad(x, [[2 * k, k], [0, 3 * k], [k, 0]], mode="SYMMETRIC"),
                      lambda x: np.pad(x, [[2, 1], [0, 3], [1, 0]], mode="symmetric")),
    "slice": (lambda tf, x, k: tf.slice(x, [k, 0, 0], [tf.shape(x)[0] - k, -1, 1]), lambda x: x[1:, :, :1]),
    "slice_size_minus_one": (lambda tf, x, k: tf.slice(x, tf.stack([k, k, 0]), tf.stack([-k, 1, -1])),
                             lambda x: x[1:, 1:2, :]),
    "strided_slice": (lambda tf, x, k: tf.strided_slice(x, [k, 0, 0], [tf.shape(x)[0], 3, 2], [1, 2, 1]),
                      lambda x: x[1:, ::2]),
    "strided_slice_shrink": (lambda tf, x, k: tf.strided_slice(x, [0, k], [0, k + 1], shrink_axis_mask=2,
                                                               begin_mask=1, end_mask=1),
                             lambda x: x[:, 1]),
    "split_sizes": (lambda tf, x, k: tf.split(x, [k, tf.shape(x)[0] - k], 0)[1], lambda x: x[1:]),
    "split_axis": (lambda tf, x, k: tf.split(x, [1, -1], axis=k)[1], lambda x: x[:, 1:]),
    "transpose": (lambda tf, x, k: tf.transpose(x, tf.stack([2, 0, k])), lambda x: x.transpose(2, 0, 1)),
    "reduce_sum": (lambda tf, x, k: tf.reduce_sum(x, axis=k), lambda x: x.sum(1)),
    "reduce_mean_keepdims": (lambda tf, x, k: tf.reduce_mean(x, axis=tf.stack([k, 2]), keepdims=True),
                             lambda x: x.mean((1, 2), keepdims=True)),
    "reduce_max": (lambda tf, x, k: tf.reduce_max(x, axis=-k), lambda x: x.max(2)),
    "reduce_logsumexp": (lambda tf, x, k: tf.reduce_logsumexp(x, axis=k - 1),
                         lambda x: np.log(np.exp(x).sum(0))),
    "argmax": (lambda tf, x, k: tf.argmax(x, axis=k), lambda x: x.argmax(1)),
    "cumsum": (lambda tf, x, k: tf.cumsum(x, axis=k, exclusive=True),
               lambda x: np.concatenate([np.zeros_like(x[:, :1]), x.cumsum(1)[:, :-1]], 1)),
    "cumsum_unknown_length": (lambda tf, x, k: tf.cumsum(x, axis=0, reverse=True) * tf.cast(k, x.dtype),
                              lambda x: np.flip(np.flip(x, 0).cumsum(0), 0)),
    "cumprod": (lambda tf, x, k: tf.cumprod(x, axis=k, reverse=True), lambda x: np.flip(np.flip(x, 1).cumprod(1), 1)),
    "gather": (lambda tf, x, k: tf.gather(x, [[2, 0], [1, 1]], axis=k), lambda x: np.take(x, [[2, 0], [1, 1]], 1)),
    "concat": (lambda tf, x, k: tf.concat([x, 2 * x], axis=k + 1), lambda x: np.concatenate([x, 2 * x], 2)),
    "expand_dims": (lambda tf, x, k: tf.expand_dims(x, -k - 1), lambda x: x[:, :, None]),
    "reverse": (lambda tf, x, k: tf.reverse(x, tf.stack([k, 0])), lambda x: x[::-1, ::-1]),
    "roll": (lambda tf, x, k: tf.roll(x, tf.stack([k, -1]), tf.stack([0, k])), lambda x: np.roll(x, (1, -1), (0, 1))),
    "zeros_and_range": (lambda tf, x, k: x[:, :, :1] + tf.zeros([tf.shape(x)[0], 3, k], x.dtype)
                        + tf.cast(tf.range(k, 4 * k)[None, :, None], x.dtype), lambda x: x[:, :, :1] + [[[1], [2], [3]]]),
}
FLOAT = [name for name in CASES if name != "argmax"]


def _build(name: str, tf: Any) -> tuple[Any, Any, Any]:
    x = tf.placeholder(tf.float64, [None, 3, 2], name="x")
    k = tf.placeholder_with_default(np.int32(K), [], name="k")
    return x, k, tf.identity(CASES[name][0](tf, x, k), name="out")


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("name", list(CASES))
def test_matches_numpy(name: str, device: str) -> None:
    with gf.Graph().as_default():
        x, _, out = _build(name, gf)
        with gf.Session(device=device) as s:
            got = s.run(out, {x: X})
    want = CASES[name][1](X)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("name", FLOAT)
def test_gradient_float64(name: str, device: str) -> None:
    def fn(x: Any) -> Any:  # the result's dims are known only when run: ensure_shape states them
        k = gf.placeholder_with_default(np.int32(K), [])
        return gf.ensure_shape(CASES[name][0](gf, x, k), CASES[name][1](X).shape)
    with gf.Graph().as_default():
        check_gradient(fn, [X], device=device)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_tf1(name: str) -> None:
    tf = need("tensorflow")
    with tf.Graph().as_default():
        x, k, out = _build(name, tf)
        grads = tf.gradients(tf.reduce_sum(out * out), x) if name in FLOAT else []
        with tf.Session() as s:
            want = s.run([out] + grads, {x: X})
    with gf.Graph().as_default():
        x, k, out = _build(name, gf)
        grads = gf.gradients(gf.reduce_sum(out * out), x) if name in FLOAT else []
        with gf.Session() as s:
            got = s.run([out] + grads, {x: X})
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_static_parts_of_the_shape_are_kept() -> None:
    x = gf.placeholder(gf.float32, [None, 3, 2])
    k = gf.placeholder(gf.int32, [])
    assert gf.tile(x, [k, 2, 1]).shape.as_list() == [None, 6, 2]
    assert gf.pad(x, [[k, 0], [1, 1], [0, 0]]).shape.as_list() == [None, 5, 2]
    assert gf.slice(x, [k, 0, 0], [2, -1, 1]).shape.as_list() == [2, 3, 1]
    assert [p.shape.as_list() for p in gf.split(x, [k, 3 - k], 1)] == [[None, None, 2]] * 2
    assert gf.reduce_sum(x, axis=k).shape.as_list() == [None, None]
    assert gf.expand_dims(x, k).shape.rank == 4
    assert gf.reverse(x, [k]).shape.as_list() == [None, 3, 2]
    assert gf.cumsum(x, k).shape.as_list() == [None, 3, 2] == gf.cumprod(x, k).shape.as_list()


@pytest.mark.parametrize("build, match", [
    (lambda x, k: gf.tile(x, [k, 1, 1]), "tile multiples must be non-negative"),
    (lambda x, k: gf.pad(x, [[0, 0], [k, 0], [0, 0]], mode="REFLECT"), "REFLECT paddings of dim 1"),
    (lambda x, k: gf.slice(x, [k, 0, 0], [2, -1, -1]), r"Expected begin\[0\] in \[0, 4\]"),
    (lambda x, k: gf.transpose(x, gf.stack([0, k, 1])), "transpose perm must be a permutation"),
    (lambda x, k: gf.reduce_sum(x, axis=k), r"reduce_sum axis must lie in \[-3, 3\)"),
    (lambda x, k: gf.split(x, [k, 2], 0)[0], "split sizes must be non-negative"),
])
@pytest.mark.parametrize("device", TARGETS)
def test_bad_run_time_values_raise_naming_the_problem(build: Any, match: str, device: str) -> None:
    bad = {"tile": -1, "REFLECT": 3, "Expected": 7, "transpose": 0, "reduce_sum": 3, "split": 3}
    value = next(v for key, v in bad.items() if key in match)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 3, 2])
        k = gf.placeholder(gf.int32, [])
        out = build(x, k)
        with gf.Session(device=device) as s, pytest.raises(gf.errors.InvalidArgumentError, match=match):
            s.run(out, {x: X, k: value})


@pytest.mark.parametrize("name", list(CASES))
def test_graph_def_round_trip(name: str) -> None:
    need("tensorboard")  # graph files use the protobuf messages tensorboard ships
    with gf.Graph().as_default() as g:
        _build(name, gf)
        gd = g.as_graph_def()
    with gf.Graph().as_default():
        x, out = gf.import_graph_def(gd, return_elements=["x:0", "out:0"], name="")
        with gf.Session() as s:
            np.testing.assert_allclose(s.run(out, {x: X}), CASES[name][1](X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_tf1_graph_defs_import_with_run_time_arguments(name: str) -> None:
    tf = need("tensorflow")
    with tf.Graph().as_default() as g:
        _build(name, tf)
        gd = g.as_graph_def().SerializeToString()
    with gf.Graph().as_default():
        x, k, out = gf.import_graph_def(gd, return_elements=["x:0", "k:0", "out:0"], name="")
        with gf.Session() as s:
            np.testing.assert_allclose(s.run(out, {x: X}), CASES[name][1](X), rtol=1e-12, atol=1e-12)
            if name == "tile":  # k stays a run-time input after the import
                np.testing.assert_allclose(s.run(out, {x: X, k: 2}), np.tile(X, [2, 2, 1]))


@pytest.mark.parametrize("name", ["transpose", "reduce_sum", "gather", "cumsum"])
def test_tf1_runs_our_graph_defs(name: str) -> None:
    """Exported run-time axes and perms load and run in TF1 (their checks sort with GatherNd)."""
    tf = need("tensorflow")
    with gf.Graph().as_default() as g:
        _build(name, gf)
        gd = tf.GraphDef()
        gd.ParseFromString(g.as_graph_def().SerializeToString())
    with tf.Graph().as_default():
        x, out = tf.import_graph_def(gd, return_elements=["x:0", "out:0"], name="")
        with tf.Session() as s:
            np.testing.assert_allclose(s.run(out, {x: X}), CASES[name][1](X), rtol=1e-12, atol=1e-12)
