"""Checkpoints from a careless user or an attacker: every malformed file is a DataLossError naming
it, found before anything large is allocated, with the variables left as they were; a property
test mutates a real checkpoint at random to hold that to account. And a save never deletes what
the user saved: another saver's checkpoints on the same save path, TF1's files beside them."""
from __future__ import annotations

import io
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
W = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
N = np.int32(-5)


def _save(folder: Any) -> str:
    """A real checkpoint of w: float32 [2, 3], n: int32 [] and e: float16 [0, 2]; its prefix."""
    with gf.Graph().as_default():
        w = gf.Variable(W, name="w")
        n = gf.Variable(N, name="n")
        e = gf.Variable(np.zeros((0, 2), np.float16), name="e")
        with gf.Session(device="reference") as sess:
            sess.run(gf.global_variables_initializer())
            return gf.train.Saver([w, n, e]).save(sess, os.path.join(str(folder), "ref"), write_meta_graph=False)


def _members(prefix: str) -> dict[str, bytes]:
    with zipfile.ZipFile(prefix + ".gfckpt") as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _rezip(members: dict[str, bytes]) -> bytes:
    """An archive of ``members`` as our writer makes them (stored, right CRCs and sizes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _raw_zip(entries: list[tuple[str, bytes, int, int, int]], stored: int | None = None) -> bytes:
    """A zip written by hand: (name, bytes as stored, method, CRC, uncompressed size) each, so a
    member can claim what its bytes are not (``stored``: the stored size every member claims)."""
    body, directory = b"", b""
    for name, data, method, crc, size in entries:
        raw, claimed = name.encode(), len(data) if stored is None else stored
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, claimed, size,
                                 len(raw), 0, 0, 0, 0, 0, len(body)) + raw
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, claimed, size, len(raw), 0)
        body += raw + data
    return body + directory + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                                          len(directory), len(body), 0)


def _npy(shape: tuple[int, ...], descr: str = "<f4", data: bytes = b"") -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": False, "shape": shape})
    return out.getvalue() + data


@contextmanager
def _peak_allocation() -> Iterator[list[int]]:
    """The most bytes Python and numpy held at once inside the block, above what they held before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        peak = [0]
        yield peak
        peak[0] = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def _restore_fails(path: str, match: str) -> None:
    """Restoring ``path`` into a fresh w raises DataLossError naming the file and leaves w as it was."""
    with gf.Graph().as_default():
        w = gf.Variable(np.full((2, 3), 9.0, np.float32), name="w")
        with gf.Session(device="reference") as sess:
            sess.run(w.initializer)
            with _peak_allocation() as peak, pytest.raises(gf.errors.DataLossError, match=match) as err:
                gf.train.Saver([w]).restore(sess, path)
            assert path + ".gfckpt" in str(err.value)
            np.testing.assert_array_equal(sess.run(w), np.full((2, 3), 9.0))
    assert peak[0] < 8 << 20, f"{peak[0]} bytes allocated refusing {path}"


# ---- the cases ------------------------------------------------------------------------------

BOMB_SCRIPT = textwrap.dedent("""
    import json, resource, sys, time
    import numpy as np
    import graphflow as gf
    w = gf.Variable(np.zeros((2, 3), np.float32), name="w")
    sess = gf.Session(device="reference")
    sess.run(w.initializer)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    start = time.perf_counter()
    try:
        gf.train.Saver([w]).restore(sess, sys.argv[1])
        outcome = "restored"
    except Exception as e:
        outcome = f"{type(e).__name__}: {e}"
    print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - start,
                      "rss_growth": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale - before,
                      "w": sess.run(w).tolist()}))
""")


