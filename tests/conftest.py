"""Fixtures shared by every test: one migrated database per run, emptied after each test.

HAAT_TEST_DATABASE=postgres runs the suite against TEST_DATABASE_URL instead of a SQLite file.
HAAT_REQUIRE_ALL=1 (set by CI) turns a missing PostgreSQL or Chromium into a failure, never a skip.
"""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from alembic import command

from market import ROOT, create_app
from market.cli import alembic_config
from market.core.db import Base
from market.core.models import Role
from tests import factories

REQUIRE_ALL = os.environ.get("HAAT_REQUIRE_ALL") == "1"
ON_POSTGRES = os.environ.get("HAAT_TEST_DATABASE") == "postgres"


def unavailable(reason: str):
    """Skip a test whose service is missing here, unless CI demands that everything runs."""
    if REQUIRE_ALL:
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)  # only outside CI: a developer machine without the service


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only (what only a database server does: row locks, dropped connections) are left
    out of the SQLite pass, not skipped: `make test` runs them in its PostgreSQL pass, which CI requires."""
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
            with mo.open("wb") as target:
                write_mo(target, catalog)  # fuzzy translations are left out, as pybabel compile does


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A freshly migrated database for this test run."""
    if ON_POSTGRES:
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            unavailable("HAAT_TEST_DATABASE=postgres needs TEST_DATABASE_URL")
        from market.core.config import normalise_database_url

        url = normalise_database_url(url)
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
    return url


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_HASH_FAST": True,
    "WTF_CSRF_ENABLED": False,
    "SERVER_NAME": None,
    "IMPORTS_IN_BACKGROUND": False,  # one test runs them in a thread; the rest wait for the result
}


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build apps on the test database with extra settings; tables are emptied afterwards."""
    apps = []

    def build(**overrides):
        from market.core.extensions import limiter

        config = {**TEST_CONFIG, "DATABASE_URL": database_url, "MEDIA_DIR": str(tmp_path / "media"),
                  "SEARCH_INDEX_DIR": str(tmp_path / "search"), **overrides}
        app = create_app(config)
        app.instance_path = str(tmp_path / "instance")
        with app.app_context():
            limiter.reset()
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            from market.core.db import engine

            engine().dispose()
    try:
        check_ledger_balances(database_url)
    finally:
        empty_all_tables(database_url)


def check_ledger_balances(url: str) -> None:
    """After every test: each ledger entry sums to zero, so the whole ledger does too."""
    from market.core.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        unbalanced = conn.execute(sa.text("SELECT entry_id, SUM(amount_paise) FROM ledger_postings "
                                          "GROUP BY entry_id HAVING SUM(amount_paise) <> 0")).all()
        total = conn.execute(sa.text("SELECT COALESCE(SUM(amount_paise), 0) FROM ledger_postings")).scalar()
    engine.dispose()
    assert not unbalanced and total == 0, f"the ledger does not balance: {unbalanced}, total {total}"


REFERENCE_TABLES = {"categories"}  # rows written by the migrations themselves


def empty_all_tables(url: str) -> None:
    """Delete every row but the migrations' reference data, children first, so the next test starts clean."""
    from market.core.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(make_app):
    """A session for arranging and checking data.

    It lives in the context of a second app on the same database: a request from `client` then
    pushes its own app context (Flask reuses a pushed context of the *same* app, which would share
    `g`, the logged-in user and the session between the test and every request). Call
    `reload(session)` after requests to see what they committed.
    """
    from market.core import db

    with make_app().app_context():
        yield db.session


@pytest.fixture
def world(session):
    """Two organisations in two states with groups, members and businesses, and one account per role."""
    return factories.world(session)


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
