"""Long tasks (a product import, a bulk onboarding): a row in `jobs`, run by a worker process, never a thread of
the web worker.

The web request only enqueues: it stores the job's files under JOBS_DIR (<instance>/jobs/<id>/) and a row with its
kind, payload and status "queued", commits, and sends the staff member to /jobs/<id>. `flask --app market
jobs-worker` claims jobs with a lease (status "running", lease_until a few minutes ahead, renewed by every progress
report); a job whose worker died keeps status "running" with a lease in the past, and the next worker's claim takes
it again (at least once). The handlers are all-or-nothing: their writes and the job's "done" are one commit, made
only if the job is still this worker's attempt, so a job run twice writes once. With JOBS_INLINE (tests, `make
run`) the request that enqueued runs the queue itself, before it answers.

The core knows no feature: each feature gives a Kind (what runs, the page's heading, its result's template, where
to upload again) and the app factory registers it under a name.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column

from market.core.db import Base, UTCDateTime, rows_matched, utcnow

LEASE = timedelta(minutes=10)  # a job not heard from for this long is taken by the next worker
MAX_ATTEMPTS = 3  # a job that stopped its worker this often is failed rather than tried again
ACTIVE = ("queued", "running")
RESULT_KEPT = timedelta(days=7)  # an export holds members' data: its file is deleted a week after it was made


class Job(Base):
    """A long task and its progress; `payload` is JSON the handler reads, its files are under JOBS_DIR/<id>/."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
        sa.Index("ix_jobs_status_lease", "status", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[str] = mapped_column(sa.Text, default="{}")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(index=True)  # whose work it is: who else may see it
    locale: Mapped[str] = mapped_column(sa.String(10), default="en")  # the messages' language
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    result: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON, for the kind's result template
    errors: Mapped[str] = mapped_column(sa.Text, default="")  # one line each ("row 4: ...")

    @property
    def data(self) -> dict:
        return json.loads(self.payload or "{}")

    @property
    def outcome(self) -> dict:
        return json.loads(self.result or "{}")

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.errors.splitlines() if line]

    def kept(self, name: str | None) -> bool:
        """Whether the file this job made for its starter is still there (deleted after RESULT_KEPT)."""
        return name is not None and kept_file(self, name) is not None

    @property
    def running(self) -> bool:
        return self.status in ACTIVE

    @property
    def percent(self) -> int:
        if not self.running:
            return 100
        return 100 * self.done // self.total if self.total else 0


class JobFailed(Exception):  # noqa: N818 (not an error of the code: the job's input is refused)
    """The job's input cannot be taken; nothing it wrote is kept; `lines` are for the person who started it."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Kind:
    """What a feature gives for one kind of job.

    run(session, job) does the work (flush, never commit, but for progress()) and returns the result for the page,
    or raises JobFailed; heading(job) is the page's title; result_template shows job.outcome; again(job) is the
    URL of the form to start another; after(job), if given, runs once the work is committed.
    """

    run: Callable[[Session, Job], dict]
    heading: Callable[[Job], str]
    result_template: str
    again: Callable[[Job], str]
    after: Callable[[Job], None] | None = None  # once the job's work is committed (e.g. update the search index)
    working: Callable[[Job], str] | None = None  # the progress line while it runs; "Checking row n of N" if None
    stopped: Callable[[Job], str] | None = None  # a failed job's words above its errors (a file's rows if None)
    again_text: Callable[[Job], str] | None = None  # the words of the link to again(job); "Upload again" if None


KINDS: dict[str, Kind] = {}


def register(name: str, kind: Kind) -> None:
    KINDS[name] = kind


def _files_dir(job_id: int) -> Path:
    base = current_app.config.get("JOBS_DIR") or Path(current_app.instance_path) / "jobs"
    return Path(base) / str(job_id)


def enqueue(session: Session, kind: str, by_id: int, *, locale: str, organisation_id: int | None = None,
            payload: dict | None = None, files: dict[str, bytes] | None = None) -> Job:
    """A queued job (flushed, for its id), its files written; the caller commits."""
    if kind not in KINDS:
        raise LookupError(f"no job kind {kind!r} is registered")
    job = Job(kind=kind, created_by_id=by_id, organisation_id=organisation_id, locale=locale,
              payload=json.dumps(payload or {}), status="queued")
    session.add(job)
    session.flush()
    folder = _files_dir(job.id)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    return job


def _results_dir(job_id: int) -> Path:
    base = current_app.config.get("JOBS_DIR") or Path(current_app.instance_path) / "jobs"
    return Path(base) / "results" / str(job_id)


def keep_file(job: Job, name: str, data: bytes) -> None:
    """A file the job made for the person who started it (an export): kept after the job ends, unlike its input."""
    folder = _results_dir(job.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / Path(name).name).write_bytes(data)


def kept_file(job: Job, name: str) -> Path | None:
    """The path of a file the job kept, if it is there."""
    path = _results_dir(job.id) / Path(name).name
    return path if path.is_file() else None


def forget_old_results(session: Session, now: datetime) -> int:
    """Delete the files of jobs finished more than RESULT_KEPT ago (run daily); how many jobs' files went."""
    finished = set(session.scalars(sa.select(Job.id).where(Job.finished_at < now - RESULT_KEPT)))
    gone = 0
    folder = _results_dir(0).parent
    for kept in folder.iterdir() if folder.is_dir() else ():
        if kept.name.isdigit() and int(kept.name) in finished:
            shutil.rmtree(kept, ignore_errors=True)
            gone += 1
    return gone


