import pytest

from market import create_app
from market.config import ConfigError, normalise_database_url


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    monkeypatch.delenv("HAAT_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://"})


def test_production_refuses_to_start_without_a_database():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_app({"ENV": "production", "SECRET_KEY": "x" * 32})


def test_production_cookies_are_secure():
    app = create_app({"ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_settings_come_from_haat_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("HAAT_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("HAAT_LOGIN_LIMIT_PER_ACCOUNT", "3 per minute")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "3 per minute"
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/x.db"


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"])
def test_postgres_urls_use_psycopg3(url):
    assert normalise_database_url(url) == "postgresql+psycopg://u@h/db"
