"""``tensorflow.python.layers``: TF1's internal home of ``tf.layers`` (``base``, ``core``)."""
