"""Matrix decompositions on batches of matrices: singular values (SVD), QR and the symmetric
eigendecomposition, each one primitive whose CPU kernel calls LAPACK through numba's
np.linalg per matrix, with TF1's gradients (built from matmuls and triangular solves).

The gradients follow TF1's limits: SVD's for ``full_matrices=False`` (or square inputs), QR's for
M >= N with ``full_matrices=False`` (or square), eigh's reading the lower triangle only, as the
forward op does.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make_node, require
from graphflow.ops.array_extras import matrix_diag, matrix_triangular_solve
from graphflow.ops.elementwise_ops import reciprocal
from graphflow.ops.linalg_ops import matmul, matrix_transpose
from graphflow.ops.shape_ops import expand_dims
from graphflow.ops.solve_ops import matrix_band_part
from graphflow.ops.state_ops import ones_like

F = require("f")

# TF1's result types: fields by name, and unpacking as tuples
Qr = namedtuple("Qr", ["q", "r"])
SelfAdjointEigV2 = namedtuple("SelfAdjointEigV2", ["e", "v"])

# the node's error when LAPACK fails, on every target (SVD and QR give NaNs for non-finite input, as
# TF1's kernels do; the eigensolver fails as TF1's does)
FAILURE = {Op.SELF_ADJOINT_EIG: "Self-adjoint eigen decomposition was not successful. The input might "
                                "not be valid (its lower triangle must have finite entries)."}

def matrix_dims(s: TensorShape, what: str) -> tuple[list, int | None, int | None]:
    """(batch dims, rows, columns) of a [..., M, N] shape, or ([], None, None) for unknown rank."""
    if s.rank is None:
        return [], None, None
    if s.rank < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {s.rank}: {what} takes a batch of "
                         f"matrices [..., M, N], given shape {s}")
    dims = list(s.dims)  # type: ignore[arg-type]
    return dims[:-2], dims[-2], dims[-1]


def square_dims(s: TensorShape, what: str) -> tuple[list, int | None]:
    """(batch dims, size) of a [..., N, N] shape (unknown rank: ([], None))."""
    batch, m, n = matrix_dims(s, what)
    if m is not None and n is not None and m != n:
        raise ValueError(f"Dimensions must be equal, but are {m} and {n}: {what} takes square matrices, "
                         f"given shape {s}")
    return batch, m if m is not None else n


def require_square(a: np.ndarray, what: str) -> None:
    """A reference's check of a fed batch of matrices, with the compiled kernel's message."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"Input matrix must be square: {what} takes square matrices, given shape {a.shape}")


def _known(s: TensorShape, dims: list) -> TensorShape:
    return TensorShape(None) if s.rank is None else TensorShape(dims)


def _loop(fn: object, a: np.ndarray, lead: tuple[int, ...]) -> list[np.ndarray]:
    """Apply ``fn`` (a matrix -> tuple of arrays) to each matrix of ``a`` and stack the parts."""
    flat = a.reshape((-1,) + a.shape[-2:])
    parts = [fn(m) for m in flat]  # type: ignore[operator]
    if not parts:
        empty = fn(np.zeros(a.shape[-2:], a.dtype))  # type: ignore[operator]
        return [np.zeros(lead + p.shape, a.dtype) for p in empty]
    return [np.stack([p[i] for p in parts]).reshape(lead + parts[0][i].shape).astype(a.dtype)
            for i in range(len(parts[0]))]


def _nan_unless_finite(fn: object) -> object:
    """``fn``, giving NaNs for a matrix with a non-finite entry (as the compiled kernel does)."""
    def ref(m: np.ndarray) -> tuple:
        if np.all(np.isfinite(m)):
            return fn(m)  # type: ignore[operator, no-any-return]
        return tuple(np.full_like(p, np.nan) for p in fn(np.zeros_like(m)))  # type: ignore[operator]
    return ref


