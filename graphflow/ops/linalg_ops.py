"""Matrix multiplication (batched over leading dims) and the composites built on it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Operation, Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape, broadcast_dims, broadcast_shapes
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops._build import as_tensors, make, require
from graphflow.ops.constant_ops import constant
from graphflow.ops.elementwise_ops import add_name, cast, greater_equal, identity, multiply, negative
from graphflow.ops.reductions import reduce_sum
from graphflow.ops.shape_ops import SpecItem, expand_dims, reshape_spec, shape, transpose
from graphflow.ops.state_ops import range as _range


@dataclass(frozen=True)
class MatMulAttrs:
    transpose_a: bool
    transpose_b: bool


def _mm_shape(shapes: Sequence[TensorShape], at: MatMulAttrs) -> list[TensorShape]:
    a, b = shapes
    if a.rank is None or b.rank is None:
        return [TensorShape(None)]
    if a.rank < 2 or b.rank < 2:
        raise ValueError(f"matmul needs operands of rank >= 2, got shapes {a} and {b}")
    m, ka = (a[-1], a[-2]) if at.transpose_a else (a[-2], a[-1])
    kb, n = (b[-1], b[-2]) if at.transpose_b else (b[-2], b[-1])
    if broadcast_dims(ka, kb) == "error" or (ka is not None and kb is not None and ka != kb):
        raise ValueError(f"Dimensions must be equal, but are {ka} and {kb} (matmul of shapes {a} and {b}"
                         f"{', transpose_a' if at.transpose_a else ''}{', transpose_b' if at.transpose_b else ''})")
    batch = broadcast_shapes([TensorShape(a.dims[:-2]), TensorShape(b.dims[:-2])])  # type: ignore[index]
    if batch is None:
        raise ValueError(f"matmul batch dims of {a} and {b} do not broadcast")
    return [TensorShape(list(batch.dims) + [m, n])]  # type: ignore[arg-type]


def _mm_ref(at: MatMulAttrs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if at.transpose_a:
        a = np.swapaxes(a, -1, -2)
    if at.transpose_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


def _mm_vjp(n: Operation, g: Tensor) -> list:
    a, b = n.inputs
    ta, tb = n.attrs.transpose_a, n.attrs.transpose_b
    if not ta and not tb:
        return [matmul(g, b, transpose_b=True), matmul(a, g, transpose_a=True)]
    if ta and not tb:
        return [matmul(b, g, transpose_b=True), matmul(a, g)]
    if not ta and tb:
        return [matmul(g, b), matmul(g, a, transpose_a=True)]
    return [matmul(b, g, transpose_a=True, transpose_b=True), matmul(g, a, transpose_a=True, transpose_b=True)]


register(OpDef(Op.MATMUL, Kind.OTHER, _mm_shape, require("fi"), _mm_ref, vjp=_mm_vjp))


def matmul(a: TensorLike, b: TensorLike, transpose_a: bool = False, transpose_b: bool = False,
           adjoint_a: bool = False, adjoint_b: bool = False, name: str | None = None) -> Tensor:
    """Matrix product over the last two dims, batched (with broadcasting) over the others.

    >>> import graphflow as gf
    >>> gf.matmul(gf.ones((2, 3)), gf.ones((3, 4))).shape.as_list()
    [2, 4]
    """
    x, y = as_tensors(a, b)
    return make(Op.MATMUL, [x, y], MatMulAttrs(bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)),
                name=name or "MatMul")


# the ``@`` operator on tensors (elementwise_ops installs the others, as this does)
_OPERATORS = {"__matmul__": lambda self, other: matmul(self, other),
              "__rmatmul__": lambda self, other: matmul(other, self)}
for _name, _method in _OPERATORS.items():
    setattr(Tensor, _name, _method)


# ---- tensordot and einsum: composites of transpose, reshape, matmul and reduce_sum -----------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _merged_dim(x: Tensor, axes: Sequence[int]) -> SpecItem | None:
    """Reshape-spec entry for the product of dims ``axes`` of ``x`` (None: not expressible)."""
    dims = [x.shape.dims[a] for a in axes]  # type: ignore[index]
    if None not in dims:
        return int(np.prod(dims, dtype=np.int64))
    if len(axes) == 1:
        return (0, axes[0])
    return None


def _merge(x: Tensor, groups: Sequence[Sequence[int]]) -> Tensor | None:
    """``x`` reshaped to one dim per group of consecutive axes (one group may become -1)."""
    spec: list[SpecItem] = []
    for g in groups:
        item = _merged_dim(x, g)
        if item is None:
            if -1 in spec:
                return None
            item = -1
        spec.append(item)
    return reshape_spec(x, tuple(spec))


def _sum_out(x: Tensor, labels: str, keep: str) -> tuple[Tensor, str]:
    axes = [i for i, c in enumerate(labels) if c not in keep]
    if not axes:
        return x, labels
    return reduce_sum(x, axis=axes), "".join(c for c in labels if c in keep)


def _contract(a: Tensor, la: str, b: Tensor, lb: str, keep: str) -> tuple[Tensor, str]:
    """Contract two labelled operands, keeping the labels in ``keep``: batch labels become matmul
    batch dims, each side's free labels and the summed labels are merged into one dim each."""
    a, la = _sum_out(a, la, keep + lb)
    b, lb = _sum_out(b, lb, keep + la)
    batch = [c for c in la if c in lb and c in keep]
    summed = [c for c in la if c in lb and c not in keep]
    a_free = [c for c in la if c not in lb]
    b_free = [c for c in lb if c not in la]
    for c in batch + summed:
        da, db = a.shape.dims[la.index(c)], b.shape.dims[lb.index(c)]  # type: ignore[index]
        if da is not None and db is not None and da != db and (c in summed or 1 not in (da, db)):
            raise ValueError(f"einsum/tensordot: label {c!r} has size {da} in {a.name} (shape {a.shape}) "
                             f"but {db} in {b.name} (shape {b.shape})")
    a_t = transpose(a, [la.index(c) for c in batch + a_free + summed])
    b_t = transpose(b, [lb.index(c) for c in batch + summed + b_free])
    nb, nf, ns = len(batch), len(a_free), len(summed)
    lead = [[i] for i in range(nb)]
    a_m = _merge(a_t, lead + [list(range(nb, nb + nf)), list(range(nb + nf, nb + nf + ns))])
    b_m = _merge(b_t, lead + [list(range(nb, nb + ns)), list(range(nb + ns, nb + ns + len(b_free)))])
    labels = "".join(batch + a_free + b_free)
    if a_m is None or b_m is None:
        # not expressible as one reshape per side: broadcast multiply over batch+a_free+b_free+summed
        nbf = len(b_free)
        a_x = reshape_spec(transpose(a, [la.index(c) for c in batch + a_free + summed]),
                           tuple([(0, j) for j in range(nb + nf)] + [1] * nbf +
                                 [(0, j) for j in range(nb + nf, nb + nf + ns)]))
        b_x = reshape_spec(transpose(b, [lb.index(c) for c in batch + b_free + summed]),
                           tuple([(0, j) for j in range(nb)] + [1] * nf +
                                 [(0, j) for j in range(nb, nb + nbf + ns)]))
        prod = multiply(a_x, b_x)
        return (reduce_sum(prod, axis=list(range(nb + nf + nbf, nb + nf + nbf + ns))) if ns else prod), labels
    out = matmul(a_m, b_m)
    # split the merged dims again: batch dims from the product (they may have broadcast)
    spec = ([(0, j) for j in range(nb)] + [(1, nb + i) for i in range(nf)] +
            [(2, nb + ns + i) for i in range(len(b_free))])
    return reshape_spec(out, tuple(spec), [a_t, b_t]), labels


