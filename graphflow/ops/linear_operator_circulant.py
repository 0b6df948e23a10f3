"""tf.linalg's circulant operators on real spectra: ``LinearOperatorCirculant`` (circulant),
``LinearOperatorCirculant2D`` (block circulant with circulant blocks) and ``...3D``.

TF defines the operator by its spectrum: A x = IDFT(spectrum * DFT(x)), over the last one, two or
three dims of ``spectrum``, in complex arithmetic. graphflow has no complex dtype, so the spectrum
and the operator are real, and A is the real part TF's operator gives with a real
``input_output_dtype``: the (block) circulant matrix of the kernel
h[m] = (1/N) sum_k spectrum[k] cos(2 pi sum_d k_d m_d / n_d), computed as one product with a
constant cosine matrix and gathered into the dense [N, N] form. That real part is the whole
operator exactly when the spectrum is Hermitian (for a real spectrum: spectrum[k] equals
spectrum[-k], ``assert_hermitian_spectrum`` checks it). Otherwise, as in TF, ``matmul``, ``solve``
and ``to_dense`` give real parts while the determinant, trace and eigenvalues are the spectrum's.

Differences from TF: ``input_output_dtype`` defaults to the spectrum's dtype (TF's default,
complex64, does not exist here) and a complex one raises ``TypeError``; the block shape must be
known when the graph is built (it sizes the constant cosine and index tables).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops.array_ops import gather
from graphflow.ops.check_ops import assert_less_equal, assert_none_equal, assert_positive
from graphflow.ops.concat_ops import concat
from graphflow.ops.elementwise_ops import abs as _abs
from graphflow.ops.elementwise_ops import cast, log
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.linear_operators import LinearOperator, operand
from graphflow.ops.reductions import reduce_max, reduce_prod, reduce_sum
from graphflow.ops.shape_ops import expand_dims, reshape, shape
from graphflow.ops.state_ops import constant, no_op, ones


class _BaseLinearOperatorCirculant(LinearOperator):
    """A (nested block) circulant operator of ``block_depth`` levels, known by its real spectrum."""

    _DEPTH = 1

    def __init__(self, spectrum: TensorLike, input_output_dtype: DTypeLike | None = None,
                 is_non_singular: bool | None = None, is_self_adjoint: bool | None = None,
                 is_positive_definite: bool | None = None, is_square: bool | None = True,
                 name: str | None = None) -> None:
        spec = operand(spectrum)
        kind = type(self).__name__
        if not spec.dtype.is_floating:
            raise TypeError(f"{kind}'s spectrum must be floating point (graphflow has no complex dtypes), "
                            f"got {spec.dtype.name}")
        dtype = spec.dtype if input_output_dtype is None else _dt.as_dtype(input_output_dtype)
        if not dtype.is_floating:
            raise TypeError(f"{kind}'s input_output_dtype must be a real floating dtype (graphflow has no "
                            f"complex dtypes), got {dtype.name}")
        if is_square is False:
            raise ValueError(f"A circulant operator is always square; {kind} given is_square=False")
        depth = self._DEPTH
        if spec.shape.rank is None or spec.shape.rank < depth or None in spec.shape.as_list()[-depth:]:
            raise ValueError(f"{kind} needs a spectrum of known rank >= {depth} whose last {depth} dim(s) (the "
                             f"block shape) are known when the graph is built, given shape {spec.shape}")
        self._spectrum = cast(spec, dtype)
        self._block = [int(d) for d in spec.shape.as_list()[-depth:]]
        super().__init__(dtype, [spec], is_non_singular, is_self_adjoint, is_positive_definite, True,
                         name or kind, parameters=dict(spectrum=spectrum, input_output_dtype=dtype,
                                                       is_non_singular=is_non_singular,
                                                       is_self_adjoint=is_self_adjoint,
                                                       is_positive_definite=is_positive_definite,
                                                       is_square=is_square, name=name or kind))

    # ---- the structure
    @property
    def spectrum(self) -> Tensor:
        return self._spectrum

    @property
    def block_depth(self) -> int:
        return self._DEPTH

    @property
    def block_shape(self) -> TensorShape:
        return TensorShape(self._block)

    def block_shape_tensor(self) -> Tensor:
        return constant(np.array(self._block, np.int32))

    def _size(self) -> int:
        return int(np.prod(self._block))

    def _flat(self, x: Tensor) -> Tensor:
        """[..., n0, (n1, (n2))] -> [..., N]."""
        lead = x.shape.as_list()[:-self._DEPTH]
        dims: Any = lead + [self._size()] if None not in lead else concat(
            [shape(x)[:-self._DEPTH], constant([self._size()], _dt.int32)], 0)
        return reshape(x, dims)

    def _kernel(self, spec: Tensor) -> Tensor:
        """The real part of the inverse DFT of ``spec`` over the block dims, flat: [..., N]."""
        grid = np.indices(self._block).reshape(self._DEPTH, -1)  # [depth, N]: each flat index's k
        phase = sum(np.outer(grid[d], grid[d]) / n for d, n in enumerate(self._block))
        cosines = np.cos(2 * np.pi * np.asarray(phase)) / self._size()
        return matmul(expand_dims(self._flat(spec), -2), constant(cosines, self.dtype))[..., 0, :]

    def _circulant(self, spec: Tensor) -> Tensor:
        """The dense (block) circulant matrix of ``spec``'s real-part kernel: A[i, j] = h[i - j]."""
        grid = np.indices(self._block).reshape(self._DEPTH, -1)
        diff = (grid[:, :, None] - grid[:, None, :]) % np.array(self._block)[:, None, None]
        idx = np.ravel_multi_index(tuple(diff), self._block).astype(np.int32)
        h = self._kernel(spec)
        return gather(h, constant(idx), axis=h.shape.rank - 1)

    def convolution_kernel(self, name: str = "convolution_kernel") -> Tensor:
        """The kernel whose DFT is the spectrum (its real part), shaped like the spectrum."""
        h = self._kernel(self._spectrum)
        lead = self._spectrum.shape.as_list()[:-self._DEPTH]
        dims: Any = lead + self._block if None not in lead else concat(
            [shape(self._spectrum)[:-self._DEPTH], constant(self._block, _dt.int32)], 0)
        return reshape(h, dims)

    def _block_axes(self) -> list[int]:
        return [-(i + 1) for i in range(self._DEPTH)]

    # ---- the operator
    def _to_dense(self) -> Tensor:
        return self._circulant(self._spectrum)

    def _solve(self, rhs: Tensor, adjoint: bool) -> Tensor:
        # the inverse operator has the reciprocal spectrum; a real spectrum's operator is symmetric,
        # so the adjoint's solve is the same
        return matmul(self._circulant(1.0 / self._spectrum), rhs)

    def determinant(self, name: str = "det") -> Tensor:
        return reduce_prod(self._spectrum, axis=self._block_axes())

    def log_abs_determinant(self, name: str = "log_abs_det") -> Tensor:
        return reduce_sum(log(_abs(self._spectrum)), axis=self._block_axes())

    def trace(self, name: str = "trace") -> Tensor:
        return reduce_sum(self._spectrum, axis=self._block_axes())

    def diag_part(self, name: str = "diag_part") -> Tensor:
        n = self._size()
        return expand_dims(self.trace() / float(n), -1) * ones([n], self.dtype)

    def eigvals(self, name: str = "eigvals") -> Tensor:
        """The spectrum, flattened over the block dims (TF's order)."""
        return self._flat(self._spectrum)

    def assert_hermitian_spectrum(self, name: str = "assert_hermitian_spectrum") -> Any:
        """An op that fails unless spectrum[k] equals spectrum[-k] (to 100 ulps of the largest
        entry): the condition for the operator to be the real matrix it gives."""
        grid = np.indices(self._block).reshape(self._DEPTH, -1)
        negated = (-grid) % np.array(self._block)[:, None]
        flat = self._flat(self._spectrum)
        mirrored = gather(flat, constant(np.ravel_multi_index(tuple(negated), self._block).astype(np.int32)),
                          axis=flat.shape.rank - 1)
        eps = float(np.finfo(self.dtype.np).eps)
        return assert_less_equal(reduce_max(_abs(flat - mirrored)), 100 * eps * reduce_max(_abs(flat)),
                                 message="Not Hermitian: spectrum[k] differs from spectrum[-k]")

    def assert_non_singular(self, name: str = "assert_non_singular") -> Any:
        return assert_none_equal(self._spectrum, 0.0, message="Singular operator:  Spectrum contained zero values.")

    def assert_positive_definite(self, name: str = "assert_positive_definite") -> Any:
        return assert_positive(self._spectrum, message="Not positive definite:  Real part of spectrum was not "
                                                       "all positive.")

    def assert_self_adjoint(self, name: str = "assert_self_adjoint") -> Any:
        return no_op()  # a real spectrum has no imaginary part


