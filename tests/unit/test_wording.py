"""No screen assumes that every member is a woman: the programmes' members include men and transgender people
(DESIGN.md: "Made by SHG entrepreneurs", not "Made by women")."""

import re

from market import ROOT

WOMEN = re.compile(r"\bwom[ae]n\b", re.IGNORECASE)


def test_no_template_or_message_says_the_sellers_are_women():
    texts = [*(ROOT / "templates").rglob("*.html"), ROOT / "translations" / "messages.pot"]
    found = [f"{path.relative_to(ROOT)}: {line.strip()}" for path in texts
             for line in path.read_text().splitlines() if WOMEN.search(line)]
    assert not found, found
