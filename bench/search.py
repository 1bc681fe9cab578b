"""Search benchmark: a realistic query mix over 200,000 products, timed in-process.

    .venv/bin/python -m bench.search                        # Whoosh, SQLite, under instance/bench
    .venv/bin/python -m bench.search --rebuild              # rebuild the database and the index first
    .venv/bin/python -m bench.search --backend postgres --database-url postgresql://postgres@127.0.0.1/haat_bench

The database (and the Whoosh index) are built once under --workdir and reused; --rebuild builds them
again. Never point --database-url at a database whose products you want to keep: it is emptied.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

from bench.common import ITEMS, MODIFIERS, STATES, add_details, build_database, healthz_figure, percentile, stamp
from catalog.search import get_backend, reindex_all
from catalog.search.query import SearchQuery
from market import ROOT, create_app
from market.core import db

PRICE_BUCKETS = [(None, 500_00), (500_00, 1000_00), (1000_00, 2000_00), (2000_00, None)]
TYPOS = ["pickel", "jumka", "kurtta", "sarre", "chakali", "bangels", "dupata", "neckless", "laddu", "murrukku",
         "blous", "kurthi", "jhumkha", "payel", "necklce"]  # as buyers type them


def typo(rng: random.Random, word: str) -> str:
    """The word with one slip of the thumb after its first letter: a swap, a miss, a double or a wrong key."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "miss", "double", "wrong"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "miss":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiourtnsl") + word[i + 1:]


def query_mix(n: int, categories: dict[str, list[int]], seed: int) -> list[tuple[str, SearchQuery]]:
    """N (kind, query) pairs: what buyers type, with and without facets and sorts."""
    rng = random.Random(seed)  # noqa: S311 - test data
    items = [item for values in ITEMS.values() for item in values]
    item_words = sorted({w for item in items for w in item.split() if len(w) > 3})
    modifiers = [m for values in MODIFIERS.values() for m in values]
    queries = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.30:
            kind, text = "one word", rng.choice(item_words) + rng.choice(["", "", "s"])
        elif roll < 0.55:
            kind, text = "two words", f"{rng.choice(modifiers).split()[0]} {rng.choice(items).split()[-1]}"
        elif roll < 0.70:
            kind, text = "item", rng.choice(items)
        elif roll < 0.85:
            word = rng.choice(item_words)
            kind, text = "typo", rng.choice(TYPOS) if rng.random() < 0.4 else typo(rng, word)
        elif roll < 0.95:
            kind, text = "rare/none", rng.choice(["silk jhumka", "organic dreamcatcher", "teal chikki",
                                                  "zari lehenga", "bluetooth speaker", "kanjivaram mango"])
        else:
            kind, text = "browse", ""
        facets: dict = {}
        if rng.random() < 0.4:
            if rng.random() < 0.5:
                trade = rng.choice(list(categories))
                facets["category_ids"] = tuple(categories[trade])
            if rng.random() < 0.4:
                facets["state"] = rng.choice(STATES)
            if rng.random() < 0.3:
                facets["price_min"], facets["price_max"] = rng.choice(PRICE_BUCKETS)
            if rng.random() < 0.2:
                facets["wholesale"] = True
            if rng.random() < 0.3:
                facets["in_stock"] = True
        if kind == "browse" and not facets:
            facets["state"] = rng.choice(STATES)
        sort = rng.choices(["relevance", "newest", "price_asc", "price_desc"], [70, 10, 10, 10])[0]
        page = 1 if rng.random() < 0.9 else rng.randint(2, 4)
        queries.append((kind + (" +facets" if facets else ""), SearchQuery(text=text, sort=sort, page=page,
                                                                           **facets)))
    return queries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["whoosh", "postgres"], default="whoosh")
    parser.add_argument("--database-url", help="default: a SQLite file in --workdir (required for postgres)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "instance" / "bench")
    parser.add_argument("--products", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rebuild", action="store_true", help="build the database and index again")
    parser.add_argument("--by-kind", action="store_true", help="also print figures per kind of query")
    args = parser.parse_args(argv)
    if args.backend == "postgres" and not args.database_url:
        parser.error("--backend postgres needs --database-url (a database of its own: it is emptied)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{args.workdir / 'haat-bench.db'}"
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "SEARCH_BACKEND": args.backend,
                      "SEARCH_INDEX_DIR": str(args.workdir / "search")})
    with app.app_context():
        prepare_catalogue(url, args.products, args.backend, args.rebuild)
        backend = get_backend()
        categories: dict[str, list[int]] = defaultdict(list)
        for cid, trade in db.session.execute(sa.text("SELECT id, trade FROM categories")):
            categories[trade].append(cid)
        for _kind, q in query_mix(args.warmup, categories, args.seed + 1):
            backend.search(q)
            db.session.rollback()
        timings: dict[str, list[float]] = defaultdict(list)
        every = []
        for kind, q in query_mix(args.queries, categories, args.seed):
            started = time.perf_counter()
            backend.search(q)
            elapsed = (time.perf_counter() - started) * 1000
            db.session.rollback()  # each request ends its transaction
            timings[kind].append(elapsed)
            every.append(elapsed)
    every.sort()
    stamp(f"{args.backend} search {args.products:,} products: median {statistics.median(every):.1f} ms, "
          f"p95 {percentile(every, 0.95):.1f} ms ({len(every)} queries)")
    print("  " + healthz_figure(app.test_client().get))
    if args.by_kind:
        for kind, values in sorted(timings.items()):
            values.sort()
            print(f"  {kind:<22} n={len(values):<4} median {statistics.median(values):6.1f} ms  "
                  f"p95 {percentile(values, 0.95):6.1f} ms  max {values[-1]:6.1f} ms")
    return 0


def prepare_catalogue(url: str, products: int, backend: str, rebuild: bool = False) -> None:
    """Inside an app context: the database of `products` products and its search index, built only if missing."""
    def show(done: int, total: int) -> None:
        print(f"\r  {done:,} / {total:,}", end="", file=sys.stderr, flush=True)

    has_table = sa.inspect(db.engine()).has_table
    count = db.session.scalar(sa.text("SELECT count(*) FROM products")) if has_table("products") else 0
    photos = db.session.scalar(sa.text("SELECT count(*) FROM photos")) if count else 0
    rebuilt = rebuild or count != products
    db.session.rollback()
    if not rebuilt and not photos:  # built by an earlier version of this script, without variants or photos
        add_details(db.engine())
    if rebuilt:
        print(f"building the database: {products:,} products", file=sys.stderr)
        seconds = build_database(url, products, show)
        print(f"\ndatabase built in {seconds:.1f} s", file=sys.stderr)
    listed = db.session.scalar(sa.text("SELECT count(*) FROM products WHERE listed"))
    if backend == "postgres":  # nothing to build but the words for typo corrections
        started = time.perf_counter()
        reindex_all(db.session)
        print(f"postgres search words refreshed in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    elif rebuilt or get_backend().searcher().doc_count() != listed:
        print(f"building the Whoosh index: {listed:,} listed products", file=sys.stderr)
        started = time.perf_counter()
        reindex_all(db.session, show)
        print(f"\nwhoosh index built in {time.perf_counter() - started:.1f} s ({listed:,} documents)", file=sys.stderr)
    db.session.rollback()


if __name__ == "__main__":
    sys.exit(main())
