"""Acceptance: the tutorial two-layer net, trained 500 steps from given weights, matches a plain
numpy implementation of the same maths step by step (float32)."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

import graphflow as tf

N, D_IN, H, D_OUT = 64, 1000, 100, 10
LR = 1e-6
FLOAT32_FLOOR = 1e-9  # fraction of the initial loss below which float32 GEMM rounding dominates


def _numpy_step(x, y, w1, w2):  # type: ignore[no-untyped-def]
    h = x @ w1
    h_relu = np.maximum(h, np.float32(0))
    y_pred = h_relu @ w2
    diff = y - y_pred
    loss = np.sum(diff.astype(np.float64) ** 2)
    grad_y_pred = np.float32(-2.0) * diff
    grad_w2 = h_relu.T @ grad_y_pred
    grad_h = (grad_y_pred @ w2.T) * (h >= 0)
    grad_w1 = x.T @ grad_h
    return loss, w1 - np.float32(LR) * grad_w1, w2 - np.float32(LR) * grad_w2


def test_two_layer_net_matches_numpy_for_500_steps() -> None:
    rng = np.random.RandomState(1)
    x_value = rng.randn(N, D_IN).astype(np.float32)
    y_value = rng.randn(N, D_OUT).astype(np.float32)
    w1_0 = rng.randn(D_IN, H).astype(np.float32)
    w2_0 = rng.randn(H, D_OUT).astype(np.float32)

    x = tf.placeholder(tf.float32, shape=(None, D_IN))
    y = tf.placeholder(tf.float32, shape=(None, D_OUT))
    w1 = tf.Variable(tf.random_normal((D_IN, H)))
    w2 = tf.Variable(tf.random_normal((H, D_OUT)))
    h = tf.matmul(x, w1)
    h_relu = tf.maximum(h, tf.zeros(1))
    y_pred = tf.matmul(h_relu, w2)
    loss = tf.reduce_sum((y - y_pred) ** 2.0)
    grad_w1, grad_w2 = tf.gradients(loss, [w1, w2])
    new_w1 = w1.assign(w1 - LR * grad_w1)
    new_w2 = w2.assign(w2 - LR * grad_w2)

    nw1, nw2 = w1_0.copy(), w2_0.copy()
    worst = 0.0
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w1.load(w1_0, sess)
        w2.load(w2_0, sess)
        for step in range(500):
            loss_value, got_w1, got_w2 = sess.run([loss, new_w1, new_w2], {x: x_value, y: y_value})
            # numpy takes the same step from the same weights: each step's maths is compared, not
            # two float32 trajectories whose rounding differences compound as the loss nears zero
            want, nw1, nw2 = _numpy_step(x_value, y_value, nw1, nw2)
            if step == 0:
                floor = want * FLOAT32_FLOOR
            # Once the loss is ~1e-9 of its start, the residuals y - y_pred are below the float32
            # rounding of the GEMM sums that produce y_pred, in any implementation (two BLAS
            # builds disagree there by more than 1e-3); errors are then measured against that floor.
            rel = abs(float(loss_value) - want) / max(abs(want), floor)
            worst = max(worst, rel)
            assert rel < 1e-3, f"step {step}: loss {loss_value} vs numpy {want}"
            for got, ref in ((got_w1, nw1), (got_w2, nw2)):
                err = np.max(np.abs(got - ref)) / np.max(np.abs(ref))
                assert err < 1e-3, f"step {step}: weights differ by {err:.2e} (relative)"
            nw1, nw2 = got_w1, got_w2
    assert worst < 1e-3
    assert loss_value < 1e-2 * _numpy_step(x_value, y_value, w1_0, w2_0)[0]


def test_example_script_runs() -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, os.path.join(root, "examples", "two_layer_net.py")],
                         capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert out.returncode == 0, out.stderr
    lines = [ln.split() for ln in out.stdout.strip().splitlines()]
    first, last = float(lines[0][1]), float(lines[-1][1])
    assert lines[-1][0] == "499"
    assert last < first * 1e-3
