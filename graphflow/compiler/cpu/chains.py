"""Chains of elementwise loops in a loop body, run by glue as one kernel call.

Glue calls one kernel per compute node, for about a microsecond of Python each (the call, its
buffer, its shape test). Inside a loop body that cost repeats every iteration: an LSTM step's gate
arithmetic is about a dozen elementwise loops over [batch, hidden] each way, whose values several
consumers read, so fusion leaves them apart. A **chain** is a set of such FUSED loops of one loop
shape, every array leaf of the loop's rank (so all have one shape unless a run-time dim
broadcasts), each reading only values computed before the first one's place in the schedule or by
earlier members (nothing that reads a member moves). The glue compares the chain's array leaves'
shapes once and calls one kernel: a flat loop computing every member's element in turn, handing
values to later members in registers and storing only those read outside the chain. When the
shapes differ it runs the members one by one as before (those kernels are compiled only if that
ever happens).

A chain over [rows, w] also folds the column slices it reads and a concat of its members' values
along the columns (``Folds``): an LSTM step's four gate slices and its gradient's concat of the
four gate gradients are then no calls of their own.

Chains are formed in loop and branch bodies only: there every iteration pays for each call, and
no assignment can sit between two members (loops refuse them), so moving a member up to the
chain's place cannot change what it reads.
"""
from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from graphflow.compiler.fused import FusedAttrs
from graphflow.compiler.fused_loops import element_value
from graphflow.compiler.kernels import KernelEmitter
from graphflow.compiler.program import Program
from graphflow.compiler.schedule import Schedule
from graphflow.core.ir import Operation, Tensor
from graphflow.core.registry import Op
from graphflow.core.shapes import TensorShape
from graphflow.ops.slice_ops import Bound, SliceAttrs

MAX_CHAIN = 24  # members of one chain (bounds the kernel's size and compile time)


def chains(prog: Program, sched: Schedule) -> dict[int, list[list[Operation]]]:
    """Schedule position -> the chains (members in schedule order) the glue emits there, before
    the node at that position (or, at ``len(sched.order)``, after the last). A chain's place
    follows every value its members read from outside it and precedes every outside reader of
    its members' values."""
    order = list(sched.order)
    pos = {id(n): i for i, n in enumerate(order)}
    end = len(order)
    readers: dict[int, list[int]] = {}
    for i, n in enumerate(order):
        for t in n.inputs:
            readers.setdefault(id(t), []).append(i)
    for t in prog.outputs:
        readers.setdefault(id(t), []).append(end)
    ordered = {id(c) for n in prog.nodes for c in n.control_inputs}
    ok = {id(n) for n in order if _candidate(n) and id(n) not in ordered}

    placed: dict[int, int] = {}  # a member of a chain formed already -> that chain's place

    def after(m: Operation, members: set[int]) -> int:  # the place must follow these producers
        # (a producer in an earlier chain is emitted at its chain's place: at that same place,
        # this chain comes after it, since chains are emitted in the order they were formed)
        return max([placed[id(t.node)] - 1 if id(t.node) in placed else pos[id(t.node)] for t in m.inputs
                    if id(t.node) in pos and id(t.node) not in members], default=-1)

    def before(group: list[Operation], members: set[int]) -> int:  # ... and precede these readers
        # (a reader in an earlier chain is emitted at its chain's place, before this chain there)
        return min([r if r == end or id(order[r]) not in placed else placed[id(order[r])] - 1
                    for m in group for r in readers.get(id(m.outputs[0]), [])
                    if r == end or id(order[r]) not in members], default=end)

    out: dict[int, list[list[Operation]]] = {}
    taken: set[int] = set()
    for i, n in enumerate(order):
        if id(n) not in ok or id(n) in taken:
            continue
        shape = n.attrs.loop_shape
        group, members, lo = [n], {id(n)}, max(i, after(n, {id(n)}) + 1)
        for m in order[i + 1:]:
            if len(group) == MAX_CHAIN:
                break
            if id(m) in taken or not (id(m) in ok and m.attrs.loop_shape == shape or _identity_sum(m, shape)):
                continue
            grown = members | {id(m)}
            place = max(lo, after(m, grown) + 1)
            if place <= before(group + [m], grown):
                group.append(m)
                members, lo = grown, place
        if len(group) > 1:
            taken.update(members)
            placed.update((m, lo) for m in members)
            out.setdefault(lo, []).append(group)
    return out


