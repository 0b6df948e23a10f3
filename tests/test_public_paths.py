"""The public import paths (``graphflow.train``, ``graphflow.nn.functional``, ...) name the modules
that live in ``graphflow/tf1/`` and ``graphflow/torch_style/``: the same module objects, every
module reachable, nothing imported twice (``graphflow/public_paths.py``)."""
from __future__ import annotations

import importlib
import pickle
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

import graphflow as gf
from graphflow import public_paths
from tests.optional import need

ROOT = Path(gf.__file__).resolve().parent


def _homes() -> list[str]:
    """Every module under the two surfaces, by its home path."""
    found = []
    for surface in ("tf1", "torch_style"):
        for p in sorted((ROOT / surface).rglob("*.py")):
            parts = ["graphflow", *p.relative_to(ROOT).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found.append(".".join(parts))
    return found


def _public(home: str) -> str | None:
    """The public path that maps to ``home`` (the longest entry of ``PATHS`` whose home covers it)."""
    best = None
    for public, target in public_paths.PATHS.items():
        if home == target or home.startswith(target + "."):
            if best is None or len(target) > len(public_paths.PATHS[best]):
                best = public
    return None if best is None else best + home[len(public_paths.PATHS[best]):]


# the surfaces' modules that users never imported by a path of their own: the packages whose
# names the public namespaces assemble, and graphflow.math/linalg/random's builder
NO_PUBLIC_PATH = {"graphflow.tf1", "graphflow.torch_style", "graphflow.tf1.nn", "graphflow.torch_style.nn",
                  "graphflow.tf1.data", "graphflow.tf1.namespaces", "graphflow.tf1.custom_gradient",
                  "graphflow.tf1.graph_functions", "graphflow.tf1.gradient_registry", "graphflow.tf1.framework_utils",
                  "graphflow.tf1.random_seed", "graphflow.tf1.queue_names"}

OPTIONAL = {"graphflow.tf1.python.platform.app": "absl", "graphflow.tf1.python.platform.flags": "absl"}


@pytest.mark.parametrize("home", _homes())
def test_every_module_of_the_surfaces_has_its_public_path(home: str) -> None:
    if home in OPTIONAL:
        need(OPTIONAL[home])  # tf.app and tf.flags wrap absl
    public = _public(home)
    if home in NO_PUBLIC_PATH:
        assert public is None, f"{home} is listed as having no public path, but {public} maps to it"
        return
    assert public is not None, f"no public path maps to {home}: add it to graphflow/public_paths.py"
    assert importlib.import_module(public) is importlib.import_module(home)
    assert sys.modules[public] is sys.modules[home]


def test_public_paths_are_the_same_module_objects() -> None:
    import graphflow.nn.functional as F
    import graphflow.train.saver
    import graphflow.utils.data as data
    from graphflow.python.ops import nn

    assert graphflow.train.saver is sys.modules["graphflow.tf1.train.saver"]
    assert gf.train is sys.modules["graphflow.tf1.train"] and gf.train.Saver is graphflow.train.saver.Saver
    assert F is gf.nn.functional is sys.modules["graphflow.torch_style.nn.functional"]
    assert gf.data.DataLoader is data.DataLoader and gf.data.Dataset is sys.modules["graphflow.tf1.data"].Dataset
    assert nn.relu is gf.nn.relu
    # the module keeps its own spec and name: reload, pickling and tracebacks see the home
    assert graphflow.train.saver.__spec__.name == "graphflow.tf1.train.saver"
    assert graphflow.train.saver.__name__ == "graphflow.tf1.train.saver"
    assert importlib.reload(graphflow.train.saver) is sys.modules["graphflow.tf1.train.saver"]


def test_patching_a_public_path_patches_the_home_module() -> None:
    home = sys.modules["graphflow.tf1.train.saver"]
    with mock.patch("graphflow.train.saver.latest_checkpoint", return_value="patched"):
        assert home.latest_checkpoint("anywhere") == "patched"
    assert home.latest_checkpoint.__name__ == "latest_checkpoint"


def test_a_class_pickles_by_its_home() -> None:
    step = gf.optim.lr_scheduler.StepLR
    assert pickle.loads(pickle.dumps(step)) is step
    assert step.__module__ == "graphflow.torch_style.optim.lr_scheduler"


def test_paths_that_are_not_public_are_left_to_python() -> None:
    assert public_paths.home("graphflow.core.ir") is None
    assert public_paths.home("graphflow.trainer") is None  # a prefix match needs a whole name
    assert public_paths.home("graphflow.train.saver") == "graphflow.tf1.train.saver"
    with pytest.raises(ModuleNotFoundError, match="graphflow.tf1.train.no_such"):
        importlib.import_module("graphflow.train.no_such")


def test_a_fresh_interpreter_imports_a_public_path_first() -> None:
    """A script whose first graphflow import is a deep public path gets the home module, loaded once."""
    code = ("import sys, graphflow.nn.rnn_cell as rc, graphflow.python.ops.variable_scope as vs\n"
            "import graphflow as tf\n"
            "assert rc is tf.nn.rnn_cell is sys.modules['graphflow.tf1.nn.rnn_cell']\n"
            "assert vs is sys.modules['graphflow.tf1.python.ops.variable_scope']\n"
            "assert vs.variable_scope is tf.variable_scope\n"
            "print(sorted(m for m in sys.modules if m.split('.')[-2:] == ['nn', 'rnn_cell']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['graphflow.nn.rnn_cell', 'graphflow.tf1.nn.rnn_cell']"


def test_importing_every_module_replaces_no_public_function() -> None:
    """Importing a submodule binds it on its package, so a module named after a function of that
    package (``tf.nn.raw_rnn`` once lived in ``graphflow/tf1/nn/raw_rnn.py``) turns the function
    into a module for every later caller. In a fresh interpreter: note every callable of the
    surfaces' packages, import every module of the tree and every public path, and check each
    callable is still there."""
    code = (
        "import importlib, pkgutil, types, graphflow as gf\n"
        "pkgs = [m for m in list(__import__('sys').modules.values())\n"
        "        if getattr(m, '__name__', '').startswith('graphflow') and hasattr(m, '__path__')]\n"
        "before = {(p.__name__, k): v for p in pkgs for k, v in vars(p).items()\n"
        "          if not k.startswith('_') and callable(v) and not isinstance(v, types.ModuleType)}\n"
        "from graphflow.public_paths import PATHS\n"
        "names = [i.name for i in pkgutil.walk_packages(gf.__path__, 'graphflow.')] + list(PATHS)\n"
        "for name in names:\n"
        "    if '.cuda' in name or 'mpi' in name:\n"
        "        continue\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError:\n"
        "        pass\n"
        "mods = {m.__name__: m for m in pkgs}\n"
        "bad = sorted(f'{p}.{k}' for (p, k), v in before.items() if getattr(mods[p], k, None) is not v)\n"
        "print(len(before), bad)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    count, bad = out.strip().split(" ", 1)
    assert int(count) > 500 and bad == "[]", out
