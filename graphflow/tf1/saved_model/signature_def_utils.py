"""``tf.saved_model.signature_def_utils``: the ``SignatureDef`` of a model's entry point (named
inputs and outputs, a method name), built from tensors, and TF Serving's validity rules.

>>> import graphflow as gf
>>> with gf.Graph().as_default():
...     x = gf.placeholder(gf.float32, [None, 2], name="x")
...     sig = predict_signature_def({"x": x}, {"y": gf.identity(x, name="y")})
>>> sig.method_name, sig.inputs["x"].name, is_valid_signature(sig)
('tensorflow/serving/predict', 'x:0', True)
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import graphflow.tf1.saved_model.signature_constants as sc
from graphflow.core.ir import Tensor
from graphflow.tf1.saved_model.utils import build_tensor_info

if TYPE_CHECKING:
    from tensorboard.compat.proto.meta_graph_pb2 import SignatureDef, TensorInfo

__all__ = ["build_signature_def", "classification_signature_def", "is_valid_signature", "predict_signature_def",
           "regression_signature_def"]

_DT_FLOAT, _DT_STRING = 1, 7


def build_signature_def(inputs: Mapping[str, TensorInfo] | None = None,
                        outputs: Mapping[str, TensorInfo] | None = None,
                        method_name: str | None = None) -> SignatureDef:
    """A ``SignatureDef`` of ``TensorInfo`` maps (``utils.build_tensor_info``) and a method name."""
    from tensorboard.compat.proto.meta_graph_pb2 import SignatureDef
    sig = SignatureDef()
    for key, info in (inputs or {}).items():
        sig.inputs[key].CopyFrom(info)
    for key, info in (outputs or {}).items():
        sig.outputs[key].CopyFrom(info)
    if method_name is not None:
        sig.method_name = method_name
    return sig


def predict_signature_def(inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> SignatureDef:
    """TF Serving's Predict signature: any named input and output tensors."""
    if not inputs:
        raise ValueError("Prediction inputs cannot be None or empty.")
    if not outputs:
        raise ValueError("Prediction outputs cannot be None or empty.")
    return build_signature_def({k: build_tensor_info(t) for k, t in inputs.items()},
                               {k: build_tensor_info(t) for k, t in outputs.items()}, sc.PREDICT_METHOD_NAME)


def _string_examples(examples: Any, what: str) -> TensorInfo:
    if examples is None:
        raise ValueError(f"{what} examples cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError(f"{what} examples must be a string Tensor.")
    info = build_tensor_info(examples)
    if info.dtype != _DT_STRING:
        raise ValueError(f"{what} examples must be a string Tensor.")
    return info


def regression_signature_def(examples: Tensor, predictions: Tensor) -> SignatureDef:
    """TF Serving's Regress signature: serialized ``tf.Example`` strings in, float predictions out."""
    inp = _string_examples(examples, "Regression")
    if predictions is None:
        raise ValueError("Regression predictions cannot be None.")
    out = build_tensor_info(predictions)
    if out.dtype != _DT_FLOAT:
        raise ValueError("Regression output must be a float Tensor.")
    return build_signature_def({sc.REGRESS_INPUTS: inp}, {sc.REGRESS_OUTPUTS: out}, sc.REGRESS_METHOD_NAME)


def classification_signature_def(examples: Tensor, classes: Tensor | None, scores: Tensor | None) -> SignatureDef:
    """TF Serving's Classify signature: serialized ``tf.Example`` strings in, string classes and/or
    float scores out."""
    inp = _string_examples(examples, "Classification")
    if classes is None and scores is None:
        raise ValueError("Classification classes and scores cannot both be None.")
    outputs = {}
    if classes is not None:
        info = build_tensor_info(classes)
        if info.dtype != _DT_STRING:
            raise ValueError("Classification classes must be a string Tensor.")
        outputs[sc.CLASSIFY_OUTPUT_CLASSES] = info
    if scores is not None:
        info = build_tensor_info(scores)
        if info.dtype != _DT_FLOAT:
            raise ValueError("Classification scores must be a float Tensor.")
        outputs[sc.CLASSIFY_OUTPUT_SCORES] = info
    return build_signature_def({sc.CLASSIFY_INPUTS: inp}, outputs, sc.CLASSIFY_METHOD_NAME)


def is_valid_signature(signature_def: SignatureDef | None) -> bool:
    """Whether ``signature_def`` is a well-formed Predict, Regress or Classify signature."""
    if signature_def is None:
        return False
    s = signature_def
    if s.method_name == sc.PREDICT_METHOD_NAME:
        return bool(s.inputs) and bool(s.outputs)
    if s.method_name == sc.REGRESS_METHOD_NAME:
        return (set(s.inputs) == {sc.REGRESS_INPUTS} and s.inputs[sc.REGRESS_INPUTS].dtype == _DT_STRING
                and set(s.outputs) == {sc.REGRESS_OUTPUTS} and s.outputs[sc.REGRESS_OUTPUTS].dtype == _DT_FLOAT)
    if s.method_name == sc.CLASSIFY_METHOD_NAME:
        if set(s.inputs) != {sc.CLASSIFY_INPUTS} or s.inputs[sc.CLASSIFY_INPUTS].dtype != _DT_STRING:
            return False
        allowed = {sc.CLASSIFY_OUTPUT_CLASSES: _DT_STRING, sc.CLASSIFY_OUTPUT_SCORES: _DT_FLOAT}
        return bool(s.outputs) and all(k in allowed and v.dtype == allowed[k] for k, v in s.outputs.items())
    return False
