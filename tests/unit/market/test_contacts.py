"""Contact hiding measured both ways on tests/unit/market/contact_corpus.py, and its details."""

import re

import pytest

from market.core.security import hide_contacts
from tests.unit.market.contact_corpus import CONTACTS, ORDINARY


def left_of(text: str) -> str:
    """The text folded for comparison: every script's digits written 0-9, no separators, lower case."""
    import unicodedata
    text = "".join(str(d) if (d := unicodedata.decimal(c, None)) is not None else c
                   for c in unicodedata.normalize("NFKC", text))
    return re.sub(r"[\W_]", "", text).lower()


def test_corpus_is_big_enough():
    assert len(CONTACTS) >= 200 and len(ORDINARY) >= 200


def test_contacts_are_hidden_and_ordinary_messages_kept():
    """>= 98% of the contacts hidden (nothing of them left), <= 1% of ordinary messages touched."""
    missed = [text for text, key in CONTACTS if key in left_of(hide_contacts(text)) or hide_contacts(text) == text]
    touched = [(text, hide_contacts(text)) for text in ORDINARY if hide_contacts(text) != text]
    hidden_rate = 1 - len(missed) / len(CONTACTS)
    touched_rate = len(touched) / len(ORDINARY)
    print(f"\ncontacts hidden: {len(CONTACTS) - len(missed)}/{len(CONTACTS)} = {hidden_rate:.1%}; "
          f"ordinary messages touched: {len(touched)}/{len(ORDINARY)} = {touched_rate:.1%}")
    print("missed:", missed, "\ntouched:", touched)
    assert hidden_rate >= 0.98, missed
    assert touched_rate <= 0.01, touched


@pytest.mark.parametrize(("text", "expected"), [
    ("call 98123.45678 after 6, Rs 450 each", "call […] after 6, Rs 450 each"),
    ("मेरा नंबर ९८१२३ ४५६७८ है, दाम ₹४५०", "मेरा नंबर […] है, दाम ₹४५०"),
    ("Ａsha: ９８１２３\u200b４５６７８ ok", "Ａsha: […] ok"),
    ("write asha [at] gmail [dot] com please", "write […] please"),
    ("nine eight one two three four five six seven eight, size 40", "[…], size 40"),
])
def test_only_the_contact_is_replaced_and_her_other_words_stay_as_written(text, expected):
    assert hide_contacts(text) == expected


def test_spans_point_into_the_original_text():
    from market.core.security import contact_spans
    text = "फोन: ९८१२३\u00ad४५६७८ — asha＠gmail．com"
    assert [(text[s:e], kind) for s, e, kind in contact_spans(text)] == [
        ("९८१२३\u00ad४५६७८", "phone"), ("asha＠gmail．com", "email")]