def test_a_zip_bomb_member_is_refused_quickly_with_bounded_memory(tmp_path) -> None:
    members = _members(_save(tmp_path))
    # w's member deflated: its real .npy, then 512 MiB of zeros (a valid stream and CRC: the old
    # reader inflated all of it, then ignored what followed w's 24 bytes and restored "successfully")
    head, zeros, blocks = _npy((2, 3), data=W.tobytes()), 1 << 24, 32
    first, block = zlib.compressobj(9, zlib.DEFLATED, -15), zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = first.compress(head) + first.flush(zlib.Z_FULL_FLUSH)
    stream += (block.compress(bytes(zeros)) + block.flush(zlib.Z_FULL_FLUSH)) * blocks  # each block stands alone
    stream += zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(blocks):
        crc = zlib.crc32(bytes(zeros), crc)
    bomb = _raw_zip([("manifest.json", members["manifest.json"], 0, zlib.crc32(members["manifest.json"]),
                      len(members["manifest.json"])),
                     ("tensors/0.npy", stream, zipfile.ZIP_DEFLATED, crc, len(head) + zeros * blocks)])
    assert len(bomb) < 1 << 20
    (tmp_path / "bomb.gfckpt").write_bytes(bomb)
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, str(tmp_path / "bomb")], capture_output=True,
                         text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.splitlines()[-1])
    assert report["outcome"].startswith("DataLossError: checkpoint " + str(tmp_path / "bomb.gfckpt")), report
    assert "member tensors/0.npy is compressed" in report["outcome"]
    assert report["w"] == [[0.0] * 3] * 2
    assert report["rss_growth"] < 64 << 20, report  # the member inflates to 512 MiB
    assert report["seconds"] < 5, report


def test_an_npy_header_declaring_80_gb_is_refused_before_allocating(tmp_path) -> None:
    members = _members(_save(tmp_path))
    huge = (100_000, 100_000, 2)  # float32: 80 GB
    # the header alone lies: the manifest says [2, 3]
    (tmp_path / "header.gfckpt").write_bytes(_rezip({**members, "tensors/0.npy": _npy(huge, data=W.tobytes())}))
    _restore_fails(str(tmp_path / "header"), r"tensor w holds float32 \[100000, 100000, 2\], its manifest "
                                             r"says float32 \[2, 3\]")
    # header and manifest agree on 80 GB; the member holds 152 bytes
    manifest = json.loads(members["manifest.json"])
    manifest["tensors"][0]["shape"] = list(huge)
    (tmp_path / "both.gfckpt").write_bytes(_rezip({**members, "manifest.json": json.dumps(manifest).encode(),
                                                   "tensors/0.npy": _npy(huge, data=W.tobytes())}))
    with _peak_allocation() as peak, gf.train.NewCheckpointReader(str(tmp_path / "both")) as reader:
        assert reader.get_variable_to_shape_map()["w"] == list(huge)
        with pytest.raises(gf.errors.DataLossError, match=r"both.gfckpt .*tensor w \(member tensors/0.npy\) "
                                                          r"holds \d+ bytes; .* needs 80000000000"):
            reader.get_tensor("w")
    assert peak[0] < 8 << 20
    # restoring into a [2, 3] variable stops at the manifest: a shape mismatch, nothing read
    with gf.Graph().as_default():
        w = gf.Variable(np.zeros((2, 3), np.float32), name="w")
        with gf.Session(device="reference") as sess, pytest.raises(gf.errors.InvalidArgumentError, match="shape"):
            gf.train.Saver([w]).restore(sess, str(tmp_path / "both"))


def test_a_deeply_nested_manifest_is_refused(tmp_path) -> None:
    members = _members(_save(tmp_path))
    deep = b"[" * 100_000 + b"]" * 100_000
    (tmp_path / "deep.gfckpt").write_bytes(_rezip({**members, "manifest.json": deep}))
    _restore_fails(str(tmp_path / "deep"), "unreadable manifest: RecursionError")
    nested = json.dumps({"format": "graphflow.checkpoint", "version": 1, "tensors": []})[:-2]
    nested += "[" * 50_000 + "]" * 50_000 + "]}"
    (tmp_path / "inner.gfckpt").write_bytes(_rezip({**members, "manifest.json": nested.encode()}))
    _restore_fails(str(tmp_path / "inner"), "unreadable manifest: RecursionError")


