"""Boxes on images: ``crop_and_resize`` (bilinear or nearest samples of boxes, composed of gathers
and arithmetic so it is compiled and differentiable wrt the image and the boxes),
``non_max_suppression`` and ``draw_bounding_boxes`` (data-dependent loops and outputs, run on the
host by numpy like TF1's CPU kernels; TF1 gives them no gradient either).

Boxes are ``[y1, x1, y2, x2]`` in coordinates normalised to ``[0, 1]`` over ``height - 1`` and
``width - 1``, as TF1's.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import elementwise_ops as M
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import gather
from graphflow.ops.py_func_ops import py_func
from graphflow.ops.slice_ops import static_ints

__all__ = ["crop_and_resize", "distorted_box", "draw_bounding_boxes", "greedy_nms", "nms_indices",
           "non_max_suppression", "non_max_suppression_overlaps", "non_max_suppression_padded",
           "non_max_suppression_with_scores", "sample_distorted_bounding_box", "soft_nms"]


def _axis_samples(lo: Tensor, hi: Tensor, n_img: int, n_out: int) -> Tensor:
    """``[boxes, n_out]`` sample coordinates along one axis, in pixels (TF's CropAndResize rule)."""
    span = float(n_img - 1)
    if n_out > 1:
        steps = ST.constant(np.arange(n_out, dtype=np.float32))
        return S.expand_dims(lo * span, 1) + S.expand_dims((hi - lo) * (span / (n_out - 1)), 1) * steps
    return S.expand_dims(0.5 * (lo + hi) * span, 1)


def crop_and_resize(image: TensorLike, boxes: TensorLike, box_ind: TensorLike | None = None,
                    crop_size: TensorLike | None = None, method: str = "bilinear", extrapolation_value: float = 0.0,
                    name: str | None = None, box_indices: TensorLike | None = None) -> Tensor:
    """``[num_boxes, crop_h, crop_w, depth]`` float32 crops of ``image[box_ind[i]]`` inside
    ``boxes[i]``, sampled on a regular grid; samples outside the image are ``extrapolation_value``.

    >>> import graphflow as gf
    >>> img = gf.reshape(gf.range(9.0), [1, 3, 3, 1])
    >>> gf.Session().run(gf.image.crop_and_resize(img, [[0.0, 0.0, 1.0, 1.0]], [0], [2, 2]))[0, :, :, 0].tolist()
    [[0.0, 2.0], [6.0, 8.0]]
    """
    ind = box_indices if box_ind is None else box_ind
    if ind is None or crop_size is None:
        raise ValueError("crop_and_resize needs box_ind (box_indices) and crop_size")
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"crop_and_resize: method must be 'bilinear' or 'nearest', got {method!r}")
    x = M.cast(convert_to_tensor(image), _dt.float32)
    if x.shape.rank != 4 or None in x.shape.as_list()[1:]:
        raise ValueError(f"crop_and_resize: image must be 4-D [batch, height, width, depth] with static "
                         f"height, width and depth, got {x.shape}")
    _, h, w, d = x.shape.as_list()
    ch, cw = static_ints(crop_size, "crop_and_resize crop_size")
    if ch <= 0 or cw <= 0:
        raise ValueError(f"crop_and_resize: crop_size must be positive, got [{ch}, {cw}]")
    bx = M.cast(convert_to_tensor(boxes), _dt.float32)
    bi = M.cast(convert_to_tensor(ind), _dt.int32)
    ys = _axis_samples(bx[:, 0], bx[:, 2], h, ch)  # [n, ch]
    xs = _axis_samples(bx[:, 1], bx[:, 3], w, cw)  # [n, cw]
    y3, x3 = S.expand_dims(ys, 2), S.expand_dims(xs, 1)
    inside = M.logical_and(M.logical_and(y3 >= 0.0, y3 <= h - 1.0), M.logical_and(x3 >= 0.0, x3 <= w - 1.0))
    flat = S.reshape(x, [-1, d])
    base = S.reshape(bi, [-1, 1, 1]) * (h * w)

    def at(yi: Tensor, xi: Tensor) -> Tensor:
        yc = M.clip_by_value(M.cast(yi, _dt.int32), 0, h - 1)
        xc = M.clip_by_value(M.cast(xi, _dt.int32), 0, w - 1)
        return gather(flat, base + yc * w + xc)  # [n, ch, cw, d]

    if method == "nearest":
        # TF rounds half away from zero; the samples in range are >= 0
        val = at(M.floor(y3 + 0.5) + 0.0 * x3, M.floor(x3 + 0.5) + 0.0 * y3)
    else:
        top, left = M.floor(y3), M.floor(x3)
        bottom, right = M.ceil(y3), M.ceil(x3)
        ly, lx = S.expand_dims(y3 - top, 3), S.expand_dims(x3 - left, 3)
        t = at(top + 0.0 * x3, left + 0.0 * y3) + (at(top + 0.0 * x3, right + 0.0 * y3)
                                                    - at(top + 0.0 * x3, left + 0.0 * y3)) * lx
        b = at(bottom + 0.0 * x3, left + 0.0 * y3) + (at(bottom + 0.0 * x3, right + 0.0 * y3)
                                                       - at(bottom + 0.0 * x3, left + 0.0 * y3)) * lx
        val = t + (b - t) * ly
    out = M.where(S.expand_dims(inside, 3), val, M.cast(extrapolation_value, _dt.float32))
    return M.add_name(out, name or "CropAndResize")


