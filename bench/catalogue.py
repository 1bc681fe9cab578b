"""Catalogue page benchmark: page 1 against page 5,000 of 200,000 products, through the whole web stack.

    .venv/bin/python -m bench.catalogue                # SQLite under instance/bench (shared with bench.search)
    .venv/bin/python -m bench.catalogue --database-url postgresql://postgres@127.0.0.1/haat_bench

Keyset pagination makes a deep page cost what the first does; the same page fetched with OFFSET is
printed beside it to show what keyset pagination saves. Requests go through Flask's test client
(routing, the query, templates), in one process, so the figures are per request without a network.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from bench.common import build_database, healthz_figure, percentile, stamp
from catalog.models import Product
from market import ROOT, create_app
from market.core import db

PER_PAGE = 24


def timed(client, url: str, runs: int) -> list[float]:
    """Milliseconds per GET of url, after two warm-up requests."""
    for _ in range(2):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return sorted(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in --workdir")
    parser.add_argument("--workdir", type=Path, default=ROOT / "instance" / "bench")
    parser.add_argument("--products", type=int, default=200_000)
    parser.add_argument("--page", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{args.workdir / 'haat-bench.db'}"
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "SEARCH_INDEX_DIR": str(args.workdir / "search"),
                      "MEDIA_DIR": str(args.workdir / "media")})
    with app.app_context():
        built = not args.rebuild and sa.inspect(db.engine()).has_table("products")  # a new workdir has none yet
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Product)) if built else 0
    if args.rebuild or count < args.products:
        print(f"building {args.products:,} products ...", file=sys.stderr)
        seconds = build_database(url, args.products)
        print(f"built in {seconds:.0f} s", file=sys.stderr)

    with app.app_context():
        listed = Product.listed
        last = db.session.execute(sa.select(Product.id).where(listed).order_by(Product.id.desc())
                                  .offset((args.page - 1) * PER_PAGE - 1).limit(1)).scalar_one()
        price_last = db.session.execute(
            sa.select(Product.price_paise, Product.id).where(listed).order_by(Product.price_paise, Product.id)
            .offset((args.page - 1) * PER_PAGE - 1).limit(1)).one()
        dialect = db.engine().dialect.name

    client = app.test_client()
    rows = [
        ("newest, page 1", "/shop"),
        (f"newest, page {args.page:,}", f"/shop?after={last}"),
        ("price, page 1", "/shop?sort=price_asc"),
        (f"price, page {args.page:,}", f"/shop?sort=price_asc&after={price_last[0]}.{price_last[1]}"),
        ("category + state, page 1", "/c/garments?state=MH&in_stock=1"),
    ]
    stamp(f"catalogue page on {dialect}, {args.products:,} products, {args.runs} requests each (Flask test client):")
    medians = {}
    for label, path in rows:
        times = timed(client, path, args.runs)
        medians[label] = statistics.median(times)
        print(f"  {label:<28} median {medians[label]:6.1f} ms, p95 {percentile(times, 0.95):6.1f} ms")
    deep = medians[f"newest, page {args.page:,}"] / medians["newest, page 1"]
    print(f"  page {args.page:,} / page 1 (newest): {deep:.2f}x")
    print("  " + healthz_figure(client.get))

    with app.app_context():  # what the same deep page would cost with OFFSET
        started = time.perf_counter()
        db.session.scalars(sa.select(Product).where(Product.listed).order_by(Product.id.desc())
                           .offset((args.page - 1) * PER_PAGE).limit(PER_PAGE)).all()
        offset_ms = (time.perf_counter() - started) * 1000
        print(f"  (the same page {args.page:,} by OFFSET, the query alone: {offset_ms:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
