"""The unrolled-LSTM training graph of the compile-time benchmark, for graphflow (and TF1, which runs
the same TF1-API builder) and JAX.

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


def tf_api_step(tf: Any, steps: int, session: Callable[[Any], Any]) -> tuple[Any, Callable[[], float]]:
    """(session, step function) for the graph written in the TF1 API: ``tf`` is graphflow or
    tensorflow.compat.v1, ``session(graph)`` makes the Session; the caller times the first ``step()``."""
    x_v, y_v, w_v, b_v, wo_v, bo_v = data(steps)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, (None, steps, D))
        y = tf.placeholder(tf.float32, (None, C))
        w, b = tf.Variable(w_v), tf.Variable(b_v)
        wo, bo = tf.Variable(wo_v), tf.Variable(bo_v)
        h = c = tf.zeros((B, H))
        for t in range(steps):
            z = tf.matmul(tf.concat([x[:, t, :], h], 1), w) + b
            i, j, f, o = tf.split(z, 4, axis=1)
            c = c * tf.sigmoid(f + 1.0) + tf.sigmoid(i) * tf.tanh(j)
            h = tf.tanh(c) * tf.sigmoid(o)
        logits = tf.matmul(h, wo) + bo
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
        train = tf.train.AdamOptimizer(1e-3).minimize(loss)
        init = tf.global_variables_initializer()
    sess = session(g)
    sess.run(init)
    feed = {x: x_v, y: y_v}
    return sess, lambda: sess.run([loss, train], feed)[0]


def graphflow_step(steps: int) -> tuple[Any, Callable[[], float]]:
    """(session, step function); the caller times the first ``step()``."""
    import graphflow as gf
    return tf_api_step(gf, steps, lambda g: gf.Session(graph=g))


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
