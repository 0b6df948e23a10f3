"""tf.image's colour: dtype conversion, colour spaces, adjustments and image-quality measures.

Everything here composes elementwise, reduction and convolution ops, so each function compiles
for every target and differentiates through the existing rules. The arithmetic follows TF's
kernels step by step (AdjustHue's hue wheel, AdjustSaturation's and RGBToHSV's HSV, the
convert_image_dtype scaling), so float32 results match TF's to rounding. Divisions that TF guards
with a select take a safe denominator here, so gradients stay finite on grey pixels.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.ops import elementwise_ops as M
from graphflow.ops import reductions as R
from graphflow.ops import state_ops as ST
from graphflow.ops.concat_ops import concat, stack, unstack
from graphflow.ops.conv_ops import avg_pool
from graphflow.ops.depthwise_ops import depthwise_conv2d
from graphflow.ops.reduce_ops import reduce_std
from graphflow.ops.shape_ops import expand_dims, reshape, shape

_RGB_TO_YIQ = np.array([[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
                        [0.114, -0.32134392, 0.31119955]])
_YIQ_TO_RGB = np.array([[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
                        [0.6208248, -0.64720424, 1.70423049]])
_RGB_TO_YUV = np.array([[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
                        [0.114, 0.43601035, -0.10001026]])
_YUV_TO_RGB = np.array([[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]])
_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)


def _cast(value: TensorLike, dt: DType) -> Tensor:
    """A tensor cast to ``dt``, or a Python or numpy value as a ``dt`` constant (made in ``dt``
    directly: a float64 scale must not pass through float32)."""
    if isinstance(value, Tensor):
        return M.cast(value, dt)
    return convert_to_tensor(np.asarray(value, dtype=dt.np))


def _limits(dt: DType) -> tuple[int, int]:
    info = np.iinfo(dt.np)
    return int(info.min), int(info.max)


def _saturate(x: Tensor, dt: DType) -> Tensor:
    """``x`` clipped to ``dt``'s range, then cast (TF's saturate_cast)."""
    if not dt.is_floating and not dt.is_bool:
        lo, hi = _limits(dt)
        src_lo, src_hi = _limits(x.dtype) if x.dtype.is_integer else (lo - 1, hi + 1)  # floats: always clip
        if lo > src_lo:
            x = M.maximum(x, _cast(lo, x.dtype))
        if hi < src_hi:
            x = M.minimum(x, _cast(hi, x.dtype))
    return _cast(x, dt)


def convert_image_dtype(image: TensorLike, dtype: DTypeLike, saturate: bool = False,
                        name: str | None = None) -> Tensor:
    """``image`` in ``dtype`` with TF's scaling: integers span [0, MAX], floats [0, 1); integer
    to integer shifts by the ratio of the ranges, float to integer scales by MAX + 0.5 and
    truncates (clipped first when ``saturate``).

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.convert_image_dtype(gf.constant([0, 255], gf.uint8), gf.float32)).tolist()
    [0.0, 1.0]
    """
    x = convert_to_tensor(image)
    dt = _dt.as_dtype(dtype)
    for what, d in (("dtype", dt), ("image dtype", x.dtype)):
        if not (d.is_floating or d.is_integer):
            raise AttributeError(f"{what} must be either floating point or integer, got {d.name}")
    if dt == x.dtype:
        return M.identity(x, name=name or "convert_image")
    if x.dtype.is_integer and dt.is_integer:
        scale_in, scale_out = _limits(x.dtype)[1], _limits(dt)[1]
        if scale_in > scale_out:  # the quotient keeps in.max below out.max + 1
            scaled = M.floordiv(x, _cast((scale_in + 1) // (scale_out + 1), x.dtype))
            out = _saturate(scaled, dt) if saturate else _cast(scaled, dt)
        else:  # round trips restore the input exactly
            cast = _saturate(x, dt) if saturate else _cast(x, dt)
            out = M.multiply(cast, _cast((scale_out + 1) // (scale_in + 1), dt))
    elif x.dtype.is_floating and dt.is_floating:
        out = _cast(x, dt)
    elif x.dtype.is_integer:
        out = M.multiply(_cast(x, dt), _cast(1.0 / _limits(x.dtype)[1], dt))
    else:
        scaled = M.multiply(x, _cast(_limits(dt)[1] + 0.5, x.dtype))
        out = _saturate(scaled, dt) if saturate else _cast(scaled, dt)
    return M.add_name(out, name)


def _rgb(x: Tensor, what: str) -> None:
    last = x.shape.as_list()[-1] if x.shape.rank else None
    if x.shape.rank is not None and x.shape.rank < 1 or last not in (None, 3):
        raise ValueError(f"{what} expects RGB images (the last dimension 3), got shape {x.shape}")


def _as_float(image: TensorLike) -> tuple[Tensor, DType]:
    """The image as float (float16/float32 kept, everything else converted to float32) and its dtype."""
    x = convert_to_tensor(image)
    keep = x.dtype in (_dt.float16, _dt.float32)
    return (x if keep else convert_image_dtype(x, _dt.float32)), x.dtype


def _matrix(images: TensorLike, kernel: np.ndarray, what: str) -> Tensor:
    """Each pixel's channels times ``kernel`` (TF's tensordot over the last axis)."""
    x = convert_to_tensor(images)
    _rgb(x, what)
    k = _cast(kernel, x.dtype)
    return R.reduce_sum(M.multiply(expand_dims(x, -1), k), axis=-2, name=what)


def rgb_to_yiq(images: TensorLike) -> Tensor:
    """RGB pixels in YIQ (floats).

    >>> import graphflow as gf
    >>> float(gf.Session().run(gf.image.rgb_to_yiq([[1.0, 1.0, 1.0]]))[0, 0])  # white's luma
    1.0
    """
    return _matrix(images, _RGB_TO_YIQ, "rgb_to_yiq")


def yiq_to_rgb(images: TensorLike) -> Tensor:
    """YIQ pixels in RGB (floats)."""
    return _matrix(images, _YIQ_TO_RGB, "yiq_to_rgb")


def rgb_to_yuv(images: TensorLike) -> Tensor:
    """RGB pixels in YUV (floats)."""
    return _matrix(images, _RGB_TO_YUV, "rgb_to_yuv")


def yuv_to_rgb(images: TensorLike) -> Tensor:
    """YUV pixels in RGB (floats)."""
    return _matrix(images, _YUV_TO_RGB, "yuv_to_rgb")


def rgb_to_grayscale(images: TensorLike, name: str | None = None) -> Tensor:
    """Luma with TF's weights (0.2989, 0.5870, 0.1140), last dimension 1, in the input's dtype.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.rgb_to_grayscale(gf.constant([[255, 255, 255]], gf.uint8))).tolist()
    [[255]]
    """
    x = convert_to_tensor(images)
    _rgb(x, "rgb_to_grayscale")
    flt = convert_image_dtype(x, _dt.float32)
    gray = R.reduce_sum(M.multiply(flt, _cast(_GRAY_WEIGHTS, flt.dtype)), axis=-1, keepdims=True)
    return convert_image_dtype(gray, x.dtype, name=name or "rgb_to_grayscale")


def grayscale_to_rgb(images: TensorLike, name: str | None = None) -> Tensor:
    """The one channel repeated three times.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.grayscale_to_rgb([[0.5]])).tolist()
    [[0.5, 0.5, 0.5]]
    """
    x = convert_to_tensor(images)
    if x.shape.rank is not None and (x.shape.rank < 2 or x.shape.as_list()[-1] not in (None, 1)):
        raise ValueError(f"grayscale_to_rgb expects at least 2-D images with a last dimension of 1, "
                         f"got shape {x.shape}")
    return concat([x, x, x], axis=-1, name=name or "grayscale_to_rgb")


def _hsv_parts(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """TF's RGB to HSV (RGBToHSV, AdjustSaturation): hue in [0, 1), saturation, value."""
    r, g, b = unstack(x, num=3, axis=-1)
    v = M.maximum(M.maximum(r, g), b)
    rng = M.subtract(v, M.minimum(M.minimum(r, g), b))
    zero, one = _cast(0.0, x.dtype), _cast(1.0, x.dtype)
    s = M.where(M.greater(v, zero), M.divide(rng, M.where(M.greater(v, zero), v, one)), M.multiply(v, zero))
    positive = M.greater(rng, zero)
    norm = M.divide(one, M.multiply(_cast(6.0, x.dtype), M.where(positive, rng, one)))
    h = M.where(M.equal(r, v), M.multiply(norm, M.subtract(g, b)),
                M.where(M.equal(g, v), M.add(M.multiply(norm, M.subtract(b, r)), _cast(2.0 / 6.0, x.dtype)),
                        M.add(M.multiply(norm, M.subtract(r, g)), _cast(4.0 / 6.0, x.dtype))))
    h = M.where(positive, h, M.multiply(h, zero))
    h = M.where(M.less(h, zero), M.add(h, one), h)
    return h, s, v


