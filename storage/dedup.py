"""A persistent MinHash LSH index: which stored articles may be near-duplicates of a new one.

Band layout (b bands of r rows) comes from datasketch's `MinHashLSH` for the configured threshold and
num_perm. Two backends:

* `SqlLshIndex` (default): one `lsh_buckets` row per (band, bucket key, article), indexed on
  (band, key); a lookup asks for the b (band, key) pairs of the new signature in one query.
* `RedisLshIndex`: datasketch's own `MinHashLSH(storage_config={"type": "redis", ...})`.

Candidates are only candidates: `find_copy` confirms them with the estimated Jaccard of the stored
signatures (`articles.minhash`, datasketch LeanMinHash bytes) before anyone merges anything, or, for a
copy cut short (a "Read more" tail, trimmed paragraphs), with the estimated containment of the shorter
text in the longer one: |A∩B| = J(|A|+|B|)/(1+J), the sizes counted from the texts' words.
Changing num_perm, the shingle size or the threshold needs a rebuild (`rebuild_sql_index`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Protocol

from sqlalchemy import and_, bindparam, delete, insert, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from storage.models import Article, LshBucket

BUCKETS, ARTICLES = LshBucket.__table__, Article.__table__

from crawler.text.dedup import LEAD_PERM, LEAD_SEED, LEAD_WORDS, lead_sketch, shingle_count  # noqa: F401 - pure, shared
from crawler.text.minhash import Signature

if TYPE_CHECKING:
    from datasketch import LeanMinHash, MinHash
# Signatures are computed and read by crawler.text.minhash (datasketch's values and bytes); datasketch itself
# (and the scipy it pulls in: half a second per process) is imported only by the Redis backend and the
# band-layout optimiser.

MAX_CANDIDATES = 200  # a hot bucket (boilerplate-only texts) must not turn a lookup into a scan
RECALL_MARGIN = 0.8   # bands are tuned for 0.8 x the threshold: pairs just above it are still candidates
                      # (at 0.5 and 128 permutations: 32 x 4 instead of 25 x 5, P(candidate | J=0.55) 0.94
                      # instead of 0.73); the Jaccard confirmation removes the extra candidates


# The optimiser's answer for the shipped defaults: it integrates numerically for about a second of CPU,
# which every crawl process (each cluster worker) would pay at start. Tested equal to datasketch's.
KNOWN_LAYOUTS = {(0.5, 128): (32, 4)}


@lru_cache(maxsize=16)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's optimiser picks for candidates of this threshold."""
    if (threshold, num_perm) in KNOWN_LAYOUTS:
        return KNOWN_LAYOUTS[threshold, num_perm]
    return optimal_layout(threshold, num_perm)


def optimal_layout(threshold: float, num_perm: int) -> tuple[int, int]:
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold * RECALL_MARGIN, num_perm=num_perm)
    return lsh.b, lsh.r


def decode(signature: bytes) -> Signature | LeanMinHash:
    """A stored signature as a sketch (`hashvalues`, `jaccard`); datasketch reads its older formats."""
    decoded = Signature.deserialize(signature)
    if decoded is None:
        from datasketch import LeanMinHash

        return LeanMinHash.deserialize(signature)
    return decoded


def band_keys(sketch: MinHash, bands: int, rows: int) -> list[tuple[int, int]]:
    """(band, 64-bit key) per band: a hash of the band's rows of the signature. Storing one article asks
    for them three times (its locks, its candidates, its bucket rows): a Signature keeps them."""
    memo = sketch.memo if isinstance(sketch, Signature) else {}
    keys = memo.get((bands, rows))
    if keys is None:
        data = sketch.hashvalues.tobytes()
        width = len(data) // len(sketch.hashvalues) * rows
        keys = memo[bands, rows] = [
            (band, int.from_bytes(hashlib.blake2b(data[band * width:(band + 1) * width], digest_size=8).digest(),
                                  "big", signed=True)) for band in range(bands)]
    return list(keys)


LEAD_BAND = 1000  # lead buckets share lsh_buckets with the text's, at band numbers from here on


