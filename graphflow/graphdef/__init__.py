"""Graph files: TF1's ``GraphDef`` protobuf in both directions (``export`` and ``importer``, one
translation table each; ``summary_rules`` adds the summary ops to both, ``mask_rules`` boolean
masks and variable readiness, ``session_rules`` the session tensors), the picture TensorBoard
shows (``display``) and ``graph_util``."""

from graphflow.graphdef import mask_rules as _mask_rules  # noqa: E402,F401  (registers both ways)
from graphflow.graphdef import session_rules as _session_rules  # noqa: E402,F401  (registers both ways)
from graphflow.graphdef import summary_rules as _summary_rules  # noqa: E402,F401  (registers both ways)
