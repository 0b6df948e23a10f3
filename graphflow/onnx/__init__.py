"""``gf.onnx.export(sess, inputs, outputs, path)``: an inference graph as an ONNX model (opset 17)
that onnxruntime runs. The part of the graph between ``inputs`` and ``outputs`` is translated
primitive by primitive (``graphflow.onnx.translate``); variables become initializers holding their
values in ``sess``; other placeholders must be given values in ``constants`` (a dropout's
keep_prob of 1.0...). An op ONNX cannot express raises, naming it. Needs the optional ``onnx``
package.
"""
from graphflow.onnx.translate import UnsupportedOnnxOpError, export  # noqa: F401
