"""``tf.contrib.data`` (TF 1.15): the transformations it kept beside ``tf.data.experimental``
(``map_and_batch``, ``shuffle_and_repeat``, ``get_single_element``). Its interleaves, readers and
resamplers are not here (issue 24)."""
from graphflow.tf1.data.experimental import AUTOTUNE, get_single_element, map_and_batch, shuffle_and_repeat

__all__ = ["AUTOTUNE", "get_single_element", "map_and_batch", "shuffle_and_repeat"]
