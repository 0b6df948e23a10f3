"""Input-pipeline ops in TF1's GraphDef: a queue / reader pipeline and the parsing and codec ops
export with TF1's op names and attributes, write their ``.meta`` without warning, load into
TensorFlow 1 (which checks every op and attribute), and the stateless ones compute graphflow's
outputs there; the decoders round-trip into graphflow."""
from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need

pytestmark = pytest.mark.needs("tensorboard")  # graph files use the protobuf messages tensorboard ships


def _pipeline() -> gf.Graph:
    g = gf.Graph()
    with g.as_default():
        files = gf.train.string_input_producer(["a.bin", "b.bin"], shuffle=False)
        reader = gf.FixedLengthRecordReader(record_bytes=6, header_bytes=2, name="reader")
        _, value = reader.read(files, name="read")
        x = gf.reshape(gf.decode_raw(value, gf.uint8, name="raw"), [6])
        gf.train.shuffle_batch([x], batch_size=2, capacity=8, min_after_dequeue=2, seed=3, name="batch")
        gf.Variable(np.zeros(2, np.float32), name="v")
    return g


def _stateless() -> gf.Graph:
    g = gf.Graph()
    with g.as_default():
        raw = gf.placeholder(gf.string, [None], name="raw_in")
        gf.decode_raw(raw, gf.int16, little_endian=False, name="raw")
        png = gf.placeholder(gf.string, [], name="png_in")
        gf.image.decode_png(png, channels=3, name="png")
        gf.image.encode_png(gf.constant(np.arange(12, dtype=np.uint8).reshape(2, 2, 3)), name="png_out")
        ser = gf.placeholder(gf.string, [None], name="ex_in")
        feats = gf.parse_example(ser, {"d": gf.FixedLenFeature([2], gf.int64, default_value=[7, 8]),
                                       "s": gf.VarLenFeature(gf.string), "f": gf.FixedLenFeature([], gf.float32)},
                                 name="parse")
        for k, v in feats.items():
            if isinstance(v, gf.SparseTensor):
                gf.identity(v.indices, name=f"ex_{k}_indices")
                gf.identity(v.values, name=f"ex_{k}_values")
                gf.identity(v.dense_shape, name=f"ex_{k}_shape")
            else:
                gf.identity(v, name=f"ex_{k}")
        csv = gf.placeholder(gf.string, [None], name="csv_in")
        a, b, c = gf.decode_csv(csv, [[0], [""], [1.5]], field_delim=";", name="csv")
        for i, t in enumerate((a, b, c)):
            gf.identity(t, name=f"csv_{i}")
    return g


_FETCHES = ["raw:0", "png:0", "png_out:0", "ex_d:0", "ex_f:0", "ex_s_indices:0", "ex_s_values:0", "ex_s_shape:0",
            "csv_0:0", "csv_1:0", "csv_2:0"]


def _png() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(np.arange(24, dtype=np.uint8).reshape(2, 4, 3)).save(buf, format="PNG")
    return buf.getvalue()


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)))


def _nodes(gd: Any) -> dict[str, Any]:
    return {nd.name: nd for nd in gd.node}


def test_a_reader_pipeline_exports_with_tf1_ops_and_attributes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    g = _pipeline()
    gd = g.as_graph_def()
    ops = {nd.op for nd in gd.node}
    assert {"FIFOQueueV2", "RandomShuffleQueueV2", "FixedLengthRecordReaderV2", "ReaderReadV2", "DecodeRaw",
            "QueueEnqueueManyV2", "QueueEnqueueV2", "QueueDequeueManyV2", "QueueCloseV2", "QueueSizeV2"} <= ops
    nodes = _nodes(gd)
    rd = nodes["reader"]
    assert (rd.op, rd.attr["record_bytes"].i, rd.attr["header_bytes"].i, rd.attr["encoding"].s) == \
        ("FixedLengthRecordReaderV2", 6, 2, b"")
    assert nodes["raw"].attr["out_type"].type == 4 and nodes["raw"].attr["little_endian"].b
    shuffle = next(nd for nd in gd.node if nd.op == "RandomShuffleQueueV2")
    assert shuffle.attr["capacity"].i == 8 and shuffle.attr["min_after_dequeue"].i == 2
    assert list(shuffle.attr["component_types"].list.type) == [4]
    assert [d.size for d in shuffle.attr["shapes"].list.shape[0].dim] == [6]
    deq = next(nd for nd in gd.node if nd.op == "QueueDequeueManyV2")
    assert list(deq.attr["component_types"].list.type) == [4] and deq.attr["timeout_ms"].i == -1
    with g.as_default(), warnings.catch_warnings():
        warnings.simplefilter("error")
        mgd = gf.train.export_meta_graph(str(tmp_path / "p.meta"))
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            gf.train.Saver().save(sess, str(tmp_path / "ckpt"))
    assert (tmp_path / "p.meta").stat().st_size > 0 and (tmp_path / "ckpt.meta").exists()
    assert "ReaderReadV2" in {nd.op for nd in mgd.graph_def.node}