def test_trailing_and_leading_bytes_are_refused(tmp_path) -> None:
    prefix = _save(tmp_path)
    members, data = _members(prefix), open(prefix + ".gfckpt", "rb").read()
    # inside a member: right CRC and sizes for what is stored, 100 bytes more than w needs
    longer = {**members, "tensors/0.npy": members["tensors/0.npy"] + bytes(100)}
    (tmp_path / "member.gfckpt").write_bytes(_rezip(longer))
    _restore_fails(str(tmp_path / "member"), r"tensor w \(member tensors/0.npy\) holds 252 bytes: its 128-byte "
                                             r"\.npy header and 24 bytes of float32 \[2, 3\] make 152")
    # after the archive, and before it
    (tmp_path / "after.gfckpt").write_bytes(data + b"extra")
    _restore_fails(str(tmp_path / "after"), "does not end with the zip's end-of-archive record")
    (tmp_path / "before.gfckpt").write_bytes(b"#!/bin/sh\n" + data)
    _restore_fails(str(tmp_path / "before"), "bytes before the archive's first member")


@pytest.mark.parametrize("change, message", [
    (lambda m: m["tensors"][0].update(dtype="object"), "dtype 'object' is not a numeric type name"),
    (lambda m: m["tensors"][0].update(dtype=["<f4", 3]), "is not a string"),
    (lambda m: m["tensors"][0].update(shape=[2, -3]), "not a list of non-negative integers"),
    (lambda m: m["tensors"][0].update(shape=[2.0, 3]), "not a list of non-negative integers"),
    (lambda m: m["tensors"][0].update(name=7), "tensor name 7"),
    (lambda m: m["tensors"][1].update(name="w"), "tensor name 'w' is not a string or is listed twice"),
    (lambda m: m["tensors"][0].update(file="tensors/9.npy"), "member tensors/9.npy is missing"),
    (lambda m: m.update(tensors={"w": 1}), "malformed manifest: TypeError"),
    (lambda m: m["tensors"][0].pop("shape"), "malformed manifest: KeyError"),
])
def test_malformed_manifest_values_are_refused(tmp_path, change: Callable[[Any], Any], message: str) -> None:
    members = _members(_save(tmp_path))
    manifest = json.loads(members["manifest.json"])
    change(manifest)
    (tmp_path / "bad.gfckpt").write_bytes(_rezip({**members, "manifest.json": json.dumps(manifest).encode()}))
    _restore_fails(str(tmp_path / "bad"), message)


def test_archives_our_writer_never_makes_are_refused(tmp_path) -> None:
    members = _members(_save(tmp_path))
    manifest = members["manifest.json"]
    twice = _raw_zip([("manifest.json", manifest, 0, zlib.crc32(manifest), len(manifest))] * 2)
    (tmp_path / "twice.gfckpt").write_bytes(twice)
    _restore_fails(str(tmp_path / "twice"), "names a member twice")
    # stored members claiming more bytes than they hold, than the file holds
    lying = _raw_zip([("manifest.json", manifest, 0, zlib.crc32(manifest), len(manifest) + (1 << 30))])
    (tmp_path / "lying.gfckpt").write_bytes(lying)
    _restore_fails(str(tmp_path / "lying"), f"member manifest.json is stored uncompressed but claims "
                                            f"{len(manifest) + (1 << 30)} bytes in {len(manifest)}")
    past = _raw_zip([("manifest.json", manifest, 0, zlib.crc32(manifest), 1 << 30)], stored=1 << 30)
    (tmp_path / "past.gfckpt").write_bytes(past)
    _restore_fails(str(tmp_path / "past"), f"member manifest.json claims {1 << 30} bytes at offset 0, past "
                                           f"the file's {len(past)} bytes")
    # a manifest that is not UTF-8, a manifest over the size limit
    (tmp_path / "latin.gfckpt").write_bytes(_rezip({**members, "manifest.json": b'{"format": "\xe9"}'}))
    _restore_fails(str(tmp_path / "latin"), "unreadable manifest: UnicodeDecodeError")
    (tmp_path / "empty.gfckpt").write_bytes(b"")
    _restore_fails(str(tmp_path / "empty"), "0 bytes is too short")


