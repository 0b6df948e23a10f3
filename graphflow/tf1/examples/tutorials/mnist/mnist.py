"""``tensorflow.examples.tutorials.mnist.mnist``: the "TensorFlow Mechanics 101" model TF1's
``fully_connected_feed.py`` builds — two ReLU hidden layers and a linear softmax layer
(``hidden1/weights``...), its loss, training op and count of correct predictions."""
from __future__ import annotations

import math

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Operation, Tensor
from graphflow.ops.activation_ops import relu
from graphflow.ops.elementwise_ops import to_int64
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.math_ops import add, cast
from graphflow.ops.nn_ops import in_top_k
from graphflow.ops.reduce_ops import reduce_sum
from graphflow.ops.state_ops import truncated_normal, zeros
from graphflow.ops.variables import Variable
from graphflow.tf1 import summary
from graphflow.tf1.graph_functions import name_scope
from graphflow.tf1.losses import sparse_softmax_cross_entropy
from graphflow.tf1.train.optimizers import GradientDescentOptimizer

__all__ = ["IMAGE_PIXELS", "IMAGE_SIZE", "NUM_CLASSES", "evaluation", "inference", "loss", "training"]

NUM_CLASSES = 10
IMAGE_SIZE = 28
IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE


def _layer(scope: str, inputs: Tensor, fan_in: int, units: int) -> Tensor:
    with name_scope(scope):
        weights = Variable(truncated_normal([fan_in, units], stddev=1.0 / math.sqrt(float(fan_in))), name="weights")
        biases = Variable(zeros([units]), name="biases")
        return add(matmul(inputs, weights), biases)


def inference(images: Tensor, hidden1_units: int, hidden2_units: int) -> Tensor:
    """The logits of ``[batch, 784]`` images through two ReLU layers and a linear one."""
    hidden1 = relu(_layer("hidden1", images, IMAGE_PIXELS, hidden1_units))
    hidden2 = relu(_layer("hidden2", hidden1, hidden1_units, hidden2_units))
    return _layer("softmax_linear", hidden2, hidden2_units, NUM_CLASSES)


def loss(logits: Tensor, labels: Tensor) -> Tensor:
    """The mean sparse softmax cross entropy against the int labels."""
    return sparse_softmax_cross_entropy(labels=to_int64(labels), logits=logits)


def training(loss: Tensor, learning_rate: float) -> Operation:
    """A gradient-descent step that counts ``global_step``, with a ``loss`` summary."""
    summary.scalar("loss", loss)
    global_step = Variable(0, name="global_step", trainable=False)
    return GradientDescentOptimizer(learning_rate).minimize(loss, global_step=global_step)


def evaluation(logits: Tensor, labels: Tensor) -> Tensor:
    """How many of the batch's top predictions are the labels (int32)."""
    return reduce_sum(cast(in_top_k(logits, labels, 1), _dt.int32))
