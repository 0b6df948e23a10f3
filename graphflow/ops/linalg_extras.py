"""tf.linalg's composites over the decompositions and solves: Cholesky and LU solves, least
squares, log-determinants, pseudo-inverse, rank, matrix norms, normalisation, the diagonal family
with TF's ``k`` argument, matvec, tensor diagonals and the tridiagonal routines. Their gradients
follow from their parts'."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import AxisLike, TensorLike
from graphflow.ops.array_extras import matrix_diag, matrix_diag_part, matrix_set_diag, matrix_triangular_solve
from graphflow.ops.array_ops import pad
from graphflow.ops.concat_ops import concat, stack
from graphflow.ops.decomposition_ops import self_adjoint_eig, self_adjoint_eigvals, svd
from graphflow.ops.elementwise_ops import abs as _abs
from graphflow.ops.elementwise_ops import add_name, cast, greater, log, where
from graphflow.ops.factor_ops import log_matrix_determinant, permutation_matrix
from graphflow.ops.linalg_ops import matmul, matrix_transpose
from graphflow.ops.reductions import reduce_max, reduce_sum
from graphflow.ops.shape_ops import expand_dims, reshape, squeeze, transpose
from graphflow.ops.solve_ops import cholesky, matrix_band_part, matrix_solve
from graphflow.ops.solve_ops import norm as vector_norm
from graphflow.ops.state_ops import ones_like, zeros_like


def _matrix(x: TensorLike, what: str) -> tuple[Tensor, int, int | None, int | None]:
    """(tensor, rank, rows, columns) of a batch of matrices of known rank."""
    t = convert_to_tensor(x)
    r = t.shape.rank
    if r is None or r < 2:
        raise ValueError(f"{what} needs a batch of matrices [..., M, N] of known rank, given shape {t.shape} "
                         f"({t.name})")
    m, n = t.shape.as_list()[-2:]
    return t, r, m, n


def _eye_like(d: Tensor) -> Tensor:
    """Identity matrices [..., k, k] for a batch of vectors [..., k] (sizes may be dynamic)."""
    return matrix_diag(ones_like(d))


def _diagonal(x: Tensor) -> Tensor:
    """The diagonal [..., N] of square matrices [..., N, N] (N may be dynamic)."""
    return reduce_sum(x * _eye_like(x[..., 0]), axis=-1)


def _only_main_diagonal(k: object, what: str) -> None:
    if not (isinstance(k, (int, np.integer)) and int(k) == 0):
        raise NotImplementedError(f"{what} supports the main diagonal only (k=0), given k={k!r}")


# ---- the diagonal family (TF's tf.linalg names) ---------------------------------------------------

def diag(diagonal: TensorLike, name: str = "diag", k: int = 0, num_rows: int = -1, num_cols: int = -1,
         padding_value: float = 0) -> Tensor:
    """Batched diagonal matrices [..., N, N] from [..., N] (tf.linalg.diag: the main diagonal).

    >>> import graphflow as gf
    >>> gf.linalg.diag(gf.ones((2, 3))).shape.as_list()
    [2, 3, 3]
    """
    _only_main_diagonal(k, "tf.linalg.diag")
    if num_rows not in (-1, None) or num_cols not in (-1, None) or padding_value != 0:
        raise NotImplementedError("tf.linalg.diag supports square results with zero padding only, given "
                                  f"num_rows={num_rows}, num_cols={num_cols}, padding_value={padding_value}")
    return matrix_diag(diagonal, name=name)


def diag_part(input: TensorLike, name: str = "diag_part", k: int = 0,  # noqa: A002
              padding_value: float = 0) -> Tensor:
    """The main diagonals [..., min(M, N)] of [..., M, N]."""
    _only_main_diagonal(k, "tf.linalg.diag_part")
    return matrix_diag_part(input, name=name)


def set_diag(input: TensorLike, diagonal: TensorLike, name: str = "set_diag", k: int = 0) -> Tensor:  # noqa: A002
    """``input`` with its main diagonals replaced by ``diagonal``."""
    _only_main_diagonal(k, "tf.linalg.set_diag")
    return matrix_set_diag(input, diagonal, name=name)


def tensor_diag(diagonal: TensorLike, name: str | None = None) -> Tensor:
    """The tensor of shape ``shape + shape`` with ``diagonal`` (static shape) on its diagonal (tf.diag)."""
    d = convert_to_tensor(diagonal)
    dims = d.shape.as_list() if d.shape.rank is not None else None
    if dims is None or None in dims:
        raise ValueError(f"tensor_diag needs a static shape, given {d.shape} ({d.name})")
    size = int(np.prod(dims, dtype=np.int64))
    return reshape(matrix_diag(reshape(d, [size])), dims + dims, name=name)


def tensor_diag_part(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """The diagonal of a tensor of static shape ``s + s`` (tf.diag_part)."""
    x = convert_to_tensor(input)
    dims = x.shape.as_list() if x.shape.rank is not None else None
    half = len(dims) // 2 if dims else 0
    if not dims or len(dims) % 2 or None in dims or dims[:half] != dims[half:]:
        raise ValueError(f"tensor_diag_part needs a static shape of the form s + s, given {x.shape} ({x.name})")
    size = int(np.prod(dims[:half], dtype=np.int64))
    return reshape(_diagonal(reshape(x, [size, size])), dims[:half], name=name)


# ---- products and small helpers -----------------------------------------------------------------

def adjoint(matrix: TensorLike, name: str | None = None) -> Tensor:
    """The conjugate transpose of the last two dims (the transpose: graphflow's dtypes are real)."""
    return matrix_transpose(matrix, name=name)


def matvec(a: TensorLike, b: TensorLike, transpose_a: bool = False, adjoint_a: bool = False,
           a_is_sparse: bool = False, b_is_sparse: bool = False, name: str | None = None) -> Tensor:
    """``a`` [..., M, N] times the vectors ``b`` [..., N]: [..., M].

    >>> import graphflow as gf
    >>> gf.linalg.matvec(gf.ones((2, 3)), gf.ones((3,))).shape.as_list()
    [2]
    """
    x = convert_to_tensor(a)
    y = convert_to_tensor(b, dtype=x.dtype)
    out = matmul(x, expand_dims(y, -1), transpose_a=bool(transpose_a or adjoint_a))
    return squeeze(out, [-1], name=name)


def trace(x: TensorLike, name: str | None = None) -> Tensor:
    """Sum of the main diagonal of each matrix [..., M, N]."""
    return reduce_sum(matrix_diag_part(x), axis=-1, name=name)


# ---- solves ------------------------------------------------------------------------------------

def cholesky_solve(chol: TensorLike, rhs: TensorLike, name: str | None = None) -> Tensor:
    """X with A X = rhs, given the lower Cholesky factor ``chol`` of A (two triangular solves).

    >>> import graphflow as gf
    >>> gf.cholesky_solve(gf.eye(3), gf.ones((3, 2))).shape.as_list()
    [3, 2]
    """
    low = convert_to_tensor(chol)
    y = matrix_triangular_solve(low, convert_to_tensor(rhs, dtype=low.dtype), lower=True)
    return matrix_triangular_solve(low, y, lower=True, adjoint=True, name=name)


def matrix_solve_ls(matrix: TensorLike, rhs: TensorLike, l2_regularizer: TensorLike = 0.0, fast: bool = True,
                    name: str | None = None) -> Tensor:
    """Least-squares solutions X minimising ||A X - rhs||^2 + l2_regularizer ||X||^2 per matrix.

    ``fast``: the normal equations by Cholesky (A must have full rank, or the regulariser be
    positive); otherwise the minimum-norm solution through the SVD (``l2_regularizer`` ignored,
    as in TF1).

    >>> import graphflow as gf
    >>> gf.matrix_solve_ls(gf.ones((4, 2)) + gf.eye(4, 2), gf.ones((4, 1))).shape.as_list()
    [2, 1]
    """
    a, _, m, n = _matrix(matrix, "matrix_solve_ls")
    b = convert_to_tensor(rhs, dtype=a.dtype)
    if not fast:
        return add_name(matmul(pinv(a), b), name)
    if m is None or n is None:
        raise ValueError(f"matrix_solve_ls with fast=True needs the matrix dims known when the graph is built, "
                         f"given shape {a.shape} ({a.name})")
    lam = convert_to_tensor(l2_regularizer, dtype=a.dtype)
    if m >= n:
        gram = matmul(a, a, transpose_a=True)
        gram = gram + lam * _eye_like(gram[..., 0])
        return cholesky_solve(cholesky(gram), matmul(a, b, transpose_a=True), name=name)
    gram = matmul(a, a, transpose_b=True)
    gram = gram + lam * _eye_like(gram[..., 0])
    return matmul(a, cholesky_solve(cholesky(gram), b), transpose_a=True, name=name)


def lu_solve(lower_upper: TensorLike, perm: TensorLike, rhs: TensorLike, validate_args: bool = False,
             name: str | None = None) -> Tensor:
    """X with A X = rhs from ``lu(A)``'s packed factors and permutation."""
    lu_t = convert_to_tensor(lower_upper)
    p = convert_to_tensor(perm)
    b = convert_to_tensor(rhs, dtype=lu_t.dtype)
    eye = _eye_like(lu_t[..., 0])
    lower = matrix_band_part(lu_t, -1, 0) * (1.0 - eye) + eye
    permuted = matmul(permutation_matrix(p, lu_t), b)  # row i is rhs[perm[i]]
    y = matrix_triangular_solve(lower, permuted, lower=True)
    return matrix_triangular_solve(lu_t, y, lower=False, name=name)


def lu_matrix_inverse(lower_upper: TensorLike, perm: TensorLike, validate_args: bool = False,
                      name: str | None = None) -> Tensor:
    """The inverse of A from ``lu(A)``."""
    lu_t = convert_to_tensor(lower_upper)
    return lu_solve(lu_t, perm, _eye_like(lu_t[..., 0]), name=name)


def lu_reconstruct(lower_upper: TensorLike, perm: TensorLike, validate_args: bool = False,
                   name: str | None = None) -> Tensor:
    """A from ``lu(A)``: P^T L U."""
    lu_t = convert_to_tensor(lower_upper)
    eye = _eye_like(lu_t[..., 0])
    lower = matrix_band_part(lu_t, -1, 0) * (1.0 - eye) + eye
    product = matmul(lower, matrix_band_part(lu_t, 0, -1))
    return matmul(permutation_matrix(convert_to_tensor(perm), lu_t), product, transpose_a=True, name=name)


# ---- determinants, pseudo-inverse, rank ------------------------------------------------------------

def logdet(matrix: TensorLike, name: str | None = None) -> Tensor:
    """log det of each Hermitian positive-definite matrix, from its Cholesky factor."""
    low = cholesky(matrix)
    return 2.0 * reduce_sum(log(_diagonal(low)), axis=-1, name=name)


def slogdet(input: TensorLike, name: str | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """(sign, log |det|) of each square matrix."""
    return log_matrix_determinant(input, name=name)


def _default_rcond(a: Tensor, m: int | None, n: int | None, what: str) -> float:
    if m is None or n is None:
        raise ValueError(f"{what} needs the matrix dims known when the graph is built for its default "
                         f"tolerance, given shape {a.shape} ({a.name}); pass it explicitly")
    return float(max(m, n) * np.finfo(a.dtype.np if a.dtype != _dt.float16 else np.float16).eps)


def pinv(a: TensorLike, rcond: TensorLike | None = None, validate_args: bool = False,
         name: str | None = None) -> Tensor:
    """The Moore-Penrose pseudo-inverse [..., N, M] of [..., M, N], through the SVD: singular
    values at most ``rcond`` times the largest count as zero (default 10 max(M, N) eps).

    >>> import graphflow as gf
    >>> gf.linalg.pinv(gf.ones((4, 3))).shape.as_list()
    [3, 4]
    """
    x, _, m, n = _matrix(a, "pinv")
    if rcond is None:
        rcond = 10.0 * _default_rcond(x, m, n, "pinv")
    s, u, v = svd(x, full_matrices=False, compute_uv=True)
    cutoff = convert_to_tensor(rcond, dtype=x.dtype) * reduce_max(s, axis=-1, keepdims=True)
    keep = greater(s, cutoff)
    inv_s = where(keep, 1.0 / where(keep, s, ones_like(s)), zeros_like(s))
    return matmul(v * expand_dims(inv_s, -2), u, transpose_b=True, name=name)


def matrix_rank(a: TensorLike, tol: TensorLike | None = None, validate_args: bool = False,
                name: str | None = None) -> Tensor:
    """The number of singular values above ``tol`` (default eps max(M, N) times the largest), int32."""
    x, _, m, n = _matrix(a, "matrix_rank")
    s = svd(x, compute_uv=False)
    if tol is None:
        limit = _default_rcond(x, m, n, "matrix_rank") * reduce_max(s, axis=-1, keepdims=True)
    else:
        limit = convert_to_tensor(tol, dtype=x.dtype)
    return reduce_sum(cast(greater(s, limit), _dt.int32), axis=-1, name=name)


# ---- norms -------------------------------------------------------------------------------------

def norm(tensor: TensorLike, ord: str | float = "euclidean", axis: AxisLike = None,  # noqa: A002
         keepdims: bool | None = None, name: str | None = None, keep_dims: bool | None = None) -> Tensor:
    """Vector norms (over ``axis``, all entries by default) and, over a pair of axes, the matrix
    norms 'fro'/'euclidean', 1 (largest column sum), np.inf (largest row sum) and 2 (largest
    singular value).

    >>> import graphflow as gf
    >>> gf.norm(gf.ones((2, 3)), ord=1, axis=[-2, -1]).shape.as_list()
    []
    """
    x = convert_to_tensor(tensor)
    keep = bool(keepdims if keepdims is not None else keep_dims)
    pair = isinstance(axis, (list, tuple)) and len(axis) == 2
    if not pair or ord in ("fro", "euclidean"):
        if ord == "fro" and not pair:
            raise ValueError(f"norm: ord='fro' is a matrix norm; give axis a pair of axes, given axis={axis!r}")
        return vector_norm(x, ord="euclidean" if ord == "fro" else ord, axis=axis, keepdims=keep, name=name)
    r = x.shape.rank
    if r is None:
        raise ValueError(f"matrix norms need a known rank, given shape {x.shape} ({x.name})")
    rows, cols = (int(a) % r for a in axis)  # type: ignore[union-attr]
    if rows == cols:
        raise ValueError(f"norm: the two axes of a matrix norm must differ, given axis={axis!r}")
    if ord in (1, 1.0, np.inf):
        summed, other = (rows, cols) if ord != np.inf else (cols, rows)
        sums = reduce_sum(_abs(x), axis=summed, keepdims=True)
        out = reduce_max(sums, axis=other, keepdims=True)
    elif ord in (2, 2.0):
        rest = [i for i in range(r) if i not in (rows, cols)]
        s = svd(transpose(x, rest + [rows, cols]), compute_uv=False)
        out = reduce_max(s, axis=-1)
        for i in sorted((rows, cols)):
            out = expand_dims(out, i)
    else:
        raise ValueError(f"norm: matrix norms take ord 'fro', 'euclidean', 1, 2 or np.inf, given {ord!r}")
    return add_name(out if keep else squeeze(out, sorted((rows, cols))), name)


def normalize(tensor: TensorLike, ord: str | float = "euclidean", axis: AxisLike = None,  # noqa: A002
              name: str | None = None) -> tuple[Tensor, Tensor]:
    """(tensor / its norm, the norm) with the norm's reduced axes kept."""
    x = convert_to_tensor(tensor)
    n = norm(x, ord=ord, axis=axis, keepdims=True)
    return add_name(x / n, name), n


# ---- tridiagonal matrices ------------------------------------------------------------------------

def tridiagonal_dense(diagonals: TensorLike | Sequence[TensorLike], diagonals_format: str) -> Tensor:
    """The dense [..., M, M] matrix of tridiagonal ``diagonals`` in TF's formats: 'compact'
    ([..., 3, M]: superdiagonal (last entry unused), diagonal, subdiagonal (first unused)),
    'sequence' (those three [..., M] tensors) or 'matrix'."""
    if diagonals_format == "matrix":
        return convert_to_tensor(diagonals)  # type: ignore[arg-type]
    if diagonals_format == "sequence":
        sup, main, sub = (convert_to_tensor(d) for d in diagonals)  # type: ignore[union-attr]
    elif diagonals_format == "compact":
        d = convert_to_tensor(diagonals)  # type: ignore[arg-type]
        if d.shape.rank is None or d.shape.rank < 2 or d.shape.as_list()[-2] not in (3, None):
            raise ValueError(f"tridiagonal 'compact' diagonals must have shape [..., 3, M], given {d.shape}")
        sup, main, sub = d[..., 0, :], d[..., 1, :], d[..., 2, :]
    else:
        raise ValueError(f"diagonals_format must be 'compact', 'sequence' or 'matrix', given {diagonals_format!r}")
    r = main.shape.rank
    if r is None:
        raise ValueError(f"tridiagonal diagonals need a known rank, given shape {main.shape}")
    lead = [[0, 0]] * (r - 1)
    upper = pad(matrix_diag(sup[..., :-1]), lead + [[0, 1], [1, 0]])
    lower = pad(matrix_diag(sub[..., 1:]), lead + [[1, 0], [0, 1]])
    return matrix_diag(main) + upper + lower


def tridiagonal_solve(diagonals: TensorLike | Sequence[TensorLike], rhs: TensorLike,
                      diagonals_format: str = "compact", transpose_rhs: bool = False,
                      conjugate_rhs: bool = False, name: str | None = None, partial_pivoting: bool = True) -> Tensor:
    """X with A X = rhs for tridiagonal A; ``rhs`` [..., M, K] or [..., M] (solved through the
    dense matrix, with partial pivoting).

    >>> import graphflow as gf
    >>> gf.linalg.tridiagonal_solve(gf.ones((3, 4)) + gf.constant([[0.0], [2.0], [0.0]]),
    ...                             gf.ones((4, 1))).shape.as_list()
    [4, 1]
    """
    a = tridiagonal_dense(diagonals, diagonals_format)
    b = convert_to_tensor(rhs, dtype=a.dtype)
    vector = b.shape.rank is not None and a.shape.rank is not None and b.shape.rank == a.shape.rank - 1
    if vector:
        b = expand_dims(b, -1)
    elif transpose_rhs:
        b = matrix_transpose(b)
    x = matrix_solve(a, b)
    if vector:
        return squeeze(x, [-1], name=name)
    return add_name(matrix_transpose(x) if transpose_rhs else x, name)


def tridiagonal_matmul(diagonals: TensorLike | Sequence[TensorLike], rhs: TensorLike,
                       diagonals_format: str = "compact", name: str | None = None) -> Tensor:
    """The tridiagonal matrix times ``rhs`` [..., M, N]."""
    a = tridiagonal_dense(diagonals, diagonals_format)
    return matmul(a, convert_to_tensor(rhs, dtype=a.dtype), name=name)


def eigh_tridiagonal(alpha: TensorLike, beta: TensorLike, eigvals_only: bool = True, select: str = "a",
                     select_range: Sequence[int] | None = None, tol: float | None = None,
                     name: str | None = None) -> Tensor | tuple[Tensor, Tensor]:
    """Eigenvalues (ascending; with ``eigvals_only=False`` also eigenvectors) of the symmetric
    tridiagonal matrix with diagonal ``alpha`` [N] and off-diagonal ``beta`` [N-1]; ``select``
    'a' (all) or 'i' (the indices ``select_range`` = [lo, hi], inclusive)."""
    main = convert_to_tensor(alpha)
    off = convert_to_tensor(beta, dtype=main.dtype)
    if select not in ("a", "i"):
        raise NotImplementedError(f"eigh_tridiagonal supports select='a' and 'i', given {select!r}")
    zero = zeros_like(main[..., :1])
    padded = stack([concat([off, zero], -1), main, concat([zero, off], -1)], axis=-2)
    a = tridiagonal_dense(padded, "compact")
    lo, hi = (0, None) if select == "a" else (int(select_range[0]), int(select_range[1]) + 1)  # type: ignore[index]
    if eigvals_only:
        return add_name(self_adjoint_eigvals(a)[..., lo:hi], name)
    e, v = self_adjoint_eig(a)
    return add_name(e[..., lo:hi], name), v[..., lo:hi]