def test_a_state_file_that_is_not_utf8_is_a_data_loss_error_naming_it(tmp_path) -> None:
    _save(tmp_path)
    state = tmp_path / "checkpoint"
    state.write_bytes(b'model_checkpoint_path: "\xff\xferef"\n')
    for ask in (gf.train.latest_checkpoint, gf.train.get_checkpoint_state):
        with pytest.raises(gf.errors.DataLossError, match=f"checkpoint state file {state} is not UTF-8 text "
                                                          r"\(byte 24 is 0xff\)"):
            ask(str(tmp_path))
    # lines that do not parse are skipped: TF1 returns None for a state file it cannot parse
    state.write_bytes(b"this is not a state file {{{\n")
    assert gf.train.latest_checkpoint(str(tmp_path)) is None
    state.write_bytes(b"x" * ((1 << 24) + 1))
    with pytest.raises(gf.errors.DataLossError, match="is over 16777216 bytes"):
        gf.train.get_checkpoint_state(str(tmp_path))


@pytest.mark.needs("tensorflow")
def test_tf1_reads_the_same_unparseable_state_file_as_none(tmp_path) -> None:
    tf = need("tensorflow")
    (tmp_path / "checkpoint").write_bytes(b"this is not a state file {{{\n")
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    assert tf.train.get_checkpoint_state(str(tmp_path)) is None
    assert gf.train.get_checkpoint_state(str(tmp_path)) is None


# ---- mutated checkpoints ----------------------------------------------------------------------------

def _mutations(st: Any, data: bytes, members: dict[str, bytes]) -> Any:
    """Byte flips, truncations, insertions, deletions, a member replaced, or the file gone."""
    pos = st.integers(0, len(data) - 1)
    name = st.sampled_from(sorted(members))
    content = st.one_of(
        st.binary(max_size=300),
        st.tuples(name, st.integers(0, 300)).map(lambda t: members[t[0]][:t[1]]),  # another's, cut
        st.tuples(name, st.binary(min_size=1, max_size=64)).map(lambda t: members[t[0]] + t[1]),
        st.sampled_from([(2, 3), (3, 2), (6,), (), (10**10,), (2, 3, 1)]).map(lambda s: _npy(s, data=W.tobytes())),
        st.sampled_from(["<f8", ">f4", "|O", "<i4", "|b1"]).map(lambda d: _npy((2, 3), d, W.tobytes())))
    return st.one_of(
        st.tuples(st.just("flip"), pos, st.integers(1, 255)),
        st.tuples(st.just("truncate"), pos),
        st.tuples(st.just("insert"), pos, st.binary(min_size=1, max_size=16)),
        st.tuples(st.just("delete"), pos, st.integers(1, 64)),
        st.tuples(st.just("replace"), name, content),
        st.tuples(st.just("deflate"), name),
        st.tuples(st.just("gone"),))


def _mutate(data: bytes, members: dict[str, bytes], mutation: tuple[Any, ...]) -> bytes | None:
    kind, *args = mutation
    if kind == "flip":
        return data[:args[0]] + bytes([data[args[0]] ^ args[1]]) + data[args[0] + 1:]
    if kind == "truncate":
        return data[:args[0]]
    if kind == "insert":
        return data[:args[0]] + args[1] + data[args[0]:]
    if kind == "delete":
        return data[:args[0]] + data[args[0] + args[1]:]
    if kind == "replace":
        return _rezip({**members, args[0]: args[1]})
    if kind == "deflate":  # the same bytes, compressed
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            for name, member in members.items():
                zf.writestr(name, member, zipfile.ZIP_DEFLATED if name == args[0] else zipfile.ZIP_STORED)
        return out.getvalue()
    return None  # gone


