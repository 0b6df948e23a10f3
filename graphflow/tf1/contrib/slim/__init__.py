"""``tf.contrib.slim`` (TF 1.15): the layers and ``arg_scope`` of ``tf.contrib.layers`` and
``tf.contrib.framework`` under one name, as slim-style scripts import them
(``slim = tf.contrib.slim``; ``slim.conv2d``, ``slim.arg_scope``, ``slim.get_variables_to_restore``,
``slim.utils.convert_collection_to_dict``). The ``losses`` are TF1's core ones; ``metrics`` adds
contrib's ``streaming_`` names and ``aggregate_metric_map``. ``learning`` is slim's training loop,
``evaluation`` its evaluation loop, ``model_analyzer`` its parameter count; ``initializers`` and
``init_ops`` are the modules slim re-exports. Its model zoo (``nets``) and TFRecord readers
(``data``) are not here."""
from graphflow.tf1 import losses  # noqa: F401
from graphflow.tf1.contrib.framework import *  # noqa: F403
from graphflow.tf1.contrib.framework import __all__ as _framework_names
from graphflow.tf1.contrib.layers import *  # noqa: F403
from graphflow.tf1.contrib.layers import __all__ as _layer_names
from graphflow.tf1.contrib.layers import utils  # noqa: F401
from graphflow.tf1.contrib.slim import evaluation, initializers, learning, metrics, model_analyzer  # noqa: F401
from graphflow.tf1.python.ops import init_ops  # noqa: F401

__all__ = sorted({*_framework_names, *_layer_names, "evaluation", "init_ops", "initializers", "learning", "losses",
                  "metrics", "model_analyzer", "utils"})  # noqa: PLE0605
