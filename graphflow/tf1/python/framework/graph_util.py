"""``from tensorflow.python.framework import graph_util``: graphflow's ``tf.graph_util``
(``convert_variables_to_constants``, ``extract_sub_graph``, ``remove_training_nodes``...)."""
from graphflow.tf1.python._view import view

view(__name__, 'graph_util')