def test_mutated_checkpoints_restore_exactly_or_raise_data_loss(tmp_path) -> None:
    hypothesis = need("hypothesis")
    st = hypothesis.strategies
    prefix = _save(tmp_path)
    data, members = open(prefix + ".gfckpt", "rb").read(), _members(prefix)
    sentinel = {"w": np.full((2, 3), -1.0, np.float32), "n": np.int32(77), "e": np.zeros((0, 2), np.float16)}
    outcomes: dict[str, int] = {}
    with gf.Graph().as_default():
        variables = {"w": gf.Variable(sentinel["w"], name="w"), "n": gf.Variable(sentinel["n"], name="n"),
                     "e": gf.Variable(sentinel["e"], name="e")}
        saver = gf.train.Saver(list(variables.values()))
        sess = gf.Session(device="reference")
        sess.run(gf.global_variables_initializer())

        @hypothesis.settings(max_examples=200, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck))
        @hypothesis.given(_mutations(st, data, members))
        def case(mutation: tuple[Any, ...]) -> None:
            for k, v in variables.items():
                v.load(sentinel[k], sess)
            mutated = _mutate(data, members, mutation)
            path = str(tmp_path / "mutated")
            if os.path.exists(path + ".gfckpt"):
                os.remove(path + ".gfckpt")
            if mutated is not None:
                with open(path + ".gfckpt", "wb") as f:
                    f.write(mutated)
            with _peak_allocation() as peak:
                try:
                    saver.restore(sess, path)
                    outcome = "restored"
                except gf.errors.DataLossError as e:
                    assert path + ".gfckpt" in str(e)
                    outcome = "DataLossError"
                except gf.errors.NotFoundError:
                    assert mutated is None, mutation
                    outcome = "NotFoundError"
            assert peak[0] < 4 << 20, (mutation, peak[0])
            got = sess.run(variables)
            want = {"w": W, "n": N, "e": sentinel["e"]} if outcome == "restored" else sentinel
            for k in variables:
                assert got[k].dtype == np.asarray(want[k]).dtype, (mutation, k)
                np.testing.assert_array_equal(got[k], want[k], err_msg=f"{mutation} {k}")
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

        case()
        sess.close()
    # the property saw both sides: mutations that leave the values intact, and corruption
    assert outcomes.get("DataLossError", 0) > 150 and outcomes.get("restored", 0) > 0, outcomes


