"""tf.linalg's structured LinearOperators: block-diagonal, block lower-triangular, Kronecker,
Householder, permutation, Toeplitz, tridiagonal and low-rank updates. Each gives its dense form;
the base class (``linear_operators``) derives the rest from it."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops.array_extras import matrix_diag
from graphflow.ops.array_ops import gather, pad
from graphflow.ops.concat_ops import concat
from graphflow.ops.factor_ops import permutation_matrix
from graphflow.ops.index_ops import reverse
from graphflow.ops.linalg_extras import tridiagonal_dense
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.linear_operators import LinearOperator, operand
from graphflow.ops.reductions import reduce_sum
from graphflow.ops.shape_ops import expand_dims, reshape, shape
from graphflow.ops.state_ops import constant, zeros_like


def _block_rows(blocks: Sequence[Sequence[Tensor]]) -> Tensor:
    return concat([concat(list(row), -1) for row in blocks], -2)


def _static_dims(op: LinearOperator) -> tuple[int, int]:
    m, n = op.shape.as_list()[-2:]
    if m is None or n is None:
        raise ValueError(f"block operators need blocks of static size; {op.name} has shape {op.shape}")
    return int(m), int(n)


def _zeros_block(like: LinearOperator, rows: int, cols: int) -> Tensor:
    dense = like.to_dense()
    return pad(zeros_like(dense[..., :0, :0]), [[0, 0]] * (dense.shape.rank - 2) + [[0, rows], [0, cols]])


class LinearOperatorBlockDiag(LinearOperator):
    """The block-diagonal matrix of square ``operators``."""

    def __init__(self, operators: Sequence[LinearOperator], is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = None, is_positive_definite: bool | None = None,
                 is_square: bool | None = True, name: str | None = None) -> None:
        self.operators = list(operators)
        super().__init__(operators[0].dtype, [t for op in operators for t in op.graph_parents], is_non_singular,
                         is_self_adjoint, is_positive_definite, True, name or "_ds_".join(op.name for op in operators))

    def _to_dense(self) -> Tensor:
        sizes = [_static_dims(op) for op in self.operators]
        rows = [[op.to_dense() if j == i else _zeros_block(op, sizes[i][0], sizes[j][1])
                 for j in range(len(sizes))] for i, op in enumerate(self.operators)]
        return _block_rows(rows)


class LinearOperatorBlockLowerTriangular(LinearOperator):
    """The block lower-triangular matrix whose i-th row of blocks is ``operators[i]`` (i + 1 of them)."""

    def __init__(self, operators: Sequence[Sequence[LinearOperator]], is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = None, is_positive_definite: bool | None = None,
                 is_square: bool | None = None, name: str = "LinearOperatorBlockLowerTriangular") -> None:
        self.operators = [list(row) for row in operators]
        if any(len(row) != i + 1 for i, row in enumerate(self.operators)):
            raise ValueError("LinearOperatorBlockLowerTriangular needs row i to hold i + 1 operators, given rows of "
                             f"lengths {[len(r) for r in self.operators]}")
        super().__init__(self.operators[0][0].dtype, [], is_non_singular, is_self_adjoint, is_positive_definite,
                         True, name)

    def _to_dense(self) -> Tensor:
        diag = [_static_dims(row[-1]) for row in self.operators]
        rows = [[row[j].to_dense() if j <= i else _zeros_block(row[i], diag[i][0], diag[j][1])
                 for j in range(len(diag))] for i, row in enumerate(self.operators)]
        return _block_rows(rows)


class LinearOperatorKronecker(LinearOperator):
    """The Kronecker product of ``operators`` (the first is outermost)."""

    def __init__(self, operators: Sequence[LinearOperator], is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = None, is_positive_definite: bool | None = None,
                 is_square: bool | None = None, name: str | None = None) -> None:
        self.operators = list(operators)
        super().__init__(operators[0].dtype, [t for op in operators for t in op.graph_parents], is_non_singular,
                         is_self_adjoint, is_positive_definite, is_square,
                         name or "_x_".join(op.name for op in operators))

    def _to_dense(self) -> Tensor:
        out = self.operators[0].to_dense()
        m, n = _static_dims(self.operators[0])
        for op in self.operators[1:]:
            p, q = _static_dims(op)
            other = op.to_dense()
            # out[..., i, j] * other[..., k, l] at [..., i * p + k, j * q + l]
            prod = expand_dims(expand_dims(out, -1), -3) * expand_dims(expand_dims(other, -3), -2)
            batch = shape(prod)[:-4]
            out = _reshape_tail(prod, batch, [m * p, n * q])
            m, n = m * p, n * q
        return out


def _reshape_tail(x: Tensor, batch: Tensor, tail: list[int]) -> Tensor:
    return reshape(x, concat([batch, constant(tail, dtype=_dt.int32)], 0))


class LinearOperatorHouseholder(LinearOperator):
    """The reflection I - 2 v v^T / (v^T v) about the hyperplane orthogonal to ``reflection_axis``."""

    def __init__(self, reflection_axis: TensorLike, is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = True, is_positive_definite: bool | None = None,
                 is_square: bool | None = True, name: str = "LinearOperatorHouseholder") -> None:
        self._axis = operand(reflection_axis)
        super().__init__(self._axis.dtype, [self._axis], is_non_singular, is_self_adjoint, is_positive_definite,
                         True, name)

    def _to_dense(self) -> Tensor:
        v = self._axis
        outer = expand_dims(v, -1) * expand_dims(v, -2)
        eye = matrix_diag(v * 0.0 + 1.0)
        return eye - 2.0 * outer / expand_dims(expand_dims(reduce_sum(v * v, axis=-1), -1), -1)


class LinearOperatorPermutation(LinearOperator):
    """The permutation matrix P with P[i, perm[i]] = 1 (so P x is x[perm])."""

    def __init__(self, perm: TensorLike, dtype: DTypeLike = _dt.float32, is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = None, is_positive_definite: bool | None = None,
                 is_square: bool | None = None, name: str = "LinearOperatorPermutation") -> None:
        self._perm = operand(perm)
        super().__init__(dtype, [self._perm], True, is_self_adjoint, is_positive_definite, True, name)

    def _to_dense(self) -> Tensor:
        like = zeros_like(self._perm, dtype=self.dtype)
        return permutation_matrix(self._perm, like)


class LinearOperatorToeplitz(LinearOperator):
    """The Toeplitz matrix with first column ``col`` and first row ``row`` (static length N;
    row[0] is ignored in favour of col[0])."""

    def __init__(self, col: TensorLike, row: TensorLike, is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = None, is_positive_definite: bool | None = None,
                 is_square: bool | None = None, name: str = "LinearOperatorToeplitz") -> None:
        self._col = operand(col)
        self._row = operand(row, self._col.dtype)
        super().__init__(self._col.dtype, [self._col, self._row], is_non_singular, is_self_adjoint,
                         is_positive_definite, True, name)

    def _to_dense(self) -> Tensor:
        n = self._col.shape.as_list()[-1] if self._col.shape.rank else None
        if n is None:
            raise ValueError(f"LinearOperatorToeplitz needs a static length, given shape {self._col.shape}")
        r = self._row.shape.rank
        values = concat([reverse(self._row[..., 1:], [r - 1]), self._col], -1)  # index n - 1 + (i - j)
        idx = np.arange(n)[:, None] - np.arange(n)[None, :] + n - 1
        return gather(values, constant(idx.astype(np.int32)), axis=r - 1)


class LinearOperatorTridiag(LinearOperator):
    """A tridiagonal matrix from its diagonals (TF's 'compact', 'sequence' or 'matrix' format)."""

    def __init__(self, diagonals: TensorLike | Sequence[TensorLike], diagonals_format: str = "compact",
                 is_non_singular: bool | None = None, is_self_adjoint: bool | None = None,
                 is_positive_definite: bool | None = None, is_square: bool | None = None,
                 name: str = "LinearOperatorTridiag") -> None:
        self._dense = tridiagonal_dense(diagonals, diagonals_format)
        super().__init__(self._dense.dtype, [], is_non_singular, is_self_adjoint, is_positive_definite, True, name)

    def _to_dense(self) -> Tensor:
        return self._dense


class LinearOperatorLowRankUpdate(LinearOperator):
    """``base_operator`` + U diag(``diag_update``) V^T (V defaults to U, the diagonal to ones)."""

    def __init__(self, base_operator: LinearOperator, u: TensorLike, diag_update: TensorLike | None = None,
                 v: TensorLike | None = None, is_diag_update_positive: bool | None = None,
                 is_non_singular: bool | None = None, is_self_adjoint: bool | None = None,
                 is_positive_definite: bool | None = None, is_square: bool | None = None,
                 name: str = "LinearOperatorLowRankUpdate") -> None:
        self.base_operator = base_operator
        self.u = operand(u, base_operator.dtype)
        self.v = self.u if v is None else operand(v, base_operator.dtype)
        self.diag_update = None if diag_update is None else operand(diag_update, base_operator.dtype)
        self_adjoint = is_self_adjoint if is_self_adjoint is not None else \
            bool(v is None and base_operator.is_self_adjoint)
        super().__init__(base_operator.dtype, [], is_non_singular, self_adjoint, is_positive_definite, True, name)

    def _to_dense(self) -> Tensor:
        u = self.u if self.diag_update is None else self.u * expand_dims(self.diag_update, -2)
        return self.base_operator.to_dense() + matmul(u, self.v, transpose_b=True)
