"""graphflow: a compiled static-graph deep learning framework with the TF1 graph API.

    import graphflow as tf   # TF1 graph-mode scripts run unchanged
"""
from __future__ import annotations

import sys as _sys

from graphflow import public_paths as _public_paths

_public_paths.install()  # graphflow.train, graphflow.optim, ... name the modules in tf1/ and torch_style/
from graphflow.core import errors
from graphflow.core.autodiff import gradients
from graphflow.ops.gradient_ops import hessians
from graphflow.core.dtypes import (DType, as_dtype, bool_ as bool, float16, float32, float64,  # noqa: A004
                                   int8, int16, int32, int64, string, uint8)
from graphflow.core.ir import (Graph, Operation, Tensor, convert_to_tensor, get_default_graph,
                               reset_default_graph)
from graphflow.ops.linalg_ops import matmul
from graphflow.ops.linalg_ops import diag, diag_part, einsum, eye, matrix_transpose, tensordot, trace
from graphflow.ops.math_ops import (abs, add, add_n, clip_by_value, cos, div, divide,  # noqa: A004
                                    equal, exp, floor_div, floordiv, floormod, greater,
                                    greater_equal, identity, less, less_equal, log, log1p,
                                    logical_and, logical_not, logical_or, maximum, minimum, mod,
                                    multiply, negative, not_equal, pow, realdiv, reciprocal, rsqrt,
                                    scalar_mul, sigmoid, sign, sin, sqrt, square, stop_gradient,
                                    subtract, tanh, to_float, truediv, where_v1 as where, floor, ceil, round, rint,
                                    tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, to_double,
                                    to_int32, to_int64, squared_difference, where as where_v2)
from graphflow.ops.reduce_ops import (broadcast_to, reduce_all, reduce_any,
                                      reduce_logsumexp, reduce_max, reduce_mean, reduce_min,
                                      reduce_prod, reduce_sum)
from graphflow.ops.shape_ops import rank, reshape, shape, size, squeeze
from graphflow.ops.state_ops import (constant, fill, group, linspace, no_op, ones, ones_like,
                                     placeholder, placeholder_with_default, random_normal,
                                     random_uniform, range, set_random_seed, truncated_normal,  # noqa: A004
                                     zeros, zeros_like)
from graphflow.ops.string_ops import as_string, reduce_join, string_join, substr
from graphflow.ops.string_ops import to_number as string_to_number
from graphflow.ops.string_hash_ops import (fingerprint, string_to_hash_bucket, string_to_hash_bucket_fast,
                                           string_to_hash_bucket_strong)
from graphflow.ops.string_pattern_ops import decode_base64, encode_base64, regex_replace
from graphflow.ops.string_split_ops import string_split
from graphflow.ops.logging_ops import Print
from graphflow.ops.logging_ops import print_ as print  # noqa: A004
from graphflow.tf1 import strings  # noqa: E402
from graphflow.ops.check_ops import (Assert, add_check_numerics_ops, assert_equal, assert_greater,
                                     assert_greater_equal, assert_less, assert_less_equal,
                                     assert_negative, assert_non_negative, assert_non_positive,
                                     assert_none_equal, assert_positive, assert_rank, assert_type,
                                     check_numerics, verify_tensor_all_finite)
from graphflow.ops.check_ops import is_variable_initialized
from graphflow.ops.variables import assert_variables_initialized, report_uninitialized_variables
from graphflow.ops.check_ops import (assert_integer, assert_near, assert_rank_at_least, assert_rank_in,
                                     assert_same_float_dtype, assert_scalar, is_non_decreasing,
                                     is_numeric_tensor, is_strictly_increasing)
from graphflow.tf1 import debugging  # noqa: E402
from graphflow.tf1.debugging import assert_proper_iterable  # noqa: E402
from graphflow.ops.special_ops import (digamma, erf, erfc, expm1, is_finite, is_inf, is_nan, lgamma,
                                       log_sigmoid, truncatediv, truncatemod, xlogy)
from graphflow.ops.solve_ops import (cholesky, matrix_band_part, matrix_determinant, matrix_inverse,
                                     matrix_solve, norm)
from graphflow.ops.decomposition_ops import qr, self_adjoint_eig, self_adjoint_eigvals, svd
from graphflow.ops.factor_ops import sqrtm as matrix_square_root
from graphflow.ops.bitcast_ops import bitcast
from graphflow.ops.linalg_extras import cholesky_solve, matrix_solve_ls, norm  # noqa: F811  (matrix norms too)
from graphflow.ops.index_ops import (argsort, meshgrid, segment_max, segment_mean,
                                     segment_min, segment_prod, segment_sum, sequence_mask,
                                     sort, scatter_nd, unsorted_segment_max, unsorted_segment_mean,
                                     unsorted_segment_min, unsorted_segment_prod, unsorted_segment_sum)
