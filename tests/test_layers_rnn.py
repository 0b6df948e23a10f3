"""tf.layers, tf.contrib.layers and the recurrent cells against TF1 (tf.compat.v1 with tf-keras's
legacy layers): the same variable names and shapes, and from the same weights (copied from TF1
into graphflow by name) the same outputs and gradients; dynamic_rnn's loop code independent of
the sequence length."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import compiled_and_reference
from tests.optional import need

RS = np.random.RandomState(0)


def _tf1_layers() -> Any:
    tf = need("tf_keras")  # tf.compat.v1's layers and rnn cells come from tf-keras (TF_USE_LEGACY_KERAS=1)
    tf.disable_eager_execution()
    return tf


def _run(m: Any, build: Callable[[Any], tuple[list, list]], feeds: dict, weights: dict | None) -> tuple:
    """(variable names and shapes, fetched values) of ``build`` in a fresh graph of module ``m``;
    ``weights`` (name -> value) overrides the initial values."""
    g = m.Graph()
    with g.as_default():
        fetches, phs = build(m)
        init = m.global_variables_initializer()
        variables = m.global_variables()
        with m.Session(graph=g) as s:
            s.run(init)
            if weights is not None:
                for v in variables:
                    v.load(weights[v.name], s)
            vals = s.run(variables)
            out = s.run(fetches, {ph: feeds[k] for k, ph in phs})
    return {v.name: val for v, val in zip(variables, vals)}, out


def _agree(build: Callable[[Any], tuple[list, list]], feeds: dict, rtol: float = 1e-9) -> None:
    tf = _tf1_layers()
    theirs_w, theirs = _run(tf, build, feeds, None)
    ours_w, ours = _run(gf, build, feeds, theirs_w)
    assert sorted(ours_w) == sorted(theirs_w)
    for k in ours_w:
        assert ours_w[k].shape == theirs_w[k].shape, k
    for a, b in zip(ours, theirs):
        a = np.asarray(a if not hasattr(a, "values") else a)
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=1e-9)


def _grads(m: Any, loss: Any, extra: list | None = None) -> list:
    vs = m.trainable_variables()
    return [m.convert_to_tensor(g) for g in m.gradients(loss, vs + (extra or []))]


def test_layers_cnn_matches_tf1() -> None:
    x = RS.rand(2, 8, 8, 3)

    def build(m: Any) -> tuple[list, list]:
        inp = m.placeholder(m.float64, [None, 8, 8, 3])
        training = m.placeholder(m.bool, [])
        h = m.layers.conv2d(inp, 4, 3, padding="same", activation=m.nn.relu)
        h = m.layers.batch_normalization(h, training=training)
        h = m.layers.max_pooling2d(h, 2, 2)
        h = m.layers.separable_conv2d(h, 5, 3, padding="same")
        h = m.layers.conv2d_transpose(h, 2, 2, strides=2, padding="same")
        h = m.layers.average_pooling2d(h, 2, 2, padding="same")
        h = m.layers.conv2d(h, 3, 2, strides=2, name="named")
        f = m.layers.flatten(h)
        y = m.layers.dense(f, 5, activation=m.nn.tanh)
        y2 = m.layers.dense(f, 5)
        with m.variable_scope("shared"):
            a = m.layers.dense(f, 2, name="d")
        with m.variable_scope("shared", reuse=True):
            b = m.layers.dense(f, 2, name="d")
        loss = m.reduce_sum(y * y2) + m.reduce_sum(a * b)
        updates = m.get_collection(m.GraphKeys.UPDATE_OPS)
        with m.control_dependencies(updates):
            loss_u = m.identity(loss)
        return [loss_u] + _grads(m, loss, [inp]), [("x", inp), ("t", training)]
    _agree(build, {"x": x, "t": True}, rtol=1e-8)
    _agree(build, {"x": x, "t": False}, rtol=1e-8)


def test_batch_norm_moving_statistics_match_tf1() -> None:
    x = RS.rand(6, 3)
    xi = RS.rand(4, 3, 3, 2)

    def build(m: Any) -> tuple[list, list]:
        inp = m.placeholder(m.float64, [None, 3])
        img = m.placeholder(m.float64, [None, 3, 3, 2])
        y = m.layers.batch_normalization(inp, training=True, momentum=0.5)
        z = m.layers.batch_normalization(img, training=True, momentum=0.5)  # TF1's fused path
        updates = m.get_collection(m.GraphKeys.UPDATE_OPS)
        with m.control_dependencies(updates):
            y = m.identity(y)
            z = m.identity(z)
        mv = [v for v in m.global_variables() if "moving" in v.name]
        with m.control_dependencies([y, z]):
            after = [m.identity(v) for v in mv]
        return [y, z] + after, [("x", inp), ("i", img)]
    _agree(build, {"x": x, "i": xi})


def test_contrib_layers_match_tf1_forms() -> None:
    """contrib.layers is not in TF 2.x: checked against TF1.15's documented maths instead."""
    with gf.Graph().as_default():
        xv = np.random.RandomState(42).rand(2, 3)
        x = gf.constant(xv)
        y = gf.contrib.layers.fully_connected(x, 4, weights_regularizer=gf.contrib.layers.l2_regularizer(0.1))
        z = gf.contrib.layers.fully_connected(y, 2, activation_fn=None)
        c = gf.contrib.layers.conv2d(gf.constant(RS.rand(1, 4, 4, 2)), 3, 3)
        names = [v.name for v in gf.global_variables()]
        assert names == ["fully_connected/weights:0", "fully_connected/biases:0", "fully_connected_1/weights:0",
                         "fully_connected_1/biases:0", "Conv/weights:0", "Conv/biases:0"]
        reg = gf.losses.get_regularization_losses() if hasattr(gf.losses, "get_regularization_losses") else \
            gf.get_collection(gf.GraphKeys.REGULARIZATION_LOSSES)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            w, b, w2, b2, yv, zv, rv, cv = s.run(gf.global_variables()[:4] + [y, z, reg[0], c])
        want_y = np.maximum(xv @ w + b, 0)
        np.testing.assert_allclose(yv, want_y, rtol=1e-12)
        np.testing.assert_allclose(zv, yv @ w2 + b2, rtol=1e-12)
        np.testing.assert_allclose(rv, 0.1 * 0.5 * (w * w).sum(), rtol=1e-12)
        assert cv.shape == (1, 4, 4, 3) and np.all(cv >= 0)


