"""The global step and the learning-rate schedules that read it (TF1 ``tf.train``)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Graph, Tensor, convert_to_tensor, get_default_graph
from graphflow.core.types import SessionLike, TensorLike
from graphflow.ops.math_ops import cast, cos, equal, exp, floor, floordiv, log, minimum, sqrt, where
from graphflow.ops.state_ops import random_normal, zeros
from graphflow.ops.variables import GraphKeys, Variable

__all__ = ["assert_global_step", "create_global_step", "get_global_step", "get_or_create_global_step", "global_step",
           "exponential_decay", "inverse_time_decay", "natural_exp_decay", "piecewise_constant",
           "polynomial_decay", "piecewise_constant_decay", "cosine_decay", "cosine_decay_restarts",
           "linear_cosine_decay", "noisy_linear_cosine_decay"]


# ---- the global step ---------------------------------------------------------------------------

def get_global_step(graph: Graph | None = None) -> Variable | None:
    """The graph's global step variable (collection ``GraphKeys.GLOBAL_STEP``), or None."""
    g = graph or get_default_graph()
    found = g.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        raise TypeError(f"there are {len(found)} variables in collection GLOBAL_STEP; expected at most one")
    if found:
        return found[0]
    try:
        t = g.get_tensor_by_name("global_step:0")
    except (KeyError, ValueError):
        return None
    return t if isinstance(t, Variable) else None


def assert_global_step(global_step_tensor: Tensor) -> None:
    """Raise ``TypeError`` unless ``global_step_tensor`` is an integer scalar (a variable or tensor)."""
    if not isinstance(global_step_tensor, Tensor):
        raise TypeError(f"Existing \"global_step\" must be a Variable or Tensor: {global_step_tensor!r}.")
    if not global_step_tensor.dtype.is_integer:
        raise TypeError(f"Existing \"global_step\" does not have integer type: {global_step_tensor.dtype.name}")
    if global_step_tensor.shape.rank != 0 and global_step_tensor.shape.is_fully_defined():
        raise TypeError(f"Existing \"global_step\" is not scalar: {global_step_tensor.shape}")


def create_global_step(graph: Graph | None = None) -> Variable:
    """A new int64 scalar variable ``global_step`` (zero, not trainable) in ``GLOBAL_STEP``.

    >>> import graphflow as gf
    >>> step = gf.train.create_global_step()
    >>> step.name, step.dtype.name
    ('global_step:0', 'int64')
    """
    g = graph or get_default_graph()
    if get_global_step(g) is not None:
        raise ValueError("global_step already exists in this graph")
    with g.as_default(), g.name_scope(None), g.control_dependencies(None):
        return Variable(zeros([], _dt.int64, name="global_step/Initializer/zeros"), trainable=False,
                        name="global_step", collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph: Graph | None = None) -> Variable:
    """The graph's global step, created on first use (``step = gf.train.get_or_create_global_step()``)."""
    g = graph or get_default_graph()
    step = get_global_step(g)
    return step if step is not None else create_global_step(g)


def global_step(sess: SessionLike, global_step_tensor: Tensor | str) -> int:
    """The global step's current value as a Python int: ``gf.train.global_step(sess, step)``."""
    return int(sess.run(global_step_tensor))


# ---- learning-rate schedules -----------------------------------------------------------------------
# As in TF1, the step is cast to the learning rate's dtype, so the decay is computed in floating point.

def _rate_and_step(learning_rate: TensorLike, step: TensorLike | None) -> tuple[Tensor, Tensor]:
    if step is None:
        raise ValueError("a learning-rate schedule needs a global_step (e.g. gf.train.get_or_create_global_step())")
    lr = convert_to_tensor(learning_rate) if isinstance(learning_rate, Tensor) \
        else convert_to_tensor(learning_rate, dtype=_dt.float32)
    if not lr.dtype.is_floating:
        lr = cast(lr, _dt.float32)
    return lr, cast(convert_to_tensor(step), lr.dtype)


def _as(value: TensorLike, like: Tensor) -> Tensor:
    return cast(value, like.dtype) if isinstance(value, Tensor) else convert_to_tensor(value, dtype=like.dtype)


