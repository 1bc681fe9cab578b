"""The PostgreSQL backend: full-text search in the products table itself, and the migration hook for its objects."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from catalog.models import Product, SearchQueue
from catalog.search.query import (
    _SQL_ORDER,
    FEW,
    MAX_TOTAL,
    SearchBusy,
    SearchQuery,
    SearchResult,
    _best,
    _browse,
    _facets,
    _session,
    _with_corrections,
    max_edits,
)
from catalog.search.words import table_words
from market.core.db import rows_matched

# Made by migration 7d3e5b1a9c42 on PostgreSQL only, outside the models: see include_object().
POSTGRES_ONLY = frozenset({"search_vector", "ix_products_search_vector"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object hook: leave the PostgreSQL-only search objects out of model comparisons."""
    return not (reflected and compare_to is None and name in POSTGRES_ONLY)


# -- PostgreSQL --------------------------------------------------------------------------------------

# products.search_vector and search_words are made by migration 7d3e5b1a9c42, on PostgreSQL only, and
# are not in the models (SQLite has no tsvector).
VECTOR: sa.ColumnClause[Any] = sa.literal_column("products.search_vector")
WORDS_REFRESH_SECONDS = 600  # search_words may lag this long behind new titles (typo corrections only)
TSQUERIES_KEPT = 5000  # the tsqueries made for the words most asked for
WORDS_LOCK = 0x4861617453  # pg_try_advisory_xact_lock key: one refresh of search_words at a time


