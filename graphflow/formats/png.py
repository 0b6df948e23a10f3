"""PNG bytes: writing 8- and 16-bit images of 1 to 4 channels, and reading the non-interlaced
truecolour and grey ones, all bit depths 8 and 16 (what Pillow cannot hold: 16-bit colour).

Rows are written unfiltered (filter type 0) in one zlib stream; TF's libpng may pick other
filters, so files differ in bytes but never in pixels.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# colour type per channel count, and back
_COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}
_CHANNELS = {v: k for k, v in _COLOUR_TYPE.items()}
_MAX_PIXELS = 1 << 31  # TF's limit on a decoded image's pixel count


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def encode(image: np.ndarray, level: int = -1) -> bytes:
    """[h, w, c] uint8 or uint16 (c = 1 to 4: grey, grey+alpha, RGB, RGBA) as PNG bytes;
    ``level`` is zlib's (-1: its default).

    >>> encode(np.zeros((1, 1, 1), np.uint8))[:8] == SIGNATURE
    True
    """
    h, w, c = image.shape
    depth = 16 if image.dtype == np.uint16 else 8
    rows = np.ascontiguousarray(image.astype(">u2" if depth == 16 else np.uint8)).reshape(h, -1).view(np.uint8)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", w, h, depth, _COLOUR_TYPE[c], 0, 0, 0)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, level)) + _chunk(b"IEND", b"")


def header(data: bytes) -> tuple[int, int, int, int, int]:
    """(width, height, bit depth, colour type, interlace) of PNG bytes; ValueError when not PNG."""
    if len(data) < 33 or not data.startswith(SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError(f"Invalid PNG header: expected the PNG signature and an IHDR chunk, got {data[:16]!r}")
    w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    return w, h, depth, colour, interlace


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos + 8 <= len(data):
        (size,) = struct.unpack(">I", data[pos:pos + 4])
        tag = data[pos + 4:pos + 8]
        if pos + 12 + size > len(data):
            raise ValueError(f"Invalid PNG data: chunk {tag!r} of {size} bytes runs past the end ({len(data)} bytes)")
        out.append((tag, data[pos + 8:pos + 8 + size]))
        pos += 12 + size
        if tag == b"IEND":
            break
    return out


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _unfilter(raw: np.ndarray, h: int, stride: int, bpp: int) -> np.ndarray:
    """The filtered scanlines (each led by its filter type) reconstructed."""
    rows = raw.reshape(h, stride + 1)
    out = np.zeros((h, stride), np.uint8)
    prior = np.zeros(stride, np.uint8)
    for y in range(h):
        kind, line = int(rows[y, 0]), rows[y, 1:]
        if kind == 0:
            cur = line.copy()
        elif kind == 1:  # Sub: a running sum per byte lane of a pixel, modulo 256
            cur = np.cumsum(line.reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(-1)
        elif kind == 2:
            cur = line + prior
        elif kind in (3, 4):  # Average and Paeth read the byte just reconstructed
            vals = line.astype(np.int64).tolist()
            up = prior.astype(np.int64).tolist()
            for i in range(stride):
                left = vals[i - bpp] if i >= bpp else 0
                if kind == 3:
                    vals[i] = (vals[i] + ((left + up[i]) >> 1)) & 0xFF
                else:
                    vals[i] = (vals[i] + _paeth(left, up[i], up[i - bpp] if i >= bpp else 0)) & 0xFF
            cur = np.array(vals, np.uint8)
        else:
            raise ValueError(f"Invalid PNG data: row {y} has filter type {kind}, expected 0 to 4")
        out[y] = cur
        prior = cur
    return out


def decode(data: bytes) -> np.ndarray:
    """Non-interlaced grey, grey+alpha, RGB or RGBA PNG bytes of bit depth 8 or 16 as an
    [h, w, c] uint8 or uint16 array; ValueError for anything else or malformed data."""
    w, h, depth, colour, interlace = header(data)
    if colour not in _CHANNELS or depth not in (8, 16) or interlace:
        raise ValueError(f"this PNG reader takes non-interlaced 8- or 16-bit grey or truecolour images, got "
                         f"colour type {colour}, bit depth {depth}, interlace {interlace}")
    if w == 0 or h == 0 or w * h > _MAX_PIXELS:
        raise ValueError(f"Invalid PNG size {w}x{h}: expected 1 to {_MAX_PIXELS} pixels")
    c = _CHANNELS[colour]
    bpp = c * depth // 8
    stride = w * bpp
    idat = b"".join(body for tag, body in _chunks(data) if tag == b"IDAT")
    d = zlib.decompressobj()
    try:
        raw = d.decompress(idat, h * (stride + 1))
    except zlib.error as e:
        raise ValueError(f"Invalid PNG data: {e}") from None
    if len(raw) != h * (stride + 1):
        raise ValueError(f"Invalid PNG data: {len(raw)} bytes of scanlines, expected {h * (stride + 1)} for {w}x{h}")
    pixels = _unfilter(np.frombuffer(raw, np.uint8), h, stride, bpp)
    if depth == 16:
        return pixels.view(">u2").astype(np.uint16).reshape(h, w, c)
    return pixels.reshape(h, w, c)