def lead_keys(lead: MinHash) -> list[tuple[int, int]]:
    """(band, key) of a lead sketch, at band numbers from LEAD_BAND on (as stored in lsh_buckets)."""
    return [(LEAD_BAND + band, key) for band, key in band_keys(lead, LEAD_PERM // 4, 4)]


class LshIndex(Protocol):
    threshold: float

    def candidates(self, session: Session, sketch: MinHash, lead: MinHash | None = None) -> set[int]: ...
    def add(self, session: Session, article_id: int, sketch: MinHash, lead: MinHash | None = None) -> None: ...
    def remove(self, session: Session, article_id: int) -> None: ...


_ADD_SQLITE = "INSERT INTO lsh_buckets (band, key, article_id) VALUES (?, ?, ?)"
_ADD_PG = sql_text("INSERT INTO lsh_buckets (band, key, article_id) "
               "SELECT unnest(CAST(:bands AS integer[])), unnest(CAST(:keys AS bigint[])), :id")


class SqlLshIndex:
    """Band buckets in the database, next to the articles (one transaction with them)."""

    def __init__(self, threshold: float = 0.5, num_perm: int = 128):
        self.threshold, self.num_perm = threshold, num_perm
        self.bands, self.rows = lsh_params(threshold, num_perm)
        # one (band = i AND key = :k_i) term per band: SQLite (MULTI-INDEX OR) and PostgreSQL (BitmapOr)
        # both answer it from ix_lsh_band_key, where a row-value IN (...) makes SQLite scan the table.
        # Built once, on the table (not the ORM entity), with bind parameters: a lookup costs no SQL construction.
        terms = [and_(BUCKETS.c.band == band, BUCKETS.c.key == bindparam(f"k{band}")) for band in range(self.bands)]
        self.lookup = select(BUCKETS.c.article_id).where(or_(*terms)).distinct().limit(MAX_CANDIDATES)

        # leads: 8 bands of 4 rows over a 32-permutation sketch (a lead shared at ~0.6 Jaccard is a candidate)
        # with a lead: the text's and the lead's bands in one query (one round trip, not two)
        lead_terms = [and_(BUCKETS.c.band == LEAD_BAND + band, BUCKETS.c.key == bindparam(f"l{band}"))
                      for band in range(LEAD_PERM // 4)]
        self.lookup_with_lead = select(BUCKETS.c.article_id).where(or_(*terms, *lead_terms)).distinct().limit(MAX_CANDIDATES)

    def candidates(self, session: Session, sketch: MinHash, lead: MinHash | None = None) -> set[int]:
        keys = {f"k{band}": key for band, key in band_keys(sketch, self.bands, self.rows)}
        if lead is None:
            return set(session.scalars(self.lookup, keys))
        keys.update((f"l{band - LEAD_BAND}", key) for band, key in lead_keys(lead))
        return set(session.scalars(self.lookup_with_lead, keys))

    def add(self, session: Session, article_id: int, sketch: MinHash, lead: MinHash | None = None) -> None:
        keys = band_keys(sketch, self.bands, self.rows) + (lead_keys(lead) if lead is not None else [])
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            # one statement for every band (PostgreSQL arrays), not one executed row per band
            session.execute(_ADD_PG, {"bands": [b for b, _ in keys], "keys": [k for _, k in keys], "id": article_id})
        elif dialect == "sqlite":  # the driver's own executemany: SQLAlchemy's costs as much again per row
            session.connection().exec_driver_sql(_ADD_SQLITE, [(band, key, article_id) for band, key in keys])
        else:
            session.execute(insert(BUCKETS), [{"band": band, "key": key, "article_id": article_id} for band, key in keys])

    def remove(self, session: Session, article_id: int) -> None:
        session.execute(delete(LshBucket).where(LshBucket.article_id == article_id))


class RedisLshIndex:
    """datasketch's MinHashLSH on Redis. Redis is not part of the database transaction: an id left
    behind by a rolled-back insert finds no stored signature and is ignored."""

    def __init__(self, url: str, basename: str, threshold: float = 0.5, num_perm: int = 128):
        from datasketch import MinHashLSH
        from redis.connection import parse_url

        self.threshold, self.num_perm = threshold, num_perm
        self.bands, self.rows = lsh_params(threshold, num_perm)
        self.lsh = MinHashLSH(num_perm=num_perm, params=(self.bands, self.rows), storage_config={
            "type": "redis", "basename": basename.encode("utf-8"), "redis": parse_url(url)})

    def candidates(self, session: Session, sketch, lead=None) -> set[int]:
        return set(self.lsh.query(_datasketch(sketch)))  # leads are indexed by the SQL backend only

    def add(self, session: Session, article_id: int, sketch, lead=None) -> None:
        self.remove(session, article_id)
        self.lsh.insert(article_id, _datasketch(sketch), check_duplication=False)

    def remove(self, session: Session, article_id: int) -> None:
        if article_id in self.lsh:
            self.lsh.remove(article_id)


def _datasketch(sketch) -> LeanMinHash:
    """datasketch's own object for its MinHashLSH (the same values: crawler.text.minhash)."""
    from datasketch import LeanMinHash

    return LeanMinHash.deserialize(sketch.serialize()) if isinstance(sketch, Signature) else sketch


def make_index(spec: str = "sql", threshold: float = 0.5, num_perm: int = 128,
               basename: str = "drillwatch") -> LshIndex:
    """`sql`, or a redis:// (rediss://, unix://) URL."""
    if spec == "sql":
        return SqlLshIndex(threshold, num_perm)
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return RedisLshIndex(spec, basename, threshold, num_perm)
    raise ValueError(f"unknown LSH backend {spec!r}: use 'sql' or a redis:// URL")


def index_name(db_url: str) -> str:
    """A Redis key prefix of its own per database, so two databases never share buckets."""
    return "drillwatch-" + hashlib.sha1(db_url.encode("utf-8")).hexdigest()[:10]


CONTAINED = 0.9        # estimated share of the shorter text's shingles found in the longer one: one story
MIN_CONTAINED = 100    # ... when the shorter text has at least this many shingles (a quote is not a copy)
# shingle_count and lead_sketch are pure text functions: crawler.text.dedup (the analysis workers compute
# them with the signature, so the crawl process need not tokenise the text again)


def containment(jaccard: float, size_a: int, size_b: int) -> float:
    """Estimated |A∩B| / min(|A|, |B|) from the Jaccard estimate and the two set sizes."""
    return min(1.0, jaccard * (size_a + size_b) / ((1 + jaccard) * max(1, min(size_a, size_b))))


@dataclass(frozen=True)
class Copy:
    article_id: int
    story_id: int | None
    similarity: float
    contained: float = 0.0  # estimated containment of the shorter text in the longer one


def signatures(session: Session, ids: Iterable[int]) -> dict[int, tuple[int | None, LeanMinHash]]:
    rows = session.execute(select(ARTICLES.c.id, ARTICLES.c.story_id, ARTICLES.c.minhash)
                           .where(ARTICLES.c.id.in_(list(ids)), ARTICLES.c.minhash.is_not(None)))
    return {row.id: (row.story_id, decode(row.minhash)) for row in rows}


def _sizes(session: Session, ids: Iterable[int]) -> dict[int, int]:
    rows = session.execute(select(ARTICLES.c.id, ARTICLES.c.text).where(ARTICLES.c.id.in_(list(ids))))
    return {row.id: shingle_count(row.text) for row in rows}


def find_copy(session: Session, index: LshIndex, sketch: MinHash, exclude: Iterable[int] = (),
              size: int | None = None, lead: MinHash | None = None) -> Copy | None:
    """The most similar stored article at or above the index's threshold (estimated Jaccard), else,
    given the new text's shingle count, the one that holds it or that it holds (estimated containment
    >= CONTAINED, the shorter text >= MIN_CONTAINED shingles): a copy cut short is still the story.
    Candidates come from the text's buckets and, given its lead sketch, from the lead's."""
    ids = index.candidates(session, sketch, lead if size is not None else None)
    ids -= set(exclude)
    if not ids:
        return None
    scored = [Copy(aid, story, sketch.jaccard(other)) for aid, (story, other) in signatures(session, ids).items()]
    best = max(scored, key=lambda c: (c.similarity, -c.article_id), default=None)
    if best is None or best.similarity >= index.threshold or size is None:
        return best if best is not None and best.similarity >= index.threshold else None
    sizes = _sizes(session, [c.article_id for c in scored])
    held = [Copy(c.article_id, c.story_id, c.similarity, containment(c.similarity, size, sizes[c.article_id]))
            for c in scored if c.article_id in sizes and min(size, sizes[c.article_id]) >= MIN_CONTAINED]
    best = max(held, key=lambda c: (c.contained, -c.article_id), default=None)
    return best if best is not None and best.contained >= CONTAINED else None


def rebuild_sql_index(session: Session, index: SqlLshIndex, batch: int = 1000) -> int:
    """Refill lsh_buckets from the stored signatures (after changing the threshold or num_perm)."""
    session.execute(delete(LshBucket))
    done, last = 0, 0
    while True:
        rows = session.execute(select(Article.id, Article.minhash).where(Article.id > last, Article.minhash.is_not(None))
                               .order_by(Article.id).limit(batch)).all()
        if not rows:
            return done
        texts = dict(session.execute(select(Article.id, Article.text).where(Article.id.in_([r.id for r in rows]))).all())
        for row in rows:
            index.add(session, row.id, decode(row.minhash), lead_sketch(texts.get(row.id, "")))
        done, last = done + len(rows), rows[-1].id
