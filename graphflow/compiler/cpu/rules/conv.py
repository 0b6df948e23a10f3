"""CPU rules for convolution and pooling: the geometry in generated code, the loops in the
kernel library (compiler/cpu/conv_kernels.py, or conv_calls.py in a glue kernel)."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit, CpuRule
from graphflow.compiler.cpu.simd.conv import direct
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op, kernel
from graphflow.ops.conv_geometry import window
from graphflow.ops.conv_ops import ConvAttrs, Padding, PoolAttrs, pads

_MODULE = "graphflow.compiler.cpu.conv_kernels"
_CALLS = "graphflow.compiler.cpu.conv_calls"  # the glue's Python drivers of the same kernels

# The jitted library functions the glue kernels of each op reach, as (module, function, argument
# types) with the types they pass ("T" is the op's dtype as a 4-D C array, "M" as a 2-D one, "F"
# as a 1-D one, "i" an int64, "b" a bool, "d" a float64), as the interpreted glue kernels
# (compiler/kernels.py ``interpretable``) and conv_calls call them: the compile helper
# (runtime/compile_pool.py) compiles them as soon as a Session for a graph with these ops starts
# (``library_calls``). A convolution reaches its im2col functions only where its direct kernels do
# not serve it; pooling in glue calls the ``_into`` functions (conv_calls splits the batch).
_I8 = ["i"] * 8
_GEMM = ("graphflow.compiler.cpu.blas", "gemm", ["M", "b", "M", "b", "M", "d", "d"])
_IM2COL = {"forward": [(_MODULE, "_im2col", ["F"] + ["i"] * 15 + ["F"]), _GEMM],
           "filter": [(_MODULE, "_im2col", ["F"] + ["i"] * 15 + ["F"]), _GEMM],
           "input": [(_MODULE, "_col2im", ["F"] + ["i"] * 15 + ["F"]), _GEMM]}
LIBRARY_CALLS: dict[Op, list[tuple[str, str, list[str]]]] = {
    Op.MAX_POOL: [(_MODULE, "max_pool_into", ["T"] + _I8 + ["T", "i", "i"])],
    Op.MAX_POOL_GRAD: [(_MODULE, "max_pool_route_into", ["T", "T", "b"] + _I8 + ["T", "i", "i"])],
    Op.AVG_POOL: [(_MODULE, "avg_pool", ["T"] + _I8)],
    Op.AVG_POOL_GRAD: [(_MODULE, "avg_pool_grad", ["T"] + _I8 + ["i"])],
}
_TILED_POOL_GRAD = (_MODULE, "max_pool_scatter_tiled_into", ["T", "T", "i", "i", "i", "i", "T", "i", "i"])
_CONV_KINDS = {Op.CONV2D: "forward", Op.CONV2D_BACKPROP_INPUT: "input", Op.CONV2D_BACKPROP_FILTER: "filter"}


def library_calls(n: Operation) -> list[tuple[str, str, list[str]]]:
    """The library functions node ``n``'s glue kernel calls (see ``LIBRARY_CALLS``): a
    convolution's im2col functions and GEMM unless its static shapes take the direct kernels, a
    float matrix product's GEMM (``blas.gemm``, which a 2-D matmul kernel calls from Python)."""
    if n.op in _CONV_KINDS:
        jobs = prepare_jobs(n)
        if jobs and direct(*jobs[0]["args"]):
            return []
        return list(_IM2COL[_CONV_KINDS[n.op]])
    if n.op is Op.MATMUL:
        floating = n.dtypes[0].is_floating and all(t.shape.rank == 2 for t in n.inputs)
        return [_GEMM] if floating else []
    if n.op is Op.MAX_POOL_GRAD and _tiled(n):
        return [_TILED_POOL_GRAD]
    return list(LIBRARY_CALLS.get(n.op, ()))


def _tiled(n: Operation) -> bool:
    """Whether max-pool gradient ``n``'s static shape takes ``conv_calls.tiles``'s kernel."""
    at: PoolAttrs = n.attrs
    dims = n.inputs[0].shape.as_list() if n.inputs[0].shape.rank == 4 else [None] * 4
    h, w = dims[1], dims[2]
    if at.gather or at.ksize != at.strides or h is None or w is None:
        return False
    same, *pairs = pads(at.padding)
    geo = [window(d, at.ksize[a], at.strides[a], 1, same, *pairs[a]) for a, d in enumerate((h, w))]
    return all(before == 0 and size * at.ksize[a] <= d for a, ((size, before), d) in enumerate(zip(geo, (h, w))))


def _drivers(em: CpuEmit) -> str:
    """The module whose ``geometry`` and convolutions a kernel calls: in a glue kernel (run as
    Python) the Python drivers, in an inline entry the jitted ones."""
    return em.use(_CALLS if em.caps.numpy_copies else _MODULE)


