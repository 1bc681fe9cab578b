"""Staff pages for bulk listing: upload a CSV and a zip for a member's shop, then watch the progress."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from catalog.bulk import COLUMNS, run_import
from catalog.forms import ImportForm
from catalog.models import ImportJob
from catalog.views import media_dir, update_search_index
from market.core import db
from market.core.accounts import audit
from market.core.bodies import MB, body_limit
from market.core.models import Role
from market.core.permissions import role_required
from market.core.uploads import in_background
from vendors.models import Business
from vendors.permissions import can_view_organisation

BULK_UPLOAD = 100 * MB  # the CSV and a zip of its photos (read whole): staff only, behind their login
imports = Blueprint("imports", __name__, url_prefix="/staff/imports")


def _business_in_scope(business_id: int | None) -> Business:
    in_range = business_id is not None and 0 < business_id <= db.MAX_ID  # ?business=99999999999 would overflow
    business = (db.session.get(Business, business_id) if in_range else None) or abort(404)
    if not can_view_organisation(db.session, current_user, business.group.organisation_id):
        abort(403)
    return business


@imports.route("/new", methods=["GET", "POST"])
@role_required(Role.STAFF, Role.ADMIN)
@body_limit(BULK_UPLOAD)
def new():
    business = _business_in_scope(request.args.get("business", type=int))
    form = ImportForm()
    if form.validate_on_submit():
        job = ImportJob(business_id=business.id, created_by_id=current_user.id)
        db.session.add(job)
        audit(db.session, current_user, "bulk_import", "business", business.id)
        db.session.commit()
        csv_raw = form.csv_file.data.read()
        zip_raw = form.photos_zip.data.read() if form.photos_zip.data else None
        _start(job.id, csv_raw, zip_raw, form.publish.data)
        return redirect(url_for("imports.show", job_id=job.id))
    return render_template("catalog/import_new.html", form=form, shop=business, columns=COLUMNS)


def _start(job_id: int, csv_raw: bytes, zip_raw: bytes | None, publish: bool) -> None:
    def work() -> None:
        run_import(db.session, db.session.get_one(ImportJob, job_id), csv_raw, zip_raw, media_dir(), publish=publish)
        update_search_index()

    in_background(f"import-{job_id}", work)


@imports.get("/<int:job_id>")
@role_required(Role.STAFF, Role.ADMIN)
def show(job_id: int):
    job = db.session.get(ImportJob, job_id) or abort(404)
    _business_in_scope(job.business_id)
    return render_template("catalog/import_show.html", job=job)
