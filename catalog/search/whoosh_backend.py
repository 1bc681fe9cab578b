"""The Whoosh backend: an index on disk, written only by sync() and reindex(), one writer at a time."""

from __future__ import annotations

import bisect
import re
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session
from whoosh import index, writing
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
    WORD_PATTERN,
    SearchBusy,
    SearchQuery,
    SearchResult,
    _best,
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

# Typo corrections are kept a while, as PostgreSQL's words for them are refreshed every 10 minutes.
FIXES_KEPT, FIXES_KEPT_FOR = 5000, 600.0
ENUMERATE_AT = 2000  # this many matches or fewer in a segment: list and sort them rather than walk a sort order


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


class _SegmentData:
    """What ranking needs of one segment, by document number: product ids, prices, the documents in each sort
    order, and the bitset of documents not deleted."""

    __slots__ = ("by_newest", "by_price", "ids", "live", "nbytes", "prices")

    def __init__(self, reader):
        self.ids = array("q", reader.column_reader("id"))
        self.prices = array("q", reader.column_reader("price"))
        ids, prices = self.ids, self.prices
        self.by_newest = array("l", sorted(range(len(ids)), key=ids.__getitem__, reverse=True))
        self.by_price = array("l", sorted(range(len(ids)), key=lambda d: (prices[d], ids[d])))
        self.nbytes = (len(ids) + 7) // 8
        self.live = 0


_NONZERO = re.compile(rb"[^\x00]")


def _bits(docnums: Iterable[int], nbytes: int) -> int:
    """A bitset (bit d set for document d) of the documents."""
    buffer = bytearray(nbytes)
    for d in docnums:
        buffer[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buffer, "little")