def _emit_geometry(em: CpuEmit, n: Operation, size: str, k: str, stride: int, dilation: int, padding: Padding,
                   axis: int, want: str | None = None) -> tuple[str, str]:
    """Generated-code (output size, padding before) along one axis, with a check that the window
    fits (and, for backprop ops, that the incoming gradient has the output size ``want``)."""
    K = _drivers(em)
    same, *pairs = pads(padding)
    out, before = em.fresh("osz"), em.fresh("pad")
    em.line(f"{out}, {before} = {K}.geometry({size}, {k}, {stride}, {dilation}, {same}, "
            f"{pairs[axis][0]}, {pairs[axis][1]})")
    what = "height" if axis == 0 else "width"
    em.check(f"{out} >= 0", n, f"the window {what} is larger than the padded input {what}")
    if want is not None:
        em.check(f"{out} == {want}", n, f"the gradient's {what} does not match the forward output {what}")
    return out, before


def _sizes_vars(em: CpuEmit, sizes: str) -> list[str]:
    names = [em.fresh("s") for _ in range(4)]
    em.line(f"{', '.join(names)} = {sizes}[0], {sizes}[1], {sizes}[2], {sizes}[3]")
    return [f"np.int64({s})" for s in names]


@kernel(Op.CONV2D, "cpu")
def _conv2d_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    at: ConvAttrs = n.attrs
    xd, fd = em.dims(n.inputs[0], ins[0]), em.dims(n.inputs[1], ins[1])
    if xd[3] != fd[2]:
        em.check(f"{xd[3]} == {fd[2]}", n, "input depth differs from the filter's in_channels")
    oh, pt = _emit_geometry(em, n, xd[1], fd[0], at.strides[0], at.dilations[0], at.padding, 0)
    ow, pl = _emit_geometry(em, n, xd[2], fd[1], at.strides[1], at.dilations[1], at.padding, 1)
    out = em.fresh("o")
    em.line(f"{out} = {_drivers(em)}.conv2d({ins[0]}, {ins[1]}, {at.strides[0]}, {at.strides[1]}, "
            f"{at.dilations[0]}, {at.dilations[1]}, {pt}, {pl}, {oh}, {ow})")
    em.define(n.outputs[0], out)


@kernel(Op.CONV2D_BACKPROP_INPUT, "cpu")
def _backprop_input_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    at: ConvAttrs = n.attrs
    nb, h, w, c = _sizes_vars(em, ins[0])
    fd, dyd = em.dims(n.inputs[1], ins[1]), em.dims(n.inputs[2], ins[2])
    em.check(f"{c} == {fd[2]} and {nb} == {dyd[0]} and {fd[3]} == {dyd[3]}", n,
             "input_sizes, filter and out_backprop shapes do not agree")
    _, pt = _emit_geometry(em, n, h, fd[0], at.strides[0], at.dilations[0], at.padding, 0, dyd[1])
    _, pl = _emit_geometry(em, n, w, fd[1], at.strides[1], at.dilations[1], at.padding, 1, dyd[2])
    out = em.fresh("o")
    em.line(f"{out} = {_drivers(em)}.conv2d_backprop_input({ins[2]}, {ins[1]}, {nb}, {h}, {w}, "
            f"{at.strides[0]}, {at.strides[1]}, {at.dilations[0]}, {at.dilations[1]}, {pt}, {pl})")
    em.define(n.outputs[0], out)


@kernel(Op.CONV2D_BACKPROP_FILTER, "cpu")
def _backprop_filter_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    at: ConvAttrs = n.attrs
    kh, kw, c, o = _sizes_vars(em, ins[1])
    xd, dyd = em.dims(n.inputs[0], ins[0]), em.dims(n.inputs[2], ins[2])
    em.check(f"{c} == {xd[3]} and {xd[0]} == {dyd[0]} and {o} == {dyd[3]}", n,
             "input, filter_sizes and out_backprop shapes do not agree")
    _, pt = _emit_geometry(em, n, xd[1], kh, at.strides[0], at.dilations[0], at.padding, 0, dyd[1])
    _, pl = _emit_geometry(em, n, xd[2], kw, at.strides[1], at.dilations[1], at.padding, 1, dyd[2])
    out = em.fresh("o")
    em.line(f"{out} = {_drivers(em)}.conv2d_backprop_filter({ins[0]}, {ins[2]}, {kh}, {kw}, "
            f"{at.strides[0]}, {at.strides[1]}, {at.dilations[0]}, {at.dilations[1]}, {pt}, {pl})")
    em.define(n.outputs[0], out)


def _pool_args(at: PoolAttrs, pt: str, pl: str) -> str:
    return f"{at.ksize[0]}, {at.ksize[1]}, {at.strides[0]}, {at.strides[1]}, {pt}, {pl}"


