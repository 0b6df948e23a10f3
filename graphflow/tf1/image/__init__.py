"""``tf.image``: decoding and encoding, resizing, crops and pads, flips and rotations, colour
adjustments (random and not), patches and non-max suppression, as TF 1.15 has them."""
from graphflow.tf1.image.color import *  # noqa: F403
from graphflow.tf1.image.geometry import *  # noqa: F403
