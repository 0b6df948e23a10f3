"""tf.linalg.experimental.conjugate_gradient: the iterative solver for symmetric positive-definite
LinearOperators, one ``while_loop``."""
from __future__ import annotations

from collections import namedtuple

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops.control_flow import while_loop
from graphflow.ops.elementwise_ops import logical_and, sqrt
from graphflow.ops.linear_operators import LinearOperator
from graphflow.ops.reductions import reduce_any, reduce_sum
from graphflow.ops.shape_ops import expand_dims
from graphflow.ops.state_ops import constant, zeros_like

CGState = namedtuple("CGState", ["i", "x", "r", "p", "gamma"])


def _dot(a: Tensor, b: Tensor) -> Tensor:
    return reduce_sum(a * b, axis=-1)


def conjugate_gradient(operator: LinearOperator, rhs: TensorLike, preconditioner: LinearOperator | None = None,
                       x: TensorLike | None = None, tol: float = 1e-5, max_iter: int = 20,
                       name: str = "conjugate_gradient") -> CGState:
    """Solve operator x = rhs for a symmetric positive-definite operator by conjugate gradients:
    at most ``max_iter`` steps, stopping once every residual's norm is below ``tol`` times the
    first one's. Returns the final CGState (i, x, r, p, gamma)."""
    b = convert_to_tensor(rhs, dtype=operator.dtype)
    x0 = zeros_like(b) if x is None else convert_to_tensor(x, dtype=b.dtype)
    r0 = b - operator.matvec(x0)
    p0 = r0 if preconditioner is None else preconditioner.matvec(r0)
    limit = tol * sqrt(_dot(r0, r0))

    def keep_going(i: Tensor, x: Tensor, r: Tensor, p: Tensor, gamma: Tensor) -> Tensor:
        return logical_and(i < max_iter, reduce_any(sqrt(_dot(r, r)) > limit))

    def step(i: Tensor, x: Tensor, r: Tensor, p: Tensor, gamma: Tensor) -> tuple:
        z = operator.matvec(p)
        alpha = gamma / _dot(p, z)
        x_next = x + expand_dims(alpha, -1) * p
        r_next = r - expand_dims(alpha, -1) * z
        q = r_next if preconditioner is None else preconditioner.matvec(r_next)
        gamma_next = _dot(r_next, q)
        return i + 1, x_next, r_next, q + expand_dims(gamma_next / gamma, -1) * p, gamma_next

    out = while_loop(keep_going, step, [constant(0), x0, r0, p0, _dot(r0, p0)], name=name)
    return CGState(*out)
