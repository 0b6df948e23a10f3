"""Readers (TextLine, WholeFile, FixedLengthRecord, TFRecord, Identity) on small files, and
``decode_csv`` against Python's csv module and TF1."""
from __future__ import annotations

import csv
import io
import os

import numpy as np
import pytest

import graphflow as gf
from graphflow.formats import tfrecord
from tests.optional import tf1


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("readers")
    paths = {}
    paths["text1"] = str(d / "a.txt")
    with open(paths["text1"], "wb") as f:
        f.write(b"header\nl1\r\n\nl3")  # a CRLF, an empty line, no final line end
    paths["text2"] = str(d / "b.txt")
    with open(paths["text2"], "wb") as f:
        f.write(b"h\nm1\n")
    paths["fixed"] = str(d / "c.bin")
    with open(paths["fixed"], "wb") as f:
        f.write(b"HH" + bytes(range(10)) + b"F")
    paths["rec"] = str(d / "d.tfrecord")
    with tfrecord.Writer(paths["rec"]) as w:
        for r in (b"one", b"", b"three"):
            w.write(r)
    return paths


def _read_all(m, reader_fn, names: list[str], up_to: int | None = None) -> list[tuple[bytes, bytes]]:
    """Every (key, value) a reader gives for ``names``, until the closed queue runs out."""
    with m.Graph().as_default():
        q = m.FIFOQueue(10, m.string)
        reader = reader_fn()
        read = reader.read(q) if up_to is None else reader.read_up_to(q, up_to)
        counts = [reader.num_records_produced(), reader.num_work_units_completed()]
        with m.Session() as s:
            s.run(q.enqueue_many([names]))
            s.run(q.close())
            out = []
            while True:
                try:
                    k, v = s.run(read)
                except m.errors.OutOfRangeError:
                    break
                out += list(zip(k, v)) if up_to is not None else [(k, v)]
            return out + [tuple(int(c) for c in s.run(counts))]


def _cases(m, p: dict[str, str]) -> dict[str, tuple]:
    return {
        "text": (lambda: m.TextLineReader(skip_header_lines=1), [p["text1"], p["text2"]]),
        "whole": (lambda: m.WholeFileReader(), [p["text2"], p["fixed"]]),
        "fixed": (lambda: m.FixedLengthRecordReader(3, header_bytes=2, footer_bytes=1), [p["fixed"]]),
        "hop": (lambda: m.FixedLengthRecordReader(4, header_bytes=2, footer_bytes=1, hop_bytes=3), [p["fixed"]]),
        "tfrecord": (lambda: m.TFRecordReader(), [p["rec"]]),
        "identity": (lambda: m.IdentityReader(), ["w1", "w2"]),
    }


def test_readers_keys_values_and_counts(files: dict[str, str]) -> None:
    c = _cases(gf, files)
    t1, t2 = files["text1"], files["text2"]
    assert _read_all(gf, *c["text"]) == [(f"{t1}:2".encode(), b"l1"), (f"{t1}:3".encode(), b""),
                                         (f"{t1}:4".encode(), b"l3"), (f"{t2}:2".encode(), b"m1"), (4, 2)]
    assert _read_all(gf, *c["whole"])[:2] == [(t2.encode(), b"h\nm1\n"), (files["fixed"].encode(),
                                                                          b"HH" + bytes(range(10)) + b"F")]
    fx = files["fixed"]
    assert _read_all(gf, *c["fixed"]) == [(f"{fx}:{i}".encode(), bytes(range(3 * i, 3 * i + 3))) for i in range(3)] \
        + [(3, 1)]
    assert [v for _, v in _read_all(gf, *c["hop"])[:-1]] == [bytes(range(0, 4)), bytes(range(3, 7)),
                                                            bytes(range(6, 10))]
    rec = files["rec"]
    assert _read_all(gf, *c["tfrecord"]) == [(f"{rec}:0".encode(), b"one"), (f"{rec}:19".encode(), b""),
                                             (f"{rec}:35".encode(), b"three"), (3, 1)]
    assert _read_all(gf, *c["identity"]) == [(b"w1", b"w1"), (b"w2", b"w2"), (2, 2)]
    got = _read_all(gf, *c["text"], up_to=3)
    assert [v for _, v in got[:-1]] == [b"l1", b"", b"l3", b"m1"]


