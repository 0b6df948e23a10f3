"""tf.data's file datasets: TextLineDataset, FixedLengthRecordDataset, TFRecordDataset (plain,
GZIP, ZLIB) and CsvDataset, file names as a string, a list, a fed placeholder or a dataset, list_files, the
interleaved order of num_parallel_reads; NotFoundError for a missing file, DataLossError for a
corrupted one; the same records as TF1 reading the same files (TFRecords written by TF)."""
from __future__ import annotations

import gzip
import os
import zlib
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.formats import tfrecord
from tests.optional import tf1

LINES = [b"first", b"", b"third line", b"last"]
TEXT = b"first\r\n\nthird line\nlast"  # \r\n ends a line too; the last has no line end


def _drain(sess: Any, t: Any, feeds: dict | None = None) -> list:
    out = []
    while True:
        try:
            out.append(sess.run(t, feeds))
        except Exception as e:  # graphflow's or TF1's OutOfRangeError ends the stream
            if type(e).__name__ != "OutOfRangeError":
                raise
            return out


def _elements(m: Any, ds: Any) -> list:
    it = m.data.make_one_shot_iterator(ds) if hasattr(m.data, "make_one_shot_iterator") else \
        m.compat.v1.data.make_one_shot_iterator(ds)
    nxt = it.get_next()
    with m.Session() as s:
        return _drain(s, nxt)


@pytest.fixture(scope="module")
def files(tmp_path_factory: Any) -> dict[str, str]:
    d = tmp_path_factory.mktemp("data_files")
    paths = {"text": d / "a.txt", "text2": d / "b.txt", "gz": d / "a.txt.gz", "zz": d / "a.txt.zz",
             "fixed": d / "r.bin", "fixed_gz": d / "r.bin.gz"}
    paths["text"].write_bytes(TEXT)
    paths["text2"].write_bytes(b"x\ny\n")
    paths["gz"].write_bytes(gzip.compress(TEXT))
    paths["zz"].write_bytes(zlib.compress(TEXT))
    body = bytes(range(3)) + bytes(range(100, 112)) + b"FT"  # header 3, 3 records of 4, footer 2
    paths["fixed"].write_bytes(body)
    paths["fixed_gz"].write_bytes(gzip.compress(body))
    for name, kind in (("rec", ""), ("rec_gz", "GZIP"), ("rec2", "")):
        paths[name] = d / f"{name}.tfrecord"
        with tfrecord.Writer(str(paths[name]), kind) as w:
            for k in range(3):
                w.write(f"{name}-{k}".encode() * (k + 1))
    return {k: str(v) for k, v in paths.items()}


@pytest.fixture(autouse=True)
def fresh_graph():  # type: ignore[no-untyped-def]
    with gf.Graph().as_default():
        yield


def test_text_lines_in_every_compression_and_file_name_form(files: dict[str, str]) -> None:
    ds = gf.data.TextLineDataset(files["text"])
    assert ds.output_types == gf.string and ds.output_shapes.as_list() == []
    assert _elements(gf, ds) == LINES
    assert _elements(gf, gf.data.TextLineDataset(files["gz"], compression_type="GZIP")) == LINES
    assert _elements(gf, gf.data.TextLineDataset(files["zz"], "ZLIB", buffer_size=3)) == LINES
    names = gf.data.Dataset.from_tensor_slices([files["text2"], files["text"]])
    assert _elements(gf, gf.data.TextLineDataset(names)) == [b"x", b"y"] + LINES
    # two files read at once: one line of each in turn
    both = gf.data.TextLineDataset([files["text"], files["text2"]], num_parallel_reads=2)
    assert _elements(gf, both) == [b"first", b"x", b"", b"y", b"third line", b"last"]
    # a fed file name: read when the initializer runs
    fname = gf.placeholder(gf.string, [None])
    it = gf.data.make_initializable_iterator(gf.data.TextLineDataset(fname).map(gf.strings.length))
    with gf.Session() as s:
        s.run(it.initializer, {fname: [files["text2"]]})
        assert [int(v) for v in _drain(s, it.get_next())] == [1, 1]
        s.run(it.initializer, {fname: [files["text"], files["text2"]]})
        assert [int(v) for v in _drain(s, it.get_next())] == [len(x) for x in LINES] + [1, 1]


def test_fixed_length_records(files: dict[str, str]) -> None:
    want = [bytes(range(100 + 4 * k, 104 + 4 * k)) for k in range(3)]
    ds = gf.data.FixedLengthRecordDataset(files["fixed"], 4, header_bytes=3, footer_bytes=2)
    assert _elements(gf, ds) == want
    gz = gf.data.FixedLengthRecordDataset([files["fixed_gz"]], 4, 3, 2, buffer_size=5, compression_type="GZIP")
    assert _elements(gf, gz) == want
    with pytest.raises(gf.errors.InvalidArgumentError, match="not an exact multiple of the record length"):
        _elements(gf, gf.data.FixedLengthRecordDataset(files["fixed"], 5, header_bytes=3, footer_bytes=2))


