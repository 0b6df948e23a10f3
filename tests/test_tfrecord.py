"""TFRecord files: round trips in every compression, corrupt and truncated files, and TF's files both ways."""
from __future__ import annotations

import os
import struct

import pytest

from graphflow.core import errors

pytestmark = pytest.mark.needs("google-crc32c")

COMPRESSIONS = ["", "ZLIB", "GZIP"]
RECORDS = [b"", b"a", b"\x00" * 300, bytes(range(256)) * 50]


def _tfrecord():
    from graphflow.formats import tfrecord
    return tfrecord


@pytest.mark.parametrize("kind", COMPRESSIONS)
def test_round_trip(tmp_path, kind):
    tfrecord = _tfrecord()
    p = str(tmp_path / "r")
    with tfrecord.Writer(p, kind) as w:
        for r in RECORDS:
            w.write(r)
    assert list(tfrecord.iterate(p, kind)) == RECORDS
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_compression_spellings_and_empty_file(tmp_path):
    tfrecord = _tfrecord()
    assert [tfrecord.compression_name(k) for k in (None, "", "NONE", "zlib", 2)] == ["", "", "", "ZLIB", "GZIP"]
    with pytest.raises(errors.InvalidArgumentError, match="BZIP"):
        tfrecord.compression_name("BZIP")
    p = str(tmp_path / "empty")
    tfrecord.Writer(p).close()
    assert list(tfrecord.iterate(p)) == [] and os.path.getsize(p) == 0


def test_frame_layout():
    tfrecord = _tfrecord()
    from graphflow.formats import crc32c
    framed = tfrecord.frame(b"xyz")
    assert framed[:8] == struct.pack("<Q", 3)
    assert framed[8:12] == struct.pack("<I", crc32c.masked(framed[:8]))
    assert framed[12:15] == b"xyz" and framed[15:] == struct.pack("<I", crc32c.masked(b"xyz"))


def test_missing_file():
    with pytest.raises(errors.NotFoundError, match="nope"):
        list(_tfrecord().iterate("/nonexistent/nope.tfrecord"))


def test_closed_writer(tmp_path):
    w = _tfrecord().Writer(str(tmp_path / "c"))
    w.close()
    w.close()
    with pytest.raises(errors.FailedPreconditionError, match="closed"):
        w.write(b"x")


def _write_raw(tmp_path, data: bytes) -> str:
    p = str(tmp_path / "bad")
    with open(p, "wb") as f:
        f.write(data)
    return p


def test_corrupt_and_truncated(tmp_path):
    tfrecord = _tfrecord()
    good = tfrecord.frame(b"hello") + tfrecord.frame(b"world!")
    second = len(tfrecord.frame(b"hello"))
    cases = {
        "truncated header": good[:second + 5],
        "truncated data": good[:-6],
        "truncated footer": good[:-1],
        "bad data crc": good[:-1] + bytes([good[-1] ^ 1]),
        "bad length crc": good[:second + 9] + bytes([good[second + 9] ^ 1]) + good[second + 10:],
    }
    for what, data in cases.items():
        p = _write_raw(tmp_path, data)
        it = tfrecord.iterate(p)
        assert next(it) == b"hello", what
        with pytest.raises(errors.DataLossError, match=rf"{p}.*offset {second}"):
            next(it)


def test_huge_length_is_data_loss_not_allocation(tmp_path):
    tfrecord = _tfrecord()
    from graphflow.formats import crc32c
    length = struct.pack("<Q", 1 << 60)
    p = _write_raw(tmp_path, length + struct.pack("<I", crc32c.masked(length)) + b"abc")
    with pytest.raises(errors.DataLossError, match="truncated"):
        list(tfrecord.iterate(p))
    for kind, pack in (("GZIP", __import__("gzip").compress), ("ZLIB", __import__("zlib").compress)):
        p = _write_raw(tmp_path, pack(length + struct.pack("<I", crc32c.masked(length)) + b"abc"))
        with pytest.raises(errors.DataLossError, match="truncated"):
            list(tfrecord.iterate(p, kind))


def test_corrupt_compressed_stream(tmp_path):
    tfrecord = _tfrecord()
    p = _write_raw(tmp_path, b"\x1f\x8b\x08\x00garbage-not-gzip")
    with pytest.raises(errors.DataLossError, match="bad"):
        list(tfrecord.iterate(p, "GZIP"))


@pytest.mark.needs("tensorflow")
@pytest.mark.parametrize("kind", COMPRESSIONS)
def test_tf_reads_ours_and_we_read_tfs(tmp_path, kind):
    import tensorflow as tf
    tfrecord = _tfrecord()
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    with tfrecord.Writer(ours, kind) as w:
        for r in RECORDS:
            w.write(r)
    assert list(tf.compat.v1.io.tf_record_iterator(ours, tf.io.TFRecordOptions(kind))) == RECORDS
    with tf.io.TFRecordWriter(theirs, tf.io.TFRecordOptions(kind)) as w:
        for r in RECORDS:
            w.write(r)
    assert list(tfrecord.iterate(theirs, kind)) == RECORDS
