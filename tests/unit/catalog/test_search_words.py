"""The synonym and transliteration table (catalog/search/words.toml) and the spellings search forgives."""

from __future__ import annotations

import tomllib
import unicodedata

import pytest

from catalog.search import words
from catalog.search.query import SearchQuery, _best, edit_distance
from tests.factories import category

SCRIPTS = {"hi": (0x0900, 0x097F), "ta": (0x0B80, 0x0BFF), "te": (0x0C00, 0x0C7F), "kn": (0x0C80, 0x0CFF),
           "bn": (0x0980, 0x09FF)}  # Marathi is written in Devanagari


def raw_table() -> dict:
    return tomllib.loads(words.TABLE.read_text(encoding="utf-8"))


def test_the_table_reads_and_every_section_is_a_category(session):
    table = raw_table()
    assert words.vocabulary().lines  # no word with a space, none on two lines (read_table refuses both)
    for slug in set(table) - {"stop_words", "any"}:
        assert category(session, slug) is not None, slug


def test_every_word_is_written_as_search_compares_it():
    for section, lines in raw_table().items():
        for head, values in lines.items():
            for word in values if isinstance(values, list) else [w for ws in values.values() for w in ws]:
                assert word == words.normalise(word), (section, head, word)  # NFC, lower case, no joiners


def test_the_common_lines_cover_every_script():
    """The lines buyers meet most have a word in each of the scripts of Haat's six languages."""
    vocabulary = words.vocabulary()
    for head in ("saree", "pickle", "papad", "bangle", "earring", "basket"):
        line = vocabulary.lines[words._key(head)]
        for script, (low, high) in SCRIPTS.items():
            assert any(low <= ord(w[0]) <= high for w in line), (head, script)


def test_every_narrower_word_is_in_the_table_or_a_plain_word():
    vocabulary = words.vocabulary()
    for head, narrower in vocabulary.includes.items():
        assert head in vocabulary.lines
        assert all(w.isascii() or vocabulary.knows(w) for w in narrower)


def test_a_word_on_two_lines_or_with_a_space_is_refused():
    with pytest.raises(ValueError, match="two lines"):
        words.read_table('[sarees]\nsaree = ["sari"]\n[any]\nsilk = ["sari"]\n')
    with pytest.raises(ValueError, match="one word"):
        words.read_table('[pickles]\npickle = ["aam ka achar"]\n')


def test_a_line_finds_every_word_of_it_and_plurals_find_the_line():
    vocabulary = words.vocabulary()
    for typed in ("sari", "sarees", "साड़ी", "புடவை"):
        assert {"saree", "sari", "साड़ी", "புடவை", "చీర"} <= set(vocabulary.alternatives(typed))
    assert vocabulary.alternatives("tractor") == ["tractor"]


def test_stop_words_of_every_language_are_dropped():
    assert SearchQuery(text="आम का अचार").words == ["आम", "अचार"]
    assert SearchQuery(text="कैरीचे लोणचे आणि पापड").words == ["कैरीचे", "लोणचे", "पापड"]
    assert SearchQuery(text="Mango AND pickle").words == ["mango", "pickle"]


def test_query_words_are_normalised():
    decomposed = unicodedata.normalize("NFD", "Café")
    assert SearchQuery(text=decomposed).words == ["café"]
    assert SearchQuery(text="কু\u200cর্তি").words == ["কুর্তি"]  # a zero-width non-joiner is not a word break


@pytest.mark.parametrize(("typed", "meant"), [("neckless", "necklace"), ("nekles", None), ("braselet", "bracelet")])
def test_words_spelt_by_ear_get_one_edit_more(typed, meant):
    assert words.sound("neckless") == words.sound("necklace")
    assert _best(typed, [("necklace", 10), ("bracelet", 5), ("nestle", 1)]) == meant


def test_sounding_alike_is_not_enough_without_being_close():
    assert words.sound("kurti") == words.sound("karate")
    assert edit_distance("kurti", "karate") > 2
    assert _best("kurti", [("karate", 50)]) is None
