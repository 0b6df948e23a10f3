"""TF1's surface: what ``import graphflow as tf`` offers beyond the ops, read as a whole here.

``config`` (ConfigProto, RunOptions), ``losses``, ``metrics``, ``strings``, ``debugging``,
``timeline``, ``custom_gradient``, ``graph_functions`` (``name_scope``, ``tuple``, ...),
``namespaces`` (``tf.math``, ``tf.linalg``, ``tf.random``),
``nn`` (``tf.nn``: the ops' neural-network functions, recurrent cells and runners, sampled losses),
``train``, ``data``, ``layers``, ``contrib``, ``summary`` and ``python`` (TF1's internal module
paths). Users reach them under TF1's paths (``graphflow.train``, ``graphflow.layers``, ...):
``graphflow.public_paths`` maps those to the modules here. Nothing here imports the PyTorch
surface (``graphflow.torch_style``); both stand on ``graphflow.ops`` and ``graphflow.core``.
"""
