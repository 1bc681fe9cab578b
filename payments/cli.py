"""`flask --app market payments reconcile [--repair]`: compare our payments with the gateways' records.

Run it every few minutes (cron or a systemd timer). It finds payments the gateway took but we never heard
of (a webhook lost, a worker killed halfway), refunds made on the gateway's dashboard, and online payments
never made in time; with --repair it applies them through the same code the webhooks use, one payment per
transaction, and cancels the overdue orders (their stock goes back); then it sends the refunds and transfers
still waiting for the gateway.

`flask --app market payments work [--once]`: the worker (in the Procfile) sends the refunds and transfers still
waiting for the gateway (payments.outbox), again and again, waiting longer while the gateway cannot be reached.
"""

from __future__ import annotations

import time
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import Flask

from market.core import db
from market.core.db import utcnow
from payments import outbox
from payments.gateways import GatewayUnavailable
from payments.models import Payment, ReconcileFinding, ReconcileRun
from payments.services.reconcile import reconcile_payment, to_reconcile


def register(app: Flask) -> None:
    @app.cli.group("payments")
    def payments_group():
        """Payments: reconciliation with the gateways."""
    @payments_group.command("reconcile")
    @click.option("--repair", is_flag=True, help="Apply what the gateways know and we do not.")
    @click.option("--days", default=3, show_default=True, help="Also re-check refunds of payments this recent.")
    def reconcile(repair: bool, days: int):
        """Report (and with --repair, fix) payments that differ from the gateway's record."""
        now = utcnow()
        found = repaired = 0
        # The run and each finding are kept (reconcile_runs, reconcile_findings): the admins' overview shows
        # what was repaired and when.
        run = ReconcileRun(started_at=now, repair=repair)
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        for payment_id in to_reconcile(db.session, now - timedelta(days=days)):
            try:
                findings = reconcile_payment(db.session, db.session.get_one(Payment, payment_id), repair, now)
            except GatewayUnavailable as exc:
                db.session.rollback()
                click.echo(f"payment {payment_id}: gateway unavailable ({exc}); try again later")
                _count(run_id, checked=1, unreachable=1)
                continue
            # The finding is written with its repair, in the same commit.
            db.session.add_all(ReconcileFinding(run_id=run_id, payment_id=f.payment_id, problem=f.problem[:200],
                                                repaired=bool(f.repaired)) for f in findings)
            db.session.commit()
            outbox.send_remembered(db.session)
            for finding in findings:
                found += 1
                repaired += finding.repaired
                click.echo(f"payment {finding.payment_id}: {finding.problem}"
                           + (" - repaired" if finding.repaired else ""))
            _count(run_id, checked=1, found=len(findings), repaired=sum(bool(f.repaired) for f in findings))
        waiting = 0
        if repair:
            waiting = sum(not outbox.send(db.session, kind, row_id) for kind, row_id in outbox.pending(db.session))
            if waiting:
                click.echo(f"{waiting} refunds or transfers still wait for the gateway.")
        db.session.execute(sa.update(ReconcileRun).where(ReconcileRun.id == run_id)
                           .values(finished_at=utcnow(), waiting=waiting))
        db.session.commit()
        if not found:
            click.echo("Nothing to repair: every payment matches the gateways." if repair
                       else "Every payment matches the gateways.")
        else:
            click.echo(f"{found} found, {repaired} repaired.")


    def _count(run_id: int, **more: int) -> None:
        """Add to the run's counts (committed: a run that stops halfway still says what it did)."""
        db.session.execute(sa.update(ReconcileRun).where(ReconcileRun.id == run_id).values(
            **{name: getattr(ReconcileRun, name) + n for name, n in more.items()}))
        db.session.commit()

    @payments_group.command("work")
    @click.option("--once", is_flag=True, help="Send what is waiting once, then stop.")
    @click.option("--every", default=5.0, show_default=True, help="Seconds between rounds when all went out.")
    def work(once: bool, every: float):
        """Send the refunds and transfers waiting for the gateway, retrying with backoff."""
        pause = every
        while True:
            waiting = sum(not outbox.send(db.session, kind, row_id) for kind, row_id in outbox.pending(db.session))
            click.echo(f"{waiting} waiting for the gateway." if waiting else "Nothing waiting.")
            if once:
                return
            pause = min(pause * 2, 300.0) if waiting else every  # the gateway down: ask it less often
            time.sleep(pause)
