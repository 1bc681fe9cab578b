"""The language: chosen at the first visit, remembered, and the pages in it."""

from __future__ import annotations

import flask
import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from catalog.browse import CardPhoto
from catalog.views import product_url, renditions
from market import ROOT, kept_url_for, language_links
from market.core.config import LOCALES
from market.core.i18n import language
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


def test_a_request_works_its_language_out_once_and_again_under_force_locale(app):
    with app.test_request_context("/shop", headers={"Cookie": "lang=ta"}):
        here = language()
        assert here.code == "ta" and language() is here  # kept for the rest of the request
        with force_locale("hi"):  # an SMS to a Hindi reader, sent while a Tamil page is made
            assert language().code == "hi"
            assert language().translations.ugettext("Sold out") == gettext("Sold out") == translated("hi", "Sold out")
        assert language() is not here and language().code == "ta"  # her own again, worked out afresh


def test_links_written_without_the_router_are_the_routers(app):
    template_url_for = kept_url_for()
    for root in ("", "/haat"):
        with app.test_request_context("/shop?q=a b", base_url=f"http://localhost{root}"):
            for endpoint, values in (("static", {"filename": "css/haat.css"}), ("main.home", {}),
                                     ("orders.cart", {}), ("catalog.product", {"product_id": 7})):
                assert template_url_for(endpoint, **values) == flask.url_for(endpoint, **values)
                assert template_url_for(endpoint, **values) == flask.url_for(endpoint, **values)  # kept
            assert product_url(42) == product_url("") + "42" == flask.url_for("catalog.product", product_id=42)
            assert [link for _code, _name, link in language_links("/shop?q=a b")] == [
                flask.url_for("main.set_language", code=code, next="/shop?q=a b") for code in LOCALES]
            photo = CardPhoto("k3yK3y-_abc", 1080, 1440, "160,320,640,1080")
            links = renditions(photo)
            assert links.src == flask.url_for("catalog.media", key=photo.key, width=320, ext="jpg")
            assert links.webp.split(", ")[-1] == flask.url_for("catalog.media", key=photo.key, width=1080,
                                                               ext="webp") + " 1080w"
            assert renditions(photo, smallest_only=True).jpg == flask.url_for(
                "catalog.media", key=photo.key, width=160, ext="jpg") + " 160w"