CELLS = {
    "basic_rnn": lambda m: m.nn.rnn_cell.BasicRNNCell(4),
    "basic_lstm": lambda m: m.nn.rnn_cell.BasicLSTMCell(4, forget_bias=0.5),
    "lstm_peephole_proj": lambda m: m.nn.rnn_cell.LSTMCell(4, use_peepholes=True, num_proj=3, cell_clip=0.5,
                                                           proj_clip=0.8),
    "gru": lambda m: m.nn.rnn_cell.GRUCell(4),
    # a state more than twice as wide as the inputs: dynamic_rnn runs the cell per step instead
    # of projecting the inputs before the loop (tf1/nn/rnn.py's _projected)
    "basic_lstm_wide": lambda m: m.nn.rnn_cell.BasicLSTMCell(7),
    "multi": lambda m: m.nn.rnn_cell.MultiRNNCell([m.nn.rnn_cell.BasicLSTMCell(3), m.nn.rnn_cell.GRUCell(2)]),
    "dropout_residual": lambda m: m.nn.rnn_cell.ResidualWrapper(
        m.nn.rnn_cell.DropoutWrapper(m.nn.rnn_cell.BasicRNNCell(3), input_keep_prob=1.0)),
}


@pytest.mark.parametrize("runner", ["static", "dynamic", "dynamic_time_major"])
@pytest.mark.parametrize("name", sorted(CELLS))
def test_cells_match_tf1(name: str, runner: str) -> None:
    x = RS.rand(2, 5, 3)
    lengths = np.array([5, 3], np.int32)

    def build(m: Any) -> tuple[list, list]:
        inp = m.placeholder(m.float64, [None, 5, 3])
        seq = m.placeholder(m.int32, [None])
        cell = CELLS[name](m)
        if runner == "static":
            outs, state = m.nn.static_rnn(cell, m.unstack(inp, axis=1), dtype=m.float64, sequence_length=seq)
            out = m.stack(outs, 1)
        elif runner == "dynamic":
            out, state = m.nn.dynamic_rnn(cell, inp, sequence_length=seq, dtype=m.float64)
        else:
            out, state = m.nn.dynamic_rnn(cell, m.transpose(inp, [1, 0, 2]), dtype=m.float64, time_major=True)
            out = m.transpose(out, [1, 0, 2])
        flat = m.nest.flatten(state) if hasattr(m, "nest") else _flat(state)
        loss = m.reduce_sum(out * out) + m.add_n([m.reduce_sum(s) for s in flat])
        return [out] + flat + _grads(m, loss, [inp]), [("x", inp), ("l", seq)]
    _agree(build, {"x": x, "l": lengths})


