"""tf.train.Example protos and their parsing, decode_raw, read_file/write_file and
serialize_tensor/parse_tensor: numpy expectations, TF1's errors, and TF's own results."""
from __future__ import annotations

import gzip
import os
import zlib

import numpy as np
import pytest

import graphflow as gf
from graphflow.core import errors
from tests.optional import need

pytestmark = pytest.mark.needs("protobuf")


def _feature(values, kind):
    t = gf.train
    if kind == "int64":
        return t.Feature(int64_list=t.Int64List(value=values))
    if kind == "float":
        return t.Feature(float_list=t.FloatList(value=values))
    return t.Feature(bytes_list=t.BytesList(value=values))


def _example(**features) -> bytes:
    feats = {k: _feature(v, kind) for k, (kind, v) in features.items()}
    return gf.train.Example(features=gf.train.Features(feature=feats)).SerializeToString()


EXAMPLES = [
    _example(a=("int64", [1, 2]), f=("float", [0.5, -1.0, 2.0, 3.0]), s=("bytes", [b"x"]), seq=("float", [1, 2, 3, 4])),
    _example(a=("int64", [3, 4]), s=("bytes", [b"y", b"zz"]), seq=("float", [5, 6])),
    _example(a=("int64", [5, 6]), f=("float", [1, 2, 3, 4])),
]
FEATURES = {
    "a": gf.FixedLenFeature([2], gf.int64),
    "f": gf.FixedLenFeature([2, 2], gf.float32, default_value=[[9, 9], [9, 9]]),
    "s": gf.VarLenFeature(gf.string),
    "seq": gf.FixedLenSequenceFeature([2], gf.float32, allow_missing=True, default_value=-1.0),
    "v": gf.VarLenFeature(gf.int64),
}


def _tf_features(tf1, features):
    out = {}
    for k, f in features.items():
        if isinstance(f, gf.VarLenFeature):
            out[k] = tf1.io.VarLenFeature(f.dtype.name)
        elif isinstance(f, gf.SparseFeature):
            out[k] = tf1.io.SparseFeature(f.index_key, f.value_key, f.dtype.name, f.size, f.already_sorted)
        elif isinstance(f, gf.FixedLenSequenceFeature):
            out[k] = tf1.io.FixedLenSequenceFeature(f.shape, f.dtype.name, f.allow_missing, f.default_value)
        else:
            out[k] = tf1.io.FixedLenFeature(f.shape, f.dtype.name, f.default_value)
    return out


def _same(ours, theirs):
    assert set(ours) == set(theirs)
    for k, v in ours.items():
        if hasattr(v, "indices"):
            for part in ("indices", "values", "dense_shape"):
                np.testing.assert_array_equal(getattr(v, part), getattr(theirs[k], part), err_msg=f"{k}.{part}")
        else:
            assert v.dtype == theirs[k].dtype, k
            np.testing.assert_array_equal(v, theirs[k], err_msg=k)


