"""tf.contrib.layers, tf.contrib.framework's arg_scope and variable helpers, and tf.contrib.slim
against TF 1.15's behaviour: against tf-slim (the maintained copy of contrib's layers, run on
tf.compat.v1) where it is installed (same variable names, shapes and collections, and from the
same weights the same outputs, gradients and optimize_loss steps), and against numpy otherwise."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import check_gradient
from tests.optional import need

RS = np.random.RandomState(0)
X = RS.rand(2, 8, 8, 3)
slim = gf.contrib.slim


def _run(tf: Any, layers: Any, build: Callable[[Any, Any, Any], list], weights: dict | None) -> tuple:
    """(variables by name, collection names, fetched values) of ``build`` in a fresh graph."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [2, 8, 8, 3])
        fetches = build(tf, layers, x)
        variables = tf.global_variables()
        model = [v.name for v in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)]
        regs = len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
        with tf.Session(graph=g) as s:
            s.run(tf.global_variables_initializer())
            if weights is not None:
                for v in variables:
                    v.load(weights[v.name], s)
            values = s.run(variables)
            out = [s.run(fetches, {x: X}) for _ in range(2)]  # twice: updates in place show
    return {v.name: w for v, w in zip(variables, values)}, (model, regs), out


def _agree(build: Callable[[Any, Any, Any], list], rtol: float = 1e-9) -> None:
    tf_slim = need("tf_slim")
    tf = need("tensorflow")
    theirs_w, theirs_c, theirs = _run(tf, tf_slim, build, None)
    ours_w, ours_c, ours = _run(gf, slim, build, theirs_w)
    assert list(ours_w) == list(theirs_w)
    assert ours_c == theirs_c
    for k in ours_w:
        assert ours_w[k].shape == theirs_w[k].shape, k
    for step_ours, step_theirs in zip(ours, theirs):
        for a, b in zip(step_ours, step_theirs):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=1e-10)


def _loss_and_grads(tf: Any, out: Any, x: Any) -> list:
    loss = tf.reduce_sum(out * out)
    return [loss, *tf.gradients(loss, [x] + tf.trainable_variables())]


def _convnet(tf: Any, layers: Any, x: Any) -> list:
    with layers.arg_scope([layers.conv2d, layers.fully_connected],
                          weights_regularizer=layers.l2_regularizer(1e-3), activation_fn=tf.nn.relu):
        with layers.arg_scope([layers.conv2d], padding="VALID"):
            net = layers.conv2d(x, 4, [3, 3], scope="conv1")
            net = layers.repeat(net, 2, layers.conv2d, 4, [1, 1], scope="conv2")
            net = layers.conv2d(net, 5, 3, stride=2, padding="SAME", rate=1, scope="conv3")
        net = layers.max_pool2d(net, [2, 2], scope="pool")
        net = layers.avg_pool2d(net, 1, stride=1, padding="SAME")
        flat = layers.flatten(net)
        flat = layers.batch_norm(flat, scale=True, is_training=True, updates_collections=None, fused=False)
        net = layers.stack(flat, layers.fully_connected, [6, 7], scope="fc")
        net = layers.dropout(net, 0.5, is_training=False)
        logits = layers.fully_connected(net, 3, activation_fn=None, scope="logits")
    return _loss_and_grads(tf, logits, x)


def _more_layers(tf: Any, layers: Any, x: Any) -> list:
    outs = [layers.separable_conv2d(x, 4, [3, 3], depth_multiplier=2, scope="sep"),
            layers.separable_conv2d(x, None, [3, 3], depth_multiplier=2, scope="depthwise"),
            layers.conv2d_transpose(x, 2, [3, 3], stride=2, scope="up"),
            layers.conv2d_transpose(x, 2, [3, 3], stride=2, padding="VALID", scope="up_valid"),
            layers.conv2d_in_plane(x, [3, 3], scope="in_plane"),
            layers.layer_norm(x, scope="ln"), layers.layer_norm(x, begin_norm_axis=-1, scope="ln_last"),
            layers.instance_norm(x, scope="inorm"), layers.group_norm(x, groups=1, scope="gnorm"),
            layers.bias_add(x, scope="bias"), layers.unit_norm(x, 3), layers.softmax(x),
            layers.conv2d(x, 3, [2, 2], normalizer_fn=layers.layer_norm, scope="conv_ln"),
            layers.fully_connected(x, 4, scope="fc_rank4"), layers.conv1d(x[:, 0], 3, 2, scope="c1d"),
            layers.max_pool2d(x, 3, stride=2, padding="SAME"), layers.maxout(x, 1)]
    # sin: a plain sum of a normalized output is zero up to rounding, and so is its gradient
    return _loss_and_grads(tf, tf.add_n([tf.reduce_sum(tf.sin(o)) for o in outs]), x)


