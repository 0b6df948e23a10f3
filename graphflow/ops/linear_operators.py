"""tf.linalg's LinearOperator family: matrices [..., M, N] described by their structure. The base
class answers every question (matmul, solve, determinant, trace, ...) from ``to_dense()``; a
subclass gives its dense form and overrides only what its structure makes cheaper (diagonal,
identity and triangular operators). The block, Kronecker and other structured operators are in
``linear_operator_structures``, the circulant ones (on real spectra) in
``linear_operator_circulant``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops.array_extras import matrix_diag, matrix_diag_part, matrix_triangular_solve
from graphflow.ops.decomposition_ops import self_adjoint_eigvals, svd
from graphflow.ops.elementwise_ops import abs as _abs
from graphflow.ops.elementwise_ops import log
from graphflow.ops.factor_ops import log_matrix_determinant
from graphflow.ops.linalg_ops import matmul, matrix_transpose
from graphflow.ops.reductions import reduce_max, reduce_min, reduce_prod, reduce_sum
from graphflow.ops.shape_ops import expand_dims, shape, squeeze
from graphflow.ops.solve_ops import cholesky, matrix_band_part, matrix_determinant, matrix_inverse, matrix_solve
from graphflow.ops.state_ops import constant, no_op, ones, zeros


class LinearOperator:
    """A batch of matrices known by structure; subclasses define ``_to_dense``."""

    def __init__(self, dtype: DTypeLike, graph_parents: Sequence[Tensor] | None = None,
                 is_non_singular: bool | None = None, is_self_adjoint: bool | None = None,
                 is_positive_definite: bool | None = None, is_square: bool | None = None,
                 name: str | None = None, parameters: dict | None = None) -> None:
        if is_positive_definite and is_non_singular is False:
            raise ValueError("A positive definite operator is always non-singular; given is_non_singular=False")
        self._dtype = _dt.as_dtype(dtype)
        self._graph_parents = list(graph_parents or [])
        self._is_non_singular = True if is_positive_definite else is_non_singular
        self._is_self_adjoint = is_self_adjoint
        self._is_positive_definite = is_positive_definite
        self._is_square_hint = is_square
        self._name = name or type(self).__name__
        self._parameters = dict(parameters or {})

    # ---- what a subclass gives
    def _to_dense(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define _to_dense")

    # ---- description
    @property
    def dtype(self) -> _dt.DType:
        return self._dtype

    @property
    def name(self) -> str:
        return self._name

    @property
    def graph_parents(self) -> list[Tensor]:
        return list(self._graph_parents)

    @property
    def parameters(self) -> dict:
        return dict(self._parameters)

    @property
    def is_non_singular(self) -> bool | None:
        return self._is_non_singular

    @property
    def is_self_adjoint(self) -> bool | None:
        return self._is_self_adjoint

    @property
    def is_positive_definite(self) -> bool | None:
        return self._is_positive_definite

    @property
    def is_square(self) -> bool | None:
        m, n = self.shape.as_list()[-2:] if self.shape.rank else (None, None)
        if m is not None and n is not None:
            return bool(m == n)
        return self._is_square_hint

    @property
    def shape(self) -> TensorShape:
        return self.to_dense().shape

    def shape_tensor(self, name: str = "shape_tensor") -> Tensor:
        return shape(self.to_dense(), name=name)

    @property
    def batch_shape(self) -> TensorShape:
        return TensorShape(self.shape.dims[:-2]) if self.shape.rank is not None else TensorShape(None)  # type: ignore[index]

    def batch_shape_tensor(self, name: str = "batch_shape_tensor") -> Tensor:
        return self.shape_tensor()[:-2]

    @property
    def tensor_rank(self) -> int | None:
        return self.shape.rank

    @property
    def range_dimension(self) -> int | None:
        return self.shape.as_list()[-2] if self.shape.rank is not None else None

    @property
    def domain_dimension(self) -> int | None:
        return self.shape.as_list()[-1] if self.shape.rank is not None else None

    def range_dimension_tensor(self, name: str = "range_dimension_tensor") -> Tensor:
        return self.shape_tensor()[-2]

    def domain_dimension_tensor(self, name: str = "domain_dimension_tensor") -> Tensor:
        return self.shape_tensor()[-1]

    # ---- values
    def to_dense(self, name: str = "to_dense") -> Tensor:
        """The batch of matrices this operator is."""
        return self._to_dense()

    def matmul(self, x: TensorLike | LinearOperator, adjoint: bool = False, adjoint_arg: bool = False,
               name: str = "matmul") -> Any:
        """This operator (or its adjoint) times ``x`` [..., N, R] (or its adjoint); an operator
        ``x`` gives their composition."""
        if isinstance(x, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = x.adjoint() if adjoint_arg else x
            return LinearOperatorComposition([left, right])
        return self._matmul(convert_to_tensor(x, dtype=self.dtype), adjoint, adjoint_arg)

    def _matmul(self, x: Tensor, adjoint: bool, adjoint_arg: bool) -> Tensor:
        return matmul(self.to_dense(), x, transpose_a=adjoint, transpose_b=adjoint_arg)

    def __matmul__(self, other: TensorLike | LinearOperator) -> Any:
        return self.matmul(other)

    def matvec(self, x: TensorLike, adjoint: bool = False, name: str = "matvec") -> Tensor:
        return squeeze(self.matmul(expand_dims(convert_to_tensor(x, dtype=self.dtype), -1), adjoint=adjoint), [-1])

    def solve(self, rhs: TensorLike, adjoint: bool = False, adjoint_arg: bool = False, name: str = "solve") -> Tensor:
        """X with this operator (or its adjoint) times X = rhs (or its adjoint)."""
        if self.is_non_singular is False:
            raise NotImplementedError(f"{self.name} is singular (is_non_singular=False): it has no solve")
        b = convert_to_tensor(rhs, dtype=self.dtype)
        return self._solve(matrix_transpose(b) if adjoint_arg else b, adjoint)

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return matrix_solve(self.to_dense(), rhs, adjoint=adjoint)

    def solvevec(self, rhs: TensorLike, adjoint: bool = False, name: str = "solve") -> Tensor:
        return squeeze(self.solve(expand_dims(convert_to_tensor(rhs, dtype=self.dtype), -1), adjoint=adjoint), [-1])

    def determinant(self, name: str = "det") -> Tensor:
        return matrix_determinant(self.to_dense())

    def log_abs_determinant(self, name: str = "log_abs_det") -> Tensor:
        return log_matrix_determinant(self.to_dense())[1]

    def trace(self, name: str = "trace") -> Tensor:
        return reduce_sum(self.diag_part(), axis=-1)

    def diag_part(self, name: str = "diag_part") -> Tensor:
        return matrix_diag_part(self.to_dense())

    def add_to_tensor(self, x: TensorLike, name: str = "add_to_tensor") -> Tensor:
        return self.to_dense() + convert_to_tensor(x, dtype=self.dtype)

    def adjoint(self, name: str = "adjoint") -> LinearOperator:
        return self if self.is_self_adjoint else LinearOperatorAdjoint(self)

    H = property(adjoint)

    def inverse(self, name: str = "inverse") -> LinearOperator:
        return LinearOperatorInversion(self)

    def cholesky(self, name: str = "cholesky") -> LinearOperator:
        if not (self.is_self_adjoint and self.is_positive_definite):
            raise ValueError(f"cholesky of {self.name} needs is_self_adjoint and is_positive_definite True")
        return LinearOperatorLowerTriangular(cholesky(self.to_dense()), is_non_singular=True)

    def eigvals(self, name: str = "eigvals") -> Tensor:
        if not self.is_self_adjoint:
            raise NotImplementedError(f"eigvals of {self.name} needs is_self_adjoint=True (real eigenvalues)")
        return self_adjoint_eigvals(self.to_dense())

    def cond(self, name: str = "cond") -> Tensor:
        s = svd(self.to_dense(), compute_uv=False)
        return reduce_max(s, axis=-1) / reduce_min(s, axis=-1)

    def assert_non_singular(self, name: str = "assert_non_singular") -> Any:
        return no_op()

    def assert_positive_definite(self, name: str = "assert_positive_definite") -> Any:
        return no_op()

    def assert_self_adjoint(self, name: str = "assert_self_adjoint") -> Any:
        return no_op()


def operand(x: TensorLike, dtype: DTypeLike | None = None) -> Tensor:
    """An operator's argument as a tensor."""
    return convert_to_tensor(x, dtype=dtype)


