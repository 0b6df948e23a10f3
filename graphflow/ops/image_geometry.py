"""tf.image's geometry on 3-D ``[height, width, channels]`` and 4-D ``[batch, height, width,
channels]`` images: flips (random ones per image), rotations by quarter turns, crops and pads,
patches, total variation, finite-difference gradients and Sobel edges.

All of them compose slices, reversals, pads, concatenations and selects, so their gradients and
device lowerings are those ops'. Output sizes must be static; the ops whose output shape follows
from the input's or from static targets (flips, transposes, rot90 by a constant, central_crop,
crop_to_bounding_box, resize_image_with_crop_or_pad, total_variation, image_gradients) also take
a height and width known only at run time, the others need them static. Batch and channels may
be unknown. Random flips draw from graphflow's seeded uniform stream, so a fixed seed repeats but
the outcomes are not TF1's.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import pad
from graphflow.ops.concat_ops import concat, stack
from graphflow.ops.index_ops import reverse
from graphflow.ops.run_time_args import pad as pad_
from graphflow.ops.run_time_args import slice as slice_

__all__ = ["central_crop", "crop_to_bounding_box", "extract_image_patches", "flip_left_right", "flip_up_down",
           "image_gradients", "pad_to_bounding_box", "random_flip_left_right", "random_flip_up_down",
           "resize_image_with_crop_or_pad", "rot90", "sobel_edges", "total_variation", "transpose_image"]


def batched(image: TensorLike, what: str, ranks: tuple[int, ...] = (3, 4), static_hw: bool = True
            ) -> tuple[Tensor, bool]:
    """``image`` as a 4-D batch and whether it was one; checks the rank (and a static height/width)."""
    x = convert_to_tensor(image)
    if x.shape.rank not in ranks:
        want = " or ".join(f"{r}-D" for r in ranks)
        raise ValueError(f"{what}: image must be {want} [batch,] height, width, channels; got shape {x.shape}")
    x4 = x if x.shape.rank == 4 else S.expand_dims(x, 0)
    h, w = x4.shape.as_list()[1:3]
    if static_hw and (h is None or w is None):
        raise ValueError(f"{what}: graphflow needs the image's height and width known when the graph is built, "
                         f"got shape {x.shape}")
    return x4, x.shape.rank == 4


def unbatched(y: Tensor, is_batch: bool, name: str | None) -> Tensor:
    return M.add_name(y if is_batch else S.squeeze(y, [0]), name)


def _hw(x4: Tensor) -> tuple[int, int]:
    h, w = x4.shape.as_list()[1:3]
    return int(h), int(w)


def _flip(image: TensorLike, axis: int, what: str, name: str | None) -> Tensor:
    x4, is_batch = batched(image, what, static_hw=False)
    return unbatched(reverse(x4, [axis]), is_batch, name)


def flip_left_right(image: TensorLike, name: str | None = None) -> Tensor:
    """The image mirrored left to right.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.flip_left_right([[[1], [2]]])).tolist()
    [[[2], [1]]]
    """
    return _flip(image, 2, "flip_left_right", name)


def flip_up_down(image: TensorLike, name: str | None = None) -> Tensor:
    """The image mirrored top to bottom."""
    return _flip(image, 1, "flip_up_down", name)


def _random_flip(image: TensorLike, axis: int, seed: int | None, what: str, name: str | None) -> Tensor:
    x = convert_to_tensor(image)
    x4, is_batch = batched(x, what, static_hw=False)
    # TF 1.15: one coin for a 3-D image, one per image for a 4-D batch
    n = (S.shape(x4)[0] if x4.shape.as_list()[0] is None else x4.shape.as_list()[0]) if is_batch else 1
    coins = M.less(ST.random_uniform([n], 0.0, 1.0, seed=seed), 0.5)
    flip = S.reshape(coins, [-1, 1, 1, 1])
    return unbatched(M.where(flip, reverse(x4, [axis]), x4), is_batch, name)


def random_flip_left_right(image: TensorLike, seed: int | None = None, name: str | None = None) -> Tensor:
    """Mirrored left to right with probability 1/2 (each image of a batch on its own coin)."""
    return _random_flip(image, 2, seed, "random_flip_left_right", name)


def random_flip_up_down(image: TensorLike, seed: int | None = None, name: str | None = None) -> Tensor:
    """Mirrored top to bottom with probability 1/2 (each image of a batch on its own coin)."""
    return _random_flip(image, 1, seed, "random_flip_up_down", name)


def transpose_image(image: TensorLike, name: str | None = None) -> Tensor:
    """Height and width swapped."""
    x4, is_batch = batched(image, "transpose_image", static_hw=False)
    return unbatched(S.transpose(x4, [0, 2, 1, 3]), is_batch, name)


def _quarter_turns(x4: Tensor, k: int) -> Tensor:
    """``x4`` turned counter-clockwise ``k`` quarter turns (TF's rot90)."""
    k %= 4
    if k == 1:
        return S.transpose(reverse(x4, [2]), [0, 2, 1, 3])
    if k == 2:
        return reverse(x4, [1, 2])
    if k == 3:
        return reverse(S.transpose(x4, [0, 2, 1, 3]), [2])
    return x4


def rot90(image: TensorLike, k: TensorLike = 1, name: str | None = None) -> Tensor:
    """The image turned counter-clockwise by ``k`` quarter turns. A ``k`` computed at run time
    needs a square image (every turn then has one shape); the four turns are selected from.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.rot90([[[1], [2]], [[3], [4]]]))[..., 0].tolist()
    [[2, 4], [1, 3]]
    """
    x4, is_batch = batched(image, "rot90", static_hw=False)
    kv = static_value(k) if isinstance(k, Tensor) else np.asarray(k)
    if kv is not None:
        return unbatched(_quarter_turns(x4, int(kv)), is_batch, name)
    h, w = _hw(x4)
    if h != w:
        raise ValueError(f"rot90: k ({k.name}) is computed at run time, which graphflow supports for square images "
                         f"only (the output shape must be static); got {h}x{w}")
    turns = M.floormod(M.cast(k, _dt.int32), 4)
    y = x4
    for t in (1, 2, 3):
        y = M.where(M.equal(turns, t), _quarter_turns(x4, t), y)
    return unbatched(y, is_batch, name)


def _ints(v: TensorLike, what: str) -> int:
    sv = static_value(v) if isinstance(v, Tensor) else np.asarray(v)
    if sv is None:
        raise ValueError(f"{what} must be known when the graph is built in graphflow; {v.name} is computed at run time")
    return int(np.asarray(sv).reshape(()))


def crop_to_bounding_box(image: TensorLike, offset_height: TensorLike, offset_width: TensorLike,
                         target_height: TensorLike, target_width: TensorLike, name: str | None = None) -> Tensor:
    """The ``target_height x target_width`` window whose top-left corner is at the offsets."""
    x4, is_batch = batched(image, "crop_to_bounding_box", static_hw=False)
    h, w = x4.shape.as_list()[1:3]
    th, tw = _ints(target_height, "target_height"), _ints(target_width, "target_width")
    oh, ow = _maybe_int(offset_height), _maybe_int(offset_width)
    checks = [(th > 0, "target_height must be > 0."), (tw > 0, "target_width must be > 0.")]
    if isinstance(oh, int):
        checks += [(oh >= 0, "offset_height must be >= 0."),
                   (h is None or h >= th + oh, "height must be >= target + offset.")]
    if isinstance(ow, int):
        checks += [(ow >= 0, "offset_width must be >= 0."),
                   (w is None or w >= tw + ow, "width must be >= target + offset.")]
    for ok, msg in checks:
        if not ok:
            raise ValueError(f"crop_to_bounding_box: {msg} (image {h}x{w}, offsets {oh}, {ow}, target {th}x{tw})")
    if isinstance(oh, int) and isinstance(ow, int):
        return unbatched(x4[:, oh:oh + th, ow:ow + tw, :], is_batch, name)
    # run-time offsets: a slice whose begin is computed (its bounds are checked when it runs)
    begin = stack([0, M.cast(oh, _dt.int32), M.cast(ow, _dt.int32), 0])
    return unbatched(slice_(x4, begin, [-1, th, tw, -1]), is_batch, name)


def _maybe_int(v: TensorLike) -> int | Tensor:
    """``v`` as an int when it folds to one, else as a tensor."""
    sv = static_value(v) if isinstance(v, Tensor) else np.asarray(v)
    return int(np.asarray(sv).reshape(())) if sv is not None else v  # type: ignore[return-value]


def pad_to_bounding_box(image: TensorLike, offset_height: TensorLike, offset_width: TensorLike,
                        target_height: TensorLike, target_width: TensorLike, name: str | None = None) -> Tensor:
    """The image placed at the offsets on a ``target_height x target_width`` canvas of zeros."""
    x4, is_batch = batched(image, "pad_to_bounding_box")
    h, w = _hw(x4)
    oh, ow = _ints(offset_height, "offset_height"), _ints(offset_width, "offset_width")
    th, tw = _ints(target_height, "target_height"), _ints(target_width, "target_width")
    after_h, after_w = th - oh - h, tw - ow - w
    for ok, msg in ((oh >= 0, "offset_height must be >= 0"), (ow >= 0, "offset_width must be >= 0"),
                    (after_w >= 0, "width must be <= target - offset"),
                    (after_h >= 0, "height must be <= target - offset")):
        if not ok:
            raise ValueError(f"pad_to_bounding_box: {msg} (image {h}x{w}, offsets {oh}, {ow}, target {th}x{tw})")
    return unbatched(pad(x4, [[0, 0], [oh, after_h], [ow, after_w], [0, 0]]), is_batch, name)


def central_crop(image: TensorLike, central_fraction: float, name: str | None = None) -> Tensor:
    """The central ``central_fraction`` of the image along height and width (TF's rounding)."""
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError(f"central_crop: central_fraction must be within (0, 1], got {central_fraction}")
    x4, is_batch = batched(image, "central_crop", static_hw=False)
    if central_fraction == 1.0:
        return unbatched(x4, is_batch, name)
    h, w = x4.shape.as_list()[1:3]
    if h is not None and w is not None:
        top = int((h - h * central_fraction) / 2)
        left = int((w - w * central_fraction) / 2)
        return unbatched(x4[:, top:h - top, left:w - left, :], is_batch, name)
    # a run-time height or width: TF's float64 arithmetic on the dims, then a computed slice
    starts, sizes = [], []
    for axis, n in ((1, h), (2, w)):
        if n is not None:
            start: int | Tensor = int((n - n * central_fraction) / 2)
            size: int | Tensor = n - 2 * start
        else:
            nd = M.cast(S.shape(x4)[axis], _dt.float64)
            start = M.cast((nd - nd * central_fraction) / 2.0, _dt.int32)
            size = S.shape(x4)[axis] - 2 * start
        starts.append(start)
        sizes.append(size)
    begin = stack([0, M.cast(starts[0], _dt.int32), M.cast(starts[1], _dt.int32), 0])
    extent = stack([-1, M.cast(sizes[0], _dt.int32), M.cast(sizes[1], _dt.int32), -1])
    return unbatched(slice_(x4, begin, extent), is_batch, name)


def resize_image_with_crop_or_pad(image: TensorLike, target_height: TensorLike, target_width: TensorLike,
                                  name: str | None = None) -> Tensor:
    """Centrally cropped and/or zero-padded to ``target_height x target_width``."""
    x4, is_batch = batched(image, "resize_image_with_crop_or_pad", static_hw=False)
    h, w = x4.shape.as_list()[1:3]
    th, tw = _ints(target_height, "target_height"), _ints(target_width, "target_width")
    if th <= 0 or tw <= 0:
        raise ValueError(f"resize_image_with_crop_or_pad: target size must be > 0, got {th}x{tw}")
    if h is None or w is None:
        return unbatched(_crop_or_pad_run_time(x4, th, tw), is_batch, name)
    dh, dw = th - h, tw - w
    cropped = crop_to_bounding_box(x4, max(-dh // 2, 0), max(-dw // 2, 0), min(th, h), min(tw, w))
    y = pad_to_bounding_box(cropped, max(dh // 2, 0), max(dw // 2, 0), th, tw)
    return unbatched(y, is_batch, name)


def _crop_or_pad_run_time(x4: Tensor, th: int, tw: int) -> Tensor:
    """resize_image_with_crop_or_pad's offsets from the run-time height and width (TF's floor
    divisions), a computed slice and a computed pad."""
    begin, extent, pads = [0], [-1], [[0, 0]]
    for axis, target in ((1, th), (2, tw)):
        n = S.shape(x4)[axis]
        diff = target - n
        crop = M.minimum(n, target)
        before = M.maximum(M.floordiv(diff, 2), 0)
        begin.append(M.maximum(M.floordiv(-diff, 2), 0))
        extent.append(crop)
        pads.append([before, target - before - crop])
    cropped = slice_(x4, stack(begin + [0]), stack(extent + [-1]))
    y = pad_(cropped, stack([stack(p) for p in pads + [[0, 0]]]))
    y.set_shape([x4.shape.as_list()[0], th, tw, x4.shape.as_list()[3]])
    return y


def _window_taps(n: int, k: int, stride: int, rate: int, padding: str) -> tuple[int, int, int]:
    """(output size, padding before, padding after) of one axis, as TF's conv windows."""
    span = (k - 1) * rate + 1
    if padding == "SAME":
        out = -(-n // stride)
        total = max((out - 1) * stride + span - n, 0)
        return out, total // 2, total - total // 2
    return max(-(-(n - span + 1) // stride), 0), 0, 0


def _four(v: TensorLike, what: str) -> tuple[int, int]:
    vals = [int(a) for a in np.asarray(v).reshape(-1)]
    if len(vals) != 4 or vals[0] != 1 or vals[3] != 1:
        raise ValueError(f"extract_image_patches: {what} must be [1, rows, cols, 1], got {vals}")
    if vals[1] <= 0 or vals[2] <= 0:
        raise ValueError(f"extract_image_patches: {what} must be positive, got {vals}")
    return vals[1], vals[2]


def extract_image_patches(images: TensorLike, ksizes: TensorLike, strides: TensorLike, rates: TensorLike,
                          padding: str, name: str | None = None) -> Tensor:
    """``[batch, out_rows, out_cols, ksize_rows * ksize_cols * depth]``: each window's pixels, in
    row, column, channel order (``sizes`` is TF2's name for ``ksizes``).

    >>> import graphflow as gf
    >>> x = gf.reshape(gf.range(16), [1, 4, 4, 1])
    >>> gf.Session().run(gf.image.extract_image_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID"))[0, 0, 0]
    array([0, 1, 4, 5], dtype=int32)
    """
    x4, _ = batched(images, "extract_image_patches", (4,))
    padding = padding.upper() if isinstance(padding, str) else padding
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"extract_image_patches: padding must be 'SAME' or 'VALID', got {padding!r}")
    (kr, kc), (sr, sc), (rr, rc) = _four(ksizes, "ksizes"), _four(strides, "strides"), _four(rates, "rates")
    h, w = _hw(x4)
    oh, top, bottom = _window_taps(h, kr, sr, rr, padding)
    ow, left, right = _window_taps(w, kc, sc, rc, padding)
    xp = pad(x4, [[0, 0], [top, bottom], [left, right], [0, 0]]) if top + bottom + left + right else x4
    taps = []
    for i in range(kr):
        for j in range(kc):
            r0, c0 = i * rr, j * rc
            taps.append(xp[:, r0:r0 + (oh - 1) * sr + 1:sr, c0:c0 + (ow - 1) * sc + 1:sc, :])
    return concat(taps, axis=3, name=name or "ExtractImagePatches")


def total_variation(images: TensorLike, name: str | None = None) -> Tensor:
    """The sum of absolute differences of neighbouring pixels: a scalar for a 3-D image, one per
    image for a 4-D batch."""
    x = convert_to_tensor(images)
    x4, is_batch = batched(x, "total_variation", static_hw=False)
    d1 = x4[:, 1:, :, :] - x4[:, :-1, :, :]
    d2 = x4[:, :, 1:, :] - x4[:, :, :-1, :]
    axes = [1, 2, 3] if is_batch else None
    tv = R.reduce_sum(M.abs(d1), axis=axes) + R.reduce_sum(M.abs(d2), axis=axes)
    return M.add_name(tv, name)


def image_gradients(image: TensorLike) -> tuple[Tensor, Tensor]:
    """``(dy, dx)``: forward differences down and across a 4-D batch, zero in the last row/column."""
    x4, _ = batched(image, "image_gradients", (4,), static_hw=False)
    dy = x4[:, 1:, :, :] - x4[:, :-1, :, :]
    dx = x4[:, :, 1:, :] - x4[:, :, :-1, :]
    dy = pad(dy, [[0, 0], [0, 1], [0, 0], [0, 0]])
    dx = pad(dx, [[0, 0], [0, 0], [0, 1], [0, 0]])
    return dy, dx


_SOBEL_Y = ((-1, -2, -1), (0, 0, 0), (1, 2, 1))


def sobel_edges(image: TensorLike) -> Tensor:
    """``[batch, h, w, d, 2]``: the Sobel responses (dy, dx) per channel of a 4-D batch, over the
    image reflected by one pixel at its borders."""
    x4, _ = batched(image, "sobel_edges", (4,))
    h, w = _hw(x4)
    xp = pad(x4, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")

    def respond(kernel: Callable[[int, int], int]) -> Tensor:
        acc = None
        for i in range(3):
            for j in range(3):
                c = kernel(i, j)
                if c:
                    term = xp[:, i:i + h, j:j + w, :] * M.cast(c, x4.dtype)
                    acc = term if acc is None else acc + term
        assert acc is not None
        return acc

    return stack([respond(lambda i, j: _SOBEL_Y[i][j]), respond(lambda i, j: _SOBEL_Y[j][i])], axis=-1)
