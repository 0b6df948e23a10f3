"""The CUDA target's first part: every elementwise primitive's flat kernel, generated from the
same kernel unit as the CPU's, compiles to PTX for sm_90 and sm_80 (numba-cuda's NVVM, no GPU
needed) and, in Numba's CUDA simulator (a separate process: the simulator replaces numba.cuda for
the whole process), computes what the CPU kernel computes."""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.platform.cuda import capability
from tests.tolerances import value_tol

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": gf.negative, "abs": gf.abs, "sign": gf.sign, "exp": gf.exp, "log": gf.log, "log1p": gf.log1p,
    "sqrt": gf.sqrt, "rsqrt": gf.rsqrt, "square": gf.square, "reciprocal": gf.reciprocal, "sin": gf.sin,
    "cos": gf.cos, "tan": gf.tan, "tanh": gf.tanh, "sigmoid": gf.sigmoid, "floor": gf.floor, "ceil": gf.ceil,
    "rint": gf.rint, "asin": gf.asin, "acos": gf.acos, "atan": gf.atan, "sinh": gf.sinh, "cosh": gf.cosh,
    "asinh": gf.asinh, "acosh": lambda x: gf.acosh(x + 1.5), "atanh": gf.atanh, "erf": gf.erf, "erfc": gf.erfc,
    "lgamma": gf.lgamma, "digamma": gf.digamma, "trigamma": lambda x: gf.gradients(gf.digamma(x), x)[0],
    "ndtri": gf.math.ndtri, "erfinv": gf.math.erfinv, "bessel_i0e": gf.math.bessel_i0e,
    "bessel_i1e": gf.math.bessel_i1e,
    "expm1": gf.expm1, "relu": gf.nn.relu, "softsign": gf.nn.softsign, "is_finite": gf.is_finite,
    "is_nan": gf.is_nan,
    "is_inf": gf.is_inf, "cast_int": lambda x: gf.cast(x * 10, gf.int32), "cast_bool": lambda x: gf.cast(x, gf.bool),
    "logical_not": lambda x: gf.logical_not(x > 0.5)}
BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": gf.add, "subtract": gf.subtract, "multiply": gf.multiply, "realdiv": gf.realdiv,
    "floordiv": gf.floordiv, "floormod": gf.floormod, "pow": gf.pow, "maximum": gf.maximum, "minimum": gf.minimum,
    "equal": gf.equal, "not_equal": gf.not_equal, "less": gf.less, "less_equal": gf.less_equal,
    "greater": gf.greater, "greater_equal": gf.greater_equal,
    "logical_and": lambda a, b: gf.logical_and(a > 0.5, b > 0.5),
    "logical_or": lambda a, b: gf.logical_or(a > 0.5, b > 0.5),
    "igamma": gf.igamma, "igammac": gf.igammac, "igamma_grad_a": lambda a, b: gf.gradients(gf.igamma(a, b), a)[0],
    "betainc": lambda a, b: gf.betainc(a, b, a * b), "zeta": lambda a, b: gf.zeta(a + 1.5, b),
    "where": lambda a, b: gf.where(a > b, a, b), "chain": lambda a, b: gf.sigmoid(gf.nn.relu(a * 2.0 + b)) - gf.tanh(b)}


def _cases() -> list[tuple[str, int, str]]:
    return [(name, 1, dt) for name in UNARY for dt in ("float32", "float64")] + \
        [(name, 2, dt) for name in BINARY for dt in ("float32", "float64")]


