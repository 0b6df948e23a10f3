"""tf.CriticalSection: executions of one critical section run in order (the canonical counter, in
several fetches and inside a while_loop), its results keep fn's structure, and TF's checks
(nested executions, variables shared between sections) raise; the same scripts against
tf.compat.v1 when TensorFlow is installed."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS
from tests.optional import tf1


def _counter_script(m: Any, device: str | None = None) -> list:
    """TF's documented counter: each execution reads v, then adds 1, returning what it read."""
    g = m.Graph()
    with g.as_default():
        v = m.get_variable("v", initializer=0.0, use_resource=True)

        def count() -> Any:
            value = v.read_value()
            with m.control_dependencies([value]):
                with m.control_dependencies([v.assign_add(1.0)]):
                    return m.identity(value)
        cs = m.CriticalSection(name="counter")
        f1, f2, f3 = cs.execute(count), cs.execute(count), cs.execute(count)

        def body(i: Any) -> Any:
            add = cs.execute(lambda: v.assign_add(1.0))
            with m.control_dependencies([add]):
                return i + 1
        loop = m.while_loop(lambda i: i < 10, body, [0])
        with m.Session(**({"device": device} if device else {})) as s:
            s.run(v.initializer)
            seen = sorted(float(x) for x in s.run([f1, f2, f3]))
            after_three = float(s.run(v))
            total = float(s.run(f1 + f2 + f3))
            after_six = float(s.run(v))
            steps = int(s.run(loop))
            return [seen, after_three, total, after_six, steps, float(s.run(v)), cs.name]


@pytest.mark.parametrize("device", [d for d in TARGETS if d != "cuda"])
def test_executions_of_one_section_run_in_order(device: str) -> None:
    assert _counter_script(gf, device) == [[0.0, 1.0, 2.0], 3.0, 3.0 + 4.0 + 5.0, 6.0, 10, 16.0, "counter"]


def test_results_keep_fns_structure_and_operations_become_ops() -> None:
    with gf.Graph().as_default():
        v = gf.Variable(1.0)
        cs = gf.CriticalSection()
        r = cs.execute(lambda: {"a": v.read_value(), "b": (2.0 * v, v.assign_add(1.0).op)})
        assert set(r) == {"a", "b"} and isinstance(r["a"], gf.Tensor) and isinstance(r["b"][1], gf.Operation)
        assert cs in gf.get_collection("critical_sections")
        assert len(gf.get_collection("critical_section_executions")) == 1
        with gf.Session() as s:
            s.run(v.initializer)
            a, b = s.run([r["a"], r["b"][0]])
            assert (a, b) in ((1.0, 2.0), (2.0, 4.0))  # the read and the add are unordered inside fn
            np.testing.assert_allclose(s.run(v), 2.0)  # fetching one result ran all of fn's results


def test_tfs_checks_raise() -> None:
    with gf.Graph().as_default():
        v = gf.Variable(0.0)
        cs = gf.CriticalSection()
        with pytest.raises(ValueError, match="already running.*deadlocks"):
            cs.execute(lambda: cs.execute(lambda: v.read_value()))
        cs.execute(lambda: v.assign_add(1.0))
        with pytest.raises(ValueError, match="access resources.*exclusive_resource_access=False"):
            gf.CriticalSection().execute(lambda: v.read_value())
        with pytest.raises(ValueError, match="access resources"):  # the other execution asked for exclusivity
            gf.CriticalSection().execute(lambda: v.read_value(), exclusive_resource_access=False)
        w = gf.Variable(0.0)
        gf.CriticalSection().execute(lambda: w.read_value(), exclusive_resource_access=False)
        gf.CriticalSection().execute(lambda: w + 1.0, exclusive_resource_access=False)  # both shared: allowed
        with pytest.raises(ValueError, match="at least one tensor"):
            cs.execute(lambda: None)
        with pytest.raises(ValueError, match="not supported"):
            gf.CriticalSection(critical_section_def=object())
        # the same shared_name is the same section: nesting it deadlocks in TF
        one = gf.CriticalSection(shared_name="shared")
        with pytest.raises(ValueError, match="already running"):
            one.execute(lambda: gf.CriticalSection(shared_name="shared").execute(lambda: w + 2.0))


@pytest.mark.needs("tensorflow")
def test_the_counter_matches_tf1() -> None:
    tf = tf1()
    ours, theirs = _counter_script(gf), _counter_script(tf)
    assert ours[:6] == theirs[:6]
    assert ours[6] == theirs[6].rstrip("/") == "counter"
