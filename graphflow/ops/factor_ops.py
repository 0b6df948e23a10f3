"""Determinants in log space, the pivoted LU factorisation, the matrix exponential and the matrix
square root: one primitive each on batches of square matrices, with gradients (LU's as TF 2's,
since TF 1.15 had none; expm's and sqrtm's are the Frechet derivative's adjoint, the function of a
block matrix)."""
from __future__ import annotations

import warnings
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops._build import make, make_node, require
from graphflow.ops.array_extras import matrix_diag, matrix_triangular_solve
from graphflow.ops.concat_ops import concat
from graphflow.ops.decomposition_ops import require_square, square_dims
from graphflow.ops.elementwise_ops import cast, equal
from graphflow.ops.linalg_ops import matmul, matrix_transpose
from graphflow.ops.shape_ops import expand_dims, shape
from graphflow.ops.solve_ops import matrix_band_part, matrix_inverse
from graphflow.ops.state_ops import ones_like, zeros_like
from graphflow.ops.state_ops import range as _range

F = require("f")

LogMatrixDeterminant = namedtuple("LogMatrixDeterminant", ["sign", "log_abs_determinant"])
Lu = namedtuple("Lu", ["lu", "p"])

# the node's error when the kernel fails, on every target
FAILURE = {Op.LU: "Input is not invertible."}


