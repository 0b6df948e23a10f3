"""TF1's exact integer arithmetic and bounds errors: tf.div / floordiv / truncatediv / floormod /
truncatemod and the operators over a grid of signs and dtypes (the numpy references, every target,
and tf.compat.v1 where TensorFlow is installed), integer division by zero raising
InvalidArgumentError when run (never while the graph is built or folded), the GraphDef ops each
builds and what each GraphDef op computes on import, and the bounds errors of slice, indexing,
strided_slice and range."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.core.registry import Op, get
from tests.harness import SIMULATED, TARGETS, check_gradient, line_of, run
from tests.optional import module, need

HERE = __file__
INTS = ("int8", "int16", "int32", "int64", "uint8")
FLOATS = ("float32", "float64")
# TF1's TruncateMod (and Mod) kernels exist for these only; the other ops take every integer dtype
TRUNCATEMOD_DTYPES = ("int32", "int64") + FLOATS


def _grid(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of a dividend and a nonzero divisor: both signs, 0, +-1, the dtype's extremes."""
    if dtype in FLOATS:
        a = [7.5, -7.5, 7.0, -7.0, 6.0, -6.0, 0.0, 1.0, 0.3, -1e-20, 1e10, np.inf, -np.inf, np.nan]
        b = [2.0, -2.0, 0.5, -0.5, 0.1, -0.1, 3.0, -3.0, 1e-3, np.inf, -np.inf]
    else:
        info = np.iinfo(dtype)
        if info.min < 0:
            a = [7, -7, 6, -6, 5, -5, 1, -1, 0, int(info.min), int(info.max), int(info.min) + 1]
            b = [2, -2, 3, -3, 7, -7, 1, -1, int(info.min), int(info.max)]
        else:
            a = [0, 1, 5, 6, 7, 200, int(info.max)]
            b = [1, 2, 3, 7, int(info.max)]
    aa, bb = np.meshgrid(np.array(a, dtype), np.array(b, dtype), indexing="ij")
    return aa.reshape(-1), bb.reshape(-1)


def _wrap(values: list[int], dtype: str) -> np.ndarray:
    """Python integers into ``dtype`` with two's-complement wrap-around (MIN / -1 is MIN in TF1)."""
    info = np.iinfo(dtype)
    span = int(info.max) - int(info.min) + 1
    return np.array([(v - int(info.min)) % span + int(info.min) for v in values], dtype)