from graphflow.ops import collective_ops as _collective_ops  # the MPI collectives' rows (graph files hold them)
from graphflow.ops.sort_ops import unique, unique_with_counts
from graphflow.ops.random_ops import multinomial, random_crop, random_gamma, random_shuffle
from graphflow.ops.random_ops import categorical as random_categorical
from graphflow.ops.reduce_ops import count_nonzero, reduce_euclidean_norm, reduce_std, reduce_variance
from graphflow.ops.misc_ops import (accumulate_n, confusion_matrix, divide_no_nan, ensure_shape,
                                    identity_n, is_tensor, logical_xor, shape_n)
from graphflow.ops.array_extras import (batch_gather, bincount, broadcast_dynamic_shape,
                                        broadcast_static_shape, clip_by_average_norm, cross,
                                        depth_to_space, dynamic_partition, dynamic_stitch,
                                        invert_permutation, matrix_diag, matrix_diag_part,
                                        matrix_set_diag, matrix_triangular_solve, repeat,
                                        reverse_sequence, searchsorted, setdiff1d,
                                        space_to_depth, tensor_scatter_nd_add, tensor_scatter_nd_sub,
                                        tensor_scatter_nd_update, unravel_index)
from graphflow.ops.array_extras import tensor_scatter_nd_add as tensor_scatter_add
from graphflow.ops.array_extras import tensor_scatter_nd_sub as tensor_scatter_sub
from graphflow.ops.array_extras import tensor_scatter_nd_update as tensor_scatter_update
from graphflow.ops.random_ops import random_poisson
from graphflow.ops.image_geometry import extract_image_patches  # noqa: E402
from graphflow.ops.special_ops import atan2
from graphflow.ops.math_extras import (angle, conj, histogram_fixed_width, histogram_fixed_width_bins, imag,
                                       lbeta, real, tensor_scatter_nd_max, tensor_scatter_nd_min,
                                       unsorted_segment_sqrt_n)
from graphflow.ops.special_extras import betainc, igamma, igammac, polygamma, zeta
from graphflow.ops.py_func_ops import numpy_function, py_func
from graphflow.ops.py_func_ops import py_func as py_function
from graphflow.ops.update_ops import (assign, assign_add, assign_sub, scatter_add, scatter_div,
                                      scatter_max, scatter_min, scatter_mul, scatter_nd_add,
                                      scatter_nd_sub, scatter_nd_update, scatter_sub, scatter_update)
from graphflow.tf1.config import ConfigProto, GPUOptions, GraphOptions, OptimizerOptions, RunMetadata, RunOptions
from graphflow.runtime.session import InteractiveSession, Session, get_default_session
from graphflow.core.shapes import TensorShape
from graphflow.ops.variables import (AUTO_REUSE, GraphKeys, Variable, add_to_collection,
                                 add_to_collections, constant_initializer, get_collection,
                                 get_collection_ref, get_variable, get_variable_scope,
                                 global_variables, global_variables_initializer,
                                 glorot_normal_initializer, glorot_uniform_initializer,
                                 initialize_all_variables, local_variables,
                                 local_variables_initializer, ones_initializer,
                                 random_normal_initializer, random_uniform_initializer,
                                 trainable_variables, truncated_normal_initializer,
                                 variable_scope, variables_initializer,
                                 variance_scaling_initializer, zeros_initializer)
from graphflow import compiler as _compiler  # noqa: F401
from graphflow.compiler import fused as _fused  # noqa: F401  (registers FUSED)
from graphflow.ops import array_ops as _array_ops
from graphflow.ops.array_ops import *  # noqa: F401,F403
# the public forms whose shape-like arguments and axes may be computed at run time
from graphflow.ops.run_time_args import pad, slice, strided_slice, tile  # noqa: E402, A004
from graphflow.ops.run_time_axes import (argmax, argmin, concat, cumprod, cumsum, expand_dims,  # noqa: E402
                                         gather, reduction, reverse, roll, split, transpose)
from graphflow.ops.run_time_axes import argmax as arg_max  # noqa: E402  (TF1's deprecated aliases)
from graphflow.ops.run_time_axes import argmin as arg_min  # noqa: E402
from graphflow.ops.run_time_axes import reverse as reverse_v2  # noqa: E402
reduce_sum, reduce_mean, reduce_max, reduce_min, reduce_prod, reduce_all, reduce_any = (
    reduction(f) for f in (reduce_sum, reduce_mean, reduce_max, reduce_min, reduce_prod, reduce_all, reduce_any))
