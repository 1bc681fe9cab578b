"""SQLAlchemy 2.0 plumbing: the declarative Base, one engine per app, one session per request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from werkzeug.local import LocalProxy

# Stable constraint names, so Alembic can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


MAX_ID = 2**31 - 1  # ids (and paise) are 32-bit integer columns: a larger number overflows a query


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC that always comes back timezone-aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_before_savepoint(connection: sa.Connection, _name: str) -> None:
    """Python's sqlite3 begins a transaction only before a write, not before SAVEPOINT: a savepoint that came
    first would be a transaction of its own, committed by its RELEASE, and the request's rollback could not undo
    it. So the outer transaction is begun first."""
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None  # None only once the connection is closed, never in an event
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def rows_matched(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE or DELETE run by Session.execute matched (a conditional update's check).
    Session.execute is annotated to return a Result; for these statements it is the CursorResult with the count."""
    return cast(sa.CursorResult[Any], result).rowcount


def make_engine(url: str) -> sa.Engine:
    """An engine configured for SQLite (embedded default) or PostgreSQL (production)."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 5}, hide_parameters=True)
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "savepoint", _begin_before_savepoint)
        return engine
    # hide_parameters: an error's message (logged) never carries the values: phones, names, addresses.
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True)


def init_app(app: Flask) -> None:
    """Create the app's engine and session factory; close the request's session at teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["haat.db"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> sa.Engine:
    """The current app's engine."""
    return current_app.extensions["haat.db"].kw["bind"]


def get_session() -> Session:
    """The session of the current app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["haat.db"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


# `session` is the request's Session: views commit it once; services only flush.
session: Session = LocalProxy(get_session)  # type: ignore[assignment]
