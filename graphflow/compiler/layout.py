"""Layout: transposes sunk through elementwise work until they meet their inverse and cancel.

A PyTorch-style model is NCHW while the convolution and pooling kernels are NHWC, so every
layer sits between a pair of transposes and its bias add and activation run in NCHW between
them; the gradient repeats the pattern backwards. ``sink_transposes`` walks the program once and
keeps each transpose unbuilt ("pending": the tensor is ``transpose(base, perm)``) while its
consumers are elementwise ops, which it rebuilds on the base (a broadcast operand such as a
``[1, C, 1, 1]`` bias is reshaped to the base's layout), and sums to a shape (a bias gradient).
A transpose of a pending tensor composes the two perms; when they cancel, the consumer reads the
base and neither transpose is ever built. Any other consumer gets the transpose built, once.

A pending transpose that only moves dims of size 1 is built as a reshape (a view): the input
transpose of a one-channel image is free.

The walk can move a transpose past an op without it cancelling later (the same work, in another
place), so the rewritten program is kept only when it moves fewer elements through transposes
than the original (``_moved``).
"""
from __future__ import annotations

from collections.abc import Sequence

from graphflow.compiler.passes import Rewriter, eliminate_dead_code, ordering_targets
from graphflow.compiler.program import Program, rebuild
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Kind, Op, get
from graphflow.ops.shape_ops import ReshapeAttrs, SpecItem, TransposeAttrs

_UNKNOWN_DIM = 64  # what an unknown dim (a batch) weighs when transposes are counted


def sink_transposes(program: Program) -> Program:
    """Transposes moved past elementwise ops and bias-gradient sums until inverse pairs cancel;
    transposes of size-1 dims become reshapes."""
    if not any(n.op is Op.TRANSPOSE for n in program.nodes):
        return program
    sunk = eliminate_dead_code(_Sinker(program).run())
    return sunk if _moved(sunk) < _moved(program) else program