class LinearOperatorFullMatrix(LinearOperator):
    """An operator holding its dense matrix."""

    def __init__(self, matrix: TensorLike, is_non_singular: bool | None = None, is_self_adjoint: bool | None = None,
                 is_positive_definite: bool | None = None, is_square: bool | None = None,
                 name: str = "LinearOperatorFullMatrix") -> None:
        self._matrix = operand(matrix)
        super().__init__(self._matrix.dtype, [self._matrix], is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, name, {"matrix": self._matrix})

    def _to_dense(self) -> Tensor:
        return self._matrix


class LinearOperatorDiag(LinearOperator):
    """diag(``diag``) for a batch of diagonals [..., N]."""

    def __init__(self, diag: TensorLike, is_non_singular: bool | None = None, is_self_adjoint: bool | None = True,
                 is_positive_definite: bool | None = None, is_square: bool | None = True,
                 name: str = "LinearOperatorDiag") -> None:
        self._diag = operand(diag)
        super().__init__(self._diag.dtype, [self._diag], is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, name, {"diag": self._diag})

    @property
    def diag(self) -> Tensor:
        return self._diag

    def _to_dense(self) -> Tensor:
        return matrix_diag(self._diag)

    def _matmul(self, x: Tensor, adjoint: bool, adjoint_arg: bool) -> Tensor:
        return expand_dims(self._diag, -1) * (matrix_transpose(x) if adjoint_arg else x)

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return rhs / expand_dims(self._diag, -1)

    def determinant(self, name: str = "det") -> Tensor:
        return reduce_prod(self._diag, axis=-1)

    def log_abs_determinant(self, name: str = "log_abs_det") -> Tensor:
        return reduce_sum(log(_abs(self._diag)), axis=-1)

    def diag_part(self, name: str = "diag_part") -> Tensor:
        return self._diag


