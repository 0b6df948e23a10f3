"""Source emission shared by targets: names, indentation, dims, checks, loop nests."""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Union

import numpy as np

from graphflow.compiler.capabilities import INLINE, Capabilities
from graphflow.core.dtypes import DType
from graphflow.core.ir import Operation, Tensor
from graphflow.ops._build import compute_type, lit
from graphflow.platform.memory import memory_limit

# what ``Emitter.lit`` writes as a typed literal: a Python or numpy number or bool
LitValue = Union[bool, int, float, np.number, np.bool_]


class Emitter:
    """Accumulates the body of one generated entry function.

    Op kernels call ``define`` for each output, and use ``dims``/``loops``/``check`` to write
    rank-specialised code whose sizes are read at run time (so a new batch size never recompiles).
    What the code may assume of its caller is declared in ``caps`` (``compiler/capabilities.py``).
    """

    def __init__(self, caps: Capabilities = INLINE) -> None:
        self.caps = caps
        # set by the code where its caller must pass every array flattened (``caps.can_flatten``)
        self.flattened = False
        # (condition over the inputs, j): the result is input j when it holds (``caps.shortcuts``)
        self.shortcut: tuple[str, int] | None = None
        self.lines: list[str] = []
        self.indent = 1
        self.exprs: dict[int, str] = {}
        self.fresh_values: set[int] = set()
        self.imports: dict[str, str] = {}
        self.errors: list[tuple[Operation, str]] = []
        self._n = 0
        self.node: Operation | None = None  # the node whose code is being emitted (its checks name it)
        self.checked_dims: set[tuple[str, int]] = set()
        self.beliefs: set[int] = set()  # indices in ``errors`` of checks of the graph's own shapes

    # -- text
    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    @contextlib.contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header)
        self.indent += 1
        try:
            yield
        finally:
            self.indent -= 1

    def fresh(self, prefix: str = "v") -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def use(self, module: str) -> str:
        """Import ``module`` in the generated source; returns its alias."""
        if module not in self.imports:
            self.imports[module] = f"_m{len(self.imports)}"
        return self.imports[module]

    # -- values
    def define(self, t: Tensor, expr: str, fresh: bool = True) -> str:
        """Bind tensor ``t`` to ``expr`` (a name or, for scalars, an expression)."""
        self.exprs[id(t)] = expr
        if fresh:
            self.fresh_values.add(id(t))
        return expr

    def value(self, t: Tensor) -> str:
        return self.exprs[id(t)]

    def dims(self, t: Tensor, expr: str | None = None, check: bool = True) -> list[str]:
        """Each dim of ``t``: a literal when static, else read from the array at run time. The
        first time an array's dims are asked for, its run-time dims are checked against the
        literals (a rewrite, a default or an assignment may give an input another shape than
        the graph believes, and the code reads by the literals); ``check=False`` where the
        array arrives flattened."""
        e = expr or self.value(t)
        rank = t.shape.rank
        assert rank is not None, f"rank of {t.name} unknown at lowering"
        fixed = [(j, d) for j, d in enumerate(t.shape.dims) if d is not None]
        node = self.node if self.node is not None else t.node
        if check and fixed and (e, id(node)) not in self.checked_dims:  # once per array and reader
            self.checked_dims.add((e, id(node)))
            shown = "[" + ",".join(str(d) if d is not None else "?" for d in t.shape.dims) + "]"
            self.check(" and ".join(f"{e}.shape[{j}] == {d}" for j, d in fixed), node,
                       f"Incompatible shapes: {{0}} vs. {shown} (the shape of {t.name})", (f"{e}.shape",),
                       belief=True)
        return [str(d) if d is not None else f"{e}.shape[{j}]" for j, d in enumerate(t.shape.dims)]

    def check_shape(self, expr: str, dims: Sequence[str], node: Operation, what: str) -> None:
        """Before a loop reads ``expr`` by ``dims`` (taken from another input or the loop's
        plan): its run-time dims must be those, else TF1's "Incompatible shapes"."""
        conds = [f"{expr}.shape[{j}] == {d}" for j, d in enumerate(dims) if d != f"{expr}.shape[{j}]"]
        if conds:
            want = "(" + "".join(f"{d}, " for d in dims) + ")"
            self.check(" and ".join(conds), node, f"Incompatible shapes: {{0}} vs. {{1}} ({what})",
                       (f"{expr}.shape", want), belief=True)

    def np_dtype(self, d: DType) -> str:
        return compute_type(d)

    def lit(self, value: LitValue, d: DType) -> str:
        return lit(value, d)

    def shape_tuple(self, dims: Sequence[str]) -> str:
        if not dims:
            return "()"
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"

    def empty(self, dims: Sequence[str], d: DType, prefix: str = "o") -> str:
        name = self.fresh(prefix)
        self.line(f"{name} = np.empty({self.shape_tuple(dims)}, dtype={self.np_dtype(d)})")
        return name

    @contextlib.contextmanager
    def loops(self, dims: Sequence[str], prefix: str = "i") -> Iterator[list[str]]:
        """A loop nest over ``dims``; yields the index names (outermost first)."""
        names = [self.fresh(prefix) for _ in dims]
        saved = self.indent
        for n, d in zip(names, dims):
            self.line(f"for {n} in range({d}):")
            self.indent += 1
        try:
            yield names
        finally:
            self.indent = saved

    def check(self, condition: str, node: Operation, message: str, values: Sequence[str] = (),
              exception: str = "ValueError", belief: bool = False) -> None:
        """Raise (mapped to InvalidArgumentError naming ``node``; with ``exception="MemoryError"``
        to ResourceExhaustedError) when ``condition`` is false; ``message`` may show run-time
        ``values`` (expressions: ints or shape tuples) as ``{0}``... ``belief``: the check holds
        whenever the graph's static shapes do (it guards a loop against a contradiction the
        checks before it would have caught), so it does not make a step copy the variables it
        writes before it (``Generated.checks_after_write``)."""
        if belief:
            self.beliefs.add(len(self.errors))
        self.errors.append((node, message))
        args = "".join(f", {v}" for v in values)
        with self.block(f"if not ({condition}):"):
            self.before_raise()
            self.line(f"raise {exception}('graphflow-error-{len(self.errors) - 1}'{args})")

    def before_raise(self) -> None:
        """Lines a failing check runs before it raises (the glue marks its own checks)."""

    def check_allocation(self, node: Operation, dims: Sequence[str], d: DType,
                         factors: Sequence[str] | None = None, note: str = "", values: Sequence[str] = ()) -> None:
        """Before allocating ``dims`` of ``d`` (run-time sizes): fail as TF1 does, naming ``node``
        ("OOM when allocating tensor with shape[...]"), when the tensor needs more bytes than the
        machine has, instead of a MemoryError from inside compiled code that names nothing.
        ``factors`` (default ``dims``) multiply to the element count; they are multiplied as
        floats, which cannot overflow as int64 products of huge dims would. ``note`` follows the
        shape in the message and may show ``values`` as ``{1}``..."""
        limit = memory_limit()
        factors = list(dims if factors is None else factors)
        if limit is None or not dims:
            return
        itemsize = np.dtype(d.np).itemsize
        if all(f.isdigit() for f in factors):  # a static size: checked here, emitted only to fail
            if math.prod(int(f) for f in factors) * itemsize <= limit:
                return
            condition = "False"
        else:
            condition = " * ".join([f"float({f})" for f in factors] + [str(itemsize)]) + f" <= {limit}"
        self.check(condition, node, f"OOM when allocating tensor with shape{{0}} and type {d.name}{note}: more "
                   f"than the {limit / 2**30:.1f} GiB of memory of this machine", [self.shape_tuple(dims), *values],
                   exception="MemoryError")

    def index(self, name: str, idx: Sequence[str]) -> str:
        return f"{name}[{', '.join(idx)}]" if idx else name