def greedy_nms(scores: np.ndarray, max_output_size: int, score_threshold: float,
               suppresses: Callable[[int, int], bool]) -> np.ndarray:
    """TF's greedy non-max suppression: candidates above ``score_threshold`` by descending score
    (lower index first on ties), each kept unless ``suppresses(candidate, kept)`` for a kept one."""
    s = np.asarray(scores, np.float32).reshape(-1)
    keep: list[int] = []
    for i in sorted(np.flatnonzero(s > np.float32(score_threshold)), key=lambda j: (-s[j], j)):
        if len(keep) >= max_output_size:
            break
        if not any(suppresses(int(i), j) for j in keep):
            keep.append(int(i))
    return np.asarray(keep, np.int32)


def nms_indices(boxes: np.ndarray, scores: np.ndarray, max_output_size: int, iou_threshold: float,
                score_threshold: float) -> np.ndarray:
    """NonMaxSuppressionV3 on numpy arrays: a box is suppressed by a kept one whose IoU with it
    exceeds ``iou_threshold`` (boxes of no area suppress nothing).

    >>> nms_indices(np.array([[0, 0, 1, 1], [0, 0, 1, 0.9], [2, 2, 3, 3]]), np.array([0.9, 0.8, 0.7]), 3, 0.5,
    ...             -np.inf).tolist()
    [0, 2]
    """
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    if len(b) != np.size(scores):
        raise ValueError(f"non_max_suppression: boxes has {len(b)} rows but scores has {np.size(scores)} entries")
    y1, y2 = np.minimum(b[:, 0], b[:, 2]), np.maximum(b[:, 0], b[:, 2])
    x1, x2 = np.minimum(b[:, 1], b[:, 3]), np.maximum(b[:, 1], b[:, 3])
    area = (y2 - y1) * (x2 - x1)

    def iou_over(i: int, j: int) -> bool:
        if area[i] <= 0 or area[j] <= 0:
            return False
        inter = max(min(y2[i], y2[j]) - max(y1[i], y1[j]), 0.0) * max(min(x2[i], x2[j]) - max(x1[i], x1[j]), 0.0)
        return bool(inter / (area[i] + area[j] - inter) > iou_threshold)
    return greedy_nms(scores, max_output_size, score_threshold, iou_over)


def _nms_args(boxes: TensorLike, scores: TensorLike, max_output_size: TensorLike, threshold: TensorLike,
              score_threshold: TensorLike) -> list[Tensor]:
    return [M.cast(convert_to_tensor(boxes), _dt.float32), M.cast(convert_to_tensor(scores), _dt.float32),
            convert_to_tensor(max_output_size), convert_to_tensor(threshold, dtype=_dt.float32),
            convert_to_tensor(score_threshold, dtype=_dt.float32)]


