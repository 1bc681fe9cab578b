"""Health, language, error pages."""

import sqlalchemy as sa

from market.core.models import User
from tests.conftest import login, reload
from tests.factories import gen_user


def test_healthz_answers_200_with_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_without_the_database(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/haat.db")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"


def test_language_is_remembered_for_visitors_and_saved_for_accounts(client, session):
    response = client.post("/language/hi?next=/auth/login")
    assert response.headers["Location"] == "/auth/login"
    assert 'lang="hi"' in client.get("/").text
    user = gen_user(session)
    session.commit()
    login(client, user.email)
    client.post("/language/ta")
    reload(session)
    assert session.get(User, user.id).locale == "ta"
    other = client.application.test_client()
    login(other, user.email)
    assert 'lang="ta"' in other.get("/").text


def test_unknown_language_and_foreign_next_are_refused(client):
    assert client.post("/language/xx").status_code == 404
    assert client.post("/language/hi?next=https://evil.example").headers["Location"] == "/"


def test_browser_language_is_used_at_first_visit(client):
    assert 'lang="bn"' in client.get("/", headers={"Accept-Language": "bn-IN,bn;q=0.9"}).text
    assert 'lang="en-IN"' in client.get("/", headers={"Accept-Language": "fr"}).text


def test_not_found_and_server_error_pages_are_friendly(make_app, session):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("fault injected by the test")

    client = app.test_client()
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and "could not find" in missing.text
    broken = client.get("/boom")
    assert broken.status_code == 500 and "Nothing was changed" in broken.text
    assert "fault injected" not in broken.text
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