@pytest.mark.parametrize("glue", ["0", "1"])
def test_projected_dynamic_rnn_runs_empty_batches_and_sequences(glue: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The projected form (inputs at least half as wide as the state) with an empty batch or no
    steps: gradients of the right shapes, equal to the reference executor's (the projection's
    gradient is scattered into step order after the loop, from stacks that may hold no rows)."""
    monkeypatch.setenv("GRAPHFLOW_GLUE", glue)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, None, 8])
        out, _ = gf.nn.dynamic_rnn(gf.nn.rnn_cell.BasicLSTMCell(6), x, dtype=gf.float64)
        grads = gf.gradients(gf.reduce_sum(out * out), gf.trainable_variables() + [x])
        s, ref = compiled_and_reference()
        with s, ref:
            for shape in ((0, 3, 8), (2, 0, 8), (2, 3, 8)):
                xv = RS.rand(*shape)
                got, want = s.run(grads, {x: xv}), ref.run(grads, {x: xv})
                assert [g.shape for g in got] == [(14, 24), (24,), shape]
                for a, b in zip(got, want):
                    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_a_cell_subclass_with_its_own_call_keeps_it_in_dynamic_rnn() -> None:
    """dynamic_rnn projects the inputs only for a cell called through RNNCell's own ``__call__``
    and ``call``: a subclass overriding either runs per step, through its override."""
    class Muted(gf.nn.rnn_cell.BasicLSTMCell):
        def __call__(self, inputs: Any, state: Any, scope: Any = None) -> Any:
            return super().__call__(inputs * 0.0, state, scope)

    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 3, 8])
        out, _ = gf.nn.dynamic_rnn(Muted(6), x, dtype=gf.float64)  # zero inputs, zero state: zeros
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            assert not s.run(out, {x: RS.rand(2, 3, 8)}).any()


def _flat(s: Any) -> list:
    if isinstance(s, (list, tuple)):
        return [y for v in s for y in _flat(v)]
    return [s]


def test_bidirectional_rnns_match_tf1() -> None:
    x = RS.rand(2, 4, 3)

    def build(m: Any) -> tuple[list, list]:
        inp = m.placeholder(m.float64, [None, 4, 3])
        seq = m.placeholder(m.int32, [None])
        (of, ob), (sf, sb) = m.nn.bidirectional_dynamic_rnn(m.nn.rnn_cell.GRUCell(3), m.nn.rnn_cell.GRUCell(2), inp,
                                                            sequence_length=seq, dtype=m.float64)
        with m.variable_scope("static"):
            outs, _, _ = m.nn.static_bidirectional_rnn(m.nn.rnn_cell.BasicRNNCell(2), m.nn.rnn_cell.BasicRNNCell(2),
                                                       m.unstack(inp, axis=1), dtype=m.float64, sequence_length=seq)
        loss = m.reduce_sum(of * of) + m.reduce_sum(ob) + m.reduce_sum(sf) + m.reduce_sum(sb * sb) + \
            m.reduce_sum(m.stack(outs))
        return [of, ob, sf, sb, m.stack(outs)] + _grads(m, loss, [inp]), [("x", inp), ("l", seq)]
    _agree(build, {"x": x, "l": np.array([4, 2], np.int32)})


def test_dynamic_rnn_code_does_not_grow_with_the_sequence() -> None:
    from graphflow.compiler.cpu import lower as cpu
    from graphflow.compiler.pipeline import run_passes
    from graphflow.compiler.program import build
    from graphflow.compiler.schedule import schedule
    sources = []
    for steps in (113, 1009):  # primes: no other number of the code spells them
        with gf.Graph().as_default():
            x = gf.placeholder(gf.float32, [None, steps, 3])
            out, st = gf.nn.dynamic_rnn(gf.nn.rnn_cell.BasicLSTMCell(4), x, dtype=gf.float32)
            loss = gf.reduce_sum(out)
            g = gf.gradients(loss, gf.trainable_variables())
            p = run_passes(build([loss] + g, [], [(x, 3)]))
            sources.append(re.sub(rf"\b{steps}\b", "N", cpu.lower(p, schedule(p)).source))
    assert sources[0] == sources[1]


def test_zero_state_and_state_feeds() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float32, [None, 3, 2])
        cell = gf.nn.rnn_cell.BasicLSTMCell(4)
        init = cell.zero_state(gf.shape(x)[0], gf.float32)
        out, state = gf.nn.dynamic_rnn(cell, x, initial_state=init)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            xv = RS.rand(5, 3, 2).astype(np.float32)
            c, h = s.run(state, {x: xv})
            assert c.shape == (5, 4)
            # the final state fed back as the initial one (a tuple feed key)
            again = s.run(out, {x: xv, init: (c, h)})
            assert again.shape == (5, 3, 4)
            assert not np.allclose(again, s.run(out, {x: xv}))


def test_contrib_batch_norm_defaults() -> None:
    """TF 1.15's contrib batch_norm: decay 0.999, no gamma, epsilon 1e-3, BatchNorm/ variables."""
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 3])
        training = gf.placeholder(gf.bool)
        y = gf.contrib.layers.batch_norm(x, is_training=training)
        assert [v.name for v in gf.global_variables()] == ["BatchNorm/beta:0", "BatchNorm/moving_mean:0",
                                                         "BatchNorm/moving_variance:0"]
        with gf.control_dependencies(gf.get_collection(gf.GraphKeys.UPDATE_OPS)):
            y = gf.identity(y)
        v = np.random.RandomState(1).rand(8, 3)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            got = s.run(y, {x: v, training: True})
            np.testing.assert_allclose(got, (v - v.mean(0)) / np.sqrt(v.var(0) + 1e-3), rtol=1e-10)
            mm, mv = s.run(gf.global_variables()[1:])
            step = float(np.float32(0.001))  # TF1 makes 1 - decay a float32 tensor before casting it
            np.testing.assert_allclose(mm, step * v.mean(0), rtol=1e-10)
            np.testing.assert_allclose(mv, 1.0 - step + step * v.var(0), rtol=1e-10)
            inferred = s.run(y, {x: v, training: False})
            np.testing.assert_allclose(inferred, (v - mm) / np.sqrt(mv + 1e-3), rtol=1e-10)


