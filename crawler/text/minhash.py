"""datasketch's MinHash, bit for bit, without importing datasketch on the crawl path.

`import datasketch` imports every sketch it has, and its LSH module imports scipy: about half a second of
CPU in every crawl process and in every analysis worker, whatever the crawl finds. The signatures
drillwatch stores only need datasketch 2.0's default scheme ("affine32"): SHA-1 of each shingle (first 4
bytes, little-endian), MurmurHash3's finalizer, then `a * h + b` in uint32 with permutations drawn from
`numpy.random.RandomState(seed)`; stored in `LeanMinHash.serialize`'s byte format. This module computes
exactly that with numpy (tests/test_dedup.py checks it against datasketch, which stays the reference and
the Redis LSH backend), hashing a text's shingles in one pass instead of one Python call per shingle.
"""
from __future__ import annotations

import hashlib
import struct
from functools import lru_cache
from typing import Iterable

import numpy as np

_FORMAT = "@qiB%dI"   # LeanMinHash.serialize, affine32: seed, -num_perm, scheme code 1, values
_AFFINE32 = 1
_OFFSET = struct.calcsize("@qiB0I")  # where the values start (native alignment)
_MAX = np.uint32(0xFFFFFFFF)
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) as datasketch draws them for the affine32 scheme (a odd)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _fmix(hv: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    return hv ^ (hv >> s3)


class Signature:
    """A MinHash of a set of byte strings: `hashvalues` (uint32), `jaccard`, `serialize`; what
    datasketch's LeanMinHash offers drillwatch, same values, same bytes."""

    __slots__ = ("seed", "hashvalues", "memo")

    def __init__(self, seed: int, hashvalues: np.ndarray):
        self.seed, self.hashvalues = seed, hashvalues
        self.memo: dict = {}  # what callers derive from the values once (storage.dedup.band_keys)

    @classmethod
    def of(cls, items: Iterable[bytes], num_perm: int, seed: int) -> "Signature":
        sha1 = hashlib.sha1
        return cls.of_digests(b"".join([sha1(item).digest()[:4] for item in items]), num_perm, seed)  # a list joins quicker

    @classmethod
    def of_digests(cls, digests: bytes, num_perm: int, seed: int) -> "Signature":
        """The signature of the items whose SHA-1 digests' first 4 bytes are `digests`, one after the other
        (an item given twice changes no minimum)."""
        a, b = permutations(num_perm, seed)
        if not digests:
            return cls(seed, np.full(num_perm, _MAX, dtype=np.uint32))
        hv = _fmix(np.frombuffer(digests, dtype="<u4").astype(np.uint32))
        with np.errstate(over="ignore"):  # uint32 wraps: the modulo 2^32 of the scheme
            values = np.multiply.outer(hv, a)
            values += b
        return cls(seed, values.min(axis=0))

    def __len__(self) -> int:
        return len(self.hashvalues)

    def jaccard(self, other) -> float:
        if len(self) != len(other.hashvalues) or self.seed != other.seed:
            raise ValueError("signatures of different sizes or seeds cannot be compared")
        return float(np.count_nonzero(self.hashvalues == other.hashvalues)) / float(len(self))

    def serialize(self) -> bytes:
        return struct.pack(_FORMAT % len(self), self.seed, -len(self), _AFFINE32, *self.hashvalues.tolist())

    @classmethod
    def deserialize(cls, buf: bytes) -> "Signature | None":
        """None for a payload of another scheme (datasketch's legacy format): the caller asks datasketch."""
        seed, count = struct.unpack_from("@qi", buf, 0)
        if count >= 0 or buf[struct.calcsize("@qi")] != _AFFINE32:
            return None
        return cls(seed, np.frombuffer(buf, dtype=np.uint32, count=-count, offset=_OFFSET).copy())
