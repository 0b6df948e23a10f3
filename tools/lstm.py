"""The unrolled-LSTM training graph of the compile-time benchmark, for graphflow and JAX.

x [B, T, 28] and one-hot labels [B, 10]; W [28 + 128, 512], b [512], Wo [128, 10], bo [10]; per
step z = concat([x[:, t, :], h], 1) @ W + b, i, j, f, o = split(z, 4, axis=1),
c = c * sigmoid(f + 1) + sigmoid(i) * tanh(j), h = tanh(c) * sigmoid(o); the loss is the mean
softmax cross-entropy of h @ Wo + bo, minimised by Adam(1e-3).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

B, D, H, C = 64, 28, 128, 10


def data(steps: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.RandomState(seed)
    x = rng.randn(B, steps, D).astype(np.float32)
    y = np.eye(C, dtype=np.float32)[rng.randint(0, C, B)]
    w = (rng.randn(D + H, 4 * H) * 0.05).astype(np.float32)
    wo = (rng.randn(H, C) * 0.05).astype(np.float32)
    return x, y, w, np.zeros(4 * H, np.float32), wo, np.zeros(C, np.float32)


def graphflow_step(steps: int) -> tuple[Any, Callable[[], float]]:
    """(session, step function); the caller times the first ``step()``."""
    import graphflow as gf
    x_v, y_v, w_v, b_v, wo_v, bo_v = data(steps)
    g = gf.Graph()
    with g.as_default():
        x = gf.placeholder(gf.float32, (None, steps, D))
        y = gf.placeholder(gf.float32, (None, C))
        w, b = gf.Variable(w_v), gf.Variable(b_v)
        wo, bo = gf.Variable(wo_v), gf.Variable(bo_v)
        h = c = gf.zeros((B, H))
        for t in range(steps):
            z = gf.matmul(gf.concat([x[:, t, :], h], 1), w) + b
            i, j, f, o = gf.split(z, 4, axis=1)
            c = c * gf.sigmoid(f + 1.0) + gf.sigmoid(i) * gf.tanh(j)
            h = gf.tanh(c) * gf.sigmoid(o)
        logits = gf.matmul(h, wo) + bo
        loss = gf.reduce_mean(gf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
        train = gf.train.AdamOptimizer(1e-3).minimize(loss)
        init = gf.global_variables_initializer()
    sess = gf.Session(graph=g)
    sess.run(init)
    feed = {x: x_v, y: y_v}
    return sess, lambda: sess.run([loss, train], feed)[0]


def jax_step(steps: int) -> tuple[Callable[[], Any], Callable[[], float]] | None:
    """(compile, step) for the same maths under jax.jit, or None without JAX."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    x_v, y_v, w_v, b_v, wo_v, bo_v = data(steps)

    def loss_fn(params: Any, x: Any, y: Any) -> Any:
        w, b, wo, bo = params
        h = c = jnp.zeros((B, H), jnp.float32)
        for t in range(steps):
            z = jnp.concatenate([x[:, t, :], h], 1) @ w + b
            i, j, f, o = jnp.split(z, 4, axis=1)
            c = c * jax.nn.sigmoid(f + 1.0) + jax.nn.sigmoid(i) * jnp.tanh(j)
            h = jnp.tanh(c) * jax.nn.sigmoid(o)
        logits = h @ wo + bo
        return jnp.mean(-jnp.sum(y * jax.nn.log_softmax(logits), axis=1))

    def update(params: Any, m: Any, v: Any, k: Any, x: Any, y: Any) -> Any:
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        k = k + 1
        lr = 1e-3 * jnp.sqrt(1 - 0.999 ** k) / (1 - 0.9 ** k)
        m = [0.9 * a + 0.1 * g_ for a, g_ in zip(m, grads)]
        v = [0.999 * a + 0.001 * g_ * g_ for a, g_ in zip(v, grads)]
        params = [p - lr * a / (jnp.sqrt(s) + 1e-8) for p, a, s in zip(params, m, v)]
        return loss, params, m, v, k

    jitted = jax.jit(update)
    params = [jnp.asarray(a) for a in (w_v, b_v, wo_v, bo_v)]
    zeros = [jnp.zeros_like(p) for p in params]
    state = [params, zeros, list(zeros), jnp.float32(0)]
    xs, ys = jnp.asarray(x_v), jnp.asarray(y_v)

    def compile_() -> Any:
        return jitted.lower(state[0], state[1], state[2], state[3], xs, ys).compile()

    def step() -> float:
        loss, state[0], state[1], state[2], state[3] = jitted(*state, xs, ys)
        return loss

    return compile_, step
