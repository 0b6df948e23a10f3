"""An explicit SIMD vector type for numba-compiled kernels, and its operations.

numba vectorises loops only where LLVM's autovectoriser manages to; a register-tiled kernel (a
convolution's 6 output pixels x 16 channels of accumulators) needs the vectors spelled out. This
module gives generated kernels an LLVM ``<lanes x float>`` value type and operations on it, each a
``numba.extending.intrinsic`` that emits one or two LLVM instructions:

- ``vload(a, i, lanes)``, ``vstore(a, i, v)``: ``lanes`` elements of the flat C-contiguous array
  ``a`` from element ``i`` (unaligned); ``vload_n(a, i, n, lanes)`` / ``vstore_n(a, i, v, n)``
  touch only the first ``n`` lanes (``llvm.masked.load``/``store``: a tail never reads or writes
  past the array, and the other lanes load as zero);
- ``vsplat(x, lanes)``: ``x`` in every lane; ``vsplat_at(a, i, lanes)``: ``a[i]`` in every lane
  (one broadcast load); ``vzero(a, lanes)``: zeros of ``a``'s dtype;
- ``vfma(a, b, c)`` (``a * b + c``, one rounding: ``llvm.fma``), ``vadd``, ``vmul``, ``vmax``;
- ``vselect_gt(a, b, x, y)``, ``vselect_eq(a, b, x, y)``: per lane ``x`` where ``a > b`` (``a == b``)
  else ``y``, false where either is NaN (a compare and a blend: no branch to mispredict);
- ``vsum(v)``, ``vmaxreduce(v)``: the lanes reduced to a scalar (in lane order for the sum).

``lanes`` is a literal int in the generated source. ``host_lanes(dtype)`` says how many lanes of
``dtype`` fill the host's widest vector register (16 float32 with AVX-512, 8 with AVX2, 4 with
SSE); generated source carries its width as a literal, so the kernel cache, keyed on the source,
keeps each width apart, and numba's own cache is keyed on the host CPU too.

Bounds are the generator's responsibility: like numba's ``boundscheck=False`` indexing, these
operations do not check ``i``. Generated kernels are tested against the im2col path and numpy.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.core.extending import intrinsic, models, register_model

_I32 = ir.IntType(32)


class Vec(types.Type):
    """numba's type of a vector of ``lanes`` values of the scalar type ``dtype``."""

    def __init__(self, dtype: types.Number, lanes: int) -> None:
        self.dtype = dtype
        self.lanes = lanes
        super().__init__(name=f"Vec({dtype} x {lanes})")


@register_model(Vec)
class _VecModel(models.PrimitiveModel):
    def __init__(self, dmm: Any, fe_type: Vec) -> None:
        super().__init__(dmm, fe_type, ir.VectorType(dmm.lookup(fe_type.dtype).get_value_type(), fe_type.lanes))


def _lanes(lanes: Any) -> int:
    if not isinstance(lanes, types.IntegerLiteral) or lanes.literal_value < 1:
        raise TypingError(f"the lane count must be a positive literal int, not {lanes}")
    return int(lanes.literal_value)


def _vector_pointer(context: Any, builder: ir.IRBuilder, aryty: types.Array, ary: Any, index: Any,
                    vtype: ir.VectorType) -> ir.Value:
    data = context.make_array(aryty)(context, builder, ary).data
    return builder.bitcast(builder.gep(data, [index]), vtype.as_pointer())


def _elem_align(aryty: types.Array) -> int:
    return int(np.dtype(str(aryty.dtype)).itemsize)


def _check_array(arr: Any) -> None:
    if not isinstance(arr, types.Array) or not isinstance(arr.dtype, types.Float):
        raise TypingError(f"vector loads and stores take a float array, not {arr}")


def _mask(builder: ir.IRBuilder, n: ir.Value, lanes: int) -> ir.Value:
    """<lanes x i1>: lane k is on where k < n."""
    n32 = builder.trunc(n, _I32) if n.type.width > 32 else builder.sext(n, _I32) if n.type.width < 32 else n
    vt = ir.VectorType(_I32, lanes)
    return builder.icmp_signed("<", ir.Constant(vt, list(range(lanes))), _splat(builder, n32, vt))


def _splat(builder: ir.IRBuilder, x: ir.Value, vtype: ir.VectorType) -> ir.Value:
    """``x`` in every lane of a ``vtype`` (insert into lane 0, shuffle lane 0 everywhere)."""
    one = builder.insert_element(ir.Constant(vtype, ir.Undefined), x, _I32(0))
    return builder.shuffle_vector(one, ir.Constant(vtype, ir.Undefined),
                                  ir.Constant(ir.VectorType(_I32, vtype.count), [0] * vtype.count))