def _set_bits(bits: int) -> list[int]:
    """The documents of a bitset, in order; the scan for non-zero bytes runs in C."""
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    found: list[int] = []
    for match in _NONZERO.finditer(data):
        i = match.start()
        byte, base = data[i], i << 3
        found += [base + k for k in range(8) if byte >> k & 1]
    return found


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
        self._masks: OrderedDict[tuple, object] = OrderedDict()  # (segment id, ...) -> bitset of a term or facets
        self._segments: dict[str, _SegmentData] = {}  # segment id -> its ids, prices and orders
        self._fixes: OrderedDict[str, tuple[float, str | None]] = OrderedDict()  # typo -> (until, correction)
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
        searcher = self.searcher()
        if not words:  # a browse: the same bitsets, without words (the products table would count row by row)
            ids, total, more = self._run(searcher, [], query)
            return SearchResult(ids=ids, total=total, more=more)
        return _with_corrections(words, lambda alternatives: self._run(searcher, alternatives, query),
                                 lambda words: self._corrections(searcher, words))

    def _run(self, searcher, alternatives: list[list[str]], query: SearchQuery) -> tuple[list[int], int, bool]:
        """Count every match exactly (bitsets: no work per match) and rank only what the page needs.

        Each segment's matches are a bitset (an int, bit d for document d) made from cached bitsets of each
        term. Relevance puts the products with every word in their title first, then the rest; newest first
        in each. The page is read from the segment's documents in sort order, testing bits, until it is
        full; when there are few matches (ENUMERATE_AT) their documents are listed and sorted instead. Either
        way a query looks at a bounded number of documents and scores none: `work` counts them.
        """
        self.work = 0
        limit = query.page * query.per_page
        facets = self._facet_keys(query)
        stems = [list(dict.fromkeys(stem(w) for w in words)) for words in alternatives]
        total = 0
        found: list[tuple] = []  # (sort key, product id)
        for reader, _offset in searcher.reader().leaf_readers():
            if reader.segment() is None or not reader.doc_count_all():
                continue
            data = self._segment_data(reader)
            match, title = data.live, data.live
            for words in stems:
                in_title = in_any = 0
                for stemmed in words:
                    t = self._term_bits(reader, data, "title", stemmed)
                    in_title |= t
                    in_any |= t | self._term_bits(reader, data, "description", stemmed)
                match &= in_any
                title &= in_title
            if facets:
                match &= self._allowed(reader, data, facets)
            count = match.bit_count()
            if not count:
                continue
            total += count
            if query.sort == "relevance":
                title &= match
                in_title = title.bit_count()
                first = self._first(data, title, in_title, data.by_newest, limit)
                rest = self._first(data, match & ~title, count - in_title, data.by_newest, limit - len(first))
                found += [((0, -data.ids[d]), data.ids[d]) for d in first]
                found += [((1, -data.ids[d]), data.ids[d]) for d in rest]
            else:
                order = data.by_price if query.sort.startswith("price") else data.by_newest
                reverse = query.sort == "price_desc"
                for d in self._first(data, match, count, reversed(order) if reverse else order, limit):
                    key = (data.prices[d], data.ids[d]) if order is data.by_price else (-data.ids[d],)
                    found.append((tuple(-k for k in key) if reverse else key, data.ids[d]))
        found.sort()
        start = (query.page - 1) * query.per_page
        return [product_id for _key, product_id in found[start:limit]], min(total, MAX_TOTAL), total > MAX_TOTAL

    def _first(self, data: _SegmentData, bits: int, count: int, order: Iterable[int], want: int) -> list[int]:
        """Up to `want` documents of `bits` in `order` (an iterable of docnums)."""
        if want <= 0 or count <= 0:
            return []
        if count <= ENUMERATE_AT:  # few: list them and sort, rather than walk the whole order for them
            docs = _set_bits(bits)
            self.work += len(docs)
            if order is data.by_newest:
                return sorted(docs, key=data.ids.__getitem__, reverse=True)[:want]
            if order is data.by_price:
                return sorted(docs, key=lambda d: (data.prices[d], data.ids[d]))[:want]
            return sorted(docs, key=lambda d: (data.prices[d], data.ids[d]), reverse=True)[:want]
        flags = bits.to_bytes(data.nbytes, "little")
        found = []
        examined = 0
        for d in order:
            examined += 1
            if flags[d >> 3] >> (d & 7) & 1:
                found.append(d)
                if len(found) == want:
                    break
        self.work += examined
        return found

    def _segment_data(self, reader) -> _SegmentData:
        """A segment's ids, prices and sort orders (made once: a segment never changes) with its live documents."""
        segment = reader.segment()
        with self._masks_lock:
            data = self._segments.get(segment.segment_id())
        if data is None:
            data = _SegmentData(reader)
            with self._masks_lock:
                self._segments[segment.segment_id()] = data
        live_key = (segment.segment_id(), "live", segment.deleted_count())
        live = self._cached(live_key)
        if live is None:
            live = (1 << len(data.ids)) - 1
            if segment.deleted_count():
                live &= ~_bits(segment.deleted_docs(), data.nbytes)
            self._remember(live_key, live)
        data.live = live
        return data

    def _term_bits(self, reader, data: _SegmentData, field: str, text: str) -> int:
        """The documents of a segment that have the term, as a bitset; cached (terms of a segment never change)."""
        if (field, text) not in reader:
            return 0
        key = (reader.segment().segment_id(), field, text)
        bits = self._cached(key)
        if bits is None:
            bits = _bits(reader.postings(field, text).all_ids(), data.nbytes)
            self._remember(key, bits)
        return bits

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

    def _allowed(self, reader, data: _SegmentData, facets: tuple) -> int:
        """One segment's documents that pass every facet, as a bitset; cached per segment and facets."""
        segment = reader.segment().segment_id()
        key = (segment, facets)
        mask = self._cached(key)
        if mask is None:
            mask = data.live
            for facet in facets:
                mask &= self._facet_mask(reader, data, segment, facet)
            self._remember(key, mask)
        return mask

    def _facet_mask(self, reader, data: _SegmentData, segment: str, facet: tuple) -> int:
        key = (segment, facet)
        mask = self._cached(key)
        if mask is not None:
            return mask
        name = facet[0]
        if name == "price":
            prices = self._cached((segment, "sorted prices"))
            if prices is None:
                prices = array("q", (data.prices[d] for d in data.by_price))
                self._remember((segment, "sorted prices"), prices)
            low = 0 if facet[1] is None else bisect.bisect_left(prices, facet[1])
            high = len(prices) if facet[2] is None else bisect.bisect_left(prices, facet[2])
            passing: Iterable[int] = data.by_price[low:high]
        else:
            if name == "category":
                q = wq.Or([wq.Term("category", str(c)) for c in facet[1]])
            elif name == "state":
                q = wq.Term("state", facet[1])
            else:
                q = wq.Term(name, True)
            passing = q.docs(Searcher(reader, closereader=False))
        mask = _bits(passing, data.nbytes)
        self._remember(key, mask)
        return mask

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
            for segment in [segment for segment in self._segments if segment not in live]:
                del self._segments[segment]

    def _corrections(self, searcher, words: list[str]) -> list[str | None]:
        """For each word that (nearly) no title has, the closest common title word; else None."""
        reader = searcher.reader()
        corrections = []
        for word in words:
            known = reader.doc_frequency("title", stem(word)) + reader.doc_frequency("description", stem(word))
            correction = None
            if known < FEW and max_edits(word):
                correction = self._closest(reader, word)
            corrections.append(correction)
        return corrections

    def _closest(self, reader, word: str) -> str | None:
        """The closest common title word; remembered for FIXES_KEPT_FOR seconds, as the same slips come again
        and again (Whoosh's automaton is built in Python: 5-10 ms a word at 200,000 products)."""
        now = time.monotonic()
        with self._masks_lock:
            kept = self._fixes.get(word)
        if kept is not None and kept[0] > now:
            return kept[1]
        # Whoosh's automaton counts a swap ("pickel") as two edits; _best checks with swaps as one.
        candidates = reader.terms_within("spell_title", word, max_edits(word) + 1, prefix=1)
        correction = _best(word, ((c, reader.doc_frequency("spell_title", c)) for c in candidates))
        with self._masks_lock:
            self._fixes[word] = (now + FIXES_KEPT_FOR, correction)
            self._fixes.move_to_end(word)
            while len(self._fixes) > FIXES_KEPT:
                self._fixes.popitem(last=False)
        return correction

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
