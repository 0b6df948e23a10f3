"""TF1's further string ops: hashing, regular expressions, base64, splitting and segment joins.

Each op against fixed expected values on every target, then (where TF is installed) against
tf.compat.v1 on many random inputs. The hash values written below were computed once with
TF 2.21 (tf.compat.v1, graph mode), so the tests mean something without TF.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.ops.unicode_scripts_data import RUNS
from tests.harness import TARGETS, run
from tests.optional import tf1

B = 2**62 + 12345  # a bucket count that keeps almost all of a 64-bit hash's bits
KEY = [123456789012345, 987654321098765]
KEY2 = [3, -(2**62) - 5]  # TF reads the key as int64 and hashes with its uint64 bits
WORDS = ["", "a", "ab", "abc", "abcd", "hello", "Hello, World!", "x" * 17, "y" * 33, "z" * 65, "feature=42",
         "é" * 50, "0123456789" * 13]

# computed with TF 2.21: tf.strings.to_hash_bucket_fast(WORDS, B)
FAST = [1936946117179596765, 3694432073954563441, 3066228220894201004, 2640714258260161385, 1897425971756105985,
        3786372426572999798, 2134954489577850832, 2082709914559500083, 3999049019338120901, 3688229565335318268,
        4222011168662608425, 2456893889797950300, 1497403020669680786]
# computed with TF 2.21: tf.strings.to_hash_bucket_strong(WORDS, B, KEY)
STRONG = [4039206588336757250, 926818282217113182, 3476290870632836893, 2358565026558812076, 2901584856525322934,
          2079721000357505519, 4546519913375004315, 4455780891555626498, 1508614015475030818, 2656262345735829601,
          3650343012029529085, 4153587709092143989, 3453151403111408748]
# computed with TF 2.21: tf.string_to_hash_bucket(WORDS, B)
LEGACY = [105434511174483401, 2996632905371535868, 3579204183985769450, 1046625677629742461, 404301170780137434,
          1331861223480380689, 4558832967474419920, 4161156153655763083, 3468653955998146321, 2788949775400546509,
          394015234936248319, 3401742454708094510, 2976814468296124463]
# computed with TF 2.21: tf.strings.to_hash_bucket_fast(WORDS, 1000)
FAST_1000 = [263, 939, 502, 385, 985, 296, 330, 581, 150, 517, 172, 300, 284]
# computed with TF 2.21: tf.fingerprint(WORDS[:3]), of np.arange(6, dtype=int32).reshape(3, 2), of a 2x2 string matrix
FP_WORDS = [[79, 64, 144, 47, 59, 106, 225, 154], [227, 117, 223, 182, 101, 66, 69, 179],
            [30, 165, 173, 66, 82, 110, 141, 170]]
FP_INTS = [[194, 16, 7, 194, 114, 84, 113, 94], [45, 162, 153, 182, 137, 177, 91, 176],
           [26, 81, 232, 52, 36, 4, 40, 158]]
FP_MATRIX = [[65, 83, 39, 149, 164, 245, 170, 22], [193, 32, 210, 152, 167, 221, 186, 228]]


def _sparse(v: Any) -> tuple[list, list, list]:
    return v.indices.tolist(), v.values.tolist(), v.dense_shape.tolist()


@pytest.mark.parametrize("target", TARGETS)
def test_hash_buckets_equal_tf_values(target: str) -> None:
    p = gf.placeholder(gf.string, [None])
    fast, strong, legacy, small = gf.strings.to_hash_bucket_fast(p, B), gf.strings.to_hash_bucket_strong(p, B, KEY), \
        gf.string_to_hash_bucket(p, B), gf.string_to_hash_bucket_fast(p, 1000)
    assert fast.dtype == gf.int64 and fast.shape.as_list() == [None]
    got = run([fast, strong, legacy, small], {p: WORDS}, target)
    assert [g.tolist() for g in got] == [FAST, STRONG, LEGACY, FAST_1000]
    assert gf.strings.to_hash_bucket is gf.string_to_hash_bucket
    assert gf.strings.to_hash_bucket_strong is gf.string_to_hash_bucket_strong


@pytest.mark.parametrize("target", TARGETS)
def test_hash_buckets_feed_compiled_ops(target: str) -> None:
    """Bucket ids are int64 tensors: an embedding lookup consumes them in the compiled program."""
    ids = gf.strings.to_hash_bucket_fast(gf.constant([["a", "hello"]]), 1000)
    emb = gf.constant(np.arange(1000, dtype=np.float32) * 2)
    assert run(gf.gather(emb, ids) + 1, None, target).tolist() == [[2 * 939 + 1, 2 * 296 + 1]]


def test_hash_bucket_errors() -> None:
    with pytest.raises(ValueError, match="num_buckets must be at least 1"):
        gf.strings.to_hash_bucket_fast(["a"], 0)
    with pytest.raises(ValueError, match="key must have 2 elements"):
        gf.strings.to_hash_bucket_strong(["a"], 10, [1])
    with pytest.raises(ValueError, match="int64"):
        gf.strings.to_hash_bucket_strong(["a"], 10, [1, 2**64])
    with pytest.raises(TypeError, match="string"):
        gf.strings.to_hash_bucket_fast(gf.constant([1]), 10)


@pytest.mark.parametrize("target", TARGETS)
def test_fingerprint_equals_tf_values(target: str) -> None:
    a = gf.fingerprint(gf.constant(WORDS[:3]))
    b = gf.fingerprint(gf.constant(np.arange(6, dtype=np.int32).reshape(3, 2)))
    c = gf.fingerprint(gf.constant([["ab", "c"], ["", "xyz"]]))
    assert a.dtype == gf.uint8 and a.shape.as_list() == [3, 8]
    got = run([a, b, c], None, target)
    assert [g.tolist() for g in got] == [FP_WORDS, FP_INTS, FP_MATRIX]
    with pytest.raises(ValueError, match="rank 1 or more"):
        gf.fingerprint(gf.constant(1.0))
    with pytest.raises(ValueError, match="unsupported method"):
        gf.fingerprint(gf.constant([1.0]), method="md5")


@pytest.mark.parametrize("target", TARGETS)
def test_regex_replace_and_full_match(target: str) -> None:
    x = gf.placeholder(gf.string, [None])
    outs = [gf.regex_replace(x, "x*", "-"),
            gf.strings.regex_replace(x, "(l+)", r"<\1\0\\>"),
            gf.strings.regex_replace(x, "l", "L", replace_global=False),
            gf.strings.regex_replace(x, "(l+)", r"\2"),  # a group the pattern lacks: RE2 leaves the text
            gf.strings.regex_replace(x, "l", r"\n"),  # a bad escape ends the rewrite (RE2 writes nothing)
            gf.strings.regex_replace(x, "h.l", "Z"),  # '.' is one UTF-8 character
            gf.strings.regex_replace(x, "o$", "0"),  # '$' is the end of the text only
            gf.strings.regex_full_match(x, "h.l+o?"),
            gf.strings.regex_full_match(x, gf.constant("(?P<n>h)el.*"))]
    got = run(outs, {x: ["hello", "héllo", "abxd", "", "hello\no"]}, target)
    assert [g.tolist() for g in got] == [
        [b"-h-e-l-l-o-", "-h-é-l-l-o-".encode(), b"-a-b-d-", b"-", b"-h-e-l-l-o-\n-o-"],
        [b"he<llll\\>o", "hé<llll\\>o".encode(), b"abxd", b"", b"he<llll\\>o\no"],
        [b"heLlo", "héLlo".encode(), b"abxd", b"", b"heLlo\no"],
        [b"hello", "héllo".encode(), b"abxd", b"", b"hello\no"],
        [b"heo", "héo".encode(), b"abxd", b"", b"heo\no"],
        [b"Zlo", b"Zlo", b"abxd", b"", b"Zlo\no"],
        [b"hell0", "héll0".encode(), b"abxd", b"", b"hello\n0"],
        [True, True, False, False, False],
        [True, False, False, False, False]]
    assert gf.regex_replace is gf.strings.regex_replace


def test_regex_errors_name_the_pattern() -> None:
    with gf.Session() as sess:
        for pattern in ["(l+", "(?<=h)e", r"(a)\1"]:
            with pytest.raises(gf.errors.InvalidArgumentError, match="Invalid pattern"):
                sess.run(gf.strings.regex_replace(["hello"], pattern, "x"))
    with pytest.raises(ValueError, match="must be scalars"):
        gf.strings.regex_full_match(["a"], gf.constant(["a", "b"]))


@pytest.mark.parametrize("target", TARGETS)
def test_base64_web_safe_with_and_without_padding(target: str) -> None:
    x = gf.constant(["", "a", "ab", "abc", "\xff\xfe"])
    enc, padded = gf.encode_base64(x), gf.encode_base64(x, pad=True)
    dec = gf.decode_base64(gf.constant(["", "YQ", "YQ==", "YWI", "YWJj", "w7_Dvg", "YR", "YW=="]))
    got = run([enc, padded, dec, gf.decode_base64(padded)], None, target)
    assert got[0].tolist() == [b"", b"YQ", b"YWI", b"YWJj", b"w7_Dvg"]
    assert got[1].tolist() == [b"", b"YQ==", b"YWI=", b"YWJj", b"w7_Dvg=="]
    assert got[2].tolist() == [b"", b"a", b"a", b"ab", b"abc", "\xff\xfe".encode(), b"a", b"a"]
    assert got[3].tolist() == [b"", b"a", b"ab", b"abc", "\xff\xfe".encode()]


def test_decode_base64_rejects_what_tf_rejects() -> None:
    with gf.Session() as sess:
        for bad, why in [("w7/Dvg", "Invalid character"), ("Y Q", "Invalid character"), ("YQ=", "Invalid character"),
                         ("YQ==YQ", "Invalid character"), ("YQ===", "Invalid character"), ("Y===", "Invalid character"),
                         ("Y", "1 modulo 4")]:
            with pytest.raises(gf.errors.InvalidArgumentError, match=why):
                sess.run(gf.decode_base64([bad]))


@pytest.mark.parametrize("target", TARGETS)
def test_string_split_v1_splits_at_each_delimiter_byte(target: str) -> None:
    src = gf.placeholder(gf.string, [None])
    outs = [gf.string_split(src), gf.string_split(src, delimiter=",;"),
            gf.string_split(src, ",;", skip_empty=False), gf.string_split(src, "")]
    got = [_sparse(v) for v in run(outs, {src: ["a,b;;c d", "", "é"]}, target)]
    assert got[0] == ([[0, 0], [0, 1], [2, 0]], [b"a,b;;c", b"d", "é".encode()], [3, 2])
    assert got[1] == ([[0, 0], [0, 1], [0, 2], [2, 0]], [b"a", b"b", b"c d", "é".encode()], [3, 3])
    assert got[2] == ([[0, 0], [0, 1], [0, 2], [0, 3], [2, 0]], [b"a", b"b", b"", b"c d", "é".encode()], [3, 4])
    assert got[3][1] == [b"a", b",", b"b", b";", b";", b"c", b" ", b"d", b"\xc3", b"\xa9"]
    assert got[3][2] == [3, 8]
    with pytest.raises(ValueError, match="rank 1"):
        gf.string_split("ab")
    with pytest.raises(NotImplementedError, match="vector of strings"):
        gf.strings.split([["ab"]], result_type="RaggedTensor")
    shapeless = gf.placeholder(gf.string)
    with gf.Session(device=target) as sess, pytest.raises(gf.errors.InvalidArgumentError, match="must be a vector"):
        sess.run(gf.string_split(shapeless).values, {shapeless: [["a b"]]})


@pytest.mark.parametrize("target", TARGETS)
def test_strings_split_is_python_split_with_tf_maxsplit(target: str) -> None:
    src = gf.placeholder(gf.string, [None])
    words = ["  a  b c  ", "", "x", " \t\n", "a b\x0bc\x0cd"]
    outs = [gf.strings.split(src, maxsplit=m) for m in (-1, 0, 1, 2)] + [gf.strings.split(src, sep="<>", maxsplit=1)]
    got = [_sparse(v) for v in run(outs, {src: words}, target)]
    assert got[0][1:] == ([b"a", b"b", b"c", b"x", b"a", b"b", b"c", b"d"], [5, 4])
    assert got[1][1:] == ([w.encode() for w in words], [5, 1])
    assert got[2][1:] == ([b"a", b"b c  ", b"x", b"", b"a", b"b\x0bc\x0cd"], [5, 2])
    assert got[2][0] == [[0, 0], [0, 1], [2, 0], [2, 1], [4, 0], [4, 1]]
    assert got[3][1:] == ([b"a", b"b", b"c  ", b"x", b"a", b"b", b"c\x0cd"], [5, 3])
    assert got[4][1] == [b"  a  b c  ", b"", b"x", b" \t\n", b"a b\x0bc\x0cd"]
    nested = run(gf.strings.split(gf.constant([["a b", "c"], ["", "d e f"]])), None, target)
    assert _sparse(nested) == ([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 1, 0], [1, 1, 1], [1, 1, 2]],
                               [b"a", b"b", b"c", b"d", b"e", b"f"], [2, 2, 3])
    assert _sparse(run(gf.strings.split("a b"), None, target)) == ([[0, 0], [0, 1]], [b"a", b"b"], [1, 2])


@pytest.mark.parametrize("target", TARGETS)
def test_bytes_split_and_split_results_feed_sparse_ops(target: str) -> None:
    assert run(gf.strings.bytes_split("abé"), None, target).tolist() == [b"a", b"b", b"\xc3", b"\xa9"]
    rows = gf.strings.bytes_split(["ab", ""])  # a RaggedTensor, as TF's
    assert run(rows, None, target).to_list() == [[b"a", b"b"], []]
    assert _sparse(run(rows.to_sparse(), None, target)) == ([[0, 0], [0, 1]], [b"a", b"b"], [2, 2])
    assert run(gf.string_split(["a b", "c"], result_type="RaggedTensor"), None, target).to_list() == \
        [[b"a", b"b"], [b"c"]]
    split = gf.string_split(["a b", "c"])  # its integer parts feed the compiled program
    assert run(gf.reduce_max(split.indices, axis=0) * split.dense_shape, None, target).tolist() == [2, 2]
    p = gf.placeholder(gf.string, [None])
    dense = [gf.sparse.to_dense(gf.string_split(p), default_value="<pad>"), gf.sparse_tensor_to_dense(split),
             gf.sparse.to_dense(gf.strings.split([["x y"], ["z"]]))]
    got = run(dense, {p: ["a b c", "d", ""]}, target)
    assert got[0].tolist() == [[b"a", b"b", b"c"], [b"d", b"<pad>", b"<pad>"], [b"<pad>"] * 3]
    assert got[1].tolist() == [[b"a", b"b"], [b"c", b""]]
    assert got[2].tolist() == [[[b"x", b"y"]], [[b"z", b""]]]
    empty = run(gf.string_split(gf.constant([], gf.string)), None, target)
    assert empty.indices.shape == (0, 2) and empty.dense_shape.tolist() == [0, 0]


@pytest.mark.parametrize("target", TARGETS)
def test_unsorted_segment_join(target: str) -> None:
    x = [["Y", "q", "c"], ["Y", "6", "6"], ["p", "G", "a"]]
    out = gf.strings.unsorted_segment_join(x, [1, 0, 1], 3, separator=":")
    assert out.shape.as_list() == [3, 3]
    whole = gf.strings.unsorted_segment_join(x, [[1, 0, 1]] * 3, 2, separator=":")
    got = run([out, whole], None, target)
    assert got[0].tolist() == [[b"Y", b"6", b"6"], [b"Y:p", b"q:G", b"c:a"], [b"", b"", b""]]
    assert got[1].tolist() == [b"q:6:G", b"Y:c:Y:6:p:a"]
    with gf.Session() as sess, pytest.raises(gf.errors.InvalidArgumentError, match="out of range"):
        sess.run(gf.strings.unsorted_segment_join(x, [1, 2, 1], 2))
    with pytest.raises(ValueError, match="prefix"):
        gf.strings.unsorted_segment_join(x, [1, 0], 2)


@pytest.mark.parametrize("target", TARGETS)
def test_format_summarizes_as_tf(target: str) -> None:
    cases = [(np.arange(5), b"[0 1 2 3 4]"), (np.arange(10), b"[0 1 2 ... 7 8 9]"),
             (np.arange(24).reshape(2, 3, 4),
              b"[[[0 1 2 3]\n  [4 5 6 7]\n  [8 9 10 11]]\n\n [[12 13 14 15]\n  [16 17 18 19]\n  [20 21 22 23]]]"),
             (np.arange(8).reshape(8, 1), b"[[0]\n [1]\n [2]\n ...\n [5]\n [6]\n [7]]"),
             (np.float32(3.25), b"3.25"), (np.array([1e-7, 1e10, -0.5], np.float32), b"[1e-07 1e+10 -0.5]"),
             (np.array([1 / 3], np.float32), b"[0.333333343]"), (np.array([1 / 3]), b"[0.33333333333333331]"),
             (np.array([0.1, 1e16, -0.0]), b"[0.1 1e+16 -0]"), (np.array([np.nan, np.inf, -np.inf]), b"[nan inf -inf]"),
             (np.array([True, False]), b"[1 0]"), (np.zeros((0, 3)), b"[]"), (np.zeros((3, 0)), b"[\n ...]"),
             (np.array(["a", "b c"]), b'["a" "b c"]'),
             (np.array(["\u00e9\n\"'\\\x01\x7f"]), b'["\xc3\xa9\\n\\"\\\'\\\\\\001\\177"]')]
    outs = [gf.strings.format("x={}!", gf.constant(c)) for c, _ in cases]
    outs.append(gf.strings.format("{} and {}", [gf.constant(np.arange(10)), gf.constant("s")], summarize=2))
    outs.append(gf.strings.format("<>;", [gf.constant(np.arange(7))], placeholder="<>", summarize=0))
    outs.append(gf.strings.format("{}", gf.constant(np.arange(100).reshape(10, 10)), summarize=1))
    assert outs[0].dtype == gf.string and outs[0].shape.as_list() == []
    got = run(outs, None, target)
    assert got[:len(cases)] == [b"x=" + w + b"!" for _, w in cases]
    assert got[len(cases):] == [b'[0 1 ... 8 9] and "s"', b"[ ...];", b"[[0 ... 9]\n ...\n [90 ... 99]]"]
    with pytest.raises(ValueError, match="template expects 2 tensors"):
        gf.strings.format("{} {}", [gf.constant(1)])


@pytest.mark.parametrize("target", TARGETS)
def test_unicode_transcode_and_encode(target: str) -> None:
    bad = [b"ok\xc3\xa9", b"a\xffb", b"\xe2\x82", b"\xf0\x9f\x98\x80", b"\xed\xa0\x80", b"x\x01y", b"\xc0\xaf"]
    x = gf.constant(np.array(bad, dtype=object))
    outs = [gf.strings.unicode_transcode(x, "UTF-8", "UTF-8"),
            gf.strings.unicode_transcode(x, "UTF-8", "UTF-8", errors="ignore"),
            gf.strings.unicode_transcode(x, "UTF-8", "UTF-16-BE", replacement_char=63, replace_control_characters=True),
            gf.strings.unicode_transcode(gf.constant(np.array([b"\xfe\xff\x00a", b"\x00a", b"\xff\xfea\x00"],
                                                              dtype=object)), "UTF-16", "UTF-8"),
            gf.strings.unicode_transcode(gf.constant(np.array([b"\xe9t\xe9"], dtype=object)), "ISO-8859-1", "UTF-8"),
            gf.strings.unicode_encode([[72, 233, -1, 0x110000, 0xD800, 128512]], "UTF-8"),
            gf.strings.unicode_encode([72, -5, 233], "UTF-16-BE", errors="ignore"),
            gf.strings.unicode_encode(np.zeros((2, 3, 0), np.int32), "UTF-8")]
    got = run(outs, None, target)
    fffd = "\ufffd".encode()
    assert got[0].tolist() == [b"ok\xc3\xa9", b"a" + fffd + b"b", fffd, b"\xf0\x9f\x98\x80", fffd * 3, b"x\x01y",
                               fffd * 2]
    assert got[1].tolist() == [b"ok\xc3\xa9", b"ab", b"", b"\xf0\x9f\x98\x80", b"", b"x\x01y", b""]
    ignored = gf.strings.unicode_transcode([b"a\x01b\xffc"], "UTF-8", "UTF-8", errors="ignore",
                                           replace_control_characters=True)
    assert run(ignored, None, target).tolist() == [b"abc"]  # controls are dropped as ill-formed input is
    assert got[2].tolist() == [s.encode("utf-16-be") for s in ["ok\xe9", "a?b", "?", "\U0001f600", "???", "x?y", "??"]]
    assert got[3].tolist() == [b"a", b"a", b"a"]
    assert got[4].tolist() == ["\xe9t\xe9".encode()]
    assert got[5].tolist() == ["H\xe9".encode() + fffd * 3 + "\U0001f600".encode()]
    assert got[6] == "H\xe9".encode("utf-16-be")
    assert got[7].tolist() == [[b"", b"", b""], [b"", b"", b""]]
    with gf.Session() as sess:
        with pytest.raises(gf.errors.InvalidArgumentError, match="Invalid formatting"):
            sess.run(gf.strings.unicode_transcode([b"a\xff"], "UTF-8", "UTF-8", errors="strict"))
        with pytest.raises(gf.errors.InvalidArgumentError, match="Invalid formatting"):
            sess.run(gf.strings.unicode_transcode([b"a\x01"], "UTF-8", "UTF-8", errors="strict",
                                                  replace_control_characters=True))
        with pytest.raises(gf.errors.InvalidArgumentError, match="Invalid code point"):
            sess.run(gf.strings.unicode_encode([72, -5], "UTF-8", errors="strict"))
    with pytest.raises(ValueError, match="output_encoding"):
        gf.strings.unicode_transcode(["a"], "UTF-8", "UTF-7")
    with pytest.raises(ValueError, match="rank must be at least 1"):
        gf.strings.unicode_encode(72, "UTF-8")


@pytest.mark.parametrize("target", TARGETS)
def test_ngrams_of_dense_rows(target: str) -> None:
    abcd = gf.constant(["A", "B", "C", "D"])
    grid = gf.constant([["a", "b", "c"], ["d", "e", "f"]])
    outs = [gf.strings.ngrams(abcd, 2), gf.strings.ngrams(abcd, [1, 3], separator="+"),
            gf.strings.ngrams(grid, 2, pad_values=("<", ">")),
            gf.strings.ngrams(grid, 3, pad_values="#", padding_width=1),
            gf.strings.ngrams(grid, 5), gf.strings.ngrams(grid, 5, preserve_short_sequences=True)]
    assert [o.shape.as_list() for o in outs] == [[3], [6], [2, 4], [2, 3], [2, 0], [2, 1]]
    got = [g.tolist() for g in run(outs, None, target)]
    assert got[0] == [b"A B", b"B C", b"C D"]
    assert got[1] == [b"A", b"B", b"C", b"D", b"A+B+C", b"B+C+D"]
    assert got[2] == [[b"< a", b"a b", b"b c", b"c >"], [b"< d", b"d e", b"e f", b"f >"]]
    assert got[3] == [[b"# a b", b"a b c", b"b c #"], [b"# d e", b"d e f", b"e f #"]]
    assert got[4] == [[], []]
    assert got[5] == [[b"a b c"], [b"d e f"]]
    with pytest.raises(ValueError, match="pad_values must be provided"):
        gf.strings.ngrams(abcd, 2, padding_width=1)
    with pytest.raises(ValueError, match="greater than 0"):
        gf.strings.ngrams(abcd, 0)
    with pytest.raises(ValueError, match="rank>0"):
        gf.strings.ngrams(gf.constant("a"), 1)


@pytest.mark.parametrize("target", TARGETS)
def test_unicode_script_is_icus_code(target: str) -> None:
    # ICU's UScriptCode values, as TF 2.21 returned them for these code points
    x = gf.placeholder(gf.int32, [None, 4])
    out = gf.strings.unicode_script(x)
    assert out.dtype == gf.int32 and out.shape.as_list() == [None, 4]
    got = run(out, {x: [[72, 0x3B1, 0x430, 0x4E00], [0x0, -1, 0x5D0, 0x30A2], [0x110000, 0x10FFFF, 0x300, 0x378]]},
              target)
    assert got.tolist() == [[25, 14, 8, 17], [0, -1, 19, 22], [-1, 103, 1, 103]]
    assert run(gf.strings.unicode_script(0x41), None, target) == 25


# ---- against tf.compat.v1 on random inputs ---------------------------------------------------------

def _random_strings(rs: np.random.RandomState, n: int, max_len: int, alphabet: bytes | None = None) -> list[bytes]:
    out = []
    for _ in range(n):
        k = int(rs.randint(0, max_len + 1))
        if alphabet is None:
            out.append(bytes(rs.randint(0, 256, size=k).astype(np.uint8)))
        else:
            out.append(bytes(alphabet[i] for i in rs.randint(0, len(alphabet), size=k)))
    return out


def _tf_run(tf: Any, fetches: Any) -> Any:
    with tf.Session(graph=tf.get_default_graph()) as sess:
        return sess.run(fetches)


def test_hashes_match_tf1_on_random_strings_of_every_length() -> None:
    tf = tf1()
    rs = np.random.RandomState(7)
    words = [bytes(rs.randint(0, 256, size=n).astype(np.uint8)) for n in list(range(301)) * 2]
    grid = np.array(words[:64], dtype=object).reshape(16, 4)
    nums = rs.standard_normal((5, 3, 2))
    tf.reset_default_graph()
    want = _tf_run(tf, [tf.strings.to_hash_bucket_fast(words, B), tf.strings.to_hash_bucket_strong(words, B, KEY),
                        tf.string_to_hash_bucket(words, B), tf.strings.to_hash_bucket_strong(words, 977, KEY2),
                        tf.fingerprint(np.array(words, dtype=object)),
                        tf.fingerprint(grid), tf.fingerprint(nums)])
    got = run([gf.strings.to_hash_bucket_fast(words, B), gf.strings.to_hash_bucket_strong(words, B, KEY),
               gf.string_to_hash_bucket(words, B), gf.strings.to_hash_bucket_strong(words, 977, KEY2),
               gf.fingerprint(gf.constant(words)), gf.fingerprint(gf.constant(grid)), gf.fingerprint(nums)])
    assert len(got) == len(want) == 7
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_regex_and_base64_match_tf1_on_random_strings() -> None:
    tf = tf1()
    rs = np.random.RandomState(3)
    words = _random_strings(rs, 200, 12, b"abcxyz 01\n.") + ["héllo wörld".encode()]
    cases = [("[a-c]+", "<\\0>"), ("x*", "-"), ("(a)(b)?", "\\2\\1"), ("^a|c$", "#"), ("\\s+", "_"), ("\\w\\d", "?"),
             ("(?i)A.", "!"), ("[^x]$", ""), ("b|", "+"), (".", "\\\\"), ("[[:alpha:]]+", "A"),
             ("[^[:space:]b]", "."), ("[[:punct:][:digit:]]", "P"), ("(?m)^a|b$", "#"), ("a\\z", "Z")]
    tf.reset_default_graph()
    fetches = [tf.strings.regex_replace(words, p, r) for p, r in cases] + \
        [tf.strings.regex_replace(words, p, r, replace_global=False) for p, r in cases] + \
        [tf.strings.regex_full_match(words, p) for p, _ in cases] + \
        [tf.encode_base64(words), tf.encode_base64(words, pad=True)]
    enc = _random_strings(rs, 100, 30)
    fetches.append(tf.decode_base64(tf.encode_base64(enc)))
    want = _tf_run(tf, fetches)
    got = run([gf.strings.regex_replace(words, p, r) for p, r in cases] +
              [gf.strings.regex_replace(words, p, r, replace_global=False) for p, r in cases] +
              [gf.strings.regex_full_match(words, p) for p, _ in cases] +
              [gf.encode_base64(words), gf.encode_base64(words, pad=True), gf.decode_base64(gf.encode_base64(enc))])
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.tolist() == w.tolist(), f"case {i}"


def test_splits_and_segment_join_match_tf1_on_random_strings() -> None:
    tf = tf1()
    rs = np.random.RandomState(5)
    words = _random_strings(rs, 60, 15, b"ab ,;\t")
    tf.reset_default_graph()
    specs = [("v1", " ", True), ("v1", ",;", True), ("v1", ",;", False), ("v1", "", True)]
    fetches = [tf.string_split(words, sep=s, skip_empty=e) for _, s, e in specs]
    fetches += [tf.strings.split(words, sep=s, maxsplit=m) for s in (None, ",", "a ") for m in (-1, 0, 1, 3)]
    ids = rs.randint(0, 7, size=60)
    fetches.append(tf.strings.unsorted_segment_join(words, ids, 8, separator="|"))
    want = _tf_run(tf, fetches)
    got = run([gf.string_split(words, sep=s, skip_empty=e) for _, s, e in specs] +
              [gf.strings.split(words, sep=s, maxsplit=m) for s in (None, ",", "a ") for m in (-1, 0, 1, 3)] +
              [gf.strings.unsorted_segment_join(words, ids, 8, separator="|")])
    for i, (g, w) in enumerate(zip(got[:-1], want[:-1])):
        assert _sparse(g) == _sparse(w), f"case {i}"
    assert got[-1].tolist() == want[-1].tolist()


def test_format_and_unicode_match_tf1_on_random_inputs() -> None:
    tf = tf1()
    rs = np.random.RandomState(11)
    arrays = [rs.randint(-50, 50, size=rs.randint(0, 4, size=rank) + 1).astype(dt)
              for rank in (1, 2, 3) for dt in (np.int32, np.int64)]
    arrays += [(rs.standard_normal(rs.randint(1, 9, size=rank)) * 10.0 ** rs.randint(-8, 9)).astype(dt)
               for rank in (0, 1, 2, 3) for dt in (np.float32, np.float64)]
    arrays += [rs.standard_normal((9, 2)) > 0, np.array(_random_strings(rs, 8, 6), dtype=object), np.array(True),
               np.zeros((0, 2), bool), np.zeros((2, 0), np.int32), np.array(b"s", dtype=object)]
    summaries = (-1, 0, 1, 2, 3)
    texts = np.array(_random_strings(rs, 80, 10, b"ab\t\x01\xc3\xa9\xff\xe2\x82\xac\x00"), dtype=object)
    points = rs.randint(-3, 0x110005, size=(6, 5)).astype(np.int32)
    points[rs.rand(6, 5) < 0.5] = rs.randint(0, 300, size=1)[0]
    tf.reset_default_graph()
    encodings = [(out, e, c) for out in ("UTF-8", "UTF-16-BE", "UTF-32-BE") for e in ("replace", "ignore")
                 for c in (False, True)]
    want = _tf_run(tf, [tf.strings.format("a{}b", tf.constant(a), summarize=k) for a in arrays for k in summaries] +
                   [tf.strings.unicode_transcode(texts, "UTF-8", out, errors=e, replace_control_characters=c)
                    for out, e, c in encodings] +
                   [tf.strings.unicode_encode(points, "UTF-8", errors=e) for e in ("replace", "ignore")])
    got = run([gf.strings.format("a{}b", gf.constant(a), summarize=k) for a in arrays for k in summaries] +
              [gf.strings.unicode_transcode(texts, "UTF-8", out, errors=e, replace_control_characters=c)
               for out, e, c in encodings] +
              [gf.strings.unicode_encode(points, "UTF-8", errors=e) for e in ("replace", "ignore")])
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert np.asarray(g).tolist() == np.asarray(w).tolist(), f"case {i}"


def test_ngrams_match_tf1() -> None:
    tf = tf1()
    cases = []
    for shape in [(4,), (2, 5), (3, 2, 1), (2, 0), (1,)]:
        data = np.array([b"t%d" % i for i in range(int(np.prod(shape)))], dtype=object).reshape(shape)
        for width in [1, 2, 3, [1, 3], [2, 5], 6]:
            for pads, pad_width in [(None, None), ("<", None), (("L", "R"), 1), (("L", "R"), 4), ("P", 2)]:
                cases += [(data, width, pads, pad_width, short) for short in (False, True)]
    tf.reset_default_graph()
    want = _tf_run(tf, [tf.strings.ngrams(d, w, separator="_", pad_values=p, padding_width=k,
                                          preserve_short_sequences=s) for d, w, p, k, s in cases])
    outs = [gf.strings.ngrams(gf.constant(d, dtype=gf.string), w, separator="_", pad_values=p, padding_width=k,
                              preserve_short_sequences=s) for d, w, p, k, s in cases]
    got = run(outs)
    for i, (o, g, w) in enumerate(zip(outs, got, want)):
        assert o.shape.as_list() == list(w.shape) and g.tolist() == w.tolist(), f"case {i}"


def test_unicode_script_matches_tf1() -> None:
    tf = tf1()
    starts = np.array([int(p.split(":")[0], 16) for p in RUNS.split()], dtype=np.int32)
    rs = np.random.RandomState(2)
    points = np.concatenate([starts, starts - 1, rs.randint(-10, 0x110010, size=2000)]).astype(np.int32)
    tf.reset_default_graph()
    want = _tf_run(tf, tf.strings.unicode_script(points))
    np.testing.assert_array_equal(run(gf.strings.unicode_script(points)), want)
