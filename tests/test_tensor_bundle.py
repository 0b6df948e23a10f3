"""TF's tensor bundle (V2 checkpoint): round trips, malformed files, and TF1 reading and writing it."""
from __future__ import annotations

import os

import numpy as np
import pytest

import graphflow as gf
from graphflow.core.errors import DataLossError, NotFoundError
from graphflow.formats import sstable
from graphflow.formats.tensor_bundle import (
    BundleReader,
    data_file,
    encode_name_slice,
    index_file,
    is_bundle,
    protos,
    write_bundle,
)
from tests.optional import tf1

TENSORS = {
    "f32": np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5,
    "f64": np.array(3.25), "f16": np.array([1.5, -2.0], np.float16),
    "i8": np.array([-128, 127], np.int8), "i16": np.array([-3], np.int16), "i32": np.array([[7]], np.int32),
    "i64": np.array([-(1 << 40), 1], np.int64), "u8": np.array([0, 255], np.uint8),
    "u16": np.array([65535], np.uint16), "u32": np.array([1 << 31], np.uint32), "u64": np.array([1 << 63], np.uint64),
    "b": np.array([True, False, True]), "c64": np.array([1 + 2j], np.complex64), "c128": np.array([-1j]),
    "empty": np.zeros((0, 3), np.float32), "scope/nested/w": np.ones((2, 1, 2), np.float32),
    "s": np.array([[b"hello", b""], [b"x" * 200, b"\x00\xff"]], dtype=object), "s0": np.array(b"one", dtype=object),
    "s_empty": np.zeros((0,), dtype=object),
}


def _same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes() if want.dtype != object else got.tolist() == want.tolist()


def test_round_trip_of_every_dtype(tmp_path) -> None:
    prefix = str(tmp_path / "model.ckpt-3")
    write_bundle(prefix, TENSORS)
    assert is_bundle(prefix) and not is_bundle(str(tmp_path / "model.ckpt"))
    assert sorted(os.listdir(tmp_path)) == ["model.ckpt-3.data-00000-of-00001", "model.ckpt-3.index"]
    r = BundleReader(prefix)
    assert r.keys() == sorted(TENSORS) and "f32" in r and not r.has("nope")
    for name, want in TENSORS.items():
        _same(r.get(name), want)
        assert r.shape(name) == list(want.shape)
        assert r.dtype(name) == ("string" if want.dtype == object else want.dtype.name)
    with pytest.raises(NotFoundError, match="Key nope not found"):
        r.get("nope")


def test_many_keys_span_several_blocks_with_restart_points(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sstable, "BLOCK_BYTES", 600)  # TF's 256 KiB would need ~9,000 keys
    tensors = {f"layer_{i // 10}/unit_{i:03d}/kernel": np.array([i], np.int32) for i in range(300)}
    prefix = str(tmp_path / "many")
    write_bundle(prefix, tensors)
    raw = open(index_file(prefix), "rb").read()
    footer = raw[-sstable.FOOTER_BYTES:]
    _, pos = sstable.get_varint(footer, 0, 40)
    _, pos = sstable.get_varint(footer, pos, 40)
    index_offset, _ = sstable.get_varint(footer, pos, 40)
    assert index_offset > 10 * 600  # the index follows more than ten data blocks
    items = sstable.read_table(raw, "many.index")
    assert [k for k, _ in items] == [b""] + sorted(k.encode() for k in tensors)
    r = BundleReader(prefix)
    assert [int(r.get(k)[0]) for k in r.keys()] == [int(k.split("_")[-1].split("/")[0]) for k in sorted(tensors)]


def test_table_keys_must_increase() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        sstable.build_table([(b"b", b""), (b"a", b"")])