def _progress(step: Tensor, decay_steps: TensorLike, staircase: bool) -> Tensor:
    p = step / _as(decay_steps, step)
    return floordiv(step, _as(decay_steps, step)) if staircase else p


def exponential_decay(learning_rate: TensorLike, global_step: TensorLike | None, decay_steps: TensorLike,
                      decay_rate: TensorLike,
                      staircase: bool = False, name: str | None = None) -> Tensor:
    """``learning_rate * decay_rate ** (global_step / decay_steps)`` (the power floored when
    ``staircase``).

    >>> import graphflow as gf
    >>> step = gf.train.get_or_create_global_step()
    >>> lr = gf.train.exponential_decay(0.1, step, 100, 0.96, staircase=True)
    """
    lr, step = _rate_and_step(learning_rate, global_step)
    return lr * _as(decay_rate, lr) ** _progress(step, decay_steps, staircase)


def natural_exp_decay(learning_rate: TensorLike, global_step: TensorLike | None, decay_steps: TensorLike,
                      decay_rate: TensorLike,
                      staircase: bool = False, name: str | None = None) -> Tensor:
    """``learning_rate * exp(-decay_rate * global_step / decay_steps)``."""
    lr, step = _rate_and_step(learning_rate, global_step)
    return lr * exp(-_as(decay_rate, lr) * _progress(step, decay_steps, staircase))


def inverse_time_decay(learning_rate: TensorLike, global_step: TensorLike | None, decay_steps: TensorLike,
                       decay_rate: TensorLike,
                       staircase: bool = False, name: str | None = None) -> Tensor:
    """``learning_rate / (1 + decay_rate * global_step / decay_steps)``."""
    lr, step = _rate_and_step(learning_rate, global_step)
    return lr / (1 + _as(decay_rate, lr) * _progress(step, decay_steps, staircase))


def polynomial_decay(learning_rate: TensorLike, global_step: TensorLike | None, decay_steps: TensorLike,
                     end_learning_rate: TensorLike = 0.0001, power: TensorLike = 1.0, cycle: bool = False,
                     name: str | None = None) -> Tensor:
    """``(lr - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``; with ``cycle``
    the horizon grows to the next multiple of ``decay_steps`` instead of clamping the step."""
    lr, step = _rate_and_step(learning_rate, global_step)
    steps = _as(decay_steps, lr)
    if cycle:
        periods = -floordiv(-step, steps)  # ceil(step / decay_steps), and 1 at step 0
        steps = steps * where(step > 0, periods, _as(1, lr))
    else:
        step = minimum(step, steps)
    end = _as(end_learning_rate, lr)
    return (lr - end) * (1 - step / steps) ** _as(power, lr) + end


def piecewise_constant(x: TensorLike, boundaries: Sequence[TensorLike], values: Sequence[TensorLike],
                       name: str | None = None) -> Tensor:
    """``values[0]`` while ``x <= boundaries[0]``, ``values[i]`` while ``boundaries[i-1] < x <=
    boundaries[i]``, ``values[-1]`` after the last boundary.

    >>> import graphflow as gf
    >>> step = gf.train.get_or_create_global_step()
    >>> lr = gf.train.piecewise_constant(step, [100, 200], [1.0, 0.5, 0.1])
    """
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"piecewise_constant needs len(values) == len(boundaries) + 1, got "
                         f"{len(values)} values and {len(boundaries)} boundaries")
    x = convert_to_tensor(x)
    vals = [v if isinstance(v, Tensor) else convert_to_tensor(
        v, dtype=_dt.float32 if np.asarray(v).dtype.kind == "f" else None) for v in values]
    dtype = vals[0].dtype
    if any(v.dtype != dtype for v in vals):
        raise ValueError("piecewise_constant values must all have one dtype, got "
                         + ", ".join(v.dtype.name for v in vals))
    out = vals[-1]
    for b, v in zip(reversed(list(boundaries)), reversed(vals[:-1])):
        out = where(x <= _as(b, x), v, out)
    return out



piecewise_constant_decay = piecewise_constant


def _cosine(fraction: Tensor) -> Tensor:
    return 0.5 * (1.0 + cos(np.pi * fraction))


