"""Random feeds as a property: whatever a careless user feeds a placeholder (another dtype, rank,
shape, a ragged list, a string, None), the run either computes what numpy computes or raises a
named error: TypeError / ValueError while checking the feed (as TF1's feed checks), or
InvalidArgumentError from the run, never another exception and never a wrong answer. The same
session serves every case, so the property costs runs, not compiles."""
from __future__ import annotations

import os
from typing import Any

import numpy as np

import graphflow as gf
from graphflow.core.errors import InvalidArgumentError
from tests.optional import need

EXAMPLES = int(os.environ.get("GRAPHFLOW_PROPERTY_EXAMPLES", "60"))
NAMED = (TypeError, ValueError, InvalidArgumentError)


def test_random_feeds_compute_or_raise_a_named_error() -> None:
    hypothesis = need("hypothesis")
    st = hypothesis.strategies
    x = gf.placeholder(gf.float32, [None, 3], name="feed_x")
    k = gf.placeholder(gf.int32, [], name="feed_k")
    w = gf.Variable(np.arange(3, dtype=np.float32))
    y = gf.reduce_sum(x * w, axis=1) + gf.cast(k, gf.float32)
    sess = gf.Session()
    sess.run(gf.global_variables_initializer())
    seen = {"computed": 0, "refused": 0}

    arrays = st.tuples(st.sampled_from(["float32", "float64", "int32", "int64", "bool", "float16", "U3", "O"]),
                       st.lists(st.integers(0, 4), min_size=0, max_size=3))
    batches = st.tuples(st.sampled_from(["float32", "float64", "int32"]), st.integers(0, 4).map(lambda n: [n, 3]))
    feeds = st.one_of(batches, arrays, st.sampled_from(["ragged", "string", "none", "scalar"]))

    ks = st.one_of(st.integers(-3, 3), st.integers(-3, 3), st.sampled_from([1.5, "2", None, [1, 2]]))

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(feeds, ks)
    def case(fx: Any, fk: Any) -> None:
        if isinstance(fx, tuple):
            dtype, shape = fx
            vx: Any = np.ones(shape, dtype=dtype) if dtype != "U3" else np.full(shape, "abc")
        else:
            vx = {"ragged": [[1.0, 2.0, 3.0], [1.0]], "string": "abc", "none": None, "scalar": 2.0}[fx]
        try:
            got = sess.run(y, {x: vx, k: fk})
        except NAMED as e:  # graphflow's own check, naming the placeholder it refused
            assert "feed_x" in str(e) or "feed_k" in str(e), repr(e)
            seen["refused"] += 1
            return
        # it ran: the feed must have been one numpy (and TF1) accept for float32 [None, 3] and int32 []
        ax = np.asarray(vx)
        assert ax.ndim == 2 and ax.shape[1] == 3, (fx, fk)
        want = (ax.astype(np.float32) * np.arange(3, dtype=np.float32)).sum(1) + np.float32(int(fk))
        np.testing.assert_allclose(got, want, rtol=1e-6)
        seen["computed"] += 1

    case()
    assert seen["computed"] and seen["refused"], seen
