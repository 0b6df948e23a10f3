"""``tf.io`` and ``tf.python_io``: files (gfile), TFRecord files, tf.train.Example and its parsing."""
from graphflow.tf1.python.platform import gfile

# names TF1 also has at the top level (tf.parse_example, tf.FixedLenFeature...)
TOP_LEVEL: dict[str, object] = {}
