"""``tensorflow.python.graph_util`` (TF1's ``tensorflow.python`` re-exported ``framework.graph_util``)."""
from graphflow.tf1.python._view import view

view(__name__, 'graph_util')
