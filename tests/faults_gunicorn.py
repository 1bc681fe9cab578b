"""Gunicorn settings for the fault tests (`-c tests/faults_gunicorn.py`): a worker that dies where it is told.

The test writes a trigger into the file named by HAAT_TEST_FAULT_FILE before it sends a request:
  sql:<prefix>   the worker kills itself (SIGKILL) as a statement starting with <prefix> is about to run,
                 so its transaction is never committed
  commit         the worker kills itself just after a commit: the work is saved, the answer never leaves
A trigger fires once: the dying worker replaces it with "fired: <what it hit>", so the worker gunicorn's master
starts in its place runs normally, and the test can check that the worker died where it meant it to.
Without HAAT_TEST_FAULT_FILE this file changes nothing.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path


def post_worker_init(worker) -> None:
    """Listen to the app's engine and sessions for the armed trigger (gunicorn calls this in each new worker)."""
    path = os.environ.get("HAAT_TEST_FAULT_FILE")
    if not path:
        return
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from market.core import db

    fault = Path(path)

    def armed() -> str:
        try:
            return fault.read_text()
        except FileNotFoundError:
            return ""

    def die(what: str) -> None:
        fault.write_text(f"fired: {what}")
        # SIGKILL, not an exception: no rollback, no finally, no answer, as when the kernel's OOM killer strikes.
        os.kill(os.getpid(), signal.SIGKILL)

    def before_cursor_execute(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        trigger = armed()
        if trigger.startswith("sql:") and statement.startswith(trigger[4:]):
            die(" ".join(statement.split())[:120])

    def after_commit(session) -> None:
        if armed() == "commit" and not session.in_nested_transaction():  # the real commit, not a savepoint's
            die("commit")

    with worker.wsgi.app_context():
        engine = db.engine()
    # With --preload the app, and its engine, were made in the master: never share its connections, if any.
    engine.dispose(close=False)
    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    sa.event.listen(Session, "after_commit", after_commit)