def test_tfrecords_and_list_files(files: dict[str, str]) -> None:
    ds = gf.data.TFRecordDataset([files["rec"], files["rec_gz"]], compression_type=None)
    with pytest.raises(gf.errors.DataLossError, match="rec_gz.tfrecord"):  # a GZIP file read as plain
        _elements(gf, ds)
    assert _elements(gf, gf.data.TFRecordDataset(files["rec_gz"], "GZIP")) == [b"rec_gz-0", b"rec_gz-1" * 2,
                                                                               b"rec_gz-2" * 3]
    pair = gf.data.TFRecordDataset([files["rec"], files["rec2"]], num_parallel_reads=2)
    assert _elements(gf, pair) == [b"rec-0", b"rec2-0", b"rec-1" * 2, b"rec2-1" * 2, b"rec-2" * 3, b"rec2-2" * 3]
    pattern = os.path.join(os.path.dirname(files["rec"]), "rec*.tfrecord")
    names = gf.data.Dataset.list_files(pattern, shuffle=False)
    assert [os.path.basename(n.decode()) for n in _elements(gf, names)] == ["rec.tfrecord", "rec2.tfrecord",
                                                                          "rec_gz.tfrecord"]
    shuffled = [_elements(gf, gf.data.Dataset.list_files(pattern, seed=s)) for s in (1, 1, 5)]
    assert shuffled[0] == shuffled[1] and sorted(shuffled[2]) == sorted(_elements(gf, names))
    chained = names.filter(lambda n: gf.logical_not(gf.strings.regex_full_match(n, ".*gz.*")))
    assert len(_elements(gf, gf.data.TFRecordDataset(chained))) == 6
    with pytest.raises(gf.errors.InvalidArgumentError, match="No files matched pattern"):
        _elements(gf, gf.data.Dataset.list_files(pattern + ".none"))


def test_missing_and_corrupted_files(files: dict[str, str], tmp_path: Any) -> None:
    missing = str(tmp_path / "nope.txt")
    for ds in (gf.data.TextLineDataset(missing), gf.data.TFRecordDataset([missing]),
               gf.data.FixedLengthRecordDataset(missing, 4)):
        with pytest.raises(gf.errors.NotFoundError, match="nope.txt"):
            _elements(gf, ds)
    data = bytearray(open(files["rec"], "rb").read())
    data[21 + 12 + 2] ^= 0xFF  # inside the second record's bytes (the first takes 12 + 5 + 4)
    bad = tmp_path / "bad.tfrecord"
    bad.write_bytes(bytes(data))
    it = gf.data.make_one_shot_iterator(gf.data.TFRecordDataset(str(bad)))
    with gf.Session() as s:
        nxt = it.get_next()
        assert s.run(nxt) == b"rec-0"  # the records before the damage are read
        with pytest.raises(gf.errors.DataLossError, match="bad.tfrecord"):
            s.run(nxt)
    (tmp_path / "bad.gz").write_bytes(gzip.compress(TEXT)[:-6])
    with pytest.raises(gf.errors.DataLossError, match="bad.gz"):
        _elements(gf, gf.data.TextLineDataset(str(tmp_path / "bad.gz"), "GZIP"))


CSV = 'a,b,c,d\n1,2.5,"x,y",7\n3,,"q""r",\n,4,z,8\n'


def test_csv_dataset(tmp_path: Any) -> None:
    p = tmp_path / "t.csv"
    p.write_text(CSV)
    ds = gf.data.experimental.CsvDataset(str(p), [gf.constant(0), gf.constant(-1.0), "?", np.int64(0)], header=True)
    assert ds.output_types == (gf.int32, gf.float32, gf.string, gf.int64)
    got = [tuple(np.asarray(v).item() for v in e) for e in _elements(gf, ds)]
    assert got == [(1, 2.5, b"x,y", 7), (3, -1.0, b'q"r', 0), (0, 4.0, b"z", 8)]
    picked = gf.contrib.data.CsvDataset(str(p), [0, 0.0], header=True, select_cols=[0, 3])
    assert [tuple(np.asarray(v).item() for v in e) for e in _elements(gf, picked)] == [(1, 7.0), (3, 0.0), (0, 8.0)]
    with pytest.raises(gf.errors.InvalidArgumentError, match="t.csv: Field 1 is required but missing in record 1"):
        _elements(gf, gf.data.experimental.CsvDataset(str(p), [gf.int32, gf.float32, gf.string, gf.int64], header=True))
    with pytest.raises(gf.errors.InvalidArgumentError, match="Expect 3 fields but have 4 in record 0"):
        _elements(gf, gf.data.experimental.CsvDataset(str(p), [gf.string] * 3, header=True))
    with pytest.raises(gf.errors.InvalidArgumentError, match="Field 0 in record 0 is not a valid int32: a"):
        _elements(gf, gf.data.experimental.CsvDataset(str(p), [gf.int32, 0.0, "", 0]))
    # make_csv_dataset: names from the header, types inferred (b: float32, d: int32), the label apart
    batches = _elements(gf, gf.data.experimental.make_csv_dataset(str(p), 2, label_name="c", shuffle=False,
                                                                  num_epochs=1))
    (feats, label), (_, last) = batches
    assert sorted(feats) == ["a", "b", "d"] and feats["b"].dtype == np.float32 and feats["d"].dtype == np.int32
    assert feats["a"].tolist() == [1, 3] and feats["b"].tolist() == [2.5, 0.0] and label.tolist() == [b"x,y", b'q"r']
    assert last.tolist() == [b"z"]


