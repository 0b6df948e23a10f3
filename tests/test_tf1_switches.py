"""TF1's top-level names that switch behaviours, scope without ops, or name old aliases: what each
does (or why it refuses), and ``gradients``' ``unconnected_gradients`` against TF1."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.optional import tf1


def test_switches_accept_what_graphflow_does_and_refuse_what_it_cannot() -> None:
    assert not gf.resource_variables_enabled()
    gf.enable_resource_variables()
    assert gf.resource_variables_enabled()
    gf.disable_resource_variables()
    assert not gf.control_flow_v2_enabled()
    gf.enable_control_flow_v2()
    assert gf.control_flow_v2_enabled()
    gf.disable_control_flow_v2()
    gf.disable_tensor_equality()
    gf.disable_v2_tensorshape()
    assert not gf.executing_eagerly_outside_functions()
    with pytest.raises(NotImplementedError, match="no eager mode"):
        gf.enable_eager_execution()
    with pytest.raises(NotImplementedError, match="graph-mode behaviour only"):
        gf.enable_v2_behavior()
    with pytest.raises(NotImplementedError, match="tf.equal"):
        gf.enable_tensor_equality()


def test_scopes_and_aliases() -> None:
    with gf.device("/cpu:0"):
        w = gf.Variable(1.0, name="w")
    with gf.colocate_with(w):
        y = w * 2.0
    assert y.op.device == w.op.device != ""
    with gf.container("experiment"), gf.op_scope([w], "outer"):
        z = gf.identity(w, name="z")
    assert z.op.name == "outer/z"
    with gf.variable_op_scope([w], "vs"):
        v = gf.get_variable("v", shape=[2], initializer=gf.zeros_initializer())
    assert v.op.name == "vs/v"
    local = gf.get_local_variable("counter", shape=[], dtype=gf.int32, initializer=gf.zeros_initializer())
    assert local in gf.local_variables() and local not in gf.global_variables() and not local.trainable
    assert gf.all_variables() == gf.global_variables() == [w, v]
    stacked = gf.parallel_stack([gf.constant([1, 2]), gf.constant([3, 4])])
    assert gf.dimension_value(stacked.shape[0]) == 2 and gf.dimension_at_index(stacked.shape, 1) == 2
    with gf.Session() as sess:
        sess.run([gf.global_variables_initializer(), gf.local_variables_initializer(), gf.initialize_all_tables()])
        assert sess.run(gf.guarantee_const(stacked)).tolist() == [[1, 2], [3, 4]]
        assert sess.run(local) == 0
    assert gf.get_logger().name == "graphflow"
    assert isinstance(gf.get_variable_scope(), gf.VariableScope)
    assert gf.AggregationMethod.DEFAULT == gf.AggregationMethod.ADD_N


@pytest.mark.parametrize("how", ["zero", "ZERO", "none"])
def test_unconnected_gradients(how: str) -> None:
    choice = getattr(gf.UnconnectedGradients, how) if how.isupper() else how
    x = gf.placeholder(gf.float64, (None, 2))
    unused = gf.Variable(np.ones(3))
    grads = gf.gradients(gf.reduce_sum(x * x), [x, unused], unconnected_gradients=choice)
    if how == "none":
        assert grads[1] is None
        return
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        gx, gu = sess.run(grads, {x: np.ones((4, 2))})
    np.testing.assert_array_equal(gx, 2 * np.ones((4, 2)))
    np.testing.assert_array_equal(gu, np.zeros(3))
    with pytest.raises(ValueError, match="'none' or 'zero'"):
        gf.gradients(x, [unused], unconnected_gradients="sometimes")


def test_unconnected_gradients_match_tf1() -> None:
    tf = tf1()
    got = []
    for lib in (gf, tf):
        with lib.Graph().as_default():
            x = lib.placeholder(lib.float32, (None, 2))
            other = lib.placeholder(lib.float32, (None, 3))
            g = lib.gradients(lib.reduce_sum(x * 3.0), [x, other],
                              unconnected_gradients=lib.UnconnectedGradients.ZERO)
            with lib.Session() as sess:
                got.append(sess.run(g, {x: np.ones((2, 2)), other: np.ones((2, 3))}))
    for a, b in zip(*got):
        np.testing.assert_array_equal(a, b)
