"""What both search backends share: the query and its result, the backend's shape, limits, facets, browsing
and typo corrections."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session
from whoosh.analysis import STOP_WORDS

from catalog.models import Product
from catalog.search.words import normalise, sound, vocabulary
from market.core import db

SORTS = ("relevance", "newest", "price_asc", "price_desc")
MAX_TOTAL = 1_000  # totals are counted up to this, then reported as "1,000+": see docs/benchmarks.md (PostgreSQL)
MAX_PAGE = 100  # deeper pages cost more than anyone reads; the view should not offer them
MAX_PER_PAGE = 100
MAX_WORDS = 8
FEW = 3  # fewer hits than this: try typo corrections, and suggest them
TITLE_BOOST = 3.0
MASKS_CACHED = 1000  # Whoosh bitsets of terms and facets: a bit per document, 25 MB at most at 200,000 products


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
        """The words that count: normalised (see words.normalise), no stop words of any language, at most
        MAX_WORDS."""
        stop_words = vocabulary().stop_words
        words = [w for w in _WORD_RE.findall(normalise(self.text[:500]))
                 if w not in STOP_WORDS and w not in stop_words and len(w) > 1]
        return list(dict.fromkeys(words))[:MAX_WORDS]


@dataclass(frozen=True)
class SearchResult:
    """One page of results.

    `total` counts matching products exactly up to MAX_TOTAL (1,000); `more` says there are more than that
    (the page shows "1,000+"). `suggestion` is the corrected text ("pickle" for "pickel") when the words as typed
    found fewer than FEW products, else None.
    """

    ids: list[int]
    total: int
    suggestion: str | None = None
    more: bool = False


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


# -- shared by both backends -------------------------------------------------------------------------

def _session() -> Session:
    return db.session


def _facets(query: SearchQuery) -> list[sa.ColumnExpressionArgument[bool]]:
    """The query's facets as SQL conditions on products."""
    # Not "listed IS true": PostgreSQL must see the partial index's "WHERE listed".
    conditions: list[sa.ColumnExpressionArgument[bool]] = [Product.listed]
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
    count = session.execute(capped_count(conditions)).scalar_one()
    return SearchResult(ids=ids, total=min(count, MAX_TOTAL), more=count > MAX_TOTAL)


def capped_count(conditions: list[sa.ColumnExpressionArgument[bool]]) -> sa.Select:
    """How many products pass the conditions, counted up to one more than MAX_TOTAL and no further."""
    inner = sa.select(sa.literal(1)).select_from(Product).where(*conditions).limit(MAX_TOTAL + 1).subquery()
    return sa.select(sa.func.count()).select_from(inner)


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
    """The closest candidate word, the most common among equals; None if none is within max_edits.

    A word spelt by ear may have one edit more if it sounds the same ("neckless": three edits from "necklace").
    """
    limit = max_edits(word) + 1
    heard = sound(word)
    best = None
    for candidate, frequency in candidates:
        if candidate == word:
            continue
        key = (edit_distance(word, candidate, limit + 1), -frequency, candidate)
        if (key[0] < limit or (key[0] == limit and sound(candidate) == heard)) and (best is None or key < best):
            best = key
    return best[2] if best else None


def _with_corrections(words: list[str], run: Callable[[list[list[str]]], tuple[list[int], int, bool]],
                      correct: Callable[[list[str]], list[str | None]]) -> SearchResult:
    """Search for the words; if they find fewer than FEW products, also for their corrections.

    run(alternatives) searches for products having, for every word, one of its alternatives: the word's
    line in the synonym table (words.toml), and its correction if any. Words of the table are never
    corrected. A suggestion is made only if the corrections find more than the words as typed.
    """
    table = vocabulary()
    ids, total, more = run([table.alternatives(w) for w in words])
    if total >= FEW or more:
        return SearchResult(ids=ids, total=total, more=more)
    unknown = [w for w in words if not table.knows(w)]
    fixes = dict(zip(unknown, correct(unknown), strict=True)) if unknown else {}
    corrections = [fixes.get(w) for w in words]
    if not any(corrections):
        return SearchResult(ids=ids, total=total)
    wider_ids, wider_total, wider_more = run([table.alternatives(w) + (table.alternatives(c) if c else [])
                                  for w, c in zip(words, corrections, strict=True)])
    if wider_total <= total:
        return SearchResult(ids=ids, total=total)
    suggestion = " ".join(c or w for w, c in zip(words, corrections, strict=True))
    return SearchResult(ids=wider_ids, total=wider_total, suggestion=suggestion, more=wider_more)