def _pool_cpu(fn: str, split: bool) -> CpuRule:
    """``split``: in a glue kernel, the glue's Python driver (conv_calls), which splits the batch."""
    def emit(em: CpuEmit, n: Operation, ins: list[str]) -> None:
        at: PoolAttrs = n.attrs
        xd = em.dims(n.inputs[0], ins[0])
        oh, pt = _emit_geometry(em, n, xd[1], str(at.ksize[0]), at.strides[0], 1, at.padding, 0)
        ow, pl = _emit_geometry(em, n, xd[2], str(at.ksize[1]), at.strides[1], 1, at.padding, 1)
        out = em.fresh("o")
        module = _drivers(em) if split else em.use(_MODULE)
        em.line(f"{out} = {module}.{fn}({ins[0]}, {_pool_args(at, pt, pl)}, {oh}, {ow})")
        em.define(n.outputs[0], out)
    return emit


kernel(Op.MAX_POOL, "cpu")(_pool_cpu("max_pool", True))
kernel(Op.AVG_POOL, "cpu")(_pool_cpu("avg_pool", False))


@kernel(Op.MAX_POOL_GRAD, "cpu")
def _max_pool_grad_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    at: PoolAttrs = n.attrs
    xd, gd = em.dims(n.inputs[0], ins[0]), em.dims(n.inputs[1], ins[1])
    pooled = at.gather
    oh, pt = _emit_geometry(em, n, xd[1], str(at.ksize[0]), at.strides[0], 1, at.padding, 0,
                            None if pooled else gd[1])
    ow, pl = _emit_geometry(em, n, xd[2], str(at.ksize[1]), at.strides[1], 1, at.padding, 1,
                            None if pooled else gd[2])
    same = " and ".join(f"{a} == {b}" for a, b in zip(xd, gd) if a != b) if pooled else \
        f"{xd[0]} == {gd[0]} and {xd[3]} == {gd[3]}"
    if same:
        em.check(same, n, "grad's shape does not match the pooling")
    out = em.fresh("o")
    em.line(f"{out} = {_drivers(em)}.max_pool_route({ins[0]}, {ins[1]}, {pooled}, "
            f"{_pool_args(at, pt, pl)}, {oh}, {ow})")
    em.define(n.outputs[0], out)


@kernel(Op.AVG_POOL_GRAD, "cpu")
def _avg_pool_grad_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    at: PoolAttrs = n.attrs
    nb, h, w, c = _sizes_vars(em, ins[0])
    dyd = em.dims(n.inputs[1], ins[1])
    em.check(f"{nb} == {dyd[0]} and {c} == {dyd[3]}", n, "orig_input_shape and grad do not agree")
    _, pt = _emit_geometry(em, n, h, str(at.ksize[0]), at.strides[0], 1, at.padding, 0, dyd[1])
    _, pl = _emit_geometry(em, n, w, str(at.ksize[1]), at.strides[1], 1, at.padding, 1, dyd[2])
    out = em.fresh("o")
    em.line(f"{out} = {em.use(_MODULE)}.avg_pool_grad({ins[1]}, {nb}, {h}, {w}, {_pool_args(at, pt, pl)})")
    em.define(n.outputs[0], out)


def _static(t: Tensor, batch: bool) -> list[int] | None:
    """``t``'s dims, where static (the first may be unknown where ``batch``: kernels never
    specialise on the batch)."""
    dims = list(t.shape.dims) if t.shape.rank is not None else None
    if dims and batch and dims[0] is None:
        dims[0] = 1
    return None if dims is None or any(d is None for d in dims) else dims


def prepare_jobs(n: Operation) -> list[dict]:
    """What the compile helper should run ahead of a convolution node's first call: the direct
    kernels' specialisations (``simd.conv.prepare``) for its static shapes, as JSON-able jobs;
    none where a shape is known only at run time or the op is not a convolution."""
    kinds = _CONV_KINDS
    if n.op not in kinds:
        return []
    x = _static(n.outputs[0] if n.op is Op.CONV2D_BACKPROP_INPUT else n.inputs[0], True)
    f = _static(n.outputs[0] if n.op is Op.CONV2D_BACKPROP_FILTER else n.inputs[1], False)
    if x is None or f is None or len(x) != 4 or len(f) != 4:
        return []
    at: ConvAttrs = n.attrs
    same, *pairs = pads(at.padding)
    geo = [window(x[1 + k], f[k], at.strides[k], at.dilations[k], same, *pairs[k]) for k in (0, 1)]
    d = "float32" if n.dtypes[0].name == "float16" else n.dtypes[0].name
    args = [kinds[n.op], d, x[1], x[2], x[3], f[0], f[1], f[3], at.strides[0], at.strides[1], at.dilations[0],
            at.dilations[1], geo[0][1], geo[1][1], geo[0][0], geo[1][0]]
    return [{"library": "graphflow.compiler.cpu.simd.conv", "call": "prepare", "args": args}]
