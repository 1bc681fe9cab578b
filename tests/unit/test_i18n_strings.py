"""Guard: no template shows English that the translators cannot reach.

Every template is lexed with the app's own Jinja environment. The text between `{{ }}` and `{% %}` (Jinja's
`data` tokens) is put back together with a marker for each expression or tag, and read by an HTML parser:
what a person sees or hears (text, and the attributes below) must hold no Latin letters, because visible
words come from `{{ _("...") }}`. A literal word there would stay English in Hindi, Tamil or Bengali.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from market import create_app

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"

# Attributes that a screen reader reads out or a browser shows; written literally they would stay English.
SPOKEN_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "aria-description", "aria-roledescription",
                     "aria-valuetext", "aria-placeholder", "label"}
BUTTON_INPUT_TYPES = {"submit", "button", "reset"}  # their `value` is the button's visible label

# Words that stay the same in every language: say why before adding one.
ALLOWED_WORDS = {
    "Haat",  # the brand name, written in Latin letters on every language's page
    "UPI",  # the name of India's payment system, as printed on every UPI app and QR sticker
    "CSV", "Excel",  # file formats, named as the spreadsheet program on her laptop names them in any language
}

MARKER = "\x00"  # stands in for a `{{ }}` or `{% %}`: never a letter, so it never counts as English
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
NOT_TEXT = {"script", "style"}  # their content is code, not words for people


def untranslated(text: str) -> list[str]:
    """The Latin-letter words in `text` that are not in the allowlist."""
    return [w for w in LATIN_WORD.findall(text.replace(MARKER, " ")) if w not in ALLOWED_WORDS]


class _Finder(HTMLParser):
    """Collects (line, what, words) for visible text and spoken attributes holding literal English."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities such as &amp; become characters, not words
        self.found: list[tuple[int, str, list[str]]] = []
        self._skip_depth = 0

    def handle_starttag(self, tag, attrs):
        self._check_attrs(tag, attrs)
        if tag in NOT_TEXT:
            self._skip_depth += 1

    def handle_startendtag(self, tag, attrs):
        self._check_attrs(tag, attrs)

    def handle_endtag(self, tag):
        if tag in NOT_TEXT and self._skip_depth:
            self._skip_depth -= 1

    def handle_data(self, data):
        if self._skip_depth:
            return
        words = untranslated(data)
        if words:
            self.found.append((self._line_of(data), "text", words))

    def _check_attrs(self, tag, attrs):
        # `{% if x %}selected{% endif %}` inside a tag leaves markers around the attribute's name.
        named = {name.replace(MARKER, "").strip(): value or "" for name, value in attrs}
        spoken = [name for name in named if name in SPOKEN_ATTRIBUTES]
        if tag == "input" and named.get("type", "").replace(MARKER, "").strip().lower() in BUTTON_INPUT_TYPES:
            spoken.append("value")
        if tag == "meta" and named.get("name") == "description":  # what search results show under the link
            spoken.append("content")
        for name in spoken:
            words = untranslated(named[name])
            if words:
                self.found.append((self.getpos()[0], f"<{tag} {name}=…>", words))

    def _line_of(self, data: str) -> int:
        # getpos() is where the text starts; report the line of its first word, the one to fix.
        line = self.getpos()[0]
        first = LATIN_WORD.search(data.replace(MARKER, " "))
        return line + data[: first.start()].count("\n") if first else line


def template_source_with_markers(env, source: str, name: str) -> str:
    """The template with every Jinja construct replaced by MARKER, keeping each data token on its own line.

    Text inside `{% trans %}...{% endtrans %}` is translated, so it counts as a construct too.
    """
    out: list[str] = []
    line = 1
    in_data = in_trans = False
    previous = None
    for lineno, kind, value in env.lex(source, name):
        if lineno > line:  # a multi-line `{{ }}` or `{% %}`: keep later text on its real line number
            out.append("\n" * (lineno - line))
            line = lineno
        if previous == "block_begin" and kind == "name":
            in_trans = value in ("trans", "pluralize") or (in_trans and value != "endtrans")
        if kind != "whitespace":
            previous = kind
        if kind == "data" and not in_trans:
            out.append(value)
            line += value.count("\n")
            in_data = True
        else:  # its newlines come back as padding before the next token
            if in_data or not out or out[-1] != MARKER:
                out.append(MARKER)
            in_data = False
    return "".join(out)


def find_untranslated(env, source: str, name: str) -> list[str]:
    """Problems in one template, each as 'name:line: what: words'."""
    finder = _Finder()
    finder.feed(template_source_with_markers(env, source, name))
    finder.close()
    return [f"{name}:{line}: {what}: {' '.join(words)}" for line, what, words in finder.found]


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory):
    """The app with its Jinja environment; no database is touched."""
    tmp = tmp_path_factory.mktemp("i18n")
    return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": "sqlite://", "WTF_CSRF_ENABLED": False,
                       "MEDIA_DIR": str(tmp / "media"), "SEARCH_INDEX_DIR": str(tmp / "search")})


