"""Command-line tools: `flask --app market db upgrade`, `seed-demo`, `create-user`."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import click
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from catalog.cli import register as register_search
from catalog.search import reindex_all
from catalog.views import media_dir
from market.core import db, fonts, pagecache
from market.core.accounts import AccountError, create_user, forget_stale
from market.core.db import utcnow
from market.core.jobs import forget_old_results, run_pending
from market.core.models import Role
from market.core.notifications import deliver_all, sender_from_config
from market.core.push import sender_from_config as push_from_config
from market.core.security import hash_password
from market.core.sms import provider_from_config
from market.demo import load_demo
from market.demo_large import PHASES, load_large, scaled
from market.ondc.cli import register as register_ondc
from market.reports.rollups import rebuild as recount
from payments.cli import register as register_payments
from vendors.finance import refresh_status
from vendors.models import Loan

ROOT = Path(__file__).resolve().parent.parent  # the repository (as market.ROOT: the app factory imports this module)
DEMO_PASSWORD = "demo-pass-123"  # noqa: S105 - the published demo password, demo data only


def alembic_config(url: str) -> Config:
    """Alembic settings pointing at this app's database."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def register(app: Flask) -> None:
    """Attach the commands to the app (and the catalogue's search commands)."""
    register_search(app)
    register_payments(app)
    register_ondc(app)
    _register_dashboards(app)

    @app.cli.command("make-fonts")
    @click.option("--source", type=click.Path(exists=True, file_okay=False), default=None,
                  help="Folder with the Noto Sans .ttf files (default: the system's fonts-noto-core).")
    def make_fonts(source: str | None):
        """Cut Noto Sans per script into static/fonts (WOFF2) and write static/css/fonts.css."""
        static = ROOT / "static"
        written = fonts.make(static / "fonts", Path(source) if source else fonts.SOURCE)
        (static / "css" / "fonts.css").write_text(fonts.css(), encoding="utf-8")
        for path in written:
            click.echo(f"{path.name}: {path.stat().st_size // 1024} KB")

    @app.cli.group("db")
    def db_group():
        """Database migrations (Alembic)."""
    @db_group.command("upgrade")
    @click.argument("revision", default="head")
    def upgrade(revision: str):
        """Migrate the database up to REVISION (default: the newest)."""
        command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
        pagecache.clear()  # a migration may change what guest pages show, in SQL no session notes

    @db_group.command("downgrade")
    @click.argument("revision")
    def downgrade(revision: str):
        """Migrate the database down to REVISION."""
        command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
        pagecache.clear()

    @app.cli.group("page-cache")
    def page_cache_group():
        """The guest pages kept whole (docs/caching.md)."""

    @page_cache_group.command("clear")
    def clear_page_cache():
        """Forget every kept guest page: after a database is restored or changed outside the app."""
        pagecache.clear()
        click.echo("Guest page cache cleared.")

    @db_group.command("revision")
    @click.option("-m", "--message", required=True)
    def revision(message: str):
        """Write a new migration from the difference between the models and the database."""
        command.revision(alembic_config(current_app.config["DATABASE_URL"]), message=message,
                         autogenerate=True)

    @app.cli.command("seed-demo")
    @click.option("--scale", type=click.Choice(["demo", "large"]), default="demo", show_default=True,
                  help="large: a full programme (200,000 members, 5,000,000 orders) for the dashboards' benchmark.")
    @click.option("--members", type=click.IntRange(min=1), default=None,
                  help="With --scale large: this many members instead, the rest in proportion (a try-out).")
    def seed_demo(scale: str, members: int | None):
        """Load the demo programme, groups, members, businesses and accounts (once)."""
        if scale == "large":
            _seed_large(members)
            return

        created = load_demo(db.session, DEMO_PASSWORD, media_dir())
        db.session.commit()
        if created:
            reindex_all(db.session)
        click.echo("Demo data loaded." if created else "Demo data already there; nothing changed.")
        click.echo(f"Demo accounts (password {DEMO_PASSWORD}):")
        for role in ("entrepreneur", "buyer", "wholesaler", "staff", "admin"):
            click.echo(f"  {role:<13} {role}@example.org")

    @app.cli.command("notify-worker")
    @click.option("--once", is_flag=True, help="send what is pending and stop")
    @click.option("--interval", default=5.0, help="seconds between rounds")
    def notify_worker(once: bool, interval: float):
        """Send sign-up and password codes and the notifications' alerts, e-mails and SMS (several workers may run)."""
        email, sms, push = sender_from_config(), provider_from_config(), push_from_config()
        while True:
            sent = deliver_all(db.session, email, sms, push=push)
            if sent:
                click.echo(f"{sent} messages sent")
            if once:
                return
            time.sleep(interval)

    @app.cli.command("jobs-worker")
    @click.option("--once", is_flag=True, help="run what is queued and stop")
    @click.option("--interval", default=1.0, help="seconds between looks at the queue")
    def jobs_worker(once: bool, interval: float):
        """Run the long jobs (product imports, onboarding); a job whose worker died is taken again after its lease."""
        while True:
            ran = run_pending(db.session)
            if ran:
                click.echo(f"{ran} jobs run")
            if once:
                return
            time.sleep(interval)

    @app.cli.command("forget-stale")
    def forget_stale_command():
        """Delete logins no cookie can open, unfinished sign-ups, old reset codes, week-old export files (daily)."""
        now = utcnow()
        gone = forget_stale(db.session, now)
        gone["export files"] = forget_old_results(db.session, now)
        db.session.commit()
        click.echo("Forgotten: " + ", ".join(f"{n} {what}" for what, n in gone.items()) + ".")

    @app.cli.command("create-user")
    @click.option("--role", type=click.Choice(["admin", "staff", "buyer", "wholesaler"]), required=True)
    @click.option("--name", required=True)
    @click.option("--login", required=True, help="phone number or e-mail")
    @click.password_option()
    def create_user_command(role: str, name: str, login: str, password: str):
        """Create an account (for the first admin of a new installation)."""
        try:
            create_user(db.session, name=name, login=login, password=password, role=Role(role))
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"{role} account created.")


