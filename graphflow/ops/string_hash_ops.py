"""TF1's string hashing: ``string_to_hash_bucket{,_fast,_strong}`` and ``tf.fingerprint``.

Host ops (``Kind.HOST``, run by their numpy reference beside the compiled call, as every string
op): the hashes themselves are ``string_hashes``'s exact ports, so bucket ids equal TF's, which
feature hashing in saved models depends on.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.registry import Kind, Op, OpDef, register
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops._build import make, same_shape
from graphflow.ops.string_hashes import fingerprint64, legacy_hash64, siphash24
from graphflow.ops.string_ops import _map, _strings


@dataclass(frozen=True)
class HashBucketAttrs:
    method: str  # "legacy" (Hash64), "fast" (FarmHash Fingerprint64), "strong" (SipHash-2-4)
    num_buckets: int
    key: tuple[int, int] = (0, 0)


def _hash_fn(at: HashBucketAttrs) -> Callable[[bytes], int]:
    if at.method == "fast":
        return fingerprint64
    if at.method == "strong":
        k0, k1 = at.key
        return lambda s: siphash24(k0, k1, s)
    return legacy_hash64


def _bucket_ref(at: HashBucketAttrs, x: np.ndarray) -> np.ndarray:
    h = _hash_fn(at)
    return _map(lambda s: h(s) % at.num_buckets, np.asarray(x, dtype=object)).astype(np.int64)


def _string_in(out: DType) -> Callable[[Sequence[DType], object], list[DType]]:
    def rule(dtypes: Sequence[DType], at: object) -> list[DType]:
        if not dtypes[0].is_string:
            raise TypeError(f"expected a string tensor, got dtype {dtypes[0].name}")
        return [out]
    return rule


register(OpDef(Op.STRING_TO_HASH_BUCKET, Kind.HOST, same_shape, _string_in(_dt.int64), _bucket_ref,
               no_gradient=True))


# ---- fingerprint ---------------------------------------------------------------------------------

def _fp_bytes(s: bytes) -> bytes:
    return fingerprint64(s).to_bytes(8, "little")


def _fingerprint_ref(at: object, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    rows = x.reshape(x.shape[0], -1) if x.shape[0] else x.reshape(0, 0)
    if x.dtype == object:
        # one string per row: its fingerprint; more: the fingerprint of their fingerprints (TF's rule)
        keys = [_fp_bytes(r[0]) if r.size == 1 else _fp_bytes(b"".join(_fp_bytes(v) for v in r)) for r in rows]
    else:
        keys = [_fp_bytes(np.ascontiguousarray(r).astype(r.dtype.newbyteorder("<")).tobytes()) for r in rows]
    return np.frombuffer(b"".join(keys), np.uint8).reshape(len(keys), 8)


def _fingerprint_shape(shapes: Sequence[TensorShape], at: object) -> list[TensorShape]:
    s = shapes[0]
    if s.rank == 0:
        raise ValueError("fingerprint: data must have rank 1 or more, given a scalar")
    return [TensorShape([None if s.rank is None else s.as_list()[0], 8])]


register(OpDef(Op.FINGERPRINT, Kind.HOST, _fingerprint_shape, lambda d, at: [_dt.uint8], _fingerprint_ref,
               no_gradient=True))


# ---- public API ----------------------------------------------------------------------------------

def _buckets(num_buckets: int, what: str) -> int:
    n = int(num_buckets)
    if n < 1:
        raise ValueError(f"{what}: num_buckets must be at least 1, given {n}")
    return n


def string_to_hash_bucket_fast(input: TensorLike, num_buckets: int, name: str | None = None) -> Tensor:  # noqa: A002
    """Each string's FarmHash ``Fingerprint64`` modulo ``num_buckets`` (int64), as TF.

    >>> import graphflow as gf
    >>> gf.Session().run(gf.strings.to_hash_bucket_fast(["Hello"], 100)).dtype
    dtype('int64')
    """
    at = HashBucketAttrs("fast", _buckets(num_buckets, "string_to_hash_bucket_fast"))
    return make(Op.STRING_TO_HASH_BUCKET, [_strings(input, "string_to_hash_bucket_fast")], at,
                name=name or "StringToHashBucketFast")


def string_to_hash_bucket_strong(input: TensorLike, num_buckets: int, key: Sequence[int],  # noqa: A002
                                 name: str | None = None) -> Tensor:
    """Each string's SipHash-2-4 keyed by ``key`` (two 64-bit ints) modulo ``num_buckets``, as TF.

    >>> import graphflow as gf
    >>> gf.strings.to_hash_bucket_strong(["a"], 10, [1, 2]).shape.as_list()
    [1]
    """
    k = [int(v) for v in key]
    if len(k) != 2:
        raise ValueError(f"string_to_hash_bucket_strong: key must have 2 elements, given {len(k)}")
    if any(not -2**63 <= v < 2**63 for v in k):
        raise ValueError(f"string_to_hash_bucket_strong: key must hold int64 values, given {k}")
    at = HashBucketAttrs("strong", _buckets(num_buckets, "string_to_hash_bucket_strong"), (k[0], k[1]))
    return make(Op.STRING_TO_HASH_BUCKET, [_strings(input, "string_to_hash_bucket_strong")], at,
                name=name or "StringToHashBucketStrong")


def string_to_hash_bucket(string_tensor: TensorLike | None = None, num_buckets: int | None = None,
                          name: str | None = None, input: TensorLike | None = None) -> Tensor:  # noqa: A002
    """Each string's legacy TF ``Hash64`` modulo ``num_buckets`` (TF1's ``string_to_hash_bucket``).

    >>> import graphflow as gf
    >>> gf.string_to_hash_bucket(["a", "b"], 5).dtype
    gf.int64
    """
    x = input if string_tensor is None else string_tensor
    if x is None or num_buckets is None:
        raise TypeError("string_to_hash_bucket: needs string_tensor (or input) and num_buckets")
    at = HashBucketAttrs("legacy", _buckets(num_buckets, "string_to_hash_bucket"))
    return make(Op.STRING_TO_HASH_BUCKET, [_strings(x, "string_to_hash_bucket")], at,
                name=name or "StringToHashBucket")


def fingerprint(data: TensorLike, method: str = "farmhash64", name: str | None = None) -> Tensor:
    """A uint8 ``[data.shape[0], 8]`` fingerprint per row of ``data`` (FarmHash Fingerprint64,
    little-endian), as TF: numeric rows hash their bytes, string rows their strings.

    >>> import graphflow as gf
    >>> gf.fingerprint(gf.constant(["a", "b"])).shape.as_list()
    [2, 8]
    """
    if method != "farmhash64":
        raise ValueError(f"fingerprint: unsupported method {method!r}; expected 'farmhash64'")
    return make(Op.FINGERPRINT, [convert_to_tensor(data)], name=name or "Fingerprint")
