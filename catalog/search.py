"""Product search for buyers, with two backends chosen by the SEARCH_BACKEND setting.

- "whoosh" (default): an index on disk under SEARCH_INDEX_DIR (default <instance>/search). Changes reach it
  only through `sync()`, which applies the rows that catalog.services put in `search_queue` in the same
  transaction as the change; `flask --app market search-worker` calls it every second (one worker per
  installation). Whoosh allows one writer at a time across processes, so every write goes through
  `sync()` or `reindex_all()`, and both give up at once when another process holds the lock.
- "postgres": full-text search in the products table itself (PostgreSQL only), so it is always current
  and `sync()` only empties the queue. Migration 7d3e5b1a9c42 adds, on PostgreSQL only and outside the
  models, a stored tsvector column (title weighted A, description weighted B) with a GIN index, and a
  materialized view of title words with a pg_trgm index for typos and suggestions.

Both find only listed products, stem English (kurtis ~ kurti, pickles ~ pickle), rank title matches above
description matches, forgive a typo per word when the words as typed find (almost) nothing, and then say
"did you mean". A query without words is a browse, newest first, answered by the products table's own
(listed, ...) indexes.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from whoosh import collectors, index, sorting, writing
from whoosh import query as wq
from whoosh.analysis import STOP_WORDS, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import BOOLEAN, ID, NUMERIC, TEXT, Schema
from whoosh.lang.porter import stem
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from catalog.models import Product, SearchQueue
from market.core import db

SORTS = ("relevance", "newest", "price_asc", "price_desc")
MAX_TOTAL = 10_000  # totals are counted up to this, then reported as this
MAX_PAGE = 100  # deeper pages cost more than anyone reads; the view should not offer them
MAX_PER_PAGE = 100
MAX_WORDS = 8
FEW = 3  # fewer hits than this: try typo corrections, and suggest them
TITLE_BOOST = 3.0
MASKS_CACHED = 200  # facet masks (a byte per document each: 40 MB at 200,000 products)
# Made by migration 7d3e5b1a9c42 on PostgreSQL only, outside the models: see include_object().
POSTGRES_ONLY = frozenset({"search_vector", "ix_products_search_vector"})

# \w alone would cut Hindi, Tamil, Bengali... words at every vowel sign (Unicode marks are not \w).
WORD_PATTERN = r"[\w\u0900-\u0dff]+"
_WORD_RE = re.compile(WORD_PATTERN)


class SearchConfigError(RuntimeError):
    """SEARCH_BACKEND names a backend this installation cannot use."""


class SearchBusy(RuntimeError):
    """Another process is writing the search index."""


@dataclass(frozen=True)
class SearchQuery:
    """What a buyer asks for: words, facets, a sort and a page."""

    text: str = ""
    category_ids: tuple[int, ...] = ()  # empty: all
    state: str | None = None  # two-letter state code
    price_min: int | None = None  # paise, inclusive
    price_max: int | None = None  # paise, exclusive
    wholesale: bool | None = None  # True: only wholesale
    in_stock: bool | None = None  # True: only in stock
    sort: str = "relevance"  # relevance | newest | price_asc | price_desc
    page: int = 1
    per_page: int = 24

    def __post_init__(self):
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r}")
        if not 1 <= self.page <= MAX_PAGE or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise ValueError("page or per_page out of range")

    @property
    def words(self) -> list[str]:
        """The words that count: lower case, no stop words, at most MAX_WORDS."""
        words = [w for w in _WORD_RE.findall(self.text[:500].lower()) if w not in STOP_WORDS and len(w) > 1]
        return list(dict.fromkeys(words))[:MAX_WORDS]


@dataclass(frozen=True)
class SearchResult:
    """One page of results.

    `total` counts matching products exactly up to MAX_TOTAL (10,000) and stops there, so "10,000" means
    "10,000 or more". `suggestion` is the corrected text ("pickle" for "pickel") when the words as typed
    found fewer than FEW products, else None.
    """

    ids: list[int]
    total: int
    suggestion: str | None = None


class SearchBackend(Protocol):
    """A search engine over the listed products."""

    def search(self, query: SearchQuery) -> SearchResult:
        """The page of product ids that `query` asks for."""
        ...

    def sync(self, session: Session) -> int:
        """Apply the queued changes without waiting for another process; how many were applied."""
        ...

    def maintain(self, session: Session) -> None:
        """Periodic upkeep, for the search worker."""
        ...

    def reindex(self, session: Session, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild from the products table; how many listed products are indexed."""
        ...


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object hook: leave the PostgreSQL-only search objects out of model comparisons."""
    return not (reflected and compare_to is None and name in POSTGRES_ONLY)


# -- shared by both backends -------------------------------------------------------------------------

def _session() -> Session:
    return db.session


def _facets(query: SearchQuery) -> list:
    """The query's facets as SQL conditions on products."""
    conditions = [Product.listed]  # not "listed IS true": PostgreSQL must see the partial index's "WHERE listed"
    if query.category_ids:
        conditions.append(Product.category_id.in_(query.category_ids))
    if query.state:
        conditions.append(Product.state_code == query.state)
    if query.price_min is not None:
        conditions.append(Product.price_paise >= query.price_min)
    if query.price_max is not None:
        conditions.append(Product.price_paise < query.price_max)
    if query.wholesale:
        conditions.append(Product.wholesale)
    if query.in_stock:
        conditions.append(Product.in_stock)
    return conditions