def _boxes_nms(b: np.ndarray, s: np.ndarray, m: np.ndarray, iou: np.ndarray, st: np.ndarray) -> np.ndarray:
    if not 0.0 <= float(iou) <= 1.0:
        raise ValueError(f"non_max_suppression: iou_threshold must be in [0, 1], got {float(iou)}")
    if int(m) < 0:
        raise ValueError(f"non_max_suppression: max_output_size must be >= 0, got {int(m)}")
    return nms_indices(b, s, int(m), float(iou), float(st))


def _vector(t: Tensor, n: int | None = None) -> Tensor:
    t.set_shape([n])
    return t


def non_max_suppression(boxes: TensorLike, scores: TensorLike, max_output_size: TensorLike,
                        iou_threshold: TensorLike = 0.5, score_threshold: TensorLike = float("-inf"),
                        name: str | None = None) -> Tensor:
    """``[<= max_output_size]`` int32 indices of the boxes greedy non-max suppression keeps (a host op)."""
    args = _nms_args(boxes, scores, max_output_size, iou_threshold, score_threshold)
    return _vector(py_func(_boxes_nms, args, _dt.int32, stateful=False, name=name or "NonMaxSuppressionV3"))


def _iou_matrix(boxes: np.ndarray) -> np.ndarray:
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    y1, y2 = np.minimum(b[:, 0], b[:, 2]), np.maximum(b[:, 0], b[:, 2])
    x1, x2 = np.minimum(b[:, 1], b[:, 3]), np.maximum(b[:, 1], b[:, 3])
    area = (y2 - y1) * (x2 - x1)
    ih = np.maximum(np.minimum(y2[:, None], y2) - np.maximum(y1[:, None], y1), 0)
    iw = np.maximum(np.minimum(x2[:, None], x2) - np.maximum(x1[:, None], x1), 0)
    inter = ih * iw
    with np.errstate(all="ignore"):
        iou = inter / (area[:, None] + area - inter)
    return np.where((area[:, None] <= 0) | (area <= 0), np.float32(0), iou).astype(np.float32)