def _intrinsic_call(builder: ir.IRBuilder, name: str, ret: ir.Type, args: list[ir.Value]) -> ir.Value:
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ret, [a.type for a in args]), name)
    return builder.call(fn, args)


def _elem_suffix(t: ir.Type) -> str:
    return {ir.FloatType: "f32", ir.DoubleType: "f64"}[type(t)]


def _suffix(vtype: ir.VectorType) -> str:
    return f"v{vtype.count}{_elem_suffix(vtype.element)}"


@intrinsic(prefer_literal=True)
def vload(typingctx: Any, arr: Any, index: Any, lanes: Any) -> Any:
    _check_array(arr)
    vec = Vec(arr.dtype, _lanes(lanes))

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        vtype = context.get_value_type(vec)
        ptr = _vector_pointer(context, builder, sig.args[0], args[0], args[1], vtype)
        return builder.load(ptr, align=_elem_align(sig.args[0]))
    return vec(arr, index, lanes), codegen


@intrinsic(prefer_literal=True)
def vload_n(typingctx: Any, arr: Any, index: Any, n: Any, lanes: Any) -> Any:
    _check_array(arr)
    vec = Vec(arr.dtype, _lanes(lanes))

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        vtype = context.get_value_type(vec)
        ptr = _vector_pointer(context, builder, sig.args[0], args[0], args[1], vtype)
        n_val = context.cast(builder, args[2], sig.args[2], types.int64)
        return _intrinsic_call(builder, f"llvm.masked.load.{_suffix(vtype)}.p0{_suffix(vtype)}", vtype,
                               [ptr, _I32(_elem_align(sig.args[0])), _mask(builder, n_val, vec.lanes),
                                ir.Constant(vtype, None)])
    return vec(arr, index, n, lanes), codegen


@intrinsic
def vstore(typingctx: Any, arr: Any, index: Any, v: Any) -> Any:
    _check_array(arr)
    if not isinstance(v, Vec) or v.dtype != arr.dtype:
        raise TypingError(f"vstore: a vector of {arr.dtype}, not {v}")

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> Any:
        vtype = context.get_value_type(sig.args[2])
        ptr = _vector_pointer(context, builder, sig.args[0], args[0], args[1], vtype)
        builder.store(args[2], ptr, align=_elem_align(sig.args[0]))
        return context.get_dummy_value()
    return types.void(arr, index, v), codegen


@intrinsic
def vstore_n(typingctx: Any, arr: Any, index: Any, v: Any, n: Any) -> Any:
    _check_array(arr)
    if not isinstance(v, Vec) or v.dtype != arr.dtype:
        raise TypingError(f"vstore_n: a vector of {arr.dtype}, not {v}")

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> Any:
        vtype = context.get_value_type(sig.args[2])
        ptr = _vector_pointer(context, builder, sig.args[0], args[0], args[1], vtype)
        n_val = context.cast(builder, args[3], sig.args[3], types.int64)
        _intrinsic_call(builder, f"llvm.masked.store.{_suffix(vtype)}.p0{_suffix(vtype)}", ir.VoidType(),
                        [args[2], ptr, _I32(_elem_align(sig.args[0])), _mask(builder, n_val, sig.args[2].lanes)])
        return context.get_dummy_value()
    return types.void(arr, index, v, n), codegen


@intrinsic(prefer_literal=True)
def vsplat(typingctx: Any, x: Any, lanes: Any) -> Any:
    if not isinstance(x, types.Float):
        raise TypingError(f"vsplat takes a float scalar, not {x}")
    vec = Vec(x, _lanes(lanes))

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        return _splat(builder, args[0], context.get_value_type(vec))
    return vec(x, lanes), codegen


@intrinsic(prefer_literal=True)
def vsplat_at(typingctx: Any, arr: Any, index: Any, lanes: Any) -> Any:
    """``vsplat(arr[index], lanes)`` without numba's negative-index wraparound: one broadcast load."""
    _check_array(arr)
    vec = Vec(arr.dtype, _lanes(lanes))

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        x = builder.load(builder.gep(data, [args[1]]), align=_elem_align(sig.args[0]))
        return _splat(builder, x, context.get_value_type(vec))
    return vec(arr, index, lanes), codegen