_SQL_ORDER = {
    "relevance": (Product.id.desc(),),  # without words, relevance means newest
    "newest": (Product.id.desc(),),  # ids grow with creation time, and (listed, id) is indexed
    "price_asc": (Product.price_paise, Product.id),
    "price_desc": (Product.price_paise.desc(), Product.id.desc()),
}


def _browse(session: Session, query: SearchQuery) -> SearchResult:
    """A query without words: the products table's own indexes answer it faster than any text index."""
    conditions = _facets(query)
    ids = list(session.scalars(sa.select(Product.id).where(*conditions).order_by(*_SQL_ORDER[query.sort])
                               .offset((query.page - 1) * query.per_page).limit(query.per_page)))
    return SearchResult(ids=ids, total=_capped_count(session, conditions))


def _capped_count(session: Session, conditions: list) -> int:
    inner = sa.select(sa.literal(1)).select_from(Product).where(*conditions).limit(MAX_TOTAL).subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(inner))


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count once), or `limit` when it is at least that."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


def max_edits(word: str) -> int:
    """How many typos a word may have: none in short words (too many near neighbours), two in long ones."""
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


def _best(word: str, candidates: Iterable[tuple[str, int]]) -> str | None:
    """The closest candidate word, the most common among equals; None if none is within max_edits."""
    limit = max_edits(word) + 1
    best = None
    for candidate, frequency in candidates:
        if candidate == word:
            continue
        key = (edit_distance(word, candidate, limit), -frequency, candidate)
        if key[0] < limit and (best is None or key < best):
            best = key
    return best[2] if best else None


def _with_corrections(words: list[str], run: Callable[[list[list[str]]], tuple[list[int], int]],
                      correct: Callable[[list[str]], list[str | None]]) -> SearchResult:
    """Search for the words; if they find fewer than FEW products, also for their corrections.

    run(alternatives) searches for products having, for every word, one of its alternatives. A suggestion
    is made only if the corrections find more than the words as typed.
    """
    ids, total = run([[w] for w in words])
    if total >= FEW:
        return SearchResult(ids=ids, total=total)
    corrections = correct(words)
    if not any(corrections):
        return SearchResult(ids=ids, total=total)
    wider_ids, wider_total = run([[w, c] if c else [w] for w, c in zip(words, corrections, strict=True)])
    if wider_total <= total:
        return SearchResult(ids=ids, total=total)
    suggestion = " ".join(c or w for w, c in zip(words, corrections, strict=True))
    return SearchResult(ids=wider_ids, total=wider_total, suggestion=suggestion)


# -- Whoosh ------------------------------------------------------------------------------------------

ANALYZER = RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | StopFilter() | StemFilter(cachesize=50_000)

SCHEMA = Schema(
    id=NUMERIC(int, bits=64, stored=True, unique=True, sortable=True),
    title=TEXT(analyzer=ANALYZER, phrase=False, spelling=True),  # spell_title keeps the unstemmed words
    description=TEXT(analyzer=ANALYZER, phrase=False),
    category=ID,
    state=ID,
    wholesale=BOOLEAN,
    in_stock=BOOLEAN,
    price=NUMERIC(int, bits=64, sortable=True),  # NUMERIC(float) with sortable crashes Whoosh
)

