"""``from tensorflow.python.framework import importer``: ``importer.import_graph_def``."""
from graphflow.tf1.python._view import view

view(__name__, '')