class LinearOperatorScaledIdentity(LinearOperator):
    """``multiplier`` [...] times the N x N identity."""

    def __init__(self, num_rows: int, multiplier: TensorLike, is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = True, is_positive_definite: bool | None = None,
                 is_square: bool | None = True, assert_proper_shapes: bool = False,
                 name: str = "LinearOperatorScaledIdentity") -> None:
        self._num_rows = int(num_rows)
        self._multiplier = operand(multiplier)
        super().__init__(self._multiplier.dtype, [self._multiplier], is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name, {"num_rows": num_rows, "multiplier": self._multiplier})

    @property
    def multiplier(self) -> Tensor:
        return self._multiplier

    def _scale(self) -> Tensor:
        return expand_dims(expand_dims(self._multiplier, -1), -1)

    def _to_dense(self) -> Tensor:
        return self._scale() * constant(np.eye(self._num_rows), dtype=self.dtype)

    def _matmul(self, x: Tensor, adjoint: bool, adjoint_arg: bool) -> Tensor:
        return self._scale() * (matrix_transpose(x) if adjoint_arg else x)

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return rhs / self._scale()

    def determinant(self, name: str = "det") -> Tensor:
        return self._multiplier ** float(self._num_rows)

    def log_abs_determinant(self, name: str = "log_abs_det") -> Tensor:
        return float(self._num_rows) * log(_abs(self._multiplier))


class LinearOperatorIdentity(LinearOperatorScaledIdentity):
    """The N x N identity, repeated over ``batch_shape``."""

    def __init__(self, num_rows: int, batch_shape: Sequence[int] | None = None, dtype: DTypeLike = _dt.float32,
                 is_non_singular: bool | None = True, is_self_adjoint: bool | None = True,
                 is_positive_definite: bool | None = True, is_square: bool | None = True,
                 assert_proper_shapes: bool = False, name: str = "LinearOperatorIdentity") -> None:
        super().__init__(num_rows, ones(list(batch_shape or []), dtype), is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name=name)


class LinearOperatorZeros(LinearOperator):
    """The M x N zero matrix, repeated over ``batch_shape``."""

    def __init__(self, num_rows: int, num_columns: int | None = None, batch_shape: Sequence[int] | None = None,
                 dtype: DTypeLike = _dt.float32, is_non_singular: bool | None = False,
                 is_self_adjoint: bool | None = True, is_positive_definite: bool | None = False,
                 is_square: bool | None = None, assert_proper_shapes: bool = False,
                 name: str = "LinearOperatorZeros") -> None:
        if is_non_singular or is_positive_definite:
            raise ValueError("A zero operator is always singular; given is_non_singular or is_positive_definite True")
        cols = num_rows if num_columns is None else num_columns
        self._dims = list(batch_shape or []) + [int(num_rows), int(cols)]
        super().__init__(dtype, [], False, is_self_adjoint, False, is_square, name)

    def _to_dense(self) -> Tensor:
        return zeros(self._dims, self.dtype)