def _identity_sum(n: Operation, shape: TensorShape) -> bool:
    """A SUM_TO (autodiff's guard where a broadcast is possible) of a value shaped like the chain's
    loop to a shape like it: where the glue found every array of the chain of one shape (the
    target included, as a leaf), it sums nothing and the chain passes the value on."""
    return n.op is Op.SUM_TO and not n.control_inputs and n.shapes[0] == shape and \
        all(_fits(t.shape, shape) for t in n.inputs)


def _fits(s: TensorShape, loop: TensorShape) -> bool:
    return s.rank == loop.rank and all(d is None or d == e for d, e in zip(s.as_list(), loop.as_list()))


def _candidate(n: Operation) -> bool:
    """An elementwise FUSED loop whose array leaves all have the loop's rank, each dim the loop's
    or unknown: a flat loop computes it when their run-time shapes agree."""
    if n.op is not Op.FUSED or n.control_inputs:
        return False
    at: FusedAttrs = n.attrs
    if at.reduce is not None or not at.loop_shape.rank:
        return False
    return all(t.shape.rank == 0 or _fits(t.shape, at.loop_shape) for t in n.inputs)


@dataclass(frozen=True)
class Folds:
    """What a chain over [rows, w] absorbs besides its members, so that an LSTM step's gates are
    one kernel each way: the column slices of a wider matrix it reads (``windows``: the slice's
    output tensor -> (the slice node, its first column); the kernel reads the matrix itself) and a
    concat along the columns of members' values (``concat``, with each input's first column) that
    it writes into directly. A slice or concat folds only where no reader outside the chain needs
    it apart; where the glue's shape test fails, it is emitted as a node as before."""

    windows: dict[int, tuple[Operation, int]] = field(default_factory=dict)
    # the elementwise loops computing a sliced matrix that only these slices read (a bias add):
    # the matrix's tensor -> its FUSED node, computed by the chain at the columns it reads
    producers: dict[int, Operation] = field(default_factory=dict)
    concat: Operation | None = None  # its inputs are members' values: input k at columns k * w

    @property
    def nodes(self) -> list[Operation]:
        """The nodes the chain absorbs, in the order the glue emits them where the chain falls back."""
        return list(self.producers.values()) + [s for s, _ in self.windows.values()] + \
            ([self.concat] if self.concat is not None else [])


@dataclass(frozen=True)
class Window:
    """How the chain kernel reads one member input through a column slice: the matrix's
    parameter ``param`` at columns ``start`` + j, or the ``producer`` loop's value there from its
    inputs' parameters ``params``."""

    start: int
    param: int = -1
    producer: Operation | None = None
    params: tuple[int, ...] = ()


