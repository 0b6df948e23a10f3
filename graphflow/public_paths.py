"""The public import paths of the two surfaces, and where each module lives.

TF1 scripts import ``graphflow.train``, ``graphflow.layers``, ``graphflow.python.ops.nn``...;
PyTorch-style code imports ``graphflow.optim``, ``graphflow.utils.data``,
``graphflow.nn.functional``. The modules live in ``graphflow/tf1/`` and
``graphflow/torch_style/``, each surface readable as a whole. ``PATHS`` maps a public path (and
every module path below it) to its home; a finder first on ``sys.meta_path`` answers an import of
a public path with the home module itself, so both names are one module object (``mock.patch``
on either path patches the same module, and nothing is imported twice).

Code inside graphflow imports the homes; the public paths are for users.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Sequence

PATHS = {
    # TF1's namespaces
    "graphflow.compat": "graphflow.tf1.compat",
    "graphflow.config": "graphflow.tf1.config",
    "graphflow.contrib": "graphflow.tf1.contrib",
    # TF 1.15's internal paths of seq2seq's modules (contrib/seq2seq/python/ops/helper.py, ...)
    "graphflow.contrib.seq2seq.python": "graphflow.tf1.contrib.seq2seq",
    "graphflow.contrib.seq2seq.python.ops": "graphflow.tf1.contrib.seq2seq",
    # TF 1.15's internal paths of contrib.rnn's and legacy_seq2seq's modules (rnn/python/ops/rnn_cell.py, ...)
    "graphflow.contrib.rnn.python": "graphflow.tf1.contrib.rnn",
    "graphflow.contrib.rnn.python.ops": "graphflow.tf1.contrib.rnn",
    "graphflow.contrib.legacy_seq2seq.python": "graphflow.tf1.contrib.legacy_seq2seq",
    "graphflow.contrib.legacy_seq2seq.python.ops": "graphflow.tf1.contrib.legacy_seq2seq",
    # TF 1.15's internal path of contrib.learn's modules (learn/python/learn/datasets/mnist.py, ...)
    "graphflow.contrib.learn.python": "graphflow.tf1.contrib.learn",
    "graphflow.contrib.learn.python.learn": "graphflow.tf1.contrib.learn",
    # TF 1.15's internal paths of contrib.layers' and contrib.framework's modules
    # (contrib/layers/python/layers/utils.py, contrib/framework/python/ops/arg_scope.py, ...)
    **{f"graphflow.contrib.{m}.python{sub}": f"graphflow.tf1.contrib.{m}"
       for m, sub in (("layers", ""), ("layers", ".layers"), ("framework", ""), ("framework", ".ops"))},
    # TF 1.15's internal paths of contrib.distributions' modules (python/ops/bernoulli.py, ...)
    "graphflow.contrib.distributions.python": "graphflow.tf1.distributions",
    "graphflow.contrib.distributions.python.ops": "graphflow.tf1.distributions",
    "graphflow.debugging": "graphflow.tf1.debugging",
    "graphflow.distributions": "graphflow.tf1.distributions",
    "graphflow.examples": "graphflow.tf1.examples",
    "graphflow.layers": "graphflow.tf1.layers",
    "graphflow.image": "graphflow.tf1.image",
    "graphflow.io": "graphflow.tf1.io",
    "graphflow.python_io": "graphflow.tf1.io",
    "graphflow.saved_model": "graphflow.tf1.saved_model",
    "graphflow.losses": "graphflow.tf1.losses",
    "graphflow.metrics": "graphflow.tf1.metrics",
    "graphflow.python": "graphflow.tf1.python",
    "graphflow.python.ops.critical_section_ops": "graphflow.tf1.critical_section",
    # tensorflow.core's protocol buffers: TensorBoard's copies of them (an optional dependency)
    **{f"graphflow.core.{m}": "tensorboard.compat.proto" for m in ("framework", "protobuf", "util")},
    "graphflow.strings": "graphflow.tf1.strings",
    "graphflow.summary": "graphflow.tf1.summary",
    "graphflow.timeline": "graphflow.tf1.timeline",
    "graphflow.train": "graphflow.tf1.train",
    "graphflow.data.dataset": "graphflow.tf1.data.dataset",
    "graphflow.data.experimental": "graphflow.tf1.data.experimental",
    "graphflow.data.iterators": "graphflow.tf1.data.iterators",
    "graphflow.data.readers": "graphflow.tf1.data.readers",
    "graphflow.data.csv_reader": "graphflow.tf1.data.csv_reader",
    "graphflow.data.transforms": "graphflow.tf1.data.transforms",
    "graphflow.nn.nn_ops": "graphflow.ops.nn_ops",
    "graphflow.nn.rnn": "graphflow.tf1.nn.rnn",
    "graphflow.nn.rnn_cell": "graphflow.tf1.nn.rnn_cell",
    "graphflow.nn.sampled": "graphflow.tf1.nn.sampled",
    "graphflow.nn.candidate_samplers": "graphflow.tf1.nn.candidate_samplers",
    "graphflow.nn.ctc_ops": "graphflow.tf1.nn.ctc_ops",
    **{f"graphflow.platform.{m}": f"graphflow.tf1.python.platform.{m}"  # (tf.app, tf.flags, tf.gfile, tf.logging)
       for m in ("app", "flags", "gfile", "tf_logging")},
    # PyTorch's
    "graphflow.optim": "graphflow.torch_style.optim",
    "graphflow.utils": "graphflow.torch_style.utils",
    **{f"graphflow.nn.{m}": f"graphflow.torch_style.nn.{m}"
       for m in ("functional", "functional_conv", "functional_loss", "modules", "conv_modules",
                 "loss_modules", "rnn_modules", "attention_modules")},
}


def home(name: str) -> str | None:
    """The module path that public path ``name`` names, or None if ``name`` is not public."""
    if not name.startswith("graphflow."):  # every import in the process asks: answer the rest at once
        return None
    head = name
    while head:
        if head in PATHS:
            return PATHS[head] + name[len(head):]
        head = head.rpartition(".")[0]
    return None


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of a public path load its home and bind the public name to that same module."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        where = home(fullname)
        if where is None:
            return None
        module = importlib.import_module(where)
        return importlib.machinery.ModuleSpec(fullname, self, loader_state=(module, module.__spec__),
                                              is_package=hasattr(module, "__path__"))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module: types.ModuleType = spec.loader_state[0]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # the import system has just set the public path's spec on the module: give back its own
        public = module.__spec__
        assert public is not None and public.loader is self
        module.__spec__ = public.loader_state[1]


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (before the path finder, which would load a
    public path's file a second time under the public name). Idempotent."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
