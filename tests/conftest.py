"""Shared test setup: a persistent compile cache so compiled code is reused across test runs."""
from __future__ import annotations

import os
import types

import pytest

from tests import glue_cover

os.environ.setdefault("GRAPHFLOW_CACHE_DIR",
                      os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".gfcache"))
os.environ.setdefault("GRAPHFLOW_VERIFY", "1")
# TF 2.21's tf.compat.v1.layers and rnn cells (the TF1 oracle of tests/test_layers_rnn.py) come
# from tf-keras; this must be set before TensorFlow is imported
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


def _pin_blas_threads() -> None:
    """One BLAS thread per test process: the suite runs a worker per core, and OpenBLAS pools
    that spin on an occupied core make a small GEMM 10-40x slower (measured 0.08 ms -> 3.2 ms)."""
    import numpy  # noqa: F401
    import scipy.linalg  # noqa: F401  (loads SciPy's OpenBLAS, which LAPACK calls use, so it is pinned too)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1)


_pin_blas_threads()


@pytest.fixture(autouse=True)
def _fresh_graph():
    """Each test builds in its own default graph."""
    import graphflow as gf
    gf.reset_default_graph()
    yield
    gf.reset_default_graph()


@pytest.fixture
def float64_modules():
    """New gf.nn module parameters are float64 (PyTorch's ``.double()``) in a graph of their own."""
    import graphflow as gf
    with gf.Graph().as_default():
        gf.nn.modules.set_default_dtype(gf.float64)
        yield
        gf.nn.modules.set_default_dtype(gf.float32)


SKIPPED_KEY = "graphflow/skipped"  # pytest's cache: the node ids the last run skipped
_skipped: set[str] = set()


def pytest_addoption(parser):  # type: ignore[no-untyped-def]
    parser.addoption("--last-skipped", action="store_true",
                     help="run only the tests the last run skipped (CI's pass once the optional extras are in)")
    parser.addoption("--glue-pass", action="store_true",
                     help="CI's glue pass (with GRAPHFLOW_GLUE=1, which changes only how CPU programs are lowered): "
                          "without the tests of the CUDA target and the 'reference' (numpy oracle) variants of "
                          "tests that have a 'cpu' variant, which the earlier passes ran unchanged")
    parser.addoption("--cuda-pass", action="store_true",
                     help="CI's CUDA pass (with GRAPHFLOW_TEST_CUDA=1): only the tests that run something on the CUDA "
                          "target: those named for it or on device 'cuda', and the gradient tests (the harness's "
                          "check_gradient runs every graph it checks on 'cuda' too) without a 'cuda' variant")


def _records_glue_keys(config) -> bool:  # type: ignore[no-untyped-def]
    """The passes before the glue pass record what each test's CPU programs are made of (tests/glue_cover.py)."""
    return not (config.getoption("--glue-pass") or config.getoption("--cuda-pass")
                or os.environ.get("GRAPHFLOW_GLUE") or os.environ.get("GRAPHFLOW_TEST_CUDA"))


def pytest_configure(config):  # type: ignore[no-untyped-def]
    config.addinivalue_line("markers", "needs(*names): the optional pieces the test needs (tests/optional.py); "
                                       "it skips, saying what to install, where one is missing")
    if _records_glue_keys(config):
        glue_cover.install()
        config.pluginmanager.register(glue_cover, "graphflow-glue-cover")


def _base(item) -> str:  # type: ignore[no-untyped-def]
    return item.nodeid.split("[", 1)[0]


def _on_cuda(item) -> bool:  # type: ignore[no-untyped-def]
    params = getattr(getattr(item, "callspec", None), "params", {})
    return any(isinstance(v, str) and v == "cuda" for v in params.values())


def _names(code: types.CodeType) -> set[str]:
    """The global names ``code`` and the functions defined in it refer to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _checks_gradients(fn: object, depth: int = 2) -> bool:
    """Whether test function ``fn`` calls the harness's ``check_gradient``, itself or through a
    function of its module (to ``depth`` calls)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    names = _names(code)
    if "check_gradient" in names:
        return True
    scope = getattr(fn, "__globals__", {})
    return depth > 1 and any(_checks_gradients(scope[name], depth - 1) for name in names
                             if isinstance(scope.get(name), types.FunctionType))


def _has_cpu_twin(item, ids: set[str]) -> bool:  # type: ignore[no-untyped-def]
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "reference" not in [v for v in params.values() if isinstance(v, str)]:
        return False
    base, _, rest = item.nodeid.partition("[")
    return f"{base}[{rest.replace('reference', 'cpu')}" in ids


