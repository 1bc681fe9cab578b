"""The Whoosh backend: an index on disk, written only by sync() and reindex(), one writer at a time."""

from __future__ import annotations

import bisect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session
from whoosh import collectors, index, sorting, writing
from whoosh import query as wq
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import BOOLEAN, ID, NUMERIC, TEXT, Schema
from whoosh.lang.porter import stem
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from catalog.models import Product, SearchQueue
from catalog.search.query import (
    FEW,
    MASKS_CACHED,
    MAX_TOTAL,
    TITLE_BOOST,
    WORD_PATTERN,
    SearchBusy,
    SearchQuery,
    SearchResult,
    _best,
    _browse,
    _session,
    _with_corrections,
    max_edits,
)

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
    def _facet_keys(query: SearchQuery) -> tuple[tuple, ...]:
        keys: list[tuple] = []
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