def rgb_to_hsv(images: TensorLike, name: str | None = None) -> Tensor:
    """RGB floats in [0, 1] as HSV (hue in [0, 1)), TF's RGBToHSV.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.rgb_to_hsv([[1.0, 0.0, 0.0]])).tolist()
    [[0.0, 1.0, 1.0]]
    """
    x = convert_to_tensor(images)
    _rgb(x, "rgb_to_hsv")
    return stack(list(_hsv_parts(x)), axis=-1, name=name or "RGBToHSV")


def hsv_to_rgb(images: TensorLike, name: str | None = None) -> Tensor:
    """HSV floats as RGB, TF's HSVToRGB (piecewise-linear channel ramps of the hue).

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.hsv_to_rgb([[0.0, 1.0, 1.0]])).tolist()
    [[1.0, 0.0, 0.0]]
    """
    x = convert_to_tensor(images)
    _rgb(x, "hsv_to_rgb")
    h, s, v = unstack(x, num=3, axis=-1)
    c = lambda value: _cast(value, x.dtype)  # noqa: E731
    dh = M.multiply(h, c(6.0))

    def ramp(centre: float, rising: bool) -> Tensor:
        d = M.abs(M.subtract(dh, c(centre)))
        t = M.subtract(d, c(1.0)) if rising else M.add(M.negative(d), c(2.0))
        return M.minimum(M.maximum(t, c(0.0)), c(1.0))
    one_s = M.subtract(c(1.0), s)
    chans = [M.multiply(M.add(one_s, M.multiply(s, ramp(centre, rising))), v)
             for centre, rising in ((3.0, True), (2.0, False), (4.0, False))]
    return stack(chans, axis=-1, name=name or "HSVToRGB")


