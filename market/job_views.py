"""The one page of every long job (product import, onboarding): its progress while it runs, then its result or
its errors, and the way back. Staff see their own jobs and their organisations'; admins every job."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file
from flask_login import current_user

from market.core import db
from market.core.jobs import KINDS, Job, kept_file
from market.core.models import Role
from market.core.permissions import role_required
from vendors.permissions import visible_organisation_ids

job_pages = Blueprint("jobs", __name__, url_prefix="/jobs")


@job_pages.get("/<int:job_id>")
@role_required(Role.STAFF, Role.ADMIN)
def show(job_id: int):
    job = _visible(job_id)
    kind = KINDS.get(job.kind) or abort(404)
    return render_template("jobs/show.html", job=job, kind=kind, heading=kind.heading(job))


@job_pages.get("/<int:job_id>/download")
@role_required(Role.STAFF, Role.ADMIN)
def download(job_id: int):
    """The file a finished job made (a large export), for those who may see the job."""
    job = _visible(job_id)
    name = job.outcome.get("file") if job.status == "done" else None
    path = kept_file(job, name) if name else None
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=path.name, max_age=0)


def _visible(job_id: int) -> Job:
    job = db.session.get(Job, job_id) or abort(404)
    visible = visible_organisation_ids(db.session, current_user)  # None: an admin's, every organisation
    if not (job.created_by_id == current_user.id or visible is None or job.organisation_id in visible):
        abort(403)
    return job
