"""TF1's remaining initializers (``tf.initializers.*`` and their ``*_initializer`` names):
orthogonal, identity, uniform_unit_scaling, and the He / LeCun variance-scaling presets, built on
the initializer base and random ops of ``variables.py``.
"""
from __future__ import annotations

import math

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor
from graphflow.core.shapes import as_shape
from graphflow.core.types import DTypeLike, ShapeLike
from graphflow.ops import state_ops
from graphflow.ops.decomposition_ops import qr
from graphflow.ops.elementwise_ops import sign
from graphflow.ops.linalg_ops import diag_part, eye
from graphflow.ops.shape_ops import reshape, transpose
from graphflow.ops.variables import Initializer, variance_scaling_initializer

__all__ = ["he_normal", "he_uniform", "identity_initializer", "lecun_normal", "lecun_uniform",
           "orthogonal_initializer", "uniform_unit_scaling_initializer"]


def _static_dims(shape: ShapeLike, what: str) -> list[int]:
    dims = as_shape(shape).as_list()
    if dims is None or None in dims:
        raise ValueError(f"{what} needs a fully known shape, got {shape}")
    return [int(d) for d in dims]  # type: ignore[arg-type]


def _float(dtype: DTypeLike, what: str) -> _dt.DType:
    dt = _dt.as_dtype(dtype)
    if not dt.is_floating:
        raise ValueError(f"{what} needs a floating dtype, got {dt.name}")
    return dt


class orthogonal_initializer(Initializer):  # noqa: N801 - TF1 names
    """A (semi-)orthogonal matrix times ``gain``: the Q of a QR factorisation of a normal matrix
    (signs fixed by R's diagonal), shaped ``[prod(shape[:-1]), shape[-1]]`` then reshaped.

    >>> import graphflow as gf
    >>> gf.initializers.orthogonal(seed=1)([3, 3]).shape.as_list()
    [3, 3]
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None, dtype: DTypeLike = _dt.float32) -> None:
        self.gain, self.seed, self.dtype = gain, seed, dtype

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None, partition_info: object = None) -> Tensor:
        dims = _static_dims(shape, "orthogonal_initializer")
        if len(dims) < 2:
            raise ValueError(f"orthogonal_initializer needs a shape of at least 2 dims, got {dims}")
        dt = _float(dtype or self.dtype, "orthogonal_initializer")
        rows = math.prod(dims[:-1])
        cols = dims[-1]
        a = state_ops.random_normal([max(rows, cols), min(rows, cols)], 0.0, 1.0, dt, self.seed)
        q, r = qr(a, full_matrices=False)
        q = q * sign(diag_part(r))
        if rows < cols:
            q = transpose(q, [1, 0])
        return reshape(q, dims) * state_ops.constant(self.gain, dtype=dt)


class identity_initializer(Initializer):  # noqa: N801
    """``gain`` times the identity matrix (2-D shapes only; rectangular ones get ones on the diagonal).

    >>> import graphflow as gf
    >>> gf.initializers.identity()([2, 3]).eval().tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """

    def __init__(self, gain: float = 1.0, dtype: DTypeLike = _dt.float32) -> None:
        self.gain, self.dtype = gain, dtype

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None, partition_info: object = None) -> Tensor:
        dims = _static_dims(shape, "identity_initializer")
        if len(dims) != 2:
            raise ValueError(f"identity_initializer needs a 2-D shape, got {dims}")
        dt = _float(dtype or self.dtype, "identity_initializer")
        return eye(dims[0], dims[1], dtype=dt) * state_ops.constant(self.gain, dtype=dt)


class uniform_unit_scaling_initializer(Initializer):  # noqa: N801
    """Uniform in ``[-m, m]`` with ``m = factor * sqrt(3 / input_size)``, ``input_size`` the product
    of all dims but the last (TF1's deprecated initializer)."""

    def __init__(self, factor: float = 1.0, seed: int | None = None, dtype: DTypeLike = _dt.float32) -> None:
        self.factor, self.seed, self.dtype = factor, seed, dtype

    def __call__(self, shape: ShapeLike, dtype: DTypeLike | None = None, partition_info: object = None) -> Tensor:
        dims = _static_dims(shape, "uniform_unit_scaling_initializer")
        dt = _float(dtype or self.dtype, "uniform_unit_scaling_initializer")
        input_size = max(float(math.prod(dims[:-1])) if dims else 1.0, 1.0)
        limit = math.sqrt(3.0 / input_size) * self.factor
        return state_ops.random_uniform(dims, -limit, limit, dt, self.seed)


def he_normal(seed: int | None = None) -> Initializer:
    """Truncated normal with variance ``2 / fan_in``."""
    return variance_scaling_initializer(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed: int | None = None) -> Initializer:
    """Uniform with variance ``2 / fan_in``."""
    return variance_scaling_initializer(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed: int | None = None) -> Initializer:
    """Truncated normal with variance ``1 / fan_in``."""
    return variance_scaling_initializer(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed: int | None = None) -> Initializer:
    """Uniform with variance ``1 / fan_in``."""
    return variance_scaling_initializer(1.0, "fan_in", "uniform", seed)
