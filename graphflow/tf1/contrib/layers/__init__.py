"""``tf.contrib.layers`` (TF 1.15): the layer functions (``conv2d``, ``fully_connected``,
``max_pool2d``, ``batch_norm``, ``repeat``, ``stack``...), each an ``arg_scope`` function making
model variables under TF1's scopes and names; regularizers and initializers; ``optimize_loss``;
summaries; embedding encoders. Its feature columns (``real_valued_column``...) are tf.estimator's
world (issue 25) and not here; nor is ``GDN``.

    from graphflow.contrib import layers
    from graphflow.contrib.framework import arg_scope
    with arg_scope([layers.conv2d], padding="VALID"):
        net = layers.conv2d(images, 32, [3, 3], scope="conv1")
"""
from graphflow.ops.sparse_embedding import safe_embedding_lookup_sparse
from graphflow.tf1.contrib.framework.arg_scope import add_arg_scope
from graphflow.tf1.contrib.layers import summaries, utils
from graphflow.tf1.contrib.layers.convolution import (
    bias_add,
    conv1d,
    conv2d,
    conv2d_in_plane,
    conv2d_transpose,
    conv3d,
    conv3d_transpose,
    convolution,
    convolution1d,
    convolution2d,
    convolution2d_in_plane,
    convolution2d_transpose,
    convolution3d,
    convolution3d_transpose,
    elu,
    fully_connected,
    legacy_fully_connected,
    legacy_linear,
    legacy_relu,
    linear,
    relu,
    relu6,
    separable_conv2d,
    separable_convolution2d,
)
from graphflow.tf1.contrib.layers.encoders import bow_encoder, embed_sequence, embedding_lookup_unique
from graphflow.tf1.contrib.layers.gdn import GDN, gdn
from graphflow.tf1.contrib.layers.normalization import batch_norm, group_norm, instance_norm, layer_norm
from graphflow.tf1.contrib.layers.optimizers import OPTIMIZER_CLS_NAMES, OPTIMIZER_SUMMARIES, optimize_loss
from graphflow.tf1.contrib.layers.regularizers import (
    apply_regularization,
    l1_l2_regularizer,
    l1_regularizer,
    l2_regularizer,
    sum_regularizer,
    variance_scaling_initializer,
    xavier_initializer,
    xavier_initializer_conv2d,
)
from graphflow.tf1.contrib.layers.rev_block import RevBlock, rev_block
from graphflow.tf1.contrib.layers.shaping import (
    avg_pool2d,
    avg_pool3d,
    dense_to_sparse,
    dropout,
    flatten,
    images_to_sequence,
    max_pool2d,
    max_pool3d,
    maxout,
    one_hot_encoding,
    poincare_normalize,
    pool,
    repeat,
    scale_gradient,
    sequence_to_images,
    softmax,
    spatial_softmax,
    stack,
    unit_norm,
)
from graphflow.tf1.contrib.layers.summaries import (
    summarize_activation,
    summarize_activations,
    summarize_biases,
    summarize_collection,
    summarize_tensor,
    summarize_tensors,
    summarize_variables,
    summarize_weights,
)
from graphflow.tf1.gradient_registry import recompute_grad

__all__ = [
    "GDN", "OPTIMIZER_CLS_NAMES", "OPTIMIZER_SUMMARIES", "RevBlock", "add_arg_scope", "apply_regularization",
    "avg_pool2d", "avg_pool3d", "batch_norm", "bias_add", "bow_encoder", "conv1d", "conv2d", "conv2d_in_plane",
    "conv2d_transpose", "conv3d", "conv3d_transpose", "convolution", "convolution1d", "convolution2d",
    "convolution2d_in_plane", "convolution2d_transpose", "convolution3d", "convolution3d_transpose",
    "dense_to_sparse", "dropout", "elu", "embed_sequence", "embedding_lookup_unique", "flatten", "fully_connected",
    "gdn", "group_norm", "images_to_sequence", "instance_norm", "l1_l2_regularizer", "l1_regularizer",
    "l2_regularizer", "layer_norm", "legacy_fully_connected", "legacy_linear", "legacy_relu", "linear",
    "max_pool2d", "max_pool3d", "maxout", "one_hot_encoding", "optimize_loss", "poincare_normalize", "pool",
    "recompute_grad", "relu", "relu6", "repeat", "rev_block", "safe_embedding_lookup_sparse", "scale_gradient",
    "separable_conv2d", "separable_convolution2d", "sequence_to_images", "softmax", "spatial_softmax", "stack",
    "sum_regularizer", "summaries", "summarize_activation", "summarize_activations", "summarize_biases",
    "summarize_collection", "summarize_tensor", "summarize_tensors", "summarize_variables", "summarize_weights",
    "unit_norm", "utils", "variance_scaling_initializer", "xavier_initializer", "xavier_initializer_conv2d",
]
