"""``tf.contrib.keras.initializers``: the variance-scaling ones, which Keras defines exactly as
``tf.initializers`` does (``he_normal`` is ``VarianceScaling(2.0, "fan_in", "truncated_normal")``).
Keras' ``RandomNormal`` / ``RandomUniform`` (other default ranges than TF1's) are not here."""
from graphflow.ops.init_extras import (  # noqa: F401
    he_normal,
    he_uniform,
    lecun_normal,
    lecun_uniform,
)
from graphflow.ops.variables import glorot_normal_initializer as glorot_normal
from graphflow.ops.variables import glorot_uniform_initializer as glorot_uniform

__all__ = ["glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform"]
