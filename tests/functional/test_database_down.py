"""The database fully down: every page is the app's own error page, not a bare server error.

The error page extends base.html, whose header wants the logged-in user (loaded by Flask-Login from the
database) and her unread notifications (counted in it). With the database unreachable both raise again while
the error page is rendered; the page must still come, showing the visitor as a guest.
"""

from __future__ import annotations

import contextlib

import pytest

from market.core.db import make_engine
from tests.conftest import login
from tests.factories import gen_user

UNREACHABLE = {
    "postgresql, nothing listening": "postgresql+psycopg://postgres@127.0.0.1:1/haat?connect_timeout=2",
    "sqlite, no such directory": "sqlite:////nonexistent-haat-dir/haat.db",
}
FRIENDLY = "Something went wrong on our side. Nothing was changed; please try again."


@pytest.fixture
def down_app(make_app):
    """An app on the test database, with `database_down(url)` to cut it off from it for a while."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)  # the visitor's error page, not the exception in the test
    return app


@contextlib.contextmanager
def database_down(app, url: str):
    """Point the app's sessions at a database that cannot be reached, then back."""
    factory = app.extensions["haat.db"]
    working = factory.kw["bind"]
    dead = make_engine(url)
    factory.configure(bind=dead)
    try:
        yield
    finally:
        factory.configure(bind=working)
        dead.dispose()


def assert_friendly_error_page(response) -> None:
    assert response.status_code in (500, 503), response.status_code
    html = response.get_data(as_text=True)
    assert FRIENDLY in html and 'class="error-page"' in html  # templates/errors/error.html, in base.html
    assert "Traceback" not in html and "OperationalError" not in html and "psycopg" not in html


@pytest.mark.parametrize("url", UNREACHABLE.values(), ids=UNREACHABLE.keys())
@pytest.mark.parametrize("path", ["/", "/shops", "/cart", "/auth/login"])
def test_a_guest_gets_the_friendly_error_page(down_app, url, path):
    client = down_app.test_client()
    with database_down(down_app, url):
        response = client.get(path)

    if response.status_code == 200:  # a page that needs no database at all is fine too
        assert FRIENDLY not in response.get_data(as_text=True)
    else:
        assert_friendly_error_page(response)


@pytest.mark.parametrize("url", UNREACHABLE.values(), ids=UNREACHABLE.keys())
@pytest.mark.parametrize("role", ["buyer", "entrepreneur"])
def test_a_logged_in_visitor_gets_the_friendly_error_page_as_a_guest_and_stays_logged_in(
        down_app, session, world, url, role):
    user = world.buyer if role == "buyer" else world.member_a.user
    client = down_app.test_client()
    assert login(client, user.email if role == "buyer" else user.phone).status_code == 302
    assert client.get("/auth/account").status_code == 200

    with database_down(down_app, url):
        for path in ("/", "/auth/account", "/auth/notifications"):
            response = client.get(path)
            assert_friendly_error_page(response)
            html = response.get_data(as_text=True)
            assert 'class="bell"' not in html and 'href="/auth/account"' not in html  # a guest's header

    back = client.get("/auth/account")  # the session cookie was kept: the database back, she is still in
    assert back.status_code == 200 and 'class="bell"' in back.get_data(as_text=True)


def test_the_unread_count_alone_failing_still_renders_the_page(make_app, session, monkeypatch):
    import sqlalchemy as sa

    from market.core import notifications

    app = make_app(PROPAGATE_EXCEPTIONS=False)
    buyer = gen_user(session)
    session.commit()
    client = app.test_client()
    login(client, buyer.email)

    def unreachable(*_args):
        raise sa.exc.OperationalError("SELECT count(*)", {}, Exception("server closed the connection"))

    monkeypatch.setattr(notifications, "unread_count", unreachable)
    response = client.get("/auth/account")
    assert response.status_code == 200 and 'class="bell"' in response.get_data(as_text=True)


def test_the_database_going_down_after_the_user_was_loaded_still_gives_the_error_page(make_app, session, world):
    """The user is loaded, then every statement fails: the handler's rollback expired her, and reading her again
    for the header fails too."""
    import sqlalchemy as sa
    from flask_login import current_user

    app = make_app(PROPAGATE_EXCEPTIONS=False)
    engine = app.extensions["haat.db"].kw["bind"]
    cut = []

    def refuse(*_args):
        raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))

    @app.before_request
    def load_the_user_then_go_down():
        if cut:
            assert current_user.is_authenticated and current_user.role == "buyer"  # loaded while it answers
            sa.event.listen(engine, "before_cursor_execute", refuse)

    client = app.test_client()
    assert login(client, world.buyer.email).status_code == 302
    cut.append(True)
    try:
        response = client.get("/")
    finally:
        sa.event.remove(engine, "before_cursor_execute", refuse)
    cut.clear()

    assert_friendly_error_page(response)
    assert 'class="bell"' not in response.get_data(as_text=True)
    assert client.get("/auth/account").status_code == 200