@pytest.fixture(scope="module")
def env(bare_app):
    return bare_app.jinja_env


def all_templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def test_templates_exist():
    assert len(all_templates()) > 20


@pytest.mark.parametrize("path", all_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_has_no_untranslated_text(env, path):
    problems = find_untranslated(env, path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not problems, "English outside {{ _(...) }}:\n" + "\n".join(problems)


BARE = """{% extends "base.html" %}
{% block content %}
<h1>{{ _("Cart") }}</h1>
<p class="empty">Your cart is empty.</p>
<input name="q" placeholder="Search kurti">
<img src="{{ url }}" alt="{{ _('Photo') }}"><img src="x.png" alt="Photo {{ n }}">
<button aria-label="{{ _('Close') }}">{{ icon('x') }}</button>
<p>{% if paid %}Paid{% else %}{{ _("Not paid") }}{% endif %} &amp; done</p>
<input type="submit" value="Send">
{% endblock %}
"""


def test_the_guard_catches_bare_english(env):
    problems = find_untranslated(env, BARE, "example.html")
    assert problems == [
        "example.html:4: text: Your cart is empty",
        "example.html:5: <input placeholder=…>: Search kurti",
        "example.html:6: <img alt=…>: Photo",
        "example.html:8: text: Paid done",
        "example.html:9: <input value=…>: Send",
    ]


def test_the_guard_passes_wrapped_text_markup_and_the_allowlist(env):
    clean = """<!doctype html>
<title>{% block title %}{% endblock %} · Haat</title>
<a class="brand" href="/"><svg class="icon"></svg><span>Haat</span></a>
<p class="price">{{ 100|inr }} · UPI</p>
<option value="{{ v }}" {% if v == 1 %}selected{% endif %}>{{ label }}</option>
<img src="{{ src }}" alt="" width="56">
<!-- a note for developers, not shown -->
<p>{{ _("Pay %(amount)s", amount=total) }}&nbsp;›</p>
<p>{% trans n=3 %}{{ n }} shops{% endtrans %}</p>
"""
    assert find_untranslated(env, clean, "clean.html") == []


# -- WTForms' own messages ("Not a valid choice.") go through Haat's catalogue too ----------------------------

def _catalogue(locale: str, messages: dict):
    """A compiled catalogue in memory: {msgid: msgstr} or {(singular, plural): (msgstr, ...)}."""
    import io

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.support import Translations

    catalog = Catalog(locale=locale)
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def _errors(bare_app, data: dict) -> dict:
    from wtforms import IntegerField, StringField
    from wtforms.validators import Length, NumberRange

    from market.core.i18n import HaatForm

    class Example(HaatForm):
        count = IntegerField(validators=[NumberRange(1, 10)])
        name = StringField(validators=[Length(max=3)])

    with bare_app.test_request_context(method="POST", data=data):
        form = Example()
        form.validate()
        return form.errors


def test_wtforms_messages_are_translated_by_haat_catalogue(bare_app, monkeypatch):
    import market.core.i18n

    pseudo = _catalogue("hi", {  # stand-ins, not translations: the real catalogues are written elsewhere
        "Not a valid integer value.": "[hi] not a whole number",
        ("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters."):
            ("[hi] at most %(max)d letter", "[hi] at most %(max)d letters"),
    })
    monkeypatch.setattr(market.core.i18n, "get_translations", lambda: pseudo)
    errors = _errors(bare_app, {"count": "abc", "name": "toolong"})
    assert errors["count"][0] == "[hi] not a whole number"
    assert errors["name"] == ["[hi] at most 3 letters"]


def test_wtforms_messages_stay_wtforms_english_without_a_translation(bare_app):
    errors = _errors(bare_app, {"count": "50", "name": "toolong"})
    assert errors == {"count": ["Number must be between 1 and 10."],
                      "name": ["Field cannot be longer than 3 characters."]}


def test_wtforms_own_catalogue_answers_what_haat_has_not_translated(bare_app, monkeypatch):
    from babel.support import NullTranslations
    from wtforms.i18n import get_translations as wtforms_translations

    import market.core.i18n

    monkeypatch.setattr(market.core.i18n, "get_translations", NullTranslations)  # Haat's catalogue has nothing
    tamil = wtforms_translations(["ta"]).gettext("Not a valid integer value.")
    assert tamil != "Not a valid integer value."
    with bare_app.test_request_context(method="POST", data={"count": "abc"}, headers={"Cookie": "lang=ta"}):
        from wtforms import IntegerField

        class Example(market.core.i18n.HaatForm):
            count = IntegerField()

        form = Example()
        form.validate()
        assert form.errors["count"] == [tamil]
