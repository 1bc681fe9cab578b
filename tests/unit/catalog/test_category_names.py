"""Category names: every name the migrations write is in the catalogues, and is shown in the page's language."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from catalog.category_names import CATEGORY_NAMES, category_name
from catalog.models import Category
from market import ROOT
from market.core.config import LOCALES

TRANSLATED = sorted(code for code in LOCALES if code != "en_IN")


def test_every_category_the_migrations_write_is_listed_for_translation(session):
    names = set(session.scalars(select(Category.name)))
    assert len(names) >= 25  # the four trades and their kinds: a test on no rows would prove nothing
    missing = sorted(names - set(CATEGORY_NAMES))
    assert not missing, f"add these to catalog/category_names.py, then `make messages` and translate: {missing}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_category_name_has_a_translation(code):
    with (ROOT / "translations" / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale=code)
    untranslated = [name for name in CATEGORY_NAMES
                    if name not in catalogue or catalogue[name].string in ("", name) or catalogue[name].fuzzy]
    assert not untranslated, f"{code}: {untranslated}"


def test_a_name_is_shown_in_the_requests_language_and_kept_when_unknown(app):
    with app.test_request_context(headers={"Accept-Language": "ta"}):
        assert category_name("Sarees") == "புடவைகள்"
        assert category_name("Children's wear") == "குழந்தைகள் ஆடைகள்"
        assert category_name("Hand-painted tiles") == "Hand-painted tiles"  # an admin's new one, not yet translated
        assert category_name("") == ""  # not the catalogue's header
    with app.test_request_context(headers={"Accept-Language": "en-IN"}):
        assert category_name("Sarees") == "Sarees"
