"""``gf.test``, as TF1's ``tf.test``: numerical gradient checking (``compute_gradient``),
``TestCase`` (sessions on a fresh graph per test, the array assertions), ``main``, ``Benchmark``
and the build queries.

    import graphflow as tf

    class SquareTest(tf.test.TestCase):
        def test_square(self):
            with self.cached_session():
                self.assertAllClose(tf.square([2.0, 3.0]).eval(), [4.0, 9.0])

    if __name__ == "__main__":
        tf.test.main()
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import random
import re
import sys
import tempfile
import time
import unittest
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import llvmlite.binding as llvm
import numpy as np
import numpy.typing as npt

from graphflow.core.autodiff import gradients
from graphflow.core.errors import OpError
from graphflow.core.ir import Graph, Operation, Tensor, get_default_graph, reset_default_graph
from graphflow.core.rng import DEFAULT_GRAPH_SEED
from graphflow.ops.state_ops import placeholder, set_random_seed
from graphflow.platform import cuda as cuda_platform
from graphflow.runtime.session import Session, get_default_session


def compute_gradient(x: Tensor | Sequence[Tensor], x_shape: Sequence[int] | Sequence[Sequence[int]], y: Tensor,
                     y_shape: Sequence[int], x_init_value: npt.ArrayLike | None = None,
                     delta: float = 1e-3, extra_feed_dict: dict | None = None,
                     session: Session | None = None) -> Any:
    """(theoretical, numerical) Jacobians of ``y`` w.r.t. ``x``, each of shape
    (x.size, y.size). ``x`` may be a list; then a list of pairs is returned."""
    if isinstance(x, (list, tuple)):
        inits = x_init_value if x_init_value is not None else [None] * len(x)
        return [compute_gradient(xi, si, y, y_shape, ii, delta, extra_feed_dict, session)
                for xi, si, ii in zip(x, x_shape, inits)]
    sess = session or get_default_session() or Session(graph=y.graph)
    x_shape = tuple(x_shape)
    y_shape = tuple(y_shape)
    dtype = x.dtype.np
    x0 = np.asarray(x_init_value, dtype=dtype) if x_init_value is not None else \
        np.random.RandomState(0).uniform(-1, 1, size=x_shape).astype(dtype)
    feeds = dict(extra_feed_dict or {})
    nx, ny = int(np.prod(x_shape, dtype=np.int64)), int(np.prod(y_shape, dtype=np.int64))
    dy = _placeholder_like(y)
    (gx,) = gradients(y, [x], grad_ys=dy)
    theoretical = np.zeros((nx, ny), dtype=dtype)
    for j in range(ny):
        e = np.zeros(ny, dtype=y.dtype.np)
        e[j] = 1
        if gx is not None:
            theoretical[:, j] = np.asarray(sess.run(gx, {**feeds, x: x0, dy: e.reshape(y_shape)})).reshape(-1)
    numerical = np.zeros((nx, ny), dtype=dtype)
    flat = x0.reshape(-1).copy()
    for i in range(nx):
        old = flat[i]
        flat[i] = old + delta
        plus = np.asarray(sess.run(y, {**feeds, x: flat.reshape(x_shape)}), dtype=np.float64).reshape(-1)
        flat[i] = old - delta
        minus = np.asarray(sess.run(y, {**feeds, x: flat.reshape(x_shape)}), dtype=np.float64).reshape(-1)
        flat[i] = old
        numerical[i, :] = (plus - minus) / (2 * delta)
    return theoretical, numerical


def compute_gradient_error(x: Tensor | Sequence[Tensor], x_shape: Sequence[int] | Sequence[Sequence[int]], y: Tensor,
                           y_shape: Sequence[int], x_init_value: npt.ArrayLike | None = None,
                           delta: float = 1e-3, extra_feed_dict: dict | None = None) -> float:
    """Largest absolute difference between the theoretical and numerical Jacobians."""
    pairs = compute_gradient(x, x_shape, y, y_shape, x_init_value, delta, extra_feed_dict)
    if isinstance(pairs, tuple):
        pairs = [pairs]
    err = 0.0
    for t, n in pairs:
        if t.size:
            err = max(err, float(np.max(np.abs(t - n))))
    return err


def _placeholder_like(y: Tensor) -> Tensor:
    with y.graph.as_default():
        return placeholder(y.dtype, y.shape, name="grad_y")


def is_gpu_available(cuda_only: bool = False, min_cuda_compute_capability: Sequence[int] | None = None) -> bool:
    """Whether sessions can run on the CUDA target (a GPU of at least ``min_cuda_compute_capability``,
    or Numba's simulator)."""
    if not cuda_platform.capability("kernels").ok:
        return False
    if min_cuda_compute_capability is None:
        return True
    cc = getattr(cuda_platform.require("kernels").get_current_device(), "compute_capability", (0, 0))
    return tuple(cc) >= tuple(min_cuda_compute_capability)


def is_built_with_cuda() -> bool:
    """Whether the CUDA target is installed (the ``cuda`` extra: numba-cuda)."""
    return cuda_platform.capability("numba-cuda").ok


def is_built_with_gpu_support() -> bool:
    return is_built_with_cuda()


def gpu_device_name() -> str:
    """"/device:GPU:0" when sessions can run on the CUDA target, else ""."""
    return "/device:GPU:0" if is_gpu_available() else ""


_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../graphflow
_temp_dir: list[str] = []


def get_temp_dir() -> str:
    """A temporary directory for this process's tests (``$TEST_TMPDIR`` when set); not deleted."""
    if not _temp_dir:
        base = os.environ.get("TEST_TMPDIR")
        if base:
            os.makedirs(base, exist_ok=True)
        _temp_dir.append(tempfile.mkdtemp(prefix="graphflow_test_", dir=base))
    return _temp_dir[0]


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``TestCase`` classes of ``__main__`` (``unittest.main``), exiting with its status."""
    unittest.main(module="__main__", argv=list(argv) if argv is not None else None)


def test_src_dir_path(relative_path: str) -> str:
    """The absolute path of ``relative_path`` inside graphflow's source tree."""
    return os.path.join(_PACKAGE_ROOT, relative_path)


def is_built_with_xla() -> bool:
    """False: graphflow compiles graphs itself (through LLVM), not with XLA."""
    return False


def is_built_with_rocm() -> bool:
    """False: graphflow's GPU target is CUDA."""
    return False


def is_cpu_target_available(target: str) -> bool:
    """Whether the LLVM that compiles graphflow's CPU code (llvmlite's) has a backend for
    ``target`` ("x86", "aarch64", ...), as TF asks its own LLVM."""
    llvm.initialize_all_targets()
    try:
        llvm.Target.from_triple({"x86": "x86_64"}.get(target.lower(), target.lower()))
    except RuntimeError:
        return False
    return True


class TestCase(unittest.TestCase):
    """TF1's ``tf.test.TestCase``: each test starts on a fresh default graph with the graph seed
    set, ``session()`` / ``cached_session()`` open graphflow sessions on it, ``evaluate`` runs
    tensors, and the ``assertAll*`` family compares arrays (and nests of them, tensors evaluated)."""

    def __init__(self, methodName: str = "runTest") -> None:  # noqa: N803
        super().__init__(methodName)
        self._cached: Session | None = None
        self._tempdir: str | None = None

    def setUp(self) -> None:
        self._clear_cached_session()
        random.seed(DEFAULT_GRAPH_SEED)
        np.random.seed(DEFAULT_GRAPH_SEED)
        reset_default_graph()
        set_random_seed(DEFAULT_GRAPH_SEED)

    def tearDown(self) -> None:
        self._clear_cached_session()

    def _clear_cached_session(self) -> None:
        if self._cached is not None:
            self._cached.close()
            self._cached = None

    def get_temp_dir(self) -> str:
        """A temporary directory of this test (the same one on every call)."""
        if self._tempdir is None:
            self._tempdir = tempfile.mkdtemp(dir=get_temp_dir())
        return self._tempdir

    # -- sessions
    @contextlib.contextmanager
    def session(self, graph: Graph | None = None, config: object = None, use_gpu: bool = True,
                force_gpu: bool = False) -> Iterator[Session]:
        """A new session on ``graph`` (the test's default graph), default while the block runs."""
        sess = Session(graph=graph or get_default_graph(), config=config,  # type: ignore[arg-type]
                       device="cuda" if force_gpu else None)
        with sess.graph.as_default(), sess:
            yield sess

    @contextlib.contextmanager
    def cached_session(self, graph: Graph | None = None, config: object = None, use_gpu: bool = True,
                       force_gpu: bool = False) -> Iterator[Session]:
        """The test's one session (opened on first use, closed when the test ends), default
        while the block runs; a different ``graph`` replaces it."""
        g = graph or get_default_graph()
        if self._cached is None or self._cached.graph is not g:
            self._clear_cached_session()
            self._cached = Session(graph=g, config=config,  # type: ignore[arg-type]
                                   device="cuda" if force_gpu else None)
        with self._cached.as_default() as sess:
            yield sess

    def test_session(self, graph: Graph | None = None, config: object = None, use_gpu: bool = True,
                     force_gpu: bool = False) -> contextlib.AbstractContextManager[Session]:
        """TF1's deprecated name of ``cached_session``."""
        if self.id().endswith(".test_session"):  # unittest collects it by its name, as TF1's does
            self.skipTest("Not a test.")
        return self.cached_session(graph, config, use_gpu, force_gpu)

    def evaluate(self, tensors: Any) -> Any:
        """The values of ``tensors`` (any nest of tensors and ops), run in the default session or
        the test's cached one."""
        sess = get_default_session()
        if sess is None:
            with self.cached_session() as cached:
                return cached.run(tensors)
        return sess.run(tensors)

    # -- array assertions
    def _value(self, x: Any) -> Any:
        if isinstance(x, (Tensor, Operation)):
            return self.evaluate(x)
        if isinstance(x, Mapping):
            return {k: self._value(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)) and any(isinstance(v, (Tensor, Mapping, list, tuple)) for v in x):
            values = [self._value(v) for v in x]
            return type(x)(*values) if hasattr(x, "_fields") else type(x)(values)
        return x

    def _close(self, a: Any, b: Any, rtol: float, atol: float, msg: str | None, path: str) -> None:
        if isinstance(a, Mapping) or isinstance(b, Mapping):
            self.assertIsInstance(a, Mapping, f"{path}: {a!r} is not a dict like {b!r}")
            self.assertIsInstance(b, Mapping, f"{path}: {b!r} is not a dict like {a!r}")
            self.assertEqual(set(a), set(b), f"{path}: mismatched keys. {msg or ''}")
            for k in a:
                self._close(a[k], b[k], rtol, atol, msg, f"{path}[{k!r}]")
            return
        if _is_nest(a) or _is_nest(b):
            if _is_nest(a) and _is_nest(b) and len(a) == len(b):
                for i, (x, y) in enumerate(zip(a, b)):
                    self._close(x, y, rtol, atol, msg, f"{path}[{i}]")
                return
        x, y = np.asarray(a), np.asarray(b)
        if np.float16 in (x.dtype, y.dtype):  # TF1 widens both tolerances for half precision
            rtol, atol = max(rtol, 1e-3), max(atol, 1e-3)
        self.assertEqual(x.shape, y.shape, f"{path}: shape mismatch: expected {x.shape}, got {y.shape}. {msg or ''}")
        np.testing.assert_allclose(y, x, rtol=rtol, atol=atol, err_msg=f"{path} {msg or ''}".strip(),
                                   equal_nan=True)

    def assertAllClose(self, a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-6,  # noqa: N802
                       msg: str | None = None) -> None:
        """``a`` and ``b`` (arrays, tensors, or matching nests of them) agree within
        ``atol + rtol * |b|`` elementwise, shapes equal."""
        self._close(self._value(a), self._value(b), rtol, atol, msg, "")

    def assertAllCloseAccordingToType(self, a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-6,  # noqa: N802
                                      float_rtol: float = 1e-6, float_atol: float = 1e-6,
                                      half_rtol: float = 1e-3, half_atol: float = 1e-3,
                                      msg: str | None = None) -> None:
        """``assertAllClose`` with the tolerances of the values' dtype."""
        a, b = self._value(a), self._value(b)
        dtypes = {np.asarray(a).dtype, np.asarray(b).dtype}
        if np.float16 in dtypes:
            rtol, atol = max(rtol, half_rtol), max(atol, half_atol)
        elif np.float32 in dtypes:
            rtol, atol = max(rtol, float_rtol), max(atol, float_atol)
        self._close(a, b, rtol, atol, msg, "")

    def assertNotAllClose(self, a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-6,  # noqa: N802
                          msg: str | None = None) -> None:
        try:
            self.assertAllClose(a, b, rtol, atol, msg)
        except AssertionError:
            return
        raise AssertionError(f"The two values are close at all elements. {msg or ''}")

    def assertAllEqual(self, a: Any, b: Any, msg: str | None = None) -> None:  # noqa: N802
        """Same shape and equal elements."""
        x, y = np.asarray(self._value(a)), np.asarray(self._value(b))
        self.assertEqual(x.shape, y.shape, f"Shape mismatch: expected {x.shape}, got {y.shape}. {msg or ''}")
        np.testing.assert_array_equal(y, x, err_msg=msg or "")

    def assertNotAllEqual(self, a: Any, b: Any, msg: str | None = None) -> None:  # noqa: N802
        try:
            self.assertAllEqual(a, b, msg)
        except AssertionError:
            return
        raise AssertionError(f"The two values are equal at all elements. {msg or ''}")

    def _compare(self, a: Any, ok: np.ndarray, what: str) -> None:
        if not np.all(ok):
            bad = np.argwhere(~np.asarray(ok))
            raise AssertionError(f"{len(bad)} element(s) of {np.asarray(a)!r} are not {what}, first at index "
                                 f"{tuple(int(i) for i in bad[0]) if bad.size else ()}")

    def assertAllGreater(self, a: Any, comparison_target: float) -> None:  # noqa: N802
        x = np.asarray(self._value(a))
        self._compare(x, x > comparison_target, f"> {comparison_target}")

    def assertAllGreaterEqual(self, a: Any, comparison_target: float) -> None:  # noqa: N802
        x = np.asarray(self._value(a))
        self._compare(x, x >= comparison_target, f">= {comparison_target}")

    def assertAllLess(self, a: Any, comparison_target: float) -> None:  # noqa: N802
        x = np.asarray(self._value(a))
        self._compare(x, x < comparison_target, f"< {comparison_target}")

    def assertAllLessEqual(self, a: Any, comparison_target: float) -> None:  # noqa: N802
        x = np.asarray(self._value(a))
        self._compare(x, x <= comparison_target, f"<= {comparison_target}")

    def assertAllInRange(self, target: Any, lower_bound: float, upper_bound: float,  # noqa: N802
                         open_lower_bound: bool = False, open_upper_bound: bool = False) -> None:
        """Every element of ``target`` (a numeric array, no NaN) lies within the bounds."""
        x = np.asarray(self._value(target))
        if not np.issubdtype(x.dtype, np.number):
            raise AssertionError(f"The value of {target!r} does not have an ordered numeric type, instead it has "
                                 f"type: {x.dtype}")
        if np.any(np.isnan(x)):
            raise AssertionError(f"The value of {target!r} contains NaN")
        lo = x > lower_bound if open_lower_bound else x >= lower_bound
        hi = x < upper_bound if open_upper_bound else x <= upper_bound
        range_text = f"{'(' if open_lower_bound else '['}{lower_bound}, {upper_bound}{')' if open_upper_bound else ']'}"
        self._compare(x, lo & hi, f"in {range_text}")

    def assertShapeEqual(self, input_a: np.ndarray, input_b: Tensor, msg: str | None = None) -> None:  # noqa: N802
        """A numpy array's shape equals a tensor's static shape."""
        if not isinstance(input_a, np.ndarray) or not isinstance(input_b, Tensor):
            raise TypeError("assertShapeEqual takes a numpy array and a tensor")
        self.assertEqual(list(input_a.shape), input_b.get_shape().as_list(), msg=msg)

    def assertArrayNear(self, farray1: Sequence[float], farray2: Sequence[float], err: float,  # noqa: N802
                        msg: str | None = None) -> None:
        """Two float lists of one length agree elementwise within ``err``."""
        self.assertEqual(len(farray1), len(farray2), msg=msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(float(f1), float(f2), err, msg=msg)

    def assertNear(self, f1: float, f2: float, err: float, msg: str | None = None) -> None:  # noqa: N802
        """``|f1 - f2| <= err`` (and NaN equal to NaN)."""
        ok = f1 == f2 or math.fabs(f1 - f2) <= err or (math.isnan(f1) and math.isnan(f2))
        self.assertTrue(ok, f"{f1!r} != {f2!r} +/- {err!r}{' (' + msg + ')' if msg else ''}")

    def assertNDArrayNear(self, ndarray1: np.ndarray, ndarray2: np.ndarray, err: float,  # noqa: N802
                          msg: str | None = None) -> None:
        self.assertTrue(np.linalg.norm(np.asarray(ndarray1) - np.asarray(ndarray2)) <= err, msg=msg)

    @contextlib.contextmanager
    def assertRaisesOpError(self, expected_err_re_or_predicate: str) -> Iterator[None]:  # noqa: N802
        """The block raises a graphflow ``OpError`` whose message matches the pattern."""
        with self.assertRaisesRegex(OpError, expected_err_re_or_predicate):
            yield

    def assertDTypeEqual(self, target: Any, expected_dtype: Any) -> None:  # noqa: N802
        """``target``'s dtype (an array's, a tensor's, or each of a list's) is ``expected_dtype``."""
        want = np.dtype(getattr(expected_dtype, "np", expected_dtype))
        for t in target if isinstance(target, list) else [target]:
            got = t.dtype.np if isinstance(t, Tensor) else np.asarray(t).dtype
            self.assertEqual(np.dtype(got), want)

    def assertStartsWith(self, actual: str, expected_start: str, msg: str | None = None) -> None:  # noqa: N802
        if not actual.startswith(expected_start):
            raise AssertionError(f"{actual!r} does not start with {expected_start!r}{' : ' + msg if msg else ''}")

    def assertItemsEqual(self, first: Any, second: Any, msg: str | None = None) -> None:  # noqa: N802
        """TF1's name of ``assertCountEqual``: the same elements, in any order."""
        self.assertCountEqual(first, second, msg)

    def assertDeviceEqual(self, device1: str, device2: str, msg: str | None = None) -> None:  # noqa: N802
        norm = re.compile(r"^/?(device:)?", re.IGNORECASE)
        self.assertEqual(norm.sub("", device1 or "").lower(), norm.sub("", device2 or "").lower(), msg=msg)


def _is_nest(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and any(isinstance(v, (Mapping, list, tuple, np.ndarray)) for v in x)


class Benchmark:
    """TF1's ``tf.test.Benchmark``: ``report_benchmark`` records one entry (printed, or written to
    ``$TEST_REPORT_FILE_PREFIX<name>`` as JSON), ``run_op_benchmark`` times a fetch in a session."""

    def _name(self, name: str | None) -> str:
        if name:
            return name
        frame = sys._getframe(2)
        return f"{type(self).__name__}.{frame.f_code.co_name}"

    def report_benchmark(self, iters: int | None = None, cpu_time: float | None = None,
                         wall_time: float | None = None, throughput: float | None = None,
                         extras: Mapping[str, Any] | None = None, name: str | None = None,
                         metrics: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """Record a benchmark entry; returns it."""
        entry_name = self._name(name)
        entry = {"name": entry_name, "iters": iters, "cpu_time": cpu_time, "wall_time": wall_time,
                 "throughput": throughput, "extras": dict(extras or {}), "metrics": [dict(m) for m in metrics or []]}
        entry = {k: v for k, v in entry.items() if v not in (None, {}, [])}
        prefix = os.environ.get("TEST_REPORT_FILE_PREFIX")
        if prefix:
            path = prefix + entry_name.replace("/", "__")
            with open(path, "w") as f:
                json.dump({"entries": {"entry": [entry]}}, f, default=str)
        else:
            print(json.dumps({"entries": {"entry": [entry]}}, default=str))
        return entry

    def run_op_benchmark(self, sess: Session, op_or_tensor: Any, feed_dict: Mapping[Any, Any] | None = None,
                         burn_iters: int = 2, min_iters: int = 10, store_trace: bool = False,
                         store_memory_usage: bool = True, name: str | None = None,
                         extras: Mapping[str, Any] | None = None, mbs: int = 0) -> dict[str, Any]:
        """Run ``op_or_tensor`` ``burn_iters`` times untimed, then ``min_iters`` times; reports and
        returns the median wall time."""
        for _ in range(burn_iters):
            sess.run(op_or_tensor, feed_dict=feed_dict)
        times = []
        for _ in range(min_iters):
            start = time.perf_counter()
            sess.run(op_or_tensor, feed_dict=feed_dict)
            times.append(time.perf_counter() - start)
        wall = float(np.median(times))
        throughput = mbs / wall if mbs else None
        return self.report_benchmark(iters=min_iters, wall_time=wall, throughput=throughput, extras=extras,
                                     name=self._name(name))