def _hsv_sector(h6: Tensor, lo: Tensor, mid: Tensor, hi: Tensor) -> Tensor:
    """RGB of a pixel whose hue sector ``floor(h6)`` puts lo, mid and hi in TF's channel order."""
    k = M.floor(h6)
    order = ((hi, mid, lo), (mid, hi, lo), (lo, hi, mid), (lo, mid, hi), (mid, lo, hi), (hi, lo, mid))
    chans = []
    for ch in range(3):
        out = order[5][ch]  # sector 5 and anything past it
        for sector in range(4, -1, -1):
            out = M.where(M.equal(k, _cast(float(sector), h6.dtype)), order[sector][ch], out)
        chans.append(out)
    return stack(chans, axis=-1)


def _adjust_hue_float(x: Tensor, delta: Tensor) -> Tensor:
    """TF's AdjustHue kernel: hue as a position on a six-sector wheel between the channels'
    minimum and maximum, rotated by ``delta`` turns and wrapped into [0, 6)."""
    r, g, b = unstack(x, num=3, axis=-1)
    c = lambda value: _cast(value, x.dtype)  # noqa: E731
    hi = M.maximum(M.maximum(r, g), b)
    lo = M.minimum(M.minimum(r, g), b)
    mid = M.subtract(M.subtract(M.add(M.add(r, g), b), hi), lo)
    ge = M.greater_equal
    # the sector each ordering of r, g, b falls in (TF's rgb_to_hv_range)
    sector = M.where(ge(r, g), M.where(ge(g, b), c(0.0), M.where(ge(r, b), c(5.0), c(4.0))),
                     M.where(ge(r, b), c(1.0), M.where(ge(g, b), c(2.0), c(3.0))))
    span = M.subtract(hi, lo)
    grey = M.equal(span, c(0.0))
    ratio = M.divide(M.subtract(mid, lo), M.where(grey, c(1.0), span))
    even = M.equal(M.floormod(sector, c(2.0)), c(0.0))
    h = M.where(grey, c(0.0), M.add(sector, M.where(even, ratio, M.subtract(c(1.0), ratio))))
    h = M.add(h, M.multiply(_cast(delta, x.dtype), c(6.0)))
    h = M.where(M.less(h, c(0.0)), M.add(h, c(6.0)), h)
    h = M.where(M.greater_equal(h, c(6.0)), M.subtract(h, c(6.0)), h)
    frac = M.subtract(h, M.floor(h))
    frac = M.where(M.equal(M.floormod(M.floor(h), c(2.0)), c(0.0)), frac, M.subtract(c(1.0), frac))
    new_mid = M.add(lo, M.multiply(frac, span))
    return _hsv_sector(h, lo, new_mid, hi)


