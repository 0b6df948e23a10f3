"""CPU rules for softmax cross-entropy: rows of the last axis, through the library in
compiler/cpu/xent_kernels.py."""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op, kernel
from graphflow.ops import xent_ops  # noqa: F401  (registers the rows these rules attach to)

_MODULE = "graphflow.compiler.cpu.xent_kernels"


def _rows(em: CpuEmit, t: Tensor, expr: str) -> tuple[list[str], str, str]:
    dims = em.dims(t, expr)
    return dims, " * ".join(dims[:-1]) or "1", dims[-1]


_BROADCASTABLE = "logits and labels must be broadcastable: logits_size={0} labels_size={1}"


def _same_dims(em: CpuEmit, n: Operation, a: list[str], b: list[str], what: str, values: Sequence[str] = ()) -> None:
    cond = " and ".join(f"{x} == {y}" for x, y in zip(a, b) if x != y)
    if cond:
        em.check(cond, n, what, values)


@kernel(Op.SOFTMAX_XENT, "cpu")
def _xent_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    lb, lg = ins
    dims, rows, c = _rows(em, n.inputs[1], lg)
    _same_dims(em, n, em.dims(n.inputs[0], lb), dims, _BROADCASTABLE, (f"{lg}.shape", f"{lb}.shape"))
    out = em.empty(dims[:-1] or ["1"], n.dtypes[0])
    em.line(f"{em.use(_MODULE)}.softmax_xent({lb}.reshape(({rows}, {c})), {lg}.reshape(({rows}, {c})), "
            f"{out}.reshape(-1))")
    em.define(n.outputs[0], out if len(dims) > 1 else f"{out}[0]")


@kernel(Op.SOFTMAX_XENT_GRAD, "cpu")
def _xent_grad_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    g, lb, lg = ins
    dims, rows, c = _rows(em, n.inputs[2], lg)
    _same_dims(em, n, em.dims(n.inputs[1], lb), dims, _BROADCASTABLE, (f"{lg}.shape", f"{lb}.shape"))
    _same_dims(em, n, em.dims(n.inputs[0], g), dims[:-1], "the gradient's shape differs from the loss's")
    out = em.empty(dims, n.dtypes[0])
    rows_g = f"{g}.reshape(-1)" if len(dims) > 1 else f"np.full(1, {g})"
    em.line(f"{em.use(_MODULE)}.softmax_xent_grad({rows_g}, {lb}.reshape(({rows}, {c})), "
            f"{lg}.reshape(({rows}, {c})), {out}.reshape(({rows}, {c})))")
    em.define(n.outputs[0], out)