def _register_dashboards(app: Flask) -> None:
    @app.cli.group("dashboards")
    def dashboards_group():
        """The programme dashboards' rollups."""
    @dashboards_group.command("refresh")
    def refresh():
        """Recompute every loan's standing (run daily: instalments fall due as days pass)."""
        ids = db.session.scalars(sa.select(Loan.id).order_by(Loan.id)).all()
        with click.progressbar(ids, label="Loans") as bar:
            for n, loan_id in enumerate(bar, 1):
                refresh_status(db.session, db.session.get_one(Loan, loan_id))
                if n % 500 == 0:
                    db.session.commit()
                    db.session.expunge_all()
        db.session.commit()
        click.echo(f"{len(ids)} loans refreshed.")

    @dashboards_group.command("rebuild")
    def rebuild():
        """Recount the monthly sales from payments, cash sales and refunds."""
        counted = recount(db.session)
        db.session.commit()
        click.echo(f"{counted} sales counted.")


class SeedProgress:
    """The large seed's progress: on a terminal a rich bar per phase (done of total, elapsed, time left); on
    any output (a log, CI) a line when a phase starts, with its total, and when it ends, with its time."""

    def __init__(self, console: Console | None = None, clock: Callable[[], float] = time.monotonic,
                 auto_refresh: bool = True):
        self.console = console or Console()
        self.clock = clock
        self.bar = Progress(TextColumn("{task.description:<17}"), BarColumn(), MofNCompleteColumn(),
                            TaskProgressColumn(), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                            console=self.console, get_time=clock, auto_refresh=auto_refresh,
                            disable=not self.console.is_terminal)
        self.tasks: dict[str, TaskID] = {}
        self.started: dict[str, float] = {}
        self.ended: set[str] = set()
        self.began = clock()

    def __enter__(self) -> SeedProgress:
        self.bar.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.bar.stop()

    def __call__(self, phase: str, done: int, total: int) -> None:
        unit = PHASES.get(phase, "rows")
        if phase not in self.tasks:
            self.tasks[phase] = self.bar.add_task(phase, total=total)
            self.started[phase] = self.clock()
            self.bar.console.print(f"{phase}: {total:,} {unit} to go")
        self.bar.update(self.tasks[phase], completed=done, total=total)
        if done >= total and phase not in self.ended:
            self.ended.add(phase)
            self.bar.console.print(f"{phase}: {total:,} {unit} done in {self.clock() - self.started[phase]:,.1f} s")

    def took(self) -> str:
        minutes, seconds = divmod(int(self.clock() - self.began), 60)
        return f"{minutes} min {seconds} s"


def _seed_large(members: int | None = None) -> None:
    with SeedProgress() as progress:
        load_large(db.session, hash_password(DEMO_PASSWORD), scaled(members) if members else None, progress=progress)
        db.session.commit()
    click.echo(f"Large programme loaded in {progress.took()}; every account's password is {DEMO_PASSWORD}.")
    click.echo(f"Demo accounts (password {DEMO_PASSWORD}):")
    for role in ("staff", "admin"):
        click.echo(f"  {role:<13} {role}@example.org")