def lower_symmetric(m: np.ndarray) -> np.ndarray:
    """The symmetric matrix whose lower triangle is ``m``'s (what the eigensolver reads)."""
    low = np.tril(m)
    return low + np.tril(m, -1).T


def _safe_reciprocal_off_diagonal(d: Tensor) -> Tensor:
    """1 / d off the diagonal and 0 on it, with no infinity even transiently (the diagonal of the
    pairwise differences ``d`` is zero)."""
    eye = matrix_diag(ones_like(d[..., 0]))
    return (1.0 - eye) * reciprocal(d + eye)


# ---- SVD ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SvdAttrs:
    full_matrices: bool = False
    compute_uv: bool = True


def _svd_shape(shapes: Sequence[TensorShape], at: SvdAttrs) -> list[TensorShape]:
    s = shapes[0]
    batch, m, n = matrix_dims(s, "svd")
    k = min(m, n) if m is not None and n is not None else None
    out = [_known(s, batch + [k])]
    if at.compute_uv:
        out.append(_known(s, batch + [m, m if at.full_matrices else k]))
        out.append(_known(s, batch + [n, n if at.full_matrices else k]))
    return out


def _svd_dtype(dtypes: Sequence, at: SvdAttrs) -> list:
    d = F(dtypes, at)[0]
    return [d] * (3 if at.compute_uv else 1)


def _svd_one(at: SvdAttrs, m: np.ndarray) -> tuple:
    if not at.compute_uv:
        return (np.linalg.svd(m, compute_uv=False),)
    u, s, vh = np.linalg.svd(m, full_matrices=at.full_matrices)
    return s, u, vh.T


def _svd_ref(at: SvdAttrs, a: np.ndarray) -> tuple:
    return tuple(_loop(_nan_unless_finite(lambda m: _svd_one(at, m)), a, a.shape[:-2]))


def _svd_vjp(n: Operation, grads: Tensor | list[Tensor]) -> list:
    """Townsend's rule (TF1's): with F_ij = 1 / (s_j^2 - s_i^2),
    dA = U [diag(gs) + (F o (U^T gU - gU^T U)) S + S (F o (V^T gV - gV^T V))] V^T
         + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T)."""
    a = n.inputs[0]
    at = n.attrs
    _, m, cols = matrix_dims(a.shape, "svd")
    if at.full_matrices and (m is None or cols is None or m != cols):
        raise NotImplementedError(
            f"the gradient of svd with full_matrices=True is defined only for square matrices, given "
            f"shape {a.shape} ({n.describe()}); use full_matrices=False")
    if not at.compute_uv:
        gs = grads if isinstance(grads, Tensor) else grads[0]
        _, u, v = svd(a, full_matrices=False, compute_uv=True)
        return [matmul(u * expand_dims(gs, -2), v, transpose_b=True)]
    gs, gu, gv = grads  # type: ignore[misc]
    s, u, v = n.outputs
    s2 = s * s
    f = _safe_reciprocal_off_diagonal(expand_dims(s2, -2) - expand_dims(s2, -1))
    utgu = matmul(u, gu, transpose_a=True)
    vtgv = matmul(v, gv, transpose_a=True)
    s_row = expand_dims(s, -2)  # X S scales X's columns, S X its rows
    s_col = expand_dims(s, -1)
    inner = (matrix_diag(gs) + (f * (utgu - matrix_transpose(utgu))) * s_row
             + s_col * (f * (vtgv - matrix_transpose(vtgv))))
    grad = matmul(matmul(u, inner), v, transpose_b=True)
    if m is None or cols is None or m != cols:
        inv_s = reciprocal(s)
        # (I - U U^T) gU S^-1 V^T, and U S^-1 gV^T (I - V V^T)
        left = (gu - matmul(u, utgu)) * expand_dims(inv_s, -2)
        right = expand_dims(inv_s, -1) * (matrix_transpose(gv) - matmul(vtgv, v, transpose_a=True, transpose_b=True))
        grad = grad + matmul(left, v, transpose_b=True) + matmul(u, right)
    return [grad]