def test_random_state_files_give_a_state_none_or_data_loss(tmp_path) -> None:
    hypothesis = need("hypothesis")
    st = hypothesis.strategies
    line = st.one_of(st.binary(max_size=40),
                     st.tuples(st.sampled_from([b"model_checkpoint_path", b"all_model_checkpoint_paths", b"x"]),
                               st.binary(max_size=20)).map(lambda t: t[0] + b': "' + t[1] + b'"'))

    @hypothesis.settings(max_examples=200, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(st.lists(line, max_size=5))
    def case(lines: list[bytes]) -> None:
        (tmp_path / "checkpoint").write_bytes(b"\n".join(lines))
        try:
            state = gf.train.get_checkpoint_state(str(tmp_path))
            latest = gf.train.latest_checkpoint(str(tmp_path))
        except gf.errors.DataLossError as e:
            assert str(tmp_path / "checkpoint") in str(e)
            return
        assert state is None or isinstance(state.model_checkpoint_path, str)
        assert latest is None  # no checkpoint file exists here

    case()


# ---- what a save removes: only its own -------------------------------------------------------------

def _files(folder: Any) -> list[str]:
    return sorted(os.listdir(folder))


def _two_savers(save: Callable[[str, int], Any]) -> None:
    """Every second step into the default state file (max_to_keep 2), and steps 3 and 7 into
    ``best`` (max_to_keep 1): one save path, two savers, two state files."""
    for step in range(1, 11):
        if step % 2 == 0:
            save("every", step)
        if step in (3, 7):
            save("best", step)


def test_a_second_saver_with_another_state_file_keeps_its_checkpoints(tmp_path) -> None:
    d, path = str(tmp_path), str(tmp_path / "model")
    v = gf.Variable(0.0, name="v")
    with gf.Session(device="reference") as sess:
        sess.run(v.initializer)
        savers = {"every": gf.train.Saver(max_to_keep=2), "best": gf.train.Saver(max_to_keep=1)}

        def save(which: str, step: int) -> str:
            v.load(float(step), sess)
            return savers[which].save(sess, path, global_step=step,
                               latest_filename="best" if which == "best" else None)
        _two_savers(save)
        # each rotates out its own checkpoints, and only those: best's model-3 went with best's save
        # of model-7, every's model-2..6 with its own later saves; model-7 is in no list of every's
        assert _files(d) == ["best", "checkpoint", *(f"model-{s}.{e}" for s in (10, 7, 8) for e in ("gfckpt", "meta"))]
        assert gf.train.get_checkpoint_state(d).all_model_checkpoint_paths == [f"{path}-8", f"{path}-10"]
        assert gf.train.get_checkpoint_state(d, "best").all_model_checkpoint_paths == [f"{path}-7"]
        # a restarted run's saver takes over its own state file's list, not best's
        restarted = gf.train.Saver(max_to_keep=2)
        restarted.save(sess, path, global_step=12)
        assert restarted.last_checkpoints == [f"{path}-10", f"{path}-12"]
        assert (tmp_path / "model-7.gfckpt").exists() and not (tmp_path / "model-8.gfckpt").exists()
        savers["every"].restore(sess, gf.train.latest_checkpoint(d, "best"))
        assert sess.run(v) == 7.0


@pytest.mark.needs("tensorflow")
def test_two_savers_on_one_save_path_keep_the_checkpoints_tf1_keeps(tmp_path) -> None:
    tf = need("tensorflow")
    (tmp_path / "tf").mkdir()
    (tmp_path / "gf").mkdir()

    def kept(folder: Any) -> list[str]:  # the checkpoints' prefixes, whatever their files
        return sorted({f.split(".")[0] for f in os.listdir(folder) if f.startswith("model-")})

    with tf.Graph().as_default():
        w = tf.Variable(0.0, name="v")
        with tf.Session() as sess:
            sess.run(w.initializer)
            tf_savers = {"every": tf.train.Saver(max_to_keep=2), "best": tf.train.Saver(max_to_keep=1)}
            _two_savers(lambda which, step: tf_savers[which].save(
                sess, str(tmp_path / "tf" / "model"), global_step=step,
                latest_filename="best" if which == "best" else None))
    v = gf.Variable(0.0, name="v")
    with gf.Session(device="reference") as sess:
        sess.run(v.initializer)
        gf_savers = {"every": gf.train.Saver(max_to_keep=2), "best": gf.train.Saver(max_to_keep=1)}
        _two_savers(lambda which, step: gf_savers[which].save(
            sess, str(tmp_path / "gf" / "model"), global_step=step,
            latest_filename="best" if which == "best" else None))
    assert kept(tmp_path / "tf") == kept(tmp_path / "gf") == ["model-10", "model-7", "model-8"]


def _tf1_leftovers(folder: Any) -> list[str]:
    """What TF1's Saver writes for model.ckpt at step 5, as files with stand-in contents."""
    names = ["model.ckpt-5.index", "model.ckpt-5.data-00000-of-00001", "model.ckpt-5.meta"]
    for name in names:
        (folder / name).write_bytes(b"TF1's " + name.encode())
    return names


def test_tf1_files_beside_a_save_path_survive_every_save(tmp_path) -> None:
    tf1 = _tf1_leftovers(tmp_path)
    (tmp_path / "model.ckpt-2.meta").write_bytes(b"a lone .meta: TF1's too, or nobody's to delete")
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-5"\n'
                                         'all_model_checkpoint_paths: "model.ckpt-5"\n')
    v = gf.Variable(1.0, name="v")
    with gf.Session(device="reference") as sess:
        sess.run(v.initializer)
        saver = gf.train.Saver(max_to_keep=1)
        for step in (6, 7, 8):
            saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step)
        assert saver.last_checkpoints == [str(tmp_path / "model.ckpt-8")]
    assert _files(tmp_path) == sorted(["checkpoint", *tf1, "model.ckpt-2.meta", "model.ckpt-8.gfckpt",
                                       "model.ckpt-8.meta"])
    for name in tf1:
        assert (tmp_path / name).read_bytes() == b"TF1's " + name.encode()