def cosine_decay(learning_rate: TensorLike, global_step: TensorLike | None, decay_steps: TensorLike,
                 alpha: TensorLike = 0.0, name: str | None = None) -> Tensor:
    """``lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)``
    (Loshchilov and Hutter's SGDR without restarts)."""
    lr, step = _rate_and_step(learning_rate, global_step)
    steps, a = _as(decay_steps, lr), _as(alpha, lr)
    return lr * ((1 - a) * _cosine(minimum(step, steps) / steps) + a)


def cosine_decay_restarts(learning_rate: TensorLike, global_step: TensorLike | None, first_decay_steps: TensorLike,
                          t_mul: TensorLike = 2.0, m_mul: TensorLike = 1.0, alpha: TensorLike = 0.0,
                          name: str | None = None) -> Tensor:
    """Cosine decay restarted every period, period ``i`` lasting ``first_decay_steps * t_mul**i``
    steps and starting from ``lr * m_mul**i``."""
    lr, step = _rate_and_step(learning_rate, global_step)
    done = step / _as(first_decay_steps, lr)
    t, m, a = _as(t_mul, lr), _as(m_mul, lr), _as(alpha, lr)
    # periods of equal length (t_mul == 1), or of geometrically growing length
    equal_restart = floor(done)
    equal_done = done - equal_restart
    t_safe = where(equal(t, 1.0), _as(2.0, lr), t)  # keeps the unused branch finite
    grown_restart = floor(log(1.0 - done * (1.0 - t_safe)) / log(t_safe))
    grown_sum = (1.0 - t_safe ** grown_restart) / (1.0 - t_safe)
    grown_done = (done - grown_sum) / t_safe ** grown_restart
    restart = where(equal(t, 1.0), equal_restart, grown_restart)
    fraction = where(equal(t, 1.0), equal_done, grown_done)
    return lr * ((1 - a) * m ** restart * _cosine(fraction) + a)


def linear_cosine_decay(learning_rate: TensorLike, global_step: TensorLike | None, decay_steps: TensorLike,
                        num_periods: TensorLike = 0.5, alpha: TensorLike = 0.0, beta: TensorLike = 0.001,
                        name: str | None = None) -> Tensor:
    """``lr * ((alpha + linear) * cosine + beta)`` with ``linear = (decay_steps - s) / decay_steps``,
    ``cosine = 0.5 * (1 + cos(pi * 2 * num_periods * s / decay_steps))``, ``s = min(step,
    decay_steps)`` (Bello et al., 2017)."""
    lr, step = _rate_and_step(learning_rate, global_step)
    return _linear_cosine(lr, step, decay_steps, num_periods, alpha, beta, noisy=None)


def noisy_linear_cosine_decay(learning_rate: TensorLike, global_step: TensorLike | None, decay_steps: TensorLike,
                              initial_variance: TensorLike = 1.0, variance_decay: TensorLike = 0.55,
                              num_periods: TensorLike = 0.5, alpha: TensorLike = 0.0, beta: TensorLike = 0.001,
                              name: str | None = None) -> Tensor:
    """``linear_cosine_decay`` whose linear part gets Gaussian noise of variance ``initial_variance
    / (1 + s)**variance_decay``, drawn anew at every run."""
    lr, step = _rate_and_step(learning_rate, global_step)
    return _linear_cosine(lr, step, decay_steps, num_periods, alpha, beta,
                          noisy=(_as(initial_variance, lr), _as(variance_decay, lr)))


def _linear_cosine(lr: Tensor, step: Tensor, decay_steps: TensorLike, num_periods: TensorLike, alpha: TensorLike,
                   beta: TensorLike, noisy: tuple[Tensor, Tensor] | None) -> Tensor:
    steps = _as(decay_steps, lr)
    step = minimum(step, steps)
    linear = (steps - step) / steps
    if noisy is not None:
        variance = noisy[0] / (1.0 + step) ** noisy[1]
        linear = linear + random_normal([], stddev=sqrt(variance), dtype=lr.dtype)
    cosine = _cosine(2.0 * _as(num_periods, lr) * step / steps)
    return lr * ((_as(alpha, lr) + linear) * cosine + _as(beta, lr))
