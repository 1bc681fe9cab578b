"""Whole guest pages kept in a cache every process shares (Flask-Caching), invalidated by versions.

What a page is kept under: its address (scheme, host, path and the whole query string) and what the app says
changes a guest's page besides (`vary`: her language, Save-Data, the first-visit language panel), plus the
current values of the versions the page reads ("lists": what cards, lists and shop pages show; "details": what
only a product page shows, such as each size's stock). Only guests' GET answers 200 of the listed endpoints are
kept; a logged-in person's page, a page with a flash message waiting, or any other answer never is.

Versions live in the cache store itself (a file per key by default, Redis in production), so a change made by any
process (a seller's form, a checkout taking stock, the jobs or search worker, the CLI) reaches every process at
once. They change after the commit of the transaction that wrote a watched table: any Session's flushes and
UPDATE / INSERT / DELETE statements are noted (SQLAlchemy session events), and `after_commit` gives each noted
version a new random value. A page is read after its versions: one made from data older than a commit was made
under the versions before it, which no request asks for again. A version whose key is lost (evicted, expired)
gets a new random value, never an old one. Processes that keep data of their own a while (the categories, the
states with sellers) say how long when a change is noted (`settle`): pages made before that time has passed are
not taken from the cache.

The HTML carries the visitor's CSRF token (the language picker, the cart form): it is kept as a hole and the
visitor's own token is put in when the page is served. So the page is `Cache-Control: private, no-cache` with an
ETag (the kept page's digest and her session's token): her browser asks again and gets 304 when nothing changed;
a shared cache (a CDN, nginx) does not keep it. Logged-in pages are `private, no-store`.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import struct
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import Session, SessionTransaction

from market.core.config import ConfigError
from market.core.extensions import page_store

HOLE = b"\x00csrf\x00"  # where the visitor's CSRF token goes; no HTML page contains a NUL
NOTED = "haat.page_versions"  # Session.info: the versions this transaction's writes change, with their settle time
TOKEN = "csrf_token"  # noqa: S105 - Flask-WTF's field name: the signed token in g, the raw one in the session


@dataclass(frozen=True)
class Watch:
    """Which version a row of a watched table changes when it is added, updated or removed (None: no page shows
    it). A variant's stock changes only a product page; one variant more or fewer changes the cards' "from".
    `settle`: how many seconds other processes may still show the old data from a cache of their own, or the
    name of the setting that says it."""

    added: str | None
    updated: str | None
    removed: str | None
    settle: str | float = 0.0

    @classmethod
    def every(cls, name: str, settle: str | float = 0.0) -> Watch:
        return cls(name, name, name, settle)


@dataclass(frozen=True)
class Entry:
    versions: tuple[str, ...]
    made_at: float
    body: bytes
    mimetype: str
    digest: str
    holed: bool
    gzipped: tuple[bytes, ...]  # the body's pieces between the holes, each deflated once (see _gzip)


GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # RFC 1952: deflate, no name, no time, unknown OS


def _deflate(piece: bytes, last: bool) -> bytes:
    """Raw deflate blocks of one piece, standing alone: a full flush ends them on a byte and forgets the history,
    so pieces deflated apart follow each other in one valid stream (as pigz writes its blocks); only the last
    piece ends the stream."""
    deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
    return deflater.compress(piece) + deflater.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH)


def _gzip(entry: Entry, token: bytes) -> bytes:
    """The kept page with her token, gzipped without compressing the page again: its pieces were deflated when it
    was kept, only her token is deflated now; the trailer's CRC-32 and length are those of the whole page."""
    filled = _deflate(token, last=False)
    crc, size, out = 0, 0, [GZIP_HEADER]
    for i, (piece, deflated) in enumerate(zip(entry.body.split(HOLE), entry.gzipped, strict=True)):
        if i:
            out.append(filled)
            crc, size = zlib.crc32(token, crc), size + len(token)
        out.append(deflated)
        crc, size = zlib.crc32(piece, crc), size + len(piece)
    out.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(out)


_watched: dict[str, Watch] = {}  # table name -> Watch, the same for every app of the process


def install(app: Flask, pages: dict[str, tuple[str, ...]], watched: dict[str, Watch],
            vary: Callable[[], Iterable[object]]) -> None:
    """Keep the guest pages of the `pages` endpoints (each with the versions it reads); note changes of the
    `watched` tables. Call after Flask-Compress's init_app: its after-request hook must see the page uncompressed
    after this one kept it."""
    app.config.setdefault("PAGE_CACHE", True)
    page_store.init_app(app, config=store_config(app))
    app.extensions["haat.page_cache"] = (dict(pages), vary)
    _watched.update(watched)
    app.before_request(_serve_kept)
    app.after_request(_keep)