def test_parsing_and_codec_ops_export_and_decoders_round_trip() -> None:
    gd = _stateless().as_graph_def()
    nodes = _nodes(gd)
    pe = nodes["parse/ParseExample"]
    assert (pe.attr["Nsparse"].i, pe.attr["Ndense"].i) == (1, 2)
    assert list(pe.attr["sparse_types"].list.type) == [7] and list(pe.attr["Tdense"].list.type) == [9, 1]
    assert nodes["parse"].op == "IdentityN"
    assert (nodes["png"].op, nodes["png"].attr["channels"].i, nodes["png"].attr["dtype"].type) == ("DecodePng", 3, 4)
    assert list(nodes["csv"].attr["OUT_TYPE"].list.type) == [3, 7, 1] and nodes["csv"].attr["field_delim"].s == b";"
    with gf.Graph().as_default():
        raw, png, png_out, a, b, c, d, f = gf.import_graph_def(
            gd, return_elements=["raw:0", "png:0", "png_out:0", "csv_0:0", "csv_1:0", "csv_2:0", "ex_d:0", "ex_f:0"],
            name="")
        assert {raw.node.op, png.node.op, png_out.node.op} == {gf_op("DECODE_RAW"), gf_op("DECODE_PNG"),
                                                               gf_op("ENCODE_PNG")}
        with gf.Session() as sess:
            got = sess.run([raw, png, png_out, a, b, c, d, f],
                           {"raw_in:0": [b"\x00\x01\x01\x00"], "png_in:0": _png(), "csv_in:0": [b"4;x;", b";;2"],
                            "ex_in:0": [_example()]})
    np.testing.assert_array_equal(got[0], [[1, 256]])
    np.testing.assert_array_equal(got[1], np.arange(24, dtype=np.uint8).reshape(2, 4, 3))
    assert got[2].startswith(b"\x89PNG")
    np.testing.assert_array_equal(got[3], [4, 0])
    assert list(got[4]) == [b"x", b""]
    np.testing.assert_array_equal(got[5], np.float32([1.5, 2]))
    np.testing.assert_array_equal(got[6], [[7, 8]])  # the default
    np.testing.assert_array_equal(got[7], np.float32([0.5]))


def _example() -> bytes:
    """An Example with f = 0.5 only, encoded by hand (Features{feature: {"f": FloatList[0.5]}})."""
    floats = b"\x12\x06\x0a\x04" + np.float32(0.5).tobytes()  # Feature.float_list (packed)
    entry = b"\x0a\x01f\x12" + bytes([len(floats)]) + floats
    features = b"\x0a" + bytes([len(entry)]) + entry
    return b"\x0a" + bytes([len(features)]) + features


def gf_op(name: str) -> Any:
    from graphflow.core.registry import Op
    return getattr(Op, name)


@pytest.mark.needs("tensorflow")
def test_tf1_loads_the_pipeline_and_runs_the_stateless_ops_as_graphflow() -> None:
    tf = need("tensorflow")
    with tf.Graph().as_default():  # TF checks every op name, attribute and edge type here
        tf.import_graph_def(tf.GraphDef.FromString(_pipeline().as_graph_def().SerializeToString()), name="")
    ex = tf.train.Example()
    ex.features.feature["d"].int64_list.value.extend([3, 4])
    ex.features.feature["s"].bytes_list.value.extend([b"p", b"q"])
    ex.features.feature["f"].float_list.value.append(0.25)
    ex2 = tf.train.Example()
    ex2.features.feature["f"].float_list.value.append(-1.0)
    feeds = {"raw_in:0": [b"\x00\x01\x01\x00", b"\xff\xfe\x00\x02"], "png_in:0": _png(),
             "ex_in:0": [ex.SerializeToString(), ex2.SerializeToString()], "csv_in:0": [b"4;x;", b";;2"]}
    g = _stateless()
    with g.as_default(), gf.Session() as sess:
        want = sess.run(_FETCHES, feeds)
    with tf.Graph().as_default():
        tf.import_graph_def(tf.GraphDef.FromString(g.as_graph_def().SerializeToString()), name="")
        with tf.Session() as s:
            got = s.run(_FETCHES, feeds)
    for name, a, b in zip(_FETCHES, got, want):
        if name == "png_out:0":  # encoders choose their own filters and deflate streams: compare the pixels
            a, b = _pixels(a), _pixels(b)
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype or (a.dtype.kind in "OS" and b.dtype.kind in "OS"), name
        np.testing.assert_array_equal(a, b, err_msg=name)