class LinearOperatorCirculant(_BaseLinearOperatorCirculant):
    """The circulant matrix with (real) spectrum [..., N]: A x = IDFT(spectrum * DFT(x)).

    >>> import graphflow as gf
    >>> op = gf.linalg.LinearOperatorCirculant([6.0, -2.0, 1.0, -2.0])
    >>> op.shape.as_list()
    [4, 4]
    """

    _DEPTH = 1

    def __init__(self, spectrum: TensorLike, input_output_dtype: DTypeLike | None = None,
                 is_non_singular: bool | None = None, is_self_adjoint: bool | None = None,
                 is_positive_definite: bool | None = None, is_square: bool | None = True,
                 name: str = "LinearOperatorCirculant") -> None:
        super().__init__(spectrum, input_output_dtype, is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, name)


class LinearOperatorCirculant2D(_BaseLinearOperatorCirculant):
    """Block circulant with circulant blocks, from a (real) spectrum [..., N0, N1]: N0 x N0 blocks
    of size N1 x N1.

    >>> import graphflow as gf
    >>> gf.linalg.LinearOperatorCirculant2D(gf.ones([2, 3])).shape.as_list()
    [6, 6]
    """

    _DEPTH = 2

    def __init__(self, spectrum: TensorLike, input_output_dtype: DTypeLike | None = None,
                 is_non_singular: bool | None = None, is_self_adjoint: bool | None = None,
                 is_positive_definite: bool | None = None, is_square: bool | None = True,
                 name: str = "LinearOperatorCirculant2D") -> None:
        super().__init__(spectrum, input_output_dtype, is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, name)


class LinearOperatorCirculant3D(_BaseLinearOperatorCirculant):
    """Three levels of circulant blocks, from a (real) spectrum [..., N0, N1, N2].

    >>> import graphflow as gf
    >>> gf.linalg.LinearOperatorCirculant3D(gf.ones([2, 2, 2])).shape.as_list()
    [8, 8]
    """

    _DEPTH = 3

    def __init__(self, spectrum: TensorLike, input_output_dtype: DTypeLike | None = None,
                 is_non_singular: bool | None = None, is_self_adjoint: bool | None = None,
                 is_positive_definite: bool | None = None, is_square: bool | None = True,
                 name: str = "LinearOperatorCirculant3D") -> None:
        super().__init__(spectrum, input_output_dtype, is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, name)
