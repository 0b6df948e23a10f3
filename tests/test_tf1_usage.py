"""tools/tf1_usage.py's counting: the aliases TensorFlow is imported as, attribute chains, names
imported from tensorflow, comments and strings skipped, and per-repository against per-file counts.
Needs neither TensorFlow nor graphflow: only the parser and the tally run."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_TOOLS = Path(__file__).resolve().parent.parent / "tools"


@pytest.fixture(scope="module")
def usage():
    sys.path.insert(0, str(_TOOLS))
    spec = importlib.util.spec_from_file_location("tf1_usage", _TOOLS / "tf1_usage.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["tf1_usage"] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("tf1_usage", None)


MAIN = '''
import numpy as np
import tensorflow.compat.v1 as tf  # tf.not_counted_in_comment
from tensorflow.contrib import slim
from tensorflow.contrib.layers import xavier_initializer as xav
from tensorflow.examples.tutorials.mnist import input_data

rnn = tf.contrib.rnn
doc = "tf.not_counted_in_string"
"""tf.not_counted_in_docstring
   tf.still_not_counted"""
x = tf.placeholder(tf.float32, [None, 3])
y = slim.conv2d(x, 3, [3, 3], weights_initializer=xav()); z = tf.nn.rnn_cell.LSTMCell(4)
c = rnn.BasicLSTMCell(3) + tf.compat.v1.nn.relu(x) + tf.keras.layers.Dense(3)(x)
w = tf.get_variable("w", shape=[3],
                    initializer=tf.zeros_initializer())
data = input_data.read_data_sets("mnist")
print "python 2", tf.placeholder(tf.int32)
np.tf.not_a_tf_chain
'''
OTHER = '''
import tensorflow as t
from tensorflow import nn, placeholder as ph
a = ph(t.float32)
b = nn.relu(a)
'''
NOT_TF = '''
import torch as tf
'''


def _key(usage, label):
    module, _, name = label.rpartition(".")
    return (module, name)


def test_aliases_and_chains(usage):
    scan = usage.scan_source(MAIN)
    assert scan.aliases == {"tf": "", "slim": "contrib.slim", "rnn": "contrib.rnn",
                            "input_data": "examples.tutorials.mnist.input_data"}
    assert scan.imported == {"xav": ("contrib.layers", "xavier_initializer")}
    assert dict(scan.uses) == {
        ("", "placeholder"): 2, ("", "float32"): 1, ("", "int32"): 1, ("contrib.slim", "conv2d"): 1,
        ("contrib.layers", "xavier_initializer"): 1, ("nn.rnn_cell", "LSTMCell"): 1,
        ("contrib.rnn", "BasicLSTMCell"): 1, ("nn", "relu"): 1, ("keras.layers", "Dense"): 1,
        ("", "get_variable"): 1, ("", "zeros_initializer"): 1,
        ("examples.tutorials.mnist.input_data", "read_data_sets"): 1}


def test_from_imports_and_plain_alias(usage):
    scan = usage.scan_source(OTHER)
    assert scan.aliases == {"t": "", "nn": "nn"}
    assert dict(scan.uses) == {("", "placeholder"): 1, ("", "float32"): 1, ("nn", "relu"): 1}
    # an imported name the file never uses still counts once
    assert dict(usage.scan_source("from tensorflow.contrib.rnn import LSTMCell\n").uses) == {
        ("contrib.rnn", "LSTMCell"): 1}
    assert not usage.scan_source(NOT_TF).uses  # torch bound to `tf` is not TensorFlow


def test_statements_skip_comments_strings_and_join_brackets(usage):
    sts = usage.statements('a = f(1,\n  "x # y")  # c\nb = 2; c = 3\nd = \\\n 4\n')
    assert sts == [["a", "=", "f", "(", "0", ",", '"', ")"], ["b", "=", "0"], ["c", "=", "0"], ["d", "=", "0"]]


def test_per_repository_and_per_file_counts(usage, tmp_path):
    one = tmp_path / "one"
    (one / "pkg").mkdir(parents=True)
    (one / "main.py").write_text(MAIN)
    (one / "pkg" / "other.py").write_text(OTHER)
    (one / "pkg" / "skip_v2.py").write_text(OTHER)
    (one / "readme.txt").write_text("import tensorflow as tf\ntf.placeholder\n")
    nb = {"cells": [{"cell_type": "markdown", "source": ["tf.not_code"]},
                    {"cell_type": "code", "source": ["%matplotlib inline\n", "import tensorflow as tf\n"]},
                    {"cell_type": "code", "source": "sess = tf.Session()\nx = tf.placeholder(tf.float32)\ny = x"},
                    {"cell_type": "code", "source": "tf.nn.relu(y)"}]}  # string sources, a line apart
    two = tmp_path / "two"
    two.mkdir()
    (two / "nb.ipynb").write_text(json.dumps(nb))
    (two / "plain.py").write_text(NOT_TF)
    tally = usage.Tally()
    tally.add("one", usage.repo_files(one), exclude=["*_v2.py"])
    tally.add("two", usage.repo_files(two))
    assert tally.per_repo == {"one": (2, 2), "two": (2, 1)}
    placeholder, float32, session = ("", "placeholder"), ("", "float32"), ("", "Session")
    assert tally.repos[placeholder] == {"one", "two"}
    assert (tally.files[placeholder], tally.occurrences[placeholder]) == (3, 4)
    assert (len(tally.repos[float32]), tally.files[float32], tally.occurrences[float32]) == (2, 3, 3)
    assert (tally.repos[session], tally.files[session]) == ({"two"}, 1)
    assert tally.occurrences[("nn", "relu")] == 3  # main.py, other.py and the notebook's last cell
    assert ("", "not_code") not in tally.repos
    ranked = tally.ranked()
    assert ranked[:2] == [placeholder, float32]  # two repos each; then by files, uses
    assert usage.label(placeholder) == "tf.placeholder" and usage.label(("nn", "relu")) == "tf.nn.relu"


def test_resolves_attributes_and_module_paths(usage, tmp_path, monkeypatch):
    pkg = tmp_path / "fakeflow"
    (pkg / "examples").mkdir(parents=True)
    (pkg / "__init__.py").write_text("newaxis = None\nclass nn:\n    relu = 1\n")
    (pkg / "examples" / "__init__.py").write_text("")
    (pkg / "examples" / "input_data.py").write_text("def read_data_sets(): pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert usage.resolves("fakeflow", "", "newaxis") is True  # an attribute that is None is still there
    assert usage.resolves("fakeflow", "nn", "relu") is True
    assert usage.resolves("fakeflow", "examples.input_data", "read_data_sets") is True  # imported, not an attribute
    assert usage.resolves("fakeflow", "nn", "elu") is False
    assert usage.resolves("fakeflow", "image", "resize_images") is False
    assert usage.resolves("no_such_package_here", "", "x") is None
    for name in [n for n in sys.modules if n == "fakeflow" or n.startswith("fakeflow.")]:
        monkeypatch.delitem(sys.modules, name)


def test_reasons_come_from_tf1_coverage(usage):
    import tf1_coverage
    assert usage.reason("image", "extract_glimpse").startswith("detection ops")
    assert usage.reason("", "LMDBReader").startswith("an LMDB")
    assert usage.reason("keras.layers", "Dense") == tf1_coverage._I25  # a submodule's name, looked up in keras
    # this tool's MORE_REASONS
    assert usage.reason("contrib.training", "bucket_by_sequence_length").startswith("tf.contrib.training's")
    assert usage.reason("python.ops.rnn_cell", "NoSuchCell") == usage._INTERNAL
    # an internal module's own reason, and a contrib.<x>.python path given its contrib.<x>'s
    assert usage.reason("contrib.slim.python.slim.data.tfexample_decoder", "TFExampleDecoder").startswith(
        "tf.contrib.slim's dataset readers")
    assert usage.reason("python.framework.dtypes", "quint8").startswith("quantized")
    assert usage.reason("contrib.tensor_forest.python.tensor_forest", "ForestHParams") == tf1_coverage._I25


def test_internal_paths_graphflow_offers_resolve(usage):
    """The report resolves `graphflow.<internal path>.<name>` through the public paths' finder."""
    assert usage.provided("python.ops.control_flow_ops", "merge")
    assert usage.provided("python.framework.graph_util", "convert_variables_to_constants")
    assert usage.provided("contrib.layers.python.layers.utils", "collect_named_outputs")
    assert usage.provided("python.ops.gen_image_ops", "resize_bilinear")
    assert not usage.provided("python.ops.lookup_ops", "index_table_from_tensor")