def _adjust_saturation_float(x: Tensor, factor: Tensor) -> Tensor:
    """TF's AdjustSaturation kernel: saturation scaled and clipped to [0, 1] in its HSV."""
    h, s, v = _hsv_parts(x)
    c = lambda value: _cast(value, x.dtype)  # noqa: E731
    s = M.minimum(M.maximum(M.multiply(s, _cast(factor, x.dtype)), c(0.0)), c(1.0))
    chroma = M.multiply(s, v)
    m = M.subtract(v, chroma)
    dh = M.multiply(h, c(6.0))
    fmodu = M.floormod(dh, c(2.0))
    mid = M.multiply(chroma, M.subtract(c(1.0), M.abs(M.subtract(fmodu, c(1.0)))))
    zero = M.multiply(chroma, c(0.0))
    rgb = _hsv_sector(dh, zero, mid, chroma)
    return M.add(rgb, expand_dims(m, -1))


def _roundtrip(image: TensorLike, what: str, fn, saturate: bool, rgb: bool = False,  # type: ignore[no-untyped-def]
               name: str | None = None) -> Tensor:
    flt, orig = _as_float(image)
    if rgb:
        _rgb(flt, what)
    return convert_image_dtype(fn(flt), orig, saturate=saturate, name=name or what)


def adjust_brightness(image: TensorLike, delta: TensorLike) -> Tensor:
    """``delta`` added to every value of the image as float (saturated back to its dtype).

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.adjust_brightness([[0.25]], 0.5)).tolist()
    [[0.75]]
    """
    return _roundtrip(image, "adjust_brightness", lambda x: M.add(x, _cast(delta, x.dtype)), True)


def adjust_contrast(images: TensorLike, contrast_factor: TensorLike) -> Tensor:
    """Each channel's distance from its mean over the image (height and width) scaled by
    ``contrast_factor``.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.adjust_contrast([[[0.25], [0.75]]], 2.0)).tolist()
    [[[0.0], [1.0]]]
    """
    def fn(x: Tensor) -> Tensor:
        if x.shape.rank is not None and x.shape.rank < 3:
            raise ValueError(f"adjust_contrast expects images of at least 3 dimensions, got shape {x.shape}")
        mean = R.reduce_mean(x, axis=[-3, -2], keepdims=True)
        return M.add(M.multiply(M.subtract(x, mean), _cast(contrast_factor, x.dtype)), mean)
    return _roundtrip(images, "adjust_contrast", fn, True)


def adjust_gamma(image: TensorLike, gamma: TensorLike = 1, gain: TensorLike = 1) -> Tensor:
    """``gain * image ** gamma`` on the image as float (``gamma`` must be non-negative).

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.adjust_gamma([[0.5]], 2.0)).tolist()
    [[0.25]]
    """
    if isinstance(gamma, (int, float)) and gamma < 0:
        raise ValueError("Gamma should be a non-negative real number.")
    return _roundtrip(image, "adjust_gamma",
                      lambda x: M.multiply(_cast(gain, x.dtype), M.pow(x, _cast(gamma, x.dtype))), True)


