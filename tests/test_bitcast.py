"""tf.bitcast: the bytes read as another dtype, against numpy's ``view`` on every target (float16,
carried as float32 in compiled CPU code, through its bits), TF1's shape rule, errors, no gradient,
graph files, and against tf.compat.v1 when TensorFlow is installed."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, run
from tests.optional import tf1

RS = np.random.RandomState(3)
HALVES = np.array([1.5, -2.0, 65504.0, 6e-8, 0.0, -0.0, np.inf, 0.1], np.float16)

# name -> (input, target dtype)
CASES: dict[str, tuple[np.ndarray, Any]] = {
    "float32_to_int32": (RS.randn(3, 4).astype(np.float32), gf.int32),
    "int32_to_int64_drops_last": (RS.randint(-9, 9, (3, 2)).astype(np.int32), gf.int64),
    "float64_to_uint8_adds_last": (RS.randn(2, 3), gf.uint8),
    "uint8_to_float32": (RS.randint(0, 255, (5, 4)).astype(np.uint8), gf.float32),
    "int8_to_uint8": (RS.randint(-128, 127, (6,)).astype(np.int8), gf.uint8),
    "scalar_int32_to_float32": (np.array(1065353216, np.int32), gf.float32),
    "scalar_float64_to_int32": (np.array(1.5), gf.int32),
    "vector_to_scalar": (np.array([0, 0, 0, 64], np.uint8), gf.float32),
    "float16_to_int16": (HALVES, gf.int16),
    "float16_to_uint8": (HALVES, gf.uint8),
    "int16_to_float16": (HALVES.view(np.int16).reshape(2, 4), gf.float16),
    "uint8_to_float16": (HALVES.view(np.uint8).reshape(8, 2), gf.float16),
    "float16_to_float16": (HALVES, gf.float16),
    "int64_to_float64": (RS.randint(0, 2**40, (2, 2)).astype(np.int64), gf.float64),
    "empty": (np.zeros((0, 4), np.uint8), gf.int32),
}


def _view(x: np.ndarray, d: Any, dims: list) -> np.ndarray:
    return np.ascontiguousarray(x).reshape(-1).view(d.np).reshape(dims)


def _bytes(x: np.ndarray) -> bytes:
    return np.ascontiguousarray(x).tobytes()


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_bitcast_matches_numpys_view(name: str, device: str) -> None:
    xv, d = CASES[name]
    with gf.Graph().as_default():
        for shape in (list(xv.shape), [None] * xv.ndim):  # static and run-time dims
            x = gf.placeholder(gf.as_dtype(xv.dtype), shape)
            y = gf.bitcast(x, d)
            got = run(y, {x: xv}, device)
            want = _view(xv, d, list(got.shape))
            assert got.dtype == d.np and got.shape == want.shape and _bytes(got) == _bytes(want), (got, want)
            if shape[-1:] != [None]:
                assert y.shape.as_list() == list(want.shape)


def test_static_shapes_follow_tf1() -> None:
    with gf.Graph().as_default():
        assert gf.bitcast(gf.placeholder(gf.float64, [None, 2]), gf.int32).shape.as_list() == [None, 2, 2]
        assert gf.bitcast(gf.placeholder(gf.uint8, [None, None]), gf.int32).shape.as_list() == [None]
        assert gf.bitcast(gf.placeholder(gf.uint8), gf.int32).shape.rank is None
        assert gf.bitcast(gf.placeholder(gf.uint8, [3, 4]), gf.int32, name="bc").op.name == "bc"


def test_errors_name_the_expectation() -> None:
    with gf.Graph().as_default():
        with pytest.raises(ValueError, match="Cannot bitcast from uint8 to int16 due to shape.*must be 2.*got 3"):
            gf.bitcast(gf.zeros([3], gf.uint8), gf.int16)
        with pytest.raises(ValueError, match="Cannot bitcast from float32 to float64.*a scalar"):
            gf.bitcast(gf.constant(1.0), gf.float64)
        with pytest.raises(TypeError, match="numeric dtype.*bool"):
            gf.bitcast(gf.constant([True]), gf.uint8)
        with pytest.raises(TypeError, match="type must be a numeric dtype.*bool"):
            gf.bitcast(gf.constant([1], gf.uint8), gf.bool)
        x = gf.placeholder(gf.uint8, [None, None])
        y = gf.bitcast(x, gf.int32)
        for device in TARGETS:
            with pytest.raises(gf.errors.InvalidArgumentError, match="must be 4.*got 3"):
                run(y, {x: np.zeros((3, 3), np.uint8)}, device)


def test_there_is_no_gradient_as_in_tf1() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [3])
        with pytest.raises(LookupError, match="No gradient defined for operation.*Bitcast"):
            gf.gradients(gf.reduce_sum(gf.bitcast(x, gf.float32)), x)
        # through an integer result nothing flows back, in TF1 too
        assert gf.gradients(gf.cast(gf.bitcast(x, gf.int64), gf.float32), x) == [None]


def _graph_def() -> Any:
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.float64, [None, 2], name="x")
        gf.bitcast(x, gf.int32, name="bits")
        return g.as_graph_def()


def test_graph_files_hold_tfs_bitcast() -> None:
    gd = _graph_def()
    assert [n.op for n in gd.node if n.name == "bits"] == ["Bitcast"]
    xv = RS.randn(3, 2)
    with gf.Graph().as_default():
        (y,) = gf.import_graph_def(gd, return_elements=["bits:0"], name="")
        assert _bytes(run(y, {"x:0": xv})) == _bytes(xv)


@pytest.mark.needs("tensorflow")
def test_tf1_runs_the_bitcast_graphflow_wrote() -> None:
    tf = tf1()
    theirs = tf.GraphDef()
    theirs.ParseFromString(_graph_def().SerializeToString())
    xv = RS.randn(3, 2)
    with tf.Graph().as_default():
        (t,) = tf.import_graph_def(theirs, return_elements=["bits:0"], name="")
        with tf.Session() as s:
            np.testing.assert_array_equal(s.run(t, {"x:0": xv}), xv.view(np.int32).reshape(3, 2, 2))


@pytest.mark.needs("tensorflow")
@pytest.mark.parametrize("name", sorted(k for k in CASES if k != "empty"))
def test_values_and_shapes_match_tf1(name: str) -> None:
    tf = tf1()
    xv, d = CASES[name]

    def evaluate(m: Any) -> tuple:
        with m.Graph().as_default():
            y = m.bitcast(m.constant(xv), getattr(m, d.name))
            with m.Session() as s:
                return s.run(y), y.shape.as_list()
    (ours, our_shape), (theirs, their_shape) = evaluate(gf), evaluate(tf)
    assert our_shape == their_shape and ours.dtype == theirs.dtype and _bytes(ours) == _bytes(theirs)


@pytest.mark.parametrize("device", TARGETS)
def test_float16_bits_round_as_numpy_and_survive_a_round_trip(device: str) -> None:
    """Compiled CPU code carries float16 as float32: bitcast reads a cast's value rounded to float16
    (to nearest, ties to even) as numpy's astype does, and every 16-bit pattern comes back whole."""
    rs = np.random.RandomState(0)
    wide = np.concatenate([(rs.randn(4000) * 10.0 ** rs.randint(-9, 6, 4000)).astype(np.float32),
                           np.array([65504, 65519, 65520, 1e6, 2.98e-8, 6e-8, -0.0, np.inf, -np.inf], np.float32)])
    patterns = np.arange(-32768, 32768).astype(np.int16)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None])
        bits = gf.placeholder(gf.int16, [None])
        got = run([gf.bitcast(gf.cast(x, gf.float16), gf.int16), gf.bitcast(gf.bitcast(bits, gf.float16), gf.int16)],
                  {x: wide, bits: patterns}, device)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(got[0], wide.astype(np.float16).view(np.int16))
    np.testing.assert_array_equal(got[1], patterns)
