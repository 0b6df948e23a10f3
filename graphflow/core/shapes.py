"""Static shapes with unknown (None) dims and unknown rank, and NumPy broadcasting on them."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, SupportsInt, Union, cast

Dim = Union[int, None]
# what a TensorShape is made from: a shape, dims (ints, numpy ints or TF1 Dimensions; None where
# unknown), one int, or None (unknown rank)
ShapeInput = Union["TensorShape", Iterable[Union[SupportsInt, None]], int, None]


class TensorShape:
    """A static shape: ``dims`` is a tuple of int-or-None, or None when the rank is unknown.

    >>> TensorShape([None, 3]).as_list()
    [None, 3]
    """

    __slots__ = ("dims",)

    def __init__(self, dims: ShapeInput) -> None:
        if isinstance(dims, TensorShape):
            dims = dims.dims
        if dims is None:
            self.dims: tuple[Dim, ...] | None = None
            return
        if isinstance(dims, int):
            dims = (dims,)
        given = list(dims)
        out: list[Dim] = []
        for g in given:
            v = getattr(g, "value", g)  # TF1 Dimension objects
            d = None if v is None else int(v)
            if d is not None and d < 0:
                raise ValueError(f"shape dims must be >= 0 or None, got {given}")
            out.append(d)
        self.dims = tuple(out)

    @property
    def rank(self) -> int | None:
        return None if self.dims is None else len(self.dims)

    ndims = rank

    def as_list(self) -> list[Dim]:
        if self.dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape")
        return list(self.dims)

    def is_fully_defined(self) -> bool:
        return self.dims is not None and all(d is not None for d in self.dims)

    def num_elements(self) -> int | None:
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self.dims:  # type: ignore[union-attr]
            n *= d  # type: ignore[operator]
        return n

    def is_compatible_with(self, other: ShapeInput) -> bool:
        other = as_shape(other)
        if self.dims is None or other.dims is None:
            return True
        if len(self.dims) != len(other.dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self.dims, other.dims))

    def merge_with(self, other: ShapeInput) -> TensorShape:
        other = as_shape(other)
        if self.dims is None:
            return other
        if other.dims is None:
            return self
        if not self.is_compatible_with(other):
            raise ValueError(f"shapes {self} and {other} are not compatible")
        return TensorShape([a if a is not None else b for a, b in zip(self.dims, other.dims)])

    def assert_is_compatible_with(self, other: ShapeInput) -> None:
        if not self.is_compatible_with(other):
            raise ValueError(f"shapes {self} and {as_shape(other)} are not compatible")

    def with_rank(self, rank: int) -> TensorShape:
        if self.dims is None:
            return TensorShape([None] * rank)
        if len(self.dims) != rank:
            raise ValueError(f"shape {self} must have rank {rank}")
        return self

    def with_rank_at_least(self, rank: int) -> TensorShape:
        if self.dims is not None and len(self.dims) < rank:
            raise ValueError(f"shape {self} must have rank at least {rank}")
        return self

    def concatenate(self, other: ShapeInput) -> TensorShape:
        """This shape's dims followed by ``other``'s (unknown rank if either's is).

        >>> TensorShape([None]).concatenate([3, 4]).as_list()
        [None, 3, 4]
        """
        o = as_shape(other)
        if self.dims is None or o.dims is None:
            return TensorShape(None)
        return TensorShape(self.dims + o.dims)

    def __len__(self) -> int:
        if self.dims is None:
            raise ValueError("cannot take the length of a shape with unknown rank")
        return len(self.dims)

    def __iter__(self) -> Iterator[Dim]:
        if self.dims is None:
            raise ValueError("cannot iterate over a shape with unknown rank")
        return iter(self.dims)

    def __getitem__(self, key: int | slice) -> Any:  # (Dim for an int key, TensorShape for a slice)
        if self.dims is None:
            return None if isinstance(key, int) else TensorShape(None)
        if isinstance(key, slice):
            return TensorShape(self.dims[key])
        return self.dims[key]

    def __eq__(self, other: object) -> bool:
        try:
            other = as_shape(cast(ShapeInput, other))  # (what is no shape raises: not equal)
        except (TypeError, ValueError):
            return NotImplemented
        return self.dims == other.dims

    def __hash__(self) -> int:
        return hash(self.dims)

    def __repr__(self) -> str:
        if self.dims is None:
            return "<unknown>"
        body = ", ".join("?" if d is None else str(d) for d in self.dims)
        return f"({body},)" if len(self.dims) == 1 else f"({body})"

    __str__ = __repr__


def as_shape(value: ShapeInput) -> TensorShape:
    return value if isinstance(value, TensorShape) else TensorShape(value)


def unknown(rank: int | None = None) -> TensorShape:
    return TensorShape(None if rank is None else [None] * rank)


def broadcast_dims(a: Dim, b: Dim) -> Dim | str:
    """Broadcast two dims; returns "error" when they can never match."""
    if a == 1:
        return b
    if b == 1:
        return a
    if a is None or b is None:
        return a if b is None else b
    return a if a == b else "error"


def broadcast_shapes(shapes: Iterable[TensorShape]) -> TensorShape | None:
    """NumPy broadcasting on static shapes; None when the shapes cannot broadcast."""
    known: list[tuple[Dim, ...]] = []
    for s in shapes:
        if s.dims is None:
            return TensorShape(None)
        known.append(s.dims)
    rank = max((len(d) for d in known), default=0)
    out: list[Dim] = [1] * rank
    for given in known:
        dims = (1,) * (rank - len(given)) + given
        for i, d in enumerate(dims):
            r = broadcast_dims(out[i], d)
            if isinstance(r, str):  # "error"
                return None
            out[i] = r
    return TensorShape(out)