def _corrupt(prefix: str, path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
    with pytest.raises(DataLossError, match=os.path.basename(path)):
        r = BundleReader(prefix)
        for k in r.keys():
            r.get(k)


def test_truncated_or_corrupt_files_raise_data_loss_naming_the_file(tmp_path) -> None:
    prefix = str(tmp_path / "m")
    write_bundle(prefix, {"a": np.arange(5, dtype=np.float32), "s": np.array([b"abc", b"de"], dtype=object)})
    index, data = open(index_file(prefix), "rb").read(), open(data_file(prefix), "rb").read()
    for cut in (0, 10, len(index) - 49, len(index) - 48, len(index) - 1):
        _corrupt(prefix, index_file(prefix), index[:cut])
    for at in (0, 5, len(index) // 2, len(index) - 50, len(index) - 45, len(index) - 1):
        _corrupt(prefix, index_file(prefix), index[:at] + bytes([index[at] ^ 0x41]) + index[at + 1:])
    open(index_file(prefix), "wb").write(index)
    for cut in (0, 19, len(data) - 1):
        _corrupt(prefix, data_file(prefix), data[:cut])
    for at in (0, 19, 20, 24, len(data) - 1):  # a float, the lengths, their CRC, the strings
        _corrupt(prefix, data_file(prefix), data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1:])
    os.remove(data_file(prefix))
    with pytest.raises(NotFoundError, match="data-00000-of-00001"):
        BundleReader(prefix).get("a")
    with pytest.raises(NotFoundError, match="no tensor bundle"):
        BundleReader(str(tmp_path / "absent"))


def test_entries_claiming_more_than_the_file_holds_are_refused_before_reading(tmp_path) -> None:
    prefix = str(tmp_path / "m")
    BundleHeaderProto, BundleEntryProto = protos()["BundleHeaderProto"], protos()["BundleEntryProto"]
    header = BundleHeaderProto(num_shards=1)
    header.version.producer = 1
    huge = BundleEntryProto(dtype=1, offset=0, size=4 << 40)
    huge.shape.dim.add(size=1 << 40)
    strings = BundleEntryProto(dtype=7, offset=0, size=4)
    strings.shape.dim.add(size=1 << 50)
    shard = BundleEntryProto(dtype=1, shard_id=3, size=4)
    shard.shape.dim.add(size=1)
    table = sstable.build_table([(b"", header.SerializeToString()), (b"huge", huge.SerializeToString()),
                                 (b"shard", shard.SerializeToString()), (b"strings", strings.SerializeToString())])
    open(index_file(prefix), "wb").write(table)
    open(data_file(prefix), "wb").write(bytes(8))
    r = BundleReader(prefix)
    with pytest.raises(DataLossError, match="runs past the file's 8 bytes"):
        r.get("huge")
    with pytest.raises(DataLossError, match="shard 3 of 1"):
        r.get("shard")
    with pytest.raises(DataLossError, match="string tensor 'strings' of 1125899906842624 elements in 4 bytes"):
        r.get("strings")


def test_slice_keys_encode_as_tf_ordered_code() -> None:
    # keys of TF's EncodeTensorNameSlice, read from TF 2.21's checkpoint of partitioned variables
    assert encode_name_slice("pv", [(100, 100), (0, 4)]) == b"\x00pv\x00\x01\x01\x02\xc0d\xc0d\x80\x84"
    assert encode_name_slice("pv", [(200, 100), (0, 4)]) == b"\x00pv\x00\x01\x01\x02\xc0\xc8\xc0d\x80\x84"
    assert encode_name_slice("neg", [(0, 7), (0, 100)]) == b"\x00neg\x00\x01\x01\x02\x80\x87\x80\xc0d"
    assert encode_name_slice("v", [(0, -1)]) == b"\x00v\x00\x01\x01\x01\x80\x7f"  # -1: the whole dimension


def _partitioned(prefix: str, parts: list[tuple[int, np.ndarray]], rows: int) -> None:
    """A bundle holding a [rows, 2] float32 variable "v" as row slices, laid out as TF writes them."""
    from graphflow.formats import crc32c
    header = protos()["BundleHeaderProto"](num_shards=1)
    header.version.producer = 1
    full = protos()["BundleEntryProto"](dtype=1)
    full.shape.dim.add(size=rows)
    full.shape.dim.add(size=2)
    items, data = [], b""
    for start, piece in parts:
        extent = full.slices.add().extent
        extent.add(start=start).length.append(len(piece))
        extent.add(start=0).length.append(2)
        entry = protos()["BundleEntryProto"](dtype=1, offset=len(data), size=piece.nbytes,
                                             crc32c=crc32c.masked(piece.tobytes()))
        entry.shape.dim.add(size=len(piece))
        entry.shape.dim.add(size=2)
        items.append((encode_name_slice("v", [(start, len(piece)), (0, 2)]), entry.SerializeToString()))
        data += piece.tobytes()
    items = [(b"", header.SerializeToString())] + sorted(items) + [(b"v", full.SerializeToString())]
    open(index_file(prefix), "wb").write(sstable.build_table(items))
    open(data_file(prefix), "wb").write(data)


def test_partitioned_variables_are_assembled_and_their_slices_checked(tmp_path) -> None:
    prefix = str(tmp_path / "p")
    whole = np.arange(10, dtype=np.float32).reshape(5, 2)
    _partitioned(prefix, [(0, whole[:3]), (3, whole[3:])], 5)
    r = BundleReader(prefix)
    assert r.keys() == ["v"] and r.shape("v") == [5, 2]
    _same(r.get("v"), whole)
    _partitioned(prefix, [(0, whole[:3])], 5)
    with pytest.raises(DataLossError, match="cover 6 of its 10 elements"):
        BundleReader(prefix).get("v")
    _partitioned(prefix, [(0, whole[:3]), (1, whole[1:3])], 5)  # 10 elements, rows 3 and 4 left out
    with pytest.raises(DataLossError, match="overlap"):
        BundleReader(prefix).get("v")


def test_saver_writes_a_bundle_when_asked_with_write_version_v2(tmp_path) -> None:
    with gf.Graph().as_default():
        w = gf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="dense/kernel")
        gf.Variable(np.int64(0), name="global_step")
        with gf.Session(device="reference") as sess:
            sess.run(gf.global_variables_initializer())
            saver = gf.train.Saver(write_version=gf.train.SaverDef.V2, max_to_keep=1)
            first = saver.save(sess, str(tmp_path / "model"), global_step=1)
            assert is_bundle(first) and not os.path.exists(first + ".gfckpt")
            assert gf.train.latest_checkpoint(str(tmp_path)) == first
            assert gf.train.list_variables(str(tmp_path)) == [("dense/kernel", [2, 3]), ("global_step", [])]
            sess.run(w.assign(w * 2))
            second = saver.save(sess, str(tmp_path / "model"), global_step=2)
            assert not os.path.exists(index_file(first)) and not os.path.exists(data_file(first))  # max_to_keep
            sess.run(w.assign(w * 0))
            saver.restore(sess, second)
            np.testing.assert_array_equal(sess.run(w), np.arange(6).reshape(2, 3) * 2)
            np.testing.assert_array_equal(gf.train.load_variable(second, "dense/kernel"), sess.run(w))
            assert gf.train.NewCheckpointReader(second).get_variable_to_dtype_map()["global_step"] == np.int64
            saver_def = saver.as_saver_def()  # the graph's save op writes the saver's format too
            sess.run(saver_def.save_tensor_name, {saver_def.filename_tensor_name: str(tmp_path / "by_op")})
            assert is_bundle(str(tmp_path / "by_op"))
            wrong = gf.Variable(np.zeros(3, np.float32), name="global_step")
            with pytest.raises(gf.errors.InvalidArgumentError, match="variable global_step_1:0 .*expected shape"):
                gf.train.Saver({"global_step": wrong}).restore(sess, second)


