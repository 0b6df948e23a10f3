"""``from tensorflow.python.framework import test_util``: ``TensorFlowTestCase`` (``tf.test.TestCase``)
and the rest of ``tf.test``."""
from graphflow.tf1.python._view import view

view(__name__, 'test', aliases={"TensorFlowTestCase": "test.TestCase"})