register(OpDef(Op.SVD, Kind.OTHER, _svd_shape, _svd_dtype, _svd_ref, vjp=_svd_vjp, num_outputs=3))


def svd(tensor: TensorLike, full_matrices: bool = False, compute_uv: bool = True,
        name: str | None = None) -> Tensor | tuple[Tensor, Tensor, Tensor]:
    """Singular values of each matrix of ``tensor`` [..., M, N] (descending), and with ``compute_uv``
    the tuple (s, u, v) with tensor = u diag(s) v^T (TF1's order: v, not v^T).

    >>> import graphflow as gf
    >>> s, u, v = gf.svd(gf.ones((4, 3)))
    >>> s.shape.as_list(), u.shape.as_list(), v.shape.as_list()
    ([3], [4, 3], [3, 3])
    """
    node = make_node(Op.SVD, [convert_to_tensor(tensor)], SvdAttrs(bool(full_matrices), bool(compute_uv)),
                     name=name or "Svd")
    if not compute_uv:
        return node.outputs[0]
    return node.outputs[0], node.outputs[1], node.outputs[2]


# ---- QR ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QrAttrs:
    full_matrices: bool = False


def _qr_shape(shapes: Sequence[TensorShape], at: QrAttrs) -> list[TensorShape]:
    s = shapes[0]
    batch, m, n = matrix_dims(s, "qr")
    k = min(m, n) if m is not None and n is not None else None
    cols = m if at.full_matrices else k
    return [_known(s, batch + [m, cols]), _known(s, batch + [cols, n])]


def _qr_ref(at: QrAttrs, a: np.ndarray) -> tuple:
    mode = "complete" if at.full_matrices else "reduced"
    return tuple(_loop(_nan_unless_finite(lambda m: np.linalg.qr(m, mode=mode)), a, a.shape[:-2]))


def _r_inverse_t(x: Tensor, r: Tensor) -> Tensor:
    """x R^-T for upper-triangular R (a triangular solve of R y^T = x^T)."""
    return matrix_transpose(matrix_triangular_solve(r, matrix_transpose(x), lower=False))


def _qr_vjp(n: Operation, grads: list[Tensor]) -> list:
    """TF1's rule for M >= N: with L the lower triangle of (Q^T gQ + R gR^T) minus its transpose,
    dA = Q (gR + L R^-T) + (gQ - Q Q^T gQ) R^-T."""
    a = n.inputs[0]
    _, m, cols = matrix_dims(a.shape, "qr")
    if m is None or cols is None or m < cols or (n.attrs.full_matrices and m != cols):
        raise NotImplementedError(
            f"the gradient of qr is defined for matrices with at least as many rows as columns (known "
            f"when the graph is built) and full_matrices=False, given shape {a.shape} and full_matrices="
            f"{n.attrs.full_matrices} ({n.describe()})")
    gq, gr = grads
    q, r = n.outputs
    qdq = matmul(q, gq, transpose_a=True)
    rdr = matmul(r, gr, transpose_b=True)
    tril = matrix_band_part(qdq - matrix_transpose(qdq) + rdr - matrix_transpose(rdr), -1, 0)
    grad_a = matmul(q, gr + _r_inverse_t(tril, r))
    grad_b = _r_inverse_t(gq - matmul(q, qdq), r)
    return [grad_a + grad_b]


register(OpDef(Op.QR, Kind.OTHER, _qr_shape, lambda d, at: F(d, at) * 2, _qr_ref, vjp=_qr_vjp, num_outputs=2))


