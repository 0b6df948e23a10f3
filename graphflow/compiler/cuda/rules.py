"""The CUDA target's rule for every primitive, registered on its registry row beside the CPU's
(``register_kernel(op, "cuda", rule)``): the kernel sources the build prepares for a node and the
step the generated driver calls for it. Primitives the target does not run have an explicit
``NotOnTarget`` saying why; elementwise and reduction rows reach the target only inside FUSED
nodes (``passes.fuse_elementwise``), so the FUSED rule serves them from their scalar templates
and the shared accumulator rules (``fused_loops``).

Importing this module registers the rules (the CUDA executable imports it).
"""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.compiler import fused_loops as FL
from graphflow.compiler.cuda import core_steps as CS
from graphflow.compiler.cuda import index_kernels as K
from graphflow.compiler.cuda import linalg as LA
from graphflow.compiler.cuda import loops as C
from graphflow.compiler.cuda import steps as S
from graphflow.compiler.cuda import templates as T
from graphflow.compiler.cuda.device import upload
from graphflow.compiler.cuda.rule import CudaRule, Prepare, Prepared
from graphflow.core.ir import Operation
from graphflow.core.registry import Kind, NotOnTarget, Op, register_kernel, rows
from graphflow.ops import (
    gradient_ops,  # noqa: F401  (registers CUSTOM_GRADIENT's row, which a rule here attaches to)
    stateless_random,  # noqa: F401  (registers STATELESS_RANDOM's row, which a rule here attaches to)
)
from graphflow.ops.func_graph import FuncGraph

TARGET = "cuda"


def _fused(n: Operation) -> Prepared:
    try:
        return Prepared(source=C.fused_source(n), tree=C.fused_source(n, tree=True) if n.attrs.reduce else "",
                        fixed=FL.fixed_dims(n), guards=tuple(FL.guard_messages(n)))
    except C.NotOnCudaError as e:
        raise C.NotOnCudaError(f"cannot run this fused loop yet: {e}") from None


def _const(n: Operation) -> Prepared:
    return Prepared(value=upload(n.attrs.value))


def _matmul(n: Operation) -> Prepared:
    return Prepared(source=LA.batch_matmul_source(n.dtypes[0].name))


def _sum_to(n: Operation) -> Prepared:
    rank = n.inputs[0].shape.rank
    assert rank is not None  # (the rule needs known ranks)
    return Prepared(source=(T.sum_to_source if rank <= 4 else K.sum_to_nd_source)(n.dtypes[0].name))


def _template(template: str, typed: bool = True) -> Prepare:
    def prepare(n: Operation) -> Prepared:
        return Prepared(source=T.source(template, n.dtypes[0].name if typed else ""))
    return prepare


def _xent(template: str) -> Prepare:
    def prepare(n: Operation) -> Prepared:
        if n.inputs[-1].shape.rank != 2:
            raise C.NotOnCudaError("takes cross-entropy over [rows, classes]")
        return Prepared(source=T.source(template, n.dtypes[0].name))
    return prepare


def _branches(n: Operation) -> Sequence[FuncGraph]:
    return tuple(n.attrs.branches)


def _loop_graphs(n: Operation) -> Sequence[FuncGraph]:
    return (n.attrs.cond, n.attrs.body)


_MOVE_KERNELS = (("gather_map", T.GATHER_MAP), ("scatter_map", T.SCATTER_MAP), ("fill", T.FILL))
_CHECKED = {Op.GATHER: S.gather, Op.GATHER_ND: S.gather_nd, Op.SCATTER_ADD: S.scatter_add,
            Op.SCATTER_ND_ADD: S.scatter_nd_add, Op.MATRIX_INVERSE: S.linalg, Op.CHOLESKY: S.linalg,
            Op.MATRIX_SOLVE: S.linalg}
_CONVS = {Op.CONV2D: T.CONV2D, Op.CONV2D_BACKPROP_INPUT: T.CONV2D_BACKPROP_INPUT,
          Op.CONV2D_BACKPROP_FILTER: T.CONV2D_BACKPROP_FILTER}
_POOLS = {Op.MAX_POOL: T.POOL, Op.AVG_POOL: T.POOL, Op.MAX_POOL_GRAD: T.MAX_POOL_GRAD,
          Op.AVG_POOL_GRAD: T.AVG_POOL_GRAD}

