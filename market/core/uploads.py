"""Staff uploads (bulk listing, bulk onboarding): reading their CSV files, and running the work in a thread so
the page can show its progress."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

MAX_CSV_BYTES = 1024 * 1024


class UploadError(ValueError):
    """The file as a whole cannot be read; the message is for staff."""


def read_csv(raw: bytes, required: tuple[str, ...], max_rows: int, empty: str, too_many: str) -> list[dict[str, str]]:
    """The rows as dicts keyed by lower-case column names (UTF-8, with or without the BOM spreadsheets write;
    blank lines left out). `empty` and `too_many` are the messages for a file without rows or with too many."""
    if len(raw) > MAX_CSV_BYTES:
        raise UploadError(_("The CSV file is larger than 1 MB. Split it into smaller files."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:  # NULs: UTF-16 without its BOM (and PostgreSQL cannot store a NUL)
        raise UploadError(_("Save the CSV as UTF-8 (in a spreadsheet: CSV UTF-8)."))
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        raise UploadError(_("The CSV needs the columns: %(cols)s.", cols=", ".join(missing)))
    reader.fieldnames = header
    rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    rows = [row for row in rows if any(row.values())]  # blank lines a spreadsheet leaves at the end
    if not rows:
        raise UploadError(empty)
    if len(rows) > max_rows:
        raise UploadError(too_many)
    return rows


def in_background(name: str, work: Callable[[], object]) -> None:
    """Run `work` in a thread with the app and the staff member's language (the thread has no request), or at
    once where IMPORTS_IN_BACKGROUND is off (tests). Its failure is recorded by `work` and logged here."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy, typed as the Flask app
    locale = str(get_locale())

    def run() -> None:
        with app.app_context(), force_locale(locale):
            try:
                work()
            except Exception:  # the job row says it failed; the traceback goes to the log
                app.logger.exception("%s failed", name)

    if app.config.get("IMPORTS_IN_BACKGROUND", True):
        threading.Thread(target=run, name=name, daemon=True).start()
    else:
        run()