def test_reader_reset_and_missing_file(files: dict[str, str], tmp_path) -> None:
    with gf.Graph().as_default():
        q = gf.FIFOQueue(10, gf.string)
        reader = gf.TextLineReader()
        key, value = reader.read(q)
        with gf.Session() as s:
            s.run(q.enqueue_many([[files["text2"], files["text2"], str(tmp_path / "missing.txt")]]))
            assert s.run(value) == b"h"
            s.run(reader.reset())
            assert s.run(reader.num_records_produced()) == 0
            assert s.run(value) == b"h"  # the next file, from its start
            assert s.run(value) == b"m1"
            with pytest.raises(gf.errors.NotFoundError, match="missing.txt"):
                s.run(value)


def _csv_lines() -> list[str]:
    return ['1,2.5,"a,b",7', '-3,,"say ""hi""",', '4,1e3,plain,-9', "5,nan,,NA"]


def test_decode_csv_against_python_csv() -> None:
    lines = _csv_lines()
    with gf.Graph().as_default():
        recs = gf.placeholder(gf.string, [None])
        cols = gf.decode_csv(recs, [gf.constant([], gf.int32), [0.0], ["dflt"], gf.constant([-1], gf.int64)],
                             na_value="NA")
        picked = gf.decode_csv(recs, [[0], ["?"]], select_cols=[0, 2])
        semi = gf.decode_csv(recs, [[""], [""]], field_delim=";", use_quote_delim=False)
        with gf.Session() as s:
            a, b, c, d = s.run(cols, {recs: lines})
            rows = list(csv.reader(io.StringIO("\n".join(lines))))
            np.testing.assert_array_equal(a, [int(r[0]) for r in rows])
            np.testing.assert_array_equal(b, np.array([float(r[1]) if r[1] else 0.0 for r in rows], np.float32))
            assert c.tolist() == [(r[2] or "dflt").encode() for r in rows]
            np.testing.assert_array_equal(d, [int(r[3]) if r[3] not in ("", "NA") else -1 for r in rows])
            assert a.dtype == np.int32 and b.dtype == np.float32 and d.dtype == np.int64
            x, y = s.run(picked, {recs: lines[:1]})
            assert x.tolist() == [1] and y.tolist() == [b"a,b"]
            u, v = s.run(semi, {recs: ['x"y;z']})
            assert u.tolist() == [b'x"y'] and v.tolist() == [b"z"]
            for bad, msg in [("1,2", "Expect 4 fields but have 2 in record 0"),
                             ("x,1,a,1", "Field 0 in record 0 is not a valid int32: x"),
                             (",1,a,1", "Field 0 is required but missing in record 0!"),
                             ('1,1,a"b,1', "Unquoted fields cannot have quotes/CRLFs inside"),
                             ('1,1,"a"b,1', "Quote inside a string has to be escaped by another quote"),
                             ("1,1,a,99999999999999999999", "Field 3 in record 0 is not a valid int64")]:
                with pytest.raises(gf.errors.InvalidArgumentError, match=msg):
                    s.run(cols, {recs: [bad]})


@pytest.mark.needs("tensorflow")
def test_decode_csv_matches_tf1() -> None:
    tf = tf1()
    lines = _csv_lines() + ['"",0x,q,0']

    def run(m):
        with m.Graph().as_default():
            cols = m.decode_csv(m.constant(lines[:4]), [[0], [0.0], ["dflt"], m.constant([-1], m.int64)],
                                na_value="NA")
            with m.Session() as s:
                out = s.run(cols)
                try:
                    s.run(m.decode_csv(m.constant(lines[4:]), [[0], [0.0], [""], [0]]))
                except m.errors.InvalidArgumentError as e:
                    out.append("not a valid" in e.message and "Field 1 in record 0" in e.message)
                return out
    for a, b in zip(run(gf), run(tf)):
        np.testing.assert_array_equal(a, b)
        assert np.asarray(a).dtype == np.asarray(b).dtype


@pytest.mark.needs("tensorflow")
def test_readers_match_tf1(files: dict[str, str]) -> None:
    tf = tf1()
    ours, theirs = _cases(gf, files), _cases(tf, files)
    for name in ours:
        assert _read_all(gf, *ours[name]) == _read_all(tf, *theirs[name]), name
    assert _read_all(gf, *ours["text"], up_to=3) == _read_all(tf, *theirs["text"], up_to=3)
    assert os.path.exists(files["rec"])
