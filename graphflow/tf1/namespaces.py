"""The TF 1.13+ namespaces ``tf.math``, ``tf.linalg``, ``tf.random``, ``tf.initializers``,
``tf.sparse``, ``tf.ragged``, ``tf.bitwise`` and ``tf.dtypes``: modules whose attributes
are the package's own functions under TF's names (``from graphflow.math import erf`` works too).
Built by the package ``__init__``."""
from __future__ import annotations

import sys
import types
from typing import Any

from graphflow.core import dtypes as DT
from graphflow.ops import bitwise_ops as BW
from graphflow.ops import factor_ops as FO
from graphflow.ops import indexed_slices as IS
from graphflow.ops import init_extras as IX
from graphflow.ops import linalg_extras as LX
from graphflow.ops import linear_operator_circulant as LOC
from graphflow.ops import linear_operator_structures as LOS
from graphflow.ops import linear_operators as LO
from graphflow.ops import math_extras as MX
from graphflow.ops import nn_ops
from graphflow.ops import ragged_ops as RG
from graphflow.ops import sparse_extras as SX
from graphflow.ops import sparse_ops as SP
from graphflow.ops import special_extras as SE
from graphflow.ops import stateless_random as SR
from graphflow.ops.conjugate_gradient import conjugate_gradient
from graphflow.tf1 import random_seed

MATH = """abs accumulate_n acos acosh add add_n argmax argmin asin asinh atan atanh ceil cos cosh
count_nonzero cumprod cumsum digamma divide divide_no_nan equal erf erfc exp expm1 floor floordiv
floormod greater greater_equal is_finite is_inf is_nan lgamma less less_equal log log1p
log_sigmoid logical_and logical_not logical_or logical_xor maximum minimum mod multiply negative
not_equal pow reciprocal reduce_all reduce_any reduce_euclidean_norm reduce_logsumexp reduce_max
reduce_mean reduce_min reduce_prod reduce_std reduce_sum reduce_variance rint round rsqrt
segment_max segment_mean segment_min segment_prod segment_sum sigmoid sign sin sinh sqrt square
squared_difference subtract tan tanh truediv truncatediv truncatemod unsorted_segment_max
unsorted_segment_mean unsorted_segment_min unsorted_segment_prod unsorted_segment_sum xlogy
confusion_matrix atan2 invert_permutation is_non_decreasing is_strictly_increasing scalar_mul bincount
lbeta unsorted_segment_sqrt_n igamma igammac betainc zeta polygamma real imag conj angle""".split()
# tf.math's names with no top-level name in TF1
MATH_ONLY = {name: getattr(mod, name) for mod, names in (
    (MX, "xdivy xlog1py multiply_no_nan reciprocal_no_nan polyval cumulative_logsumexp sobol_sample"),
    (SE, "erfinv ndtri erfcinv bessel_i0 bessel_i0e bessel_i1 bessel_i1e nextafter")) for name in names.split()}
# tf.math.special: the Bessel functions graphflow has (TF's others, j0/k0/y0, dawsn, expint, fresnel and
# spence, are not there yet)
MATH_SPECIAL = {name: getattr(SE, name) for name in "bessel_i0 bessel_i0e bessel_i1 bessel_i1e".split()}
MATH_NN = """log_softmax softmax softplus softsign l2_normalize in_top_k top_k zero_fraction approx_max_k
approx_min_k""".split()
LINALG = {"band_part": "matrix_band_part", "cholesky": "cholesky", "det": "matrix_determinant",
          "einsum": "einsum", "eye": "eye", "inv": "matrix_inverse", "matmul": "matmul",
          "solve": "matrix_solve", "tensordot": "tensordot", "transpose": "matrix_transpose",
          "matrix_transpose": "matrix_transpose", "cross": "cross", "global_norm": "global_norm",
          "triangular_solve": "matrix_triangular_solve", "svd": "svd", "qr": "qr",
          "eigh": "self_adjoint_eig", "eigvalsh": "self_adjoint_eigvals", "cholesky_solve": "cholesky_solve",
          "lstsq": "matrix_solve_ls", "norm": "norm"}
