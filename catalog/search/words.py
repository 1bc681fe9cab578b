"""The buyers' own words: one spelling of Indic text, the synonym table (words.toml) and words that sound alike.

Both backends search for a query word *or any word of its line* in words.toml, so "achar", "अचार" and
"ஊறுகாய்" find a product titled "Mango pickle", and "sari" finds "saree". The table is applied when the query is
read, not when products are indexed: a changed table needs no rebuild.
"""

from __future__ import annotations

import functools
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from whoosh.lang.porter import stem

TABLE = Path(__file__).with_name("words.toml")

# Letters with a nukta (क़ ड़ ঢ় ...) have a code point of their own that NFC never produces: NFC writes them as
# the letter and U+093C. Phone keyboards type either, and the stored titles are as typed, so a query word is
# searched in both spellings.
_PRECOMPOSED = {unicodedata.normalize("NFD", c): c for c in map(chr, range(0x0900, 0x0E00))
                if len(unicodedata.normalize("NFD", c)) == 2 and unicodedata.normalize("NFC", c) != c}
_JOINERS = str.maketrans("", "", "\u200c\u200d")  # zero-width (non-)joiners: how a word looks, not what it is


def normalise(text: str) -> str:
    """Text as words are compared: NFC, no zero-width joiners, lower case."""
    return unicodedata.normalize("NFC", text).translate(_JOINERS).lower()


def spellings(word: str) -> list[str]:
    """A normalised word and, if it has letters with a nukta, the same word with their single code points."""
    other = word
    for pair, single in _PRECOMPOSED.items():
        if pair in other:
            other = other.replace(pair, single)
    return [word] if other == word else [word, other]


def _key(word: str) -> str:
    """What two words of a line must share: the English stem for Latin letters ("sarees" ~ "saree")."""
    return stem(word) if word.isascii() else word


@dataclass(frozen=True)
class Vocabulary:
    """The table, read: each word's line, the narrower words of broader ones, stop words of the six languages."""

    lines: dict[str, tuple[str, ...]]  # key of a word -> every word of its line
    includes: dict[str, tuple[str, ...]]  # key of a broader word -> the narrower words it finds too
    stop_words: frozenset[str]

    def knows(self, word: str) -> bool:
        """Whether the word is in the table (and so needs no typo correction)."""
        return _key(word) in self.lines

    def alternatives(self, word: str) -> list[str]:
        """The word first, then the others of its line and of the lines it includes, in every spelling."""
        words = [word, *self.lines.get(_key(word), ())]
        for narrower in self.includes.get(_key(word), ()):
            words += self.lines.get(_key(narrower), (narrower,))
        found: list[str] = []
        for each in dict.fromkeys(words):
            found += spellings(each)
        return list(dict.fromkeys(found))


def read_table(text: str) -> Vocabulary:
    """Parse words.toml (see its header); raises ValueError on a word with a space or on two lines."""
    data = tomllib.loads(text)
    stop_words = frozenset(normalise(w) for words in data.pop("stop_words", {}).values() for w in words)
    lines: dict[str, tuple[str, ...]] = {}
    includes: dict[str, tuple[str, ...]] = {}
    for category, table in data.items():
        for head, words in table.items():
            if head == "includes":
                continue
            line = tuple(dict.fromkeys(normalise(w) for w in [head, *words]))
            for word in line:
                if not word or any(c.isspace() for c in word):
                    raise ValueError(f"{category}.{head}: {word!r} is not one word")
                if lines.get(_key(word), line) != line:
                    raise ValueError(f"{category}.{head}: {word!r} is on two lines")
                lines[_key(word)] = line
        for head, words in table.get("includes", {}).items():
            includes[_key(normalise(head))] = tuple(normalise(w) for w in words)
    return Vocabulary(lines=lines, includes=includes, stop_words=stop_words)


@functools.cache
def table_words() -> frozenset[str]:
    """Every word of the table, in every spelling."""
    return frozenset(w for line in vocabulary().lines.values() for word in line for w in spellings(word))


@functools.cache
def vocabulary() -> Vocabulary:
    """The table in words.toml, read once per process."""
    return read_table(TABLE.read_text(encoding="utf-8"))


# -- words that sound alike ------------------------------------------------------------------------------

_SOUNDS = (("ck", "k"), ("ph", "f"), ("sh", "s"), ("kh", "k"), ("gh", "g"), ("th", "t"), ("dh", "d"),
           ("bh", "b"), ("jh", "j"), ("q", "k"), ("x", "ks"), ("z", "j"), ("w", "v"))


def sound(word: str) -> str:
    """A rough key of how a Latin word sounds, for spellings by ear: "neckless" and "necklace" are both "nkls".

    c before e, i or y is s, else k; aspirates lose their h; the vowels after the first letter go; doubled
    letters count once. Words in other scripts are their own key.
    """
    if not word.isascii():
        return word
    out = word.lower()
    for spelt, heard in _SOUNDS:
        out = out.replace(spelt, heard)
    out = "".join("s" if c == "c" and out[i + 1:i + 2] in ("e", "i", "y") else "k" if c == "c" else c
                  for i, c in enumerate(out))
    out = out[:1] + "".join(c for c in out[1:] if c not in "aeiouy")
    return "".join(c for i, c in enumerate(out) if i == 0 or c != out[i - 1])