reduce_logsumexp, reduce_euclidean_norm, reduce_std, reduce_variance = (
    reduction(f) for f in (reduce_logsumexp, reduce_euclidean_norm, reduce_std, reduce_variance))
del reduction
from graphflow.tf1 import train  # noqa: E402
from graphflow.tf1 import losses  # noqa: E402
from graphflow import nn  # noqa: E402  (both dialects' nn)
from graphflow.ops.nn_ops import clip_by_global_norm, clip_by_norm, global_norm  # noqa: E402
from graphflow.runtime import testing as test  # noqa: E402
from graphflow.tf1.custom_gradient import custom_gradient  # noqa: E402
from graphflow.tf1.gradient_registry import (NoGradient, NotDifferentiable, RegisterGradient,  # noqa: E402
                                             grad_pass_through, no_gradient, recompute_grad)
from graphflow.tf1.framework_utils import (convert_to_tensor_or_indexed_slices,  # noqa: E402
                                           convert_to_tensor_or_sparse_tensor, make_ndarray,
                                           make_template, make_tensor_proto, timestamp)
from graphflow.tf1.random_seed import get_seed  # noqa: E402
from graphflow.tf1.critical_section import CriticalSection  # noqa: E402
from graphflow.core.errors import OpError  # noqa: E402

from graphflow.tf1 import distributions  # noqa: E402
from graphflow.tf1 import metrics  # noqa: E402
from graphflow.tf1 import layers  # noqa: E402
from graphflow.tf1 import contrib  # noqa: E402
from graphflow import data  # noqa: E402  (tf.data with PyTorch's DataLoader)
from graphflow.tf1 import summary  # noqa: E402
from graphflow.tf1 import timeline  # noqa: E402
from graphflow import onnx  # noqa: E402
from graphflow.graphdef import util as graph_util  # noqa: E402
from graphflow.graphdef.importer import import_graph_def  # noqa: E402
from graphflow.graphdef import export as _graphdef_export  # noqa: E402,F401  (Graph.as_graph_def)
from graphflow.tf1.python.platform import gfile  # noqa: E402
from graphflow.tf1.python.platform import tf_logging as logging  # noqa: E402
from graphflow.ops import summary_ops as _summary_ops  # noqa: E402,F401  (registers the summary ops)
from graphflow.torch_style import optim  # noqa: E402
from graphflow.torch_style import utils  # noqa: E402
from graphflow.ops.control_flow import case, cond, foldl, foldr, map_fn, scan, while_loop  # noqa: E402
from graphflow.ops.tensor_array import TensorArray  # noqa: E402
from graphflow.ops.ragged_tensor import RaggedTensor  # noqa: E402
from graphflow.ops.sparse_ops import (SparseTensor, SparseTensorValue, sparse_add, sparse_concat,  # noqa: E402
                                      sparse_placeholder, sparse_reduce_sum, sparse_reorder, sparse_reshape,
                                      sparse_retain, sparse_softmax, sparse_tensor_dense_matmul,
                                      sparse_tensor_to_dense, sparse_to_dense, sparse_transpose,
                                      sparse_fill_empty_rows)
from graphflow.ops.sparse_ops import cast  # noqa: E402  (taking SparseTensors too)
from graphflow.ops.edit_distance_ops import edit_distance  # noqa: E402
from graphflow.ops.sparse_extras import (sparse_maximum, sparse_minimum, sparse_reduce_max,  # noqa: E402
                                         sparse_reduce_max_sparse, sparse_reduce_sum_sparse, sparse_reset_shape,
                                         sparse_segment_mean, sparse_segment_sqrt_n, sparse_segment_sum, sparse_slice,
                                         sparse_split, sparse_to_indicator, sparse_matmul)
from graphflow.ops.sparse_extras import sparse_merge  # noqa: E402
from graphflow.ops.indexed_slices import IndexedSlices, sparse_mask  # noqa: E402
from graphflow.core.conversion_registry import register_tensor_conversion_function  # noqa: E402
from graphflow.ops.control_flow import switch_case  # noqa: E402
from graphflow.ops.control_flow_fns import vectorized_map  # noqa: E402
from graphflow.ops.update_ops import batch_scatter_update, count_up_to  # noqa: E402
from graphflow.ops.session_ops import delete_session_tensor, get_session_handle, get_session_tensor  # noqa: E402
from graphflow.tf1.python.util import nest  # noqa: E402
from graphflow.tf1 import namespaces as _namespaces  # noqa: E402

__version__ = "0.1.0"

newaxis = None
Dimension = int