def test_checkpoint_utils_read_bundles(tmp_path) -> None:
    prefix = str(tmp_path / "pretrained")
    write_bundle(prefix, {"enc/w": np.full((2, 2), 3.0, np.float32), "enc/b": np.ones(2, np.float32)})
    gf.train.update_checkpoint_state(str(tmp_path), prefix)
    assert gf.contrib.framework.list_variables(str(tmp_path)) == [("enc/b", [2]), ("enc/w", [2, 2])]
    np.testing.assert_array_equal(gf.contrib.framework.load_variable(str(tmp_path), "enc/b:0"), np.ones(2))
    with gf.Graph().as_default():
        with gf.variable_scope("new"):
            w = gf.get_variable("w", shape=[2, 2])
            b = gf.get_variable("b", shape=[2])
        gf.train.init_from_checkpoint(str(tmp_path), {"enc/": "new/"})
        with gf.Session(device="reference") as sess:
            sess.run(gf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(w), np.full((2, 2), 3.0))
            np.testing.assert_array_equal(sess.run(b), np.ones(2))
    gf.train.remove_checkpoint(prefix)
    assert not os.path.exists(index_file(prefix)) and not os.path.exists(data_file(prefix))


# ---- against TF1 -------------------------------------------------------------------------------

@pytest.mark.needs("tensorflow")
def test_tf_writes_and_graphflow_reads_byte_identically(tmp_path) -> None:
    tf = tf1()
    names = sorted(TENSORS)
    with tf.Graph().as_default(), tf.Session() as sess:
        sess.run(tf.raw_ops.SaveV2(prefix=str(tmp_path / "tf"), tensor_names=names, shape_and_slices=[""] * len(names),
                                   tensors=[tf.constant(TENSORS[n]) for n in names]))
        part = tf.get_variable("part", shape=[300, 2], partitioner=tf.fixed_size_partitioner(3))
        sess.run(tf.global_variables_initializer())
        full = sess.run(tf.concat(list(part), 0))
        tf.train.Saver().save(sess, str(tmp_path / "part"))
        for i, name in enumerate(["f32", "s"]):  # two shards, merged as a sharded save merges them
            sess.run(tf.raw_ops.SaveV2(prefix=str(tmp_path / f"shard{i}"), tensor_names=[name], shape_and_slices=[""],
                                       tensors=[tf.constant(TENSORS[name])]))
        sess.run(tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=[str(tmp_path / "shard0"), str(tmp_path / "shard1")],
                                               destination_prefix=str(tmp_path / "merged")))
    write_bundle(str(tmp_path / "gf"), TENSORS)
    for suffix in (".index", ".data-00000-of-00001"):
        assert open(str(tmp_path / "tf") + suffix, "rb").read() == open(str(tmp_path / "gf") + suffix, "rb").read()
    r = BundleReader(str(tmp_path / "tf"))
    for name in names:
        _same(r.get(name), TENSORS[name])
    parts = BundleReader(str(tmp_path / "part"))
    assert parts.keys() == ["part"] and parts.shape("part") == [300, 2]
    _same(parts.get("part"), full)
    merged = BundleReader(str(tmp_path / "merged"))
    assert os.path.exists(data_file(str(tmp_path / "merged"), 1, 2))
    _same(merged.get("f32"), TENSORS["f32"])
    _same(merged.get("s"), TENSORS["s"])


