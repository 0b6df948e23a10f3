"""Dense linear algebra on batches of square matrices: inverse, determinant, Cholesky factor and
solve (primitives whose CPU kernels call numba's LAPACK-backed np.linalg per matrix), with TF1's
gradients; matrix_band_part and norm as composites.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import AxisLike, TensorLike
from graphflow.ops._build import as_tensors, make, require
from graphflow.ops.elementwise_ops import abs as _abs
from graphflow.ops.elementwise_ops import logical_and, sqrt, where
from graphflow.ops.elementwise_ops import pow as _pow
from graphflow.ops.linalg_ops import matmul, matrix_transpose
from graphflow.ops.reductions import reduce_max, reduce_sum
from graphflow.ops.shape_ops import expand_dims, shape
from graphflow.ops.state_ops import range as _range
from graphflow.ops.state_ops import zeros_like

F = require("f")


def _square(s: TensorShape, what: str) -> None:
    if s.rank is not None:
        if s.rank < 2:
            raise ValueError(f"Shape must be at least rank 2 but is rank {s.rank}: {what} takes a batch of "
                             f"square matrices, given shape {s}")
        a, b = s.dims[-2], s.dims[-1]  # type: ignore[index]
        if a is not None and b is not None and a != b:
            raise ValueError(f"Dimensions must be equal, but are {a} and {b}: {what} takes square matrices, "
                             f"given shape {s}")


def _unary_square(what: str, drop: bool) -> Callable[[Sequence[TensorShape], object], list[TensorShape]]:
    def rule(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
        s = shapes[0]
        _square(s, what)
        if s.rank is None:
            return [TensorShape(None)]
        return [TensorShape(s.dims[:-2])] if drop else [s]  # type: ignore[index]
    return rule


@dataclass(frozen=True)
class SolveAttrs:
    adjoint: bool = False


def _solve_shape(shapes: Sequence[TensorShape], at: SolveAttrs) -> list[TensorShape]:
    a, b = shapes
    _square(a, "matrix_solve")
    if a.rank is not None and b.rank is not None:
        if a.rank != b.rank:
            raise ValueError(f"matrix_solve: matrix {a} and right-hand side {b} must have the same rank")
        if a.dims[-1] is not None and b.dims[-2] is not None and a.dims[-1] != b.dims[-2]:  # type: ignore[index]
            raise ValueError(f"Dimensions must be equal, but are {a.dims[-1]} and {b.dims[-2]}: matrix_solve's "  # type: ignore[index]
                             f"right-hand side {b} must have {a.dims[-1]} rows")  # type: ignore[index]
    return [b]


def _solve_ref(at: SolveAttrs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    m = np.swapaxes(a, -1, -2) if at.adjoint else a
    return np.linalg.solve(m, b)


def _inv_vjp(n: Operation, g: Tensor) -> list:
    y = n.outputs[0]
    return [-matmul(matmul(y, g, transpose_a=True), y, transpose_b=True)]


def _det_vjp(n: Operation, g: Tensor) -> list:
    a, d = n.inputs[0], n.outputs[0]
    scale = expand_dims(expand_dims(g * d, -1), -1)
    return [scale * _t(matrix_inverse(a))]


def _t(x: Tensor) -> Tensor:
    return matrix_transpose(x)


def _solve_vjp(n: Operation, g: Tensor) -> list:
    a, _ = n.inputs
    x = n.outputs[0]
    db = make(Op.MATRIX_SOLVE, [a, g], SolveAttrs(not n.attrs.adjoint))
    da = -matmul(x, db, transpose_b=True) if n.attrs.adjoint else -matmul(db, x, transpose_b=True)
    return [da, db]


def _chol_vjp(n: Operation, g: Tensor) -> list:
    # TF1's rule: S = L^-T phi(L^T g) L^-1 with phi the lower triangle, diagonal halved; dA = (S + S^T) / 2
    lo = n.outputs[0]
    inv = matrix_inverse(lo)
    middle = matmul(lo, g, transpose_a=True)
    middle = matrix_band_part(middle, -1, 0) - 0.5 * matrix_band_part(middle, 0, 0)
    s = matmul(matmul(inv, middle, transpose_a=True), inv)
    return [0.5 * (s + _t(s))]


# the node's error when LAPACK fails, on every target
FAILURE = {Op.MATRIX_INVERSE: "Input is not invertible.",
           Op.MATRIX_DETERMINANT: "the determinant could not be computed",
           Op.CHOLESKY: "Cholesky decomposition was not successful. The input might not be valid "
                        "(it must be symmetric positive definite)",
           Op.MATRIX_SOLVE: "Input matrix is not invertible."}

def _lapack(op: Op, fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """The numpy reference, failing with the message the compiled kernel gives."""
    def ref(at: object, *args: np.ndarray) -> np.ndarray:
        try:
            return fn(at, *args)
        except np.linalg.LinAlgError:
            raise ValueError(FAILURE[op]) from None
    return ref


register(OpDef(Op.MATRIX_INVERSE, Kind.OTHER, _unary_square("matrix_inverse", False), F,
               _lapack(Op.MATRIX_INVERSE, lambda at, a: np.linalg.inv(a)), vjp=_inv_vjp, graphdef="MatrixInverse"))
register(OpDef(Op.MATRIX_DETERMINANT, Kind.OTHER, _unary_square("matrix_determinant", True), F,
               _lapack(Op.MATRIX_DETERMINANT, lambda at, a: np.linalg.det(a)), vjp=_det_vjp,
               graphdef="MatrixDeterminant", onnx="Det"))
register(OpDef(Op.CHOLESKY, Kind.OTHER, _unary_square("cholesky", False), F,
               _lapack(Op.CHOLESKY, lambda at, a: np.linalg.cholesky(a)), vjp=_chol_vjp, graphdef="Cholesky"))
register(OpDef(Op.MATRIX_SOLVE, Kind.OTHER, _solve_shape, F, _lapack(Op.MATRIX_SOLVE, _solve_ref),
               vjp=_solve_vjp, graphdef="MatrixSolve"))


# ---- public functions ------------------------------------------------------------------------

def matrix_inverse(input: TensorLike, adjoint: bool = False, name: str | None = None) -> Tensor:  # noqa: A002
    """Inverse of each square matrix of the last two dims; a singular one fails the run."""
    x = convert_to_tensor(input)
    y = make(Op.MATRIX_INVERSE, [x], name=name or "MatrixInverse")
    return _t(y) if adjoint else y


def matrix_determinant(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    return make(Op.MATRIX_DETERMINANT, [convert_to_tensor(input)], name=name or "MatrixDeterminant")


def cholesky(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """The lower-triangular L with L L^T = input (symmetric positive definite; else the run fails)."""
    return make(Op.CHOLESKY, [convert_to_tensor(input)], name=name or "Cholesky")


def matrix_solve(matrix: TensorLike, rhs: TensorLike, adjoint: bool = False, name: str | None = None) -> Tensor:
    """X with matrix X = rhs (matrix^T X = rhs when ``adjoint``), for each matrix of the batch."""
    a, b = as_tensors(matrix, rhs)
    return make(Op.MATRIX_SOLVE, [a, b], SolveAttrs(bool(adjoint)), name=name or "MatrixSolve")


def matrix_band_part(input: TensorLike, num_lower: int, num_upper: int,  # noqa: A002
                     name: str | None = None) -> Tensor:
    """Keep entries with ``i - j <= num_lower`` and ``j - i <= num_upper`` (negative: all), zero the rest."""
    x = convert_to_tensor(input)
    rows = _range(shape(x)[-2])
    cols = _range(shape(x)[-1])
    diff = expand_dims(rows, -1) - expand_dims(cols, 0)  # i - j
    keep = logical_and(diff <= (int(num_lower) if num_lower >= 0 else 2**30),
                       -diff <= (int(num_upper) if num_upper >= 0 else 2**30))
    return where(keep, x, zeros_like(x), name=name or "MatrixBandPart")


def norm(tensor: TensorLike, ord: str | float = "euclidean", axis: AxisLike = None,  # noqa: A002
         keepdims: bool | None = None, name: str | None = None, keep_dims: bool | None = None) -> Tensor:
    """Vector norms (``ord`` "euclidean"/2, 1, np.inf or a positive p) over ``axis`` (all by
    default), and the Frobenius norm over a pair of axes."""
    x = convert_to_tensor(tensor)
    keep = bool(keepdims if keepdims is not None else keep_dims)
    if isinstance(axis, (list, tuple)) and len(axis) == 2 and ord not in ("fro", "euclidean"):
        raise ValueError(f"norm over two axes supports ord 'fro' or 'euclidean', got {ord!r}")
    if ord in ("euclidean", "fro", 2, 2.0):
        return sqrt(reduce_sum(x * x, axis=axis, keepdims=keep), name=name)
    if ord in (1, 1.0):
        return reduce_sum(_abs(x), axis=axis, keepdims=keep, name=name)
    if ord == np.inf:
        return reduce_max(_abs(x), axis=axis, keepdims=keep, name=name)
    if isinstance(ord, (int, float)) and ord > 0:
        p = float(ord)
        return _pow(reduce_sum(_pow(_abs(x), p), axis=axis, keepdims=keep), 1.0 / p, name=name)
    raise ValueError(f"norm: ord must be 'euclidean', 'fro', 1, 2, np.inf or a positive number, got {ord!r}")