@intrinsic(prefer_literal=True)
def vzero(typingctx: Any, arr: Any, lanes: Any) -> Any:
    _check_array(arr)
    vec = Vec(arr.dtype, _lanes(lanes))

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        return ir.Constant(context.get_value_type(vec), None)
    return vec(arr, lanes), codegen


def _same_vectors(name: str, *vs: Any) -> Vec:
    if not all(isinstance(v, Vec) for v in vs) or len({(v.dtype, v.lanes) for v in vs}) != 1:
        raise TypingError(f"{name} takes vectors of one type, not {', '.join(map(str, vs))}")
    return vs[0]  # type: ignore[no-any-return]


@intrinsic
def vfma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    vec = _same_vectors("vfma", a, b, c)

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        vtype = context.get_value_type(vec)
        return _intrinsic_call(builder, f"llvm.fma.{_suffix(vtype)}", vtype, list(args))
    return vec(a, b, c), codegen


def _binary(name: str, build: Callable[[ir.IRBuilder, ir.Value, ir.Value], ir.Value]) -> Any:
    def typer(typingctx: Any, a: Any, b: Any) -> Any:
        vec = _same_vectors(name, a, b)

        def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
            return build(builder, args[0], args[1])
        return vec(a, b), codegen
    typer.__name__ = name
    return intrinsic(typer)


vadd = _binary("vadd", lambda b, x, y: b.fadd(x, y))
vmul = _binary("vmul", lambda b, x, y: b.fmul(x, y))
# maxnum: NaN-ignoring like numpy's fmax; the pooling kernels that need NaN propagation compare lanes
vmax = _binary("vmax", lambda b, x, y: _intrinsic_call(b, f"llvm.maxnum.{_suffix(x.type)}", x.type, [x, y]))


def _select(name: str, predicate: str) -> Any:
    def typer(typingctx: Any, a: Any, b: Any, x: Any, y: Any) -> Any:
        vec = _same_vectors(name, a, b, x, y)

        def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
            return builder.select(builder.fcmp_ordered(predicate, args[0], args[1]), args[2], args[3])
        return vec(a, b, x, y), codegen
    typer.__name__ = name
    return intrinsic(typer)


vselect_gt = _select("vselect_gt", ">")
vselect_eq = _select("vselect_eq", "==")


@intrinsic
def vsum(typingctx: Any, v: Any) -> Any:
    vec = _same_vectors("vsum", v)

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        total = builder.extract_element(args[0], _I32(0))
        for k in range(1, vec.lanes):  # lane order: the result is the sequential sum's
            total = builder.fadd(total, builder.extract_element(args[0], _I32(k)))
        return total
    return vec.dtype(v), codegen


@intrinsic
def vmaxreduce(typingctx: Any, v: Any) -> Any:
    vec = _same_vectors("vmaxreduce", v)

    def codegen(context: Any, builder: ir.IRBuilder, sig: Any, args: Any) -> ir.Value:
        best = builder.extract_element(args[0], _I32(0))
        for k in range(1, vec.lanes):
            best = _intrinsic_call(builder, f"llvm.maxnum.{_elem_suffix(best.type)}", best.type,
                                   [best, builder.extract_element(args[0], _I32(k))])
        return best
    return vec.dtype(v), codegen


NAMES = {"vload": vload, "vload_n": vload_n, "vstore": vstore, "vstore_n": vstore_n, "vsplat": vsplat,
         "vsplat_at": vsplat_at,
         "vzero": vzero, "vfma": vfma, "vadd": vadd, "vmul": vmul, "vmax": vmax, "vselect_gt": vselect_gt,
         "vselect_eq": vselect_eq, "vsum": vsum,
         "vmaxreduce": vmaxreduce}


@functools.cache
def host_features() -> frozenset[str]:
    """The host CPU's features LLVM reports on (``avx2``, ``avx512f``, ``fma``, ...)."""
    flags = llvm.get_host_cpu_features()
    return frozenset(name for name, on in flags.items() if on)


def host_lanes(dtype: np.dtype | type) -> int:
    """Lanes of ``dtype`` in the host's widest vector register: 64, 32 or 16 bytes with AVX-512,
    AVX or SSE (generated kernels use this width; 0 where the host offers no SIMD numba targets)."""
    feats = host_features()
    width = 64 if "avx512f" in feats else 32 if "avx" in feats else 16 if "sse2" in feats or "neon" in feats else 0
    return width // np.dtype(dtype).itemsize