from graphflow.tf1.graph_functions import (control_dependencies, device, disable_eager_execution,  # noqa: E402
                                            disable_v2_behavior, executing_eagerly, get_static_value,
                                            initialize_variables,
                                            model_variables, moving_average_variables, name_scope,
                                            no_regularizer, saturate_cast, tables_initializer,
                                            tuple)  # noqa: A004
from graphflow.tf1.graph_functions import (AggregationMethod, UnconnectedGradients,  # noqa: E402
                                            VariableAggregation, VariableSynchronization,
                                            all_variables, colocate_with, container,
                                            control_flow_v2_enabled, dimension_at_index, dimension_value,
                                            disable_control_flow_v2, disable_resource_variables,
                                            disable_tensor_equality, disable_v2_tensorshape,
                                            enable_control_flow_v2, enable_eager_execution,
                                            enable_resource_variables, enable_tensor_equality,
                                            enable_v2_behavior, enable_v2_tensorshape,
                                            executing_eagerly_outside_functions, get_local_variable,
                                            guarantee_const, initialize_all_tables, op_scope,
                                            resource_variables_enabled, variable_op_scope)

# TF1's other names for functions above
parallel_stack = stack  # noqa: F405
from graphflow.ops.variables import VariableScope  # noqa: E402
get_logger = logging.get_logger
lin_space = linspace
div_no_nan = divide_no_nan
string_strip = strings.strip
double = float64
half = float16
initialize_local_variables = local_variables_initializer
from graphflow.ops.init_extras import orthogonal_initializer, uniform_unit_scaling_initializer  # noqa: E402
from graphflow.ops.space_batch_ops import (batch_to_space, batch_to_space_nd,  # noqa: E402
                                           required_space_to_batch_paddings, space_to_batch, space_to_batch_nd)


# tf.compat: TF's string helpers and forward-compatibility window; graphflow.compat.v1 is graphflow itself
from graphflow.tf1 import compat  # noqa: E402
compat.v1 = _sys.modules[__name__]  # type: ignore[attr-defined]
_sys.modules[__name__ + ".compat"] = compat
_sys.modules[__name__ + ".compat.v1"] = _sys.modules[__name__]
_sys.modules[__name__ + ".test"] = test
_sys.modules[__name__ + ".gfile"] = gfile
_sys.modules[__name__ + ".logging"] = logging
_sys.modules[__name__ + ".graph_util"] = graph_util
# TF1's ``tf.errors`` namespace is the core's module; ``tf.dtypes`` (built by _namespaces.install)
# is the core's dtypes with the cast functions beside them
_sys.modules[__name__ + ".errors"] = errors


from graphflow.tf1 import image  # noqa: E402
from graphflow.tf1 import io  # noqa: E402
from graphflow.tf1 import saved_model  # noqa: E402
from graphflow.tf1 import queue_names as _queue_names  # noqa: E402
python_io = io
globals().update(io.TOP_LEVEL)
globals().update(_queue_names.TOP_LEVEL)
from graphflow.graphdef import display as _display  # noqa: E402  (protobuf classes, loaded on first use)
from graphflow.tf1.summary import writer as _summary_writer  # noqa: E402
_namespaces.install(_sys.modules[__name__])
del _array_ops


def __getattr__(name: str) -> object:
    """``tf.Summary``, ``tf.HistogramProto``, ``tf.Event``, ``tf.SessionLog``, ``tf.LogMessage``,
    ``tf.NameAttrList``...: TensorBoard's protobuf messages, loaded when first used (the optional
    ``tensorboard`` package)."""
    if name in ("Summary", "HistogramProto", "SummaryMetadata"):
        return getattr(_summary_ops.summary_pb2(), name)
    if name in ("app", "flags"):  # absl-py underneath, imported when a script first uses them
        import importlib
        mod = importlib.import_module(f"graphflow.tf1.python.platform.{name}")
        globals()[name] = mod
        return mod
    if name in ("GraphDef", "NodeDef", "AttrValue"):
        _, graph_pb2, node_def_pb2, _ = _display.protos()
        return getattr(graph_pb2 if name == "GraphDef" else node_def_pb2, name, None) or \
            getattr(_display.protos()[0], name)
    if name in ("Event", "SessionLog", "LogMessage"):
        return getattr(_summary_writer._event_pb2()[0], name)
    if name in ("MetaGraphDef", "TensorInfo"):
        from tensorboard.compat.proto import meta_graph_pb2  # noqa: PLC0415 - optional, loaded on first use
        return getattr(meta_graph_pb2, name)
    if name == "NameAttrList":
        return _display.protos()[0].NameAttrList
    raise AttributeError(f"module 'graphflow' has no attribute {name!r}")
