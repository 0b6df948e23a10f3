"""What the optional tests need, checked for the real capability, and how to install each: the one
table behind ``@pytest.mark.needs(...)`` (tests/conftest.py) and ``need(...)``.

The README's test command installs only the ``test`` extra; every test that needs more (a peer
to compare against, an exporter's runtime, MPI, the CUDA target) says so here and skips with the
reason where the piece is missing. CI reruns exactly the tests its first pass skipped once the
extras are installed (``--last-skipped``, tests/conftest.py). The CUDA pieces are asked of
``graphflow.platform.cuda``, the product's own check: a ``numba.cuda`` module alone proves
nothing (numba's built-in one imports without numba-cuda and fails at the first compile).
"""
from __future__ import annotations

import functools
import importlib
import shutil
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from graphflow.core.errors import UnimplementedError
from graphflow.platform import cuda as cuda_platform


def _imports(module: str) -> Callable[[], Any]:
    return lambda: importlib.import_module(module)


def _tf1_layers() -> Any:
    tf = importlib.import_module("tensorflow.compat.v1")
    tf.layers.dense  # noqa: B018 - tf-keras provides these (TF_USE_LEGACY_KERAS=1, tests/conftest.py)
    tf.nn.rnn_cell.BasicLSTMCell  # noqa: B018
    return tf


def _tf_slim() -> Any:
    tf = _tf1_layers()  # slim's layers build on tf-keras's legacy ones
    tf.disable_eager_execution()
    ops = importlib.import_module("tensorflow.python.framework.ops")
    # tf-slim 1.1 reads names TF 2.16 moved elsewhere: point them at TF's own objects
    for name, value in (("Tensor", tf.Tensor), ("IndexedSlices", tf.IndexedSlices)):
        if not hasattr(ops, name):
            setattr(ops, name, value)
    flow = importlib.import_module("tensorflow.python.ops.control_flow_ops")
    if not hasattr(flow, "cond"):
        flow.cond = tf.cond
    return importlib.import_module("tf_slim")


def _mpi() -> Any:
    mpi4py = importlib.import_module("mpi4py")
    if not (shutil.which("mpirun") or shutil.which("mpiexec")):
        raise FileNotFoundError("no mpirun or mpiexec on PATH")
    return mpi4py


def _cuda(need: cuda_platform.Need) -> Callable[[], Any]:
    return lambda: cuda_platform.require(need)  # its UnimplementedError is the one-line reason


# name -> (check returning the module to use, what installs it)
TABLE: dict[str, tuple[Callable[[], Any], str]] = {
    "torch": (_imports("torch"), "pip install torch"),
    "tensorflow": (_imports("tensorflow.compat.v1"), "pip install 'tensorflow==2.21.*'"),
    "tf_keras": (_tf1_layers, "pip install 'tensorflow==2.21.*' tf-keras"),
    "tf_slim": (_tf_slim, "pip install 'tensorflow==2.21.*' tf-keras tf-slim"),
    "onnx": (_imports("onnx"), "pip install onnx"),
    "onnxruntime": (_imports("onnxruntime"), "pip install onnxruntime"),
    "tensorboard": (_imports("tensorboard.compat.proto.graph_pb2"), "pip install tensorboard"),
    "absl": (_imports("absl.flags"), "pip install absl-py"),
    "sklearn": (_imports("sklearn.datasets"), "pip install scikit-learn"),
    "matplotlib": (_imports("matplotlib.pyplot"), "pip install matplotlib"),
    "PIL": (_imports("PIL.Image"), "pip install pillow"),
    "google-crc32c": (_imports("google_crc32c"), "pip install google-crc32c (or graphflow's 'io' extra)"),
    "protobuf": (_imports("google.protobuf.descriptor_pool"), "pip install protobuf (or graphflow's 'io' extra)"),
    "hypothesis": (_imports("hypothesis"), "pip install hypothesis"),
    "tqdm": (_imports("tqdm"), "pip install tqdm"),
    "mpi": (_mpi, "pip install mpi4py mpich"),
    "cupy": (_imports("cupy"), "pip install 'graphflow[cublas]'"),
    # the CUDA target: numba-cuda (the simulator comes with it), a GPU, NVVM for PTX
    "numba-cuda": (_cuda("numba-cuda"), cuda_platform.INSTALL),
    "cuda-kernels": (_cuda("kernels"), cuda_platform.INSTALL),
    "gpu": (_cuda("gpu"), "a machine with an NVIDIA GPU and its driver"),
    "ptx": (_cuda("ptx"), cuda_platform.INSTALL),
}


@functools.cache
def _probe(name: str) -> tuple[Any, str]:
    """(the module, "") when ``name`` is usable here, else (None, the one-line reason)."""
    if name not in TABLE:
        raise KeyError(f"unknown optional piece {name!r}: expected one of {sorted(TABLE)}")
    check, install = TABLE[name]
    try:
        return check(), ""
    except UnimplementedError as e:
        return None, e.message
    except ModuleNotFoundError as e:
        return None, f"needs {name}, which is not installed (no module {e.name!r}): {install}"
    except Exception as e:  # noqa: BLE001 - a package that imports and then fails, no mpirun, ...
        detail = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:160]
        return None, f"needs {name}, which is not usable here ({detail}): {install}"


def missing(name: str) -> str:
    """Why ``name`` is not usable in this process ("" when it is)."""
    return _probe(name)[1]


def module(name: str) -> ModuleType | Any | None:
    """The module behind ``name``, or None where it is missing (for a test module's globals; its
    tests say ``needs(name)``, which skips them there)."""
    return _probe(name)[0]


def need(name: str) -> ModuleType | Any:
    """The module behind ``name`` (``tensorflow`` gives ``tf.compat.v1``); skips the
    calling test with the reason where it is missing."""
    found, why = _probe(name)
    if why:
        raise pytest.skip.Exception(why, _use_item_location=True)  # reported at the test, not here
    return found


def tf1() -> Any:
    """TF1 (``tf.compat.v1``) in graph mode, for the comparisons with it; skips the calling test
    with the reason where TensorFlow is missing."""
    tf = need("tensorflow")
    tf.disable_eager_execution()
    return tf