# tf.linalg's names with no top-level name in TF1 (or a different one: tf.diag is tensor_diag)
LINALG_ONLY = {name: getattr(LX, name) for name in """adjoint diag diag_part eigh_tridiagonal logdet lu_matrix_inverse
lu_reconstruct lu_solve matrix_rank matvec normalize pinv set_diag slogdet tensor_diag tensor_diag_part trace
tridiagonal_matmul tridiagonal_solve""".split()}
LINALG_ONLY.update(expm=FO.expm, lu=FO.lu, sqrtm=FO.sqrtm, l2_normalize=nn_ops.l2_normalize)
LINALG_ONLY.update({name: getattr(mod, name) for mod in (LO, LOS, LOC) for name in dir(mod)
                    if name.startswith("LinearOperator")})
RANDOM = {"categorical": "random_categorical", "gamma": "random_gamma", "normal": "random_normal",
          "shuffle": "random_shuffle", "truncated_normal": "truncated_normal",
          "uniform": "random_uniform", "set_random_seed": "set_random_seed", "multinomial": "multinomial",
          "crop": "random_crop", "poisson": "random_poisson"}
RANDOM_ONLY = {"stateless_uniform": SR.stateless_random_uniform, "stateless_normal": SR.stateless_random_normal,
               "stateless_truncated_normal": SR.stateless_truncated_normal,
               "stateless_categorical": SR.stateless_categorical, "stateless_multinomial": SR.stateless_multinomial,
               "stateless_gamma": SR.stateless_random_gamma, "stateless_poisson": SR.stateless_random_poisson,
               "stateless_binomial": SR.stateless_random_binomial, "split": SR.split, "fold_in": SR.fold_in}
RANDOM_NN = """all_candidate_sampler fixed_unigram_candidate_sampler log_uniform_candidate_sampler
uniform_candidate_sampler"""

# tf.initializers: TF1's initializers and initializer ops under their short names
INITIALIZERS = {"constant": "constant_initializer", "zeros": "zeros_initializer", "ones": "ones_initializer",
                "random_normal": "random_normal_initializer", "random_uniform": "random_uniform_initializer",
                "truncated_normal": "truncated_normal_initializer", "glorot_normal": "glorot_normal_initializer",
                "glorot_uniform": "glorot_uniform_initializer", "variance_scaling": "variance_scaling_initializer",
                "orthogonal": "orthogonal_initializer", "uniform_unit_scaling": "uniform_unit_scaling_initializer",
                "global_variables": "global_variables_initializer", "local_variables": "local_variables_initializer",
                "variables": "variables_initializer", "tables_initializer": "tables_initializer"}
INITIALIZERS_ONLY = {"identity": IX.identity_initializer, "he_normal": IX.he_normal,
                     "he_uniform": IX.he_uniform, "lecun_normal": IX.lecun_normal,
                     "lecun_uniform": IX.lecun_uniform}

