"""Reversible residual blocks (Gomez et al.), contrib.layers' ``RevBlock`` / ``rev_block`` as TF
1.15 builds them: each of ``num_layers`` layers maps ``(x1, x2)`` to ``y1 = x1 + f(x2)``,
``y2 = x2 + g(y1)``, with ``f`` and ``g`` making their variables under ``revlayer_<i>/f`` and
``revlayer_<i>/g`` of the block's scope; ``backward`` inverts the block from its outputs.

TF1's "efficient backprop" recomputes the activations from the outputs in the gradient instead of
keeping them; graphflow's gradient is the ordinary one (the same values; the activations are kept,
so the memory saving is not there: docs/differences.md).

    y1, y2 = rev_block(x1, x2, f=lambda x: tf.layers.dense(x, 8), g=..., num_layers=2)
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.ops import math_ops as M
from graphflow.ops.variables import get_variable_scope, variable_scope
from graphflow.tf1.layers.core import Layer

__all__ = ["RevBlock", "rev_block"]

Fn = Callable[..., Tensor]


def _scoped(fn: Fn, scope: str) -> Fn:
    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Tensor:
        with variable_scope(scope):
            return fn(*args, **kwargs)
    return wrapped


class RevBlock(Layer):
    """A block of reversible residual layers; ``forward(x1, x2)`` and ``backward(y1, y2)``."""

    _default = "revblock"

    def __init__(self, f: Fn | Sequence[Fn], g: Fn | Sequence[Fn], num_layers: int = 1,
                 f_side_input: Sequence[Tensor] | None = None, g_side_input: Sequence[Tensor] | None = None,
                 use_efficient_backprop: bool = True, name: str = "revblock", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        fs: list[Fn] = list(f) if isinstance(f, (list, tuple)) else [f] * num_layers  # type: ignore[list-item]
        gs: list[Fn] = list(g) if isinstance(g, (list, tuple)) else [g] * num_layers  # type: ignore[list-item]
        if len(fs) != num_layers or len(gs) != num_layers:
            raise ValueError(f"f and g must be functions or lists of num_layers ({num_layers}) functions, got "
                             f"{len(fs)} and {len(gs)}")
        self.f = [_scoped(fn, f"revlayer_{i}/f") for i, fn in enumerate(fs)]
        self.g = [_scoped(fn, f"revlayer_{i}/g") for i, fn in enumerate(gs)]
        self.num_layers = num_layers
        self.f_side_input = list(f_side_input or [])
        self.g_side_input = list(g_side_input or [])
        self._use_efficient_backprop = use_efficient_backprop

    def _f(self, i: int, x: Tensor) -> Tensor:
        return self.f[i](x, self.f_side_input) if self.f_side_input else self.f[i](x)

    def _g(self, i: int, x: Tensor) -> Tensor:
        return self.g[i](x, self.g_side_input) if self.g_side_input else self.g[i](x)

    def call(self, inputs: Any, forward: bool = True) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        a, b = (convert_to_tensor(t) for t in inputs)
        if forward:
            for i in range(self.num_layers):
                a = M.add(a, self._f(i, b))
                b = M.add(b, self._g(i, a))
            return a, b
        for i in reversed(range(self.num_layers)):
            x2 = M.subtract(b, self._g(i, a))
            a, b = M.subtract(a, self._f(i, x2)), x2
        return a, b

    def forward(self, x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
        """``(y1, y2)`` after every layer."""
        return self([x1, x2])  # type: ignore[return-value]

    def backward(self, y1: Tensor, y2: Tensor) -> tuple[Tensor, Tensor]:
        """The inputs ``(x1, x2)`` the block maps to ``(y1, y2)`` (the same variables)."""
        return self([y1, y2], forward=False)  # type: ignore[return-value]


def rev_block(x1: Tensor, x2: Tensor, f: Fn | Sequence[Fn], g: Fn | Sequence[Fn], num_layers: int = 1,
              f_side_input: Sequence[Tensor] | None = None, g_side_input: Sequence[Tensor] | None = None,
              is_training: bool = True) -> tuple[Tensor, Tensor]:
    """``RevBlock(f, g, num_layers, ...).forward(x1, x2)`` in the current variable scope's reuse mode."""
    block = RevBlock(f, g, num_layers=num_layers, f_side_input=f_side_input, g_side_input=g_side_input,
                     use_efficient_backprop=is_training, _reuse=get_variable_scope().reuse)
    return block.forward(x1, x2)
