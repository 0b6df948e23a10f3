"""tf.image's codecs: JPEG, PNG, GIF and BMP bytes to pixels and back, as host ops.

Decoding goes through Pillow (an optional dependency: ``pip install pillow``), which decodes JPEG
with libjpeg-turbo as TF does; PNG encoding, 16-bit colour PNG decoding (Pillow holds 16-bit
grey only), ``extract_jpeg_shape`` and ``is_jpeg`` need no Pillow. Like TF 2's kernels,
decode_jpeg, decode_png and decode_gif take any of JPEG, PNG and GIF; decode_bmp takes BMP only.
Bad bytes raise InvalidArgumentError naming the node.
"""
from __future__ import annotations

import io
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import DTypeLike, TensorLike
from graphflow.formats import png as _png
from graphflow.ops import elementwise_ops as M
from graphflow.ops import state_ops as ST
from graphflow.ops._build import make
from graphflow.ops.image_color import convert_image_dtype
from graphflow.ops.string_ops import substr

_MAGIC = ((b"\xff\xd8\xff", "jpeg"), (_png.SIGNATURE, "png"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
          (b"BM", "bmp"))
_ACCEPTS = {Op.DECODE_JPEG: ("jpeg", "png", "gif"), Op.DECODE_PNG: ("jpeg", "png", "gif"),
            Op.DECODE_GIF: ("jpeg", "png", "gif"), Op.DECODE_BMP: ("bmp",),
            Op.DECODE_IMAGE: ("jpeg", "png", "gif", "bmp"), Op.DECODE_AND_CROP_JPEG: ("jpeg", "png", "gif")}
_MAX_PIXELS = 1 << 29  # checked before Pillow allocates (its own bomb check only warns below twice this)
_TRUNCATED = threading.Lock()  # Pillow's LOAD_TRUNCATED_IMAGES is module state


def _pil() -> Any:
    try:
        from PIL import Image, ImageFile
    except ImportError:
        raise ImportError("tf.image's JPEG, GIF and BMP codecs (and PNG decoding) need Pillow, which is not "
                          "installed: pip install pillow") from None
    return Image, ImageFile


@dataclass(frozen=True)
class DecodeAttrs:
    op: Op
    channels: int = 0
    dtype: DType = _dt.uint8  # uint8, or float32 for decode_image (scaled from the stored bit depth)
    ratio: int = 1
    fancy_upscaling: bool = True
    try_recover_truncated: bool = False
    acceptable_fraction: float = 1.0
    dct_method: str = ""
    expand_animations: bool = True


@dataclass(frozen=True)
class EncodeJpegAttrs:
    format: str = ""
    progressive: bool = False
    optimize_size: bool = False
    chroma_downsampling: bool = True
    density_unit: str = "in"
    x_density: int = 300
    y_density: int = 300
    xmp_metadata: str = ""


@dataclass(frozen=True)
class EncodePngAttrs:
    compression: int = -1


def _bytes(x: np.ndarray) -> bytes:
    v = np.asarray(x, dtype=object).item()
    return v.encode() if isinstance(v, str) else bytes(v)


def sniff(data: bytes) -> str:
    """The format of image bytes by their magic number: 'jpeg', 'png', 'gif', 'bmp' or ''."""
    return next((fmt for magic, fmt in _MAGIC if data.startswith(magic)), "")


def _open(data: bytes, at: DecodeAttrs) -> tuple[Any, str]:
    fmt = sniff(data)
    accepts = _ACCEPTS[at.op]
    if fmt not in accepts:
        names = ", ".join(a.upper() for a in accepts[:-1]) + (", or " if len(accepts) > 2 else " or ")
        expected = names + accepts[-1].upper() if len(accepts) > 1 else accepts[0].upper()
        raise ValueError(f"Expected image ({expected}), got "
                         + (f"{fmt.upper()} data" if fmt else f"unknown format starting with {data[:16]!r}"))
    image, _ = _pil()
    try:
        img = image.open(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - Pillow raises many kinds for malformed headers
        window = " or crop window" if fmt == "jpeg" else ""  # TF's words
        raise ValueError(f"Invalid {fmt.upper()} data{window}, data size {len(data)}: {e}") from None
    w, h = img.size
    if w * h > _MAX_PIXELS:
        raise ValueError(f"{fmt.upper()} image of {w}x{h} pixels is too large (at most {_MAX_PIXELS})")
    return img, fmt


def _load(img: Any, fmt: str, at: DecodeAttrs, nbytes: int) -> None:
    _, image_file = _pil()
    try:
        img.load()
        return
    except OSError as e:
        if not (at.try_recover_truncated and fmt == "jpeg"):
            window = " or crop window" if fmt == "jpeg" else ""
            raise ValueError(f"Invalid {fmt.upper()} data{window}, data size {nbytes}: {e}") from None
    with _TRUNCATED:  # the lines libjpeg could not read are filled in, as TF's recovery does
        old, image_file.LOAD_TRUNCATED_IMAGES = image_file.LOAD_TRUNCATED_IMAGES, True
        try:
            img.load()
        finally:
            image_file.LOAD_TRUNCATED_IMAGES = old


def _pixels(img: Any, channels: int) -> np.ndarray:
    """An opened frame as [h, w, c] with TF's channel rules (0: as stored, palette expanded)."""
    mode = img.mode
    if channels == 0:
        if mode in ("L", "LA", "RGB", "RGBA", "I;16", "I;16B", "I;16L"):
            target = mode
        elif mode in ("P", "PA"):
            target = "RGBA" if mode == "PA" or "transparency" in img.info else "RGB"
        elif mode == "1":
            target = "L"
        elif mode == "CMYK":
            target = "CMYK"
        else:
            target = "RGB"
    else:
        target = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
        if channels == 1 and mode.startswith("I;16"):
            target = mode
    if mode != target:
        img = img.convert(target)
    arr = np.asarray(img)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(np.uint16)
    return arr[:, :, None] if arr.ndim == 2 else arr


def _to_dtype(arr: np.ndarray, dt: DType) -> np.ndarray:
    """Samples as uint8 (16-bit ones keep their high byte, as libpng's strip) or as float32 in
    [0, 1] scaled from their stored depth (so 16-bit PNGs keep their precision)."""
    if dt.is_floating:
        return arr.astype(np.float32) * np.float32(1.0 / np.iinfo(arr.dtype).max)
    if arr.dtype == np.uint16:
        return (arr >> 8).astype(np.uint8)
    return arr


def _frames(img: Any, channels: int) -> np.ndarray:
    out = []
    for k in range(getattr(img, "n_frames", 1)):
        img.seek(k)
        out.append(_pixels(img.convert("RGB"), channels or 3))
    return np.stack(out)


def _decode_ref(at: DecodeAttrs, contents: np.ndarray, crop: np.ndarray | None = None) -> np.ndarray:
    data = _bytes(contents)
    if (at.op in (Op.DECODE_PNG, Op.DECODE_IMAGE) and data.startswith(_png.SIGNATURE)
            and _png.header(data)[2] == 16 and _png.header(data)[3] in (2, 4, 6)):
        arr = _png.decode(data)  # 16-bit colour: Pillow would drop the low bytes
        if at.channels and at.channels != arr.shape[-1]:
            raise ValueError(f"16-bit colour PNGs decode to their stored {arr.shape[-1]} channels here, "
                             f"got channels={at.channels}")
        return _to_dtype(arr, at.dtype)
    img, fmt = _open(data, at)
    if fmt == "jpeg" and at.ratio != 1:
        w, h = img.size
        img.draft(img.mode, (max(w // at.ratio, 1), max(h // at.ratio, 1)))  # libjpeg's 1/ratio scale
    if fmt == "jpeg" and at.channels == 1 and img.mode == "RGB":
        img.draft("L", img.size)  # libjpeg's own luma, as TF's JCS_GRAYSCALE output
    _load(img, fmt, at, len(data))
    n_frames = getattr(img, "n_frames", 1) if fmt == "gif" else 1
    if at.op is Op.DECODE_GIF or (at.op is Op.DECODE_IMAGE and fmt == "gif" and at.expand_animations):
        return _frames(img, at.channels)
    if n_frames > 1 and at.op is not Op.DECODE_IMAGE:
        raise ValueError(f"Got {n_frames} frames, but animated gifs can only be decoded by tf.io.decode_gif "
                         "or tf.io.decode_image")
    arr = _pixels(img.convert("RGB") if fmt == "gif" else img, at.channels)
    if crop is not None:
        y, x, ch, cw = (int(v) for v in np.asarray(crop).reshape(-1)[:4])
        h, w = arr.shape[:2]
        if not (0 <= y and 0 <= x and ch > 0 and cw > 0 and y + ch <= h and x + cw <= w):
            raise ValueError(f"Invalid JPEG data or crop window: the window [{y}, {x}, {ch}, {cw}] "
                             f"(y, x, height, width) must lie inside the {h}x{w} image")
        arr = arr[y:y + ch, x:x + cw]
    return _to_dtype(arr, at.dtype)


def _decode_shape(shapes: Sequence[TensorShape], at: DecodeAttrs) -> list[TensorShape]:
    c = at.channels or None
    if at.op is Op.DECODE_GIF:
        return [TensorShape([None, None, None, 3])]
    if at.op is Op.DECODE_IMAGE and at.expand_animations:
        return [TensorShape(None)]
    return [TensorShape([None, None, c])]


for _op in _ACCEPTS:
    register(OpDef(_op, Kind.HOST, _decode_shape, lambda d, at: [at.dtype], _decode_ref, no_gradient=True))


def _jpeg_sof(data: bytes) -> tuple[int, int, int]:
    """(height, width, components) from a JPEG's start-of-frame marker, without decoding."""
    if not data.startswith(b"\xff\xd8"):
        raise ValueError(f"Not a JPEG file: starts with {data[:2]!r}, expected b'\\xff\\xd8'")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError(f"Invalid JPEG data: expected a marker at byte {pos}, got {data[pos]:#04x}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            pos += 2
            continue
        (size,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if pos + 10 > len(data):
                break
            h, w = struct.unpack(">HH", data[pos + 5:pos + 9])
            return h, w, data[pos + 9]
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            break
        pos += 2 + size
    raise ValueError(f"Invalid JPEG data: no start-of-frame marker in {len(data)} bytes")


def _extract_shape_ref(at: DType, contents: np.ndarray) -> np.ndarray:
    return np.array(_jpeg_sof(_bytes(contents)), dtype=at.np)


register(OpDef(Op.EXTRACT_JPEG_SHAPE, Kind.HOST, lambda s, at: [TensorShape([3])], lambda d, at: [at],
               _extract_shape_ref, no_gradient=True))


def _encode_jpeg_ref(at: EncodeJpegAttrs, image: np.ndarray, quality: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[-1] not in (1, 3):
        raise ValueError(f"image must have 1 or 3 channels, got {list(img.shape)}")
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"JPEG encoding failed: the image is empty ({list(img.shape)})")
    q = int(np.asarray(quality))
    if not 0 <= q <= 100:
        raise ValueError(f"quality must be in [0,100], got {q}")
    fmt = at.format or ("grayscale" if img.shape[-1] == 1 else "rgb")
    if (fmt == "grayscale") != (img.shape[-1] == 1):
        raise ValueError(f"format {fmt!r} needs {1 if fmt == 'grayscale' else 3} channels, got {img.shape[-1]}")
    image_mod, _ = _pil()
    pic = image_mod.fromarray(img[:, :, 0] if img.shape[-1] == 1 else img, "L" if img.shape[-1] == 1 else "RGB")
    dpi = (at.x_density, at.y_density) if at.density_unit == "in" else \
        (at.x_density * 2.54, at.y_density * 2.54)  # Pillow writes inches: centimetre densities converted
    extra = {"xmp": at.xmp_metadata.encode()} if at.xmp_metadata else {}
    out = io.BytesIO()
    pic.save(out, format="JPEG", quality=max(q, 1), progressive=at.progressive, optimize=at.optimize_size,
             subsampling=2 if at.chroma_downsampling and img.shape[-1] == 3 else 0, dpi=dpi, **extra)
    return np.array(out.getvalue(), dtype=object)


def _encode_png_ref(at: EncodePngAttrs, image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.ndim != 3:
        raise ValueError(f"image must be 3-dimensional, got {list(img.shape)}")
    if img.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"image must have 1, 2, 3, or 4 channels, got {img.shape[-1]}")
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"image must have at least one pixel, got {list(img.shape)}")
    return np.array(_png.encode(img, at.compression), dtype=object)


register(OpDef(Op.ENCODE_JPEG, Kind.HOST, lambda s, at: [TensorShape([])], lambda d, at: [_dt.string],
               _encode_jpeg_ref, no_gradient=True))
register(OpDef(Op.ENCODE_PNG, Kind.HOST, lambda s, at: [TensorShape([])], lambda d, at: [_dt.string],
               _encode_png_ref, no_gradient=True))


# ---- public API ----------------------------------------------------------------------------------

def _contents(contents: TensorLike, what: str) -> Tensor:
    x = contents if isinstance(contents, Tensor) else convert_to_tensor(contents, dtype=_dt.string)
    if not x.dtype.is_string:
        raise TypeError(f"{what} needs a string tensor of image bytes, got {x.name} of dtype {x.dtype.name}")
    if x.shape.rank not in (None, 0):
        raise ValueError(f"{what} decodes one image: contents must be a scalar (rank 0), got shape {x.shape}")
    return x


def _decode(op: Op, what: str, contents: TensorLike, name: str | None, crop: TensorLike | None = None,
            **kw: Any) -> Tensor:
    channels = int(kw.get("channels", 0))
    allowed = (0, 3, 4) if op is Op.DECODE_BMP else (0, 1, 3, 4) if op is Op.DECODE_IMAGE else (0, 1, 2, 3, 4) \
        if op is Op.DECODE_PNG else (0, 1, 3)
    if op is not Op.DECODE_GIF and channels not in allowed:
        raise ValueError(f"{what}: channels must be one of {allowed}, got {channels}")
    if int(kw.get("ratio", 1)) not in (1, 2, 4, 8):
        raise ValueError(f"{what}: ratio must be 1, 2, 4 or 8, got {kw['ratio']}")
    if any(op is o for o in (Op.DECODE_JPEG, Op.DECODE_AND_CROP_JPEG, Op.DECODE_GIF, Op.DECODE_BMP, Op.DECODE_IMAGE)):
        _pil()  # fail where the graph is built, not when it runs
    at = DecodeAttrs(op, **kw)
    inputs = [_contents(contents, what)]
    if crop is not None:
        inputs.append(M.cast(convert_to_tensor(crop), _dt.int32))
    return make(op, inputs, at, name=name or op.value)


def decode_jpeg(contents: TensorLike, channels: int = 0, ratio: int = 1, fancy_upscaling: bool = True,
                try_recover_truncated: bool = False, acceptable_fraction: float = 1, dct_method: str = "",
                name: str | None = None) -> Tensor:
    """JPEG bytes (or PNG, or a one-frame GIF) as [height, width, channels] uint8; ``channels`` 0
    keeps the stored count, 1 gives libjpeg's luma, 3 RGB; ``ratio`` downscales by 1, 2, 4 or 8.

    >>> import graphflow as gf
    >>> jpg = gf.Session().run(gf.image.encode_jpeg(gf.zeros([2, 3, 3], gf.uint8)))
    >>> gf.Session().run(gf.image.decode_jpeg(jpg)).shape
    (2, 3, 3)
    """
    return _decode(Op.DECODE_JPEG, "decode_jpeg", contents, name, channels=channels, ratio=ratio,
                   fancy_upscaling=bool(fancy_upscaling), try_recover_truncated=bool(try_recover_truncated),
                   acceptable_fraction=float(acceptable_fraction), dct_method=str(dct_method))


def decode_and_crop_jpeg(contents: TensorLike, crop_window: TensorLike, channels: int = 0, ratio: int = 1,
                         fancy_upscaling: bool = True, try_recover_truncated: bool = False,
                         acceptable_fraction: float = 1, dct_method: str = "", name: str | None = None) -> Tensor:
    """decode_jpeg, then the window ``crop_window`` = [y, x, height, width] of it."""
    return _decode(Op.DECODE_AND_CROP_JPEG, "decode_and_crop_jpeg", contents, name, crop=crop_window,
                   channels=channels, ratio=ratio, fancy_upscaling=bool(fancy_upscaling),
                   try_recover_truncated=bool(try_recover_truncated),
                   acceptable_fraction=float(acceptable_fraction), dct_method=str(dct_method))


def _no_uint16(dtype: DTypeLike, what: str) -> DType:
    if str(getattr(dtype, "name", dtype)) == "uint16":
        raise TypeError(f"{what}: graphflow has no uint16 dtype; decode to uint8 (the high byte) or, with "
                        "decode_image, to float32 (16-bit precision kept)")
    return _dt.as_dtype(dtype)


def decode_png(contents: TensorLike, channels: int = 0, dtype: DTypeLike = _dt.uint8,
               name: str | None = None) -> Tensor:
    """PNG bytes (or JPEG, or a one-frame GIF) as [height, width, channels] uint8 (16-bit
    samples keep their high byte; graphflow has no uint16).

    >>> import graphflow as gf
    >>> png = gf.Session().run(gf.image.encode_png(gf.constant([[[7]]], gf.uint8)))
    >>> gf.Session().run(gf.image.decode_png(png)).tolist()
    [[[7]]]
    """
    dt = _no_uint16(dtype, "decode_png")
    if dt != _dt.uint8:
        raise TypeError(f"decode_png: dtype must be uint8, got {dt.name}")
    return _decode(Op.DECODE_PNG, "decode_png", contents, name, channels=channels, dtype=dt)


def decode_bmp(contents: TensorLike, channels: int = 0, name: str | None = None) -> Tensor:
    """BMP bytes as [height, width, channels] uint8 (channels 0, 3 or 4)."""
    return _decode(Op.DECODE_BMP, "decode_bmp", contents, name, channels=channels)


def decode_gif(contents: TensorLike, name: str | None = None) -> Tensor:
    """GIF bytes as [frames, height, width, 3] uint8, each frame drawn over the ones before."""
    return _decode(Op.DECODE_GIF, "decode_gif", contents, name)


def decode_image(contents: TensorLike, channels: int | None = None, dtype: DTypeLike = _dt.uint8,
                 name: str | None = None, expand_animations: bool = True) -> Tensor:
    """Bytes of any of BMP, GIF, JPEG or PNG (told apart by their first bytes) as pixels: a GIF
    is [frames, h, w, 3] unless ``expand_animations`` is False (its first frame then); the rest
    [h, w, c]. ``dtype`` uint8 or a float (in [0, 1], from the stored bit depth)."""
    dt = _no_uint16(dtype, "decode_image")
    if not (dt == _dt.uint8 or dt.is_floating):
        raise TypeError(f"decode_image: dtype must be uint8 or a float, got {dt.name}")
    out = _decode(Op.DECODE_IMAGE, "decode_image", contents, None, channels=channels or 0,
                  dtype=_dt.float32 if dt.is_floating else _dt.uint8, expand_animations=bool(expand_animations))
    return convert_image_dtype(out, dt, name=name) if dt.is_floating else M.add_name(out, name)


def encode_jpeg(image: TensorLike, format: str = "", quality: int | TensorLike = 95,  # noqa: A002 - TF's name
                progressive: bool = False, optimize_size: bool = False, chroma_downsampling: bool = True,
                density_unit: str = "in", x_density: int = 300, y_density: int = 300, xmp_metadata: str = "",
                name: str | None = None) -> Tensor:
    """[h, w, 1 or 3] uint8 pixels as JPEG bytes (libjpeg-turbo through Pillow).

    >>> import graphflow as gf
    >>> gf.Session().run(gf.image.encode_jpeg(gf.zeros([1, 1, 1], gf.uint8)))[:3]
    b'\\xff\\xd8\\xff'
    """
    x = convert_to_tensor(image)
    if x.dtype != _dt.uint8:
        raise TypeError(f"encode_jpeg: image must be uint8, got {x.dtype.name}")
    if format not in ("", "grayscale", "rgb"):
        raise ValueError(f"encode_jpeg: format must be '', 'grayscale' or 'rgb', got {format!r}")
    if density_unit not in ("in", "cm"):
        raise ValueError(f"encode_jpeg: density_unit must be 'in' or 'cm', got {density_unit!r}")
    _pil()
    q = M.cast(convert_to_tensor(quality), _dt.int32) if isinstance(quality, Tensor) else \
        convert_to_tensor(np.int32(quality))
    at = EncodeJpegAttrs(format, bool(progressive), bool(optimize_size), bool(chroma_downsampling), density_unit,
                         int(x_density), int(y_density), str(xmp_metadata))
    return make(Op.ENCODE_JPEG, [x, q], at, name=name or "EncodeJpeg")


def encode_png(image: TensorLike, compression: int = -1, name: str | None = None) -> Tensor:
    """[h, w, 1 to 4] uint8 pixels as PNG bytes; ``compression`` is zlib's level (-1: default).
    (The PNG writer takes 16-bit samples, but graphflow has no uint16 tensors to give it.)"""
    x = convert_to_tensor(image)
    if x.dtype != _dt.uint8:
        raise TypeError(f"encode_png: image must be uint8 (graphflow has no uint16), got {x.dtype.name}")
    if not -1 <= int(compression) <= 9:
        raise ValueError(f"encode_png: compression must be in [-1, 9], got {compression}")
    return make(Op.ENCODE_PNG, [x], EncodePngAttrs(int(compression)), name=name or "EncodePng")


def extract_jpeg_shape(contents: TensorLike, output_type: DTypeLike = _dt.int32, name: str | None = None) -> Tensor:
    """[height, width, channels] of JPEG bytes, read from the frame header without decoding."""
    dt = _dt.as_dtype(output_type)
    return make(Op.EXTRACT_JPEG_SHAPE, [_contents(contents, "extract_jpeg_shape")], dt,
                name=name or "ExtractJpegShape")


def is_jpeg(contents: TensorLike, name: str | None = None) -> Tensor:
    """Whether the bytes start with JPEG's magic number (a bool scalar)."""
    x = _contents(contents, "is_jpeg")
    return M.equal(substr(x, 0, 3), convert_to_tensor(b"\xff\xd8\xff", dtype=_dt.string), name=name or "is_jpeg")


def adjust_jpeg_quality(image: TensorLike, jpeg_quality: int | TensorLike, name: str | None = None) -> Tensor:
    """The image after a JPEG round trip at ``jpeg_quality`` (0 to 100), in its own dtype."""
    x = convert_to_tensor(image)
    channels = x.shape.as_list()[-1] if x.shape.rank else None
    as_uint8 = convert_image_dtype(x, _dt.uint8, saturate=True)
    round_trip = decode_jpeg(encode_jpeg(as_uint8, quality=jpeg_quality), channels=channels or 0)
    return convert_image_dtype(round_trip, x.dtype, saturate=True, name=name or "adjust_jpeg_quality")


def random_jpeg_quality(image: TensorLike, min_jpeg_quality: int, max_jpeg_quality: int,
                        seed: int | None = None) -> Tensor:
    """adjust_jpeg_quality at a quality drawn uniformly from [min_jpeg_quality, max_jpeg_quality)."""
    if not 0 <= min_jpeg_quality < max_jpeg_quality <= 100:
        raise ValueError(f"expected 0 <= min_jpeg_quality < max_jpeg_quality <= 100, got "
                         f"{min_jpeg_quality} and {max_jpeg_quality}")
    q = ST.random_uniform([], min_jpeg_quality, max_jpeg_quality, dtype=_dt.int32, seed=seed)
    return adjust_jpeg_quality(image, q)


__all__: Sequence[str] = [
    "adjust_jpeg_quality", "decode_and_crop_jpeg", "decode_bmp", "decode_gif", "decode_image", "decode_jpeg",
    "decode_png", "encode_jpeg", "encode_png", "extract_jpeg_shape", "is_jpeg", "random_jpeg_quality",
]
