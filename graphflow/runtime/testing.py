"""``gf.test``, as TF1's ``tf.test``: numerical gradient checking (``compute_gradient``)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from graphflow.core.autodiff import gradients
from graphflow.core.ir import Tensor
from graphflow.ops.state_ops import placeholder
from graphflow.platform import cuda as cuda_platform
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


def is_gpu_available(cuda_only: bool = False, min_cuda_compute_capability: Sequence[int] | None = None) -> bool:
    """Whether sessions can run on the CUDA target (a GPU of at least ``min_cuda_compute_capability``,
    or Numba's simulator)."""
    if not cuda_platform.capability("kernels").ok:
        return False
    if min_cuda_compute_capability is None:
        return True
    cc = getattr(cuda_platform.require("kernels").get_current_device(), "compute_capability", (0, 0))
    return tuple(cc) >= tuple(min_cuda_compute_capability)


def is_built_with_cuda() -> bool:
    """Whether the CUDA target is installed (the ``cuda`` extra: numba-cuda)."""
    return cuda_platform.capability("numba-cuda").ok


def is_built_with_gpu_support() -> bool:
    return is_built_with_cuda()


def gpu_device_name() -> str:
    """"/device:GPU:0" when sessions can run on the CUDA target, else ""."""
    return "/device:GPU:0" if is_gpu_available() else ""
