"""``@gf.custom_gradient``: a function that supplies its own gradient."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Op
from graphflow.core.types import TensorLike
from graphflow.ops._build import make
from graphflow.ops.gradient_ops import CustomGradAttrs


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``f(*xs) -> (y, grad)`` where ``grad(dy)`` returns one gradient per x.

    >>> import graphflow as gf
    >>> @gf.custom_gradient
    ... def clip_grad(x):
    ...     return gf.identity(x), lambda dy: gf.clip_by_value(dy, -1.0, 1.0)
    """
    @functools.wraps(f)
    def wrapped(*args: TensorLike) -> Tensor:
        xs = [convert_to_tensor(a) for a in args]
        y, grad_fn = f(*xs)
        y = convert_to_tensor(y)
        return make(Op.CUSTOM_GRADIENT, [y, *xs], CustomGradAttrs(grad_fn, len(xs)), name="CustomGradient")
    return wrapped


