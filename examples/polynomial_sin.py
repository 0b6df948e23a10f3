"""Fit sin(x) on [-pi, pi] with y = a + b x + c x^2 + d x^3, by gradient descent on the sum of
squared errors (the classic warm-up, written as a TF1 graph).

    python examples/polynomial_sin.py
"""
from __future__ import annotations

import argparse
import math

import numpy as np

import graphflow as tf


def main(steps: int = 2000, seed: int = 0, verbose: bool = True) -> dict:
    x_value = np.linspace(-math.pi, math.pi, 2000, dtype=np.float32)
    y_value = np.sin(x_value)
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None])
        y = tf.placeholder(tf.float32, [None])
        a, b, c, d = (tf.Variable(tf.random_normal([]), name=n) for n in "abcd")
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = tf.reduce_sum(tf.square(y_pred - y))
        train = tf.train.GradientDescentOptimizer(1e-6).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for t in range(steps):
                _, l = sess.run([train, loss], {x: x_value, y: y_value})
                if verbose and t % 100 == 99:
                    print(t, l)
            coeffs = sess.run([a, b, c, d])
    if verbose:
        print("Result: y = {:.4f} + {:.4f} x + {:.4f} x^2 + {:.4f} x^3".format(*coeffs))
    return {"loss": float(l), "coefficients": [float(v) for v in coeffs]}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=2000)
    main(p.parse_args().steps)
