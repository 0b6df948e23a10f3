"""float16 graphs: compiled CPU code carries float16 as float32 and rounds at fetches, so
results match numpy's float16 within the float16 tolerance."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_op
from tests.tolerances import value_tol


@pytest.mark.parametrize("device", TARGETS)
def test_float16_elementwise_matmul_and_reductions(device: str) -> None:
    rng = np.random.RandomState(0)
    a = rng.uniform(-1, 1, (4, 3)).astype(np.float16)
    b = rng.uniform(-1, 1, (3, 2)).astype(np.float16)

    def fn(x, y):  # type: ignore[no-untyped-def]
        m = gf.matmul(x, y)
        return [gf.tanh(x) * 2.0 + 1.0, m, gf.reduce_sum(m, axis=0), gf.reduce_max(x * x)]

    def ref(x, y):  # type: ignore[no-untyped-def]
        m = (x.astype(np.float32) @ y.astype(np.float32)).astype(np.float16)
        return [np.tanh(x) * np.float16(2) + np.float16(1), m, m.sum(axis=0, dtype=np.float16),
                np.max(x * x)]
    check_op(fn, ref, [a, b], device=device, tol=value_tol(np.float16))


def test_float16_variables_round_trip() -> None:
    w = gf.Variable(np.full((2, 2), 0.1, np.float16))
    half = w.assign(w * 0.5)
    with gf.Session() as sess:
        sess.run(gf.global_variables_initializer())
        got = sess.run(half)
        assert got.dtype == np.float16
        np.testing.assert_allclose(got, np.full((2, 2), 0.05, np.float16), **value_tol(np.float16))
        assert sess.run(w).dtype == np.float16
