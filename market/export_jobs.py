"""Staff and admin exports (the audit log, the site's orders): a small one is the response itself; one of more
than EXPORT_INLINE_ROWS rows (5,000) runs as a job (market.core.jobs) with its progress on the /jobs page and
the file to download there when it is done, never in the web request.

Each table gives how to count its rows and how to read them in batches (keyset, so a batch costs the same at
row 10 and row 1,000,000, and the job may commit its progress between batches); the cells are made with the
existing export code (market.core.exports: formula-neutralised, CSV with a BOM or XLSX).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask import current_app, make_response, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from market.core import jobs
from market.core.exports import csv_bytes, xlsx_bytes
from market.core.jobs import Job
from market.core.models import User

EXPORT = "export"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH = 1_000


@dataclass(frozen=True)
class Table:
    """An exportable table: its title, its header, its row count and its rows in batches, for the filters given
    (a dict of plain values, as kept in the job's payload)."""

    title: Callable[[], str]
    header: Callable[[], list[str]]
    count: Callable[[Session, dict], int]
    batches: Callable[[Session, dict], Iterator[list[list]]]


TABLES: dict[str, Table] = {}


def register(name: str, table: Table) -> None:
    TABLES[name] = table


def file_bytes(fmt: str, title: str, header: list[str], rows: list[list]) -> bytes:
    return csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes([(title, header, rows)])


def respond(session: Session, user: User, name: str, params: dict, fmt: str, filename: str, back: str):
    """The file now, or (more than EXPORT_INLINE_ROWS rows) a job and its page. The caller audits; `back` is the
    list the export was asked from."""
    table = TABLES[name]
    if table.count(session, params) > int(current_app.config.get("EXPORT_INLINE_ROWS", 5_000)):
        job = jobs.enqueue(session, EXPORT, user.id, locale=str(get_locale()),
                           payload={"table": name, "params": params, "fmt": fmt, "filename": filename, "back": back})
        session.commit()
        jobs.after_enqueue(session)
        return redirect(url_for("jobs.show", job_id=job.id))
    rows = [row for batch in table.batches(session, params) for row in batch]
    session.commit()
    response = make_response(file_bytes(fmt, table.title(), table.header(), rows))
    response.headers["Content-Type"] = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def run(session: Session, job: Job) -> dict:
    """The export job: read the table batch by batch (progress committed between them), keep the file."""
    data = job.data
    table, params, fmt = TABLES[data["table"]], data["params"], data["fmt"]
    total = table.count(session, params)
    jobs.progress(session, job, 0, total)
    rows: list[list] = []
    for batch in table.batches(session, params):
        rows.extend(batch)
        jobs.progress(session, job, min(len(rows), total))
    filename = f"{data['filename']}.{fmt}"
    jobs.keep_file(job, filename, file_bytes(fmt, table.title(), table.header(), rows))
    return {"file": filename, "rows": len(rows)}


def heading(job: Job) -> str:
    table = TABLES.get(job.data.get("table", ""))
    return _("Download: %(what)s", what=table.title() if table else "")


JOB = jobs.Kind(run=run, heading=heading, result_template="jobs/export_result.html",
                again=lambda job: job.data.get("back") or url_for("jobs.show", job_id=job.id),
                working=lambda job: _("Writing row %(done)s of %(total)s…", done=job.done, total=job.total or "?"),
                stopped=lambda job: _("The file could not be made. Try the download again:"),
                again_text=lambda job: _("Back to the list"))
