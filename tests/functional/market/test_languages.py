"""The language: chosen at the first visit, remembered, and the pages in it."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from market import ROOT
from market.core.config import LOCALES
from tests.conftest import csrf_token, login


def translated(code: str, english: str) -> str:
    with (ROOT / "translations" / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        text = read_po(f, locale=code)[english].string
    assert text and text != english, f"{english!r} has no {code} translation"
    return text


def test_the_first_visit_asks_for_a_language_once(client):
    page = client.get("/shop").text
    assert "Choose your language" in page
    for code, name in LOCALES.items():  # a button of a form, which works without JavaScript
        assert f'formaction="/language/{code}?next=/shop" lang="{code.replace("_", "-")}">{name}</button>' in page
    chosen = client.post("/language/ta?next=/shop")
    assert chosen.headers["Location"] == "/shop" and "lang=ta" in chosen.headers["Set-Cookie"]
    assert 'id="first-language-title"' not in client.get("/shop").text


PANEL = 'id="first-language-title"'


def test_the_panel_stays_on_the_first_page_only_until_a_choice_or_not_now(client, world):
    assert PANEL in client.get("/shop").text
    assert PANEL in client.get("/shop").text  # the same first page again (a reload, back): still asking
    for later in ("/", "/cart", "/auth/login"):  # the next pages never
        assert PANEL not in client.get(later).text, later
    login(client, world.buyer.email)
    for later in ("/orders", "/checkout"):
        assert PANEL not in client.get(later, follow_redirects=True).text, later
    assert "Not now" in client.get("/shop").text
    answer = client.post("/language/later?next=/shop")
    assert answer.headers["Location"] == "/shop" and "lang_asked=later" in answer.headers["Set-Cookie"]
    assert "lang=" not in answer.headers["Set-Cookie"].replace("lang_asked=", "")  # no language chosen for her
    assert PANEL not in client.get("/shop").text


def test_a_new_visitor_who_says_not_now_is_not_asked_on_any_page(client):
    client.get("/p/1")
    client.post("/language/later")
    for later in ("/", "/shop", "/cart"):
        assert PANEL not in client.get(later).text, later


def test_a_language_chosen_before_logging_in_becomes_the_accounts(client, session, world):
    client.post("/language/hi")
    assert world.buyer.locale is None
    login(client, world.buyer.email)
    session.refresh(world.buyer)
    assert world.buyer.locale == "hi"
    client.delete_cookie("lang")
    page = client.get("/shop").text
    assert 'lang="hi"' in page and 'id="first-language-title"' not in page  # remembered by the account


@pytest.mark.parametrize("code", ["hi", "ta", "mr", "te", "kn", "bn"])
def test_pages_come_in_the_chosen_language(client, code):
    client.post(f"/language/{code}")
    page = client.get("/shop").text
    assert f'<html lang="{code}">' in page
    for english in ("Shops", "Cart", "Log in"):
        assert translated(code, english) in page, english


def test_choosing_a_language_on_a_page_shown_after_a_form_does_not_reopen_a_form_address(client):
    # The demo gateway's page answers a POST only: opened again by a link it would be "method not allowed".
    assert client.post("/language/hi?next=/payments/demo/pay").headers["Location"] == "/"
    assert client.post("/language/hi?next=/checkout").headers["Location"] == "/checkout"  # GET and POST
    assert client.post("/language/hi?next=/shop?sort=price_asc").headers["Location"] == "/shop?sort=price_asc"


def test_opening_a_language_address_changes_nothing(client, session, world):
    """A GET changes no state: a link (or an image on another site) cannot change her language."""
    login(client, world.buyer.email)
    response = client.get("/language/hi")
    assert response.status_code == 405 and "lang=" not in response.headers.get("Set-Cookie", "")
    session.refresh(world.buyer)
    assert world.buyer.locale is None


def test_the_language_form_needs_its_csrf_token(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    assert client.post("/language/hi").status_code == 400
    page = client.get("/shop").text
    assert client.post("/language/hi", data={"csrf_token": csrf_token(page)}).status_code == 302
