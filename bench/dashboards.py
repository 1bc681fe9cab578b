"""Dashboards at full programme size: the state and programme pages, through the whole Flask stack.

    .venv/bin/python -m bench.dashboards --database-url postgresql://postgres@127.0.0.1:5432/haat_dash_bench

The first run creates the database (if the server allows), migrates it and loads `seed-demo --scale large`
(200,000 members, 15,000 SHGs, 100 organisations, 5 states, 5,000,000 orders); later runs reuse it. The pages
are fetched by an admin through Flask's test client, after two warm-up requests; targets: an SHG, organisation
or state page <= 300 ms, the programme page <= 500 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import sqlalchemy as sa
from alembic import command

from bench.common import healthz_figure, percentile, stamp
from market import create_app
from market.cli import DEMO_PASSWORD, alembic_config
from market.core import db
from market.core.config import normalise_database_url


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in URL when it does not exist yet."""
    url = normalise_database_url(url)
    name = sa.engine.make_url(url).database
    server = sa.create_engine(sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    cfg = alembic_config(url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def timed(client, url: str, runs: int) -> list[float]:
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL URL (its own database)")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    ensure_database(args.database_url)
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": args.database_url, "WTF_CSRF_ENABLED": False,
                      "PASSWORD_HASH_FAST": True})
    with app.app_context():
        if not db.session.scalar(sa.text("SELECT count(*) FROM members")):
            from market.core.security import hash_password
            from market.demo_large import load_large

            started = time.perf_counter()
            load_large(db.session, hash_password(DEMO_PASSWORD),
                       progress=lambda step, done, total: print(f"\r{step}: {done:,}/{total:,}", end="",
                                                                file=sys.stderr))
            db.session.commit()
            print(f"\nloaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            # As autovacuum would leave a database in use: the load's updates vacuumed, for index-only scans.
            with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        if not db.session.scalar(sa.text("SELECT count(*) FROM users WHERE email = 'bench-admin@example.org'")):
            from market.core.accounts import create_user
            from market.core.models import Role

            create_user(db.session, name="Bench admin", login="bench-admin@example.org", password=DEMO_PASSWORD,
                        role=Role.ADMIN)
            db.session.commit()
        sizes = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}"))  # noqa: S608 - fixed names
                 for t in ("members", "self_help_groups", "orders", "sales_months", "loan_status",
                           "ledger_entries")}
    client = app.test_client()
    client.post("/auth/login", data={"login": "bench-admin@example.org", "password": DEMO_PASSWORD})
    stamp("dashboards on PostgreSQL: " + ", ".join(f"{n:,} {t}" for t, n in sizes.items()))
    for label, path, target in (("SHG", "/staff/dashboard/group/1", 300),
                                ("organisation", "/staff/dashboard/organisation/1", 300),
                                ("state (Maharashtra)", "/staff/dashboard/state/MH", 300),
                                ("programme", "/staff/dashboard/programme/1", 500)):
        times = timed(client, path, args.runs)
        print(f"  {label:<22} median {statistics.median(times):7.1f} ms, p95 {percentile(times, 0.95):7.1f} ms"
              f"  (target <= {target} ms)")
    print("  " + healthz_figure(client.get))
    return 0


if __name__ == "__main__":
    sys.exit(main())
