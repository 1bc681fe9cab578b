"""Public text (shop names and stories, product titles, descriptions, sizes, colours): no contact, not her name."""

import pytest

from market.core.security import PublicTextError, check_public_text, names_in

MEMBER = ["Sunita Kamble"]


@pytest.mark.parametrize("text", [
    "Sunita's pickles", "SUNITA PICKLES", "Pickles by sunita", "Kamble Crafts", "Sun\u200bita's papad",
    "Ｓｕｎｉｔａ pickles", "Sunita Kamble", "Aai's kitchen - Sunita",
])
def test_her_first_name_or_surname_as_a_whole_word_is_refused(text):
    assert names_in(text, MEMBER)


@pytest.mark.parametrize(("text", "names"), [
    ("Sunitafab sarees", MEMBER),  # not a whole word
    ("Kamblekar prints", MEMBER),
    ("Devi Crafts", ["Sunita Devi"]),  # a second name many members share
    ("Pooja thali set", ["Pooja Shinde"]),  # a word of the trade that is also her name
    ("Lakshmi idol, brass", ["Lakshmi Patil"]),
    ("Kaur Phulkari", ["Harpreet Kaur"]),
    ("Asha pickles", MEMBER),  # another woman's name
    ("Ram Navami diya", ["Ra Kamble"]),  # name parts under three letters are not compared
])
def test_common_words_and_other_names_are_not_refused_by_accident(text, names):
    assert not names_in(text, names)


@pytest.mark.parametrize(("fields", "field", "kind"), [
    ({"title": "Mango pickle", "description": "WhatsApp 98123.45678 for bulk"}, "description", "contact"),
    ({"public_name": "Papad by asha [at] gmail [dot] com"}, "public_name", "contact"),
    ({"story": "pay sunita@okhdfcbank"}, "story", "contact"),
    ({"variants-0-colour": "red, ९८१२३ ४५६७८"}, "variants-0-colour", "contact"),
    ({"title": "Sunita's pickles"}, "title", "name"),
])
def test_the_refusal_says_which_field_and_why(app, fields, field, kind):
    with app.test_request_context(), pytest.raises(PublicTextError) as caught:
        check_public_text(fields, MEMBER)
    assert (caught.value.field, caught.value.kind) == (field, kind)
    assert "For your safety" in str(caught.value)


def test_ordinary_listing_text_passes(app):
    check_public_text({"title": "Mango pickle 500 g", "description": "₹ 220, FSSAI 12345678901234, 180 days",
                       "variants-0-size": "38-40-42", "variants-0-colour": "Rani pink"}, MEMBER)
