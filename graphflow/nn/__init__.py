"""``gf.nn``: the one name both dialects spell ``nn``. TF1's lowercase functions (``tf.nn``, from
``graphflow.tf1.nn``) beside PyTorch's CamelCase modules (``torch.nn``, from
``graphflow.torch_style.nn``); ``graphflow.nn.functional`` is PyTorch's F and
``graphflow.nn.rnn_cell`` TF1's cells (``graphflow.public_paths`` maps the submodule paths)."""
# ruff: noqa: F401, F403, E402, I001
from graphflow.tf1.nn import *
from graphflow.tf1.nn import rnn_cell
from graphflow.torch_style.nn import *
from graphflow.torch_style.nn import functional, modules