@pytest.mark.needs("tensorflow")
def test_checkpoints_move_between_tf_and_graphflow_savers(tmp_path) -> None:
    tf = tf1()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    with tf.Graph().as_default(), tf.Session() as sess:  # TF trains a little and saves
        w = tf.get_variable("dense/kernel", initializer=rng.standard_normal((3, 4)).astype(np.float32))
        b = tf.get_variable("dense/bias", initializer=np.zeros(4, np.float32))
        step = tf.train.get_or_create_global_step()
        loss = tf.reduce_sum(tf.square(tf.nn.relu(tf.matmul(x, w) + b) - 1.0))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        tf_out, tf_w = sess.run([tf.nn.relu(tf.matmul(x, w) + b), w])
        tf_path = tf.train.Saver().save(sess, str(tmp_path / "tf" / "model"), global_step=step)
    with gf.Graph().as_default():  # graphflow restores it, computes the same, trains, saves as a bundle
        gw = gf.get_variable("dense/kernel", shape=[3, 4])
        gb = gf.get_variable("dense/bias", shape=[4])
        gstep = gf.train.get_or_create_global_step()
        out = gf.nn.relu(gf.matmul(x, gw) + gb)
        gtrain = gf.train.GradientDescentOptimizer(0.1).minimize(gf.reduce_sum(gf.square(out - 1.0)),
                                                                 global_step=gstep)
        with gf.Session(device="reference") as sess:
            saver = gf.train.Saver(write_version=gf.train.SaverDef.V2)
            assert gf.train.latest_checkpoint(str(tmp_path / "tf")) == tf_path
            saver.restore(sess, gf.train.latest_checkpoint(str(tmp_path / "tf")))
            np.testing.assert_array_equal(sess.run(gw), tf_w)  # the values bit for bit
            np.testing.assert_allclose(sess.run(out), tf_out, rtol=1e-6, atol=1e-7)  # float32 matmul order
            assert sess.run(gstep) == 1
            sess.run(gtrain)
            gf_w, gf_out = sess.run([gw, out])
            gf_path = saver.save(sess, str(tmp_path / "gf" / "model"), global_step=gstep, write_meta_graph=False)
            with pytest.raises(NotFoundError, match="Key dense/kernel not found.*variable dense/kernel"):
                gf.train.Saver({"dense/kernel": gw}).restore(sess, write_and_return(tmp_path))
    with tf.Graph().as_default(), tf.Session() as sess:  # TF restores graphflow's checkpoint
        w = tf.get_variable("dense/kernel", shape=[3, 4])
        b = tf.get_variable("dense/bias", shape=[4])
        step = tf.train.get_or_create_global_step()
        assert tf.train.latest_checkpoint(str(tmp_path / "gf")) == gf_path
        tf.train.Saver().restore(sess, gf_path)
        np.testing.assert_array_equal(sess.run(w), gf_w)
        np.testing.assert_allclose(sess.run(tf.nn.relu(tf.matmul(x, w) + b)), gf_out, rtol=1e-6, atol=1e-6)
        assert sess.run(step) == 2
    reader = tf.train.load_checkpoint(gf_path)
    assert reader.get_variable_to_shape_map() == {"dense/kernel": [3, 4], "dense/bias": [4], "global_step": []}
    np.testing.assert_array_equal(reader.get_tensor("dense/kernel"), gf_w)


def write_and_return(tmp_path) -> str:
    prefix = str(tmp_path / "other")
    write_bundle(prefix, {"unrelated": np.zeros(1, np.float32)})
    return prefix