# tf.sparse: the sparse ops under their short names
SPARSE = {"SparseTensor": SP.SparseTensor, "SparseTensorValue": SP.SparseTensorValue,
          "placeholder": SP.sparse_placeholder, "reorder": SP.sparse_reorder, "to_dense": SP.sparse_tensor_to_dense,
          "reduce_sum": SP.sparse_reduce_sum, "add": SP.sparse_add, "concat": SP.sparse_concat,
          "reshape": SP.sparse_reshape, "retain": SP.sparse_retain, "softmax": SP.sparse_softmax,
          "sparse_dense_matmul": SP.sparse_dense_matmul, "matmul": SP.sparse_dense_matmul,
          "from_dense": SP.from_dense, "transpose": SP.sparse_transpose, "fill_empty_rows": SP.sparse_fill_empty_rows,
          "segment_sum": SX.sparse_segment_sum, "segment_mean": SX.sparse_segment_mean,
          "segment_sqrt_n": SX.sparse_segment_sqrt_n, "reduce_max": SX.sparse_reduce_max,
          "reduce_max_sparse": SX.sparse_reduce_max_sparse, "reduce_sum_sparse": SX.sparse_reduce_sum_sparse,
          "maximum": SX.sparse_maximum, "minimum": SX.sparse_minimum, "slice": SX.sparse_slice,
          "split": SX.sparse_split, "expand_dims": SX.sparse_expand_dims, "reset_shape": SX.sparse_reset_shape,
          "eye": SX.sparse_eye, "to_indicator": SX.sparse_to_indicator, "merge": SX.sparse_merge,
          "mask": IS.sparse_mask}

# tf.dtypes: the core's dtypes under TF's names, and the functions that convert between them
DTYPES = {"DType": DT.DType, "as_dtype": DT.as_dtype, "bool": DT.bool_, "double": DT.float64, "half": DT.float16,
          **{n: getattr(DT, n) for n in "float16 float32 float64 int8 int16 int32 int64 uint8 string".split()}}
DTYPES_FUNCTIONS = ("as_string", "cast", "saturate_cast")


def install(package: types.ModuleType) -> None:
    """Attach ``math``, ``linalg``, ``random``, ``initializers``, ``sparse`` and ``dtypes`` to ``package``
    and register them as modules."""
    def module(name: str, attrs: dict[str, Any], doc: str) -> types.ModuleType:
        mod = types.ModuleType(f"{package.__name__}.{name}", doc)
        for k, v in attrs.items():
            setattr(mod, k, v)
        sys.modules[mod.__name__] = mod
        setattr(package, name, mod)
        return mod
    nn = package.nn
    math_attrs = {n: getattr(package, n) for n in MATH}
    math_attrs.update({n: getattr(nn, n) for n in MATH_NN})
    math_attrs.update(MATH_ONLY)
    math = module("math", math_attrs, "tf.math: elementwise math, reductions and segment ops")
    special = types.ModuleType(f"{math.__name__}.special", "tf.math.special")
    for k, v in MATH_SPECIAL.items():
        setattr(special, k, v)
    sys.modules[special.__name__] = special
    math.special = special  # type: ignore[attr-defined]
    linalg = module("linalg", {**{k: getattr(package, v) for k, v in LINALG.items()}, **LINALG_ONLY}, "tf.linalg")
    experimental = types.ModuleType(f"{linalg.__name__}.experimental", "tf.linalg.experimental")
    experimental.conjugate_gradient = conjugate_gradient  # type: ignore[attr-defined]
    sys.modules[experimental.__name__] = experimental
    linalg.experimental = experimental  # type: ignore[attr-defined]
    module("random", {**{k: getattr(package, v) for k, v in RANDOM.items()},
                      **{n: getattr(nn, n) for n in RANDOM_NN.split()}, **RANDOM_ONLY,
                      "get_seed": random_seed.get_seed}, "tf.random")
    module("initializers", {**{k: getattr(package, v) for k, v in INITIALIZERS.items()}, **INITIALIZERS_ONLY},
           "tf.initializers")
    module("sparse", SPARSE, "tf.sparse: sparse tensors and their ops")
    module("ragged", {**{n: getattr(RG, n) for n in RG.__all__}, "RaggedTensorValue": RG.RaggedTensorValue},
           "tf.ragged: ragged tensors (rows of different lengths) and their ops")
    module("bitwise", {n: getattr(BW, n) for n in BW.__all__},
           "tf.bitwise: and, or, xor, invert and shifts of integers")
    module("dtypes", {**DTYPES, **{n: getattr(package, n) for n in DTYPES_FUNCTIONS}},
           "tf.dtypes: the element types and the casts between them")
