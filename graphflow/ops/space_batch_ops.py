"""Space-to-batch and back as pads, reshapes and transposes (static spatial dims, any batch), and
``with_space_to_batch``: a dilated op run as its undilated form on the space-to-batch image, the
way TF1 runs atrous convolution and dilated pooling.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops.array_ops import pad, stack
from graphflow.ops.elementwise_ops import add_name
from graphflow.ops.shape_ops import reshape, transpose
from graphflow.ops.state_ops import constant, zeros, zeros_like

__all__ = ["batch_to_space", "batch_to_space_nd", "required_space_to_batch_paddings", "space_to_batch",
           "space_to_batch_nd", "with_space_to_batch"]


def _static(value: TensorLike, what: str) -> np.ndarray:
    v = static_value(value) if isinstance(value, Tensor) else np.asarray(value)
    if v is None:
        raise ValueError(f"{what} must be known when the graph is built, got {value}")
    return np.asarray(v).astype(np.int64)


def _dims(x: Tensor, m: int, what: str) -> list[int]:
    dims = x.shape.as_list() if x.shape.rank is not None else None
    if dims is None or len(dims) < m + 1 or None in dims[1:]:
        raise ValueError(f"{what} needs static dims after the batch, got {x.name} of shape {x.shape}")
    return dims[1:]  # type: ignore[return-value]


def space_to_batch_nd(input: TensorLike, block_shape: TensorLike, paddings: TensorLike,  # noqa: A002
                      name: str | None = None) -> Tensor:
    """Pad the M spatial dims after the batch, cut them into ``block_shape`` blocks and move each
    block offset into the batch (offset-major, as TF1).

    >>> import graphflow as gf
    >>> gf.nn.space_to_batch(gf.zeros((1, 4, 4, 3)), [[0, 0], [0, 0]], 2).shape.as_list()
    [4, 2, 2, 3]
    """
    x = convert_to_tensor(input)
    block = _static(block_shape, "block_shape").reshape(-1).tolist()
    pads = _static(paddings, "paddings").reshape(-1, 2).tolist()
    m = len(block)
    dims = _dims(x, m, "space_to_batch_nd")
    spatial, rest = dims[:m], dims[m:]
    padded = [s + p[0] + p[1] for s, p in zip(spatial, pads)]
    for i, (p, b) in enumerate(zip(padded, block)):
        if p % b:
            raise ValueError(f"space_to_batch_nd: padded spatial dim {i} ({p}) is not a multiple of the block {b}")
    xp = pad(x, [[0, 0], *pads] + [[0, 0]] * len(rest)) if any(v for p in pads for v in p) else x
    split: list[int] = [-1]
    for p, b in zip(padded, block):
        split += [p // b, b]
    y = reshape(xp, split + rest)
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
    perm += [2 * m + 1 + j for j in range(len(rest))]
    y = transpose(y, perm)
    return add_name(reshape(y, [-1] + [p // b for p, b in zip(padded, block)] + rest), name)


def batch_to_space_nd(input: TensorLike, block_shape: TensorLike, crops: TensorLike,  # noqa: A002
                      name: str | None = None) -> Tensor:
    """The inverse of ``space_to_batch_nd``: move the block offsets back into space, then crop."""
    x = convert_to_tensor(input)
    block = _static(block_shape, "block_shape").reshape(-1).tolist()
    crop = _static(crops, "crops").reshape(-1, 2).tolist()
    m = len(block)
    dims = _dims(x, m, "batch_to_space_nd")
    spatial, rest = dims[:m], dims[m:]
    y = reshape(x, block + [-1] + spatial + rest)
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    perm += [2 * m + 1 + j for j in range(len(rest))]
    y = reshape(transpose(y, perm), [-1] + [s * b for s, b in zip(spatial, block)] + rest)
    if any(v for c in crop for v in c):
        index: list[slice] = [slice(None)]
        index += [slice(c[0], s * b - c[1]) for s, b, c in zip(spatial, block, crop)]
        y = y[tuple(index)]
    return add_name(y, name)


def space_to_batch(input: TensorLike, paddings: TensorLike, block_size: int | None = None,  # noqa: A002
                   name: str | None = None, block_shape: int | None = None) -> Tensor:
    """TF1's 2-D form: ``space_to_batch_nd`` of the height and width with a square block."""
    size = block_size if block_size is not None else block_shape
    if size is None:
        raise TypeError("space_to_batch needs block_size")
    return space_to_batch_nd(input, [int(size), int(size)], paddings, name=name)


def batch_to_space(input: TensorLike, crops: TensorLike, block_size: int | None = None,  # noqa: A002
                   name: str | None = None, block_shape: int | None = None) -> Tensor:
    """TF1's 2-D form: ``batch_to_space_nd`` of the height and width with a square block.

    >>> import graphflow as gf
    >>> gf.batch_to_space(gf.zeros((4, 1, 1, 3)), [[0, 0], [0, 0]], 2).shape.as_list()
    [1, 2, 2, 3]
    """
    size = block_size if block_size is not None else block_shape
    if size is None:
        raise TypeError("batch_to_space needs block_size")
    return batch_to_space_nd(input, [int(size), int(size)], crops, name=name)