def _gdn(tf: Any, layers: Any, x: Any) -> list:
    # values only: tf-slim registers its lower bound's gradient under a name TF 2.21 no longer finds
    # (channels_first: TF's CPU convolution takes NHWC only; test_gdn_... checks it against NHWC)
    return [layers.gdn(x, name="gdn"), layers.gdn(x, inverse=True, name="igdn")]


def _batch_norm_updates(tf: Any, layers: Any, x: Any) -> list:
    is_training = tf.placeholder_with_default(True, [])
    out = layers.batch_norm(x, decay=0.9, center=True, scale=True, is_training=is_training,
                            updates_collections=None, fused=False)
    mean = [v for v in tf.global_variables() if "moving_mean" in v.name][0]
    with tf.control_dependencies([out]):
        moving = tf.identity(mean)
    return [out, moving]


def _optimize_loss(tf: Any, layers: Any, x: Any) -> list:
    logits = layers.fully_connected(layers.flatten(x), 3, activation_fn=tf.tanh)
    loss = tf.reduce_mean(tf.square(logits))
    step = tf.train.get_or_create_global_step()
    train = layers.optimize_loss(loss, step, 0.5, "SGD", clip_gradients=0.05,
                                 gradient_multipliers={"fully_connected/biases:0": 3.0}, summaries=["loss"])
    return [train]


@pytest.mark.parametrize("build", [_convnet, _more_layers, _gdn, _batch_norm_updates, _optimize_loss],
                         ids=lambda f: f.__name__.strip("_"))
def test_layers_match_tf_slim(build: Callable[[Any, Any, Any], list]) -> None:
    _agree(build)


def test_arg_scope_nests_overrides_and_refuses_undecorated_functions() -> None:
    af = gf.contrib.framework

    @af.add_arg_scope
    def f(a: int, b: int = 1, c: int = 2) -> tuple[int, int, int]:
        return a, b, c

    def plain(a: int) -> int:
        return a
    with af.arg_scope([f], b=10) as outer:
        assert f(0) == (0, 10, 2)
        with af.arg_scope([f], c=20):
            assert f(0) == (0, 10, 20)
            assert f(0, c=3) == (0, 10, 3)  # the call's own argument wins
        assert f(0) == (0, 10, 2)
    assert f(0) == (0, 1, 2)
    with af.arg_scope(outer):  # a saved scope re-entered
        assert f(0) == (0, 10, 2)
    with pytest.raises(ValueError, match="not decorated with @add_arg_scope"):
        with af.arg_scope([plain], a=1):
            pass
    assert af.has_arg_scope(f) and not af.has_arg_scope(plain)
    assert af.arg_scoped_arguments(f) == ["a", "b", "c"]


def test_variable_helpers_and_assign_from_checkpoint(tmp_path: Any) -> None:
    with gf.Graph().as_default():
        with gf.variable_scope("conv1"):
            w = slim.model_variable("weights", [2, 3], initializer=gf.ones_initializer())
            b = slim.variable("biases", [3], initializer=gf.zeros_initializer())
        with gf.variable_scope("logits"):
            lw = slim.model_variable("weights", [3], initializer=gf.constant_initializer(2.0))
        assert slim.get_model_variables() == [w, lw]
        assert slim.get_variables("conv1") == [w, b]
        assert slim.get_variables_by_name("weights") == [w, lw]
        assert slim.get_variables_by_suffix("biases") == [b]
        assert slim.get_unique_variable("conv1/weights") is w
        assert slim.get_variables_to_restore(exclude=["logits"]) == [w, b]
        assert slim.filter_variables([w, b, lw], include_patterns=["weights"], exclude_patterns=["logits"]) == [w]
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            path = gf.train.Saver().save(s, str(tmp_path / "model.ckpt"))
            s.run([w.assign(w * 5), lw.assign(lw * 5)])
            slim.assign_from_checkpoint_fn(path, slim.get_variables_to_restore(exclude=["logits"]))(s)
            op, feeds = slim.assign_from_values({"logits/weights": np.full(3, 7.0)})
            s.run(op, feeds)
            np.testing.assert_array_equal(s.run(w), np.ones((2, 3)))
            np.testing.assert_array_equal(s.run(lw), np.full(3, 7.0))
        with pytest.raises(ValueError, match="not found"):
            slim.assign_from_checkpoint(path, {"nowhere/w": w})


def test_end_points_carry_aliases() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [1, 4, 4, 1])
        with slim.arg_scope([slim.conv2d, slim.max_pool2d], outputs_collections="end_points"):
            net = slim.conv2d(x, 2, 3, scope="net/conv1")
            slim.max_pool2d(net, 2, scope="net/pool1")
        points = slim.utils.convert_collection_to_dict("end_points")
        assert list(points) == ["net/conv1", "net/pool1"]
        assert points["net/conv1"] is net