def _every_other_op() -> gf.Graph:
    g = gf.Graph()
    with g.as_default():
        names = gf.constant(["a.txt"])
        q = gf.PaddingFIFOQueue(4, [gf.int32], shapes=[[None]], name="padq")
        q.enqueue([gf.constant([1, 2])])
        q.dequeue_up_to(2)
        q.is_closed()
        pq = gf.PriorityQueue(4, [gf.string], shapes=[[]], name="prioq")
        pq.enqueue([gf.constant(1, gf.int64), gf.constant("x")])
        pq.dequeue()
        fq = gf.FIFOQueue(4, gf.string, name="files")
        fq.enqueue_many([names])
        fq.close(cancel_pending_enqueues=True)
        for r in (gf.TextLineReader(skip_header_lines=1), gf.WholeFileReader(), gf.IdentityReader(),
                  gf.TFRecordReader(options="GZIP")):
            r.read(fq)
            r.read_up_to(fq, 3)
            r.num_records_produced()
            r.num_work_units_completed()
            r.reset()
        img = gf.zeros([2, 2, 3], gf.uint8)
        jpg = gf.image.encode_jpeg(img, quality=80)
        gf.image.encode_jpeg(img, quality=gf.placeholder(gf.int32, []))
        gf.image.decode_jpeg(jpg, channels=3, ratio=2, dct_method="INTEGER_ACCURATE")
        gf.image.decode_and_crop_jpeg(jpg, [0, 0, 1, 1])
        gf.image.extract_jpeg_shape(jpg, output_type=gf.int64)
        gf.image.decode_bmp(jpg)
        gf.image.decode_gif(jpg)
        gf.image.decode_image(jpg, channels=3, dtype=gf.float32)
        contents = gf.read_file("a.txt")
        gf.write_file("b.txt", contents)
        gf.io.decode_compressed(gf.constant(["x"]), "ZLIB")
        gf.io.parse_tensor(gf.io.serialize_tensor(gf.constant([1.0])), gf.float32)
    return g


@pytest.mark.needs("tensorflow")
def test_tf1_loads_every_queue_reader_and_codec_op() -> None:
    tf = need("tensorflow")
    gd = _every_other_op().as_graph_def()
    ops = {nd.op for nd in gd.node}
    assert {"PaddingFIFOQueueV2", "PriorityQueueV2", "QueueDequeueUpToV2", "QueueIsClosedV2", "TextLineReaderV2",
            "WholeFileReaderV2", "IdentityReaderV2", "TFRecordReaderV2", "ReaderReadUpToV2",
            "ReaderNumRecordsProducedV2", "ReaderNumWorkUnitsCompletedV2", "ReaderResetV2", "EncodeJpeg",
            "EncodeJpegVariableQuality", "DecodeJpeg", "DecodeAndCropJpeg", "ExtractJpegShape", "DecodeBmp",
            "DecodeGif", "DecodeImage", "ReadFile", "WriteFile", "DecodeCompressed", "SerializeTensor",
            "ParseTensor"} <= ops
    by_op = {nd.op: nd for nd in gd.node}
    assert by_op["TFRecordReaderV2"].attr["compression_type"].s == b"GZIP"
    assert by_op["TextLineReaderV2"].attr["skip_header_lines"].i == 1
    assert by_op["EncodeJpeg"].attr["quality"].i == 80 and by_op["ExtractJpegShape"].attr["output_type"].type == 9
    assert by_op["QueueCloseV2"].attr["cancel_pending_enqueues"].b
    assert list(by_op["PriorityQueueV2"].attr["component_types"].list.type) == [7]  # the int64 priority is implied
    with tf.Graph().as_default():  # TF checks every op name, attribute and edge type here
        tf.import_graph_def(tf.GraphDef.FromString(gd.SerializeToString()), name="")


