"""The Session options TF1 scripts pass (``tf.ConfigProto``, ``tf.GPUOptions``, ``tf.GraphOptions``,
``tf.OptimizerOptions`` (XLA's ``global_jit_level`` included), ``tf.RunOptions``,
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


class OptimizerOptions(_Options):
    """TF1's graph optimizer and XLA settings: accepted (graphflow compiles every graph anyway)."""

    L1, L0 = 0, -1  # opt_level
    DEFAULT, OFF, ON_1, ON_2 = 0, -1, 1, 2  # global_jit_level
    _defaults = {"do_common_subexpression_elimination": False, "do_constant_folding": False, "opt_level": 0,
                 "do_function_inlining": False, "global_jit_level": 0, "max_folded_constant_in_bytes": 0,
                 "cpu_global_jit": False}


class GraphOptions(_Options):
    _defaults = {"enable_recv_scheduling": False, "build_cost_model": 0, "build_cost_model_after": 0,
                 "infer_shapes": False, "place_pruned_graph": False, "enable_bfloat16_sendrecv": False,
                 "timeline_step": 0, "rewrite_options": None}

    def __init__(self, optimizer_options: OptimizerOptions | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.optimizer_options = optimizer_options if optimizer_options is not None else OptimizerOptions()


class ConfigProto(_Options):
    _defaults = {"allow_soft_placement": False, "log_device_placement": False, "intra_op_parallelism_threads": 0,
                 "inter_op_parallelism_threads": 0, "device_count": None, "operation_timeout_in_ms": 0,
                 "use_per_session_threads": False, "placement_period": 0, "device_filters": (),
                 "isolate_session_state": False, "session_inter_op_thread_pool": ()}

    def __init__(self, gpu_options: GPUOptions | None = None, graph_options: GraphOptions | None = None,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.gpu_options = gpu_options if gpu_options is not None else GPUOptions()
        self.graph_options = graph_options if graph_options is not None else GraphOptions()


class RunOptions(_Options):
    NO_TRACE, SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE = 0, 1, 2, 3
    _defaults = {"trace_level": 0, "timeout_in_ms": 0}  # (the longest a blocking queue op waits)


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
