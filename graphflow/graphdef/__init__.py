"""Graph files: TF1's ``GraphDef`` protobuf in both directions (``export`` and ``importer``, one
translation table each; ``summary_rules`` adds the summary ops to both, ``mask_rules`` boolean
masks and variable readiness, ``random_rules`` random draws, ``session_rules`` session tensor
handles, ``math_rules`` the imports of TF1 math ops graphflow composes), the picture TensorBoard
shows (``display``) and ``graph_util``."""

from graphflow.graphdef import codec_rules as _codec_rules  # noqa: E402,F401  (registers both ways)
from graphflow.graphdef import mask_rules as _mask_rules  # noqa: E402,F401  (registers both ways)
from graphflow.graphdef import math_rules as _math_rules  # noqa: E402,F401  (registers imports)
from graphflow.graphdef import queue_rules as _queue_rules  # noqa: E402,F401  (registers both ways)
from graphflow.graphdef import random_rules as _random_rules  # noqa: E402,F401  (registers both ways)
from graphflow.graphdef import resource_rules as _resource_rules  # noqa: E402,F401  (registers imports)
from graphflow.graphdef import session_rules as _session_rules  # noqa: E402,F401  (registers both ways)
from graphflow.graphdef import summary_rules as _summary_rules  # noqa: E402,F401  (registers both ways)