def required_space_to_batch_paddings(input_shape: TensorLike, block_shape: TensorLike,
                                     base_paddings: TensorLike | None = None,
                                     name: str | None = None) -> tuple[Tensor, Tensor]:
    """(paddings, crops), int32 ``[M, 2]``: ``base_paddings`` with the end of each spatial dim
    padded up to a multiple of its block, and the crops that take the extra off again. Computed
    when the graph is built where the shapes are known, as graph ops otherwise.

    >>> import graphflow as gf
    >>> p, c = gf.required_space_to_batch_paddings([5, 4], [2, 2])
    >>> p.shape.as_list()
    [2, 2]
    """
    shape_t = convert_to_tensor(input_shape, dtype=_dt.int32)
    block_t = convert_to_tensor(block_shape, dtype=_dt.int32)
    if block_t.shape.rank != 1 or block_t.shape.as_list()[0] is None:
        raise ValueError(f"block_shape must be a vector of known length, got shape {block_t.shape}")
    m = block_t.shape.as_list()[0]
    if m == 0:
        return zeros([0, 2], _dt.int32), zeros([0, 2], _dt.int32)
    shape_t.shape.assert_is_compatible_with([m])
    base_t = zeros([m, 2], _dt.int32) if base_paddings is None else convert_to_tensor(base_paddings, dtype=_dt.int32)
    base_t.shape.assert_is_compatible_with([m, 2])
    known = [static_value(t) for t in (shape_t, block_t, base_t)]
    if all(k is not None for k in known):  # TF1 computes it with numpy then
        shape_v, block_v, base_v = (np.asarray(k).astype(np.int32) for k in known)
        pad_end_extra = (block_v - (shape_v + base_v[:, 0] + base_v[:, 1]) % block_v) % block_v
        paddings = np.stack([base_v[:, 0], base_v[:, 1] + pad_end_extra], axis=1)
        crops = np.stack([np.zeros_like(pad_end_extra), pad_end_extra], axis=1)
        return (constant(paddings, _dt.int32, name=f"{name or 'required_space_to_batch_paddings'}/paddings"),
                constant(crops, _dt.int32, name=f"{name or 'required_space_to_batch_paddings'}/crops"))
    pad_start, orig_pad_end = base_t[:, 0], base_t[:, 1]
    extra = (block_t - (shape_t + pad_start + orig_pad_end) % block_t) % block_t
    paddings_t = stack([pad_start, orig_pad_end + extra], axis=1, name="paddings")
    crops_t = stack([zeros_like(extra), extra], axis=1, name="crops")
    return paddings_t, crops_t


def with_space_to_batch(input: TensorLike, dilation_rate: Sequence[int] | int, padding: str,  # noqa: A002
                        op: Callable[[Tensor, int, str], Tensor], filter_shape: Sequence[int] | None = None,
                        spatial_dims: Sequence[int] | None = None, data_format: str | None = None) -> Tensor:
    """``op(input, num_spatial_dims, padding)`` with its windows dilated by ``dilation_rate``:
    ``op`` runs undilated (and VALID) on the space-to-batch image, as TF1."""
    x = convert_to_tensor(input)
    rate = np.atleast_1d(np.asarray(dilation_rate)).astype(np.int64).tolist()
    n = len(rate)
    if data_format is not None and data_format.startswith("NC"):
        raise ValueError("with_space_to_batch supports channels-last data formats only")
    if spatial_dims is not None and list(spatial_dims) != list(range(1, n + 1)):
        raise ValueError(f"with_space_to_batch supports spatial_dims 1..{n}, got {list(spatial_dims)}")
    if all(r == 1 for r in rate):
        return op(x, n, padding)
    mode = padding.upper()
    if mode == "SAME":
        if filter_shape is None:
            raise ValueError("with_space_to_batch needs filter_shape with SAME padding")
        extra = [(int(f) - 1) * r for f, r in zip(filter_shape, rate)]
        base = [[e // 2, e - e // 2] for e in extra]
    elif mode == "VALID":
        base = [[0, 0] for _ in rate]
    else:
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    spatial = _dims(x, n, "with_space_to_batch")[:n]
    paddings, crops = [], []
    for s, r, (b0, b1) in zip(spatial, rate, base):
        end_extra = (r - (s + b0 + b1) % r) % r
        paddings.append([b0, b1 + end_extra])
        crops.append([0, end_extra])
    converted = space_to_batch_nd(x, rate, paddings)
    return batch_to_space_nd(op(converted, n, "VALID"), rate, crops)