def _int_expected(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """TF1's integer results worked out with Python's exact integers (not numpy)."""
    pairs = [(int(x), int(y)) for x, y in zip(a, b)]
    trunc = [(abs(x) // abs(y)) * (1 if (x < 0) == (y < 0) else -1) for x, y in pairs]
    d = a.dtype.name
    return {"floordiv": _wrap([x // y for x, y in pairs], d), "floormod": _wrap([x % y for x, y in pairs], d),
            "truncatediv": _wrap(trunc, d), "truncatemod": _wrap([x - y * q for (x, y), q in zip(pairs, trunc)], d)}


def _float_expected(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """TF1's float kernels: floor and trunc of the quotient (divided in the dtype), fmod (exact,
    so Python's double one serves), and FloorMod as fmod moved by y where its sign differs."""
    t = a.dtype.type
    quotient = a / b
    fmod = [t(math.fmod(float(x), float(y))) if math.isfinite(x) else t(np.nan) for x, y in zip(a, b)]
    floormod = [r + y if r != 0 and (y < 0) != (r < 0) else r for r, y in zip(fmod, b)]
    return {"floordiv": np.floor(quotient), "truncatediv": np.trunc(quotient), "quotient": quotient,
            "floormod": np.array(floormod, a.dtype), "truncatemod": np.array(fmod, a.dtype)}


def _expected(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    with np.errstate(all="ignore"):
        if a.dtype.kind not in "iu":
            return _float_expected(a, b)
        wide = "float32" if a.dtype.itemsize < 4 else "float64"  # TF1's truediv of integers
        return {**_int_expected(a, b), "quotient": a.astype(wide) / b.astype(wide)}


def _same(got: Any, want: Any, what: str) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, expected {want.dtype}"
    np.testing.assert_array_equal(got, want, err_msg=what)


# ---- the numpy references (the oracle and constant folding) -------------------------------------

@pytest.mark.parametrize("dtype", INTS + FLOATS)
def test_references_compute_tf1s_results(dtype: str) -> None:
    a, b = _grid(dtype)
    want = _expected(a, b)
    rows = {"floordiv": Op.FLOORDIV, "floormod": Op.MOD, "truncatediv": Op.TRUNCATEDIV, "truncatemod": Op.TRUNCATEMOD}
    with np.errstate(all="ignore"):
        for name, op in rows.items():
            if name == "truncatemod" and dtype not in TRUNCATEMOD_DTYPES:
                continue
            _same(get(op).reference(None, a, b), want[name], f"{name} reference, {dtype}")


def test_float_floordiv_is_floor_of_the_quotient_not_numpys_floor_divide() -> None:
    """TF1 computes floor(x / y): 1.0 // 0.1 is 10 (numpy's floor_divide says 9), -5 // inf is -0."""
    a, b = np.array([1.0, -1.0, -5.0]), np.array([0.1, 0.1, np.inf])
    _same(get(Op.FLOORDIV).reference(None, a, b), np.array([10.0, -10.0, -0.0]), "floordiv")
    assert np.signbit(get(Op.FLOORDIV).reference(None, a, b)[2])


@pytest.mark.parametrize("op", [Op.FLOORDIV, Op.MOD, Op.TRUNCATEDIV, Op.TRUNCATEMOD])
def test_references_raise_on_an_integer_zero_divisor(op: Op) -> None:
    with pytest.raises(ValueError, match="^Integer division by zero$"):
        get(op).reference(None, np.array([1, 2], np.int32), np.array([1, 0], np.int32))
    # nothing is divided when the result is empty
    assert get(op).reference(None, np.zeros((0,), np.int32), np.array([0], np.int32)).shape == (0,)
    with np.errstate(all="ignore"):  # floats give inf or NaN, as TF1's kernels
        got = get(op).reference(None, np.array([7.0, 0.0]), np.array([0.0, 0.0]))
    assert np.isnan(got[1]) and (np.isinf(got[0]) or np.isnan(got[0]))


# ---- every target against the expected grid ----------------------------------------------------

def _division_outputs(x: Any, y: Any, dtype: str) -> dict[str, Any]:
    out = {"div": gf.div(x, y), "floordiv": gf.floordiv(x, y), "floor_div": gf.floor_div(x, y),
           "truncatediv": gf.truncatediv(x, y), "floormod": gf.floormod(x, y), "mod": gf.mod(x, y),
           "op_floordiv": x // y, "op_mod": x % y, "op_truediv": x / y, "divide": gf.divide(x, y)}
    if dtype in TRUNCATEMOD_DTYPES:
        out["truncatemod"] = gf.truncatemod(x, y)
    return out


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("dtype", INTS + FLOATS)
def test_division_on_every_target(dtype: str, device: str) -> None:
    a, b = _grid(dtype)
    want = _expected(a, b)
    x, y = gf.placeholder(gf.as_dtype(dtype), [None]), gf.placeholder(gf.as_dtype(dtype), [None])
    got = run(_division_outputs(x, y, dtype), {x: a, y: b}, device)
    floordiv, quotient = want["floordiv"], want["quotient"]
    checks = {"div": quotient if dtype in FLOATS else floordiv, "floordiv": floordiv, "floor_div": floordiv,
              "op_floordiv": floordiv, "truncatediv": want["truncatediv"], "floormod": want["floormod"],
              "mod": want["floormod"], "op_mod": want["floormod"], "op_truediv": quotient,
              "divide": quotient, "truncatemod": want.get("truncatemod")}
    for name, value in got.items():
        _same(value, checks[name], f"{name}, {dtype}, {device}")
    # the zeros carry TF1's signs too (FloorMod keeps fmod's, the sign of x); Numba's CUDA
    # simulator rounds through Python's math.floor, whose ints have no -0.0 (a GPU's floor has)
    if dtype in FLOATS and not (device == "cuda" and SIMULATED):
        for name in ("floordiv", "truncatediv", "floormod"):
            zero = np.asarray(checks[name]) == 0
            np.testing.assert_array_equal(np.signbit(got[name][zero]), np.signbit(checks[name][zero]),
                                          err_msg=f"signs of zero, {name}, {dtype}, {device}")


def test_the_issue_examples() -> None:
    """tf.div on ints is floor division with an int result; ``/`` is true division in float64."""
    x = gf.constant([7, -7])
    got = run([gf.div(x, 2), x / 2, x // 2, x % 2, gf.truncatediv(x, 2), gf.truncatemod(x, 2)])
    _same(got[0], np.array([3, -4], np.int32), "div")
    _same(got[1], np.array([3.5, -3.5]), "truediv")
    _same(got[2], np.array([3, -4], np.int32), "floordiv")
    _same(got[3], np.array([1, 1], np.int32), "mod")
    _same(got[4], np.array([3, -3], np.int32), "truncatediv")
    _same(got[5], np.array([1, -1], np.int32), "truncatemod")


def test_dtypes_and_graph_ops_are_tf1s() -> None:
    """The node each function builds (its GraphDef op) and its default name, as tf.compat.v1."""
    for dtype, want in (("int32", {"div": "FloorDiv", "truediv": "RealDiv"}),
                        ("float32", {"div": "RealDiv", "truediv": "RealDiv"})):
        with gf.Graph().as_default():
            x, y = gf.placeholder(gf.as_dtype(dtype), [3]), gf.placeholder(gf.as_dtype(dtype), [3])
            built = {"div": gf.div(x, y), "truediv": gf.truediv(x, y), "floordiv": gf.floordiv(x, y),
                     "truncatediv": gf.truncatediv(x, y), "mod": gf.mod(x, y), "truncatemod": gf.truncatemod(x, y),
                     "//": x // y, "%": x % y, "/": x / y, "floor_div": gf.floor_div(x, y)}
            types = {k: t.op.type for k, t in built.items()}
            names = {k: t.name for k, t in built.items()}
        assert types == {**want, "floordiv": "FloorDiv", "truncatediv": "TruncateDiv", "mod": "FloorMod",
                         "truncatemod": "TruncateMod", "//": "FloorDiv", "%": "FloorMod", "/": "RealDiv",
                         "floor_div": "FloorDiv"}, dtype
        assert names == {"div": "div:0", "truediv": "truediv:0", "floordiv": "floordiv:0",
                         "truncatediv": "TruncateDiv:0", "mod": "FloorMod:0", "truncatemod": "TruncateMod:0",
                         "//": "floordiv_1:0", "%": "mod:0", "/": "truediv_1:0", "floor_div": "FloorDiv_2:0"}, dtype
    for dtype, want_dtype in (("int8", gf.float32), ("int16", gf.float32), ("uint8", gf.float32),
                              ("int32", gf.float64), ("int64", gf.float64), ("float32", gf.float32)):
        assert (gf.constant([1], gf.as_dtype(dtype)) / 2).dtype == want_dtype, dtype
        if dtype != "float32":
            assert gf.div(gf.constant([1], gf.as_dtype(dtype)), 2).dtype == gf.as_dtype(dtype), dtype


def test_dtypes_tf1_refuses() -> None:
    with pytest.raises(TypeError, match="TruncateMod"):
        gf.truncatemod(gf.constant([7], gf.uint8), gf.constant([2], gf.uint8))
    with pytest.raises(TypeError, match="no RealDiv kernel for int32"):
        gf.realdiv(gf.constant([7]), gf.constant([2]))
    with pytest.raises(TypeError, match="bool"):
        gf.truediv(gf.constant([True]), gf.constant([True]))
    with pytest.raises(TypeError):
        gf.floordiv(gf.constant([True]), gf.constant([True]))
    with pytest.raises(TypeError, match="fractional"):  # an int tensor by a fractional Python float
        gf.constant([7]) / 2.5


# ---- division by zero ---------------------------------------------------------------------------

# name -> (the division, which of TF1's results it gives)
ZERO_CASES: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "div": (gf.div, "floordiv"), "floordiv": (gf.floordiv, "floordiv"), "truncatediv": (gf.truncatediv, "truncatediv"),
    "floormod": (gf.floormod, "floormod"), "truncatemod": (gf.truncatemod, "truncatemod"),
    "op_floordiv": (lambda x, y: x // y, "floordiv"),  # the // operator
    "op_mod": (lambda x, y: x % y, "floormod")}  # the % operator


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("name", sorted(ZERO_CASES))
def test_integer_division_by_zero_raises_naming_the_node(name: str, device: str) -> None:
    fn, result = ZERO_CASES[name]
    x, y = gf.placeholder(gf.int32, [None], name="x"), gf.placeholder(gf.int32, [None], name="y")
    q = fn(x, y)  # the division
    a, b = np.array([-7, 5], np.int32), np.array([2, -3], np.int32)
    with gf.Session(device=device) as s:
        _same(s.run(q, {x: a, y: b}), _int_expected(a, b)[result], name)
        with pytest.raises(gf.errors.InvalidArgumentError) as e:
            s.run(q, {x: a, y: np.array([2, 0], np.int32)})
    message = str(e.value)
    assert message.startswith("Integer division by zero"), message
    assert f"'{q.op.name}'" in message, message
    site = {"op_floordiv": "# the // operator", "op_mod": "# the % operator"}.get(name, "# the division")
    assert f"{HERE}:{line_of(HERE, site)}" in message, message


@pytest.mark.parametrize("device", TARGETS)
def test_integer_division_by_zero_inside_a_fused_chain(device: str) -> None:
    x, y = gf.placeholder(gf.int64, [None]), gf.placeholder(gf.int64, [None])
    z = (x * 3) // y + x % (y - 1)
    _same(run(z, {x: [7, -7], y: [2, 3]}, device), np.array([10 + 0, -7 + 1], np.int64), "chain")
    with pytest.raises(gf.errors.InvalidArgumentError, match="^Integer division by zero"):
        run(z, {x: [7, -7], y: [2, 1]}, device)  # the % divides by y - 1 = 0


@pytest.mark.parametrize("device", TARGETS)
def test_float_division_by_zero_gives_inf_and_nan(device: str) -> None:
    for dtype in FLOATS:
        x, y = gf.placeholder(gf.as_dtype(dtype), [None]), gf.placeholder(gf.as_dtype(dtype), [None])
        got = run([x / y, x // y, gf.truncatediv(x, y), x % y, gf.truncatemod(x, y)],
                  {x: np.array([7.0, -7.0, 0.0]), y: np.zeros(3)}, device)
        for value in got[:3]:
            _same(value, np.array([np.inf, -np.inf, np.nan], dtype), f"quotient by zero, {dtype}")
        for value in got[3:]:
            _same(value, np.array([np.nan] * 3, dtype), f"remainder by zero, {dtype}")
    ints = gf.placeholder(gf.int32, [None])  # int / int is true division in float64: no error
    _same(run(ints / gf.constant([0, 0]), {ints: [1, 0]}, device), np.array([np.inf, np.nan]), "int truediv")


@pytest.mark.parametrize("device", TARGETS)
def test_constant_division_by_zero_raises_when_run_not_when_built(device: str) -> None:
    """As TF1: building, constant folding and static shape evaluation leave 1 // 0 to the run."""
    q = gf.constant(1) // gf.constant(0)  # built: no error
    r = gf.range(gf.constant(5) % gf.constant(0))  # its length is not known then
    assert r.shape.as_list() == [None]
    for fetch in (q, r):
        with pytest.raises(gf.errors.InvalidArgumentError, match="^Integer division by zero"):
            run(fetch, device=device)
    # a branch that does not run divides nothing
    taken = gf.cond(gf.constant(True), lambda: gf.constant(1), lambda: gf.constant(1) // gf.constant(0))
    assert run(taken, device=device) == 1


# ---- gradients --------------------------------------------------------------------------------

def test_float_gradients() -> None:
    a = np.array([7.5, -7.5, 3.3, -2.2])
    b = np.array([2.0, 2.1, -1.7, -0.9])
    check_gradient(gf.truediv, [a, b])
    check_gradient(gf.div, [a, b])
    check_gradient(gf.floormod, [a, b])
    x, y = gf.constant(a), gf.constant(b)
    ga, gb = gf.gradients(gf.floormod(x, y), [x, y])
    _same(run(ga), np.ones(4), "d floormod / dx")
    _same(run(gb), -np.floor(a / b), "d floormod / dy")
    assert gf.gradients(gf.floordiv(x, y), [x, y]) == [None, None]
    assert gf.gradients(gf.truncatediv(x, y), [x, y]) == [None, None]
    with pytest.raises(LookupError, match="TruncateMod"):  # TF1 defines none
        gf.gradients(gf.truncatemod(x, y), [x, y])


# ---- GraphDef: what each op is called and what it computes --------------------------------------

RAW_OPS = ("Div", "FloorDiv", "TruncateDiv", "FloorMod", "TruncateMod", "Mod")


def _graph_text(t: str) -> str:
    """A text GraphDef: placeholders x and y of type ``t`` and one node of each raw op on them."""
    nodes = [f'node {{ name: "{n}" op: "Placeholder" attr {{ key: "dtype" value {{ type: {t} }} }} }}' for n in "xy"]
    nodes += [f'node {{ name: "{n}" op: "{n}" input: "x" input: "y" attr {{ key: "T" value {{ type: {t} }} }} }}'
              for n in RAW_OPS]
    return "\n".join(nodes)


@pytest.mark.needs("tensorboard")
@pytest.mark.parametrize("dtype", ("int32", "int64", "float32"))
def test_graph_def_ops_compute_what_tf1s_kernels_do(dtype: str) -> None:
    """A file's Div on integers truncates (C's /), as tf.raw_ops.Div; Mod is C's % (fmod)."""
    t = {"int32": "DT_INT32", "int64": "DT_INT64", "float32": "DT_FLOAT"}[dtype]
    names = RAW_OPS
    outs = gf.import_graph_def(_graph_text(t), return_elements=[f"{n}:0" for n in names] + ["x:0", "y:0"])
    assert outs is not None
    x, y = outs[-2:]
    a = np.array([7, -7, 7, -7, 6, -6], dtype)
    b = np.array([2, 2, -2, -2, 4, 4], dtype)
    got = dict(zip(names, run(outs[:-2], {x: a, y: b})))
    want = _expected(a, b)
    _same(got["Div"], want["truncatediv"] if dtype != "float32" else a / b, "Div")
    for name, key in (("FloorDiv", "floordiv"), ("TruncateDiv", "truncatediv"), ("FloorMod", "floormod"),
                      ("TruncateMod", "truncatemod"), ("Mod", "truncatemod")):
        _same(got[name], want[key], name)
    # and back out: each keeps its TF1 op (a Div on integers becomes the TruncateDiv it computes)
    ops = {nd.name: nd.op for nd in gf.get_default_graph().as_graph_def().node}
    assert ops["import/Div"] == ("TruncateDiv" if dtype != "float32" else "RealDiv")
    assert [ops[f"import/{n}"] for n in names[1:]] == ["FloorDiv", "TruncateDiv", "FloorMod", "TruncateMod",
                                                      "TruncateMod"]
    with pytest.raises(gf.errors.InvalidArgumentError, match="^Integer division by zero") if dtype != "float32" \
            else _no_error():
        run(outs[0], {x: a, y: np.zeros_like(b)})


class _no_error:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return False


# ---- slices -----------------------------------------------------------------------------------

@pytest.mark.parametrize("device", TARGETS)
def test_slice_bounds_known_when_built_raise_then(device: str) -> None:
    x = gf.constant(np.arange(5))
    for begin, size, message in (([3], [4], r"Expected size\[0\] in \[0, 2\], but got 4"),
                                 ([6], [-1], r"Expected begin\[0\] in \[0, 5\], but got 6"),
                                 ([-1], [2], r"Expected begin\[0\] in \[0, 5\], but got -1"),
                                 ([2], [-2], r"Expected size\[0\] >= -1")):
        with pytest.raises(ValueError, match=message):
            gf.slice(x, begin, size)
    # inside the bounds, including the empty slice at the end
    got = run([gf.slice(x, [5], [0]), gf.slice(x, [2], [-1]), gf.slice(x, [0], [5])], device=device)
    _same(got[0], np.zeros(0, np.int64), "empty")
    _same(got[1], np.arange(2, 5), "to the end")
    _same(got[2], np.arange(5), "all")


@pytest.mark.parametrize("device", TARGETS)
def test_slice_bounds_known_when_run_raise_then(device: str) -> None:
    x = gf.placeholder(gf.int64, [None, 3])
    s = gf.slice(x, [3, 1], [4, 2])  # a fed slice
    assert s.shape.as_list() == [4, 2]  # the sizes asked for
    to_end = gf.slice(x, [6, 0], [-1, -1])
    xv = np.arange(15).reshape(5, 3)
    with gf.Session(device=device) as sess:
        _same(sess.run(s, {x: np.arange(21).reshape(7, 3)}), np.arange(21).reshape(7, 3)[3:7, 1:3], "fits")
        with pytest.raises(gf.errors.InvalidArgumentError) as e:
            sess.run(s, {x: xv})
        assert str(e.value).startswith("Expected size[0] in [0, 2], but got 4"), str(e.value)
        assert f"'{s.op.name}'" in str(e.value) and f"{HERE}:{line_of(HERE, '# a fed slice')}" in str(e.value)
        with pytest.raises(gf.errors.InvalidArgumentError, match=r"^Expected begin\[0\] in \[0, 5\], but got 6"):
            sess.run(to_end, {x: xv})
    with pytest.raises(ValueError, match=r"Expected begin\[1\] in \[0, \?\], but got -1"):
        gf.slice(gf.placeholder(gf.int64, [None, None]), [0, -1], [1, 1])


@pytest.mark.parametrize("device", TARGETS)
def test_an_index_out_of_its_dim_raises_and_ranges_clip(device: str) -> None:
    c = gf.constant(np.arange(5))
    with pytest.raises(ValueError, match=r"slice index 5 of dimension 0 out of bounds\."):
        c[5]  # noqa: B018
    with pytest.raises(ValueError, match=r"slice index -1 of dimension 0 out of bounds\."):  # TF1 shows -6 + 5
        c[-6]  # noqa: B018
    with pytest.raises(ValueError, match=r"slice index 4 of dimension 1 out of bounds\."):
        gf.zeros([3, 4])[1, 4]  # noqa: B018
    with pytest.raises(ValueError, match=r"slice index 7 of dimension 0 out of bounds\."):
        gf.strided_slice(c, [7], [8], shrink_axis_mask=1)
    x = gf.placeholder(gf.int64, [None])
    i = gf.placeholder(gf.int32, [])
    fed = x[i]  # an index fed
    ranges = [x[3:10], x[-10:2], gf.strided_slice(x, [7], [9]), gf.strided_slice(x, [-9], [-3], [2]), x[-5]]
    xv = np.arange(5)
    with gf.Session(device=device) as sess:
        got = sess.run(ranges, {x: xv})
        for value, want in zip(got, [xv[3:10], xv[-10:2], xv[7:9], xv[-9:-3:2], xv[-5]]):
            _same(value, want, "clipped")
        _same(sess.run(fed, {x: xv, i: -5}), xv[-5], "index")
        for index, shown in ((5, 5), (-6, -1), (7, 7)):
            with pytest.raises(gf.errors.InvalidArgumentError) as e:
                sess.run(fed, {x: xv, i: index})
            assert str(e.value).startswith(f"slice index {shown} of dimension 0 out of bounds."), str(e.value)
            assert f"{HERE}:{line_of(HERE, '# an index fed')}" in str(e.value)


def test_strided_slice_masks() -> None:
    v = np.arange(60).reshape(3, 4, 5)
    x = gf.constant(v)
    cases = [(gf.strided_slice(x, [1, 0, 0], [3, 4, 5], begin_mask=0b110, end_mask=0b100), v[1:3, :4, :]),
             (gf.strided_slice(x, [1, 2, 0], [2, 4, 5], shrink_axis_mask=0b001), v[1, 2:4, 0:5]),
             (gf.strided_slice(x, [0, 1], [0, 4], [1, 2], ellipsis_mask=0b001), v[..., 1:4:2]),
             (gf.strided_slice(x, [0, -1], [0, 0], new_axis_mask=0b001, shrink_axis_mask=0b010), v[None, -1]),
             (gf.strided_slice(x, [-1, 3], [-4, 0], [-1, -2]), v[-1:-4:-1, 3:0:-2])]
    got = run([c[0] for c in cases])
    for value, (_, want) in zip(got, cases):
        _same(value, want, "strided_slice")
    assert gf.strided_slice(x, [0], [1], name="part").name == "part:0"


# ---- range ------------------------------------------------------------------------------------

RANGE_ERRORS = [((-5,), "Requires start <= limit when delta > 0: 0/-5"),
                ((0, 5, -1), "Requires start >= limit when delta < 0: 0/5"),
                ((5, 0, 1), "Requires start <= limit when delta > 0: 5/0"),
                ((0, 5, 0), "Requires delta != 0: 0"),
                ((0.0, -1.0), "Requires start <= limit when delta > 0: 0"),
                ((1.5, 1.0, 0.0), "Requires delta != 0: 0")]


@pytest.mark.parametrize("args,message", RANGE_ERRORS)
def test_range_with_constant_bounds_that_give_no_sequence_raises_when_built(args: tuple, message: str) -> None:
    if "delta != 0" in message:  # TF1's shape inference says it without the value
        message = "Requires delta != 0 for"
    with pytest.raises(ValueError, match="^" + message):
        gf.range(*args)


@pytest.mark.parametrize("device", TARGETS)
def test_range_with_fed_bounds_raises_when_run(device: str) -> None:
    for args, message in RANGE_ERRORS:
        phs = [gf.placeholder(gf.float32 if isinstance(a, float) else gf.int32, []) for a in args]
        r = gf.range(*phs, name="fed_range")
        with pytest.raises(gf.errors.InvalidArgumentError) as e:
            run(r, dict(zip(phs, args)), device)
        assert str(e.value).startswith(message), (args, str(e.value))
        assert f"'{r.op.name}'" in str(e.value)


def _tf1_range(start: Any, limit: Any = None, delta: Any = 1) -> np.ndarray:
    """TF1's Range kernel: ceil(|(limit - start) / delta|) values start + i * delta, in the dtype."""
    if limit is None:
        start, limit = 0, start
    t = np.float32 if isinstance(start, float) else np.int32
    s, lim, d = t(start), t(limit), t(delta)
    if t is np.float32:
        n = int(np.ceil(np.abs((lim - s) / d)))
    else:
        n = (abs(int(lim) - int(s)) + abs(int(d)) - 1) // abs(int(d))
    return s + np.arange(n, dtype=t) * d


@pytest.mark.parametrize("device", TARGETS)
def test_range_values(device: str) -> None:
    cases = [(5,), (3, 3), (5, 0, -1), (-3, 4, 3), (7, -8, -4), (0.0, 1.0, 0.1), (1.0, -1.0, -0.3), (0.5, 0.5, 0.25)]
    for args in cases:
        phs = [gf.placeholder(gf.float32 if isinstance(a, float) else gf.int32, []) for a in args]
        static, fed = gf.range(*args), gf.range(*phs)
        got = run([static, fed], dict(zip(phs, args)), device)
        want = _tf1_range(*args)
        assert static.shape.as_list() == [len(want)], args
        for value in got:
            _same(value, want, str(args))


# ---- against TensorFlow 1 ---------------------------------------------------------------------

def _tf() -> Any:
    tf = need("tensorflow")
    tf.disable_eager_execution()
    return tf


def _both(build: Callable[[Any], Any], feeds: Callable[[Any], dict] | None = None) -> tuple[Any, Any]:
    """(graphflow's result or exception, TF1's) of ``build(m)`` run in a fresh graph of each."""
    results = []
    for m in (gf, _tf()):
        g = m.Graph()
        with g.as_default():
            try:
                out = build(m)
                with m.Session(graph=g) as s:
                    results.append(s.run(out, feeds(out) if feeds else None))
            except Exception as e:  # noqa: BLE001 - the exception is the result compared
                results.append(e)
    return results[0], results[1]


@pytest.mark.needs("tensorflow")
@pytest.mark.parametrize("dtype", INTS + FLOATS)
def test_division_matches_tf1(dtype: str) -> None:
    a, b = _grid(dtype)
    names = ["div", "divide", "truediv", "floordiv", "truncatediv", "mod", "floormod", "floor_div"]
    names += ["truncatemod"] if dtype in TRUNCATEMOD_DTYPES else []
    names += ["realdiv"] if dtype in FLOATS else []

    built = []
    for m in (gf, _tf()):
        with m.Graph().as_default():
            x, y = m.constant(a), m.constant(b)
            outs = [getattr(m, n)(x, y) for n in names] + [x / y, x // y, x % y]
            with m.Session() as s:
                built.append(([t.op.type for t in outs], [t.name for t in outs], s.run(outs)))
    (types, tnames, ours), (tf_types, tf_names, theirs) = built
    assert types == tf_types  # the GraphDef ops: FloorDiv for tf.div of integers...
    assert tnames == tf_names
    for n, o, t in zip(names + ["/", "//", "%"], ours, theirs):
        _same(o, t, f"{n}, {dtype}")
        if dtype in FLOATS and n not in ("truncatemod",):  # signed zeros too
            z = np.asarray(t) == 0
            np.testing.assert_array_equal(np.signbit(o[z]), np.signbit(t[z]), err_msg=f"zero signs, {n}")


@pytest.mark.needs("tensorflow")
@pytest.mark.parametrize("name", ["div", "floordiv", "floormod", "mod", "truncatediv", "truncatemod"])
def test_integer_division_by_zero_matches_tf1(name: str) -> None:
    ours, theirs = _both(lambda m: getattr(m, name)(m.constant([1, 2]), m.constant([1, 0])))
    assert isinstance(ours, gf.errors.InvalidArgumentError)
    assert str(ours).splitlines()[0] == "Integer division by zero"
    # TF 2.21's TruncateDiv/TruncateMod report an InternalError ("Unexpected error in binary
    # operator (only integer div and mod should have errors)"), a TF bug; the others, graphflow's
    assert type(theirs).__name__ == ("InternalError" if name.startswith("truncate") else "InvalidArgumentError")
    if not name.startswith("truncate"):
        assert "Integer division by zero" in theirs.message
    ours, theirs = _both(lambda m: m.constant(1) // m.constant(0))  # constants: an error when run in both
    assert isinstance(ours, gf.errors.InvalidArgumentError) and type(theirs).__name__ == "InvalidArgumentError"


def _fed_error(m: Any, kind: str) -> Any:
    """One fed bounds error of each kind, built in ``m``; the value to fetch and its feeds."""
    x = m.placeholder(m.int64, [None])
    if kind.startswith("range"):
        args = {"range_neg": (0, -5, 1), "range_delta": (0, 5, 0), "range_up": (0, 5, -1)}[kind]
        phs = [m.placeholder(m.int32, []) for _ in args]
        return m.range(*phs), dict(zip(phs, args))
    fn = {"slice_size": lambda t: m.slice(t, [3], [4]), "slice_begin": lambda t: m.slice(t, [6], [-1]),
          "index": lambda t: t[5], "index_neg": lambda t: t[-6]}[kind]
    return fn(x), {x: np.arange(5)}


@pytest.mark.needs("tensorflow")
@pytest.mark.parametrize("kind", ["slice_size", "slice_begin", "index", "index_neg", "range_neg", "range_delta",
                                  "range_up"])
def test_fed_bounds_errors_match_tf1(kind: str) -> None:
    messages = []
    for m in (gf, _tf()):
        with m.Graph().as_default():
            out, feeds = _fed_error(m, kind)
            with m.Session() as s, pytest.raises(Exception) as e:  # noqa: B017 - the class is compared below
                s.run(out, feeds)
        assert type(e.value).__name__ == "InvalidArgumentError"
        text = e.value.message if hasattr(e.value, "message") else str(e.value)
        messages.append(text.split("Node: ")[-1])
    ours, theirs = messages
    first = ours.splitlines()[0]
    assert first in theirs, (first, theirs)


@pytest.mark.needs("tensorflow")
def test_constant_bounds_errors_match_tf1_when_built() -> None:
    tf = _tf()
    # TF1 words the slice's as "Negative dimension size caused by subtracting 6 from 5"
    for build, same_words in ((lambda m: m.range(-5), True), (lambda m: m.range(0, 5, 0), True),
                              (lambda m: m.constant(np.arange(5))[5], True),
                              (lambda m: m.slice(m.constant(np.arange(5)), [6], [-1]), False)):
        errors = []
        for m in (gf, tf):
            with m.Graph().as_default(), pytest.raises(ValueError) as e:
                build(m)
            errors.append(str(e.value))
        if same_words:
            assert errors[0].split(" for ")[0] in errors[1], errors


@pytest.mark.needs("tensorflow")
def test_range_and_slices_match_tf1() -> None:
    def build(m: Any) -> list:
        x = m.constant(np.arange(24).reshape(4, 6))
        return [m.range(7, -8, -4), m.range(0.0, 1.0, 0.1), m.range(1.0, -1.0, -0.3), m.range(3, 3),
                m.slice(x, [1, 2], [3, -1]), x[3:10, -10:2], m.strided_slice(x, [0, 5], [4, 0], [2, -2]),
                m.strided_slice(x, [1, 0], [3, 6], shrink_axis_mask=1, begin_mask=2),
                m.strided_slice(x, [0, 1], [0, 4], [1, 2], ellipsis_mask=1),
                m.strided_slice(x, [0, -1], [0, 0], new_axis_mask=1, shrink_axis_mask=2),
                m.strided_slice(x, [3, 1], [0, 6], [-1, 1], end_mask=1)]
    ours, theirs = _both(build)
    for o, t in zip(ours, theirs):
        _same(o, t, "range/slice")


@pytest.mark.needs("tensorflow", "tensorboard")
def test_graph_def_round_trip_through_tf1() -> None:
    """graphflow's graph runs in TF1 with the same results, and TF1's raw Div/Mod run in graphflow."""
    tf = _tf()
    a, b = _grid("int32")
    with gf.Graph().as_default() as g:
        x, y = gf.placeholder(gf.int32, [None], name="x"), gf.placeholder(gf.int32, [None], name="y")
        outs = [gf.div(x, y), gf.floordiv(x, y), gf.truncatediv(x, y), gf.floormod(x, y), gf.truncatemod(x, y)]
        ours = run(outs, {x: a, y: b})
        gd = g.as_graph_def()
    with tf.Graph().as_default():
        tf.import_graph_def(tf.GraphDef.FromString(gd.SerializeToString()), name="")
        with tf.Session() as s:
            theirs = s.run([t.name for t in outs], {"x:0": a, "y:0": b})
    for o, t in zip(ours, theirs):
        _same(o, t, "exported")
    from tensorflow.python.ops import gen_math_ops
    with tf.Graph().as_default() as tg:
        tx, ty = tf.placeholder(tf.int32, [None], name="x"), tf.placeholder(tf.int32, [None], name="y")
        raw = [gen_math_ops.div(tx, ty), gen_math_ops.mod(tx, ty), gen_math_ops.truncate_div(tx, ty)]
        with tf.Session() as s:
            theirs = s.run(raw, {tx: a, ty: b})
        tgd = tg.as_graph_def()
    with gf.Graph().as_default():
        imported = gf.import_graph_def(tgd, return_elements=[t.name for t in raw] + ["x:0", "y:0"], name="")
        assert imported is not None
        ours = run(imported[:3], {imported[3]: a, imported[4]: b})
    for o, t in zip(ours, theirs):
        _same(o, t, "imported")


@pytest.mark.needs("tensorflow", "tensorboard")
def test_slice_exports_as_tf1s_slice() -> None:
    """gf.slice is TF1's Slice in the GraphDef, so TF1 checks its bounds as graphflow does."""
    tf = _tf()
    with gf.Graph().as_default() as g:
        x = gf.placeholder(gf.int32, [None], name="x")
        s = gf.slice(x, [1], [3], name="part")
        gd = g.as_graph_def()
    assert {nd.name: nd.op for nd in gd.node}["part"] == "Slice"
    with tf.Graph().as_default():
        tf.import_graph_def(tf.GraphDef.FromString(gd.SerializeToString()), name="")
        with tf.Session() as sess:
            _same(sess.run(s.name, {"x:0": np.arange(6, dtype=np.int32)}), np.arange(1, 4, dtype=np.int32), "TF1")
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"Expected size\[0\] in \[0, 2\], but got 3"):
                sess.run(s.name, {"x:0": np.arange(3, dtype=np.int32)})


# ---- ONNX ------------------------------------------------------------------------------------

onnx = module("onnx")
ort = module("onnxruntime")


@pytest.mark.needs("onnx", "onnxruntime")
@pytest.mark.parametrize("dtype", ("int32", "int64", "float32"))
def test_division_runs_in_onnxruntime(dtype: str, tmp_path: Any) -> None:
    a, b = _grid(dtype)
    # ONNX's integer Div of MIN by -1 is C's (undefined behaviour)
    keep = np.ones(a.shape, bool) if dtype == "float32" else (a != np.iinfo(dtype).min)
    a, b = a[keep], b[keep]
    x, y = gf.placeholder(gf.as_dtype(dtype), [None], name="x"), gf.placeholder(gf.as_dtype(dtype), [None], name="y")
    outs = [gf.div(x, y), gf.floordiv(x, y), gf.truncatediv(x, y), gf.floormod(x, y), gf.truncatemod(x, y)]
    with gf.Session() as s:
        want = s.run(outs, {x: a, y: b})
        path = str(tmp_path / "div.onnx")
        gf.onnx.export(s, [x, y], outs, path)
    got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": a, "y": b})
    for name, g_, w in zip(["div", "floordiv", "truncatediv", "floormod", "truncatemod"], got, want):
        _same(g_, w, f"onnxruntime {name}, {dtype}")
