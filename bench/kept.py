"""CPU per request in one process (Flask's test client, no server): /healthz, and the 20 catalogue pages of
bench.pages made afresh and from the guest page cache. What a busy machine cannot hide: CPU time, not wall time.

    .venv/bin/python -m bench.kept                        # the database of bench.pages (built if missing)

Every request is a new visitor's, as in bench.pages (no cookie: a session and a CSRF token are made), with the
headers a phone's browser sends (brotli). The kept pages are made once before the timing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import stamp
from bench.pages import page_paths
from bench.search import prepare_catalogue
from bench.serve import BROWSER_HEADERS
from market import ROOT, create_app
from market.core.config import normalise_database_url

HEADERS = {k: v for k, v in BROWSER_HEADERS.items() if k in ("User-Agent", "Accept", "Accept-Encoding",
                                                                "Accept-Language")}


def cpu_ms(app, paths: list[str], rounds: int) -> float:
    """The median over `rounds` of the CPU milliseconds per request for one pass over the paths."""
    per_round = []
    for _ in range(rounds):
        started = time.process_time()
        for path in paths:
            response = app.test_client().get(path, headers=HEADERS)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
        per_round.append((time.process_time() - started) * 1000 / len(paths))
    return statistics.median(per_round)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / "instance" / "bench")
    parser.add_argument("--products", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    url = normalise_database_url(f"sqlite:///{args.workdir / 'haat-bench.db'}")
    with tempfile.TemporaryDirectory(prefix="haat-kept-bench-") as tmp:
        app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "SEARCH_INDEX_DIR": str(args.workdir / "search"),
                          "MEDIA_DIR": str(args.workdir / "media"), "PAGE_CACHE_DIR": tmp})
        with app.app_context():
            prepare_catalogue(url, args.products, "whoosh")
            catalogue = page_paths()["catalogue"]
        stamp(f"CPU per request in one process, SQLite, {args.products:,} products, {args.rounds} rounds:")
        healthz = cpu_ms(app, ["/healthz"] * len(catalogue), args.rounds)
        app.config["PAGE_CACHE"] = False
        made = cpu_ms(app, catalogue, max(3, args.rounds // 5))
        app.config["PAGE_CACHE"] = True
        cpu_ms(app, catalogue, 1)  # each page made once and kept
        kept = cpu_ms(app, catalogue, args.rounds)
    print(f"  /healthz                 {healthz:6.2f} ms", flush=True)
    print(f"  catalogue made afresh    {made:6.2f} ms  ({healthz / made:.0%} of /healthz's rate on one core)")
    print(f"  catalogue from the cache {kept:6.2f} ms  ({healthz / kept:.0%} of /healthz's rate on one core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