def _parse_einsum(equation: str, operands: Sequence[Tensor]) -> tuple[list[str], str]:
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum equation {equation!r} names {len(terms)} operands, got {len(operands)}")
    spare = [c for c in _LETTERS if c not in eq]
    widths = []
    for term, t in zip(terms, operands, strict=True):
        if t.shape.rank is None:
            raise ValueError(f"einsum needs operands of known rank; {t.name} has unknown rank")
        widths.append(t.shape.rank - (len(term) - 3) if "..." in term else 0)
    ell = "".join(spare[:max(widths, default=0)])
    labels = []
    for term, t, w in zip(terms, operands, widths, strict=True):
        term = term.replace("...", ell[len(ell) - w:])
        if not term.isalpha() and term:
            raise ValueError(f"einsum equation {equation!r}: labels must be letters, got {term!r}")
        if len(term) != t.shape.rank:
            raise ValueError(f"einsum equation {equation!r}: term {term!r} has {len(term)} labels but "
                             f"{t.name} has rank {t.shape.rank}")
        if len(set(term)) != len(term):
            raise ValueError(f"einsum equation {equation!r}: repeated label in {term!r} (diagonals) "
                             "is not supported")
        labels.append(term)
    if arrow:
        out = out.replace("...", ell)
    else:
        counts = "".join(labels)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ell))
    if len(set(out)) != len(out) or any(c not in "".join(labels) for c in out):
        raise ValueError(f"einsum equation {equation!r}: output labels {out!r} must be distinct "
                         "labels of the inputs")
    return labels, out