def folds(prog: Program, group: Sequence[Operation]) -> Folds:
    """The slices and the concat chain ``group`` absorbs in ``prog`` (see ``Folds``): only for
    loops of rank 2 whose column count is static."""
    dims = group[0].attrs.loop_shape.as_list()
    if len(dims) != 2 or dims[1] is None:
        return Folds()
    width = dims[1]
    members = {id(m) for m in group}
    made = {id(m.outputs[0]): m for m in group}
    readers: dict[int, list[Operation]] = {}
    for n in prog.nodes:
        for t in n.inputs:
            readers.setdefault(id(t), []).append(n)
    kept = {id(t) for t in prog.outputs} | {id(c) for n in prog.nodes for c in n.control_inputs}

    def only(t: Tensor, inside: set[int]) -> bool:  # every reader of t is in ``inside``
        return id(t) not in kept and all(id(r) in inside for r in readers.get(id(t), []))

    windows: dict[int, tuple[Operation, int]] = {}
    for m in group:
        for t in m.inputs:
            s = t.node
            if id(t) in made or id(t) in windows or s.op is not Op.SLICE or s.control_inputs or id(s) in kept:
                continue
            start = _column_window(s, width)
            if start is not None and only(t, members):
                windows[id(t)] = (s, start)
    slices = {id(s) for s, _ in windows.values()}
    producers = {id(s.inputs[0]): s.inputs[0].node for s, _ in windows.values()
                 if _producer(s.inputs[0]) and id(s.inputs[0].node) not in kept and only(s.inputs[0], slices)}
    concat = None
    for m in group:
        for c in readers.get(id(m.outputs[0]), []):
            if concat is None and c.op is Op.CONCAT and c.attrs.axis == 1 and not c.control_inputs and \
                    c.outputs[0].shape.as_list()[1] == width * len(c.inputs) and \
                    id(c) not in kept and all(id(t) in made and only(t, members | {id(c)}) for t in c.inputs):
                concat = c
    return Folds(windows, producers, concat)


def _producer(u: Tensor) -> bool:
    """Whether ``u`` (a matrix with a static column count) is an elementwise loop the chain can
    compute at the columns it reads: every array input a matrix or a row of those columns."""
    f = u.node
    if f.op is not Op.FUSED or f.control_inputs or f.attrs.reduce is not None or u.shape.rank != 2:
        return False
    cols = u.shape.as_list()[1]
    return all(t.shape.rank == 0 or (t.shape.rank in (1, 2) and t.shape.as_list()[-1] in (cols, 1, None))
               for t in f.inputs) and any(t.shape.rank == 2 and t.shape.as_list()[0] != 1 for t in f.inputs)


def _column_window(s: Operation, width: int) -> int | None:
    """The first column of SLICE ``s`` where it takes every row and ``width`` consecutive columns
    of a matrix whose column count is static, else None."""
    at: SliceAttrs = s.attrs
    x = s.inputs[0]
    dims = x.shape.as_list() if x.shape.rank == 2 else None
    if dims is None or dims[1] is None or at.shrink or at.strides != (1, 1) or \
            at.begin[0] not in (None, 0) or at.end[0] is not None:
        return None
    b, e = _static_bound(s, at.begin[1]), _static_bound(s, at.end[1])
    if b is False or e is False:
        return None
    r = range(*builtins.slice(b, e).indices(dims[1]))
    return r.start if len(r) == width else None


def _static_bound(s: Operation, b: Bound) -> int | None | bool:
    """A slice bound as a number where the graph fixes it (a sum of reference inputs' static dims
    included); False where only the run knows it."""
    if b is None or isinstance(b, int):
        return b
    if isinstance(b, tuple):
        dims = [s.inputs[1 + r].shape.as_list()[j] if s.inputs[1 + r].shape.rank else None for r, j in b]
        return sum(dims) if all(isinstance(d, int) for d in dims) else False  # type: ignore[arg-type]
    return False


def _planned_dims(inputs: Sequence[Tensor], reads: dict[tuple[int, int], Window]) -> dict[int, list[int | None]]:
    """Per array parameter ``i`` (tensor ``inputs[i]``) a chain reads through folded slices (a
    sliced matrix, or an input of the loop computing it): its dims as the kernel indexes them,
    None for the chain's rows."""
    out: dict[int, list[int | None]] = {}
    for win in reads.values():
        for i in (win.param,) if win.producer is None else win.params:
            t = inputs[i]
            if not t.shape.rank:
                continue
            dims, loop = t.shape.as_list(), (win.producer.outputs[0] if win.producer else t).shape.as_list()
            # a producer's input broadcasts a static 1 (indexed 0); any other dim is indexed as planned
            wide = [d == 1 and e != 1 and win.producer is not None for d, e in zip(dims, loop[-len(dims):])]
            out[i] = [1 if b else None if k == 0 and len(dims) == 2 else loop[-1]
                      for k, b in enumerate(wide)]
    return out