class LinearOperatorLowerTriangular(LinearOperator):
    """The lower triangle of ``tril`` (the rest is ignored)."""

    def __init__(self, tril: TensorLike, is_non_singular: bool | None = None, is_self_adjoint: bool | None = None,
                 is_positive_definite: bool | None = None, is_square: bool | None = None,
                 name: str = "LinearOperatorLowerTriangular") -> None:
        self._tril = matrix_band_part(operand(tril), -1, 0)
        super().__init__(self._tril.dtype, [self._tril], is_non_singular, is_self_adjoint, is_positive_definite,
                         True, name, {"tril": tril})

    def _to_dense(self) -> Tensor:
        return self._tril

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return matrix_triangular_solve(self._tril, rhs, lower=True, adjoint=adjoint)

    def determinant(self, name: str = "det") -> Tensor:
        return reduce_prod(matrix_diag_part(self._tril), axis=-1)

    def log_abs_determinant(self, name: str = "log_abs_det") -> Tensor:
        return reduce_sum(log(_abs(matrix_diag_part(self._tril))), axis=-1)


class LinearOperatorAdjoint(LinearOperator):
    """The adjoint (transpose) of ``operator``."""

    def __init__(self, operator: LinearOperator, is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = None, is_positive_definite: bool | None = None,
                 is_square: bool | None = None, name: str | None = None) -> None:
        self.operator = operator
        super().__init__(operator.dtype, operator.graph_parents,
                         operator.is_non_singular if is_non_singular is None else is_non_singular,
                         operator.is_self_adjoint if is_self_adjoint is None else is_self_adjoint,
                         operator.is_positive_definite if is_positive_definite is None else is_positive_definite,
                         is_square, name or operator.name + "_adjoint")

    def _to_dense(self) -> Tensor:
        return matrix_transpose(self.operator.to_dense())

    def _matmul(self, x: Tensor, adjoint: bool, adjoint_arg: bool) -> Tensor:
        return self.operator.matmul(x, adjoint=not adjoint, adjoint_arg=adjoint_arg)  # type: ignore[no-any-return]

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return self.operator.solve(rhs, adjoint=not adjoint)

    def adjoint(self, name: str = "adjoint") -> LinearOperator:
        return self.operator


class LinearOperatorInversion(LinearOperator):
    """The inverse of a non-singular ``operator``: its matmul is the operator's solve."""

    def __init__(self, operator: LinearOperator, is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = None, is_positive_definite: bool | None = None,
                 is_square: bool | None = None, name: str | None = None) -> None:
        if operator.is_non_singular is False:
            raise ValueError(f"the inverse of {operator.name} needs a non-singular operator; it says it is singular")
        self.operator = operator
        super().__init__(operator.dtype, operator.graph_parents, True,
                         operator.is_self_adjoint if is_self_adjoint is None else is_self_adjoint,
                         operator.is_positive_definite if is_positive_definite is None else is_positive_definite,
                         True, name or operator.name + "_inv")

    def _to_dense(self) -> Tensor:
        return matrix_inverse(self.operator.to_dense())

    def _matmul(self, x: Tensor, adjoint: bool, adjoint_arg: bool) -> Tensor:
        return self.operator.solve(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        return self.operator.matmul(rhs, adjoint=adjoint)  # type: ignore[no-any-return]

    def inverse(self, name: str = "inverse") -> LinearOperator:
        return self.operator


class LinearOperatorComposition(LinearOperator):
    """The product of ``operators``, left to right."""

    def __init__(self, operators: Sequence[LinearOperator], is_non_singular: bool | None = None,
                 is_self_adjoint: bool | None = None, is_positive_definite: bool | None = None,
                 is_square: bool | None = None, name: str | None = None) -> None:
        if not operators:
            raise ValueError("LinearOperatorComposition needs at least one operator, given none")
        self.operators = list(operators)
        singular = all(op.is_non_singular for op in operators) or None
        super().__init__(operators[0].dtype, [t for op in operators for t in op.graph_parents],
                         singular if is_non_singular is None else is_non_singular, is_self_adjoint,
                         is_positive_definite, is_square, name or "_o_".join(op.name for op in operators))

    def _to_dense(self) -> Tensor:
        out = self.operators[-1].to_dense()
        for op in reversed(self.operators[:-1]):
            out = op.matmul(out)
        return out

    def _matmul(self, x: Tensor, adjoint: bool, adjoint_arg: bool) -> Tensor:
        ops = self.operators
        if adjoint:
            out = ops[0].matmul(x, adjoint=True, adjoint_arg=adjoint_arg)
            for op in ops[1:]:
                out = op.matmul(out, adjoint=True)
            return out  # type: ignore[no-any-return]
        out = ops[-1].matmul(x, adjoint_arg=adjoint_arg)
        for op in reversed(ops[:-1]):
            out = op.matmul(out)
        return out  # type: ignore[no-any-return]
