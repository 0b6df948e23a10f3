"""The TF1 two-layer network from "Learning PyTorch with Examples", run by graphflow.

The only change from the TensorFlow 1 script is the import line.
"""
import numpy as np

import graphflow as tf

# N is batch size; D_in is input dimension; H is hidden dimension; D_out is output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10

# Placeholders for the input and target data; filled with real data when the graph runs.
x = tf.placeholder(tf.float32, shape=(None, D_in))
y = tf.placeholder(tf.float32, shape=(None, D_out))

# Variables for the weights, initialised with random data.
tf.set_random_seed(0)
w1 = tf.Variable(tf.random_normal((D_in, H)))
w2 = tf.Variable(tf.random_normal((H, D_out)))

# Forward pass: this only builds the graph; nothing is computed yet.
h = tf.matmul(x, w1)
h_relu = tf.maximum(h, tf.zeros(1))
y_pred = tf.matmul(h_relu, w2)

# Loss, and its gradients with respect to w1 and w2.
loss = tf.reduce_sum((y - y_pred) ** 2.0)
grad_w1, grad_w2 = tf.gradients(loss, [w1, w2])

# The weight update is part of the graph: running new_w1 / new_w2 assigns to the variables.
learning_rate = 1e-6
new_w1 = w1.assign(w1 - learning_rate * grad_w1)
new_w2 = w2.assign(w2 - learning_rate * grad_w2)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    rng = np.random.RandomState(0)
    x_value = rng.randn(N, D_in)
    y_value = rng.randn(N, D_out)
    for t in range(500):
        # One native call per step: forward, gradients and both assignments.
        loss_value, _, _ = sess.run([loss, new_w1, new_w2], feed_dict={x: x_value, y: y_value})
        if t % 50 == 0 or t == 499:
            print(t, loss_value)