@dataclass
class ChainPlan:
    """How the glue calls a chain's kernel: its parameters' sources (node, input) and which
    member input each is (``leaf``, or ``reads`` through a fold), the members it stores, the
    parameter whose rows are the chain's (``first``), and the shape tests before the call."""

    fold: Folds
    sources: list[tuple[Operation, int]]
    leaf: dict[tuple[int, int], int]
    reads: dict[tuple[int, int], Window]
    stored: list[Operation]
    tests: list[str]
    first: int


def chain_plan(program: Program, group: Sequence[Operation], value: Callable[[Operation, int], str]) -> ChainPlan:
    """The ``ChainPlan`` of chain ``group`` in ``program`` (``value(node, j)``: the glue's
    expression for input ``j`` of ``node``; one parameter per distinct expression)."""
    made = {id(m.outputs[0]) for m in group}
    fold = folds(program, group)
    sources: list[tuple[Operation, int]] = []
    seen: dict[str, int] = {}

    def source(owner: Operation, j: int) -> int:
        e = value(owner, j)
        if e not in seen:
            seen[e] = len(sources)
            sources.append((owner, j))
        return seen[e]
    leaf: dict[tuple[int, int], int] = {}
    reads: dict[tuple[int, int], Window] = {}
    for g, m in enumerate(group):
        for j, t in enumerate(m.inputs):
            if id(t) in made:
                continue
            if id(t) not in fold.windows:
                leaf[(g, j)] = source(m, j)
                continue
            s, start = fold.windows[id(t)]
            f = fold.producers.get(id(s.inputs[0]))
            reads[(g, j)] = Window(start, source(s, 0)) if f is None else \
                Window(start, producer=f, params=tuple(source(f, i) for i in range(len(f.inputs))))
    members = {id(m) for m in group}
    absorbed = {id(n) for n in fold.nodes}
    outside = {id(t) for n in program.nodes if id(n) not in members and id(n) not in absorbed
               for t in n.inputs} | {id(t) for t in program.outputs}
    stored = [m for m in group if id(m.outputs[0]) in outside]
    ins = [value(owner, j) for owner, j in sources]
    plain = sorted({i for (g, j), i in leaf.items() if group[g].inputs[j].shape.rank})
    same = [f"{ins[i]}.shape == {ins[plain[0]]}.shape" for i in plain[1:]]
    first = plain[0] if plain else -1
    if reads or fold.concat is not None:  # [rows, w]: every matrix as planned
        width = group[0].attrs.loop_shape.as_list()[1]
        matrices = _planned_dims([owner.inputs[j] for owner, j in sources], reads)
        if not plain:  # (folds() takes only matrices with rows)
            first = next(i for i, dims in matrices.items() if len(dims) == 2 and dims[0] is None)
        rows = f"{ins[first]}.shape[0]"
        same += [f"{ins[first]}.shape[1] == {width}"] if plain else []
        same += [f"{ins[i]}.shape[{k}] == {rows if d is None else d}" for i, dims in matrices.items()
                 for k, d in enumerate(dims) if i != first or k]
    return ChainPlan(fold, sources, leaf, reads, stored, same, first)


