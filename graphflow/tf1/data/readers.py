"""File datasets: ``tf.data.TextLineDataset``, ``FixedLengthRecordDataset``, ``TFRecordDataset``
and ``Dataset.list_files``.

``filenames`` is a string, a list of them, a string tensor (a placeholder is read when the
iterator is initialized) or a dataset of file names. Files are read as the stream reaches them,
in chunks (GZIP and ZLIB files are decompressed on the way); each element is one record, a
scalar ``tf.string``.
"""
from __future__ import annotations

import glob as _glob
import gzip
import os
import zlib
from collections.abc import Callable
from collections.abc import Iterator as PyIterator
from typing import Any

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.errors import DataLossError, InvalidArgumentError, NotFoundError
from graphflow.core.evaluate import static_value
from graphflow.core.ir import Tensor
from graphflow.core.shapes import TensorShape
from graphflow.formats import tfrecord
from graphflow.tf1.data.dataset import Dataset, _as_arrays
from graphflow.tf1.data.transforms import _interleave

_CHUNK = 256 * 1024


def compression(compression_type: object) -> str:
    kind = compression_type.decode() if isinstance(compression_type, bytes) else compression_type
    if isinstance(kind, Tensor):
        v = static_value(kind)
        if v is None:
            raise ValueError("compression_type must be known when the graph is built")
        kind = v.item().decode() if isinstance(v.item(), bytes) else str(v.item())
    kind = (kind or "").upper()
    if kind not in ("", "GZIP", "ZLIB"):
        raise InvalidArgumentError(None, None, f"Unsupported compression_type: {compression_type!r} (expected '', "
                                   "'GZIP' or 'ZLIB')")
    return kind


def _open(path: str) -> Any:
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller's generator closes it
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory") from None
    except IsADirectoryError:
        raise NotFoundError(None, None, f"{path}; Is a directory") from None


def _chunks(path: str, kind: str, size: int) -> PyIterator[bytes]:
    """The (decompressed) bytes of ``path``, ``size`` bytes of file at a time."""
    with _open(path) as f:
        if kind == "GZIP":
            try:
                with gzip.GzipFile(fileobj=f) as z:
                    while block := z.read(size):
                        yield block
            except (OSError, EOFError, zlib.error) as e:
                raise DataLossError(None, None, f"{path}: corrupted GZIP data ({e})") from None
            return
        inflate = zlib.decompressobj() if kind == "ZLIB" else None
        while block := f.read(size):
            if inflate is not None:
                try:
                    block = inflate.decompress(block)
                except zlib.error as e:
                    raise DataLossError(None, None, f"{path}: corrupted ZLIB data ({e})") from None
            if block:
                yield block
        if inflate is not None and not inflate.eof:
            raise DataLossError(None, None, f"{path}: truncated ZLIB data")


def _file_names(filenames: Any) -> tuple[Callable[[Dataset], PyIterator[str]], list[Tensor], list[Dataset]]:
    """How a dataset lists its files: (a function of the reading dataset giving the names, the
    run-time tensors they are read from, the datasets of names it reads)."""
    if isinstance(filenames, Dataset):
        if [t.name for t in filenames.output_types_flat] != ["string"] or filenames.output_shapes_flat[0].rank not in \
                (0, None):
            raise TypeError(f"`filenames` must be a `tf.data.Dataset` of scalar `tf.string` elements, got "
                            f"{filenames.output_types} of shape {filenames.output_shapes}")
        return (lambda _: (_name(item[0]) for item in filenames._make())), [], [filenames]
    value = _as_arrays(filenames)
    if isinstance(value, Tensor):
        if value.dtype != _dt.string or (value.shape.rank or 0) > 1:
            raise TypeError(f"`filenames` must be a `tf.Tensor` of dtype `tf.string` and shape [] or [None], got "
                            f"{value.dtype.name} of shape {value.shape}")
        return (lambda ds: (_name(v) for v in np.asarray(ds._source_values[0], dtype=object).reshape(-1))), [value], []
    arr = np.asarray(value, dtype=object)
    if arr.ndim > 1 or (arr.size and not isinstance(arr.reshape(-1)[0], bytes)):
        raise TypeError(f"`filenames` must be a string, a list of strings or a string tensor, got {filenames!r}")
    names = [_name(v) for v in arr.reshape(-1)]
    return (lambda _: iter(names)), [], []


def _name(v: object) -> str:
    v = v.item() if isinstance(v, np.ndarray) else v
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def _records_dataset(filenames: Any, read: Callable[[str], PyIterator[bytes]],
                     num_parallel_reads: int | None = None) -> Dataset:
    def elements(path: str) -> PyIterator[list[np.ndarray]]:
        for record in read(path):
            yield [np.array(record, dtype=object)]
    return file_dataset(filenames, elements, 0, [TensorShape([])], [_dt.string], num_parallel_reads)


def file_dataset(filenames: Any, elements: Callable[[str], PyIterator[list[np.ndarray]]], structure: object,
                 shapes: list[TensorShape], types: list[_dt.DType], num_parallel_reads: int | None = None) -> Dataset:
    """The elements ``elements(path)`` makes of each file ``filenames`` lists."""
    names, sources, inputs = _file_names(filenames)
    holder: list[Dataset] = []
    cycle = int(num_parallel_reads or 1)
    if num_parallel_reads == -1:  # AUTOTUNE
        cycle = os.cpu_count() or 1
    if cycle < 1:
        raise ValueError(f"num_parallel_reads must be positive, got {num_parallel_reads}")

    def make() -> PyIterator[Any]:
        # several files read at once are interleaved one record each, in a fixed order (TF's
        # parallel_interleave with sloppy=False)
        yield from _interleave(names(holder[0]), elements, cycle, 1)
    ds = Dataset(make, structure, shapes, types, sources)
    ds._inputs = inputs  # type: ignore[attr-defined]
    holder.append(ds)
    return ds