def _einsum_labelled(operands: Sequence[Tensor], labels: Sequence[str], out: str) -> Tensor:
    cur, cl = operands[0], labels[0]
    for i in range(1, len(operands)):
        cur, cl = _contract(cur, cl, operands[i], labels[i], out + "".join(labels[i + 1:]))
    cur, cl = _sum_out(cur, cl, out)
    return transpose(cur, [cl.index(c) for c in out])


def einsum(equation: str, *inputs: TensorLike, name: str | None = None) -> Tensor:
    """Einstein summation (``np.einsum`` semantics; ``...`` allowed, diagonals not), contracted
    pairwise from the left with matmul.

    >>> import graphflow as gf
    >>> gf.einsum("bij,bjk->bik", gf.ones((2, 3, 4)), gf.ones((2, 4, 5))).shape.as_list()
    [2, 3, 5]
    """
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    operands = as_tensors(*inputs)
    labels, out = _parse_einsum(equation, operands)
    result = _einsum_labelled(operands, labels, out)
    return identity(result, name=name) if name else result


def tensordot(a: TensorLike, b: TensorLike, axes: int | Sequence[int | Sequence[int]],
              name: str | None = None) -> Tensor:
    """Sum over ``axes`` (an int N: last N of ``a`` with first N of ``b``; or a pair of axis lists).

    >>> import graphflow as gf
    >>> gf.tensordot(gf.ones((2, 3, 4)), gf.ones((3, 4, 5)), 2).shape.as_list()
    [2, 5]
    """
    x, y = as_tensors(a, b)
    ra, rb = x.shape.rank, y.shape.rank
    if ra is None or rb is None:
        raise ValueError("tensordot needs operands of known rank")
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(ra, rb):
            raise ValueError(f"tensordot axes={axes} is out of range for ranks {ra} and {rb}")
        ax_a, ax_b = list(range(ra - int(axes), ra)), list(range(int(axes)))
    else:
        ax_a, ax_b = ([int(v)] if isinstance(v, (int, np.integer)) else [int(i) for i in v] for v in axes)
        if len(ax_a) != len(ax_b):
            raise ValueError(f"tensordot axes {axes} pair {len(ax_a)} axes of a with {len(ax_b)} of b")
        ax_a = [i % ra if -ra <= i < ra else _bad_axis(i, ra) for i in ax_a]
        ax_b = [i % rb if -rb <= i < rb else _bad_axis(i, rb) for i in ax_b]
    la = _LETTERS[:ra]
    rest = iter(_LETTERS[ra:])
    lb = "".join(la[ax_a[ax_b.index(j)]] if j in ax_b else next(rest) for j in range(rb))
    out = "".join(c for i, c in enumerate(la) if i not in ax_a) + "".join(
        c for j, c in enumerate(lb) if j not in ax_b)
    result = _einsum_labelled([x, y], [la, lb], out)
    return identity(result, name=name) if name else result