@pytest.mark.needs("tensorflow")
def test_same_records_as_tf1(files: dict[str, str], tmp_path: Any) -> None:
    tf = tf1()
    # TFRecord files written by TF, plain and GZIP
    for name, kind in (("t0", None), ("t1", "GZIP")):
        opts = tf.io.TFRecordOptions(compression_type=kind) if kind else None
        with tf.io.TFRecordWriter(str(tmp_path / name), opts) as w:
            for k in range(4):
                w.write(bytes([k]) * (k * 7) + name.encode())

    (tmp_path / "t.csv").write_text(CSV)
    (tmp_path / "u.csv").write_text("a,b,c,d\n5,1e40,?,12345678901\n6,0.5,w,1\n")
    with tf.io.TFRecordWriter(str(tmp_path / "ex")) as w:
        for k in range(5):
            w.write(tf.train.Example(features=tf.train.Features(feature={
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=[k, k / 2])),
                "w": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"w%d" % k]))})).SerializeToString())

    def pipelines(m: Any) -> list:
        features = {"x": m.FixedLenFeature([2], m.float32), "w": m.FixedLenFeature([], m.string)}
        return [
            m.data.experimental.CsvDataset(str(tmp_path / "t.csv"), [m.constant(0), -1.0, "?", m.constant(0, m.int64)],
                                           header=True).batch(2),
            m.data.experimental.make_csv_dataset(str(tmp_path / "*.csv"), 2, label_name="b", shuffle=False,
                                                 num_epochs=1, na_value="?"),
            m.data.experimental.make_csv_dataset([str(tmp_path / "t.csv")], 3, select_columns=["d", "a"],
                                                 column_defaults=[-1, m.constant(-2, m.int64)], shuffle=False,
                                                 num_epochs=2),
            m.data.TFRecordDataset(str(tmp_path / "ex")).map(lambda r: m.parse_single_example(r, features)).batch(2),
            m.data.Dataset.from_tensor_slices([files["text"], files["text2"]]).interleave(
                lambda f: m.data.TextLineDataset(f).skip(1), cycle_length=2),
            m.data.TFRecordDataset(str(tmp_path / "t0")),
            m.data.TFRecordDataset([str(tmp_path / "t1")], compression_type="GZIP", buffer_size=10),
            m.data.TFRecordDataset([files["rec"], str(tmp_path / "t0"), files["rec2"]], num_parallel_reads=2),
            m.data.TextLineDataset([files["text"], files["text2"]]),
            m.data.TextLineDataset(files["gz"], compression_type="GZIP"),
            m.data.TextLineDataset(m.data.Dataset.from_tensor_slices([files["text2"], files["zz"]]).skip(1), "ZLIB"),
            m.data.TextLineDataset([files["text"], files["text2"]], num_parallel_reads=2),
            m.data.FixedLengthRecordDataset(files["fixed"], 4, header_bytes=3, footer_bytes=2),
            m.data.Dataset.list_files(os.path.join(os.path.dirname(files["rec"]), "*.tfrecord"), shuffle=False),
        ]
    with tf.Graph().as_default():
        theirs = [_elements(tf, ds) for ds in pipelines(tf)]
    ours = [_elements(gf, ds) for ds in pipelines(gf)]
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        flat_a, flat_b = gf.nest.flatten(a), tf.nest.flatten(b)
        assert len(flat_a) == len(flat_b), k
        for u, v in zip(flat_a, flat_b):
            np.testing.assert_array_equal(u, v, err_msg=f"pipeline {k}")
            assert np.asarray(u).dtype == np.asarray(v).dtype, k
    with tf.Graph().as_default(), pytest.raises(tf.errors.NotFoundError):
        _elements(tf, tf.data.TextLineDataset(str(tmp_path / "nope.txt")))