def TextLineDataset(filenames: Any, compression_type: str | None = None,  # noqa: N802
                    buffer_size: int | None = None, num_parallel_reads: int | None = None) -> Dataset:
    """The lines of the files, without their line ends (``\\n``, or ``\\r\\n``).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt"); _ = open(p, "w").write("x\\ny\\n")
    >>> [bytes(v.item()) for v in TextLineDataset(p)]
    [b'x', b'y']
    """
    kind = compression(compression_type)
    size = int(buffer_size or _CHUNK)
    return _records_dataset(filenames, lambda path: text_lines(path, kind, size), num_parallel_reads)


def text_lines(path: str, kind: str, size: int = _CHUNK) -> PyIterator[bytes]:
    """The lines of a file (decompressed by ``kind``, "", "GZIP" or "ZLIB"), without line ends."""
    rest = b""
    for block in _chunks(path, kind, size):
        lines = (rest + block).split(b"\n")
        rest = lines.pop()
        for line in lines:
            yield line[:-1] if line.endswith(b"\r") else line
    if rest:
        yield rest[:-1] if rest.endswith(b"\r") else rest


def FixedLengthRecordDataset(filenames: Any, record_bytes: int, header_bytes: int | None = None,  # noqa: N802
                             footer_bytes: int | None = None, buffer_size: int | None = None,
                             compression_type: str | None = None, num_parallel_reads: int | None = None) -> Dataset:
    """Records of ``record_bytes`` bytes, after ``header_bytes`` and before ``footer_bytes`` of
    each file; a body that is not a whole number of records raises ``InvalidArgumentError``."""
    record, header, footer = int(record_bytes), int(header_bytes or 0), int(footer_bytes or 0)
    if record <= 0 or header < 0 or footer < 0:
        raise ValueError(f"record_bytes must be positive and header/footer_bytes non-negative, got {record_bytes}, "
                         f"{header_bytes}, {footer_bytes}")
    kind = compression(compression_type)
    size = max(int(buffer_size or _CHUNK), record)

    def partial(path: str, body: int) -> InvalidArgumentError:
        return InvalidArgumentError(None, None, f"Excluding the header ({header} bytes) and footer ({footer} bytes), "
                                    f"input file \"{path}\" has body length {body} bytes, which is not an exact "
                                    f"multiple of the record length ({record} bytes).")

    def read(path: str) -> PyIterator[bytes]:
        if not kind and os.path.isfile(path):
            body = os.path.getsize(path) - header - footer
            if body < 0 or body % record:  # found before the first record, as TF does
                raise partial(path, body)
        buf = bytearray()
        skipped = 0
        for block in _chunks(path, kind, size):
            if skipped < header:
                cut = min(header - skipped, len(block))
                skipped += cut
                block = block[cut:]
            buf += block
            # a record is known not to reach into the footer once a footer's worth follows it
            n = (len(buf) - footer) // record
            if n > 0:
                for k in range(n):
                    yield bytes(buf[k * record:(k + 1) * record])
                del buf[:n * record]
        if len(buf) != footer:
            raise partial(path, len(buf) - footer)
    return _records_dataset(filenames, read, num_parallel_reads)


def TFRecordDataset(filenames: Any, compression_type: str | None = None, buffer_size: int | None = None,  # noqa: N802
                    num_parallel_reads: int | None = None) -> Dataset:
    """The records of TFRecord files (each checked against its CRC32C: a corrupted file raises
    ``DataLossError`` naming it); ``num_parallel_reads`` files are read in turn, one record each."""
    kind = compression(compression_type)

    def read(path: str) -> PyIterator[bytes]:
        yield from tfrecord.iterate(path, kind)
    return _records_dataset(filenames, read, num_parallel_reads)


def list_files(file_pattern: Any, shuffle: bool | None = None, seed: int | None = None) -> Dataset:
    """The names of the files matching ``file_pattern`` (a glob, a list of them or a string
    tensor), looked up when an iterator starts; sorted, or shuffled unless ``shuffle=False``.
    No match raises ``InvalidArgumentError``.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); _ = [open(os.path.join(d, n), "w") for n in ("b.txt", "a.txt")]
    >>> [os.path.basename(v.item().decode()) for v in list_files(os.path.join(d, "*.txt"), shuffle=False)]
    ['a.txt', 'b.txt']
    """
    names, sources, _ = _file_names(file_pattern)
    holder: list[Dataset] = []

    def make() -> PyIterator[Any]:
        patterns = list(names(holder[0]))
        found = sorted({m for p in patterns for m in _glob.glob(p)})
        if not found:
            raise InvalidArgumentError(None, None, f"No files matched pattern: {', '.join(patterns)}")
        for m in found:
            yield [np.array(m.encode("utf-8"), dtype=object)]
    ds = Dataset(make, 0, [TensorShape([])], [_dt.string], sources)
    holder.append(ds)
    if shuffle is False:
        return ds
    return ds.shuffle(2**31 - 1, seed=seed)


Dataset.list_files = staticmethod(list_files)  # type: ignore[attr-defined]  (installed as transforms' methods are)