def eye(num_rows: int, num_columns: int | None = None, batch_shape: Sequence[int] | None = None,
        dtype: DTypeLike = _dt.float32, name: str | None = None) -> Tensor:
    """The identity matrix (``num_rows`` x ``num_columns``, static sizes), repeated over
    ``batch_shape``."""
    m = np.eye(int(num_rows), int(num_columns if num_columns is not None else num_rows))
    if batch_shape is not None:
        m = np.broadcast_to(m, tuple(int(d) for d in batch_shape) + m.shape)
    return constant(m, dtype=dtype, name=name or "eye")


def _square(x: Tensor, what: str) -> int:
    dims = x.shape.as_list() if x.shape.rank is not None else None
    if not dims or len(dims) < 2 or dims[-1] is None or dims[-1] != dims[-2]:
        raise ValueError(f"{what} needs matrices whose last two dims are equal and known when the graph is "
                         f"built, got shape {x.shape}")
    return int(dims[-1])


def matrix_transpose(a: TensorLike, name: str | None = None, conjugate: bool = False) -> Tensor:
    """Swap the last two dims (of a tensor of known rank >= 2)."""
    x = convert_to_tensor(a)
    r = x.shape.rank
    if r is None or r < 2:
        raise ValueError(f"matrix_transpose needs a known rank of at least 2, got shape {x.shape}")
    return transpose(x, list(range(r - 2)) + [r - 1, r - 2], name=name)


def diag_part(input: TensorLike, name: str | None = None) -> Tensor:  # noqa: A002
    """The main diagonal of each trailing square matrix (TF1's ``matrix_diag_part``)."""
    x = convert_to_tensor(input)
    n = _square(x, "diag_part")
    return reduce_sum(multiply(x, eye(n, dtype=x.dtype)), axis=-1, name=name)


def trace(x: TensorLike, name: str | None = None) -> Tensor:
    """Sum of each trailing square matrix's diagonal."""
    return reduce_sum(diag_part(x), axis=-1, name=name)


def diag(diagonal: TensorLike, name: str | None = None) -> Tensor:
    """The square matrix with ``diagonal`` (a vector of static length) on its diagonal."""
    v = convert_to_tensor(diagonal)
    if v.shape.rank != 1 or v.shape.as_list()[0] is None:
        raise ValueError(f"diag needs a vector of static length, got shape {v.shape}")
    n = int(v.shape.as_list()[0])
    return multiply(expand_dims(v, -1), eye(n, dtype=v.dtype), name=name)


def cumsum(x: TensorLike, axis: int = 0, exclusive: bool = False, reverse: bool = False,
           name: str | None = None) -> Tensor:
    """Cumulative sums along ``axis``, TF1's flags included: a product with an n x n triangular
    matrix of ones (built when the graph runs where n is known only then), whose gradient is the
    transposed product."""
    t = convert_to_tensor(x)
    r = t.shape.rank
    if r is None or not -r <= int(axis) < r:
        raise ValueError(f"cumsum axis {axis} is out of range for a tensor of shape {t.shape}")
    ax = int(axis) % r
    n = t.shape.as_list()[ax]
    k = 1 if exclusive else 0
    if n is not None:
        tri = constant(np.tril(np.ones((n, n)), -k) if reverse else np.triu(np.ones((n, n)), k), dtype=t.dtype)
    else:  # tri[i, j] = 1 where x_i counts in y_j: j - i >= k (i - j >= k reversed)
        steps = _range(shape(t)[ax])
        apart = expand_dims(steps, 0) - expand_dims(steps, 1)  # j - i
        tri = cast(greater_equal(negative(apart) if reverse else apart, k), t.dtype)
    y = tensordot(t, tri, [[ax], [0]])  # the summed axis comes out last
    if ax != r - 1:
        perm = list(range(ax)) + [r - 1] + list(range(ax, r - 1))
        y = transpose(y, perm)
    return add_name(y, name)


def _bad_axis(axis: int, rank: int) -> int:
    raise ValueError(f"tensordot axis {axis} is out of range for an operand of rank {rank}")

