"""Noto Sans for every script Haat speaks, served from static/fonts (no font CDN).

`flask --app market make-fonts` cuts each script's Noto Sans (from the system's fonts-noto-core, or a folder
given) down to that script's letters plus the punctuation and digits pages use, keeping every OpenType layout
feature (conjuncts and vowel signs of Indic scripts are built by GSUB/GPOS: without them the text breaks),
dropping hinting, as WOFF2. The CSS lists each file with its `unicode-range`, so a browser downloads only the
scripts a page really shows: an English page gets the Latin file, a Hindi page the Devanagari one beside it.
Indic scripts ship one weight (regular) to keep a first visit small; headings use the browser's bold.
The language chooser names each language in its own script on every page, whatever the page's language: a
phone without that script's font would show boxes. So each Indic script also ships a tiny file of the letters of
its languages' names only ("Haat Names", a few KB each, asked for only where a name is shown).
The files are committed; run this again only to change the fonts.
"""

from __future__ import annotations

from pathlib import Path

from market.core.config import LOCALES

COMMON = "U+0020-007E, U+00A0-00FF, U+2010-2027, U+2030-205E, U+20B9, U+25CC"  # Latin-1, punctuation, ₹, ◌
SCRIPTS = {  # file stem -> (source font, unicode-range beyond COMMON or None for Latin, weights)
    "latin": ("NotoSans", None, ("Regular", "Bold")),
    "devanagari": ("NotoSansDevanagari", "U+0900-097F, U+1CD0-1CFF, U+A8E0-A8FF, U+200C-200D, U+25CC",
                   ("Regular",)),
    "bengali": ("NotoSansBengali", "U+0980-09FF, U+0964-0965, U+200C-200D, U+25CC", ("Regular",)),
    "tamil": ("NotoSansTamil", "U+0B80-0BFF, U+0964-0965, U+200C-200D, U+25CC", ("Regular",)),
    "telugu": ("NotoSansTelugu", "U+0C00-0C7F, U+0964-0965, U+200C-200D, U+25CC", ("Regular",)),
    "kannada": ("NotoSansKannada", "U+0C80-0CFF, U+0964-0965, U+200C-200D, U+25CC", ("Regular",)),
}
FIRST_SCRIPT = {"bn": "bengali", "ta": "tamil", "te": "telugu", "kn": "kannada"}  # Hindi, Marathi: Devanagari
SOURCE = Path("/usr/share/fonts/truetype/noto")


def name_letters(stem: str) -> list[int]:
    """The code points of the languages' own names written in this script (the language chooser's buttons)."""
    ranges = SCRIPTS[stem][1]
    if ranges is None:
        return []
    own = set(unicodes(ranges))
    return sorted({ord(c) for name in LOCALES.values() for c in name if ord(c) in own})


def names_range(stem: str) -> str:
    """The unicode-range of a script's names file: exactly the letters of the names."""
    return ", ".join(f"U+{c:04X}" for c in name_letters(stem))


def unicodes(ranges: str) -> list[int]:
    found: list[int] = []
    for part in ranges.split(","):
        low, _sep, high = part.strip().removeprefix("U+").partition("-")
        found.extend(range(int(low, 16), int(high or low, 16) + 1))
    return found


def make(target: Path, source: Path = SOURCE) -> list[Path]:
    """Write the WOFF2 subsets into `target`; returns the files written."""
    from fontTools import subset

    target.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, (family, ranges, weights) in SCRIPTS.items():
        for weight in weights:
            options = subset.Options()
            options.flavor = "woff2"
            options.layout_features = ["*"]  # all of GSUB/GPOS: Indic shaping needs them
            options.hinting = False
            options.desubroutinize = True
            options.name_IDs = ["*"]
            font = subset.load_font(str(source / f"{family}-{weight}.ttf"), options)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=unicodes(ranges or COMMON))
            subsetter.subset(font)
            out = target / f"noto-{stem}-{weight.lower()}.woff2"
            subset.save_font(font, str(out), options)
            written.append(out)
        if letters := name_letters(stem):  # the names of its languages only, shaping kept
            font = subset.load_font(str(source / f"{family}-Regular.ttf"), options)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=[*letters, 0x200C, 0x200D, 0x25CC])
            subsetter.subset(font)
            out = target / f"noto-{stem}-names.woff2"
            subset.save_font(font, str(out), options)
            written.append(out)
    return written


def css(folder: Path | None = None) -> str:
    """The @font-face rules and font stacks for static/css/fonts.css: one family per script, each page's own
    script first after Latin (so a Bengali page's danda comes from the Bengali file, not the Devanagari one)."""
    import hashlib

    folder = folder or Path(__file__).resolve().parents[2] / "static" / "fonts"
    rules = []
    for stem, (_family, ranges, weights) in SCRIPTS.items():
        for weight in weights:
            name = f"noto-{stem}-{weight.lower()}.woff2"
            version = hashlib.sha256((folder / name).read_bytes()).hexdigest()[:12]  # cached for a year by URL
            rules.append(
                f'@font-face {{ font-family: "Haat {stem.title()}"; font-style: normal; '
                f'font-weight: {700 if weight == "Bold" else 400}; font-display: swap;\n'
                f'  src: url("../fonts/{name}?v={version}") format("woff2");\n'
                f'  unicode-range: {ranges or COMMON}; }}')
    for stem, (family, _ranges, _weights) in SCRIPTS.items():
        if name_letters(stem):
            name = f"noto-{stem}-names.woff2"
            version = hashlib.sha256((folder / name).read_bytes()).hexdigest()[:12]
            spaced = " ".join(part for part in ("Noto Sans", family.removeprefix("NotoSans")) if part)
            rules.append(
                f'@font-face {{ font-family: "Haat Names"; font-style: normal; font-weight: 400; font-display: swap;\n'
                f'  src: local("{spaced} Regular"), local("{family}-Regular"), url("../fonts/{name}?v={version}") '
                f'format("woff2");\n'
                f'  unicode-range: {names_range(stem)}; }}')
    scripts = [s for s in SCRIPTS if s != "latin"]

    def stack(first: str | None) -> str:
        ordered = ["latin"] + ([first] if first else []) + [s for s in scripts if s != first]
        return ", ".join(f'"Haat {s.title()}"' for s in ordered) + ", system-ui, sans-serif"

    rules.append(f":root {{ font-family: {stack(None)}; }}")
    rules.extend(f":root:lang({code}) {{ font-family: {stack(script)}; }}" for code, script in FIRST_SCRIPT.items())
    return "/* Made by `flask --app market make-fonts` (market/fonts.py): do not edit by hand. */\n" + \
        "\n".join(rules) + "\n"
