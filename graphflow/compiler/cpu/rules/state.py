"""CPU rules for the source-like primitives that compute: FILL, RANDOM, STATELESS_RANDOM and RANGE."""
from __future__ import annotations

from graphflow.compiler.cpu.interface import CpuEmit
from graphflow.core.errors import UnimplementedError
from graphflow.core.ir import Operation
from graphflow.core.registry import Op, kernel
from graphflow.ops import stateless_random  # noqa: F401  (registers the row a rule here attaches to)
from graphflow.ops.state_ops import draw_bits

_DIST = {"normal": 0, "truncated_normal": 1, "uniform": 2, "bits": 3}


def _dims_from(em: CpuEmit, static: tuple[int, ...] | None, dims_arg: str | None, rank: int) -> list[str]:
    if static is not None:
        return [str(d) for d in static]
    return [f"int({dims_arg}[{j}])" for j in range(rank)]


@kernel(Op.FILL, "cpu")
def _fill_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    t = n.outputs[0]
    if t.shape.rank is None:  # the rank is what the program is specialised on: it must be known by now
        raise UnimplementedError(n, n, f"fill's dims {n.inputs[1].name} have a length known only at run time "
                                 f"(shape {n.inputs[1].shape}): expected a dims tensor of static length (the "
                                 f"result's rank), e.g. a placeholder of shape [2]\n  in {n.describe()}")
    dims = _dims_from(em, n.attrs.shape, ins[1] if len(ins) > 1 else None, t.shape.rank)
    if not dims:
        em.define(t, f"{em.np_dtype(n.dtypes[0])}({ins[0]})")
        return
    if n.attrs.shape is None:  # dims fed at run time: checked as TF1 checks them
        names = [em.fresh("d") for _ in dims]
        for name, d in zip(names, dims):
            em.line(f"{name} = {d}")
        dims = names
        for d in dims:
            em.check(f"{d} >= 0", n, "Dimension {0} must be >= 0: fill dims must be non-negative, given {1}",
                     [d, em.shape_tuple(dims)])
    em.check_allocation(n, dims, n.dtypes[0])
    out = em.fresh("o")
    em.line(f"{out} = np.full({em.shape_tuple(dims)}, {ins[0]}, dtype={em.np_dtype(n.dtypes[0])})")
    em.define(t, out)


@kernel(Op.RANDOM, "cpu")
def _random_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    t = n.outputs[0]
    state = ins[0]
    dims = _dims_from(em, n.attrs.shape, ins[1] if len(ins) > 1 else None, t.shape.rank)
    K = em.use("graphflow.compiler.cpu.shared_kernels")
    out = em.empty(dims or ["1"], n.dtypes[0])
    em.line(f"{K}.random_fill({out}.reshape(-1), {state}, {_DIST[n.attrs.dist]}, {draw_bits(n.dtypes[0])})")
    em.define(t, out if dims else f"{out}[0]")


@kernel(Op.STATELESS_RANDOM, "cpu")
def _stateless_random_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    """RANDOM's fill, with the [key, counter] state computed from the seed input on each run."""
    t = n.outputs[0]
    seed = ins[0]
    if n.inputs[0].shape.as_list() != [2]:  # (a static [2] was checked when the node was built)
        em.check(f"{seed}.size == 2", n, "seed must have shape [2], not {0}", [f"{seed}.shape"])
    dims = _dims_from(em, n.attrs.shape, ins[1] if len(ins) > 1 else None, t.shape.rank)
    K = em.use("graphflow.compiler.cpu.shared_kernels")
    out = em.empty(dims or ["1"], n.dtypes[0])
    state = em.fresh("st")
    em.line(f"{state} = {K}.stateless_state({seed}.reshape(-1), {n.attrs.stream})")
    em.line(f"{K}.random_fill({out}.reshape(-1), {state}, {_DIST[n.attrs.dist]}, {draw_bits(n.dtypes[0])})")
    em.define(t, out if dims else f"{out}[0]")


@kernel(Op.RANGE, "cpu")
def _range_cpu(em: CpuEmit, n: Operation, ins: list[str]) -> None:
    start, limit, delta = ins
    d = em.np_dtype(n.dtypes[0])
    em.check(f"{delta} != 0", n, "Requires delta != 0: {0}", (delta,))
    em.check(f"{delta} < 0 or {start} <= {limit}", n, "Requires start <= limit when delta > 0: {0}/{1}",
             (start, limit))
    em.check(f"{delta} > 0 or {start} >= {limit}", n, "Requires start >= limit when delta < 0: {0}/{1}",
             (start, limit))
    cnt = em.fresh("n")
    if n.dtypes[0].is_floating:  # TF1's sizes: ceil(|(limit - start) / delta|), in integers exactly
        em.line(f"{cnt} = int(np.ceil(abs(({limit} - {start}) / {delta})))")
    else:
        em.line(f"{cnt} = (abs({limit} - {start}) + abs({delta}) - 1) // abs({delta})")
    out = em.fresh("o")
    em.line(f"{out} = np.empty(({cnt},), dtype={d})")
    with em.loops([cnt]) as (i,):
        em.line(f"{out}[{i}] = {start} + {d}({i}) * {delta}")
    em.define(n.outputs[0], out)