def test_parse_example_values_and_shapes():
    x = gf.placeholder(gf.string, [3])
    out = gf.parse_example(x, FEATURES)
    assert out["a"].shape.as_list() == [3, 2] and out["f"].shape.as_list() == [3, 2, 2]
    assert out["seq"].shape.as_list() == [3, None, 2] and out["s"].dense_shape.shape.as_list() == [2]
    one = gf.parse_single_example(EXAMPLES[1], FEATURES)
    assert one["a"].shape.as_list() == [2] and one["s"].indices.shape.as_list() == [None, 1]
    with gf.Session() as s:
        got = s.run(out, {x: EXAMPLES})
        single = s.run(one)
    np.testing.assert_array_equal(got["a"], [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(got["f"], [[[0.5, -1], [2, 3]], [[9, 9], [9, 9]], [[1, 2], [3, 4]]])
    assert got["f"].dtype == np.float32
    np.testing.assert_array_equal(got["s"].indices, [[0, 0], [1, 0], [1, 1]])
    assert list(got["s"].values) == [b"x", b"y", b"zz"] and list(got["s"].dense_shape) == [3, 2]
    np.testing.assert_array_equal(got["seq"], [[[1, 2], [3, 4]], [[5, 6], [-1, -1]], [[-1, -1], [-1, -1]]])
    assert got["v"].indices.shape == (0, 2) and list(got["v"].dense_shape) == [3, 0]
    np.testing.assert_array_equal(single["a"], [3, 4])
    np.testing.assert_array_equal(single["s"].indices, [[0], [1]])
    assert list(single["s"].dense_shape) == [2] and list(single["s"].values) == [b"y", b"zz"]
    np.testing.assert_array_equal(single["seq"], [[5, 6]])


def test_parse_errors_name_feature_example_and_node():
    x = gf.placeholder(gf.string, [None])
    req = gf.parse_example(x, {"f": gf.FixedLenFeature([4], gf.float32)}, name="parse_req")
    typed = gf.parse_example(x, {"a": gf.VarLenFeature(gf.float32)})
    sized = gf.parse_example(x, {"a": gf.FixedLenFeature([3], gf.int64)})
    with gf.Session() as s:
        with pytest.raises(errors.InvalidArgumentError, match=r"Feature: f \(example 1\).*required") as e:
            s.run(req, {x: EXAMPLES[:2]})
        assert e.value.op is not None and e.value.op.name == "parse_req"
        with pytest.raises(errors.InvalidArgumentError, match=r"Feature: a \(example 0\).*Data type: int64 but "
                                                              r"expected type: float"):
            s.run(typed, {x: EXAMPLES[:1]})
        with pytest.raises(errors.InvalidArgumentError, match=r"Feature: a \(example 0\).*Values size: 2 but "
                                                              r"output shape: \[3\]"):
            s.run(sized, {x: EXAMPLES[:1]})
        with pytest.raises(errors.InvalidArgumentError, match="Could not parse example"):
            s.run(req, {x: [b"\xff\xff\xff"]})
    with pytest.raises(ValueError, match="Unsupported dtype int32"):
        gf.parse_example(x, {"a": gf.FixedLenFeature([], gf.int32)})
    with pytest.raises(ValueError, match="allow_missing"):
        gf.parse_example(x, {"a": gf.FixedLenSequenceFeature([], gf.int64)})
    with pytest.raises(ValueError, match="serialized must be a vector"):
        gf.parse_example(gf.constant(b"x"), {"a": gf.VarLenFeature(gf.int64)})


SPARSE_EXAMPLES = [_example(ix=("int64", [3, 1]), iy=("int64", [0, 2]), val=("float", [1.5, 2.5])),
                   _example(ix=("int64", [2]), iy=("int64", [1]), val=("float", [7.0])), _example()]
SPARSE = {"one": gf.SparseFeature("ix", "val", gf.float32, 5),
          "two": gf.SparseFeature(["ix", "iy"], "val", gf.float32, [5, 3], already_sorted=True)}


def test_sparse_feature():
    out = gf.parse_example(SPARSE_EXAMPLES, SPARSE)
    single = gf.parse_single_example(SPARSE_EXAMPLES[0], SPARSE)
    assert out["two"].indices.shape.as_list() == [None, 3] and single["two"].dense_shape.shape.as_list() == [2]
    with gf.Session() as s:
        got, one = s.run([out, single])
        np.testing.assert_array_equal(got["one"].indices, [[0, 1], [0, 3], [1, 2]])
        np.testing.assert_array_equal(got["one"].values, [2.5, 1.5, 7.0])
        np.testing.assert_array_equal(got["two"].indices, [[0, 3, 0], [0, 1, 2], [1, 2, 1]])  # as given
        assert list(got["two"].dense_shape) == [3, 5, 3] and list(one["two"].dense_shape) == [5, 3]
        np.testing.assert_array_equal(one["one"].indices, [[1], [3]])
        with pytest.raises(errors.InvalidArgumentError, match=r"Feature: ix \(example 0\).*index 3 is out of range"):
            s.run(gf.parse_example(SPARSE_EXAMPLES, {"x": gf.SparseFeature("ix", "val", gf.float32, 2)}))
        with pytest.raises(errors.InvalidArgumentError, match="1 indices but 2 values"):
            s.run(gf.parse_single_example(_example(ix=("int64", [1]), val=("float", [1.0, 2.0])),
                                          {"x": gf.SparseFeature("ix", "val", gf.float32, 5)}))


def _sequence_example() -> bytes:
    t = gf.train
    steps = t.FeatureList(feature=[_feature([1.0, 2.0], "float"), _feature([3.0, 4.0], "float")])
    words = t.FeatureList(feature=[_feature([b"a"], "bytes"), _feature([], "bytes"), _feature([b"b", b"c"], "bytes")])
    return t.SequenceExample(
        context=t.Features(feature={"len": _feature([2], "int64")}),
        feature_lists=t.FeatureLists(feature_list={"steps": steps, "words": words})).SerializeToString()


def _short_sequence_example() -> bytes:
    t = gf.train
    return t.SequenceExample(
        context=t.Features(feature={"len": _feature([1], "int64")}),
        feature_lists=t.FeatureLists(feature_list={
            "steps": t.FeatureList(feature=[_feature([5.0, 6.0], "float")]),
            "words": t.FeatureList(feature=[_feature([b"d"], "bytes")])})).SerializeToString()


BATCH_SEQUENCE = {"steps": gf.FixedLenSequenceFeature([2], gf.float32), "words": gf.VarLenFeature(gf.string),
                  "absent": gf.FixedLenSequenceFeature([], gf.int64, allow_missing=True)}


def test_parse_sequence_example_batched():
    ctx, seq, lengths = gf.io.parse_sequence_example([_sequence_example(), _short_sequence_example()],
                                                     {"len": gf.FixedLenFeature([], gf.int64)}, BATCH_SEQUENCE)
    assert seq["steps"].shape.as_list() == [2, None, 2] and lengths["steps"].shape.as_list() == [2]
    assert seq["words"].indices.shape.as_list() == [None, 3] and set(lengths) == {"steps", "absent"}
    with gf.Session() as s:
        c, q, n = s.run([ctx, seq, lengths])
    np.testing.assert_array_equal(c["len"], [2, 1])
    np.testing.assert_array_equal(q["steps"], [[[1, 2], [3, 4]], [[5, 6], [0, 0]]])
    np.testing.assert_array_equal(n["steps"], [2, 1])
    np.testing.assert_array_equal(n["absent"], [0, 0])
    assert q["absent"].shape == (2, 0)
    np.testing.assert_array_equal(q["words"].indices, [[0, 0, 0], [0, 2, 0], [0, 2, 1], [1, 0, 0]])
    assert list(q["words"].dense_shape) == [2, 3, 2]
    with pytest.raises(ValueError, match="must be None"):
        gf.io.parse_sequence_example([b""], None, {"x": gf.FixedLenSequenceFeature([], gf.int64, default_value=1)})


CONTEXT = {"len": gf.FixedLenFeature([], gf.int64), "missing": gf.FixedLenFeature([], gf.float32, default_value=0.5)}
SEQUENCE = {"steps": gf.FixedLenSequenceFeature([2], gf.float32), "words": gf.VarLenFeature(gf.string),
            "absent": gf.FixedLenSequenceFeature([3], gf.int64, allow_missing=True)}


def test_parse_single_sequence_example():
    ctx, seq = gf.parse_single_sequence_example(_sequence_example(), CONTEXT, SEQUENCE)
    assert seq["steps"].shape.as_list() == [None, 2] and ctx["len"].shape.as_list() == []
    with gf.Session() as s:
        c, q = s.run([ctx, seq])
        assert c["len"] == 2 and c["missing"] == np.float32(0.5)
        np.testing.assert_array_equal(q["steps"], [[1, 2], [3, 4]])
        np.testing.assert_array_equal(q["words"].indices, [[0, 0], [2, 0], [2, 1]])
        assert list(q["words"].dense_shape) == [3, 2] and q["absent"].shape == (0, 3)
        _, bad = gf.parse_single_sequence_example(_sequence_example(), None,
                                                  {"steps": gf.FixedLenSequenceFeature([3], gf.float32)})
        with pytest.raises(errors.InvalidArgumentError, match=r"Key: steps, Index: 0.*values size: 2"):
            s.run(bad)
        _, missing = gf.parse_single_sequence_example(_sequence_example(), None,
                                                      {"nope": gf.FixedLenSequenceFeature([], gf.float32)})
        with pytest.raises(errors.InvalidArgumentError, match="'nope' is required"):
            s.run(missing)


def test_decode_raw_and_files(tmp_path):
    raw = np.array([[1, -2], [300, 4]], dtype="<i4")
    x = gf.placeholder(gf.string, [None])
    as_i4 = gf.decode_raw(x, gf.int32)
    as_big = gf.decode_raw(x, gf.int16, little_endian=False)
    as_u8 = gf.io.decode_raw(x, gf.uint8)
    path = str(tmp_path / "sub" / "f.bin")
    write = gf.write_file(path, gf.constant(b"\x00\x01payload"))
    read = gf.read_file(path)
    round_trip = gf.parse_tensor(gf.serialize_tensor(gf.constant(raw.astype(np.float64))), gf.float64)
    strings = gf.parse_tensor(gf.serialize_tensor(gf.constant([b"a", b"bc"])), gf.string)
    with gf.Session() as s:
        feed = {x: [raw[0].tobytes(), raw[1].tobytes()]}
        np.testing.assert_array_equal(s.run(as_i4, feed), raw)
        np.testing.assert_array_equal(s.run(as_big, feed), raw.view(">i2").reshape(2, 4))
        np.testing.assert_array_equal(s.run(as_u8, feed), raw.view(np.uint8).reshape(2, 8))
        with pytest.raises(errors.InvalidArgumentError, match="same size, but element 1 has size 3 != 4"):
            s.run(as_i4, {x: [b"abcd", b"abc"]})
        with pytest.raises(errors.InvalidArgumentError, match="length 3 that is not a multiple of 4"):
            s.run(as_i4, {x: [b"abc"]})
        s.run(write)
        assert s.run(read) == b"\x00\x01payload"
        assert s.run(gf.read_file(gf.constant(path))) == open(path, "rb").read()
        with pytest.raises(errors.NotFoundError, match="missing.bin") as e:
            s.run(gf.read_file(str(tmp_path / "missing.bin"), name="read_missing"))
        assert e.value.op.name == "read_missing"
        np.testing.assert_array_equal(s.run(round_trip), raw)
        assert list(s.run(strings)) == [b"a", b"bc"]
        assert s.run(gf.decode_compressed(gf.constant(b"as is"))) == b"as is"
        with pytest.raises(errors.DataLossError, match=r"element \[1\] is not valid GZIP") as e:
            s.run(gf.decode_compressed([gzip.compress(b"ok"), b"garbage"], "GZIP", name="gunzip"))
        assert e.value.op.name == "gunzip"
        with pytest.raises(errors.InvalidArgumentError, match=r"Type mismatch between parsed tensor \(float64\)"):
            s.run(gf.parse_tensor(gf.serialize_tensor(gf.constant([1.0], gf.float64)), gf.float32))


def test_tfrecord_names(tmp_path):
    p = str(tmp_path / "x.tfrecord")
    opts = gf.python_io.TFRecordOptions(gf.python_io.TFRecordCompressionType.ZLIB)
    with gf.python_io.TFRecordWriter(p, opts) as w:
        w.write(EXAMPLES[0])
        w.write("text")
    assert list(gf.python_io.tf_record_iterator(p, opts)) == [EXAMPLES[0], b"text"]
    assert list(gf.io.tf_record_iterator(p, "ZLIB")) == [EXAMPLES[0], b"text"]
    assert gf.io.TFRecordOptions.get_compression_type_string(None) == ""
    with pytest.raises(errors.DataLossError):
        list(gf.io.tf_record_iterator(p))  # read as uncompressed


# ---- against TensorFlow ----------------------------------------------------------------------------

@pytest.mark.needs("tensorflow")
def test_example_bytes_equal_tf():
    tf = need("tensorflow")
    t = tf.train
    theirs = t.Example(features=t.Features(feature={
        "a": t.Feature(int64_list=t.Int64List(value=[1, -2, 1 << 40])),
        "f": t.Feature(float_list=t.FloatList(value=[0.5, -1.25])),
        "s": t.Feature(bytes_list=t.BytesList(value=[b"x", b""]))}))
    ours = gf.train.Example.FromString(theirs.SerializeToString(deterministic=True))
    assert ours.SerializeToString(deterministic=True) == theirs.SerializeToString(deterministic=True)
    assert ours.features.feature["f"].WhichOneof("kind") == "float_list"
    built = gf.train.Example(features=gf.train.Features(feature={"a": _feature([1, -2, 1 << 40], "int64")}))
    tf_built = t.Example(features=t.Features(feature={"a": t.Feature(int64_list=t.Int64List(value=[1, -2, 1 << 40]))}))
    assert built.SerializeToString() == tf_built.SerializeToString()
    seq = t.SequenceExample.FromString(_sequence_example())
    assert gf.train.SequenceExample.FromString(seq.SerializeToString(deterministic=True)).SerializeToString(
        deterministic=True) == seq.SerializeToString(deterministic=True)
    assert seq.feature_lists.feature_list["words"].feature[2].bytes_list.value == [b"b", b"c"]


@pytest.mark.needs("tensorflow")
def test_parsing_equals_tf():
    tf = need("tensorflow")
    tf1 = tf.compat.v1
    odd = [_example(a=("int64", [7, 8]), f=("float", []))]  # an empty list where a default exists
    raw = [np.arange(6, dtype="<f4").tobytes(), np.arange(6, 12, dtype="<f4").tobytes()]
    with tf1.Graph().as_default(), tf1.Session() as ts:
        theirs = ts.run({
            "batch": tf1.io.parse_example(EXAMPLES, _tf_features(tf1, FEATURES)),
            "single": tf1.io.parse_single_example(EXAMPLES[0], _tf_features(tf1, FEATURES)),
            "seq": tf1.io.parse_single_sequence_example(_sequence_example(), _tf_features(tf1, CONTEXT),
                                                        _tf_features(tf1, SEQUENCE)),
            "sparse": tf1.io.parse_example(SPARSE_EXAMPLES, _tf_features(tf1, SPARSE)),
            "batch_seq": tf1.io.parse_sequence_example(
                [_sequence_example(), _short_sequence_example()], _tf_features(tf1, CONTEXT),
                _tf_features(tf1, BATCH_SEQUENCE)),
            "unzip": tf1.io.decode_compressed([zlib.compress(b"abc"), zlib.compress(b"")], "ZLIB"),
            "gunzip": tf1.io.decode_compressed([[gzip.compress(b"xyz")]], "GZIP"),
            "raw": tf1.io.decode_raw(raw, tf.float32), "raw16": tf1.io.decode_raw(raw, tf.int16, False),
            "ser": tf1.io.serialize_tensor(np.array([[1, 2]], np.int32)),
            "ser_s": tf1.io.serialize_tensor(np.array([b"p", b"q"]))})
        try:
            theirs["odd"] = ts.run(tf1.io.parse_example(odd, _tf_features(tf1, {"f": FEATURES["f"]})))
        except tf.errors.InvalidArgumentError as e:
            theirs["odd"] = e
    with gf.Session() as s:
        ours = s.run({
            "batch": gf.parse_example(EXAMPLES, FEATURES), "single": gf.parse_single_example(EXAMPLES[0], FEATURES),
            "seq": gf.parse_single_sequence_example(_sequence_example(), CONTEXT, SEQUENCE),
            "sparse": gf.parse_example(SPARSE_EXAMPLES, SPARSE),
            "batch_seq": gf.io.parse_sequence_example([_sequence_example(), _short_sequence_example()], CONTEXT,
                                                      BATCH_SEQUENCE),
            "unzip": gf.io.decode_compressed([zlib.compress(b"abc"), zlib.compress(b"")], "ZLIB"),
            "gunzip": gf.decode_compressed([[gzip.compress(b"xyz")]], "GZIP"),
            "raw": gf.decode_raw(raw, gf.float32), "raw16": gf.decode_raw(raw, gf.int16, False),
            "ser": gf.serialize_tensor(np.array([[1, 2]], np.int32)),
            "ser_s": gf.serialize_tensor(np.array([b"p", b"q"], dtype=object))})
        odd_parse = gf.parse_example(odd, {"f": FEATURES["f"]})
        if isinstance(theirs["odd"], Exception):
            with pytest.raises(errors.InvalidArgumentError):
                s.run(odd_parse)
        else:
            _same(s.run(odd_parse), theirs["odd"])
    _same(ours["batch"], theirs["batch"])
    _same(ours["single"], theirs["single"])
    _same(ours["sparse"], theirs["sparse"])
    for i in range(3):
        _same(ours["batch_seq"][i], theirs["batch_seq"][i])
    _same(ours["seq"][0], theirs["seq"][0])
    _same(ours["seq"][1], theirs["seq"][1])
    np.testing.assert_array_equal(ours["raw"], theirs["raw"])
    assert ours["unzip"].tolist() == theirs["unzip"].tolist() and ours["gunzip"].tolist() == theirs["gunzip"].tolist()
    np.testing.assert_array_equal(ours["raw16"], theirs["raw16"])
    assert ours["ser"] == theirs["ser"] and ours["ser_s"] == theirs["ser_s"]


@pytest.mark.needs("tensorflow")
def test_tf_errors_agree():
    """Where graphflow raises InvalidArgumentError, TF does too, for the same inputs."""
    tf = need("tensorflow")
    tf1 = tf.compat.v1
    cases = [({"f": tf1.io.FixedLenFeature([4], tf.float32)}, EXAMPLES[:2]),
             ({"a": tf1.io.VarLenFeature(tf.float32)}, EXAMPLES[:1]),
             ({"a": tf1.io.FixedLenFeature([3], tf.int64)}, EXAMPLES[:1])]
    with tf1.Graph().as_default(), tf1.Session() as ts:
        for features, batch in cases:
            with pytest.raises(tf.errors.InvalidArgumentError, match=list(features)[0]):
                ts.run(tf1.io.parse_example(batch, features))
        with pytest.raises(tf.errors.InvalidArgumentError, match="same size"):
            ts.run(tf1.io.decode_raw([b"abcd", b"abc"], tf.int32))


@pytest.mark.needs("tensorflow")
def test_tf_reads_write_file_and_parses_our_tensor(tmp_path):
    tf = need("tensorflow")
    path = str(tmp_path / "t.bin")
    with gf.Session() as s:
        s.run(gf.write_file(path, gf.serialize_tensor(gf.constant([[1.5, 2.5]], gf.float32))))
    with tf.compat.v1.Graph().as_default(), tf.compat.v1.Session() as ts:
        got = ts.run(tf.io.parse_tensor(tf.io.read_file(path), tf.float32))
    np.testing.assert_array_equal(got, [[1.5, 2.5]])
    assert os.path.getsize(path) > 0