def _np_layer_norm(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12)


def test_normalizations_and_shaping_layers_match_numpy() -> None:
    with gf.Graph().as_default():
        x = gf.constant(X)
        outs = {"layer": slim.layer_norm(x), "instance": slim.instance_norm(x),
                "group": slim.group_norm(gf.tile(x, [1, 1, 1, 2]), groups=2),
                "unit": slim.unit_norm(x, 3), "onehot": slim.one_hot_encoding(gf.constant([0, 2]), 3),
                "softmax": slim.softmax(x), "maxout": slim.maxout(gf.tile(x, [1, 1, 1, 2]), 3),
                "poincare": slim.poincare_normalize(x, axis=3), "seq": slim.images_to_sequence(x),
                "back": slim.sequence_to_images(slim.images_to_sequence(x), 8)}
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            got = s.run(outs)
    x6 = np.tile(X, (1, 1, 1, 2))
    grouped = x6.reshape(2, 8, 8, 2, 3)
    want = {"layer": _np_layer_norm(X, (1, 2, 3)),
            "instance": (X - X.mean((1, 2), keepdims=True)) / np.sqrt(X.var((1, 2), keepdims=True) + 1e-6),
            "group": ((grouped - grouped.mean((1, 2, 4), keepdims=True))
                      / np.sqrt(grouped.var((1, 2, 4), keepdims=True) + 1e-6)).reshape(x6.shape),
            "unit": X / np.sqrt(1e-7 + (X ** 2).sum(3, keepdims=True)), "onehot": np.eye(3)[[0, 2]],
            "softmax": np.exp(X) / np.exp(X).sum(3, keepdims=True), "maxout": x6.reshape(2, 8, 8, 3, 2).max(-1),
            "poincare": X * np.minimum((1 - 1e-5) / np.sqrt((X ** 2).sum(3, keepdims=True)), 1.0),
            "seq": X.transpose(2, 0, 1, 3).reshape(8, 16, 3), "back": X}
    for k, v in want.items():
        np.testing.assert_allclose(got[k], v, rtol=1e-10, atol=1e-12, err_msg=k)


def test_normalization_gradients_match_central_differences() -> None:
    for fn in (lambda t: slim.group_norm(t, groups=2, reduction_axes=(-2,), center=False, scale=False),
               lambda t: slim.layer_norm(t, begin_norm_axis=-1, center=False, scale=False),
               lambda t: slim.instance_norm(t, center=False, scale=False),
               lambda t: slim.unit_norm(t, 2)):
        with gf.Graph().as_default():
            check_gradient(fn, [RS.rand(2, 3, 4)])


def test_optimize_loss_steps_as_clipped_multiplied_sgd() -> None:
    with gf.Graph().as_default():
        w = gf.Variable(np.array([3.0, -4.0]), name="w")
        v = gf.Variable(np.array([1.0]), name="v")
        loss = gf.reduce_sum(w * w) + gf.reduce_sum(v * v)
        step = gf.train.get_or_create_global_step()
        train = slim.optimize_loss(loss, step, 0.1, "SGD", clip_gradients=5.0, gradient_multipliers={v: 10.0})
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            assert s.run(train) == pytest.approx(26.0)  # the loss, computed before the step
            gw, gv = np.array([6.0, -8.0]), np.array([2.0]) * 10.0
            scale = 5.0 / np.sqrt((gw ** 2).sum() + (gv ** 2).sum())
            np.testing.assert_allclose(s.run(w), [3.0, -4.0] - 0.1 * gw * scale)
            np.testing.assert_allclose(s.run(v), [1.0] - 0.1 * gv * scale)
            assert s.run(step) == 1
    with pytest.raises(ValueError, match="Optimizer name should be one of"):
        with gf.Graph().as_default():
            slim.optimize_loss(gf.reduce_sum(gf.Variable(1.0) ** 2), gf.train.get_or_create_global_step(), 0.1, "X")


def test_initializers_have_contribs_moments() -> None:
    with gf.Graph().as_default():
        normal = slim.variance_scaling_initializer(factor=2.0, mode="FAN_IN")([400, 300], gf.float64)
        uniform = slim.xavier_initializer()([400, 300], gf.float64)
        with gf.Session() as s:
            a, b = s.run([normal, uniform])
    # contrib's truncated normal has stddev sqrt(1.3 * factor / n) before truncation at 2 sigma
    assert a.std() == pytest.approx(np.sqrt(1.3 * 2.0 / 400) * 0.8796, rel=0.02)
    limit = np.sqrt(6.0 / 700)
    assert abs(b).max() <= limit and b.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)


