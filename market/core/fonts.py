"""Noto Sans for every script Haat speaks, served from static/fonts (no font CDN).

`flask --app market make-fonts` cuts each script's Noto Sans (from the system's fonts-noto-core, or a folder
given) down to that script's letters plus the punctuation and digits pages use, keeping every OpenType layout
feature (conjuncts and vowel signs of Indic scripts are built by GSUB/GPOS: without them the text breaks),
dropping hinting, as WOFF2. The CSS lists each file with its `unicode-range`, so a browser downloads only the
scripts a page really shows: an English page gets the Latin file, a Hindi page the Devanagari one beside it.
Indic scripts ship one weight (regular) to keep a first visit small; headings use the browser's bold.
The files are committed; run this again only to change the fonts.
"""

from __future__ import annotations

from pathlib import Path

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
    scripts = [s for s in SCRIPTS if s != "latin"]

    def stack(first: str | None) -> str:
        ordered = ["latin"] + ([first] if first else []) + [s for s in scripts if s != first]
        return ", ".join(f'"Haat {s.title()}"' for s in ordered) + ", system-ui, sans-serif"

    rules.append(f":root {{ font-family: {stack(None)}; }}")
    rules.extend(f":root:lang({code}) {{ font-family: {stack(script)}; }}" for code, script in FIRST_SCRIPT.items())
    return "/* Made by `flask --app market make-fonts` (market/fonts.py): do not edit by hand. */\n" + \
        "\n".join(rules) + "\n"
