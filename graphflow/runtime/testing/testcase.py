"""``tf.test.TestCase``: each test on a fresh default graph with TF1's default seeds, sessions
on it, ``evaluate``, and the array assertions."""
from __future__ import annotations

import contextlib
import math
import random
import re
import tempfile
import unittest
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from graphflow.core.errors import OpError
from graphflow.core.ir import Graph, Operation, Tensor, get_default_graph, reset_default_graph
from graphflow.core.rng import DEFAULT_GRAPH_SEED
from graphflow.ops.state_ops import set_random_seed
from graphflow.runtime.session import Session, get_default_session
from graphflow.runtime.testing.process import get_temp_dir


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
