"""The types of what users pass to builders, named once: a tensor-like value, a dtype, a shape, an
axis. They are unions of the concrete types each argument accepts (what ``convert_to_tensor``,
``as_dtype`` and ``as_shape`` convert), so a signature says what it takes.

>>> import graphflow as gf
>>> def double(x: TensorLike) -> gf.Tensor:
...     return gf.convert_to_tensor(x) * 2
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, Union

import numpy as np

if TYPE_CHECKING:
    from graphflow.core.dtypes import DType
    from graphflow.core.ir import Graph, Operation, Tensor
    from graphflow.core.shapes import TensorShape


class TensorConvertible(Protocol):
    """What converts itself to a graph tensor (a resource, a layer's output wrapper...)."""

    def _as_graph_tensor(self) -> Tensor: ...


class SessionLike(Protocol):
    """What the front end (training hooks, savers, summaries) asks of a session: the graph it runs
    and ``run``. ``gf.Session`` is one, but it belongs to the runtime, which the front end may not
    import; ``run`` is a property here so any signature of it matches."""

    @property
    def graph(self) -> Graph: ...

    @property
    def run(self) -> Callable[..., Any]: ...


# a Python or numpy scalar
Scalar = Union[bool, int, float, complex, str, bytes, np.generic]
# anything ``convert_to_tensor`` accepts: tensors (Variables are tensors), what converts itself,
# arrays, scalars and nested lists or tuples of these
TensorLike = Union["Tensor", TensorConvertible, np.ndarray, Scalar, Sequence["TensorLike"]]
# what ``as_dtype`` accepts: a DType, a numpy dtype or type, a Python type, or a name
DTypeLike = Union["DType", np.dtype, type, str]
# what ``as_shape`` accepts: a TensorShape, dims (None where unknown), or an unknown rank (None)
ShapeLike = Union["TensorShape", Sequence[Union[int, None]], None]
# one axis, several, or a tensor holding them
AxisLike = Union[int, Sequence[int], "Tensor", None]
# what ``Session.run`` and ``control_dependencies`` take: tensors, operations, or their names
Fetchable = Union["Tensor", "Operation", str]
# what ``Session.run`` takes as ``feed_dict``: tensors (or their names) to the values fed for them
# (a union, as Mapping's key type is invariant: a ``dict[Tensor, float]`` is a FeedDict too)
FeedDict = Union[Mapping["Tensor", object], Mapping[str, object], Mapping[Union["Tensor", str], object]]
# a shape a builder also takes at run time: a static shape, a 1-D integer tensor, or a list mixing
# ints and scalar integer tensors (``(gf.shape(x)[0], 5)``)
DimsLike = Union[ShapeLike, "Tensor", Sequence[Union[int, "Tensor"]]]
