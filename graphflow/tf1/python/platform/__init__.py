"""``tensorflow.python.platform``: ``app`` (``tf.app.run``), ``flags`` (absl's, as TF1 wraps them),
``gfile`` (``tf.gfile``) and ``tf_logging`` (``tf.logging``)."""
