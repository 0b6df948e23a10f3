"""``tf.layers.InputSpec``: what a layer accepts (rank bounds, dtype, fixed axis sizes), checked
when the layer is called, with TF1's words."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor
from graphflow.core.types import DTypeLike


class InputSpec:
    """The rank, dtype and axis sizes a layer's input must have (any left None is free).

    >>> import graphflow as gf
    >>> gf.layers.InputSpec(min_ndim=2, axes={-1: 3}).axes
    {-1: 3}
    """

    def __init__(self, dtype: DTypeLike | None = None, shape: Sequence[int | None] | None = None,
                 ndim: int | None = None, max_ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict[int, int] | None = None) -> None:
        self.dtype = None if dtype is None else _dt.as_dtype(dtype).name
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})

    def __repr__(self) -> str:
        spec = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape), ("ndim", self.ndim),
                                        ("max_ndim", self.max_ndim), ("min_ndim", self.min_ndim),
                                        ("axes", self.axes or None)) if v is not None]
        return f"InputSpec({', '.join(spec)})"

    def get_config(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InputSpec:
        return cls(**config)


def check_input(spec: InputSpec | Sequence[InputSpec] | None, inputs: object, layer: str) -> None:
    """Raise ValueError (TF1's message) where ``inputs`` do not fit ``spec``; unknown ranks pass."""
    if spec is None:
        return
    specs = [spec] if isinstance(spec, InputSpec) else list(spec)
    xs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(xs) != len(specs):
        raise ValueError(f"Layer {layer} expects {len(specs)} inputs, but it received {len(xs)} input tensors")
    for i, (s, x) in enumerate(zip(specs, xs)):
        if s is None or not isinstance(x, Tensor):
            continue
        where = f"Input {i} of layer {layer} is incompatible with the layer"
        rank = x.shape.rank
        if s.dtype is not None and x.dtype.name != s.dtype:
            raise ValueError(f"{where}: expected dtype={s.dtype}, found dtype={x.dtype.name}")
        if rank is None:
            continue
        if s.ndim is not None and rank != s.ndim:
            raise ValueError(f"{where}: expected ndim={s.ndim}, found ndim={rank}. Full shape received: {x.shape}")
        if s.max_ndim is not None and rank > s.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={s.max_ndim}, found ndim={rank}")
        if s.min_ndim is not None and rank < s.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={s.min_ndim}, found ndim={rank}. "
                             f"Full shape received: {x.shape}")
        dims = x.shape.as_list()
        for axis, size in s.axes.items():
            d = dims[axis] if -rank <= axis < rank else None
            if size is not None and d is not None and d != size:
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value {size} but "
                                 f"received input with shape {x.shape}")
        if s.shape is not None:
            for want, got in zip(s.shape, dims):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"{where}: expected shape={s.shape}, found shape={x.shape}")
