"""Every language's catalogue is complete, keeps each placeholder, and holds every string the code shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from market import ROOT
from market.core.config import LOCALES

TRANSLATED = sorted(code for code in LOCALES if code != "en_IN")  # English is the source
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%|\{[a-z]+\}")
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "N_": None,
            "ngettext": (1, 2), "lazy_ngettext": (1, 2)}
SKIPPED = {".venv", "tests", "bench", "migrations", "instance", "translations", "static"}


def catalogue(code: str):
    with (ROOT / "translations" / code / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=code)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def in_code() -> set[str]:
    """Every msgid the code and templates use, extracted as `make messages` does."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)

    def wanted(path: str) -> bool:
        return not SKIPPED.intersection(Path(path).parts)

    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=wanted):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders(code):
    problems = []
    for message in catalogue(code):
        if not message.id:
            continue  # the header
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(f"not translated: {ids[0]!r}")
            continue
        for n, text in enumerate(strings):
            english = ids[min(n, len(ids) - 1)]
            if placeholders(text) - placeholders(english) or placeholders(english) - placeholders(text) - {
                    "%(num)s", "%(num)d"}:  # a plural form may say "one" in words instead of the count
                problems.append(f"placeholders differ: {english!r} -> {text!r}")
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("code", TRANSLATED)
def test_babel_finds_no_format_errors(code):
    errors = [(message.id, [str(e) for e in errs]) for message, errs in catalogue(code).check()]
    assert errors == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalogue_holds_every_string_the_code_shows(code, in_code):
    held = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalogue(code) if m.id}
    missing = sorted(in_code - held)
    assert not missing, f"run `make messages` and translate: {missing[:10]}"