RULES: dict[Op, CudaRule | NotOnTarget] = {
    # bound by the driver itself: feeds, variables (read in place), no-ops
    Op.PLACEHOLDER: CudaRule(None, any_rank=True),
    Op.VARIABLE: CudaRule(None, any_rank=True),
    Op.NO_OP: CudaRule(None, any_rank=True),
    Op.CONST: CudaRule(CS.const, _const, any_rank=True),
    **{op: CudaRule(CS.identity, any_rank=True) for op in (Op.IDENTITY, Op.STOP_GRADIENT, Op.CUSTOM_GRADIENT)},
    Op.FUSED: CudaRule(CS.fused, _fused, any_rank=True),
    Op.MATMUL: CudaRule(S.batch_matmul, _matmul),
    Op.SUM_TO: CudaRule(CS.sum_to, _sum_to),
    Op.RESHAPE: CudaRule(CS.reshape, any_rank=True),
    Op.BITCAST: CudaRule(CS.bitcast, any_rank=True),
    Op.KEEP_DIMS: CudaRule(CS.keep_dims, any_rank=True),
    Op.ASSIGN: CudaRule(CS.assign, flush=True, any_rank=True, kernels=(("assign", T.ASSIGN),)),
    Op.FILL: CudaRule(CS.fill, any_rank=True),
    Op.SHAPE: CudaRule(CS.shape, any_rank=True),
    Op.RANGE: CudaRule(CS.range_, any_rank=True),
    Op.RANDOM: CudaRule(CS.random, any_rank=True),
    Op.STATELESS_RANDOM: CudaRule(CS.stateless_random, any_rank=True),
    Op.ONE_HOT: CudaRule(CS.one_hot, any_rank=True),
    Op.CHECK: CudaRule(CS.check, _template(T.CHECK, typed=False), checks=True),
    Op.SOFTMAX_XENT: CudaRule(CS.xent, _xent(T.XENT)),
    Op.SOFTMAX_XENT_GRAD: CudaRule(CS.xent, _xent(T.XENT_GRAD)),
    Op.COND: CudaRule(CS.cond, flush=True, any_rank=True, graphs=_branches),
    Op.WHILE: CudaRule(CS.while_loop, flush=True, any_rank=True, graphs=_loop_graphs),
    **{op: CudaRule(S.move, kernels=_MOVE_KERNELS) for op in (Op.TRANSPOSE, Op.SLICE, Op.SLICE_GRAD,
                                                                  Op.BROADCAST_TO, Op.TILE, Op.PAD, Op.CONCAT)},
    **{op: CudaRule(S.conv, _template(t)) for op, t in _CONVS.items()},
    **{op: CudaRule(S.pool, _template(t)) for op, t in _POOLS.items()},
    **{op: CudaRule(step, checks=True) for op, step in _CHECKED.items()},
    Op.MATRIX_DETERMINANT: CudaRule(S.linalg),
    Op.ARGMAX: CudaRule(S.arg), Op.ARGMIN: CudaRule(S.arg), Op.CUMPROD: CudaRule(S.cumprod),
    Op.TOP_K_INDICES: CudaRule(S.top_k), Op.UNIQUE: CudaRule(S.unique), Op.BOOLEAN_MASK: CudaRule(S.boolean_mask),
    **{op: CudaRule(S.collective) for op in (Op.ALLREDUCE, Op.ALLGATHER, Op.BROADCAST)},
    Op.DEFERRED: NotOnTarget("replaced by the op it defers when the program is specialised; never reaches a target"),
    **{op: NotOnTarget("no CUDA kernel for this decomposition yet (it needs cuSOLVER, not yet bound); "
                       "run it in a CPU session")
       for op in (Op.SVD, Op.QR, Op.SELF_ADJOINT_EIG, Op.LOG_MATRIX_DETERMINANT, Op.LU, Op.MATRIX_EXPONENTIAL,
                  Op.MATRIX_SQUARE_ROOT)},
}
_HOST = NotOnTarget("a host op: the session evaluates it by its numpy reference beside the compiled call "
                    "(runtime/host.py), on every target")


def register() -> None:
    """Register every rule above on its row, and ``NotOnTarget`` on the host ops."""
    for op, rule in RULES.items():
        register_kernel(op, TARGET, rule)
    for op, row in rows().items():
        if row.kind is Kind.HOST and op not in RULES:
            register_kernel(op, TARGET, _HOST)


register()