class _Sinker:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.rw = Rewriter(program)
        self.ordered = ordering_targets(program)
        # id(original tensor) -> (base in the new program, perm, the node it stands for)
        self.pending: dict[int, tuple[Tensor, tuple[int, ...], Operation]] = {}

    def run(self) -> Program:
        for n in self.program.nodes:
            free = not n.control_inputs and id(n) not in self.ordered
            if free and len(n.outputs) == 1 and self._sink(n):
                continue
            for x in n.inputs:
                self._build(x)
            self.rw.keep(n)
        for x in self.program.outputs:
            self._build(x)
        return self.rw.done()

    # ---- pending transposes ----------------------------------------------------------------

    def _build(self, x: Tensor) -> None:
        """Give the pending tensor ``x`` a node (once): a reshape when only size-1 dims move."""
        if id(x) not in self.pending or id(x) in self.rw.tmap:
            return
        base, perm, node = self.pending[id(x)]
        dims = base.shape.dims
        if dims is not None and _keeps_order(dims, perm):
            spec: tuple[SpecItem, ...] = tuple((0, p) if dims[p] is None else dims[p] for p in perm)
            made = rebuild(node, [base], [], op=Op.RESHAPE, attrs=ReshapeAttrs(spec))
        else:
            made = rebuild(node, [base], [], op=Op.TRANSPOSE, attrs=TransposeAttrs(perm))
        self.rw.nodes.append(made)
        self.rw.tmap[id(x)] = made.outputs[0]

    def _defer(self, n: Operation, base: Tensor, perm: tuple[int, ...]) -> None:
        if perm == tuple(range(len(perm))):
            self.rw.alias(n, base)
        else:
            self.pending[id(n.outputs[0])] = (base, perm, n)

    def _sink(self, n: Operation) -> bool:
        """Rewrite ``n`` on pending bases (its output pending too); False leaves ``n`` as it is."""
        if n.op is Op.TRANSPOSE:
            x = n.inputs[0]
            if id(x) in self.pending:
                base, inner, _ = self.pending[id(x)]
                self._defer(n, base, tuple(inner[q] for q in n.attrs.perm))
                return True
            if _reads_variable(self.rw.t(x)):
                return False
            self._defer(n, self.rw.t(x), tuple(n.attrs.perm))
            return True
        perms = {self.pending[id(x)][1] for x in n.inputs if id(x) in self.pending}
        if len(perms) != 1:
            return False
        perm = perms.pop()
        if n.op is Op.SUM_TO:
            ins = self._sum_to_inputs(n, perm)
        elif get(n.op).kind is Kind.ELEMENTWISE and n.outputs[0].shape.rank == len(perm):
            ins = self._operands(n, n.inputs, perm)
        else:
            return False
        if ins is None:
            return False
        made = rebuild(n, ins, [])
        self.rw.nodes.append(made)
        self._defer(n, made.outputs[0], perm)
        return True

    # ---- operands in the base's layout ---------------------------------------------------------

    def _operands(self, n: Operation, inputs: Sequence[Tensor], perm: tuple[int, ...]) -> list[Tensor] | None:
        """Each input of ``n`` in the base layout: a pending one's base, a broadcast operand
        reshaped (None when one of them would need a real transpose, or is a variable: which of
        its values a read sees depends on where the read is ordered, and a reshape moves it)."""
        plan: list[tuple[Tensor, list[int] | None]] = []
        for x in inputs:
            if id(x) in self.pending:
                if x.shape.rank != len(perm):
                    return None
                plan.append((self.pending[id(x)][0], None))
                continue
            target = _in_base_layout(x, perm)
            if target is None or (target and _reads_variable(self.rw.t(x))):
                return None
            plan.append((self.rw.t(x), target or None))
        return [x if target is None else self._reshaped(n, x, target) for x, target in plan]

    def _sum_to_inputs(self, n: Operation, perm: tuple[int, ...]) -> list[Tensor] | None:
        """SUM_TO(pending g, like): the sum in the base layout, ``like`` as a pending base or a
        static shape reshaped to that layout."""
        g, like = n.inputs
        if id(g) not in self.pending or like.shape.rank != len(perm):
            return None
        return self._operands(n, [g, like], perm)

    def _reshaped(self, n: Operation, x: Tensor, dims: list[int]) -> Tensor:
        """``x`` reshaped to ``dims``, for ``n`` (whose name and source line the reshape takes)."""
        made = rebuild(n, [x], [], op=Op.RESHAPE, attrs=ReshapeAttrs(tuple(dims)))
        self.rw.nodes.append(made)
        return made.outputs[0]


def _reads_variable(x: Tensor) -> bool:
    """Whether ``x`` is a variable's value: a read of it sees the value before or after an
    assignment in the same run according to how the reading node is ordered (``schedule.py``),
    so the pass never moves such a read to another node."""
    return x.node.op is Op.VARIABLE


def _in_base_layout(x: Tensor, perm: tuple[int, ...]) -> list[int] | None:
    """How a broadcast operand ``x`` of an op whose output is ``transpose(base, perm)`` reads
    in the base's layout: ``[]`` when as it is (all its dims are 1), the static dims to reshape
    it to when that keeps its elements in order, None when it would need a transpose."""
    rank = len(perm)
    dims = x.shape.dims
    if dims is None or len(dims) > rank:
        return None
    aligned = [1] * (rank - len(dims)) + list(dims)
    if all(d == 1 for d in aligned):
        return []
    if None in aligned:
        return None
    inverse = tuple(perm.index(j) for j in range(rank))
    return [aligned[i] for i in inverse] if _keeps_order(aligned, inverse) else None


def _keeps_order(dims: Sequence[int | None], perm: tuple[int, ...]) -> bool:
    """Whether ``transpose(x, perm)`` of an ``x`` with these dims keeps its elements in order:
    the dims that are not 1 (unknown ones count) stay in the same relative order."""
    moved = [p for p in perm if dims[p] != 1]
    return moved == sorted(moved)


def _moved(program: Program) -> int:
    """Elements the program's transposes move (unknown dims weigh ``_UNKNOWN_DIM``)."""
    total = 0
    for n in program.nodes:
        dims = n.inputs[0].shape.dims if n.op is Op.TRANSPOSE else None
        if dims is not None and not _keeps_order(dims, n.attrs.perm):
            size = 1
            for d in dims:
                size *= _UNKNOWN_DIM if d is None else d
            total += size
    return total
