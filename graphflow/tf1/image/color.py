"""tf.image's colour: conversions, adjustments (random and not), standardization, quality
measures (graphflow/ops/image_color.py) and the codecs (graphflow/ops/image_codecs.py)."""
from graphflow.ops.image_codecs import *  # noqa: F403
from graphflow.ops.image_codecs import __all__ as _codecs
from graphflow.ops.image_color import *  # noqa: F403
from graphflow.ops.image_color import __all__ as _color

__all__: list[str] = [*_color, *_codecs]