def _square_rule(what: str, drop: bool, outputs: int) -> object:
    def rule(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
        s = shapes[0]
        batch, n = square_dims(s, what)
        if s.rank is None:
            return [TensorShape(None)] * outputs
        return [TensorShape(batch if drop else batch + [n, n])] * outputs
    return rule


# ---- sign and log |det| ------------------------------------------------------------------------

def _slogdet_ref(at: object, a: np.ndarray) -> tuple:
    require_square(a, "log_matrix_determinant")
    sign, logdet = np.linalg.slogdet(a)
    bad = ~np.all(np.isfinite(a), axis=(-2, -1))  # NaNs for a non-finite matrix, as the kernel gives
    return np.where(bad, np.nan, sign).astype(a.dtype), np.where(bad, np.nan, logdet).astype(a.dtype)


def _slogdet_vjp(n: Operation, grads: list[Tensor]) -> list:
    """d log|det A| = A^-T (the sign's gradient is zero)."""
    g = grads[1]
    return [expand_dims(expand_dims(g, -1), -1) * matrix_inverse(n.inputs[0], adjoint=True)]


register(OpDef(Op.LOG_MATRIX_DETERMINANT, Kind.OTHER, _square_rule("log_matrix_determinant", True, 2),
               lambda d, at: F(d, at) * 2, _slogdet_ref, vjp=_slogdet_vjp, num_outputs=2))


def log_matrix_determinant(input: TensorLike, name: str | None = None) -> LogMatrixDeterminant:  # noqa: A002
    """(sign, log |det|) of each square matrix: the determinant is sign * exp(log_abs_determinant),
    without overflow (a singular matrix gives sign 0 and -inf).

    >>> import graphflow as gf
    >>> sign, logdet = gf.linalg.slogdet(gf.eye(3))
    >>> sign.shape.as_list()
    []
    """
    node = make_node(Op.LOG_MATRIX_DETERMINANT, [convert_to_tensor(input)], name=name or "LogMatrixDeterminant")
    return LogMatrixDeterminant(node.outputs[0], node.outputs[1])


# ---- LU with partial pivoting ------------------------------------------------------------------

@dataclass(frozen=True)
class LuAttrs:
    output_idx_type: DType


def _lu_dtype(dtypes: Sequence[DType], at: LuAttrs) -> list[DType]:
    if at.output_idx_type not in (_dt.int32, _dt.int64):
        raise TypeError(f"lu output_idx_type must be int32 or int64, got {at.output_idx_type.name}")
    return [F(dtypes, at)[0], at.output_idx_type]


def _lu_shape(shapes: Sequence[TensorShape], at: LuAttrs) -> list[TensorShape]:
    s = shapes[0]
    batch, n = square_dims(s, "lu")
    if s.rank is None:
        return [TensorShape(None), TensorShape(None)]
    return [TensorShape(batch + [n, n]), TensorShape(batch + [n])]


def _lu_one(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():  # a singular matrix is the node's error below, not a warning
        warnings.simplefilter("ignore", sla.LinAlgWarning)
        lu, piv = sla.lu_factor(m, check_finite=False)
    if not np.all(np.isfinite(m)) or np.any(np.diag(lu) == 0):
        raise ValueError(FAILURE[Op.LU])
    perm = np.arange(m.shape[0])
    for i, j in enumerate(piv):  # LAPACK's row swaps, applied in order, as a permutation
        perm[i], perm[j] = perm[j], perm[i]
    return lu, perm


def _lu_ref(at: LuAttrs, a: np.ndarray) -> tuple:
    require_square(a, "lu")
    flat = a.reshape((-1,) + a.shape[-2:])
    parts = [_lu_one(m) for m in flat]
    n = a.shape[-1]
    lu = np.stack([p[0] for p in parts]) if parts else np.zeros((0, n, n))
    perm = np.stack([p[1] for p in parts]) if parts else np.zeros((0, n))
    return lu.reshape(a.shape).astype(a.dtype), perm.reshape(a.shape[:-1]).astype(at.output_idx_type.np)


def permutation_matrix(perm: Tensor, like: Tensor) -> Tensor:
    """P with P[i, j] = 1 where perm[i] = j (so P A is A's rows in ``perm``'s order), in ``like``'s
    dtype and size (which may be dynamic)."""
    cols = cast(_range(shape(like)[-1]), perm.dtype)
    return cast(equal(expand_dims(perm, -1), cols), like.dtype)


def _lu_vjp(n: Operation, grads: list[Tensor]) -> list:
    """With P A = L U: dB = L^-T (lower_strict(L^T gL) + upper(gU U^T)) U^-T, and dA = P^T dB."""
    packed, perm = n.outputs
    g = grads[0]
    eye = matrix_diag(ones_like(packed[..., 0]))
    lower = matrix_band_part(packed, -1, 0) * (1.0 - eye) + eye
    upper = matrix_band_part(packed, 0, -1)
    g_lower = matrix_band_part(g, -1, 0) * (1.0 - eye)
    g_upper = matrix_band_part(g, 0, -1)
    x = (matrix_band_part(matmul(lower, g_lower, transpose_a=True), -1, 0) * (1.0 - eye)
         + matrix_band_part(matmul(g_upper, upper, transpose_b=True), 0, -1))
    y = matrix_triangular_solve(lower, x, lower=True, adjoint=True)
    grad_b = matrix_transpose(matrix_triangular_solve(upper, matrix_transpose(y), lower=False))
    return [matmul(permutation_matrix(perm, packed), grad_b, transpose_a=True)]


register(OpDef(Op.LU, Kind.OTHER, _lu_shape, _lu_dtype, _lu_ref, vjp=_lu_vjp, num_outputs=2))


def lu(input: TensorLike, output_idx_type: DTypeLike = _dt.int32, name: str | None = None) -> Lu:  # noqa: A002
    """(lu, p): the pivoted LU factorisation of each square matrix, packed (the unit lower factor
    below the diagonal, the upper factor on and above it), with ``input[..., p, :] = L U``.

    >>> import graphflow as gf
    >>> lu, p = gf.linalg.lu(gf.eye(3))
    >>> lu.shape.as_list(), p.dtype.name
    ([3, 3], 'int32')
    """
    node = make_node(Op.LU, [convert_to_tensor(input)], LuAttrs(_dt.as_dtype(output_idx_type)), name=name or "Lu")
    return Lu(node.outputs[0], node.outputs[1])


def _block_adjoint(n: Operation, g: Tensor, what: str) -> list:
    """The Frechet derivative's adjoint at A applied to g, for a primary matrix function f with real
    coefficients: the upper-right block of f([[A^T, g], [0, A^T]])."""
    at = matrix_transpose(n.inputs[0])
    block = concat([concat([at, g], -1), concat([zeros_like(at), at], -1)], -2)
    size = square_dims(at.shape, what)[1]
    if size is None:
        raise NotImplementedError(f"the gradient of {what} needs the matrix size known when the graph is built, "
                                  f"given shape {at.shape} ({n.describe()})")
    return [make(n.op, [block])[..., :size, size:]]


# ---- matrix exponential ------------------------------------------------------------------------

def _expm_ref(at: object, a: np.ndarray) -> np.ndarray:
    require_square(a, "expm")
    flat = a.reshape((-1,) + a.shape[-2:]).astype(np.float64)
    out = np.empty_like(flat)
    for i, m in enumerate(flat):
        out[i] = sla.expm(m) if np.all(np.isfinite(m)) else np.nan  # NaNs, as TF1's kernel gives
    return out.reshape(a.shape).astype(a.dtype)


register(OpDef(Op.MATRIX_EXPONENTIAL, Kind.OTHER, _square_rule("expm", False, 1), F, _expm_ref,
               vjp=lambda n, g: _block_adjoint(n, g, "expm")))


def expm(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """The exponential of each square matrix (Pade approximation of degree 13 with scaling and
    squaring, computed in float64).

    >>> import graphflow as gf
    >>> gf.linalg.expm(gf.zeros((2, 2))).shape.as_list()
    [2, 2]
    """
    return make(Op.MATRIX_EXPONENTIAL, [convert_to_tensor(input)], name=name or "MatrixExponential")


# ---- matrix square root ------------------------------------------------------------------------

def _sqrtm_one(m: np.ndarray) -> np.ndarray:
    """The principal square root, or NaNs where there is none (a non-finite entry, or an eigenvalue
    on the closed negative real axis, where TF's kernel gives NaNs too)."""
    if not np.all(np.isfinite(m)):
        return np.full(m.shape, np.nan)
    if m.size == 0:
        return m
    ev = np.linalg.eigvals(m)
    scale = max(float(np.abs(ev).max()), 1e-300)
    if np.any((ev.real <= 0) & (np.abs(ev.imag) <= 1e-12 * scale)):
        return np.full(m.shape, np.nan)
    return np.real(sla.sqrtm(m))


def _sqrtm_ref(at: object, a: np.ndarray) -> np.ndarray:
    require_square(a, "sqrtm")
    flat = a.reshape((-1,) + a.shape[-2:]).astype(np.float64)
    out = np.stack([_sqrtm_one(m) for m in flat]) if len(flat) else flat
    return out.reshape(a.shape).astype(a.dtype)


register(OpDef(Op.MATRIX_SQUARE_ROOT, Kind.OTHER, _square_rule("sqrtm", False, 1), F, _sqrtm_ref,
               vjp=lambda n, g: _block_adjoint(n, g, "sqrtm"), graphdef="MatrixSquareRoot"))


def sqrtm(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """The principal square root of each real square matrix (the one whose eigenvalues have positive
    real parts), by the Denman-Beavers iteration with determinant scaling, in float64; NaNs for a
    matrix without one (an eigenvalue on the closed negative real axis; a singular matrix too, as
    TF gives). Its gradient solves the Sylvester equation X dX + dX X = dA through the square root
    of a block matrix of twice the size.

    >>> import graphflow as gf
    >>> gf.linalg.sqrtm(4.0 * gf.eye(2, dtype=gf.float64)).shape.as_list()
    [2, 2]
    """
    return make(Op.MATRIX_SQUARE_ROOT, [convert_to_tensor(input)], name=name or "MatrixSquareRoot")