class PostgresBackend:
    """Full-text search in the products table itself: always current, so sync only empties the queue."""

    def __init__(self):
        self._words_refreshed: float | None = None
        self._lock = threading.Lock()
        self._tsqueries: OrderedDict[tuple, tuple[str, str]] = OrderedDict()  # words -> their tsqueries as text
        self._titled: tuple[float, frozenset[str]] = (0.0, frozenset())  # (until, table words some title has)

    def _titled_table_words(self, session: Session) -> frozenset[str]:
        """The words of the synonym table that some listed title has, read again every WORDS_REFRESH_SECONDS
        (search_words itself is refreshed as often)."""
        until, words = self._titled
        if time.monotonic() >= until:
            words = frozenset(session.scalars(sa.text("SELECT word FROM search_words WHERE word = ANY(:words)"),
                                              {"words": sorted(table_words())}))
            self._titled = (time.monotonic() + WORDS_REFRESH_SECONDS, words)
        return words

    def search(self, query: SearchQuery) -> SearchResult:
        """The page of product ids that `query` asks for."""
        session = _session()
        words = query.words
        if not words:
            return _browse(session, query)
        return _with_corrections(words, lambda alternatives: self._run(session, alternatives, query),
                                 lambda words: [self._correction(session, w) for w in words])

    @staticmethod
    def _tsquery(alternatives: list[list[str]], title: bool = False) -> sa.ColumnElement[Any]:
        """Every word (or one of its alternatives), stemmed by PostgreSQL's English configuration; with title,
        only in titles (weight A)."""
        english: sa.ColumnClause[Any] = sa.literal_column("'english'::regconfig")

        def one(word: str) -> sa.ColumnElement[Any]:
            if title:  # words are letters, digits and marks only (WORD_PATTERN): nothing to_tsquery would parse
                return sa.func.to_tsquery(english, f"'{word}':A")
            return sa.func.plainto_tsquery(english, word)

        clauses: list[sa.ColumnElement[Any]] = []
        for words in alternatives:
            clause = one(words[0])
            for word in words[1:]:
                clause = clause.op("||")(one(word))
            clauses.append(clause)
        tsquery = clauses[0]
        for clause in clauses[1:]:
            tsquery = tsquery.op("&&")(clause)
        return tsquery

    def _run(self, session: Session, alternatives: list[list[str]], query: SearchQuery) -> tuple[list[int], int, bool]:
        """The page and the count up to MAX_TOTAL + 1, reading at most MAX_TOTAL + 1 matching rows.

        No ts_rank (15-27 ms for common words): relevance puts the products with every word in their title
        first, then the rest, newest first in each. The first statement takes up to MAX_TOTAL + 1 matches
        through the GIN index and ranks them all; if there are more, matches are common, and a second
        statement walks the primary key (or the price index) newest first and stops at the page's end.
        """
        # Synonyms that no title has (the table's Hindi words in an English catalogue) are left out: each adds
        # to PostgreSQL's estimate of the matches, and an estimate far too high makes it scan the whole table
        # hoping to stop early. The words as typed (first of each list) always stay.
        table, titled = table_words(), self._titled_table_words(session)
        alternatives = [[words[0], *[w for w in words[1:] if w in titled or w not in table]]
                        for words in alternatives]
        # The queries as constants, made first in a round trip of their own (and kept: the same words come
        # again and again): a tsquery computed in the statement is unknown to the planner, which then
        # guesses, and in a filter it is computed again for every row.
        key = tuple(tuple(words) for words in alternatives)
        with self._lock:
            made = self._tsqueries.get(key)
        if made is None:
            made = session.execute(sa.select(sa.cast(self._tsquery(alternatives), sa.Text),
                                             sa.cast(self._tsquery(alternatives, title=True), sa.Text))).one()
            with self._lock:
                self._tsqueries[key] = made
                while len(self._tsqueries) > TSQUERIES_KEPT:
                    self._tsqueries.popitem(last=False)
        words, title_words = made
        if not words:  # only PostgreSQL's stop words
            return [], 0, False
        conditions = [*_facets(query), VECTOR.op("@@")(sa.literal(words).cast(TSQUERY))]
        in_title = VECTOR.op("@@")(sa.literal(title_words).cast(TSQUERY))
        start = (query.page - 1) * query.per_page
        matches = (sa.select(Product.id, Product.price_paise, in_title.label("in_title")).where(*conditions)
                   .limit(MAX_TOTAL + 1).cte("matches").prefix_with("MATERIALIZED"))
        order = {
            "relevance": (matches.c.in_title.desc(), matches.c.id.desc()),
            "newest": (matches.c.id.desc(),),
            "price_asc": (matches.c.price_paise, matches.c.id),
            "price_desc": (matches.c.price_paise.desc(), matches.c.id.desc()),
        }[query.sort]
        rows = session.execute(sa.select(matches.c.id, sa.func.count().over()).order_by(*order)
                               .offset(start).limit(query.per_page)).all()
        if not rows:
            count = session.execute(sa.select(sa.func.count()).select_from(matches)).scalar_one() if start else 0
            return [], min(count, MAX_TOTAL), count > MAX_TOTAL
        if rows[0][1] <= MAX_TOTAL:
            return [row[0] for row in rows], rows[0][1], False
        limit = query.page * query.per_page
        if query.sort == "relevance":
            first = (sa.select(Product.id, sa.literal(0).label("tier")).where(*conditions, in_title)
                     .order_by(Product.id.desc()).limit(limit))
            rest = (sa.select(Product.id, sa.literal(1).label("tier")).where(*conditions, sa.not_(in_title))
                    .order_by(Product.id.desc()).limit(limit))
            both = sa.union_all(first, rest).subquery()
            page = sa.select(both.c.id).order_by(both.c.tier, both.c.id.desc())
        else:
            page = sa.select(Product.id).where(*conditions).order_by(*_SQL_ORDER[query.sort])
        return list(session.scalars(page.offset(start).limit(query.per_page))), MAX_TOTAL, True

    def _correction(self, session: Session, word: str) -> str | None:
        """The closest common title word to a word that (nearly) no product has; else None."""
        if not max_edits(word):
            return None
        # No LIMIT: with one, PostgreSQL bets on finding a few rows early in a sequential scan, and loses
        # the bet (60 ms) when the word is nowhere, which is when this runs.
        known = session.execute(sa.select(sa.func.count()).where(Product.listed, VECTOR.op("@@")(
            self._tsquery([[word]])))).scalar_one()
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
            deleted = rows_matched(own.execute(sa.delete(SearchQueue).where(SearchQueue.id.in_(locked))))
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
            self._titled = (0.0, frozenset())  # read again at the next search
        return refreshed