_SORTEDBY = {  # one column each; equal prices stay in index order, as a second column would double the time
    "newest": sorting.FieldFacet("id", reverse=True),
    "price_asc": sorting.FieldFacet("price"),
    "price_desc": sorting.FieldFacet("price", reverse=True),
}


def _document(row) -> dict:
    return {"id": row.id, "title": row.title, "description": row.description or "",
            "category": str(row.category_id), "state": row.state_code, "wholesale": row.wholesale,
            "in_stock": row.in_stock, "price": row.price_paise}


_INDEXED_COLUMNS = (Product.id, Product.title, Product.description, Product.category_id, Product.state_code,
                    Product.wholesale, Product.in_stock, Product.price_paise, Product.listed)


def open_index(index_dir: Path) -> index.Index:
    """The Whoosh index in index_dir, made empty first if there is none."""
    index_dir.mkdir(parents=True, exist_ok=True)
    if index.exists_in(str(index_dir)):
        return index.open_dir(str(index_dir))
    try:
        return index.create_in(str(index_dir), SCHEMA)
    except index.LockError:  # another process is creating it right now
        return index.open_dir(str(index_dir))


class _Counted(collectors.WrappingCollector):
    """Passes on the matches that pass the facets, and counts them: the exact total at no extra cost.

    The facets come as a mask per segment (see WhooshBackend._allowed). Whoosh's own `filter=` wants one
    set for the whole index, which changes with every commit, so it could not be cached across commits.
    """

    def __init__(self, child, allowed: Callable[[object], bytes] | None):
        super().__init__(child)
        self.allowed = allowed
        self.current: bytes | None = None
        self.total = 0

    def set_subsearcher(self, subsearcher, offset):
        self.child.set_subsearcher(subsearcher, offset)
        self.current = self.allowed(subsearcher.reader()) if self.allowed else None

    def collect_matches(self):
        child, allowed, total = self.child, self.current, self.total
        collect = child.collect
        if allowed is None:
            for docnum in child.matches():
                total += 1
                collect(docnum)
        else:
            for docnum in child.matches():
                if allowed[docnum]:
                    total += 1
                    collect(docnum)
        self.total = total

    def count(self):
        return self.total


