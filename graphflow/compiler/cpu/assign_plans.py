"""The glue's plans for assignments, read off the program before lowering: which assignments
store a fused loop straight into their variable, which run as one GEMM into it (SGD's update),
and which fused assignments share one loop (an optimizer's variable and its slots).

Each plan maps ``id(assignment)`` to what ``cpu/lower.py`` emits at its place.
"""
from __future__ import annotations

from graphflow.compiler.fused import Arg
from graphflow.compiler.fused_loops import same_shaped
from graphflow.compiler.passes import use_counts
from graphflow.compiler.program import Program
from graphflow.compiler.schedule import Schedule
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op


def assign_fusions(program: Program, sched: Schedule) -> dict[int, int]:
    """Assignments whose value is a single-use elementwise loop: the loop writes straight into the
    variable's buffer. Returns id(assign) -> id(fused node)."""
    uses: dict[int, int] = {}
    for n in program.nodes:
        for t in n.inputs:
            uses[id(t)] = uses.get(id(t), 0) + 1
    fetched = {id(t) for t in program.outputs}
    assigned = {id(n.inputs[0].node) for n in program.nodes if n.op is Op.ASSIGN}
    controls = {id(c) for n in program.nodes for c in n.control_inputs}
    out: dict[int, int] = {}
    for n in program.nodes:
        if n.op is not Op.ASSIGN:
            continue
        var, value = n.inputs
        f = value.node
        if (f.op is not Op.FUSED or f.attrs.reduce is not None or uses.get(id(value)) != 1
                or id(value) in fetched or id(f) in controls or not var.shape.is_fully_defined()
                or f.shapes[0] != var.shape):
            continue
        if any(t.node.op is Op.VARIABLE and t.node is not var.node and id(t.node) in assigned for t in f.inputs):
            continue
        out[id(n)] = id(f)
    return out


GemmUpdate = tuple[Operation, "tuple[Operation, int] | None"]  # (matmul, (fused node, index of s) or None)


def gemm_updates(program: Program, deferred: dict[int, int]) -> dict[int, GemmUpdate]:
    """Fused assignments that are a GEMM's alpha/beta: ``var = var - s * (a @ b)``,
    ``var = var - a @ b`` or ``var -= s * (a @ b)`` (plain SGD), where the matmul is 2-D float,
    used only there, and reads no variable (the GEMM then runs at the assignment's place, after
    any assignment in between). Returns id(assign) -> (matmul, (fused node, input index of s)
    or None)."""
    uses = use_counts(program)
    fetched = {id(t) for t in program.outputs}
    controls = {id(c) for n in program.nodes for c in n.control_inputs}
    by_id = {id(n): n for n in program.nodes}
    out: dict[int, GemmUpdate] = {}
    for n in program.nodes:
        if n.op is not Op.ASSIGN or id(n) not in deferred:
            continue
        f = by_id[deferred[id(n)]]
        var = n.inputs[0].node
        body, res, mode = f.attrs.body, f.attrs.result, n.attrs.mode

        def leaf(a: Arg) -> Tensor | None:
            return f.inputs[a[1]] if a[0] == "in" else None

        # (the product's argument, the scale's or None), in either order for a MUL
        candidates: list[tuple[Arg, Arg | None]] = []
        if mode == "set" and res == ("t", len(body) - 1) and body[-1].op is Op.SUB and \
                (first := leaf(body[-1].args[0])) is not None and first.node is var:
            if len(body) == 1:
                candidates = [(body[0].args[1], None)]
            elif len(body) == 2 and body[0].op is Op.MUL and body[-1].args[1] == ("t", 0):
                candidates = [(body[0].args[0], body[0].args[1]), (body[0].args[1], body[0].args[0])]
        elif mode == "sub" and len(body) == 1 and body[0].op is Op.MUL and res == ("t", 0):
            candidates = [(body[0].args[0], body[0].args[1]), (body[0].args[1], body[0].args[0])]
        for m_arg, s_arg in candidates:
            t = leaf(m_arg)
            s = leaf(s_arg) if s_arg is not None else None
            if t is None or (s_arg is not None and (s is None or s.shape.rank != 0)):
                continue
            mm = t.node
            if mm.op is not Op.MATMUL or uses.get(id(t), 0) != 1 or id(t) in fetched or id(mm) in controls or \
                    t.dtype.name not in ("float32", "float64") or t.shape.rank != 2 or t.shape != var.shapes[0] or \
                    any(x.node.op is Op.VARIABLE or x.shape.rank != 2 or x.dtype != t.dtype for x in mm.inputs) or \
                    (s is not None and s.dtype != t.dtype):
                continue
            out[id(n)] = (mm, (f, f.inputs.index(s)) if s is not None else None)
            break
    return out


def assign_groups(program: Program, sched: Schedule, deferred: dict[int, int]) -> dict[int, list[Operation]]:
    """Flat fused assignments, each with the assignments whose new values it reads (Adam's m and
    v join the variable's update; RMSProp's ``var -= mom`` joins the mom update it copies):
    id(last assignment) -> the group in schedule order, each emitted as one loop.

    An assignment joins when its new value has that one use and nothing else orders on it, all
    loops are flat and of one shape, its variable has no other assignment, and nothing scheduled
    between it and the last one assigns what its loop reads: moved to the last one's place, it
    computes the same values, and nothing in between depended on it."""
    uses = use_counts(program)
    ordered = {id(c) for n in program.nodes for c in n.control_inputs} | {id(n) for n in program.targets}
    pos = {id(n): k for k, n in enumerate(sched.order)}
    assigns: dict[int, int] = {}
    for n in program.nodes:
        if n.op is Op.ASSIGN:
            assigns[id(n.inputs[0].node)] = assigns.get(id(n.inputs[0].node), 0) + 1

    def reads(a: Operation) -> set[int]:
        value = a.inputs[1].node
        return {id(x.node) for x in value.inputs if x.node.op is Op.VARIABLE} if id(a) in deferred else set()

    def movable(group: list[Operation], b: Operation) -> bool:
        for a in group:
            read = reads(a)
            if any(m.op is Op.ASSIGN and id(m.inputs[0].node) in read for m in sched.order[pos[id(a)] + 1:pos[id(b)]]):
                return False
        return True

    out: dict[int, list[Operation]] = {}
    for b in sched.order:
        if b.op is not Op.ASSIGN or not b.inputs[0].shape.is_fully_defined():
            continue
        value = b.inputs[1]
        fused = id(b) in deferred and same_shaped(value.node)
        if not fused and value.node.op is not Op.ASSIGN:
            continue
        shape = b.inputs[0].shape
        parts: list[Operation] = []
        for t in (value.node.inputs if fused else [value]):
            a = t.node
            if (a.op is not Op.ASSIGN or uses.get(id(t)) != 1 or id(a) in ordered or a in parts
                    or assigns[id(a.inputs[0].node)] != 1 or a.inputs[0].shape != shape
                    or not (id(a) in out or (id(a) in deferred and same_shaped(a.inputs[1].node)))):
                continue
            group = out.get(id(a), [a])
            if movable(group, b):
                out.pop(id(a), None)
                parts.extend(group)
        if fused or parts:
            out[id(b)] = sorted(parts, key=lambda a: pos[id(a)]) + [b]  # alone, it still reads its buffer once
    return out
