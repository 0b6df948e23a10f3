"""``tf.test.compute_gradient`` / ``compute_gradient_error``: the Jacobians of a graph's
gradient nodes against central differences of its values, both run in a session."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from graphflow.core.autodiff import gradients
from graphflow.core.ir import Tensor
from graphflow.ops.state_ops import placeholder
from graphflow.runtime.session import Session, get_default_session


def compute_gradient(x: Tensor | Sequence[Tensor], x_shape: Sequence[int] | Sequence[Sequence[int]], y: Tensor,
                     y_shape: Sequence[int], x_init_value: npt.ArrayLike | None = None,
                     delta: float = 1e-3, extra_feed_dict: dict | None = None,
                     session: Session | None = None) -> Any:
    """(theoretical, numerical) Jacobians of ``y`` w.r.t. ``x``, each of shape
    (x.size, y.size). ``x`` may be a list; then a list of pairs is returned."""
    if isinstance(x, (list, tuple)):
        inits = x_init_value if x_init_value is not None else [None] * len(x)
        return [compute_gradient(xi, si, y, y_shape, ii, delta, extra_feed_dict, session)
                for xi, si, ii in zip(x, x_shape, inits)]
    sess = session or get_default_session() or Session(graph=y.graph)
    x_shape = tuple(x_shape)
    y_shape = tuple(y_shape)
    dtype = x.dtype.np
    x0 = np.asarray(x_init_value, dtype=dtype) if x_init_value is not None else \
        np.random.RandomState(0).uniform(-1, 1, size=x_shape).astype(dtype)
    feeds = dict(extra_feed_dict or {})
    nx, ny = int(np.prod(x_shape, dtype=np.int64)), int(np.prod(y_shape, dtype=np.int64))
    dy = _placeholder_like(y)
    (gx,) = gradients(y, [x], grad_ys=dy)
    theoretical = np.zeros((nx, ny), dtype=dtype)
    for j in range(ny):
        e = np.zeros(ny, dtype=y.dtype.np)
        e[j] = 1
        if gx is not None:
            theoretical[:, j] = np.asarray(sess.run(gx, {**feeds, x: x0, dy: e.reshape(y_shape)})).reshape(-1)
    numerical = np.zeros((nx, ny), dtype=dtype)
    flat = x0.reshape(-1).copy()
    for i in range(nx):
        old = flat[i]
        flat[i] = old + delta
        plus = np.asarray(sess.run(y, {**feeds, x: flat.reshape(x_shape)}), dtype=np.float64).reshape(-1)
        flat[i] = old - delta
        minus = np.asarray(sess.run(y, {**feeds, x: flat.reshape(x_shape)}), dtype=np.float64).reshape(-1)
        flat[i] = old
        numerical[i, :] = (plus - minus) / (2 * delta)
    return theoretical, numerical


def compute_gradient_error(x: Tensor | Sequence[Tensor], x_shape: Sequence[int] | Sequence[Sequence[int]], y: Tensor,
                           y_shape: Sequence[int], x_init_value: npt.ArrayLike | None = None,
                           delta: float = 1e-3, extra_feed_dict: dict | None = None) -> float:
    """Largest absolute difference between the theoretical and numerical Jacobians."""
    pairs = compute_gradient(x, x_shape, y, y_shape, x_init_value, delta, extra_feed_dict)
    if isinstance(pairs, tuple):
        pairs = [pairs]
    err = 0.0
    for t, n in pairs:
        if t.size:
            err = max(err, float(np.max(np.abs(t - n))))
    return err


def _placeholder_like(y: Tensor) -> Tensor:
    with y.graph.as_default():
        return placeholder(y.dtype, y.shape, name="grad_y")
