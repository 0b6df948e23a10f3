"""``tf.get_seed`` / ``tf.random.get_seed``: TF1's (graph seed, op seed) pair for an op's seed."""
from __future__ import annotations

from graphflow.core.ir import get_default_graph
from graphflow.core.rng import DEFAULT_GRAPH_SEED

_MAXINT32 = 2**31 - 1


def _truncate(seed: int) -> int:
    return int(seed) % _MAXINT32  # (TF1's modulus: 2**31 - 1)


def get_seed(op_seed: int | None) -> tuple[int | None, int | None]:
    """The seeds an op given ``op_seed`` uses, under the default graph's seed
    (``gf.set_random_seed``): (None, None) when neither is set; the graph seed and an op seed
    derived from the graph's size when only the graph seed is; the default graph seed and
    ``op_seed`` when only it is.

    >>> import graphflow as gf
    >>> gf.get_seed(5)
    (87654321, 5)
    """
    graph = get_default_graph()
    if graph.seed is not None:
        if op_seed is None:
            op_seed = len(graph.get_operations())  # TF1's graph._last_id: the ops built so far
        seeds: tuple[int | None, int | None] = (_truncate(graph.seed), _truncate(op_seed))
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, _truncate(op_seed))
    else:
        seeds = (None, None)
    if seeds == (0, 0):
        return (0, _MAXINT32)
    return seeds
