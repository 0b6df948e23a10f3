"""The differential test against real TF1 (``tensorflow.compat.v1``): every op of API.md section 3
and of issue 7's op set, built by the same code on graphflow and on TF1 from the same float64
input. Deterministic ops: equal outputs, and gradients of a weighted sum equal to TF1's and to
float64 central differences. Random ops (graphflow's streams are its own): TF1's shapes and
dtypes, and moments of the distribution. Skipped with a reason when TensorFlow is absent."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import check_gradient
from tests.optional import tf1
from tests.tolerances import value_tol

X = np.random.RandomState(0).uniform(0.5, 1.5, (3, 4))  # positive, away from 0 and 1
S = np.random.RandomState(1).uniform(-0.9, 0.9, (3, 4))  # either sign, inside (-1, 1)
SQ = (lambda a: a @ a.T + 3 * np.eye(3))(np.random.RandomState(2).randn(3, 3))

# name -> (builder over a module and an input, input, differentiable)
D: dict[str, tuple[Callable[[Any, Any], Any], np.ndarray, bool]] = {}


def case(name: str, fn: Callable[[Any, Any], Any], x: np.ndarray = X, grad: bool = True) -> None:
    D[name] = (fn, x, grad)


# TF1's tf.losses cast their inputs (log_loss, mean_squared_error) or their per-entry losses
# (compute_weighted_loss) to float32, so they are compared in float32 (docs/differences.md)
FLOAT32_IN_TF1 = {"mse", "log_loss", "losses_softmax", "losses_sparse"}


# ---- math (API.md 3, issue 7) -----------------------------------------------------------------------
for _n in ["abs", "negative", "sign", "exp", "log", "log1p", "sqrt", "rsqrt", "square", "reciprocal", "sin",
           "cos", "tan", "tanh", "sigmoid", "floor", "ceil", "round", "rint", "erf", "erfc", "lgamma",
           "digamma", "expm1", "asinh", "atan", "sinh", "cosh", "softplus_nn", "relu_nn", "relu6_nn", "elu_nn",
           "softsign_nn", "is_finite", "is_nan"]:
    fname = _n.replace("_nn", "")
    nn = _n.endswith("_nn")
    smooth = _n not in ("sign", "floor", "ceil", "round", "rint", "is_finite", "is_nan")
    shifted = fname in ("abs", "sign", "relu", "relu6", "elu")  # inputs on both sides of the kink
    case(_n, (lambda f, nn, sh: lambda m, x: getattr(m.nn if nn else m, f)(x * 1.7 - 1.0 if sh else x))(
        fname, nn, shifted), grad=smooth)
for _n in ["asin", "acos", "atanh"]:
    case(_n, (lambda f: lambda m, x: getattr(m, f)(x))(_n), S)
case("acosh", lambda m, x: m.acosh(x + 1.0))
for _n in ["add", "subtract", "multiply", "divide", "truediv", "maximum", "minimum", "pow", "squared_difference",
           "atan2"]:
    case(_n, (lambda f: lambda m, x: getattr(m, f)(x, x[::-1] * 0.7 + 0.1))(_n))
case("xlogy", lambda m, x: m.math.xlogy(x, x[::-1] * 0.7 + 0.1))
case("floordiv", lambda m, x: m.floordiv(x * 10.0, 3.0), grad=False)
case("mod", lambda m, x: m.mod(x * 10.0, 3.0), grad=False)
case("floormod", lambda m, x: m.floormod(x * 10.0 - 7.0, 3.0), grad=False)
case("truncatediv", lambda m, x: m.cast(m.truncatediv(m.cast(x * 10 - 9, m.int32), 3), m.float64), grad=False)
case("truncatemod", lambda m, x: m.cast(m.truncatemod(m.cast(x * 10 - 9, m.int32), 4), m.float64), grad=False)
case("clip_by_value", lambda m, x: m.clip_by_value(x, 0.8, 1.2))
case("add_n", lambda m, x: m.add_n([x, x * x, m.sin(x)]))
case("matmul", lambda m, x: m.matmul(x, x, transpose_b=True))
case("matmul_batched", lambda m, x: m.matmul(m.reshape(x, [2, 3, 2]), m.reshape(x, [2, 2, 3])))
case("tensordot", lambda m, x: m.tensordot(x, x, [[1], [1]]))
case("einsum", lambda m, x: m.einsum("ij,kj->ik", x, x * 2.0))
case("cumsum", lambda m, x: m.cumsum(x, axis=1, exclusive=True, reverse=True))
case("cumprod", lambda m, x: m.cumprod(x, axis=0))
case("log_sigmoid", lambda m, x: m.log_sigmoid(x * 4 - 3))
# ---- reductions ----------------------------------------------------------------------------------
for _n in ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_logsumexp"]:
    case(_n, (lambda f: lambda m, x: getattr(m, f)(x, axis=1, keepdims=True))(_n))
    case(_n + "_all", (lambda f: lambda m, x: getattr(m, f)(x))(_n))
case("reduce_any", lambda m, x: m.cast(m.reduce_any(x > 1.2, axis=0), m.float64), grad=False)
case("reduce_all", lambda m, x: m.cast(m.reduce_all(x > 0.6, axis=1), m.float64), grad=False)
case("argmax", lambda m, x: m.cast(m.argmax(x, axis=1), m.float64), grad=False)
case("argmin", lambda m, x: m.cast(m.argmin(x, 0), m.float64), grad=False)
case("count_nonzero", lambda m, x: m.cast(m.count_nonzero(x > 1.0, axis=1), m.float64), grad=False)
case("reduce_variance", lambda m, x: m.math.reduce_variance(x, axis=0))
case("reduce_std", lambda m, x: m.math.reduce_std(x, axis=1))
# ---- comparison and logic ------------------------------------------------------------------------
for _n in ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]:
    case(_n, (lambda f: lambda m, x: m.cast(getattr(m, f)(x, x[:, ::-1]), m.float64))(_n), grad=False)
case("logical", lambda m, x: m.cast(m.logical_or(m.logical_and(x > 0.8, x < 1.2), m.logical_not(x > 1.4)), m.float64),
     grad=False)
case("where", lambda m, x: m.where(x > 1.0, x * x, -x))
case("where_indices", lambda m, x: m.cast(m.where(x > 1.0), m.float64), grad=False)
# ---- shape and data movement ---------------------------------------------------------------------
case("cast", lambda m, x: m.cast(m.cast(x * 3, m.int32), m.float64), grad=False)
case("reshape", lambda m, x: m.reshape(x, [2, -1]))
case("reshape_runtime", lambda m, x: m.reshape(x, m.stack([m.shape(x)[0] * 2, -1])))
case("transpose", lambda m, x: m.transpose(x))
case("transpose_perm", lambda m, x: m.transpose(m.reshape(x, [3, 2, 2]), [2, 0, 1]))
case("expand_dims", lambda m, x: m.expand_dims(x, 1))
case("squeeze", lambda m, x: m.squeeze(m.reshape(x, [3, 1, 4])))
case("concat", lambda m, x: m.concat([x, x * 2], 1))
case("stack", lambda m, x: m.stack([x, x * x], axis=1))
case("unstack", lambda m, x: m.stack(m.unstack(x, axis=1)[::-1]))
case("split", lambda m, x: m.concat(m.split(x, [1, 3], 1)[::-1], 1))
case("tile", lambda m, x: m.tile(x, [2, 1]))
case("pad", lambda m, x: m.pad(x, [[1, 0], [0, 2]]))
case("pad_reflect", lambda m, x: m.pad(x, [[1, 1], [2, 2]], "REFLECT"))
case("pad_symmetric", lambda m, x: m.pad(x, [[2, 1], [1, 3]], "SYMMETRIC"))
case("gather", lambda m, x: m.gather(x, [2, 0, 2], axis=0))
case("gather_axis1", lambda m, x: m.gather(x, [[3, 1]], axis=1))
case("gather_batch_dims", lambda m, x: m.gather(x, [[0, 3], [1, 1], [2, 0]], axis=1, batch_dims=1))
case("gather_nd", lambda m, x: m.gather_nd(x, [[0, 1], [2, 3], [0, 1]]))
case("one_hot", lambda m, x: m.one_hot([0, 2, 1], 4, dtype=m.float64) * x[:, :4], grad=True)
case("shape_size", lambda m, x: m.cast(m.stack([m.size(x), m.shape(x)[1]]), m.float64), grad=False)
case("identity", lambda m, x: m.identity(x))
case("stop_gradient", lambda m, x: m.stop_gradient(x) * x)
case("boolean_mask", lambda m, x: m.boolean_mask(x, [True, False, True]))
case("boolean_mask_axis", lambda m, x: m.boolean_mask(x, [True, False, False, True], axis=1))
case("slice", lambda m, x: m.slice(x, [1, 1], [2, -1]))
case("strided_slice", lambda m, x: x[::2, 1::2])
case("reverse", lambda m, x: m.reverse(x, [0, 1]))
case("reverse_sequence", lambda m, x: m.reverse_sequence(x, [2, 4, 1], seq_axis=1, batch_axis=0))
case("sequence_mask", lambda m, x: m.cast(m.sequence_mask([1, 3, 4], 4), m.float64) * x)
case("top_k", lambda m, x: m.nn.top_k(x, 2)[0])
case("sort", lambda m, x: m.sort(x, axis=1, direction="DESCENDING"))
case("argsort", lambda m, x: m.cast(m.argsort(x, axis=0), m.float64), grad=False)
case("unique", lambda m, x: m.cast(m.unique(m.cast(x * 2, m.int32)[0])[0], m.float64), grad=False)
case("segment_sum", lambda m, x: m.segment_sum(x, [0, 0, 2]))
case("segment_mean", lambda m, x: m.segment_mean(x, [0, 1, 1]))
case("segment_max", lambda m, x: m.segment_max(x, [0, 0, 1]))
case("segment_min", lambda m, x: m.segment_min(x, [0, 1, 1]))
case("segment_prod", lambda m, x: m.segment_prod(x, [0, 0, 1]))
case("unsorted_segment_sum", lambda m, x: m.unsorted_segment_sum(x, [2, 0, 2], 3))
case("unsorted_segment_max", lambda m, x: m.unsorted_segment_max(x, [1, 0, 1], 2))
case("unsorted_segment_mean", lambda m, x: m.unsorted_segment_mean(x, [1, 0, 1], 2))
case("scatter_nd", lambda m, x: m.scatter_nd([[1], [0]], x[:2], [4, 4]))
case("tensor_scatter", lambda m, x: m.tensor_scatter_nd_update(x, [[0], [2]], x[:2] * 3))
case("meshgrid", lambda m, x: m.add_n(m.meshgrid(x[0], x[1, :3])))
case("matrix_band_part", lambda m, x: m.matrix_band_part(x, 1, 0))
# ---- linear algebra -------------------------------------------------------------------------------
case("eye", lambda m, x: m.eye(3, dtype=m.float64) * x[:, :3])
case("diag", lambda m, x: m.diag(x[0]))
case("diag_part", lambda m, x: m.diag_part(x[:, :3]))
case("trace", lambda m, x: m.trace(x[:, :3]))
case("matrix_transpose", lambda m, x: m.matrix_transpose(x))
case("matrix_inverse", lambda m, x: m.matrix_inverse(x), SQ)
case("matrix_determinant", lambda m, x: m.matrix_determinant(x), SQ)
case("cholesky", lambda m, x: m.cholesky(0.5 * (x + m.transpose(x))), SQ)
case("matrix_solve", lambda m, x: m.matrix_solve(x, x[:, :2] + 1.0), SQ)
case("norm", lambda m, x: m.norm(x, axis=1))
case("norm_all", lambda m, x: m.norm(x))
# ---- nn ------------------------------------------------------------------------------------------
case("leaky_relu", lambda m, x: m.nn.leaky_relu(x - 1.0, 0.125))  # an alpha float32 holds (TF1 keeps it so)
case("softmax", lambda m, x: m.nn.softmax(x))
case("log_softmax", lambda m, x: m.nn.log_softmax(x, axis=0))
case("bias_add", lambda m, x: m.nn.bias_add(x, x[0]))
case("conv1d", lambda m, x: m.nn.conv1d(m.reshape(x, [1, 12, 1]), m.reshape(x[0, :3], [3, 1, 1]), 1, "SAME"))
case("conv2d", lambda m, x: m.nn.conv2d(m.reshape(x, [1, 3, 4, 1]), m.reshape(x[:2, :2], [2, 2, 1, 1]),
                                        [1, 1, 1, 1], "VALID"))
case("conv2d_transpose", lambda m, x: m.nn.conv2d_transpose(m.reshape(x, [1, 3, 4, 1]),
                                                            m.reshape(x[:2, :2], [2, 2, 1, 1]), [1, 6, 8, 1],
                                                            [1, 2, 2, 1], "SAME"))
case("depthwise_conv2d", lambda m, x: m.nn.depthwise_conv2d(m.reshape(x, [1, 3, 2, 2]),
                                                            m.reshape(x[:2, :2], [2, 1, 2, 1]), [1, 1, 1, 1], "SAME"))
case("max_pool", lambda m, x: m.nn.max_pool(m.reshape(x, [1, 3, 4, 1]), [1, 2, 2, 1], [1, 1, 1, 1], "VALID"))
case("avg_pool", lambda m, x: m.nn.avg_pool(m.reshape(x, [1, 3, 4, 1]), [1, 2, 2, 1], [1, 2, 2, 1], "SAME"))
case("softmax_xent", lambda m, x: m.nn.softmax_cross_entropy_with_logits_v2(labels=m.nn.softmax(x * 2), logits=x))
case("sparse_xent", lambda m, x: m.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 3, 1], logits=x))
case("sigmoid_xent", lambda m, x: m.nn.sigmoid_cross_entropy_with_logits(labels=x - 0.5, logits=x * 2 - 2))
case("l2_loss", lambda m, x: m.nn.l2_loss(x))
case("moments", lambda m, x: m.add_n(list(m.nn.moments(x, [0]))))
case("batch_normalization", lambda m, x: m.nn.batch_normalization(x, x[0], x[1], x[2], x[0] * 0.5, 1e-3))
case("embedding_lookup", lambda m, x: m.nn.embedding_lookup(x, [2, 0, 2]))
case("l2_normalize", lambda m, x: m.nn.l2_normalize(x, axis=1))
case("mse", lambda m, x: m.losses.mean_squared_error(x[::-1], x))
case("losses_softmax", lambda m, x: m.losses.softmax_cross_entropy(m.one_hot([0, 1, 3], 4, dtype=m.float64), x))
case("losses_sparse", lambda m, x: m.losses.sparse_softmax_cross_entropy([0, 1, 3], x))
case("log_loss", lambda m, x: m.losses.log_loss(x[::-1] * 0.5, x * 0.5))
# ---- control ------------------------------------------------------------------------------------------
case("cond", lambda m, x: m.cond(m.reduce_sum(x) > 1.0, lambda: m.sin(x) * x, lambda: x))
case("while_loop", lambda m, x: m.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, m.tanh(a * x)),
                                             (m.constant(0), x))[1])
case("check_numerics", lambda m, x: m.debugging.check_numerics(x * 2.0, "x"))
case("group_control", lambda m, x: m.tuple([x * 2.0])[0])


@pytest.mark.parametrize("name", sorted(D))
def test_matches_tf1(name: str) -> None:
    tf = tf1()
    fn, xv, grad = D[name]
    if name in FLOAT32_IN_TF1:
        xv = xv.astype(np.float32)

    def evaluate(m: Any) -> list:
        g = m.Graph()
        with g.as_default():
            x = m.constant(xv)
            y = fn(m, x)
            out = [y]
            if grad:  # the gradient of sum(y^2 + y): every output entry weighted differently
                out += [m.convert_to_tensor(d) for d in m.gradients(m.reduce_sum(y * y + y), [x])]
            with m.Session(graph=g) as s:
                return s.run(out)
    ours, theirs = evaluate(gf), evaluate(tf)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{name}: shape {a.shape}, TF1 {b.shape}"
        tol = value_tol(np.float32) if name in FLOAT32_IN_TF1 else dict(rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(a, b, **tol, err_msg=name)


@pytest.mark.parametrize("name", sorted(k for k, v in D.items()
                                        # stop_gradient differs from differences by design
                                        if v[2] and k not in ("stop_gradient", "boolean_mask", "boolean_mask_axis",
                                                              "reshape_runtime",
                                                              "unique", "where_indices", "segment_sum",
                                                              "segment_mean", "segment_max", "segment_min",
                                                              "segment_prod")))
def test_gradient_matches_central_differences(name: str) -> None:
    fn, xv, _ = D[name]
    with gf.Graph().as_default():
        check_gradient(lambda x: fn(gf, x), [xv])


RANDOM = {
    "random_normal": (lambda m: m.random_normal([4000, 3], mean=1.0, stddev=2.0, dtype=m.float64), 1.0, 4.0),
    "truncated_normal": (lambda m: m.truncated_normal([4000, 3], stddev=1.0, dtype=m.float64), 0.0, 0.7737),
    "random_uniform": (lambda m: m.random_uniform([4000, 3], -1.0, 3.0, dtype=m.float64), 1.0, 16 / 12),
    "random_uniform_int": (lambda m: m.cast(m.random_uniform([4000, 3], 0, 10, dtype=m.int32), m.float64), 4.5, 8.25),
    "random_gamma": (lambda m: m.random_gamma([4000], [2.0, 3.0, 0.5], dtype=m.float64), None, None),
    "random_poisson": (lambda m: m.random_poisson([2.0, 30.0, 0.5], [4000], dtype=m.float64), None, None),
    "multinomial": (lambda m: m.reshape(m.cast(m.multinomial(m.log([[0.2, 0.3, 0.5]]), 4000), m.float64), [-1, 1]),
                    1.3, 0.61),
    "categorical": (lambda m: m.reshape(m.cast(m.random.categorical(m.log([[0.5, 0.5]]), 4000), m.float64), [-1, 1]),
                    0.5, 0.25),
    "random_shuffle": (lambda m: m.random_shuffle(m.reshape(m.range(12.0, dtype=m.float64), [12, 1])), 5.5, 143 / 12),
    "dropout": (lambda m: m.nn.dropout(m.ones([4000, 3], m.float64), keep_prob=0.25), 1.0, 3.0),
}


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_ops_have_tf1_shapes_dtypes_and_moments(name: str) -> None:
    tf = tf1()
    fn, mean, var = RANDOM[name]

    def sample(m: Any) -> np.ndarray:
        g = m.Graph()
        with g.as_default():
            m.set_random_seed(7)
            y = fn(m)
            with m.Session(graph=g) as s:
                return np.asarray(s.run(y))
    ours, theirs = sample(gf), sample(tf)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    # per column: the moments TF1's sample has (or the given ones), within sampling error
    want_mean = theirs.mean(0) if mean is None else np.full(ours.shape[1:], mean)
    want_var = theirs.var(0) if var is None else np.full(ours.shape[1:], var)
    n = ours.shape[0]
    se = np.sqrt(np.maximum(want_var, theirs.var(0)) / n)
    bound = 6 * se + (6 * se if mean is None else 0)
    assert np.all(np.abs(ours.mean(0) - want_mean) < bound), (ours.mean(0), want_mean)
    assert np.all(np.abs(ours.var(0) - want_var) < 0.15 * want_var + 1e-12), (ours.var(0), want_var)
