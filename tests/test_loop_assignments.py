"""Assignments inside control flow: a while_loop body that assigns variables (each iteration's reads
see the previous iteration's assignments, reads ordered after an assignment see its value, the
variables hold the last values when the loop's results are seen), against TF1; reads after an
assignment inside a cond branch, and assignments in conds nested in a loop body."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need

LOOP_TARGETS = ("reference", "cpu")


def _loop(tf: Any, steps: Any) -> tuple[Any, Any, Any, Any]:
    v = tf.Variable(1.0)
    acc = tf.Variable(tf.zeros([2]))

    def body(i: Any, x: Any) -> Any:
        doubled = tf.assign(v, v * 2.0)
        with tf.control_dependencies([doubled]):
            y = x + tf.identity(v)  # ordered after the assignment: the new value
        added = tf.assign_add(acc, tf.stack([tf.cast(i, tf.float32), 1.0]))
        with tf.control_dependencies([added]):
            return i + 1, tf.identity(y)
    # one iteration at a time: TF1 may otherwise start an iteration's read of v before the previous
    # iteration's assignment (a race graphflow does not have: its iterations run in order)
    i, x = tf.while_loop(lambda i, x: i < steps, body, [tf.constant(0), tf.constant(0.0)], parallel_iterations=1)
    return v, acc, i, x


@pytest.mark.parametrize("device", LOOP_TARGETS)
def test_a_loop_assigns_variables_each_iteration(device: str) -> None:
    with gf.Graph().as_default():
        steps = gf.placeholder(gf.int32, [])
        v, acc, i, x = _loop(gf, steps)
        with gf.Session(device=device) as s:
            s.run(gf.global_variables_initializer())
            assert s.run([i, x], {steps: 3}) == [3, 14.0]  # 2 + 4 + 8
            assert s.run(v) == 8.0
            np.testing.assert_array_equal(s.run(acc), [3.0, 3.0])
            assert s.run(x, {steps: 2}) == 48.0  # 16 + 32: the variable kept its value between runs
            assert s.run(x, {steps: 0}) == 0.0 and s.run(v) == 32.0  # no iteration: nothing assigned


def test_loop_assignments_match_tf1() -> None:
    tf = need("tensorflow")

    def run(m: Any) -> list[Any]:
        with m.Graph().as_default():
            steps = m.placeholder(m.int32, [])
            v, acc, i, x = _loop(m, steps)
            with m.Session() as s:
                s.run(m.global_variables_initializer())
                first = s.run([i, x], {steps: 4})
                return first + s.run([v, acc]) + [s.run(x, {steps: 1}), s.run(v)]
    for a, b in zip(run(gf), run(tf)):
        np.testing.assert_allclose(a, b)


def test_the_cond_sees_the_bodys_assignments() -> None:
    with gf.Graph().as_default():
        v = gf.Variable(1.0)

        def body(i: Any) -> Any:
            with gf.control_dependencies([gf.assign_add(v, 1.5)]):
                return i + 1
        i = gf.while_loop(lambda i: v < 5.0, body, [gf.constant(0)])  # stops on the variable's value
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            assert s.run(i) == 3 and s.run(v) == 5.5


def test_a_cond_branch_reads_what_it_assigned() -> None:
    with gf.Graph().as_default():
        w = gf.Variable(5.0)
        p = gf.placeholder(gf.bool, [])

        def assigning() -> Any:
            with gf.control_dependencies([gf.assign(w, 7.0)]):
                return w * 2.0
        r = gf.cond(p, assigning, lambda: w * 1.0)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            assert s.run(r, {p: False}) == 5.0
            assert s.run(r, {p: True}) == 14.0 and s.run(w) == 7.0


def _conds_in_a_loop(tf: Any) -> tuple[Any, Any, Any]:
    """A body whose cond assigns on even steps, with a cond inside that branch assigning too."""
    v = tf.Variable(1.0)
    w = tf.Variable([2.0, 3.0])

    def body(i: Any, acc: Any) -> Any:
        def even() -> Any:
            with tf.control_dependencies([tf.assign_add(v, 10.0)]):
                doubled = tf.cond(i > 1, lambda: tf.identity(tf.assign(w, w * 2.0)), lambda: tf.identity(w))
                return tf.identity(v) + tf.reduce_sum(doubled)
        value = tf.cond(tf.equal(i % 2, 0), even, lambda: tf.identity(v))
        return i + 1, acc + value
    _, acc = tf.while_loop(lambda i, acc: i < 4, body, [tf.constant(0), tf.constant(0.0)], parallel_iterations=1)
    return v, w, acc


@pytest.mark.parametrize("device", LOOP_TARGETS)
def test_conds_inside_a_loop_assign_and_later_reads_see_it(device: str) -> None:
    with gf.Graph().as_default():
        v, w, acc = _conds_in_a_loop(gf)
        with gf.Session(device=device) as s:
            s.run(gf.global_variables_initializer())
            # i=0: v=11, w unchanged (5): 16; i=1: 11; i=2: v=21, w=[4, 6]: 31; i=3: 21
            assert s.run(acc) == 16.0 + 11.0 + 31.0 + 21.0
            assert s.run(v) == 21.0
            np.testing.assert_array_equal(s.run(w), [4.0, 6.0])
            assert s.run(acc) == 41.0 + 31.0 + 61.0 + 41.0  # the second run starts from v=21, w=[4, 6]


def test_conds_inside_a_loop_assign_as_tf1() -> None:
    tf = need("tensorflow")

    def run(m: Any) -> list[Any]:
        with m.Graph().as_default():
            v, w, acc = _conds_in_a_loop(m)
            with m.Session() as s:
                s.run(m.global_variables_initializer())
                return [s.run(acc), s.run(v), s.run(w), s.run(acc), s.run(v), s.run(w)]
    for a, b in zip(run(gf), run(tf)):
        np.testing.assert_allclose(a, b)


def test_a_cond_returning_an_assignment_inside_a_loop() -> None:
    with gf.Graph().as_default():
        v = gf.Variable(1.0)

        def body(i: Any) -> Any:
            bumped = gf.cond(i > 0, lambda: gf.assign(v, v + 2.0), lambda: gf.identity(v))
            with gf.control_dependencies([bumped]):
                return i + 1
        i = gf.while_loop(lambda i: i < 3, body, [gf.constant(0)])
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            assert s.run(i) == 3 and s.run(v) == 5.0  # assigned at i = 1 and 2


@pytest.mark.parametrize("device", LOOP_TARGETS)
def test_nested_loops_assign_and_arrays_alone_see_the_assignments(device: str) -> None:
    with gf.Graph().as_default():
        v = gf.Variable(0.0)

        def outer(i: Any) -> Any:
            def inner(j: Any) -> Any:
                with gf.control_dependencies([gf.assign_add(v, 1.0)]):
                    return j + 1
            j = gf.while_loop(lambda j: v < 2.0 * gf.cast(i + 1, gf.float32) + gf.cast(i, gf.float32), inner,
                              [gf.constant(0)])  # the inner cond reads the variable the inner body assigns
            with gf.control_dependencies([j]):
                return i + 1
        i = gf.while_loop(lambda i: i < 2, outer, [gf.constant(0)])
        w = gf.Variable(0.0)

        def body(k: Any, ta: Any) -> Any:
            bumped = gf.assign_add(w, 1.0)
            return k + 1, ta.write(k, bumped)
        _, ta = gf.while_loop(lambda k, ta: k < 3, body, [gf.constant(0), gf.TensorArray(gf.float32, size=3)])
        with gf.Session(device=device) as s:
            s.run(gf.global_variables_initializer())
            assert s.run(i) == 2 and s.run(v) == 5.0  # inner loops stop at 2 and then 5
            np.testing.assert_array_equal(s.run(ta.stack()), [1.0, 2.0, 3.0])  # fetching only the array
            assert s.run(w) == 3.0


def _gradient_through_assigning_conds(tf: Any) -> tuple[Any, Any, Any]:
    v = tf.Variable(1.0)
    x = tf.Variable(3.0)

    def body(i: Any, acc: Any) -> Any:
        def even() -> Any:
            with tf.control_dependencies([tf.assign_add(v, 1.0)]):
                return x * tf.identity(v)
        return i + 1, acc + tf.cond(tf.equal(i % 2, 0), even, lambda: x * x)
    _, acc = tf.while_loop(lambda i, a: i < 4, body, [tf.constant(0), tf.constant(0.0)], parallel_iterations=1)
    return acc, tf.gradients(acc, [x])[0], v


@pytest.mark.parametrize("device", LOOP_TARGETS)
def test_gradients_through_conds_that_assign_in_a_loop(device: str) -> None:
    with gf.Graph().as_default():
        acc, grad, v = _gradient_through_assigning_conds(gf)
        with gf.Session(device=device) as s:
            s.run(gf.global_variables_initializer())
            # v is 2 then 3 on the even steps: acc = 3*2 + 9 + 3*3 + 9, d acc/dx = 2 + 6 + 3 + 6
            assert s.run([acc, grad]) == [33.0, 17.0] and s.run(v) == 3.0


def test_gradients_through_conds_that_assign_in_a_loop_match_tf1() -> None:
    tf = need("tensorflow")

    def run(m: Any) -> list[Any]:
        with m.Graph().as_default():
            acc, grad, v = _gradient_through_assigning_conds(m)
            with m.Session() as s:
                s.run(m.global_variables_initializer())
                return s.run([acc, grad]) + [s.run(v)] + s.run([acc, grad])
    np.testing.assert_allclose(run(gf), run(tf))
