"""tf.image's geometry: resizing, crops and pads, flips and rotations, patches, boxes (TF 1.15's
names, arguments and dtypes; the ops are graphflow.ops.image_resize, image_geometry, image_boxes)."""
from __future__ import annotations

import numpy as np

from graphflow.core.ir import Tensor
from graphflow.core.types import TensorLike
from graphflow.ops import image_boxes as B
from graphflow.ops import image_geometry as G
from graphflow.ops import image_resize as RZ
from graphflow.ops.random_ops import random_crop

__all__ = ["ResizeMethod", "central_crop", "crop_and_resize", "crop_to_bounding_box", "draw_bounding_boxes",
           "extract_image_patches", "extract_patches", "flip_left_right", "flip_up_down", "image_gradients",
           "non_max_suppression", "non_max_suppression_overlaps", "non_max_suppression_padded",
           "non_max_suppression_with_scores", "pad_to_bounding_box", "random_crop", "random_flip_left_right",
           "random_flip_up_down", "resize", "resize_area", "resize_bicubic", "resize_bilinear",
           "resize_image_with_crop_or_pad", "resize_image_with_pad", "resize_images", "resize_nearest_neighbor",
           "resize_with_crop_or_pad", "rot90", "sample_distorted_bounding_box", "sobel_edges", "total_variation",
           "transpose", "transpose_image"]

ResizeMethod = RZ.ResizeMethod
central_crop = G.central_crop
crop_to_bounding_box = G.crop_to_bounding_box
pad_to_bounding_box = G.pad_to_bounding_box
resize_image_with_crop_or_pad = resize_with_crop_or_pad = G.resize_image_with_crop_or_pad
flip_left_right = G.flip_left_right
flip_up_down = G.flip_up_down
random_flip_left_right = G.random_flip_left_right
random_flip_up_down = G.random_flip_up_down
rot90 = G.rot90
transpose_image = transpose = G.transpose_image
extract_image_patches = G.extract_image_patches
total_variation = G.total_variation
image_gradients = G.image_gradients
sobel_edges = G.sobel_edges
crop_and_resize = B.crop_and_resize
draw_bounding_boxes = B.draw_bounding_boxes
non_max_suppression = B.non_max_suppression
non_max_suppression_overlaps = B.non_max_suppression_overlaps
non_max_suppression_padded = B.non_max_suppression_padded
non_max_suppression_with_scores = B.non_max_suppression_with_scores
sample_distorted_bounding_box = B.sample_distorted_bounding_box


def extract_patches(images: TensorLike, sizes: TensorLike, strides: TensorLike, rates: TensorLike, padding: str,
                    name: str | None = None) -> Tensor:
    """``tf.image.extract_patches``: extract_image_patches with ``sizes`` for ``ksizes``."""
    return G.extract_image_patches(images, sizes, strides, rates, padding, name=name)


def _resize_op(method: int, what: str):  # noqa: ANN202 - a family of TF1 signatures
    def op(images: TensorLike, size: TensorLike, align_corners: bool = False, name: str | None = None,
           half_pixel_centers: bool = False) -> Tensor:
        return RZ.resize(images, size, method, align_corners, half_pixel_centers, name=name)
    op.__name__ = op.__qualname__ = what
    op.__doc__ = f"``tf.image.{what}`` (TF1's raw op: 4-D images, float32 out" + (
        "" if method == RZ.ResizeMethod.NEAREST_NEIGHBOR else "; nearest keeps the dtype") + ")."
    return op


resize_bilinear = _resize_op(RZ.ResizeMethod.BILINEAR, "resize_bilinear")
resize_nearest_neighbor = _resize_op(RZ.ResizeMethod.NEAREST_NEIGHBOR, "resize_nearest_neighbor")
resize_bicubic = _resize_op(RZ.ResizeMethod.BICUBIC, "resize_bicubic")


def resize_area(images: TensorLike, size: TensorLike, align_corners: bool = False, name: str | None = None) -> Tensor:
    """``tf.image.resize_area`` (4-D images, float32 out, no gradient in TF1)."""
    return RZ.resize(images, size, RZ.ResizeMethod.AREA, align_corners, name=name)


def _method(method: object) -> int:
    if isinstance(method, str):  # TF2's names, which TF 1.15's resize_images also takes
        names = {"bilinear": 0, "nearest": 1, "bicubic": 2, "area": 3}
        if method not in names:
            raise ValueError(f"resize_images: unknown method {method!r}; expected one of {sorted(names)} "
                             "or a ResizeMethod")
        return names[method]
    return int(method)  # type: ignore[call-overload]


def resize_images(images: TensorLike, size: TensorLike, method: int = ResizeMethod.BILINEAR,
                  align_corners: bool = False, preserve_aspect_ratio: bool = False, name: str | None = None) -> Tensor:
    """3-D or 4-D ``images`` resized to ``size`` (``tf.image.resize`` in TF 1.15 too). float32 out
    except for nearest and for a static size equal to the image's (then the image is returned).

    >>> import graphflow as gf
    >>> gf.image.resize_images(gf.zeros((4, 6, 3)), [2, 3]).shape.as_list()
    [2, 3, 3]
    """
    x4, is_batch = G.batched(images, "resize_images", static_hw=False)
    h, w = x4.shape.as_list()[1:3]
    oh, ow = RZ.static_size(size, "resize_images")
    if preserve_aspect_ratio:
        if h is None or w is None:
            raise ValueError("resize_images: preserve_aspect_ratio needs the image's height and width known when "
                             f"the graph is built in graphflow (the output size depends on them), got {x4.shape}")
        f32 = np.float32
        factor = min(f32(oh) / f32(h), f32(ow) / f32(w))
        oh, ow = int(np.round(factor * f32(h))), int(np.round(factor * f32(w)))
    if (oh, ow) == (h, w):
        return G.unbatched(x4, is_batch, name)
    y = RZ.resize(x4, [oh, ow], _method(method), align_corners)
    return G.unbatched(y, is_batch, name)


resize = resize_images


def resize_image_with_pad(image: TensorLike, target_height: int, target_width: int,
                          method: int = ResizeMethod.BILINEAR, align_corners: bool = False) -> Tensor:
    """Resized to fit ``target_height x target_width`` keeping the aspect ratio, then zero-padded
    evenly (TF's float32 arithmetic for the fitted size and the padding)."""
    x4, is_batch = G.batched(image, "resize_image_with_pad")
    th, tw = G._ints(target_height, "target_height"), G._ints(target_width, "target_width")
    if th <= 0 or tw <= 0:
        raise ValueError(f"resize_image_with_pad: target size must be > 0, got {th}x{tw}")
    f32 = np.float32
    h, w = (f32(d) for d in x4.shape.as_list()[1:3])
    ratio = max(w / f32(tw), h / f32(th))
    rh, rw = h / ratio, w / ratio
    top = max(0, int(np.floor((f32(th) - rh) / f32(2))))
    left = max(0, int(np.floor((f32(tw) - rw) / f32(2))))
    resized = resize_images(x4, [int(np.floor(rh)), int(np.floor(rw))], method, align_corners)
    return G.unbatched(G.pad_to_bounding_box(resized, top, left, th, tw), is_batch, None)

