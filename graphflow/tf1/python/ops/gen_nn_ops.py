"""``from tensorflow.python.ops import gen_nn_ops``: TF1's generated wrappers of the raw nn ops,
resolved to graphflow's ``tf.nn`` functions of the same name (``gen_nn_ops.relu``, ``.bias_add``,
``.max_pool``...), then ``tf.``'s."""
from graphflow.tf1.python._view import view

view(__name__, 'nn', '')
