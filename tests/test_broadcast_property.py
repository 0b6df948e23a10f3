"""Broadcasting on every target against numpy's rules, as a property: random shape pairs (and
triples) with 0 and 1 dims, declared static, unknown or fixed by a variable, fed shapes that
broadcast and shapes that do not. Each case either equals numpy or raises what TF1 raises:
ValueError while building where the static shapes already disagree, InvalidArgumentError
("Incompatible shapes", naming the node) at run time. No loop may read outside an input.

The standing run is small and seeded (``derandomize``); ``GRAPHFLOW_PROPERTY_EXAMPLES=2000``
runs the large one (reported in issue 20's note). Graphs are built once per declared pattern
and reused for every fed shape, so most examples cost a run, not a compile.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.core.errors import InvalidArgumentError
from tests.optional import need

EXAMPLES = int(os.environ.get("GRAPHFLOW_PROPERTY_EXAMPLES", "40"))
KINDS = ("add", "mul_add", "max", "sum_last", "sum_all", "grad")
FED = (0, 1, 2, 3)  # what an unknown dim is fed
FIXED = (1, 2, 3)  # what a declared dim is


def _expected(kind: str, vals: list[np.ndarray]) -> list[np.ndarray]:
    a, b = vals[0], vals[1]
    if kind == "add":
        return [a + b]
    if kind == "mul_add":
        return [a * b + vals[2]]
    if kind == "max":
        return [np.maximum(a, b)]
    if kind == "sum_last":
        s = a - b
        return [s.sum(axis=-1)]
    if kind == "sum_all":
        return [np.asarray((a * b).sum())]
    # d/da of sum(a * b): b broadcast to the product's shape, summed back to a's shape
    g = np.broadcast_to(b, np.broadcast_shapes(a.shape, b.shape))
    lead = g.ndim - a.ndim
    g = g.sum(axis=tuple(range(lead)))
    keep = tuple(j for j, d in enumerate(a.shape) if d == 1 and g.shape[j] != 1)
    return [g.sum(axis=keep, keepdims=True).reshape(a.shape)]


def _build(kind: str, operands: list[tuple[str, tuple[int | None, ...], np.ndarray | None]]) -> tuple[Any, ...]:
    """The graph of ``kind`` over operands (source, declared shape, fixed value): placeholders for
    "feed", Variables for "var" (their value fixes their shape), constants as the unfed default
    of a placeholder_with_default for "default"."""
    ins, feeds = [], []
    for src, shape, value in operands:
        if src == "feed":
            t = gf.placeholder(gf.float64, list(shape))
            feeds.append(t)
        elif src == "var":
            t = gf.Variable(value)
        else:
            t = gf.placeholder_with_default(value, [None] * len(shape))
        ins.append(t)
    a, b = ins[0], ins[1]
    if kind == "add":
        outs = [a + b]
    elif kind == "mul_add":
        outs = [a * b + ins[2]]
    elif kind == "max":
        outs = [gf.maximum(a, b)]
    elif kind == "sum_last":
        outs = [gf.reduce_sum(a - b, axis=-1)]
    elif kind == "sum_all":
        outs = [gf.reduce_sum(a * b)]
    else:
        outs = gf.gradients(gf.reduce_sum(a * b), [a])
    return ins, feeds, outs


def _statically_incompatible(shapes: list[tuple[int | None, ...]]) -> bool:
    rank = max(len(s) for s in shapes)
    for j in range(1, rank + 1):
        known = {s[-j] for s in shapes if len(s) >= j and s[-j] is not None and s[-j] != 1}
        if len(known) > 1:
            return True
    return False


@pytest.fixture(params=["inline", "glue", "cuda"])
def target(request: Any, monkeypatch: Any) -> str:
    if request.param != "cuda":
        monkeypatch.setenv("GRAPHFLOW_GLUE", "1" if request.param == "glue" else "0")
    return request.param


def test_broadcasting_matches_numpy(target: str) -> None:
    hypothesis = need("hypothesis")
    st = hypothesis.strategies
    cache: dict[Any, Any] = {}
    counts = {"equal": 0, "build error": 0, "run error": 0}

    dim = st.one_of(st.sampled_from(FED).map(lambda d: (None, d)), st.sampled_from(FIXED).map(lambda d: (d, d)))
    operand = st.tuples(st.sampled_from(("feed", "feed", "var", "default")), st.lists(dim, min_size=0, max_size=3))

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(st.sampled_from(KINDS), st.lists(operand, min_size=3, max_size=3),
                      st.randoms(use_true_random=False))
    def case(kind: str, spec: list[tuple[str, list[tuple[int | None, int]]]], rnd: Any) -> None:
        n = 3 if kind == "mul_add" else 2
        spec = spec[:n]
        if kind == "sum_last" and all(len(dims) == 0 for _, dims in spec):
            spec = [(spec[0][0], [(None, 2)])] + spec[1:]
        if kind == "grad" and spec[0][0] != "feed":
            spec = [("feed", spec[0][1])] + spec[1:]
        declared, fed = [], []
        for src, dims in spec:
            real = tuple(d for _, d in dims)
            fed.append(real)
            declared.append(tuple(s for s, _ in dims) if src == "feed" else real)
        values = [np.asarray(np.random.RandomState(rnd.randint(0, 2**31)).standard_normal(s)) for s in fed]
        ops = [(src, declared[i], values[i] if src != "feed" else None) for i, (src, _) in enumerate(spec)]
        # a variable or a default is built with its value: one graph per pattern and value shape
        key = (target, kind, tuple((src, d) for src, d, _ in ops), tuple(v.shape for v in values))
        static = [d if src == "feed" else v.shape if src == "var" else (None,) * v.ndim
                  for (src, d, _), v in zip(ops, values)]  # a default's placeholder is all unknown
        if _statically_incompatible(static):
            with gf.Graph().as_default(), pytest.raises(ValueError):
                _build(kind, ops)
            counts["build error"] += 1
            return
        if key not in cache:
            g = gf.Graph()
            with g.as_default():
                ins, feeds, outs = _build(kind, ops)
                sess = gf.Session(graph=g, device="cuda") if target == "cuda" else gf.Session(graph=g)
                sess.run(gf.global_variables_initializer())
            cache[key] = (ins, feeds, outs, sess, values)
        ins, feeds, outs, sess, first = cache[key]
        # a default is part of its graph: the case computes with the one it was built with
        values = [f if src == "default" else v for v, f, (src, _, _) in zip(values, first, ops)]
        for t, v, (src, _, _) in zip(ins, values, ops):
            if src == "var":
                t.load(v, sess)
        feed = {t: v for t, v, (src, _, _) in zip(ins, values, ops) if src == "feed"}
        try:
            want = _expected(kind, values)
        except ValueError:
            with pytest.raises(InvalidArgumentError, match="Incompatible shapes") as e:
                sess.run(outs, feed)
            assert f"{os.path.basename(__file__)}:" in str(e.value), e.value  # the user's line
            counts["run error"] += 1
            return
        got = sess.run(outs, feed)
        for w, r in zip(want, got):
            assert np.shape(r) == w.shape, (kind, fed, np.shape(r), w.shape)
            np.testing.assert_allclose(r, w, rtol=1e-12, atol=1e-12)
        counts["equal"] += 1

    case()
    print(f"\n{target}: {sum(counts.values())} cases: {counts}")
    assert counts["equal"] and counts["run error"], counts  # both outcomes were exercised
