"""TF1's platform utilities: ``tf.app``, ``tf.flags``, ``tf.gfile`` and ``tf.logging``."""
