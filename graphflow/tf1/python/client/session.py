"""``from tensorflow.python.client import session``: ``session.Session``, ``InteractiveSession``."""
from graphflow.tf1.python._view import view

view(__name__, '')
