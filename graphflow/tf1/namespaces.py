"""The TF 1.13+ namespaces ``tf.math``, ``tf.linalg`` and ``tf.random``: modules whose attributes
are the package's own functions under TF's names (``from graphflow.math import erf`` works too).
Built by the package ``__init__``."""
from __future__ import annotations

import sys
import types
from typing import Any

MATH = """abs accumulate_n acos acosh add add_n argmax argmin asin asinh atan atanh ceil cos cosh
count_nonzero cumprod cumsum digamma divide divide_no_nan equal erf erfc exp expm1 floor floordiv
floormod greater greater_equal is_finite is_inf is_nan lgamma less less_equal log log1p
log_sigmoid logical_and logical_not logical_or logical_xor maximum minimum mod multiply negative
not_equal pow reciprocal reduce_all reduce_any reduce_euclidean_norm reduce_logsumexp reduce_max
reduce_mean reduce_min reduce_prod reduce_std reduce_sum reduce_variance rint round rsqrt
segment_max segment_mean segment_min segment_prod segment_sum sigmoid sign sin sinh sqrt square
squared_difference subtract tan tanh truediv truncatediv truncatemod unsorted_segment_max
unsorted_segment_mean unsorted_segment_min unsorted_segment_prod unsorted_segment_sum xlogy
confusion_matrix""".split()
MATH_NN = "log_softmax softmax softplus softsign l2_normalize in_top_k top_k".split()
LINALG = {"band_part": "matrix_band_part", "cholesky": "cholesky", "det": "matrix_determinant",
          "diag": "diag", "diag_part": "diag_part", "einsum": "einsum", "eye": "eye",
          "inv": "matrix_inverse", "matmul": "matmul", "norm": "norm", "solve": "matrix_solve",
          "tensordot": "tensordot", "trace": "trace", "transpose": "matrix_transpose"}
RANDOM = {"categorical": "random_categorical", "gamma": "random_gamma", "normal": "random_normal",
          "shuffle": "random_shuffle", "truncated_normal": "truncated_normal",
          "uniform": "random_uniform", "set_random_seed": "set_random_seed", "multinomial": "multinomial",
          "crop": "random_crop"}


def install(package: types.ModuleType) -> None:
    """Attach ``math``, ``linalg`` and ``random`` to ``package`` and register them as modules."""
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
    module("math", math_attrs, "tf.math: elementwise math, reductions and segment ops")
    module("linalg", {k: getattr(package, v) for k, v in LINALG.items()}, "tf.linalg")
    module("random", {k: getattr(package, v) for k, v in RANDOM.items()}, "tf.random")
