"""The tf.metrics beyond the counting and regression ones (ranking at k, counts and rates at
thresholds, the averaging and per-class ones) and tf.losses.mean_pairwise_squared_error: each
metric streamed over several batches against numpy computed from its definition over every batch
seen so far (with and without weights), the loss against numpy and central differences, and
everything against tf.compat.v1 on the same inputs."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS, check_gradient
from tests.optional import tf1
from tests.tolerances import value_tol

C, B, STEPS, K = 5, 6, 3, 3  # classes, batch, streamed batches, labels per example
THRESHOLDS = [0.0, 0.25, 0.5, 0.9]
AUC_THRESHOLDS = [0.7, 0.2, 0.5]  # auc sorts them
EPS = 1e-7


def _batches(seed: int) -> list[dict[str, np.ndarray]]:
    rs = np.random.RandomState(seed)
    out = []
    for _ in range(STEPS):
        ids = rs.randint(-1, C + 2, (B, K)).astype(np.int64)  # -1 padding, ids >= C, repeats
        ids[:, 0] = rs.randint(0, C, B)  # every example has a label in range
        x = rs.standard_normal((B, 4)).astype(np.float32)
        y = rs.standard_normal((B, 4)).astype(np.float32)
        norm = rs.uniform(0.5, 2.0, (B, 4)).astype(np.float32)
        norm[rs.rand(B, 4) < 0.25] = 0.0
        w = rs.uniform(0.0, 2.0, B).astype(np.float32)
        w[rs.rand(B) < 0.3] = 0.0
        out.append(dict(scores=rs.rand(B, C).astype(np.float32), ids=ids,
                        top=np.argsort(-rs.rand(B, C), axis=1)[:, :K].astype(np.int32),
                        label=rs.randint(0, C, B).astype(np.int64), guess=rs.randint(0, C, B).astype(np.int64),
                        prob=rs.rand(B).astype(np.float32), truth=rs.rand(B) < 0.5, x=x, y=y, norm=norm,
                        ux=x / np.linalg.norm(x, axis=1, keepdims=True),
                        uy=y / np.linalg.norm(y, axis=1, keepdims=True), w=w))
    return out


BATCHES = _batches(0)
SHAPES = {"scores": (B, C), "ids": (B, K), "top": (B, K), "label": (B,), "guess": (B,), "prob": (B,), "truth": (B,),
          "x": (B, 4), "y": (B, 4), "norm": (B, 4), "ux": (B, 4), "uy": (B, 4), "w": (B,)}


def _metrics(m: Any, p: dict[str, Any], w: Any) -> dict[str, tuple[Any, Any]]:
    """Every metric under test, built with framework ``m`` on placeholders ``p`` (weights ``w``)."""
    mt = m.metrics
    return {
        "ap_at_1": mt.average_precision_at_k(p["ids"], p["scores"], 1, weights=w),
        "ap_at_3": mt.sparse_average_precision_at_k(p["ids"], p["scores"], 3, weights=w),
        "precision_at_2": mt.precision_at_k(p["ids"], p["scores"], 2, weights=w),
        "precision_at_3_class1": mt.sparse_precision_at_k(p["ids"], p["scores"], 3, class_id=1, weights=w),
        "recall_at_2": mt.recall_at_k(p["ids"], p["scores"], 2, weights=w),
        "recall_at_1_class0": mt.recall_at_k(p["ids"], p["scores"], 1, class_id=0, weights=w),
        "precision_at_top_k": mt.precision_at_top_k(p["ids"], p["top"], weights=w),
        "recall_at_top_k": mt.recall_at_top_k(p["ids"], p["top"], k=K, weights=w),
        "recall_at_top_k_class2": mt.recall_at_top_k(p["ids"], p["top"], class_id=2, weights=w),
        "tp_at_thresholds": mt.true_positives_at_thresholds(p["truth"], p["prob"], THRESHOLDS, weights=w),
        "fp_at_thresholds": mt.false_positives_at_thresholds(p["truth"], p["prob"], THRESHOLDS, weights=w),
        "tn_at_thresholds": mt.true_negatives_at_thresholds(p["truth"], p["prob"], THRESHOLDS, weights=w),
        "fn_at_thresholds": mt.false_negatives_at_thresholds(p["truth"], p["prob"], THRESHOLDS, weights=w),
        "precision_at_thresholds": mt.precision_at_thresholds(p["truth"], p["prob"], THRESHOLDS, weights=w),
        "recall_at_thresholds": mt.recall_at_thresholds(p["truth"], p["prob"], THRESHOLDS, weights=w),
        "sensitivity_at_specificity": mt.sensitivity_at_specificity(p["truth"], p["prob"], 0.6, weights=w,
                                                                    num_thresholds=20),
        "specificity_at_sensitivity": mt.specificity_at_sensitivity(p["truth"], p["prob"], 0.4, weights=w,
                                                                    num_thresholds=20),
        "auc_roc": mt.auc(p["truth"], p["prob"], weights=w, num_thresholds=50),
        "auc_pr_careful": mt.auc(p["truth"], p["prob"], weights=w, curve="PR",
                                 summation_method="careful_interpolation"),
        "auc_roc_minoring": mt.auc(p["truth"], p["prob"], weights=w, summation_method="minoring",
                                   thresholds=AUC_THRESHOLDS),
        "auc_pr_majoring": mt.auc(p["truth"], p["prob"], weights=w, curve="PR", summation_method="majoring"),
        "mean_cosine_distance": mt.mean_cosine_distance(p["uy"], p["ux"], 1,
                                                        weights=None if w is None else w[:, None]),
        "mean_iou": mt.mean_iou(p["label"], p["guess"], C, weights=w),
        "mean_per_class_accuracy": mt.mean_per_class_accuracy(p["label"], p["guess"], C, weights=w),
        "mean_relative_error": mt.mean_relative_error(p["y"], p["x"], p["norm"], weights=w),
        "mean_tensor": mt.mean_tensor(p["x"], weights=w),
        "percentage_below": mt.percentage_below(p["x"], 0.2, weights=w),
    }


def _stream(m: Any, weighted: bool, device: str | None = None) -> dict[str, list[tuple[Any, Any]]]:
    """name -> [(update's result, value after it)] per batch, plus (None, value) before any."""
    g = m.Graph()
    with g.as_default():
        p = {k: m.placeholder(m.bool if k == "truth" else m.as_dtype(BATCHES[0][k].dtype), SHAPES[k])
             for k in SHAPES}
        metrics = _metrics(m, p, p["w"] if weighted else None)
        sess = m.Session(graph=g) if device is None else m.Session(graph=g, device=device)
        with sess as s:
            s.run(m.local_variables_initializer())
            out = {k: [(None, v)] for k, v in s.run({k: v for k, (v, _) in metrics.items()}).items()}
            for batch in BATCHES:
                feed = {p[k]: batch[k] for k in SHAPES}
                updates = s.run({k: u for k, (_, u) in metrics.items()}, feed)
                values = s.run({k: v for k, (v, _) in metrics.items()})
                for k in metrics:
                    out[k].append((updates[k], values[k]))
            return out


# ---- numpy references: each metric over the concatenation of the batches seen, weights w -----------------

def _top(scores: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _set_counts(top: np.ndarray, ids: np.ndarray, w: np.ndarray, class_id: int | None) -> tuple[float, float, float]:
    tp = fp = fn = 0.0
    for row, labels, wt in zip(top, ids, w):
        pred, lab = set(row.tolist()), set(labels.tolist())
        if class_id is not None:
            pred, lab = pred & {class_id}, lab & {class_id}
        tp += wt * len(pred & lab)
        fp += wt * len(pred - lab)
        fn += wt * len(lab - pred)
    return tp, fp, fn


def _ratio(a: float, b: float) -> float:
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float64(a) / np.float64(a + b))


def _average_precision(d: dict, w: np.ndarray, k: int) -> float:
    total = 0.0
    for row, labels, wt in zip(_top(d["scores"], k), d["ids"], w):
        labels = np.where(labels >= C, -1, labels)
        hits, ap = 0, 0.0
        for rank, c in enumerate(row):
            if c in labels:
                hits += 1
                ap += hits / (rank + 1)
        total += wt * ap / min(int((labels >= 0).sum()), k)  # repeated ids count, as in TF1
    return total / w.sum() if w.sum() else 0.0


def _counts(d: dict, w: np.ndarray, thresholds: list[float]) -> dict[str, np.ndarray]:
    above = d["prob"][None, :] > np.asarray(thresholds, np.float32)[:, None]
    pos = d["truth"][None, :]
    return {"tp": (w * (pos & above)).sum(1), "fp": (w * (~pos & above)).sum(1),
            "tn": (w * (~pos & ~above)).sum(1), "fn": (w * (pos & ~above)).sum(1)}


def _grid(n: int, top: float) -> list[float]:
    return [-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [top]


def _sensitivity(d: dict, w: np.ndarray) -> float:
    c = _counts(d, w, _grid(20, 1 + EPS))
    i = np.argmin(np.abs(c["tn"] / (c["tn"] + c["fp"] + EPS) - 0.6))
    return c["tp"][i] / (c["tp"][i] + c["fn"][i] + EPS)


def _specificity(d: dict, w: np.ndarray) -> float:
    c = _counts(d, w, _grid(20, 1 - EPS))
    gap = np.abs(c["tp"] / (c["tp"] + c["fn"] + EPS) - 0.4)
    i = np.flatnonzero(gap == gap.min())[-1]
    return c["tn"][i] / (c["tn"][i] + c["fp"][i] + EPS)


def _auc(d: dict, w: np.ndarray, curve: str, summation: str, n: int = 200,
         thresholds: list[float] | None = None) -> float:
    grid = _grid(n, 1 + EPS) if thresholds is None else [-EPS] + sorted(thresholds) + [1 + EPS]
    c = _counts(d, w, grid)
    tp, fp, fn, tn, e = c["tp"], c["fp"], c["fn"], c["tn"], 1e-6  # TF1's guard in the rates
    if summation == "careful_interpolation":  # precision interpolated with tp and fp linear in between
        dtp, pos = tp[:-1] - tp[1:], tp + fp
        dp = pos[:-1] - pos[1:]
        slope = np.divide(dtp, dp, out=np.zeros_like(dtp), where=dp > 0)
        both = (pos[:-1] > 0) & (pos[1:] > 0)
        ratio = np.divide(pos[:-1], pos[1:], out=np.ones_like(dtp), where=both)
        grow = slope * (dtp + (tp[1:] - slope * pos[1:]) * np.log(ratio))
        positives = tp[1:] + fn[1:]
        return float(np.divide(grow, positives, out=np.zeros_like(dtp), where=positives > 0).sum())
    rec = (tp + e) / (tp + fn + e)
    x, y = (fp / (fp + tn + e), rec) if curve == "ROC" else (rec, (tp + e) / (tp + fp + e))
    heights = {"trapezoidal": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
               "majoring": np.maximum(y[:-1], y[1:])}[summation]
    return float(((x[:-1] - x[1:]) * heights).sum())


def _confusion(d: dict, w: np.ndarray) -> np.ndarray:
    cm = np.zeros((C, C))
    np.add.at(cm, (d["label"], d["guess"]), w)
    return cm


def _mean_iou(d: dict, w: np.ndarray) -> float:
    cm = _confusion(d, w)
    union = cm.sum(0) + cm.sum(1) - np.diag(cm)
    seen = union != 0
    return float((np.diag(cm)[seen] / union[seen]).sum() / seen.sum()) if seen.any() else 0.0


def _per_class_accuracy(d: dict, w: np.ndarray) -> np.ndarray:
    total = np.bincount(d["label"], w, C)
    right = np.bincount(d["label"], w * (d["label"] == d["guess"]), C)
    return np.divide(right, total, out=np.zeros(C), where=total != 0)


def _wmean(values: np.ndarray, w: np.ndarray) -> float:
    w = np.broadcast_to(w.reshape(w.shape + (1,) * (values.ndim - w.ndim)), values.shape)
    return float((values * w).sum() / w.sum()) if w.sum() else 0.0


def _relative(d: dict) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d["norm"] == 0, 0.0, np.abs(d["y"] - d["x"]) / d["norm"])


def _elementwise_mean(per_batch: list[tuple[dict, np.ndarray]]) -> np.ndarray:
    total = sum(b["x"].astype(np.float64) * wb[:, None] for b, wb in per_batch)
    count = sum(np.broadcast_to(wb[:, None], (B, 4)) for _, wb in per_batch)
    return np.divide(total, count, out=np.zeros((B, 4)), where=count != 0)  # 0 where no weight yet


REFERENCES: dict[str, Callable[[dict, np.ndarray], Any]] = {
    "ap_at_1": lambda d, w: _average_precision(d, w, 1),
    "ap_at_3": lambda d, w: _average_precision(d, w, 3),
    "precision_at_2": lambda d, w: _ratio(*_set_counts(_top(d["scores"], 2), d["ids"], w, None)[:2]),
    "precision_at_3_class1": lambda d, w: _ratio(*_set_counts(_top(d["scores"], 3), d["ids"], w, 1)[:2]),
    "recall_at_2": lambda d, w: _ratio(*_set_counts(_top(d["scores"], 2), d["ids"], w, None)[::2]),
    "recall_at_1_class0": lambda d, w: _ratio(*_set_counts(_top(d["scores"], 1), d["ids"], w, 0)[::2]),
    "precision_at_top_k": lambda d, w: _ratio(*_set_counts(d["top"], d["ids"], w, None)[:2]),
    "recall_at_top_k": lambda d, w: _ratio(*_set_counts(d["top"], d["ids"], w, None)[::2]),
    "recall_at_top_k_class2": lambda d, w: _ratio(*_set_counts(d["top"], d["ids"], w, 2)[::2]),
    "tp_at_thresholds": lambda d, w: _counts(d, w, THRESHOLDS)["tp"],
    "fp_at_thresholds": lambda d, w: _counts(d, w, THRESHOLDS)["fp"],
    "tn_at_thresholds": lambda d, w: _counts(d, w, THRESHOLDS)["tn"],
    "fn_at_thresholds": lambda d, w: _counts(d, w, THRESHOLDS)["fn"],
    "precision_at_thresholds": lambda d, w: (lambda c: c["tp"] / (EPS + c["tp"] + c["fp"]))(_counts(d, w, THRESHOLDS)),
    "recall_at_thresholds": lambda d, w: (lambda c: c["tp"] / (EPS + c["tp"] + c["fn"]))(_counts(d, w, THRESHOLDS)),
    "sensitivity_at_specificity": _sensitivity,
    "specificity_at_sensitivity": _specificity,
    "auc_roc": lambda d, w: _auc(d, w, "ROC", "trapezoidal", n=50),
    "auc_pr_careful": lambda d, w: _auc(d, w, "PR", "careful_interpolation"),
    "auc_roc_minoring": lambda d, w: _auc(d, w, "ROC", "minoring", thresholds=AUC_THRESHOLDS),
    "auc_pr_majoring": lambda d, w: _auc(d, w, "PR", "majoring"),
    "mean_cosine_distance": lambda d, w: 1.0 - _wmean((d["ux"] * d["uy"]).sum(1), w),
    "mean_iou": _mean_iou,
    "mean_per_class_accuracy": lambda d, w: _per_class_accuracy(d, w).mean(),
    "mean_relative_error": lambda d, w: _wmean(_relative(d), w),
    "mean_tensor": lambda d, w: _elementwise_mean(d["per_batch"]),
    "percentage_below": lambda d, w: _wmean((d["x"] < 0.2).astype(np.float64), w),
}
# the update ops that return something else than the value after them (as TF1's do)
UPDATES: dict[str, Callable[[dict, np.ndarray], Any]] = {
    "mean_iou": _confusion, "mean_per_class_accuracy": _per_class_accuracy}


def _seen(n: int, weighted: bool) -> tuple[dict, np.ndarray]:
    d: dict[str, Any] = {k: np.concatenate([b[k] for b in BATCHES[:n]]) for k in SHAPES}
    ws = [b["w"].astype(np.float64) if weighted else np.ones(B) for b in BATCHES[:n]]
    d["per_batch"] = list(zip(BATCHES[:n], ws))
    return d, np.concatenate(ws)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("device", TARGETS)
def test_metrics_stream_like_numpy(device: str, weighted: bool) -> None:
    out = _stream(gf, weighted, device)
    assert set(out) == set(REFERENCES)
    for name, steps in out.items():
        for n, (update, value) in enumerate(steps[1:], start=1):
            d, w = _seen(n, weighted)
            want = np.asarray(REFERENCES[name](d, w), np.float64)
            tol = value_tol(np.asarray(value).dtype)
            if np.asarray(value).dtype == np.float32:
                tol = dict(rtol=2e-6, atol=1e-6)  # float32 sums of a few dozen weights in another order
            np.testing.assert_allclose(value, want, err_msg=f"{name} after {n} batches", **tol)
            after = UPDATES[name](d, w) if name in UPDATES else value
            np.testing.assert_allclose(update, after, err_msg=f"{name}'s update {n}", **tol)


def test_metrics_start_as_tf1_does() -> None:
    first = {k: v[0][1] for k, v in _stream(gf, True).items()}
    assert np.isnan(first["precision_at_2"]) and np.isnan(first["recall_at_top_k"])  # 0 / 0 before any count
    assert first["ap_at_3"] == 0.0 and first["mean_iou"] == 0.0 and first["mean_tensor"].shape == (B, 4)
    np.testing.assert_array_equal(first["tp_at_thresholds"], np.zeros(len(THRESHOLDS)))


def test_metric_variables_names_and_collections() -> None:
    with gf.Graph().as_default() as g:
        scores = gf.placeholder(gf.float32, [None, C])
        ids = gf.placeholder(gf.int64, [None, 2])
        value, update = gf.metrics.precision_at_k(ids, scores, 2, class_id=3, metrics_collections=["m"],
                                                  updates_collections=["u"])
        gf.metrics.sensitivity_at_specificity(ids[:, 0] > 0, scores[:, 0], 0.5, name="sens")
        assert g.get_collection("m") == [value] and g.get_collection("u") == [update]
        local = {v.op.name for v in g.get_collection(gf.GraphKeys.LOCAL_VARIABLES)}
        assert {v.op.name for v in g.get_collection("metric_variables")} == local
        assert "precision_at_2_class3/true_positive_at_2_class3" in local
        assert {"sens/true_positives", "sens/false_negatives", "sens/true_negatives", "sens/false_positives"} <= local
        assert not gf.trainable_variables() and value.dtype == gf.float64
    with pytest.raises(ValueError, match="specificity must be in"):
        gf.metrics.sensitivity_at_specificity([True], [0.5], 1.5)
    with pytest.raises(ValueError, match="k >= 1"):
        gf.metrics.average_precision_at_k([[0]], [[0.5]], 0)
    with pytest.raises(ValueError, match="do not broadcast to the examples"):  # TF1 asserts it when run
        gf.metrics.recall_at_k(np.zeros((4, 2), np.int64), np.ones((4, 3)), 1, weights=np.ones((4, 1)))


SPARSE = [[[1, 4], [0], [2, 9, 3], [4, 1, 0], [7], [3, 2]],
          [[0, 1, 2], [2], [4], [1, 3], [0, 4], [2, 2 + C]]]


def _sparse_value(rows: list[list[int]], m: Any) -> Any:
    indices = [[r, j] for r, row in enumerate(rows) for j in range(len(row))]
    values = np.array([v for row in rows for v in row], np.int64)
    return m.SparseTensorValue(np.array(indices, np.int64), values, np.array([len(rows), 3], np.int64))


def _stream_sparse(m: Any) -> list[list[Any]]:
    g = m.Graph()
    with g.as_default():
        ids = m.sparse_placeholder(m.int64)
        scores = m.placeholder(m.float32, [None, C])
        w = m.placeholder(m.float32, [None])
        metrics = [m.metrics.precision_at_k(ids, scores, 2), m.metrics.recall_at_k(ids, scores, 3, weights=w),
                   m.metrics.recall_at_k(ids, scores, 2, class_id=4), m.metrics.average_precision_at_k(ids, scores, 3),
                   m.metrics.average_precision_at_k(ids, scores, 2, weights=w)]
        with m.Session(graph=g) as s:
            s.run(m.local_variables_initializer())
            return [s.run([u for _, u in metrics], {ids: _sparse_value(rows, m), scores: b["scores"], w: b["w"]})
                    for rows, b in zip(SPARSE, BATCHES)]


def test_sparse_labels_are_sets() -> None:
    out = _stream_sparse(gf)
    seen_top = np.concatenate([_top(b["scores"], 2) for b in BATCHES[:2]])
    tp = sum(len(set(p.tolist()) & set(lab)) for p, lab in zip(seen_top, SPARSE[0] + SPARSE[1]))
    np.testing.assert_allclose(out[1][0], tp / (2 * 2 * B), rtol=1e-12)  # precision: tp over every top-2 entry


def test_metrics_match_tf1() -> None:
    tf = tf1()
    for weighted in (False, True):
        ours, theirs = _stream(gf, weighted), _stream(tf, weighted)
        for name in ours:
            for n, (a, b) in enumerate(zip(ours[name], theirs[name])):
                for part, x, y in (("update", a[0], b[0]), ("value", a[1], b[1])):
                    if n == 0 and part == "update":
                        continue  # nothing updated yet
                    assert np.asarray(x).dtype == np.asarray(y).dtype, f"{name} {part}"
                    np.testing.assert_allclose(np.asarray(x, np.float64), np.asarray(y, np.float64), rtol=2e-6,
                                               atol=1e-6, err_msg=f"{name} {part} after {n} batches, {weighted=}")
    for ours_sparse, theirs_sparse in zip(_stream_sparse(gf), _stream_sparse(tf)):
        np.testing.assert_allclose(ours_sparse, theirs_sparse, rtol=1e-12)


def _shaped_run(m: Any) -> list[Any]:
    """Metrics of other ranks: [D1, D2, classes] scores, one label per example, and weights or
    labels one dim off the predictions (TF1's squeezing and expanding)."""
    rs = np.random.RandomState(5)
    s3, l3, w3 = rs.rand(2, 3, C).astype(np.float32), rs.randint(0, C, (2, 3, 2)), rs.rand(2, 3).astype(np.float32)
    l1, s1 = rs.randint(0, C, 4), rs.rand(4, C).astype(np.float32)
    x, y, wb = rs.randn(4, 3).astype(np.float32), rs.randn(4, 3).astype(np.float32), rs.rand(4).astype(np.float32)
    lab, pred, w2 = rs.randint(0, 3, (2, 3)), rs.randint(0, 3, (2, 3)), rs.rand(2, 3).astype(np.float32)
    truth, prob = rs.rand(4, 1) > 0.5, rs.rand(4).astype(np.float32)
    with m.Graph().as_default():
        c = m.constant
        mt = m.metrics
        metrics = [mt.precision_at_k(c(l3, m.int64), s3, 2, weights=w3), mt.recall_at_k(c(l3, m.int64), s3, 3, 1),
                   mt.average_precision_at_k(c(l3, m.int64), s3, 2, weights=w3),
                   mt.precision_at_k(c(l1, m.int64), s1, 2), mt.recall_at_k(c(l1, m.int64), s1, 1),
                   mt.average_precision_at_k(c(l1, m.int64), s1, 3), mt.mean_cosine_distance(x, y, 1, weights=wb),
                   mt.percentage_below(c(l1 * 3), 5, weights=wb), mt.mean_iou(c(lab), c(pred), 3, weights=c(w2)),
                   mt.mean_per_class_accuracy(c(lab), c(pred), 3, weights=c(w2)), mt.auc(truth, prob, weights=wb),
                   mt.recall_at_thresholds(truth, prob, [0.3, 0.6], weights=wb[:, None]),
                   mt.mean_relative_error(x, y, np.abs(x), weights=wb[:, None]), mt.mean(x[:, :1], weights=wb),
                   mt.mean_tensor(x, weights=wb),
                   # repeated predicted ids count once; an example with no label in range: AP 0 / 0
                   mt.precision_at_top_k(c(l3, m.int64), c([[[1, 1, 2], [0, 3, 3], [4, 4, 4]]] * 2)),
                   mt.recall_at_top_k(c(l3, m.int64), c([[[1, 1, 2], [0, 3, 3], [4, 4, 4]]] * 2)),
                   mt.average_precision_at_k(c([[-1, C + 1], [0, 2]], m.int64), s1[:2], 2)]
        with m.Session() as sess:
            sess.run(m.local_variables_initializer())
            return sess.run([u for _, u in metrics]) + sess.run([v for v, _ in metrics])


def test_metric_shapes_match_tf1() -> None:
    tf = tf1()
    for i, (a, b) in enumerate(zip(_shaped_run(gf), _shaped_run(tf))):
        assert np.shape(a) == np.shape(b), i
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=2e-6, atol=1e-6,
                                   err_msg=str(i))


# ---- tf.losses.mean_pairwise_squared_error ---------------------------------------------------------------

def _pairwise_numpy(labels: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    """The sum over examples of weight times the mean over ordered pairs i != j of the examples'
    elements of ``(d_i - d_j) ** 2``, d the error (weights one per example)."""
    total = 0.0
    for lab, p, wt in zip(labels, pred, np.broadcast_to(w, (len(labels),))):
        d = (p - lab).astype(np.float64).reshape(-1)
        if wt != 0 and d.size > 1:
            total += wt * ((d[:, None] - d[None, :]) ** 2).sum() / (d.size * (d.size - 1))
    return total


rs = np.random.RandomState(3)
PW_LABELS, PW_PRED = rs.standard_normal((4, 3, 2)), rs.standard_normal((4, 3, 2))
PW_WEIGHTS: list[np.ndarray] = [np.array(1.0), np.array(2.5), np.array([1.0, 0.0, 2.0, 0.5])]  # one per example


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("device", TARGETS)
def test_mean_pairwise_squared_error_like_numpy(device: str, dtype: type) -> None:
    with gf.Graph().as_default() as g:
        lab, pred = gf.constant(PW_LABELS.astype(dtype)), gf.constant(PW_PRED.astype(dtype))
        losses = [gf.losses.mean_pairwise_squared_error(lab, pred, weights=w.reshape((-1, 1, 1)).astype(dtype)
                                                        if w.ndim else float(w)) for w in PW_WEIGHTS]
        losses.append(gf.losses.mean_pairwise_squared_error(lab[:, :1, :1], pred[:, :1, :1]))  # one element: 0
        losses.append(gf.losses.mean_pairwise_squared_error(lab, pred, weights=0.0))
        assert g.get_collection(gf.GraphKeys.LOSSES) == losses and losses[0].dtype == gf.as_dtype(dtype)
        with gf.Session(device=device) as s:
            got = s.run(losses)
    want = [_pairwise_numpy(PW_LABELS.astype(dtype), PW_PRED.astype(dtype), w) for w in PW_WEIGHTS]
    np.testing.assert_allclose(got, want + [0.0, 0.0], **value_tol(dtype))


def test_mean_pairwise_squared_error_gradient() -> None:
    w = np.array([[[1.0]], [[0.0]], [[2.0]], [[0.5]]])
    with gf.Graph().as_default():
        check_gradient(lambda lab, p: gf.losses.mean_pairwise_squared_error(lab, p, weights=w), [PW_LABELS, PW_PRED])


def test_mean_pairwise_squared_error_matches_tf1() -> None:
    tf = tf1()
    full = (rs.rand(4, 3, 2) > 0.4).astype(np.float32)  # zeros inside examples: TF1's count of n
    weights = [1.0, np.array([[[1.0]], [[0.0]], [[2.0]], [[0.5]]], np.float32), full]

    def run(m: Any) -> list:
        with m.Graph().as_default():
            lab, pred = m.constant(PW_LABELS.astype(np.float32)), m.constant(PW_PRED.astype(np.float32))
            losses = [m.losses.mean_pairwise_squared_error(lab, pred, weights=w) for w in weights]
            with m.Session() as s:
                return s.run(losses)
    np.testing.assert_allclose(run(gf), run(tf), rtol=2e-6)