def test_framework_tensor_utilities() -> None:
    f = gf.contrib.framework
    with gf.Graph().as_default():
        flag = gf.placeholder(gf.bool, [])
        assert f.smart_constant_value(gf.constant(True)) is True and f.smart_constant_value(flag) is None
        assert f.smart_cond(False, lambda: 1, lambda: 2) == 2  # known while building: no cond
        picked = f.smart_cond(flag, lambda: gf.constant(1.0), lambda: gf.constant(2.0))
        cased = f.smart_case([(flag, lambda: gf.constant(3.0))], default=lambda: gf.constant(4.0))
        p, lab = f.remove_squeezable_dimensions(gf.placeholder(gf.float32, [2, 1]), gf.placeholder(gf.float32, [2]))
        assert p.shape.as_list() == [2] and lab.shape.as_list() == [2]
        with pytest.raises(ValueError, match="Invalid shape"):
            f.with_shape([3], gf.placeholder(gf.float32, [2]))
        with pytest.raises(ValueError, match="integer"):
            f.assert_scalar_int(gf.constant(1.0))
        assert f.get_placeholders(gf.get_default_graph())[0] is flag
        with gf.Session() as s:
            assert s.run([picked, cased], {flag: True}) == [1.0, 3.0]
            assert s.run([picked, cased], {flag: False}) == [2.0, 4.0]
    assert f.strip_name_scope("outer/a/b", "outer") == "a/b" and f.prepend_name_scope("^a", "s") == "^s/a"

    @f.deprecated(None, "use g")
    def old() -> int:
        return 1
    with pytest.warns(DeprecationWarning, match="use g"):
        assert old() == 1


def test_gdn_gradient_matches_central_differences() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [1, 3, 3, 2])
        y = slim.gdn(x, inverse=False)
        first = gf.transpose(slim.gdn(gf.transpose(x, [0, 3, 1, 2]), data_format="channels_first", trainable=False),
                             [0, 2, 3, 1])
        loss = gf.reduce_sum(gf.sin(y))
        grads = gf.gradients(loss, [x] + gf.trainable_variables())
        point = RS.rand(1, 3, 3, 2) - 0.5
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            got = s.run(grads, {x: point})
            np.testing.assert_allclose(*s.run([first, y], {x: point}), rtol=1e-12)
            variables = gf.trainable_variables()
            values = s.run(variables)
            for k, (arr, g) in enumerate(zip([point, *values], got)):
                flat = arr.reshape(-1)
                for j in range(0, flat.size, 3):
                    def at(delta: float) -> float:
                        moved = flat.copy()
                        moved[j] += delta
                        if k == 0:
                            return float(s.run(loss, {x: moved.reshape(arr.shape)}))
                        variables[k - 1].load(moved.reshape(arr.shape), s)
                        out = float(s.run(loss, {x: point}))
                        variables[k - 1].load(arr, s)
                        return out
                    numeric = (at(1e-6) - at(-1e-6)) / 2e-6
                    assert g.reshape(-1)[j] == pytest.approx(numeric, rel=1e-5, abs=1e-7), (k, j)


def test_rev_block_names_inverts_and_differentiates() -> None:
    side_value = RS.rand(3)
    with gf.Graph().as_default():
        x1, x2 = gf.placeholder(gf.float64, [2, 3]), gf.placeholder(gf.float64, [2, 3])

        def f(x: Any) -> Any:
            return gf.matmul(x, gf.get_variable("w", [3, 3], gf.float64))

        def g(x: Any, side: list) -> Any:
            return gf.tanh(gf.matmul(x, gf.get_variable("w", [3, 3], gf.float64)) + side[0])
        block = slim.RevBlock(f, g, num_layers=2, g_side_input=[gf.constant(side_value)])
        y1, y2 = block.forward(x1, x2)
        back = block.backward(y1, y2)
        assert [v.name for v in gf.global_variables()] == [
            f"revblock/revlayer_{i}/{fn}/w:0" for i in range(2) for fn in "fg"]
        a, b = RS.rand(2, 3), RS.rand(2, 3)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            ws = s.run(gf.global_variables())
            got1, got2, inv = s.run([y1, y2, back], {x1: a, x2: b})
    u, v = a, b  # by hand: y1 = x1 + f(x2), y2 = x2 + g(y1), layer after layer
    for i in range(2):
        u = u + v @ ws[2 * i]
        v = v + np.tanh(u @ ws[2 * i + 1] + side_value)
    np.testing.assert_allclose(got1, u, rtol=1e-12)
    np.testing.assert_allclose(got2, v, rtol=1e-12)
    np.testing.assert_allclose(inv[0], a, atol=1e-12)  # backward recovers the inputs
    np.testing.assert_allclose(inv[1], b, atol=1e-12)
    with gf.Graph().as_default():  # f and g without variables: the harness's float64 check
        check_gradient(lambda p, q: gf.add_n(list(slim.rev_block(p, q, f=gf.tanh, g=gf.sin, num_layers=3))),
                       [RS.rand(2, 3), RS.rand(2, 3)])