def adjust_hue(image: TensorLike, delta: TensorLike, name: str | None = None) -> Tensor:
    """The hue rotated by ``delta`` turns (in [-1, 1]), TF's AdjustHue.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.adjust_hue([[1.0, 0.0, 0.0]], 1 / 3)).round(4).tolist()
    [[0.0, 1.0, 0.0]]
    """
    if isinstance(delta, (int, float)) and not -1 <= delta <= 1:
        raise ValueError(f"delta must be in the interval [-1, 1], got {delta}")
    return _roundtrip(image, "adjust_hue", lambda x: _adjust_hue_float(x, delta), False, rgb=True, name=name)


def adjust_saturation(image: TensorLike, saturation_factor: TensorLike, name: str | None = None) -> Tensor:
    """The HSV saturation scaled by ``saturation_factor`` (clipped to [0, 1]), TF's AdjustSaturation.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.adjust_saturation([[1.0, 0.5, 0.5]], 0.0)).tolist()
    [[1.0, 1.0, 1.0]]
    """
    return _roundtrip(image, "adjust_saturation", lambda x: _adjust_saturation_float(x, saturation_factor),
                      False, rgb=True, name=name)


def _uniform(lower: float, upper: float, seed: int | None) -> Tensor:
    return ST.random_uniform([], lower, upper, seed=seed)


def _check_range(lower: float, upper: float) -> None:
    if upper <= lower:
        raise ValueError(f"upper must be > lower, got lower={lower}, upper={upper}")
    if lower < 0:
        raise ValueError(f"lower must be non-negative, got {lower}")


def random_brightness(image: TensorLike, max_delta: float, seed: int | None = None) -> Tensor:
    """adjust_brightness by a delta drawn uniformly from [-max_delta, max_delta).

    >>> import graphflow as gf
    >>> gf.image.random_brightness(gf.zeros([2, 2, 3]), 0.2, seed=1).shape.as_list()
    [2, 2, 3]
    """
    if max_delta < 0:
        raise ValueError(f"max_delta must be non-negative, got {max_delta}")
    return adjust_brightness(image, _uniform(-max_delta, max_delta, seed))


def random_contrast(image: TensorLike, lower: float, upper: float, seed: int | None = None) -> Tensor:
    """adjust_contrast by a factor drawn uniformly from [lower, upper)."""
    _check_range(lower, upper)
    return adjust_contrast(image, _uniform(lower, upper, seed))


def random_saturation(image: TensorLike, lower: float, upper: float, seed: int | None = None) -> Tensor:
    """adjust_saturation by a factor drawn uniformly from [lower, upper)."""
    _check_range(lower, upper)
    return adjust_saturation(image, _uniform(lower, upper, seed))


def random_hue(image: TensorLike, max_delta: float, seed: int | None = None) -> Tensor:
    """adjust_hue by a delta drawn uniformly from [-max_delta, max_delta) (max_delta <= 0.5)."""
    if max_delta > 0.5:
        raise ValueError(f"max_delta must be <= 0.5, got {max_delta}")
    if max_delta < 0:
        raise ValueError(f"max_delta must be non-negative, got {max_delta}")
    return adjust_hue(image, _uniform(-max_delta, max_delta, seed))


def per_image_standardization(image: TensorLike) -> Tensor:
    """Each image (the last three axes) less its mean, over max(stddev, 1/sqrt(pixels)), float32.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.per_image_standardization([[[1.0], [3.0]]])).tolist()
    [[[-1.0], [1.0]]]
    """
    x = _cast(convert_to_tensor(image), _dt.float32)
    if x.shape.rank is not None and x.shape.rank < 3:
        raise ValueError(f"per_image_standardization expects an image of at least 3 dimensions, got shape {x.shape}")
    axes = [-1, -2, -3]
    dims = x.shape.as_list()[-3:] if x.shape.rank else [None]
    if all(d is not None for d in dims):
        pixels: Tensor = _cast(float(np.prod(dims)), _dt.float32)
    else:
        pixels = _cast(R.reduce_prod(shape(x)[-3:]), _dt.float32)
    mean = R.reduce_mean(x, axis=axes, keepdims=True)
    std = reduce_std(x, axis=axes, keepdims=True)
    adjusted = M.maximum(std, M.rsqrt(pixels))
    return M.divide(M.subtract(x, mean), adjusted, name="per_image_standardization")