def _single_parsers() -> gf.Graph:
    g = gf.Graph()
    with g.as_default():
        one = gf.parse_single_example(gf.placeholder(gf.string, [], name="one_in"),
                                      {"d": gf.FixedLenFeature([2], gf.int64, default_value=[7, 8]),
                                       "s": gf.VarLenFeature(gf.string)}, name="one")
        ctx, seq = gf.parse_single_sequence_example(
            gf.placeholder(gf.string, [], name="seq_in"), {"n": gf.FixedLenFeature([], gf.int64)},
            {"x": gf.FixedLenSequenceFeature([2], gf.float32), "w": gf.VarLenFeature(gf.int64),
             "m": gf.FixedLenSequenceFeature([], gf.int64, allow_missing=True)}, name="seq")
        for prefix, parsed in (("one", one), ("ctx", ctx), ("seq", seq)):
            for k, v in parsed.items():
                parts = [("indices", v.indices), ("values", v.values), ("shape", v.dense_shape)] \
                    if isinstance(v, gf.SparseTensor) else [("dense", v)]
                for part, t in parts:
                    gf.identity(t, name=f"{prefix}_{k}_{part}")
    return g


@pytest.mark.needs("tensorflow")
def test_tf1_runs_the_single_example_parsers_as_graphflow() -> None:
    tf = need("tensorflow")
    ex = tf.train.Example()
    ex.features.feature["s"].bytes_list.value.extend([b"p", b"q"])
    se = tf.train.SequenceExample()
    se.context.feature["n"].int64_list.value.append(5)
    for row in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]):
        se.feature_lists.feature_list["x"].feature.add().float_list.value.extend(row)
    for ws in ([1], [], [2, 3]):
        se.feature_lists.feature_list["w"].feature.add().int64_list.value.extend(ws)
    feeds = {"one_in:0": ex.SerializeToString(), "seq_in:0": se.SerializeToString()}
    g = _single_parsers()
    fetches = [f"{op.name}:0" for op in g.get_operations() if op.name.startswith(("one_", "ctx_", "seq_"))
               and not op.name.endswith("_in")]
    assert len(fetches) == 10
    gd = g.as_graph_def()
    assert {"ParseSingleExample", "ParseSingleSequenceExample"} <= {nd.op for nd in gd.node}
    with g.as_default(), gf.Session() as sess:
        want = sess.run(fetches, feeds)
    with tf.Graph().as_default():
        tf.import_graph_def(tf.GraphDef.FromString(gd.SerializeToString()), name="")
        with tf.Session() as s:
            got = s.run(fetches, feeds)
    for name, a, b in zip(fetches, got, want):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype or (a.dtype.kind in "OS" and b.dtype.kind in "OS"), name
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_queues_and_readers_round_trip_into_graphflow(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "lines.txt"
    path.write_bytes(b"head\none\ntwo\n")
    with gf.Graph().as_default() as g:
        files = gf.FIFOQueue(2, gf.string, shapes=[[]], name="files")
        files.enqueue_many([[str(path)]], name="fill")
        files.close(name="close")
        _, line = gf.TextLineReader(skip_header_lines=1, name="lines").read(files, name="read")
        q = gf.RandomShuffleQueue(5, 0, [gf.int32], shapes=[[2]], seed=4, name="shuffle")
        q.enqueue_many([[[1, 2], [3, 4]]], name="put")
        q.dequeue_many(2, name="take")
        q.size(name="size")
    gd = g.as_graph_def()
    with gf.Graph().as_default():
        gf.import_graph_def(gd, name="")
        shuffle = gf.get_default_graph().get_operation_by_name("shuffle")
        assert (shuffle.attrs.capacity, shuffle.attrs.min_after_dequeue, shuffle.attrs.shapes) == (5, 0, ((2,),))
        assert gf.get_default_graph().get_tensor_by_name("take:0").shape.as_list() == [2, 2]
        with gf.Session() as sess:
            sess.run(["fill", "close"])
            assert [sess.run("read:1") for _ in range(2)] == [b"one", b"two"]
            sess.run("put")
            assert sess.run("size:0") == 2
            assert sorted(sess.run("take:0").tolist()) == [[1, 2], [3, 4]]