def qr(input: TensorLike, full_matrices: bool = False, name: str | None = None) -> Qr:  # noqa: A002
    """(q, r) with input = q r, q orthonormal columns, r upper-triangular, for each matrix of the batch.

    >>> import graphflow as gf
    >>> q, r = gf.qr(gf.ones((4, 3)))
    >>> q.shape.as_list(), r.shape.as_list()
    ([4, 3], [3, 3])
    """
    node = make_node(Op.QR, [convert_to_tensor(input)], QrAttrs(bool(full_matrices)), name=name or "Qr")
    return Qr(node.outputs[0], node.outputs[1])


# ---- symmetric eigendecomposition ---------------------------------------------------------------

@dataclass(frozen=True)
class EigAttrs:
    compute_v: bool = True


def _eig_shape(shapes: Sequence[TensorShape], at: EigAttrs) -> list[TensorShape]:
    s = shapes[0]
    batch, k = square_dims(s, "self_adjoint_eig")
    return [_known(s, batch + [k])] + ([_known(s, batch + [k, k])] if at.compute_v else [])


def _eig_ref(at: EigAttrs, a: np.ndarray) -> tuple:
    require_square(a, "self_adjoint_eig")
    def one(m: np.ndarray) -> tuple:
        sym = lower_symmetric(m)
        if not np.all(np.isfinite(sym)):
            raise ValueError(FAILURE[Op.SELF_ADJOINT_EIG])
        return tuple(np.linalg.eigh(sym)) if at.compute_v else (np.linalg.eigvalsh(sym),)
    return tuple(_loop(one, a, a.shape[:-2]))


def _eig_vjp(n: Operation, grads: Tensor | list[Tensor]) -> list:
    """dA = V (diag(ge) + F o (V^T gV)) V^T with F_ij = 1 / (e_j - e_i), then folded onto the lower
    triangle the op reads (TF1's rule)."""
    if n.attrs.compute_v:
        ge, gv = grads  # type: ignore[misc]
        e, v = n.outputs
        f = _safe_reciprocal_off_diagonal(expand_dims(e, -2) - expand_dims(e, -1))
        inner = matrix_diag(ge) + f * matmul(v, gv, transpose_a=True)
    else:
        ge = grads if isinstance(grads, Tensor) else grads[0]
        _, v = self_adjoint_eig(n.inputs[0])
        inner = matrix_diag(ge)
    full = matmul(matmul(v, inner), v, transpose_b=True)
    lower = matrix_band_part(full + matrix_transpose(full), -1, 0)
    return [lower * (1.0 - 0.5 * matrix_diag(ones_like(n.outputs[0])))]  # the diagonal counted once


register(OpDef(Op.SELF_ADJOINT_EIG, Kind.OTHER, _eig_shape,
               lambda d, at: F(d, at) * (2 if at.compute_v else 1), _eig_ref, vjp=_eig_vjp, num_outputs=2))


def self_adjoint_eig(tensor: TensorLike, name: str | None = None) -> SelfAdjointEigV2:
    """(e, v): ascending eigenvalues and orthonormal eigenvectors (columns) of each symmetric matrix
    of ``tensor`` [..., N, N]; only the lower triangle is read.

    >>> import graphflow as gf
    >>> e, v = gf.self_adjoint_eig(gf.eye(3))
    >>> e.shape.as_list(), v.shape.as_list()
    ([3], [3, 3])
    """
    node = make_node(Op.SELF_ADJOINT_EIG, [convert_to_tensor(tensor)], EigAttrs(True),
                     name=name or "SelfAdjointEigV2")
    return SelfAdjointEigV2(node.outputs[0], node.outputs[1])


def self_adjoint_eigvals(tensor: TensorLike, name: str | None = None) -> Tensor:
    """The ascending eigenvalues of each symmetric matrix (lower triangle read).

    >>> import graphflow as gf
    >>> gf.self_adjoint_eigvals(gf.eye(3)).shape.as_list()
    [3]
    """
    return make_node(Op.SELF_ADJOINT_EIG, [convert_to_tensor(tensor)], EigAttrs(False),
                     name=name or "SelfAdjointEigV2").outputs[0]

