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

Both find only listed products, stem English (kurtis ~ kurti, pickles ~ pickle), search every word together
with the words of its line in the buyers' word table (words.toml: sari ~ saree ~ साड़ी, achar ~ pickle ~
अचार ~ ஊறுகாய், in the six languages' scripts and in Latin letters), put the products with every word in their title
first and the rest after, newest first in each, forgive a typo per word (one edit more for a word spelt by ear:
neckless -> necklace) when the words as typed find (almost) nothing, and then say "did you mean".

Bounded work: matches are counted up to MAX_TOTAL + 1 ("1,000+" past it) and no match is scored. Whoosh
counts with cached bitsets of its terms and facets and reads the page off each segment's sort order;
PostgreSQL ranks with LIMITs it can stop early and counts with a LIMIT. A query without words is a browse,
newest first: Whoosh answers it from the same bitsets, PostgreSQL from the products table's own (listed, ...)
indexes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from catalog.search.postgres_backend import PostgresBackend
from catalog.search.query import SearchBackend, SearchConfigError, SearchQuery, SearchResult
from catalog.search.whoosh_backend import WhooshBackend

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
