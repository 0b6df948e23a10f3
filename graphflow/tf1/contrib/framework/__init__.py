"""``tf.contrib.framework`` (TF 1.15): ``arg_scope`` and the layer-function decorator, the model
variable helpers slim scripts use (``model_variable``, ``get_variables_to_restore``,
``assign_from_checkpoint_fn``...), the global step, checkpoint readers, and ``nest``."""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.core.ir import Tensor, get_default_graph
from graphflow.ops.check_ops import assert_same_float_dtype, assert_scalar
from graphflow.ops.index_ops import argsort, sort
from graphflow.ops.math_ops import add_n
from graphflow.ops.misc_ops import is_tensor
from graphflow.ops.py_func_ops import py_func
from graphflow.ops.reduce_ops import reduce_sum
from graphflow.tf1.contrib.framework.arg_scope import (
    add_arg_scope,
    arg_scope,
    arg_scope_func_key,
    arg_scoped_arguments,
    current_arg_scope,
    has_arg_scope,
)
from graphflow.tf1.contrib.framework.tensor_utils import (
    assert_scalar_int,
    deprecated,
    deprecated_arg_values,
    deprecated_args,
    get_graph_from_inputs,
    get_placeholders,
    prepend_name_scope,
    remove_squeezable_dimensions,
    smart_case,
    smart_cond,
    smart_constant_value,
    strip_name_scope,
    with_same_shape,
    with_shape,
)
from graphflow.tf1.contrib.framework.variables import (
    VariableDeviceChooser,
    add_model_variable,
    assign_from_checkpoint,
    assign_from_checkpoint_fn,
    assign_from_values,
    assign_from_values_fn,
    filter_variables,
    get_local_variables,
    get_model_variables,
    get_trainable_variables,
    get_unique_variable,
    get_variable_full_name,
    get_variables,
    get_variables_by_name,
    get_variables_by_suffix,
    get_variables_to_restore,
    global_variable,
    local_variable,
    model_variable,
    variable,
    zero_initializer,
)
from graphflow.tf1.critical_section import CriticalSection
from graphflow.tf1.framework_utils import convert_to_tensor_or_sparse_tensor
from graphflow.tf1.python.util import nest
from graphflow.tf1.train.checkpoint_utils import init_from_checkpoint, load_checkpoint
from graphflow.tf1.train.saver import list_variables, load_variable
from graphflow.tf1.train.schedules import (
    assert_global_step,
    create_global_step,
    get_global_step,
    get_or_create_global_step,
)

__all__ = ["CriticalSection", "VariableDeviceChooser",
           "add_arg_scope", "add_model_variable", "arg_scope", "arg_scope_func_key",
           "arg_scoped_arguments", "argsort", "assert_global_step", "assert_or_get_global_step",
           "assert_same_float_dtype", "assert_scalar", "assert_scalar_int", "assign_from_checkpoint",
           "convert_to_tensor_or_sparse_tensor", "deprecated", "deprecated_arg_values", "deprecated_args",
           "get_graph_from_inputs", "get_placeholders", "is_tensor", "prepend_name_scope", "py_func",
           "remove_squeezable_dimensions", "smart_case", "smart_cond", "smart_constant_value", "sort",
           "strip_name_scope", "with_same_shape", "with_shape",
           "assign_from_checkpoint_fn", "assign_from_values", "assign_from_values_fn", "create_global_step",
           "current_arg_scope", "filter_variables", "get_global_step", "get_local_variables", "get_model_variables",
           "get_name_scope", "get_or_create_global_step", "get_trainable_variables", "get_unique_variable",
           "get_variable_full_name", "get_variables", "get_variables_by_name", "get_variables_by_suffix",
           "get_variables_to_restore", "global_variable", "has_arg_scope", "init_from_checkpoint", "list_variables",
           "load_checkpoint", "load_variable", "local_variable", "model_variable", "nest", "reduce_sum_n",
           "variable", "zero_initializer"]


def assert_or_get_global_step(graph: object = None, global_step_tensor: Tensor | None = None) -> Tensor | None:
    """``global_step_tensor`` checked to be a global step, or the graph's global step (None if none)."""
    if global_step_tensor is None:
        return get_global_step(graph)  # type: ignore[arg-type]
    assert_global_step(global_step_tensor)
    return global_step_tensor


def get_name_scope() -> str:
    """The current name scope (``"outer/inner"``; empty at the top)."""
    return get_default_graph().get_name_scope()


def reduce_sum_n(tensors: Sequence[Tensor], name: str | None = None) -> Tensor:
    """The sum of the tensors' sums (a scalar)."""
    if not tensors:
        raise ValueError("No tensors provided.")
    sums = [reduce_sum(t) for t in tensors]
    return sums[0] if len(sums) == 1 else add_n(sums, name=name)