def chain_kernel(sub: KernelEmitter, group: Sequence[Operation], leaf: dict[tuple[int, int], int],
                 n_params: int, stored: Sequence[Operation], fold: Folds,
                 reads: dict[tuple[int, int], Window], first: int) -> str:
    """Emit the chain's loop into ``sub`` (``leaf``: (member index, input) -> parameter for
    inputs from outside the chain; ``first``: an array parameter of the chain's shape, or of its
    rows); returns the kernel's result: the tuple of ``stored`` members' buffers, then the
    concat's where ``fold`` has one. Without folds the loop is flat (every array arrives
    flattened); with them it runs over [rows, w], reading the inputs ``reads`` names ((member
    index, input) -> ``Window``) from their matrix's columns and writing the concat's buffer at
    each input's columns."""
    params = [f"p{k}" for k in range(n_params)]
    if not (fold.windows or fold.concat):
        sub.flattened = True
        size = f"{params[first]}.shape[0]"
        # (the glue called this kernel only after finding every array leaf of one shape)
        bufs = {id(m): sub.empty([size], m.dtypes[0]) for m in stored}
        with sub.loops([size]) as idx:
            for m, v in _member_values(sub, group, leaf, params, idx, lambda g, j: ""):
                if id(m) in bufs:
                    sub.line(f"{bufs[id(m)]}[{idx[0]}] = {v}")
        return "(" + "".join(f"{bufs[id(m)]}, " for m in stored) + ")"
    rows, width = f"{params[first]}.shape[0]", str(group[0].attrs.loop_shape.as_list()[1])
    # (the glue called this kernel only after finding every array's rows and columns as planned)
    bufs = {id(m): sub.empty([rows, width], m.dtypes[0]) for m in stored}
    cat = None
    if fold.concat is not None:
        c = fold.concat
        cat = sub.empty([rows, str(c.outputs[0].shape.as_list()[1])], c.dtypes[0])
    w = sub.fresh("w")
    sub.line(f"{w} = {width}")
    with sub.loops([rows, w]) as loop:
        # unsigned indices: numba then adds no wraparound for negative ones (a select per access
        # that made this loop 20-30% slower than the flat one: 87-92 us against 68-75 us)
        idx = [sub.fresh("u"), sub.fresh("u")]
        sub.line(f"{idx[0]} = np.uintp({loop[0]})")
        sub.line(f"{idx[1]} = np.uintp({loop[1]})")

        def window(g: int, j: int) -> str:  # member g's input j through its window
            win = reads[(g, j)]
            col = sub.fresh("u")
            sub.line(f"{col} = np.uintp({win.start} + {loop[1]})")
            if win.producer is not None:  # the producer's element at (row, col)
                return element_value(sub, win.producer, [params[k] for k in win.params], [idx[0], col], True, False)
            x = sub.fresh("x")
            sub.line(f"{x} = {params[win.param]}[{idx[0]}, {col}]")
            return x
        for m, v in _member_values(sub, group, leaf, params, idx, window):
            if id(m) in bufs:
                sub.line(f"{bufs[id(m)]}[{idx[0]}, {idx[1]}] = {v}")
            for k, t in enumerate(fold.concat.inputs if fold.concat is not None else ()):
                if t is m.outputs[0]:  # at k * w, spelt as a sum of w: LLVM then knows the
                    # inputs' columns never overlap, and vectorises (a lifted offset each, it did not)
                    sub.line(f"{cat}[{idx[0]}, np.uintp({' + '.join([w] * k + [loop[1]])})] = {v}")
    return "(" + "".join(f"{bufs[id(m)]}, " for m in stored) + (f"{cat}, " if cat else "") + ")"


def _member_values(sub: KernelEmitter, group: Sequence[Operation], leaf: dict[tuple[int, int], int],
                   params: list[str], idx: list[str],
                   window: Callable[[int, int], str]) -> Iterator[tuple[Operation, str]]:
    """Emit each member's value at the element ``idx`` (one flat index, or row and column), in
    order, yielding (member, value name) after each, so the caller stores it before the next
    member's code: values pass to later members in registers; an input neither a member's value
    nor a ``leaf`` parameter is read by ``window(member index, input)``."""
    made = {id(m.outputs[0]) for m in group}
    values: dict[int, str] = {}
    for g, m in enumerate(group):
        leaves, preset = [], {}
        for j, t in enumerate(m.inputs):
            leaves.append(params[leaf[(g, j)]] if (g, j) in leaf else "")
            if id(t) in made:
                preset[j] = values[id(t)]
            elif (g, j) not in leaf:
                preset[j] = window(g, j)
        if m.op is Op.SUM_TO:  # the identity here (_identity_sum); its target is only a leaf
            v = preset.get(0) or sub.fresh("x")
            if 0 not in preset:
                sub.line(f"{v} = {leaves[0]}[{', '.join(idx)}]")
        else:
            v = element_value(sub, m, leaves, idx, True, len(idx) == 1, preset)
        values[id(m.outputs[0])] = v
        yield m, v
