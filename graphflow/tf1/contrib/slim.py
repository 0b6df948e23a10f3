"""``tf.contrib.slim`` (TF 1.15): the layers and ``arg_scope`` of ``tf.contrib.layers`` and
``tf.contrib.framework`` under one name, as slim-style scripts import them
(``slim = tf.contrib.slim``; ``slim.conv2d``, ``slim.arg_scope``, ``slim.get_variables_to_restore``,
``slim.utils.convert_collection_to_dict``). The ``losses`` and ``metrics`` are TF1's core ones.
slim's training loop (``slim.learning``), its evaluation loop and its model zoo are not here."""
from graphflow.tf1 import losses, metrics  # noqa: F401
from graphflow.tf1.contrib.framework import *  # noqa: F403
from graphflow.tf1.contrib.framework import __all__ as _framework_names
from graphflow.tf1.contrib.layers import *  # noqa: F403
from graphflow.tf1.contrib.layers import __all__ as _layer_names
from graphflow.tf1.contrib.layers import utils  # noqa: F401

__all__ = sorted({*_framework_names, *_layer_names, "losses", "metrics", "utils"})  # noqa: PLE0605