class WhooshBackend:
    """Search in a Whoosh index on disk; one per process and index directory (see get_backend).

    Made for one thread per process (gunicorn's sync workers). Threads would share one searcher, which
    Whoosh does not promise to be safe; old readers are never closed under a running search, though.
    """

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self.index = open_index(self.index_dir)
        self._searcher: Searcher | None = None
        self._generation = -1
        self._lock = threading.Lock()
        self._masks: OrderedDict[tuple, object] = OrderedDict()  # (segment id, facets) -> mask
        self._masks_lock = threading.Lock()

    def searcher(self) -> Searcher:
        """This process's searcher, brought up to date: a directory listing unless the index changed.

        Not Whoosh's own `Searcher.refresh()`: with whoosh-reloaded 2.7.5 it keeps serving documents that
        were deleted or updated since (it reuses segment readers with their old deletions, and keeps
        segments that a merge replaced). This reuses a segment's reader only if its deletions are the same.
        """
        with self._lock:
            generation = self.index.latest_generation()
            if self._searcher is None or generation != self._generation:
                self._searcher, self._generation = self._open(self._searcher)
            return self._searcher

    def _open(self, old: Searcher | None) -> tuple[Searcher, int]:
        reusable = {}
        if old is not None:
            reusable = {(r.segment().segment_id(), r.segment().deleted_count()): r
                        for r, _offset in old.reader().leaf_readers() if r.segment() is not None}
        for attempt in range(10):
            toc = self.index._read_toc()  # noqa: SLF001 - the segments and their deletions, as committed
            try:
                readers = [reusable.get((segment.segment_id(), segment.deleted_count()))
                           or SegmentReader(self.index.storage, toc.schema, segment, generation=toc.generation)
                           for segment in toc.segments]
                break
            except OSError:  # a merge removed a segment's files between reading the TOC and opening them
                if attempt == 9:
                    raise
                time.sleep(0.01)
        if not readers:
            reader = EmptyReader(toc.schema)
        elif len(readers) == 1:
            reader = readers[0]
        else:
            reader = MultiReader(readers, generation=toc.generation)
        # Readers left unused are not closed: another thread may still be searching them; they close
        # when the last reference goes.
        self._forget_segments({segment.segment_id() for segment in toc.segments})
        return Searcher(reader, fromindex=self.index), toc.generation

    def search(self, query: SearchQuery) -> SearchResult:
        """The page of product ids that `query` asks for."""
        words = query.words
        if not words:
            return _browse(_session(), query)
        searcher = self.searcher()
        return _with_corrections(words, lambda alternatives: self._run(searcher, alternatives, query),
                                 lambda words: self._corrections(searcher, words))

    def _run(self, searcher, alternatives: list[list[str]], query: SearchQuery) -> tuple[list[int], int]:
        if searcher.doc_count() == 0:  # no segment at all yet (and so no segment id for the facet masks)
            return [], 0
        clauses = []
        for words in alternatives:
            terms = []
            for stemmed in dict.fromkeys(stem(w) for w in words):
                terms += [wq.Term("title", stemmed, boost=TITLE_BOOST), wq.Term("description", stemmed)]
            clauses.append(wq.Or(terms))
        q = clauses[0] if len(clauses) == 1 else wq.And(clauses)
        limit = query.page * query.per_page
        if query.sort == "relevance":
            # No block-quality skipping nor matcher replacing: both drop matches (e.g. the description
            # postings once only title matches can still make the page), and the count with them.
            ranked = collectors.TopCollector(limit, usequality=False, replace=0)
        else:
            ranked = collectors.SortingCollector(_SORTEDBY[query.sort], limit=limit)
        facets = self._facet_keys(query)
        collector = _Counted(ranked, (lambda reader: self._allowed(reader, facets)) if facets else None)
        searcher.search_with_collector(q, collector)
        start = (query.page - 1) * query.per_page
        ids = [searcher.stored_fields(docnum)["id"] for _key, docnum in ranked.results().top_n[start:limit]]
        return ids, min(collector.total, MAX_TOTAL)

    @staticmethod
    def _facet_keys(query: SearchQuery) -> tuple:
        keys = []
        if query.category_ids:
            keys.append(("category", tuple(sorted(set(query.category_ids)))))
        if query.state:
            keys.append(("state", query.state))
        if query.price_min is not None or query.price_max is not None:
            keys.append(("price", query.price_min, query.price_max))
        if query.wholesale:
            keys.append(("wholesale",))
        if query.in_stock:
            keys.append(("in_stock",))
        return tuple(keys)

    def _allowed(self, reader, facets: tuple) -> bytes:
        """One segment's mask of documents that pass every facet: byte d is 1 if document d passes.

        Masks are cached per segment, which never changes (deletions aside, which the matchers skip).
        A mask costs a byte per document, so the cache's size is bounded whatever the facets are.
        """
        segment = reader.segment().segment_id()
        key = (segment, facets)
        mask = self._cached(key)
        if mask is None:
            masks = [self._facet_mask(reader, segment, facet) for facet in facets]
            if len(masks) == 1:
                mask = masks[0]
            else:  # bytes of 0 and 1 AND together as big integers, in C
                combined = int.from_bytes(masks[0], "little")
                for other in masks[1:]:
                    combined &= int.from_bytes(other, "little")
                mask = combined.to_bytes(len(masks[0]), "little")
            self._remember(key, mask)
        return mask

    def _facet_mask(self, reader, segment: str, facet: tuple) -> bytes:
        key = (segment, facet)
        mask = self._cached(key)
        if mask is not None:
            return mask
        name = facet[0]
        if name == "price":
            prices, docnums = self._price_order(reader, segment)
            low = 0 if facet[1] is None else bisect.bisect_left(prices, facet[1])
            high = len(prices) if facet[2] is None else bisect.bisect_left(prices, facet[2])
            passing = docnums[low:high]
        else:
            if name == "category":
                q = wq.Or([wq.Term("category", str(c)) for c in facet[1]])
            elif name == "state":
                q = wq.Term("state", facet[1])
            else:
                q = wq.Term(name, True)
            passing = q.docs(Searcher(reader, closereader=False))
        buffer = bytearray(reader.doc_count_all())
        for docnum in passing:
            buffer[docnum] = 1
        mask = bytes(buffer)
        self._remember(key, mask)
        return mask

    def _price_order(self, reader, segment: str) -> tuple[list[int], list[int]]:
        """A segment's prices in order, and its documents in that order: price ranges by bisection."""
        key = (segment, "price order")
        cached = self._cached(key)
        if cached is None:
            prices: list[int] = []
            docnums: list[int] = []
            field = reader.schema["price"]
            for term in field.sortable_terms(reader, "price"):  # the exact values, in order: no sort needed
                docs = list(reader.postings("price", term).all_ids())
                docnums += docs
                prices += [field.from_bytes(term)] * len(docs)
            cached = (prices, docnums)
            self._remember(key, cached)
        return cached

    def _cached(self, key: tuple):
        with self._masks_lock:
            value = self._masks.get(key)
            if value is not None:
                self._masks.move_to_end(key)
            return value

    def _remember(self, key: tuple, value) -> None:
        with self._masks_lock:
            self._masks[key] = value
            while len(self._masks) > MASKS_CACHED:
                self._masks.popitem(last=False)

    def _forget_segments(self, live: set[str]) -> None:
        with self._masks_lock:
            for key in [key for key in self._masks if key[0] not in live]:
                del self._masks[key]

    def _corrections(self, searcher, words: list[str]) -> list[str | None]:
        """For each word that (nearly) no title has, the closest common title word; else None."""
        reader = searcher.reader()
        corrections = []
        for word in words:
            known = reader.doc_frequency("title", stem(word)) + reader.doc_frequency("description", stem(word))
            correction = None
            if known < FEW and max_edits(word):
                # Whoosh's automaton counts a swap ("pickel") as two edits; _best checks with swaps as one.
                candidates = reader.terms_within("spell_title", word, max_edits(word) + 1, prefix=1)
                correction = _best(word, ((c, reader.doc_frequency("spell_title", c)) for c in candidates))
            corrections.append(correction)
        return corrections

    # -- writing: only ever here, one process at a time ------------------------------------------------

    def sync(self, session: Session) -> int:
        """Apply the queued changes; 0 at once if another process holds the index's write lock."""
        with Session(bind=session.get_bind()) as own:
            if own.scalar(sa.select(SearchQueue.id).limit(1)) is None:
                return 0  # the usual case, every second: no lock taken, no files made
            try:
                writer = self.index.writer()  # timeout 0: LockError at once rather than waiting
            except index.LockError:
                return 0
            try:
                applied = _apply_queue(own, writer)
            except BaseException:
                writer.cancel()
                raise
            if not applied:
                writer.cancel()  # no empty commit, no new generation for every searcher to load
                return 0
            writer.commit()
            # Only after the index has them: a crash in between applies them twice, which is harmless.
            for chunk in _chunks(applied, 500):
                own.execute(sa.delete(SearchQueue).where(SearchQueue.id.in_(chunk)))
            own.commit()
        return len(applied)

    def maintain(self, session: Session) -> None:
        """Nothing to do: the words for typo corrections are in the index itself."""

    def reindex(self, session: Session, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the index from the listed products; raises SearchBusy if another process is writing."""
        try:
            writer = self.index.writer(procs=1, limitmb=256)
        except index.LockError as exc:
            raise SearchBusy("another process is writing the search index") from exc
        with Session(bind=session.get_bind()) as own:
            try:
                # Queue rows we can see were committed before the products are read below, so the rebuild
                # covers them; rows committed later stay for sync.
                queued = list(own.scalars(sa.select(SearchQueue.id)))
                total = own.scalar(sa.select(sa.func.count()).where(Product.listed)) or 0
                done = 0
                rows = own.execute(sa.select(*_INDEXED_COLUMNS).where(Product.listed)
                                   .order_by(Product.id).execution_options(yield_per=2000))
                for row in rows:
                    writer.add_document(**_document(row))
                    done += 1
                    if progress and done % 2000 == 0:
                        progress(done, max(total, done))
                writer.commit(mergetype=writing.CLEAR)  # the new segment replaces every old one at once
            except BaseException:
                writer.cancel()
                raise
            for chunk in _chunks(queued, 500):
                own.execute(sa.delete(SearchQueue).where(SearchQueue.id.in_(chunk)))
            own.commit()
        if progress:
            progress(done, max(total, done))
        return done


SYNC_BATCH = 1000


def _apply_queue(session: Session, writer) -> list[int]:
    """Write every queued product to the index (or remove it); returns the queue ids applied."""
    applied: list[int] = []
    last = 0
    while True:
        rows = session.execute(sa.select(SearchQueue.id, SearchQueue.product_id).where(SearchQueue.id > last)
                               .order_by(SearchQueue.id).limit(SYNC_BATCH)).all()
        if not rows:
            return applied
        product_ids = {product_id for _id, product_id in rows}
        products = {row.id: row for row in session.execute(
            sa.select(*_INDEXED_COLUMNS).where(Product.id.in_(product_ids)))}
        for product_id in sorted(product_ids):
            row = products.get(product_id)
            if row is not None and row.listed:
                writer.update_document(**_document(row))
            else:
                writer.delete_by_term("id", product_id)
        applied += [queue_id for queue_id, _product_id in rows]
        last = rows[-1][0]


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


# -- PostgreSQL --------------------------------------------------------------------------------------

# products.search_vector and search_words are made by migration 7d3e5b1a9c42, on PostgreSQL only, and
# are not in the models (SQLite has no tsvector).
VECTOR = sa.literal_column("products.search_vector")
WORDS_REFRESH_SECONDS = 600  # search_words may lag this long behind new titles (typo corrections only)
WORDS_LOCK = 0x4861617453  # pg_try_advisory_xact_lock key: one refresh of search_words at a time


class PostgresBackend:
    """Full-text search in the products table itself: always current, so sync only empties the queue."""

    def __init__(self):
        self._words_refreshed: float | None = None

    def search(self, query: SearchQuery) -> SearchResult:
        """The page of product ids that `query` asks for."""
        session = _session()
        words = query.words
        if not words:
            return _browse(session, query)
        return _with_corrections(words, lambda alternatives: self._run(session, alternatives, query),
                                 lambda words: [self._correction(session, w) for w in words])

    @staticmethod
    def _tsquery(alternatives: list[list[str]]):
        """Every word (or one of its alternatives), stemmed by PostgreSQL's English configuration."""
        english = sa.literal_column("'english'::regconfig")
        clauses = []
        for words in alternatives:
            clause = sa.func.plainto_tsquery(english, words[0])
            for word in words[1:]:
                clause = clause.op("||")(sa.func.plainto_tsquery(english, word))
            clauses.append(clause)
        tsquery = clauses[0]
        for clause in clauses[1:]:
            tsquery = tsquery.op("&&")(clause)
        return tsquery

    def _run(self, session: Session, alternatives: list[list[str]], query: SearchQuery) -> tuple[list[int], int]:
        tsquery = self._tsquery(alternatives)
        # All matches are read anyway, to rank (or sort) and count them; MATERIALIZED makes PostgreSQL find
        # them through the GIN index. Without it, for a price sort it walks the whole price index hoping
        # to stop after a page, which the count never lets it do (114 ms for "pickles", not 10).
        matches = (sa.select(Product.id, Product.price_paise, sa.func.ts_rank(VECTOR, tsquery).label("rank")
                             if query.sort == "relevance" else sa.null().label("rank"))
                   .where(*_facets(query), VECTOR.op("@@")(tsquery)).cte("matches").prefix_with("MATERIALIZED"))
        order = {  # ts_rank weighs the title (A) 1.0 and the description (B) 0.4
            "relevance": (matches.c.rank.desc(), matches.c.id.desc()),
            "newest": (matches.c.id.desc(),),
            "price_asc": (matches.c.price_paise, matches.c.id),
            "price_desc": (matches.c.price_paise.desc(), matches.c.id.desc()),
        }[query.sort]
        rows = session.execute(sa.select(matches.c.id, sa.func.count().over()).order_by(*order)
                               .offset((query.page - 1) * query.per_page).limit(query.per_page)).all()
        if not rows and query.page > 1:  # past the last page: count on their own
            return [], min(session.scalar(sa.select(sa.func.count()).select_from(matches)), MAX_TOTAL)
        return [row[0] for row in rows], min(rows[0][1] if rows else 0, MAX_TOTAL)

    def _correction(self, session: Session, word: str) -> str | None:
        """The closest common title word to a word that (nearly) no product has; else None."""
        if not max_edits(word):
            return None
        # No LIMIT: with one, PostgreSQL bets on finding a few rows early in a sequential scan, and loses
        # the bet (60 ms) when the word is nowhere, which is when this runs.
        known = session.scalar(sa.select(sa.func.count()).where(Product.listed, VECTOR.op("@@")(
            self._tsquery([[word]]))))
        if known >= FEW:
            return None
        # `%`: trigram similarity >= pg_trgm.similarity_threshold (0.3); "pickel" ~ "pickle" is 0.4.
        candidates = session.execute(sa.text(
            "SELECT word, ndoc FROM search_words WHERE word % :word ORDER BY similarity(word, :word) DESC LIMIT 20"),
            {"word": word})
        return _best(word, candidates)

    def sync(self, session: Session) -> int:
        """Empty the queue (the table is its own index); rows another process is deleting are skipped."""
        with Session(bind=session.get_bind()) as own:
            locked = sa.select(SearchQueue.id).with_for_update(skip_locked=True).scalar_subquery()
            deleted = own.execute(sa.delete(SearchQueue).where(SearchQueue.id.in_(locked))).rowcount
            own.commit()
        return deleted

    def maintain(self, session: Session) -> None:
        """Refresh the words for typo corrections every WORDS_REFRESH_SECONDS (about 0.3 s at 200,000)."""
        if self._words_refreshed is None or time.monotonic() - self._words_refreshed >= WORDS_REFRESH_SECONDS:
            self._refresh_words(session)

    def reindex(self, session: Session, progress: Callable[[int, int], None] | None = None) -> int:
        """Nothing to rebuild but the words for suggestions; empties the queue. Returns the listed products."""
        if not self._refresh_words(session):
            raise SearchBusy("another process is refreshing the search words")
        self.sync(session)
        total = session.scalar(sa.select(sa.func.count()).where(Product.listed)) or 0
        if progress:
            progress(total, total)
        return total

    def _refresh_words(self, session: Session) -> bool:
        """Refresh search_words (readers are not blocked); False if another process is doing it."""
        with Session(bind=session.get_bind()) as own:
            refreshed = bool(own.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(WORDS_LOCK))))
            if refreshed:
                own.execute(sa.text("REFRESH MATERIALIZED VIEW CONCURRENTLY search_words"))
            own.commit()
        if refreshed:
            self._words_refreshed = time.monotonic()
        return refreshed