def _glue_pass(config, items) -> None:  # type: ignore[no-untyped-def]
    """Keep what a CPU program's lowering can change: not the CUDA target's tests (files
    test_cuda_*.py, variants on device 'cuda'), not the oracle's variants that have a 'cpu' twin;
    of the rest, a set that lowers every kind of program the earlier passes lowered (tests/glue_cover.py)."""
    ids = {item.nodeid for item in items}
    keep = [item for item in items if not (item.nodeid.startswith("tests/test_cuda_") or _on_cuda(item)
                                           or _has_cpu_twin(item, ids))]
    keep = glue_cover.select(config, keep)
    kept = set(map(id, keep))
    config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept])
    items[:] = keep


def _simulates_apart(item) -> bool:  # type: ignore[no-untyped-def]
    """Whether the test runs its device work in a process of its own that it puts in the simulator
    itself (tests/test_cuda_runtime.py's ``_simulate``): the extras pass ran exactly that already."""
    code = getattr(getattr(item, "function", None), "__code__", None)
    return code is not None and "_simulate" in _names(code)


def _cuda_pass(config, items) -> None:  # type: ignore[no-untyped-def]
    """Keep what runs on the CUDA target: tests named for it or on device 'cuda', and the tests
    that run a gradient check, which runs its graph on 'cuda' too, unless the test has a 'cuda'
    variant (then its 'reference' and 'cpu' variants ran in the earlier passes); of a gradient
    check's 'reference' and 'cpu' variants, which run the same graph on 'cuda', only the 'cpu' one;
    not the tests that simulate in a process of their own (the extras pass ran them)."""
    with_cuda = {_base(item) for item in items if _on_cuda(item)}
    ids = {item.nodeid for item in items}
    keep = [item for item in items if ("cuda" in item.nodeid and not _simulates_apart(item)) or
            (_base(item) not in with_cuda and not _has_cpu_twin(item, ids)
             and _checks_gradients(getattr(item, "function", None)))]
    kept = set(map(id, keep))
    config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept])
    items[:] = keep


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    if config.getoption("--cuda-pass"):
        _cuda_pass(config, items)
    if config.getoption("--glue-pass"):
        _glue_pass(config, items)
    if not config.getoption("--last-skipped"):
        return
    recorded = config.cache.get(SKIPPED_KEY, None)
    if recorded is None:
        raise pytest.UsageError("--last-skipped: no earlier run recorded its skips here (run the suite first)")
    skipped = set(recorded)
    keep = [item for item in items if item.nodeid in skipped]
    config.hook.pytest_deselected(items=[item for item in items if item.nodeid not in skipped])
    items[:] = keep


def pytest_runtest_setup(item):  # type: ignore[no-untyped-def]
    """``@pytest.mark.needs(...)``, and a test on the CUDA target (GRAPHFLOW_TEST_CUDA=1) where
    this process cannot run CUDA kernels: skip with the one-line reason."""
    from tests import optional
    names = [name for mark in item.iter_markers("needs") for name in mark.args]
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "cuda" in params.values():
        names.append("cuda-kernels")
    for name in names:
        why = optional.missing(name)
        if why:
            raise pytest.skip.Exception(why, _use_item_location=True)


def pytest_runtest_logreport(report):  # type: ignore[no-untyped-def]
    if report.skipped:
        _skipped.add(report.nodeid)


def pytest_sessionfinish(session):  # type: ignore[no-untyped-def]
    """Record which tests skipped (on the controller when xdist runs workers), for ``--last-skipped``,
    and what the tests' programs were made of, for ``--glue-pass``."""
    config = session.config
    if hasattr(config, "workerinput") or getattr(config, "cache", None) is None:
        return
    config.cache.set(SKIPPED_KEY, sorted(_skipped))
    if _records_glue_keys(config):
        glue_cover.save(config)


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    """The skips grouped by reason, most first: what is missing here and what installs it."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        terminalreporter.section("skipped tests, by reason")
        for reason, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            terminalreporter.line(f"{count:5d}  {reason}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):  # type: ignore[no-untyped-def]
    """A test on the CUDA target (GRAPHFLOW_TEST_CUDA=1) of an op it has no kernel for yet skips,
    saying which; every other failure stays a failure."""
    outcome = yield
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "cuda" not in params.values():
        return
    excinfo = outcome.excinfo
    if excinfo is not None:
        import graphflow as gf
        err = excinfo[1]
        if isinstance(err, gf.errors.UnimplementedError) and "CUDA target" in str(err):
            outcome.force_exception(pytest.skip.Exception(f"CUDA target: {str(err).splitlines()[0][:200]}",
                                                          _use_item_location=True))
