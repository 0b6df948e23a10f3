"""``tf.bitwise`` on every integer dtype and target against a Python-integer reference (TF's
semantics: shift amounts clamped to ``[0, bits - 1]``, left shifts wrapping, right shifts
arithmetic), TF1's own kernels where TensorFlow is installed, no gradients, and the GraphDef names."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_op, run
from tests.optional import tf1

INTS = ("int8", "int16", "int32", "int64", "uint8")


def _wrap(v: int, dtype: np.dtype) -> int:
    """``v`` reduced to ``dtype``'s two's-complement range."""
    bits = dtype.itemsize * 8
    v &= (1 << bits) - 1
    return v - (1 << bits) if dtype.kind == "i" and v >= 1 << (bits - 1) else v


def _clamp(s: int, dtype: np.dtype) -> int:
    return min(max(s, 0), dtype.itemsize * 8 - 1)


PY: dict[str, Callable[[int, int, np.dtype], int]] = {
    "bitwise_and": lambda a, b, d: a & b,
    "bitwise_or": lambda a, b, d: a | b,
    "bitwise_xor": lambda a, b, d: a ^ b,
    "left_shift": lambda a, b, d: _wrap(a << _clamp(b, d), d),
    "right_shift": lambda a, b, d: a >> _clamp(b, d),  # Python's >> is arithmetic
}


def _operands(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    d = np.dtype(dtype)
    info = np.iinfo(d)
    bits = d.itemsize * 8
    a = [0, 1, 5, 7, 100, info.max, info.min, info.max // 3, info.min + 1, 12]
    shifts = [0, 1, bits - 1, bits, bits + 3, 3, 3, 2, 1, info.max]  # at and past the width
    if d.kind == "i":
        a += [-1, -7, -100]
        shifts += [-1, 2, info.min]
    return np.array(a, d), np.array(shifts, d)


def _expected(name: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.array([PY[name](int(x), int(y), a.dtype) for x, y in zip(a, b)], a.dtype)


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("name", sorted(PY))
def test_binary_ops(name: str, dtype: str, device: str) -> None:
    a, b = _operands(dtype)
    check_op(getattr(gf.bitwise, name), lambda x, y: _expected(name, x, y), [a, b], device=device)


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", INTS)
def test_invert(dtype: str, device: str) -> None:
    a, _ = _operands(dtype)
    want = np.array([_wrap(~int(x), a.dtype) for x in a], a.dtype)
    check_op(gf.bitwise.invert, lambda x: want, [a], device=device)


@pytest.mark.parametrize("device", TARGETS)
def test_broadcasting_and_python_operands(device: str) -> None:
    x = gf.placeholder(gf.int32, [2, 3])
    a = np.array([[1, 2, 3], [-4, 5, -6]], np.int32)
    outs = [gf.bitwise.left_shift(x, [1, 2, 40]), gf.bitwise.right_shift(x, 1), gf.bitwise.bitwise_or(x, 8)]
    got = run(outs, {x: a}, device)
    np.testing.assert_array_equal(got[0], [[2, 8, -2147483648], [-8, 20, 0]])  # 40 shifts by 31
    np.testing.assert_array_equal(got[1], a >> 1)
    np.testing.assert_array_equal(got[2], a | 8)
    assert all(g.dtype == np.int32 for g in got)


def test_dtypes_names_and_no_gradient() -> None:
    with pytest.raises(TypeError, match="integer"):
        gf.bitwise.bitwise_and(gf.constant([1.0]), gf.constant([2.0]))
    with pytest.raises(TypeError):
        gf.bitwise.left_shift(gf.constant([1]), gf.constant([1], gf.int64))
    gf.reset_default_graph()
    x = gf.placeholder(gf.int32, [3])
    ops = [gf.bitwise.bitwise_and(x, x), gf.bitwise.bitwise_or(x, x), gf.bitwise.bitwise_xor(x, x),
           gf.bitwise.invert(x), gf.bitwise.left_shift(x, x), gf.bitwise.right_shift(x, x)]
    assert [t.op.type for t in ops] == ["BitwiseAnd", "BitwiseOr", "BitwiseXor", "Invert", "LeftShift", "RightShift"]
    assert [t.op.name for t in ops] == [t.op.type for t in ops]  # TF1's default names
    assert gf.gradients(gf.cast(ops[4], gf.float32), [x]) == [None]


@pytest.mark.parametrize("dtype", INTS)
def test_matches_tf1(dtype: str) -> None:
    tf = tf1()
    a, b = _operands(dtype)
    results = []
    for lib in (tf, gf):
        with lib.Graph().as_default():
            x = lib.placeholder(dtype, [None])
            y = lib.placeholder(dtype, [None])
            outs = [getattr(lib.bitwise, n)(x, y) for n in sorted(PY)] + [lib.bitwise.invert(x)]
            with lib.Session() as s:
                results.append(s.run(outs, {x: a, y: b}))
    for name, theirs, ours in zip([*sorted(PY), "invert"], *results):
        np.testing.assert_array_equal(ours, theirs, err_msg=name)
        assert ours.dtype == theirs.dtype


@pytest.mark.needs("tensorboard")
def test_graph_def_round_trip() -> None:
    x = gf.placeholder(gf.int64, [None], name="x")
    gf.bitwise.bitwise_xor(gf.bitwise.left_shift(x, 2), gf.bitwise.invert(x), name="out")
    graph_def = gf.get_default_graph().as_graph_def()
    assert {n.op for n in graph_def.node} >= {"LeftShift", "Invert", "BitwiseXor"}
    with gf.Graph().as_default():
        (out,) = gf.import_graph_def(graph_def, return_elements=["out:0"])
        a = np.array([3, -5, 1 << 62], np.int64)
        got = run(out, {"import/x:0": a})
    np.testing.assert_array_equal(got, (a << 2) ^ ~a)
