"""ONNX export of inference graphs, run in onnxruntime against graphflow's outputs: the digits CNN
(conv, max pool, dense, dropout at keep_prob 1) and a gf.layers model (conv, batch norm,
pooling, flatten, dense, dropout in inference); ops ONNX lacks raise naming the op."""
from __future__ import annotations

import os

import numpy as np
import pytest

import graphflow as gf
from tests.optional import module
from tests.test_examples import load

onnx = module("onnx")
ort = module("onnxruntime")


def _run_onnx(path: str, feeds: dict) -> list:
    return ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)


@pytest.mark.needs("onnx", "onnxruntime", "sklearn")
def test_digits_cnn_runs_in_onnxruntime(tmp_path) -> None:  # type: ignore[no-untyped-def]
    digits = load("digits_cnn")
    rs = np.random.RandomState(0)
    m = digits.build()
    probs = gf.nn.softmax(m["logits"])
    xv = rs.rand(7, 8, 8, 1).astype(np.float32)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        for _ in range(3):  # trained a little: weights away from their initial values
            s.run(m["train_step"], {m["images"]: xv, m["labels"]: rs.randint(0, 10, 7), m["keep_prob"]: 0.5})
        want = s.run(probs, {m["images"]: xv, m["keep_prob"]: 1.0})
        path = str(tmp_path / "digits.onnx")
        gf.onnx.export(s, [m["images"]], [probs], path, constants={m["keep_prob"]: 1.0})
    model = onnx.load(path)
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == ["images"]
    (got,) = _run_onnx(path, {"images": xv})
    np.testing.assert_allclose(got, want, atol=1e-4)  # the acceptance bound: two float32 libraries
    assert float(np.abs(got - want).max()) < 1e-5


@pytest.mark.needs("onnx", "onnxruntime")
def test_layers_model_runs_in_onnxruntime(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rs = np.random.RandomState(1)
    x = gf.placeholder(gf.float32, [None, 8, 8, 3], name="x")
    training = gf.placeholder_with_default(False, [], name="training")
    h = gf.layers.conv2d(x, 6, 3, padding="same", activation=gf.nn.relu)
    h = gf.layers.batch_normalization(h, training=training)
    h = gf.layers.average_pooling2d(h, 2, 2)
    h = gf.layers.dropout(gf.layers.dense(gf.layers.flatten(h), 12, activation=gf.nn.tanh), 0.3, training=training)
    out = gf.layers.dense(h, 4)
    pred = gf.argmax(out, 1)
    xv = rs.rand(5, 8, 8, 3).astype(np.float32)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        want, want_pred = s.run([out, pred], {x: xv})
        path = str(tmp_path / "layers.onnx")
        gf.onnx.export(s, [x], [out, pred], path, constants={training: False})
    got, got_pred = _run_onnx(path, {"x": xv})
    np.testing.assert_allclose(got, want, atol=1e-4)
    np.testing.assert_array_equal(got_pred, want_pred)
    assert os.path.getsize(path) > 1000


@pytest.mark.needs("onnx")
def test_what_onnx_cannot_express_is_named() -> None:
    x = gf.placeholder(gf.float32, [None, 4], name="x")
    k = gf.placeholder(gf.float32, [], name="k")
    y = gf.nn.top_k(x, 2).values * k
    with gf.Session() as s:
        with pytest.raises(ValueError, match="placeholder 'k'.*constants"):
            gf.onnx.export(s, [x], [y])
        with pytest.raises(ValueError, match="no ONNX translation"):
            gf.onnx.export(s, [x], [y], constants={k: 2.0})
