"""Fixtures shared by every test: one migrated database per run (per xdist worker), two apps built once per run,
and for each test one connection whose transaction is rolled back at its end (`real_commits` tests: the tables
are emptied instead). See docs/testing.md.

HAAT_TEST_DATABASE=postgres runs the suite against TEST_DATABASE_URL instead of a SQLite file.
HAAT_REQUIRE_ALL=1 (set by CI) turns a missing PostgreSQL or Chromium into a failure, never a skip.
"""

from __future__ import annotations

import contextlib
import os
import re
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask
from hypothesis import HealthCheck, settings
from sqlalchemy.orm import Session, sessionmaker

from market import ROOT, create_app
from market.cli import alembic_config
from market.core.db import Base, make_engine
from market.core.models import Role
from tests import factories

REQUIRE_ALL = os.environ.get("HAAT_REQUIRE_ALL") == "1"
# How long a test waits for what will come (a server starting, a page changing, a browser's element) before it
# calls it a hang. Long on purpose: a busy machine must never be taken for a broken one. No test times anything.
PATIENCE = 120
PATIENCE_MS = PATIENCE * 1000
ON_POSTGRES = os.environ.get("HAAT_TEST_DATABASE") == "postgres"

# Hypothesis: "dev" (the default) tries a quarter of the examples, "ci" (.ci/run sets HYPOTHESIS_PROFILE=ci, or
# pass --hypothesis-profile=ci) all of them. Neither has a deadline or a too-slow check: a busy machine is slow,
# not wrong, and no test may fail for it. A test that needs more (or fewer) examples than the profile's asks
# for examples(n): n at CI depth, scaled down with the profile.
CI_EXAMPLES = 100
NO_CLOCK_CHECKS = [HealthCheck.too_slow]  # a test suppressing a check of its own lists these too
settings.register_profile("ci", max_examples=CI_EXAMPLES, deadline=None, suppress_health_check=NO_CLOCK_CHECKS)
settings.register_profile("dev", max_examples=CI_EXAMPLES // 4, deadline=None, suppress_health_check=NO_CLOCK_CHECKS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def examples(at_ci_depth: int) -> int:
    """How many examples a test with its own number tries under the profile in force (read at import, after
    --hypothesis-profile has been applied)."""
    return max(1, at_ci_depth * settings.default.max_examples // CI_EXAMPLES)


def unavailable(reason: str):
    """Skip a test whose service is missing here, unless CI demands that everything runs."""
    if REQUIRE_ALL:
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)  # only outside CI: a developer machine without the service


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only (what only a database server does: row locks, dropped connections) are left
    out of the SQLite pass, not skipped: `make test` runs them in its PostgreSQL pass, which CI requires.

    A test that asks for no fixture reaching the test database (`database_url`, which `database`, `app`,
    `client`, `session`, `world`, `make_app` and the browser's `live_server` all stand on) cannot see which
    database the run is on: it is marked `no_database`, and `make test` runs it in the SQLite pass only (its
    PostgreSQL pass says -m "not no_database"). The rule is read from each test's fixtures, not kept by hand."""
    for item in items:
        if "database_url" not in getattr(item, "fixturenames", ()) and not item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.no_database)
    if ON_POSTGRES:
        return
    left_out = [item for item in items if item.get_closest_marker("postgres_only")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgres_only")]


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """The .mo files made from the .po files, as `make translations` makes them (for a bare `pytest`)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            part = mo.with_name(f"{mo.name}.{os.getpid()}")  # another xdist worker may be reading it meanwhile
            with part.open("wb") as target:
                write_mo(target, catalog)  # fuzzy translations are left out, as pybabel compile does
            os.replace(part, mo)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A freshly migrated database for this test run."""
    if ON_POSTGRES:
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            unavailable("HAAT_TEST_DATABASE=postgres needs TEST_DATABASE_URL")
        from market.core.config import normalise_database_url

        url = _database_of_this_worker(normalise_database_url(url))
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'haat-test.db'}"
    cfg = alembic_config(url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    with engine.connect() as conn:  # the migrations' reference data, to put back after a test that changed it
        MIGRATED[url] = {name: [r._asdict() for r in conn.execute(sa.select(Base.metadata.tables[name]))]
                         for name in REFERENCE_TABLES}
    engine.dispose()
    return url


def _database_of_this_worker(url: str) -> str:
    """Under pytest-xdist (-n 2) each worker has a database of its own on the same server: <name>_gw0, ..."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    given = sa.make_url(url)
    name = f"{given.database}_{worker}"
    server = sa.create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # a name made here: <database>_gw<N>
    server.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_HASH_FAST": True,
    "WTF_CSRF_ENABLED": False,
    "SERVER_NAME": None,
    "JOBS_INLINE": True,  # the request that enqueues a job runs it (run_pending); the jobs tests turn it off
    # A fixed VAPID key: otherwise create_app would make one under the repository's instance/ (tests set
    # instance_path only after create_app).
    "VAPID_PRIVATE_KEY": "OF-MmWegnH7ixrAuE6B-4JOaHtxQOv02iz6ckmd4uCM",
    "VAPID_SUBJECT": "mailto:alerts@haat.invalid",
    "TAXONOMY_KEPT_FOR": 10**9,  # categories are read once per run (a test that changes them forgets them)
    "PAGE_CACHE_URL": "simple://",  # an app made from these alone keeps guest pages in its own memory
}
PAGE_CACHE_DIR: list[Path] = []  # the folder where every app of this run (build_app) keeps guest pages


@pytest.fixture(scope="session", autouse=True)
def _page_cache_folder(tmp_path_factory):
    """One folder of kept guest pages for the run's apps, as one machine's processes share one: a change committed
    in the test's `session` (the second app) makes the pages of `app` new, as a worker's change does the web's."""
    PAGE_CACHE_DIR.append(tmp_path_factory.mktemp("pagecache"))
    yield
    PAGE_CACHE_DIR.clear()


def forget_kept_pages() -> None:
    """Every test starts with no kept guest page (and fresh versions): the database under them is new."""
    for path in PAGE_CACHE_DIR[0].iterdir():
        path.unlink()


def build_app(database_url: str, folder: Path, **overrides) -> Flask:
    """An app on the test database whose files (photos, search index, instance) live under `folder`."""
    config = {**TEST_CONFIG, "DATABASE_URL": database_url, "MEDIA_DIR": str(folder / "media"),
              "SEARCH_INDEX_DIR": str(folder / "search"), "PAGE_CACHE_URL": None,
              "PAGE_CACHE_DIR": str(PAGE_CACHE_DIR[0]), **overrides}
    app = create_app(config)
    app.instance_path = str(folder / "instance")
    return app


# -- one connection per test, rolled back -------------------------------------------------------------------


class JoinedSessions(sessionmaker):
    """The sessions of every app of a test (its requests, its `session`, a second "worker"), all on the test's
    one connection, each inside a SAVEPOINT of the outer transaction (SQLAlchemy's "Joining a Session into an
    External Transaction"): a request's commit releases its savepoint, so the test and later requests see it,
    and the test's end rolls everything back.

    Savepoints on one connection nest: a request begun while the test's session holds a savepoint would be
    released into it, and the test's `reload` (a rollback) would undo what the request committed. Separate
    connections do not have that problem, so when one of these sessions begins a transaction, the others'
    transactions that wrote nothing are ended first (a commit of nothing: what they read stays loaded, as
    it would on a connection of their own)."""

    def __init__(self, connection: sa.Connection) -> None:
        super().__init__(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
        self.made: list[weakref.ref] = []
        sa.event.listen(self, "after_transaction_create", self._settle_others)
        sa.event.listen(self, "after_flush", self._wrote)
        sa.event.listen(self, "do_orm_execute", self._executed)
        sa.event.listen(self, "after_transaction_end", self._ended)

    def __call__(self, **local_kw) -> Session:
        session = super().__call__(**local_kw)
        self.made = [ref for ref in self.made if ref() is not None]
        self.made.append(weakref.ref(session))
        return session

    def sessions(self) -> list[Session]:
        return [s for s in (ref() for ref in self.made) if s is not None]

    def _settle_others(self, session: Session, transaction) -> None:
        if transaction.parent is not None:
            return
        for other in self.sessions():
            if other is not session and other.in_transaction() and not _wrote_in(other):
                try:
                    other.commit()
                except sa.exc.SQLAlchemyError:  # its transaction had failed: the test's own rollback is due
                    other.rollback()

    @staticmethod
    def _wrote(session: Session, _context) -> None:
        session.info["test_wrote"] = True

    @staticmethod
    def _executed(state) -> None:
        if not state.is_select:
            state.session.info["test_wrote"] = True

    @staticmethod
    def _ended(session: Session, transaction) -> None:
        if transaction.parent is None:
            session.info.pop("test_wrote", None)

    def close_all(self) -> None:
        for session in self.sessions():
            session.close()


def _wrote_in(session: Session) -> bool:
    return bool(session.info.get("test_wrote") or session.new or session.dirty or session.deleted)


class PerTestDatabase:
    """This test's database: one connection whose outer transaction is rolled back at the end, or, for a test
    marked `real_commits` (threads, other processes, a live server), the database itself, emptied afterwards."""

    def __init__(self, url: str, engine: sa.Engine | None) -> None:
        self.url = url
        self.real = engine is None
        if engine is not None:
            self.connection = engine.connect()
            self.outer = self.connection.begin()
            self.connection.begin_nested()  # a floor: a Session(bind=connection) made by the app nests too
            self.sessions = JoinedSessions(self.connection)

    def attach(self, app: Flask) -> Flask:
        """Point the app's sessions at this test's connection (unless it commits for real)."""
        if not self.real and app.config["DATABASE_URL"] == self.url:
            app.extensions["haat.db"] = self.sessions
        return app

    def finish(self) -> None:
        """Check the ledger with the test's rows, then roll them back (or empty the tables)."""
        if self.real:
            try:
                check_ledger_balances(self.url)
            finally:
                empty_all_tables(self.url)
            return
        try:
            self.sessions.close_all()
            assert_ledger_balances(self.connection)
        finally:
            self.outer.rollback()
            self.connection.close()


def _transactional_engine(url: str) -> sa.Engine:
    """The engine of the tests' connections. On SQLite the driver's own transaction handling (BEGIN only before
    a write) would let the first RELEASE SAVEPOINT commit: here SQLAlchemy says BEGIN itself."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def no_driver_transactions(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def begin(connection):
            connection.exec_driver_sql("BEGIN")
    return engine


@pytest.fixture(scope="session")
def _engine(database_url):
    engine = _transactional_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def database(request, database_url, _engine):
    """This test's database (see PerTestDatabase); mark a test `real_commits` when its commits must reach other
    connections: threads, gunicorn workers, the browser's live server."""
    real = request.node.get_closest_marker("real_commits") is not None
    forget_kept_pages()
    test_db = PerTestDatabase(database_url, None if real else _engine)
    yield test_db
    test_db.finish()


# -- apps: built once per run, made clean for each test -----------------------------------------------------


class SharedApp:
    """An app built once per run. Each test gets it back as it was built: its settings, its own photo and
    search folders, no gateway or cached list left by the test before, rate limits reset."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.config = dict(app.config)
        self.extensions = dict(app.extensions)

    def ready(self, test_db: PerTestDatabase, folder: Path) -> Flask:
        from market.core.extensions import limiter

        app = self.app
        app.config.clear()
        app.config.update(self.config, MEDIA_DIR=str(folder / "media"), SEARCH_INDEX_DIR=str(folder / "search"))
        app.instance_path = str(folder / "instance")
        taxonomy = app.extensions.get("haat.taxonomy")  # the categories: reference data the migrations wrote
        if app.extensions.get("haat.taxonomy_changed"):  # a test changed categories (rolled back): read again
            taxonomy = None
        app.extensions.clear()
        app.extensions.update(self.extensions, **{"haat.gateways": {}})
        if taxonomy is not None:
            app.extensions["haat.taxonomy"] = taxonomy
        test_db.attach(app)
        with app.app_context():
            limiter.reset()
        return app


@pytest.fixture(scope="session")
def _shared_apps(database_url, tmp_path_factory):
    """Two apps for the whole run: the one requests go to (`app`) and the one the test's `session` lives in."""
    folder = tmp_path_factory.mktemp("apps")
    apps = [SharedApp(build_app(database_url, folder / name)) for name in ("serving", "checking")]
    yield apps
    for shared in apps:
        shared.extensions["haat.db"].kw["bind"].dispose()


@pytest.fixture
def make_app(database, tmp_path):
    """Build an app of its own on the test database with extra settings (create_app runs again: use `app`
    unless the settings differ)."""
    apps = []

    def build(**overrides):
        from market.core.extensions import limiter

        app = build_app(database.url, tmp_path, **overrides)
        engine = app.extensions["haat.db"].kw["bind"]
        database.attach(app)
        with app.app_context():
            limiter.reset()
        apps.append(engine)
        return app

    yield build
    for engine in apps:
        engine.dispose()


def check_ledger_balances(url: str) -> None:
    """After every test: each ledger entry sums to zero, so the whole ledger does too."""
    engine = make_engine(url)
    with engine.connect() as conn:
        assert_ledger_balances(conn)
    engine.dispose()


def assert_ledger_balances(conn: sa.Connection) -> None:
    unbalanced = conn.execute(sa.text("SELECT entry_id, SUM(amount_paise) FROM ledger_postings "
                                      "GROUP BY entry_id HAVING SUM(amount_paise) <> 0")).all()
    total = conn.execute(sa.text("SELECT COALESCE(SUM(amount_paise), 0) FROM ledger_postings")).scalar()
    assert not unbalanced and total == 0, f"the ledger does not balance: {unbalanced}, total {total}"


REFERENCE_TABLES = {"categories"}  # rows written by the migrations themselves
MIGRATED: dict[str, dict[str, list[dict]]] = {}  # per database, those rows as migrated


def empty_all_tables(url: str) -> None:
    """Delete every row but the migrations' reference data, children first, so the next test starts clean; the
    reference data goes back as migrated (a test may have added, renamed, merged or retired a category)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())
        for name, rows in MIGRATED.get(url, {}).items():
            table = Base.metadata.tables[name]
            if sorted(map(tuple, conn.execute(sa.select(table)))) != sorted(tuple(r.values()) for r in rows):
                if "parent_id" in table.c:  # a tree: no row points at another while they go
                    conn.execute(table.update().values(parent_id=None))
                conn.execute(table.delete())
                conn.execute(table.insert(), sorted(rows, key=lambda r: r["id"]))
    engine.dispose()


@pytest.fixture
def app(_shared_apps, database, tmp_path):
    """The app requests go to: built once per run, clean for each test, on this test's database. A test may change
    settings read at request time (app.config.update): they are put back for the next test. Settings that
    create_app reads (CSRF, rate limits, the database) need an app of their own: make_app(**settings)."""
    return _shared_apps[0].ready(database, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(_shared_apps, database, tmp_path):
    """A session for arranging and checking data.

    It lives in the context of a second app on the same database: a request from `client` then
    pushes its own app context (Flask reuses a pushed context of the *same* app, which would share
    `g`, the logged-in user and the session between the test and every request). Call
    `reload(session)` after requests to see what they committed.
    """
    from market.core import db

    checking = _shared_apps[1]
    with checking.ready(database, tmp_path).app_context():
        yield db.session


@pytest.fixture
def world(session):
    """Two organisations in two states with groups, members and businesses, and one account per role."""
    return factories.world(session)


SAVEPOINTS = ("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")


@contextlib.contextmanager
def statements_sent(engine) -> Iterator[list[str]]:
    """The SQL statements sent on this engine inside the block (not the savepoints that keep each test's rows in
    one transaction): work counted, not timed."""
    seen: list[str] = []

    def keep(_conn, _cursor, statement, *_args):
        if not statement.startswith(SAVEPOINTS):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)


def reload(session) -> None:
    """End the test's transaction and forget loaded rows, to see what requests committed since."""
    session.rollback()
    session.expire_all()


def login(client, user_login: str, password: str = factories.PASSWORD, **extra):
    """Log in through the real form and return the response."""
    return client.post("/auth/login", data={"login": user_login, "password": password, **extra})


class CodeSender:
    """Keeps what the notify worker sends by e-mail."""

    def __init__(self):
        self.sent = []

    def send(self, to, subject, body, reference):
        self.sent.append((to, body))


def code_sent_to(session, login_value: str, digits: int = 8) -> str:
    """The code (sign-up: 8 digits; password: 6) as the notify worker sends it to the e-mail, or by SMS through
    the real DLT client to the local fake provider (read from what it sent)."""
    from market.core.notifications import deliver_all
    from tests.fakes.sms import dlt, sms_server

    email = CodeSender()
    with sms_server() as fake:
        deliver_all(session, email, dlt(fake))
        texts = [m["body"] for m in fake.messages(login_value)]
    [body] = [body for to, body in email.sent if to == login_value] + texts
    return re.search(rf"\b(\d{{{digits}}})\b", body).group(1)


def csrf_token(html: str) -> str:
    """The CSRF token from a rendered form."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


ROLES = [str(r) for r in Role]
