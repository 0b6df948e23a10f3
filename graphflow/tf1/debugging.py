"""``tf.debugging``: assertions and numeric checks under their TF 1.13+ names."""
from graphflow.ops.check_ops import (  # noqa: F401
                                     Assert,
                                     assert_equal,
                                     assert_greater,
                                     assert_greater_equal,
                                     assert_integer,
                                     assert_less,
                                     assert_less_equal,
                                     assert_near,
                                     assert_negative,
                                     assert_non_negative,
                                     assert_non_positive,
                                     assert_none_equal,
                                     assert_positive,
                                     assert_rank,
                                     assert_rank_at_least,
                                     assert_rank_in,
                                     assert_same_float_dtype,
                                     assert_scalar,
                                     assert_type,
                                     check_numerics,
                                     is_non_decreasing,
                                     is_numeric_tensor,
                                     is_strictly_increasing,
)
from graphflow.ops.check_ops import verify_tensor_all_finite as assert_all_finite
from graphflow.ops.special_ops import is_finite, is_inf, is_nan  # noqa: F401

__all__ = ["Assert", "assert_all_finite", "assert_equal", "assert_greater", "assert_greater_equal",
           "assert_less", "assert_less_equal", "assert_negative", "assert_non_negative",
           "assert_non_positive", "assert_none_equal", "assert_positive", "assert_rank",
           "assert_type", "check_numerics"]