def _check_pair(a: Tensor, b: Tensor, what: str) -> None:
    if a.shape.rank is not None and a.shape.rank < 3:
        raise ValueError(f"{what} expects images of at least 3 dimensions, got shape {a.shape}")
    if not a.shape.is_compatible_with(b.shape):
        raise ValueError(f"{what} expects two images of one shape, got {a.shape} and {b.shape}")


def psnr(a: TensorLike, b: TensorLike, max_val: TensorLike, name: str | None = None) -> Tensor:
    """Peak signal-to-noise ratio in dB of each pair of images (over the last three axes).

    >>> import graphflow as gf
    >>> round(float(gf.Session().run(gf.image.psnr([[[0.0]]], [[[0.1]]], 1.0))), 3)
    20.0
    """
    a, b = convert_to_tensor(a), convert_to_tensor(b)
    _check_pair(a, b, "psnr")
    mx = convert_image_dtype(_cast(max_val, a.dtype), _dt.float32)
    fa, fb = convert_image_dtype(a, _dt.float32), convert_image_dtype(b, _dt.float32)
    mse = R.reduce_mean(M.square(M.subtract(fa, fb)), axis=[-3, -2, -1])
    db = M.divide(M.multiply(_cast(20.0, _dt.float32), M.log(mx)), M.log(_cast(10.0, _dt.float32)))
    return M.subtract(db, M.multiply(_cast(np.float32(10 / np.log(10)), _dt.float32), M.log(mse)),
                      name=name or "psnr")


def _gauss(size: int, sigma: float) -> np.ndarray:
    """MATLAB's fspecial('gaussian') as TF builds it: a softmax of the squared distances."""
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = -0.5 * (coords[None, :] ** 2 + coords[:, None] ** 2) / sigma ** 2
    g = np.exp(g - g.max())
    return (g / g.sum()).reshape(size, size, 1, 1)


def _ssim_parts(x: Tensor, y: Tensor, max_val: Tensor, filter_size: int, filter_sigma: float,
                k1: float, k2: float) -> tuple[Tensor, Tensor]:
    """Local luminance and contrast-structure maps per channel ([..., h', w', c])."""
    dims = x.shape.as_list()
    if any(d is not None and d < filter_size for d in dims[-3:-1]):
        raise ValueError(f"ssim needs images of at least {filter_size}x{filter_size} (the filter), "
                         f"got shape {x.shape}")
    channels = dims[-1]
    if channels is None:
        raise ValueError("ssim needs the number of channels known when the graph is built")
    kernel = _cast(np.tile(_gauss(filter_size, filter_sigma), (1, 1, channels, 1)), x.dtype)
    rank = x.shape.rank

    def reducer(t: Tensor) -> Tensor:
        if rank == 4:
            return depthwise_conv2d(t, kernel, [1, 1, 1, 1], "VALID")
        s = shape(t)
        flat = reshape(t, concat([[-1], s[-3:]], 0))
        out = depthwise_conv2d(flat, kernel, [1, 1, 1, 1], "VALID")
        return reshape(out, concat([s[:-3], shape(out)[1:]], 0))
    c1 = M.square(M.multiply(_cast(k1, x.dtype), max_val))
    c2 = M.square(M.multiply(_cast(k2, x.dtype), max_val))
    mean0, mean1 = reducer(x), reducer(y)
    num0 = M.multiply(M.multiply(mean0, mean1), _cast(2.0, x.dtype))
    den0 = M.add(M.square(mean0), M.square(mean1))
    luminance = M.divide(M.add(num0, c1), M.add(den0, c1))
    num1 = M.multiply(reducer(M.multiply(x, y)), _cast(2.0, x.dtype))
    den1 = reducer(M.add(M.square(x), M.square(y)))
    cs = M.divide(M.add(M.subtract(num1, num0), c2), M.add(M.subtract(den1, den0), c2))
    return luminance, cs


