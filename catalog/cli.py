"""Search commands: `flask --app market reindex` and `flask --app market search-worker`.

Run exactly one search worker per installation (a systemd service next to gunicorn, say): it applies
the changes that sellers make to the search index every second. Without it, new and changed products
never reach the Whoosh index. With SEARCH_BACKEND=postgres it only empties the queue and, every ten
minutes, refreshes the words that typo corrections come from. A second worker would do no harm (it
waits its turn without blocking), but no good either.
"""

from __future__ import annotations

import logging
import time

import click
import sqlalchemy as sa
from flask import Flask

from catalog.search import maintain, reindex_all, sync
from catalog.search.query import SearchBusy
from market.core import db

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    """Attach the search commands to the app."""
    @app.cli.command("reindex")
    def reindex():
        """Rebuild the search index from the products table (listed products only)."""
        bar = None
        shown = 0

        def progress(done: int, total: int) -> None:
            nonlocal bar, shown
            if bar is None:
                bar = click.progressbar(length=total, label="Indexing products")
                bar.__enter__()
            bar.update(done - shown)
            shown = done

        started = time.monotonic()
        try:
            indexed = reindex_all(db.session, progress)
        except SearchBusy as exc:
            raise click.ClickException(f"{exc}: try again when it has finished.") from exc
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        click.echo(f"{indexed:,} product{'s' if indexed != 1 else ''} indexed in {time.monotonic() - started:.1f} s.")

    @app.cli.command("search-worker")
    @click.option("--interval", default=1.0, show_default=True, help="seconds between two syncs")
    @click.option("--once", is_flag=True, help="sync once and stop (for cron or a test)")
    def search_worker(interval: float, once: bool):
        """Apply queued product changes to the search index every second until Ctrl+C (one per installation)."""
        if not once:
            click.echo("Keeping the search index up to date; Ctrl+C stops.")
        try:
            while True:
                try:
                    applied = sync(db.session)
                    maintain(db.session)
                except sa.exc.OperationalError:  # the database restarting, say: try again next time
                    log.exception("search sync failed")
                    applied = 0
                if applied:
                    click.echo(f"{applied} change{'s' if applied != 1 else ''} applied.")
                if once:
                    return
                time.sleep(interval)
        except KeyboardInterrupt:
            click.echo("Stopped.")