def soft_nms(boxes: np.ndarray, scores: np.ndarray, max_output_size: int, iou_threshold: float,
             score_threshold: float, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """TF's NonMaxSuppressionV5: with ``sigma`` > 0 each candidate's score decays by
    ``exp(-iou^2 / (2 sigma))`` against every box selected since it was last scored, and it is
    re-queued (selected once no box decays it); with ``sigma`` 0 it is hard NMS."""
    s = np.asarray(scores, np.float32).reshape(-1)
    iou = _iou_matrix(boxes)
    soft = sigma > 0
    scale = np.float32(-0.5 / sigma) if soft else np.float32(0)
    heap = [(-s[i], int(i), 0) for i in np.flatnonzero(s > np.float32(score_threshold))]
    heapq.heapify(heap)
    picked: list[int] = []
    picked_scores: list[np.float32] = []
    while len(picked) < max_output_size and heap:
        neg, i, begin = heapq.heappop(heap)
        score = original = np.float32(-neg)
        hard = False
        for j in range(len(picked) - 1, begin - 1, -1):
            sim = iou[i, picked[j]]
            weight = np.exp(scale * sim * sim).astype(np.float32)
            score = np.float32(score * (weight if soft or sim <= iou_threshold else np.float32(0)))
            if not soft and sim > iou_threshold:
                hard = True
                break
            if score <= score_threshold:
                break
        if hard:
            continue
        if score == original:
            picked.append(i)
            picked_scores.append(score)
        elif score > score_threshold:
            heapq.heappush(heap, (-score, i, len(picked)))
    return np.asarray(picked, np.int32), np.asarray(picked_scores, np.float32)


def non_max_suppression_with_scores(boxes: TensorLike, scores: TensorLike, max_output_size: TensorLike,
                                    iou_threshold: TensorLike = 0.5, score_threshold: TensorLike = float("-inf"),
                                    soft_nms_sigma: float = 0.0, name: str | None = None) -> tuple[Tensor, Tensor]:
    """``(selected_indices, selected_scores)``: hard NMS for ``soft_nms_sigma`` 0, else soft NMS
    (Gaussian score decay), as TF's NonMaxSuppressionV5."""
    args = _nms_args(boxes, scores, max_output_size, iou_threshold, score_threshold)
    sigma = float(soft_nms_sigma)
    if sigma < 0:
        raise ValueError(f"non_max_suppression_with_scores: soft_nms_sigma must be >= 0, got {sigma}")

    def run(b: np.ndarray, s: np.ndarray, m: np.ndarray, iou: np.ndarray, st: np.ndarray) -> tuple:
        _boxes_nms(b, s, np.int32(0), iou, st)  # the argument checks
        return soft_nms(b, s, int(m), float(iou), float(st), sigma)
    idx, sc = py_func(run, args, [_dt.int32, _dt.float32], stateful=False, name=name or "NonMaxSuppressionV5")
    return _vector(idx), _vector(sc)


def non_max_suppression_padded(boxes: TensorLike, scores: TensorLike, max_output_size: TensorLike,
                               iou_threshold: TensorLike = 0.5, score_threshold: TensorLike = float("-inf"),
                               pad_to_max_output_size: bool = False, name: str | None = None) -> tuple[Tensor, Tensor]:
    """``(selected_indices, valid_outputs)``; with ``pad_to_max_output_size`` the indices are
    zero-padded to ``max_output_size`` (TF 1.15's NonMaxSuppressionV4)."""
    args = _nms_args(boxes, scores, max_output_size, iou_threshold, score_threshold)

    def run(b: np.ndarray, s: np.ndarray, m: np.ndarray, iou: np.ndarray, st: np.ndarray) -> tuple:
        idx = _boxes_nms(b, s, m, iou, st)
        valid = np.int32(len(idx))
        if pad_to_max_output_size:
            idx = np.concatenate([idx, np.zeros(int(m) - len(idx), np.int32)])
        return idx, valid
    idx, valid = py_func(run, args, [_dt.int32, _dt.int32], stateful=False, name=name or "NonMaxSuppressionV4")
    valid.set_shape([])
    return _vector(idx), valid


def non_max_suppression_overlaps(overlaps: TensorLike, scores: TensorLike, max_output_size: TensorLike,
                                 overlap_threshold: TensorLike = 0.5, score_threshold: TensorLike = float("-inf"),
                                 name: str | None = None) -> Tensor:
    """Greedy non-max suppression by a given ``[n, n]`` overlap matrix: a candidate is suppressed
    by a kept box whose overlap with it exceeds ``overlap_threshold``."""
    args = _nms_args(overlaps, scores, max_output_size, overlap_threshold, score_threshold)

    def run(o: np.ndarray, s: np.ndarray, m: np.ndarray, t: np.ndarray, st: np.ndarray) -> np.ndarray:
        ov = np.asarray(o, np.float32)
        if ov.ndim != 2 or ov.shape[0] != ov.shape[1] or ov.shape[0] != np.size(s):
            raise ValueError(f"non_max_suppression_overlaps: overlaps must be [n, n] for n scores, got {ov.shape}")
        return greedy_nms(s, int(m), float(st), lambda i, j: bool(ov[i, j] > np.float32(t)))
    return _vector(py_func(run, args, _dt.int32, stateful=False, name=name or "NonMaxSuppressionWithOverlaps"))


_COLORS = np.array([[1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1], [0.5, 0, 0.5, 1], [0.5, 0.5, 0, 1],
                    [0.5, 0, 0, 1], [0, 0, 0.5, 1], [0, 1, 1, 1], [1, 0, 1, 1]], np.float32)


def _draw(images: np.ndarray, boxes: np.ndarray, colors: np.ndarray) -> np.ndarray:
    out = np.array(images, copy=True)
    _, h, w, d = out.shape
    if d == 1:  # TF draws every box in 1 on a single-channel image
        colors = np.array(colors, copy=True)
        colors[:, 0] = 1
    for b in range(out.shape[0]):
        for k, box in enumerate(np.asarray(boxes[b], np.float32)):
            color = colors[k % len(colors)][:d]
            r0, c0 = int(box[0] * np.float32(h - 1)), int(box[1] * np.float32(w - 1))
            r1, c1 = int(box[2] * np.float32(h - 1)), int(box[3] * np.float32(w - 1))
            if r0 > r1 or c0 > c1 or r0 >= h or r1 < 0 or c0 >= w or c1 < 0:
                continue
            rc0, rc1, cc0, cc1 = max(r0, 0), min(r1, h - 1), max(c0, 0), min(c1, w - 1)
            if r0 >= 0:
                out[b, r0, cc0:cc1 + 1] = color
            if r1 < h:
                out[b, r1, cc0:cc1 + 1] = color
            if c0 >= 0:
                out[b, rc0:rc1 + 1, c0] = color
            if c1 < w:
                out[b, rc0:rc1 + 1, c1] = color
    return out


def draw_bounding_boxes(images: TensorLike, boxes: TensorLike, name: str | None = None,
                        colors: TensorLike | None = None) -> Tensor:
    """``images`` (4-D float, depth 1, 3 or 4) with each box's outline drawn one pixel wide, in
    TF's colour cycle (or ``colors``, ``[n, 4]`` RGBA); a host op."""
    x = convert_to_tensor(images)
    if x.shape.rank != 4 or x.shape.as_list()[3] not in (1, 3, 4):
        raise ValueError(f"draw_bounding_boxes: images must be 4-D with depth 1, 3 or 4, got {x.shape}")
    table = _COLORS if colors is None else None
    inputs = [x, M.cast(convert_to_tensor(boxes), _dt.float32)]
    if table is None:
        inputs.append(M.cast(convert_to_tensor(colors), _dt.float32))

    def run(img: np.ndarray, bx: np.ndarray, *cols: np.ndarray) -> np.ndarray:
        return _draw(img, bx, np.asarray(cols[0], np.float32).reshape(-1, 4) if cols else _COLORS)
    out = py_func(run, inputs, x.dtype, stateful=False, name=name or "DrawBoundingBoxes")
    out.set_shape(x.shape)
    return out


def _random_crop_rect(u: np.ndarray, h: int, w: int, ar: float, min_area: float, max_area: float) -> tuple | None:
    """TF's GenerateRandomCrop for one attempt with aspect ratio ``ar``; ``u[1:4]`` are its three
    uniform draws (height pick, y, x). Returns (y, x, height, width) or None."""
    f32 = np.float32
    height = int(np.rint(np.sqrt(f32(min_area) / f32(ar))))
    max_height = int(np.rint(np.sqrt(f32(max_area) / f32(ar))))
    if int(np.rint(f32(max_height) * f32(ar))) > w:
        max_height = int((w + 0.5 - 1e-7) / ar)
        if int(np.rint(f32(max_height) * f32(ar))) > w:
            max_height -= 1
    max_height = min(max_height, h)
    height = min(height, max_height)
    if height < max_height:
        height += int(u[1] * (max_height - height + 1))
    width = int(np.rint(f32(height) * f32(ar)))
    if width * height < min_area:
        height += 1
        width = int(np.rint(f32(height) * f32(ar)))
    if width * height < min_area:
        return None
    if width * height > max_area:
        height -= 1
        width = int(np.rint(f32(height) * f32(ar)))
    area = width * height
    if area < min_area or area > max_area or width > w or height > h or width <= 0 or height <= 0:
        return None
    y = int(u[2] * (h - height)) if height < h else 0
    x = int(u[3] * (w - width)) if width < w else 0
    return y, x, height, width


def distorted_box(draws: np.ndarray, image_size: np.ndarray, boxes: np.ndarray, min_object_covered: float,
                  aspect_ratio_range: tuple[float, float], area_range: tuple[float, float],
                  use_image_if_no_bounding_boxes: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TF's SampleDistortedBoundingBoxV2 on numpy values; ``draws`` is ``[max_attempts, 4]``
    uniforms in [0, 1) (aspect ratio, height, y, x per attempt)."""
    h, w = int(image_size[0]), int(image_size[1])
    if h <= 0 or w <= 0:
        raise ValueError(f"sample_distorted_bounding_box: image height and width must be positive, got {h}x{w}")
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    if len(b) == 0:
        if not use_image_if_no_bounding_boxes:
            raise ValueError("sample_distorted_bounding_box: no bounding boxes provided as input; enable "
                             "use_image_if_no_bounding_boxes to sample without them")
        b = np.array([[0, 0, 1, 1]], np.float32)
    rects = [(int(y0 * h), int(x0 * w), int(y1 * h), int(x1 * w)) for y0, x0, y1, x1 in b]
    lo_ar, hi_ar = aspect_ratio_range
    min_area, max_area = area_range[0] * w * h, area_range[1] * w * h
    crop = (0, 0, h, w)
    for u in np.asarray(draws, np.float64):
        ar = float(np.float32(lo_ar + u[0] * (hi_ar - lo_ar)))
        rect = _random_crop_rect(u, h, w, ar, min_area, max_area)
        if rect is None:
            continue
        y, x, ch, cw = rect
        if ch * cw < 1:
            continue
        hit = False
        for ry0, rx0, ry1, rx1 in rects:
            area = (ry1 - ry0) * (rx1 - rx0)
            if area < 1:
                continue
            inter = max(min(y + ch, ry1) - max(y, ry0), 0) * max(min(x + cw, rx1) - max(x, rx0), 0)
            if inter / area >= min_object_covered:
                hit = True
                break
        if hit:
            crop = rect
            break
    y, x, ch, cw = crop
    box = np.array([[[y / h, x / w, (y + ch) / h, (x + cw) / w]]], np.float32)
    return np.array([y, x, 0]), np.array([ch, cw, -1]), box


def sample_distorted_bounding_box(image_size: TensorLike, bounding_boxes: TensorLike, seed: int | None = None,
                                  seed2: int | None = None, min_object_covered: float = 0.1,
                                  aspect_ratio_range: tuple[float, float] | None = None,
                                  area_range: tuple[float, float] | None = None, max_attempts: int | None = None,
                                  use_image_if_no_bounding_boxes: bool | None = None,
                                  name: str | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """``(begin, size, bboxes)``: a random crop of an image of ``image_size`` ``[h, w, c]`` with an
    aspect ratio in ``aspect_ratio_range``, an area fraction in ``area_range`` and at least
    ``min_object_covered`` of some box inside it (the whole image when ``max_attempts`` fail), as
    TF's kernel chooses it; the draws come from graphflow's seeded uniform stream."""
    ar = tuple(aspect_ratio_range or (0.75, 1.33))
    area = tuple(area_range or (0.05, 1.0))
    attempts = int(max_attempts or 100)
    use_image = bool(use_image_if_no_bounding_boxes)
    if not (0 < ar[0] <= ar[1]) or not (0 < area[0] <= area[1] <= 1):
        raise ValueError(f"sample_distorted_bounding_box: bad aspect_ratio_range {ar} or area_range {area}")
    size_t = convert_to_tensor(image_size)
    draws = ST.random_uniform([attempts, 4], dtype=_dt.float64, seed=seed)
    cover = float(min_object_covered)

    def run(d: np.ndarray, s: np.ndarray, b: np.ndarray) -> tuple:
        begin, size, box = distorted_box(d, s, b, cover, ar, area, use_image)  # type: ignore[arg-type]
        return begin.astype(s.dtype), size.astype(s.dtype), box
    begin, size, box = py_func(run, [draws, size_t, M.cast(convert_to_tensor(bounding_boxes), _dt.float32)],
                               [size_t.dtype, size_t.dtype, _dt.float32], stateful=True,
                               name=name or "SampleDistortedBoundingBoxV2")
    begin.set_shape([3])
    size.set_shape([3])
    box.set_shape([1, 1, 4])
    return begin, size, box