def ssim(img1: TensorLike, img2: TensorLike, max_val: TensorLike, filter_size: int = 11,
         filter_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03, return_index_map: bool = False) -> Tensor:
    """Structural similarity of each pair of images (Wang et al. 2004: an 11x11 Gaussian window of
    width 1.5, VALID), averaged over channels; the local map when ``return_index_map``.

    >>> import graphflow as gf
    >>> x = gf.ones([11, 11, 1])
    >>> float(gf.Session().run(gf.image.ssim(x, x, 1.0)))
    1.0
    """
    a, b = convert_to_tensor(img1), convert_to_tensor(img2)
    _check_pair(a, b, "ssim")
    mx = convert_image_dtype(_cast(max_val, a.dtype), _dt.float32)
    fa, fb = convert_image_dtype(a, _dt.float32), convert_image_dtype(b, _dt.float32)
    luminance, cs = _ssim_parts(fa, fb, mx, filter_size, filter_sigma, k1, k2)
    local = M.multiply(luminance, cs)
    per_channel = local if return_index_map else R.reduce_mean(local, axis=[-3, -2])
    return R.reduce_mean(per_channel, axis=[-1], name="ssim")


_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _halve(x: Tensor) -> Tensor:
    """[n, h, w, c] averaged over 2x2 blocks, an odd last row or column repeated first (TF's
    SYMMETRIC padding by the remainder)."""
    _, h, w, _ = x.shape.as_list()
    if h % 2:
        x = concat([x, x[:, -1:]], axis=1)
    if w % 2:
        x = concat([x, x[:, :, -1:]], axis=2)
    return avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")


def ssim_multiscale(img1: TensorLike, img2: TensorLike, max_val: TensorLike,
                    power_factors: Sequence[float] = _MSSSIM_WEIGHTS, filter_size: int = 11,
                    filter_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03) -> Tensor:
    """Multi-scale SSIM (Wang et al. 2003): contrast-structure at each of ``len(power_factors)``
    scales (halved by 2x2 averages) and SSIM at the last, weighted by the powers; averaged over
    channels. Images need their height, width and channels known when the graph is built.

    >>> import graphflow as gf
    >>> x = gf.ones([1, 176, 176, 1])
    >>> round(float(gf.Session().run(gf.image.ssim_multiscale(x, x, 1.0))[0]), 5)
    1.0
    """
    a, b = convert_to_tensor(img1), convert_to_tensor(img2)
    _check_pair(a, b, "ssim_multiscale")
    dims = a.shape.as_list()
    if a.shape.rank is None or any(d is None for d in dims[-3:]):
        raise ValueError(f"ssim_multiscale needs the height, width and channels known when the graph is built, "
                         f"got shape {a.shape}")
    mx = convert_image_dtype(_cast(max_val, a.dtype), _dt.float32)
    heads = dims[:-3]
    imgs = [reshape(convert_image_dtype(t, _dt.float32), [-1, *dims[-3:]]) for t in (a, b)]
    zero = _cast(0.0, _dt.float32)
    parts = []
    for k in range(len(power_factors)):
        if k:
            imgs = [_halve(t) for t in imgs]
        luminance, cs = _ssim_parts(imgs[0], imgs[1], mx, filter_size, filter_sigma, k1, k2)
        last = k == len(power_factors) - 1
        value = M.multiply(luminance, cs) if last else cs
        parts.append(M.maximum(R.reduce_mean(value, axis=[-3, -2]), zero))
    weighted = M.pow(stack(parts, axis=-1), _cast(np.asarray(power_factors), _dt.float32))
    per_channel = R.reduce_prod(weighted, axis=[-1])
    out = R.reduce_mean(per_channel, axis=[-1])
    if all(d is not None for d in heads):
        return reshape(out, heads, name="ssim_multiscale")
    return reshape(out, shape(a)[:-3], name="ssim_multiscale")


__all__: Sequence[str] = [
    "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue", "adjust_saturation",
    "convert_image_dtype", "grayscale_to_rgb", "hsv_to_rgb", "per_image_standardization", "psnr",
    "random_brightness", "random_contrast", "random_hue", "random_saturation", "rgb_to_grayscale",
    "rgb_to_hsv", "rgb_to_yiq", "rgb_to_yuv", "ssim", "ssim_multiscale", "yiq_to_rgb", "yuv_to_rgb",
]
