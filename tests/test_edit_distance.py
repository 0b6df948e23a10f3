"""tf.edit_distance: against a plain Python Levenshtein distance on random sequences of every
length (empty ones included), ranks 2 and 3, strings, and tensorflow.compat.v1 where installed."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS
from tests.optional import need


def _levenshtein(a: list[Any], b: list[Any]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def _sparse(seqs: list[list[Any]], lib: Any = gf, gaps: bool = False) -> Any:
    """Row b's values at positions 0.. (every other position with ``gaps``: positions do not matter)."""
    step = 2 if gaps else 1
    idx = [[b, step * j] for b, s in enumerate(seqs) for j in range(len(s))]
    vals = np.array([v for s in seqs for v in s])
    width = max([step * len(s) for s in seqs] + [1])
    return lib.SparseTensor(np.array(idx, np.int64).reshape(-1, 2), vals, [len(seqs), width])


def _expected(hyp: list[list[Any]], truth: list[list[Any]], normalize: bool) -> np.ndarray:
    out = []
    for h, t in zip(hyp, truth):
        d = _levenshtein(h, t)
        out.append(d / len(t) if normalize and t else (np.inf if normalize and h else (0.0 if normalize else d)))
    return np.array(out, np.float32)


@pytest.mark.parametrize("device", TARGETS)
def test_random_sequences(device: str) -> None:
    rs = np.random.RandomState(3)
    hyp = [list(rs.randint(0, 4, rs.randint(0, 7))) for _ in range(12)] + [[], [1]]
    truth = [list(rs.randint(0, 4, rs.randint(0, 7))) for _ in range(12)] + [[], []]
    runs = {(norm, gaps): gf.edit_distance(_sparse(hyp, gaps=gaps), _sparse(truth), normalize=norm)
            for norm in (True, False) for gaps in (True, False)}
    with gf.Session(device=device) as sess:
        got = sess.run(runs)
    for (norm, _), g in got.items():
        assert g.dtype == np.float32 and g.shape == (14,)
        np.testing.assert_array_equal(g, _expected(hyp, truth, norm))


def test_rank_three_strings_and_shapes() -> None:
    h3 = gf.SparseTensor([[0, 0, 0], [0, 1, 1], [1, 0, 0]], np.array([1, 2, 3], np.int64), [2, 2, 2])
    t3 = gf.SparseTensor([[0, 0, 0], [1, 1, 0]], np.array([1, 3], np.int64), [2, 3, 5])
    words = gf.edit_distance(_sparse([["the", "cat", "sat"], ["a"]]), _sparse([["the", "bat", "sat", "down"], []]),
                             normalize=False)
    fed = gf.sparse_placeholder(gf.int32, shape=[None, None])
    with gf.Session() as sess:
        got3, got_words = sess.run([gf.edit_distance(h3, t3), words])
        got_fed = sess.run(gf.edit_distance(fed, fed), {fed: gf.SparseTensorValue([[0, 0]], [4], [2, 1])})
    np.testing.assert_array_equal(got3, [[0.0, np.inf, 0.0], [np.inf, 1.0, 0.0]])  # the larger leading dims
    np.testing.assert_array_equal(got_words, [2.0, 1.0])
    np.testing.assert_array_equal(got_fed, [0.0, 0.0])
    with pytest.raises(TypeError, match="one dtype"):
        gf.edit_distance(_sparse([[1]]), gf.SparseTensor([[0, 0]], [1.0], [1, 1]))
    with pytest.raises(ValueError, match="one rank"):
        gf.edit_distance(h3, _sparse([[1]]))
    with pytest.raises(ValueError, match="give sparse_placeholder a shape"):
        gf.edit_distance(gf.sparse_placeholder(gf.int32), gf.sparse_placeholder(gf.int32))


def test_matches_tf1() -> None:
    tf = need("tensorflow").compat.v1
    tf.disable_eager_execution()
    rs = np.random.RandomState(4)
    hyp = [list(rs.randint(0, 3, rs.randint(0, 6))) for _ in range(20)]
    truth = [list(rs.randint(0, 3, rs.randint(0, 6))) for _ in range(20)]

    def build(lib: Any) -> list[Any]:
        return [lib.edit_distance(_sparse(hyp, lib, gaps=True), _sparse(truth, lib), normalize=norm)
                for norm in (True, False)]

    with tf.Graph().as_default(), tf.Session() as sess:
        want = sess.run(build(tf))
    with gf.Session() as sess:
        got = sess.run(build(gf))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