# -- choosing and caching a backend ------------------------------------------------------------------

_backends: dict[tuple, SearchBackend] = {}
_backends_lock = threading.Lock()


def get_backend() -> SearchBackend:
    """The search backend for current_app's settings, made once per process and per settings."""
    name = current_app.config.get("SEARCH_BACKEND") or "whoosh"
    if name == "whoosh":
        key = ("whoosh", str(Path(current_app.config.get("SEARCH_INDEX_DIR")
                                  or Path(current_app.instance_path) / "search").resolve()))
    elif name == "postgres":
        if not current_app.config["DATABASE_URL"].startswith("postgresql"):
            raise SearchConfigError("SEARCH_BACKEND=postgres needs a PostgreSQL database (DATABASE_URL); "
                                    "with SQLite use SEARCH_BACKEND=whoosh.")
        key = ("postgres", current_app.config["DATABASE_URL"])
    else:
        raise SearchConfigError(f"SEARCH_BACKEND must be 'whoosh' or 'postgres', not {name!r}.")
    with _backends_lock:
        backend = _backends.get(key)
        if backend is None:
            backend = _backends[key] = WhooshBackend(Path(key[1])) if name == "whoosh" else PostgresBackend()
    return backend


def search(query: SearchQuery) -> SearchResult:
    """Search with the current app's backend."""
    return get_backend().search(query)


def sync(session: Session) -> int:
    """Apply pending search_queue rows to the index and delete them (committed on a session of its own).

    Never waits for another process: if one is writing the index, returns 0 and leaves the rows for it
    or for the next call. Returns how many queue rows were applied.
    """
    return get_backend().sync(session)


def maintain(session: Session) -> None:
    """The search worker's periodic upkeep: with PostgreSQL, refresh the words typo corrections come from."""
    get_backend().maintain(session)


def reindex_all(session: Session, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the index from the products table (listed products only); returns how many were indexed.

    Calls progress(done, total) as it goes. Raises SearchBusy if another process is writing the index.
    """
    return get_backend().reindex(session, progress)
