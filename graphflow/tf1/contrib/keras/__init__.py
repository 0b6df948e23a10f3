"""``tf.contrib.keras`` (TF 1.15): only its ``initializers`` whose definition is the same as
``tf.initializers``' (He, Glorot and LeCun variance scaling). The rest is Keras (issue 25)."""
from graphflow.tf1.contrib.keras import initializers

__all__ = ["initializers"]