def test_layers_1d_match_tf1() -> None:
    x = RS.rand(2, 9, 3)

    def build(m: Any) -> tuple[list, list]:
        inp = m.placeholder(m.float64, [None, 9, 3])
        h = m.layers.conv1d(inp, 4, 3, padding="same", activation=m.nn.relu)
        h = m.layers.max_pooling1d(h, 2, 2, padding="same")
        h = m.layers.conv1d(h, 2, 2, strides=2)
        h = m.layers.average_pooling1d(h, 2, 1)
        d = m.layers.dropout(h, 0.5, training=False)  # the identity when not training
        loss = m.reduce_sum(d * d)
        return [d] + _grads(m, loss, [inp]), [("x", inp)]
    _agree(build, {"x": x})


def test_variable_reuse_forms() -> None:
    with gf.Graph().as_default():
        x = gf.zeros([2, 3])
        with gf.variable_scope("m") as scope:
            a = gf.layers.dense(x, 4, name="fc")
            scope.reuse_variables()
            b = gf.layers.dense(x, 4, name="fc")
        with gf.variable_scope("m", reuse=gf.AUTO_REUSE):
            c = gf.layers.dense(x, 4, name="fc")
            d = gf.layers.dense(x, 4, name="other")
        assert [v.name for v in gf.get_collection(gf.GraphKeys.TRAINABLE_VARIABLES, scope="m")] == \
            ["m/fc/kernel:0", "m/fc/bias:0", "m/other/kernel:0", "m/other/bias:0"]
        reg = gf.layers.dense(x, 2, kernel_regularizer=gf.contrib.layers.l2_regularizer(0.5), name="r")
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            av, bv, cv = s.run([a, b, c])
            np.testing.assert_array_equal(av, bv)
            np.testing.assert_array_equal(av, cv)
            k = s.run(gf.get_collection(gf.GraphKeys.GLOBAL_VARIABLES, scope="r")[0])
            assert s.run(gf.losses.get_regularization_loss()) == pytest.approx(0.5 * 0.5 * (k * k).sum())
        del d, reg
