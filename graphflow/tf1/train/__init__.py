"""``gf.train``: optimizers, learning-rate schedules, the global step, checkpoints and the monitored
training loops (``MonitoredTrainingSession`` and its hooks, ``Supervisor``)."""
from __future__ import annotations

from graphflow.graphdef.meta_graph import export_meta_graph  # noqa: F401,E402
from graphflow.graphdef.util import write_graph  # noqa: F401,E402
from graphflow.tf1.summary.writer import summary_iterator  # noqa: F401
from graphflow.tf1.train.checkpoint_utils import *  # noqa: F401,F403
from graphflow.tf1.train.coordinator import *  # noqa: F401,F403
from graphflow.tf1.train.monitored import *  # noqa: F401,F403
from graphflow.tf1.train.moving_averages import ExponentialMovingAverage  # noqa: F401
from graphflow.tf1.train.optimizers import *  # noqa: F401,F403
from graphflow.tf1.train.proximal_optimizers import *  # noqa: F401,F403
from graphflow.tf1.train.saver import *  # noqa: F401,F403
from graphflow.tf1.train.saver_def import saver_def_class as _saver_def_class
from graphflow.tf1.train.session_manager import *  # noqa: F401,F403
from graphflow.tf1.train.step_hooks import *  # noqa: F401,F403
from graphflow.tf1.train.supervisor import *  # noqa: F401,F403

_EXAMPLE_PROTOS = ("Example", "SequenceExample", "Features", "Feature", "FeatureList", "FeatureLists",
                   "BytesList", "FloatList", "Int64List")


def __getattr__(name: str) -> object:
    """``tf.train.SaverDef``: TF's protobuf message class, loaded when first used (the optional
    ``tensorboard`` package ships it)."""
    if name == "SaverDef":
        return _saver_def_class()
    if name in _EXAMPLE_PROTOS:  # tf.train.Example...: protobuf classes, built when first used
        from graphflow.formats import example_protos
        return getattr(example_protos, name)
    raise AttributeError(f"module 'graphflow.train' has no attribute {name!r}")
