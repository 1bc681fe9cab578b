"""The fonts served from static/fonts: what market/fonts.py makes, with the shaping tables Indic scripts need."""

from __future__ import annotations

import pytest
from fontTools import subset
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


def _features(font: TTFont) -> set[str]:
    return {r.FeatureTag for r in font["GSUB"].table.FeatureList.FeatureRecord} if "GSUB" in font else set()


@pytest.mark.parametrize("script, name", [("devanagari", "हिन्दी मराठी"), ("bengali", "বাংলা"), ("tamil", "தமிழ்"),
                                          ("telugu", "తెలుగు"), ("kannada", "ಕನ್ನಡ")])
def test_the_language_names_ship_in_tiny_files_of_their_own_letters(script, name, tmp_path):
    """A phone without the script's font still shows the name on the language chooser: the names file has its
    letters, every shaping rule the whole script's file applies to them, and hardly anything else."""
    path = STATIC / "fonts" / f"noto-{script}-names.woff2"
    font = TTFont(path)
    letters = [ord(c) for c in name if not c.isspace()]
    assert set(letters) <= set(font.getBestCmap())
    assert set(letters) <= set(fonts.unicodes(fonts.names_range(script)))
    options = subset.Options()
    options.layout_features = ["*"]
    whole = TTFont(STATIC / "fonts" / f"noto-{script}-regular.woff2")
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[*fonts.name_letters(script), 0x200C, 0x200D, 0x25CC])  # as make() does
    subsetter.subset(whole)
    assert _features(font) == _features(whole)  # the rules that shape these letters, all kept
    assert ("GPOS" in font) == ("GPOS" in whole)
    assert path.stat().st_size < 6 * 1024


def test_the_language_buttons_use_the_names_files():
    css = (STATIC / "css" / "haat.css").read_text(encoding="utf-8")
    assert '.language-choices button, .lang-list button { font-family: "Haat Names"' in css