def store_config(app: Flask) -> dict:
    """Flask-Caching's settings from ours: files under the instance folder (every process of one machine), Redis
    when PAGE_CACHE_URL is redis:// (several machines), SimpleCache (one process) for simple://."""
    url = app.config.get("PAGE_CACHE_URL") or ""
    common = {"CACHE_DEFAULT_TIMEOUT": app.config.get("PAGE_CACHE_TIMEOUT", 600), "CACHE_KEY_PREFIX": "haat:"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {**common, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url}
    if url == "simple://":
        return {**common, "CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": app.config.get("PAGE_CACHE_ENTRIES", 2000)}
    if url:
        raise ConfigError("HAAT_PAGE_CACHE_URL is redis://... (Redis), simple:// (one process) or empty (files "
                          "under HAAT_PAGE_CACHE_DIR).")
    folder = app.config.get("PAGE_CACHE_DIR") or str(Path(app.instance_path) / "pagecache")
    return {**common, "CACHE_TYPE": "FileSystemCache", "CACHE_DIR": folder,
            "CACHE_THRESHOLD": app.config.get("PAGE_CACHE_ENTRIES", 2000)}


# -- versions -------------------------------------------------------------------------------------------------

def _new_version(settle_until: float = 0.0) -> str:
    return f"{secrets.token_hex(8)}:{settle_until:.3f}"


def current_versions(names: tuple[str, ...]) -> tuple[str, ...]:
    """The versions' values now; one that is missing gets a new random value (never an old one)."""
    keys = [f"version:{n}" for n in names]
    values = list(page_store.get_many(*keys))
    for i, value in enumerate(values):
        if value is None:
            page_store.add(keys[i], _new_version(), timeout=0)
            values[i] = page_store.get(keys[i]) or _new_version()
    return tuple(values)


def bump(names: dict[str, float]) -> None:
    """New values for these versions (name -> seconds to settle): every page kept under the old ones is gone."""
    now = time.time()
    for name, settle in names.items():
        key = f"version:{name}"
        before = page_store.get(key)
        settle_until = max(now + settle if settle else 0.0, _settle_until(before) if before else 0.0)
        page_store.set(key, _new_version(settle_until), timeout=0)


def _settle_until(version: str) -> float:
    try:
        return float(version.rpartition(":")[2])
    except ValueError:
        return 0.0


def clear() -> None:
    """Forget every kept page and version (`flask page-cache clear`, after a database is restored)."""
    page_store.clear()


# -- noting changes (any Session of the process) -----------------------------------------------------------------

def _note(session: Session, table: str | None, change: str) -> None:
    watch = _watched.get(table or "")
    name = getattr(watch, change) if watch is not None else None
    if watch is None or name is None:
        return
    settle = watch.settle
    if isinstance(settle, str):
        settle = float(current_app.config.get(settle) or 0) if has_app_context() else 0.0
    noted = session.info.setdefault(NOTED, {})
    noted[name] = max(noted.get(name, 0.0), settle)


def _table_of(instance: object) -> str | None:
    mapper = sa.inspect(instance).mapper
    return getattr(mapper.local_table, "name", None)


@sa.event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    """Rows added, removed, or changed in a column or collection (the lists still hold the flush's objects)."""
    for instance in session.new:
        _note(session, _table_of(instance), "added")
    for instance in session.deleted:
        _note(session, _table_of(instance), "removed")
    for instance in session.dirty:
        if session.is_modified(instance):
            _note(session, _table_of(instance), "updated")


@sa.event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    """UPDATE, INSERT and DELETE statements run through a Session (take_stock's conditional UPDATE)."""
    if state.is_select:
        return
    table = getattr(state.statement, "table", None)
    change = "updated" if state.is_update else "removed" if state.is_delete else "added"
    _note(state.session, getattr(table, "name", None), change)


@sa.event.listens_for(Session, "after_commit")
def _bump_noted(session: Session) -> None:
    noted = session.info.pop(NOTED, None)
    if not noted or not has_app_context() or "haat.page_cache" not in current_app.extensions:
        return
    try:
        bump(noted)
    except Exception:  # the change is committed: a store that cannot be reached must not fail her request
        current_app.logger.exception("page cache: versions %s not changed; kept pages expire on their own",
                                     sorted(noted))


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_noted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back (a commit popped them already); a savepoint's end keeps them
        session.info.pop(NOTED, None)


# -- serving and keeping ------------------------------------------------------------------------------------------

def _kept_versions() -> tuple[str, ...] | None:
    """The versions this request's page reads, if it may come from the cache or go into it."""
    if request.method != "GET" or not current_app.config["PAGE_CACHE"]:
        return None
    pages, _vary = current_app.extensions["haat.page_cache"]
    names = pages.get(request.endpoint or "")
    if names is None or current_user.is_authenticated or "_flashes" in session:
        return None
    return names


def _key() -> str:
    _pages, vary = current_app.extensions["haat.page_cache"]
    query = request.query_string.decode("latin-1")
    address = f"{request.scheme}://{request.host}{request.script_root}{request.path}?{query}"
    parts = repr((address, *vary()))
    return "page:" + hashlib.sha256(parts.encode()).hexdigest()[:40]


def _serve_kept() -> Response | None:
    names = _kept_versions()
    if names is None:
        return None
    try:
        versions = current_versions(names)  # before the page's data is read (on a miss)
        key = _key()
        entry = page_store.get(key)
    except Exception:  # the store cannot be reached: the page is made as if it had never been kept
        current_app.logger.warning("page cache unavailable", exc_info=True)
        return None
    g.page_cache = (key, versions)
    if not isinstance(entry, Entry) or entry.versions != versions or \
            entry.made_at < max(_settle_until(v) for v in versions):
        return None
    raw = session.get(TOKEN) if entry.holed else ""
    if raw is not None and request.if_none_match.contains_weak(_etag(entry, raw)):
        response = Response(status=304)
    elif request.accept_encodings["gzip"]:  # nearly every browser: no compression of the page per request
        response = Response(_gzip(entry, generate_csrf().encode() if entry.holed else b""), mimetype=entry.mimetype)
        response.headers["Content-Encoding"] = "gzip"  # Flask-Compress leaves it as it is
    else:
        body = entry.body.replace(HOLE, generate_csrf().encode()) if entry.holed else entry.body
        response = Response(body, mimetype=entry.mimetype)
    _guest_headers(response, entry, session.get(TOKEN, ""))
    g.page_cache_hit = True
    return response


def _etag(entry: Entry, raw_token: str) -> str:
    """The kept page and her session's token: the same page with another token is another page to her browser."""
    token = hashlib.sha256(raw_token.encode()).hexdigest()[:8] if entry.holed else ""
    return f"{entry.digest}.{token}"


def _guest_headers(response: Response, entry: Entry | None, raw_token: str) -> None:
    response.cache_control.private = True
    response.cache_control.no_cache = True
    if entry is not None:
        response.set_etag(_etag(entry, raw_token), weak=True)  # weak: the same under any Content-Encoding


def _keep(response: Response) -> Response:
    """Every page: Vary, and Cache-Control unless the view set its own. A guest's page made for a listed endpoint:
    kept, with its CSRF token cut out."""
    hit, kept = g.pop("page_cache_hit", False), g.pop("page_cache", None)
    if response.mimetype != "text/html":
        return response
    response.vary.update(("Cookie", "Accept-Language"))  # her login and her language choose the page
    if hit or "Cache-Control" in response.headers:
        return response
    if current_user.is_authenticated:  # never kept, never shared, not even left in her browser's history
        response.cache_control.private = True
        response.cache_control.no_store = True
        return response
    if kept is None or response.status_code != 200 or response.is_streamed or "_flashes" in session:
        _guest_headers(response, None, "")
        return response
    key, versions = kept
    body = response.get_data()
    token = g.get(TOKEN)
    holed = bool(token) and token.encode() in body
    if holed:
        body = body.replace(token.encode(), HOLE)
    pieces = body.split(HOLE)
    entry = Entry(versions=versions, made_at=time.time(), body=body, mimetype=response.mimetype,
                  digest=hashlib.sha256(body).hexdigest()[:20], holed=holed,
                  gzipped=tuple(_deflate(piece, last=i == len(pieces) - 1) for i, piece in enumerate(pieces)))
    with contextlib.suppress(Exception):  # a store that cannot take it: the next guest makes the page again
        page_store.set(key, entry)
    _guest_headers(response, entry, session.get(TOKEN, ""))
    response.make_conditional(request)  # 304 when her browser has this very page
    return response
