"""The Session options TF1 scripts pass (``tf.ConfigProto``, ``tf.GPUOptions``, ``tf.RunOptions``,
``tf.RunMetadata``): accepted and kept as plain attributes, so ``config.gpu_options.allow_growth =
True`` and ``tf.Session(config=config)`` work. Sessions read ``device_count={"GPU": 0}`` (stay on the
CPU) and ``allow_soft_placement`` (no warning when a GPU placement falls back to the CPU); threads
follow the BLAS pools (README, "Threads")."""
from __future__ import annotations

from typing import Any

from graphflow.tf1.summary.writer import run_metadata_proto


class _Options:
    """Keyword arguments as attributes, over the defaults of the subclass."""

    _defaults: dict[str, Any] = {}

    def __init__(self, **kwargs: object) -> None:
        for k, v in {**self._defaults, **kwargs}.items():
            setattr(self, k, v)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


class GPUOptions(_Options):
    _defaults = {"allow_growth": False, "per_process_gpu_memory_fraction": 0.0, "visible_device_list": ""}


class ConfigProto(_Options):
    _defaults = {"allow_soft_placement": False, "log_device_placement": False, "intra_op_parallelism_threads": 0,
                 "inter_op_parallelism_threads": 0, "device_count": None}

    def __init__(self, gpu_options: GPUOptions | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.gpu_options = gpu_options if gpu_options is not None else GPUOptions()


class RunOptions(_Options):
    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = 0, 1, 2, 3
    _defaults = {"trace_level": 0}


class RunMetadata(_Options):
    """Filled by a traced run: ``step_stats`` lists every kernel call and host step of the run
    (``name``, ``op``, ``nodes`` it computes, ``kind``, ``start_us`` from the run's start,
    ``duration_us``); ``gf.timeline.Timeline(md.step_stats)`` turns it into a Chrome trace."""

    _defaults = {"step_stats": None}

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        if self.step_stats is None:
            self.step_stats = []

    def SerializeToString(self) -> bytes:  # noqa: N802 - the protobuf method TF1 scripts call
        """TF1's ``RunMetadata`` message (TensorBoard's step statistics) of this run."""
        return run_metadata_proto(self).SerializeToString()