@contextlib.contextmanager
def _glue() -> Iterator[None]:
    """Programs lowered as glue over kernel units (the units the CUDA target translates)."""
    old = os.environ.get("GRAPHFLOW_GLUE")
    os.environ["GRAPHFLOW_GLUE"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("GRAPHFLOW_GLUE")
        else:
            os.environ["GRAPHFLOW_GLUE"] = old


def _executable(fetch: Any, feeds: dict) -> Any:
    with _glue(), gf.Session() as s:
        s.run(fetch, feeds)
        return next(iter(s._cache.values()))[2]


def flat_kernels(name: str, arity: int, dtype: str) -> list[tuple[Any, Any]]:
    """(kernel, argument types) of the flat elementwise kernels the CPU glue runs for the op."""
    fn = UNARY[name] if arity == 1 else BINARY[name]
    with gf.Graph().as_default():
        xs = [gf.placeholder(getattr(gf, dtype), [None, 3]) for _ in range(arity)]
        exe = _executable(fn(*xs), {x: np.full((2, 3), 0.25 + 0.1 * i, dtype) for i, x in enumerate(xs)})
    return [(k, t) for k, t in zip(exe.generated.kernels, exe.generated.arg_types) if k.flat]


@pytest.mark.needs("ptx")
@pytest.mark.parametrize("name,arity,dtype", _cases())
def test_elementwise_kernels_compile_to_ptx(name: str, arity: int, dtype: str) -> None:
    from graphflow.compiler.cuda import loops as cuda
    kernels = flat_kernels(name, arity, dtype)
    assert kernels, f"{name}: no flat kernel"
    for k, types in kernels:
        src = cuda.cuda_source(k)
        for cc in ((9, 0), (8, 0)):
            ptx = cuda.compile_ptx(src, types, cc)
            assert f".target sm_{cc[0]}{cc[1]}" in ptx and ".entry" in ptx


def test_what_is_not_generated_yet_says_so() -> None:
    from graphflow.compiler.cuda import loops as cuda
    x = gf.placeholder(gf.float32, [None, 3])
    y = gf.reduce_sum(gf.exp(x), 1)
    exe = _executable(y, {x: np.ones((2, 3), np.float32)})
    non_flat = [k for k in exe.generated.kernels if not k.flat]
    assert non_flat
    with pytest.raises(cuda.NotOnCudaError, match="flat elementwise"):
        cuda.cuda_source(non_flat[0])
    if not capability("kernels").ok:
        with pytest.raises(gf.errors.UnimplementedError, match="not available"):
            gf.Session(device="cuda").run(y, {x: np.ones((2, 3), np.float32)})


SIMULATOR_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    from tests.test_cuda_kernels import _cases, flat_kernels
    from graphflow.compiler.cuda import loops as cuda
    import graphflow as gf
    rs = np.random.RandomState(0)
    report = []
    for name, arity, dtype in _cases():
        for k, types in flat_kernels(name, arity, dtype):
            n = 37  # not a multiple of the block: the bounds check matters
            n_in = len(types) - len(k.outs) - len(k.consts)
            args = []
            for t, ndim in types[:n_in]:
                args.append(np.asarray(1.5, t)[()] if ndim < 0 else (rs.rand(n) * 0.9 + 0.05).astype(t))
            out_type = types[n_in][0]
            args += [np.zeros(n, out_type)] + [np.int64(c) for c in k.consts]
            cpu_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
            from graphflow.runtime.cache import load_kernels
            (cpu_kernel,) = load_kernels([k])
            cpu_kernel(*cpu_args)
            want = cpu_args[n_in]
            try:
                cuda.launch(cuda.cuda_source(k), args, n, threads=16)
            except Exception as e:
                raise RuntimeError(f"{{name}} {{dtype}}: {{e}}") from e
            args[-1 - len(k.consts)] = args[n_in]
            report.append([name, dtype, args[n_in].tolist(), want.tolist()])
    json.dump(report, open(sys.argv[1], "w"))
    """)


@pytest.mark.needs("numba-cuda")
def test_elementwise_kernels_match_the_cpu_in_the_simulator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report.json"
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    r = subprocess.run([sys.executable, "-c", SIMULATOR_SCRIPT.format(root=ROOT), str(out)], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads(out.read_text())
    assert len(report) >= len(_cases())
    for name, dtype, got, want in report:
        got, want = np.asarray(got), np.asarray(want)
        if want.dtype.kind in "biu":
            np.testing.assert_array_equal(got, want, err_msg=f"{name} {dtype}")
        else:
            # the CPU's float32 exp/tanh/sigmoid are its own approximations (2 ulp), CUDA's math
            # library's are others: float32's value tolerance covers both
            np.testing.assert_allclose(got, want, **value_tol(dtype), err_msg=f"{name} {dtype}")


REDUCTIONS: dict[str, Callable[[Any], Any]] = {
    "sum_last": lambda x: gf.reduce_sum(gf.exp(x), 2), "max_first": lambda x: gf.reduce_max(x, 0),
    "mean_keepdims": lambda x: gf.reduce_mean(x * 2.0, [0, 2], keepdims=True),
    "prod_middle": lambda x: gf.reduce_prod(x + 0.5, 1), "min_all": lambda x: gf.reduce_min(x),
    "sum_all": lambda x: gf.reduce_sum(x * x), "any": lambda x: gf.reduce_any(x > 0.7, 1),
    "all": lambda x: gf.reduce_all(x > 0.1, [0, 1]), "argmax_like_sum": lambda x: gf.reduce_sum(gf.tanh(x), [1, 2]),
}


def reduction_nodes(name: str, dtype: str) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """The FUSED reduction nodes of the program, the input and the CPU's result."""
    from graphflow.core.registry import Op
    with gf.Graph().as_default():
        x = gf.placeholder(getattr(gf, dtype), [None, 4, 3])
        y = REDUCTIONS[name](x)
        xv = np.random.RandomState(len(name)).rand(5, 4, 3).astype(dtype)
        with _glue(), gf.Session() as s:
            want = np.asarray(s.run(y, {x: xv}))
            exe = next(iter(s._cache.values()))[2]
    return [n for n in exe.program.nodes if n.op is Op.FUSED and n.attrs.reduce is not None], xv, want


@pytest.mark.needs("ptx")
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_reductions_compile_to_ptx(name: str, dtype: str) -> None:
    from graphflow.compiler.cuda import loops as cuda
    nodes, _, _ = reduction_nodes(name, dtype)
    assert nodes
    for n in nodes:
        src, _ = cuda.reduction_source(n)
        for source in (src, cuda.fused_source(n, tree=True)):  # a thread per output, a block per output
            ptx = cuda.compile_ptx(source, cuda.node_arg_types(n), (9, 0))
            assert ".target sm_90" in ptx
            assert (".shared" in ptx) == (source is not src)  # the tree's partial results


REDUCTION_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    sys.path.insert(0, {root!r})
    from tests.test_cuda_kernels import REDUCTIONS, reduction_nodes
    from graphflow.compiler.cuda import loops as cuda
    report = []
    for name in sorted(REDUCTIONS):
        for dtype in ("float32", "float64"):
            (n,), xv, want = reduction_nodes(name, dtype)
            src, _ = cuda.reduction_source(n)
            args = [xv if t.shape.rank else np.asarray([t.node.attrs.value], t.dtype.np)  # the program's constants
                    for t in n.inputs]
            out = np.zeros(want.size, want.dtype)
            cuda.launch(src, args + [out], out.size, threads=8)
            report.append([name, dtype, out.tolist(), want.reshape(-1).tolist()])
            tree = np.zeros(want.size, want.dtype)  # a block of cuda.TREE threads per output
            cuda.load(cuda.fused_source(n, tree=True))[tree.size, cuda.TREE](*(args + [tree]))
            report.append([name + " (tree)", dtype, tree.tolist(), want.reshape(-1).tolist()])
    json.dump(report, open(sys.argv[1], "w"))
    """)


@pytest.mark.needs("numba-cuda")
def test_reductions_match_the_cpu_in_the_simulator(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "report.json"
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    r = subprocess.run([sys.executable, "-c", REDUCTION_SCRIPT.format(root=ROOT), str(out)], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads(out.read_text())
    assert len(report) == 4 * len(REDUCTIONS)
    for name, dtype, got, want in report:
        got, want = np.asarray(got), np.asarray(want)
        if want.dtype.kind == "b":
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:
            np.testing.assert_allclose(got, want, **value_tol(dtype), err_msg=f"{name} {dtype}")
