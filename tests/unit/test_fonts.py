"""The fonts served from static/fonts: what market/fonts.py makes, with the shaping tables Indic scripts need."""

from __future__ import annotations

import pytest
from fontTools.ttLib import TTFont

from market import ROOT
from market.core import fonts

STATIC = ROOT / "static"


def test_the_stylesheet_is_the_one_the_module_writes():
    assert (STATIC / "css" / "fonts.css").read_text(encoding="utf-8") == fonts.css()


@pytest.mark.parametrize("script, letters, features", [
    ("devanagari", "हिन्दी मराठी क्षत्र", {"half", "rphf", "blws", "pres", "akhn"}),
    ("bengali", "বাংলা ক্ষ", {"half", "rphf", "blws", "pres", "akhn"}),
    ("tamil", "தமிழ் க்ஷ", {"akhn", "half", "haln", "psts", "abvs"}),
    ("telugu", "తెలుగు క్ష", {"akhn", "blwf", "rphf", "psts", "abvs"}),
    ("kannada", "ಕನ್ನಡ ಕ್ಷ", {"akhn", "blwf", "rphf", "psts", "abvs"}),
])
def test_each_script_keeps_its_letters_and_its_shaping(script, letters, features):
    font = TTFont(STATIC / "fonts" / f"noto-{script}-regular.woff2")
    covered = font.getBestCmap()
    assert all(ord(c) in covered for c in letters if not c.isspace())
    assert 0x25CC in covered  # the dotted circle a shaper shows under a lone vowel sign
    kept = {record.FeatureTag for record in font["GSUB"].table.FeatureList.FeatureRecord}
    assert features <= kept, features - kept
    assert "GPOS" in font


def test_the_latin_file_has_the_rupee_sign():
    assert 0x20B9 in TTFont(STATIC / "fonts" / "noto-latin-regular.woff2").getBestCmap()
