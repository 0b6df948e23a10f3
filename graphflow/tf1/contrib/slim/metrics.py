"""``slim.metrics`` (TF 1.15's ``tf.contrib.metrics`` as slim scripts reach it): TF1's streaming
metrics, their ``streaming_`` names slim-era code uses, and ``aggregate_metrics`` /
``aggregate_metric_map``, which split ``(value, update_op)`` pairs for an evaluation loop."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphflow.core.types import TensorLike
from graphflow.tf1.metrics import *  # noqa: F403
from graphflow.tf1.metrics import __all__ as _core_names
from graphflow.tf1.metrics import accuracy, mean

Pair = tuple[Any, Any]


def aggregate_metrics(*value_update_tuples: Pair) -> tuple[list[Any], list[Any]]:
    """``([value, ...], [update_op, ...])`` of ``(value, update_op)`` pairs.

    >>> aggregate_metrics(("v1", "u1"), ("v2", "u2"))
    (['v1', 'v2'], ['u1', 'u2'])
    """
    if not value_update_tuples:
        raise ValueError("Expected at least one value_tensor/update_op pair")
    return [v for v, _ in value_update_tuples], [u for _, u in value_update_tuples]


def aggregate_metric_map(names_to_tuples: Mapping[str, Pair]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``({name: value}, {name: update_op})`` of ``{name: (value, update_op)}``.

    >>> aggregate_metric_map({"acc": ("v", "u")})
    ({'acc': 'v'}, {'acc': 'u'})
    """
    return ({n: v for n, (v, _) in names_to_tuples.items()},
            {n: u for n, (_, u) in names_to_tuples.items()})


def streaming_mean(values: TensorLike, weights: TensorLike | None = None,
                   metrics_collections: Sequence[str] | None = None,
                   updates_collections: Sequence[str] | None = None, name: str | None = None) -> Pair:
    """``tf.metrics.mean`` under contrib's name."""
    return mean(values, weights, metrics_collections, updates_collections, name)


def streaming_accuracy(predictions: TensorLike, labels: TensorLike, weights: TensorLike | None = None,
                       metrics_collections: Sequence[str] | None = None,
                       updates_collections: Sequence[str] | None = None, name: str | None = None) -> Pair:
    """``tf.metrics.accuracy`` under contrib's name (predictions first, as contrib had it)."""
    return accuracy(labels, predictions, weights, metrics_collections, updates_collections, name)


__all__ = sorted({*_core_names, "aggregate_metric_map", "aggregate_metrics", "streaming_accuracy",
                  "streaming_mean"})