@pytest.mark.needs("tensorflow")
def test_a_tf1_checkpoint_in_the_folder_still_restores_in_tf1_after_graphflow_saves(tmp_path) -> None:
    tf = need("tensorflow")
    prefix = str(tmp_path / "model.ckpt")
    with tf.Graph().as_default():
        w = tf.Variable([1.5, -2.0], name="w")
        with tf.Session() as sess:
            sess.run(w.initializer)
            tf_saver = tf.train.Saver(max_to_keep=5)
            for step in (1, 2):
                tf_saver.save(sess, prefix, global_step=step)
    tf1 = _files(tmp_path)
    assert "model.ckpt-2.meta" in tf1 and "model.ckpt-2.index" in tf1
    v = gf.Variable([0.0, 0.0], name="w")
    with gf.Session(device="reference") as sess:
        sess.run(v.initializer)
        saver = gf.train.Saver(max_to_keep=2)
        for step in (3, 4, 5, 6):
            saver.save(sess, prefix, global_step=step)
    assert set(tf1) - {"checkpoint"} <= set(_files(tmp_path))
    with tf.Graph().as_default():
        restored = tf.train.import_meta_graph(f"{prefix}-2.meta")
        with tf.Session() as sess:
            restored.restore(sess, f"{prefix}-2")
            (w,) = tf.global_variables()
            np.testing.assert_array_equal(sess.run(w), np.array([1.5, -2.0], np.float32))


META_CRASH_SCRIPT = textwrap.dedent("""
    import sys, time
    import graphflow as gf
    from graphflow.graphdef import meta_graph
    v = gf.Variable([1.0, 2.0], name="v")
    sess = gf.Session(device="reference")
    sess.run(v.initializer)
    atomic_write = meta_graph.atomic_write
    def stall(path, write):
        def write_then_stall(f):
            write(f)
            f.flush()
            print("meta written", flush=True)
            time.sleep(600)
        atomic_write(path, write_then_stall)
    meta_graph.atomic_write = stall
    gf.train.Saver().save(sess, sys.argv[1], global_step=1)
""")


def test_a_save_killed_writing_its_meta_file_leaves_a_temporary_the_next_save_removes(tmp_path) -> None:
    prefix = str(tmp_path / "model")
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with subprocess.Popen([sys.executable, "-c", META_CRASH_SCRIPT, prefix], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env) as proc:
        try:
            line = proc.stdout.readline()
            assert line == "meta written\n", proc.stderr.read()
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    names = _files(tmp_path)
    assert len(names) == 2 and names[0] == "model-1.gfckpt", names  # no .meta, no state file yet
    temporary = names[1]
    assert temporary.startswith(f"model-1.meta.{proc.pid}.") and temporary.endswith(".tmp"), temporary
    v = gf.Variable([0.0, 0.0], name="v")
    with gf.Session(device="reference") as sess:
        sess.run(v.initializer)
        gf.train.Saver().save(sess, prefix, global_step=2)
        assert temporary in _files(tmp_path)  # fresh: maybe a live writer's on another host
        then = time.time() - 10 * 60 - 1
        os.utime(tmp_path / temporary, (then, then))
        gf.train.Saver().save(sess, prefix, global_step=3)
    # the killed save's complete checkpoint stays, unlisted; its temporary is gone
    assert _files(tmp_path) == ["checkpoint", "model-1.gfckpt", "model-2.gfckpt", "model-2.meta",
                                "model-3.gfckpt", "model-3.meta"]