def read_file(job: Job, name: str) -> bytes | None:
    """One of the files stored with the job, or None."""
    path = _files_dir(job.id) / name
    return path.read_bytes() if path.is_file() else None


def progress(session: Session, job: Job, done: int, total: int | None = None) -> None:
    """Report progress (commits the job row only: call it before the handler writes) and renew the lease."""
    job.done = done
    if total is not None:
        job.total = total
    job.lease_until = utcnow() + LEASE
    session.commit()


def after_enqueue(session: Session) -> None:
    """Where no worker process runs (JOBS_INLINE: tests, `make run`), run the queue now, in this request."""
    if current_app.config.get("JOBS_INLINE"):
        run_pending(session)


def _claimable(now: datetime):
    return sa.or_(Job.status == "queued", sa.and_(Job.status == "running", Job.lease_until < now))


def claim(session: Session) -> Job | None:
    """Take the oldest queued job, or a running one whose worker stopped reporting (its lease ran out)."""
    while True:
        now = utcnow()
        query = sa.select(Job.id).where(_claimable(now)).order_by(Job.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job_id = session.scalar(query)
        if job_id is None:
            session.commit()
            return None
        taken = rows_matched(session.execute(sa.update(Job).where(Job.id == job_id, _claimable(now)).values(
            status="running", lease_until=now + LEASE, attempts=Job.attempts + 1)))
        session.commit()
        if not taken:
            continue  # another worker was quicker
        job = session.get_one(Job, job_id)
        if job.attempts > MAX_ATTEMPTS:
            with force_locale(job.locale):
                _finish(session, job, job.attempts, "failed", {}, [str(_l(
                    "The job stopped several times before it could finish; nothing was saved. Try again."))])
            continue
        return job


def _finish(session: Session, job: Job, attempt: int, status: str, result: dict, errors: list[str]) -> bool:
    """Mark the job finished, in the same commit as what the handler wrote, if it is still this attempt."""
    values = {"status": status, "result": json.dumps(result), "errors": "\n".join(errors),
              "finished_at": utcnow(), "lease_until": None}
    if status == "done":
        values["done"] = Job.total
    finished = rows_matched(session.execute(sa.update(Job).where(Job.id == job.id, Job.attempts == attempt)
                                            .values(**values)))
    if not finished:
        session.rollback()  # another worker took the job over: its run counts, not this one
        return False
    session.commit()
    shutil.rmtree(_files_dir(job.id), ignore_errors=True)
    return True


def run(session: Session, job: Job) -> None:
    """Run one claimed job to done or failed."""
    attempt, kind = job.attempts, KINDS.get(job.kind)
    with force_locale(job.locale):
        if kind is None:
            _finish(session, job, attempt, "failed", {}, [f"no handler for job kind {job.kind!r}"])
            return
        try:
            result = kind.run(session, job)
        except JobFailed as exc:
            session.rollback()
            _finish(session, job, attempt, "failed", {}, exc.lines)
        except Exception:
            session.rollback()
            current_app.logger.exception("job %s (%s) failed", job.id, job.kind)
            _finish(session, job, attempt, "failed", {},
                    [str(_l("Something went wrong while saving; nothing was added. Try again."))])
        else:
            session.flush()
            if _finish(session, job, attempt, "done", result, []) and kind.after:
                kind.after(job)


def run_pending(session: Session) -> int:
    """The worker's round: run every job that can be claimed now; how many ran."""
    count = 0
    while (job := claim(session)) is not None:
        run(session, job)
        count += 1
    return count
