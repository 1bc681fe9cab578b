"""Staff pages for bulk listing: upload a CSV and a zip for a member's shop; the import runs as a job
(market.core.jobs) whose page shows its progress."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from catalog.bulk import COLUMNS, run_import
from catalog.forms import ImportForm
from catalog.views import media_dir, update_search_index
from market.core import db, jobs
from market.core.accounts import audit
from market.core.bodies import MB, body_limit
from market.core.models import Role
from market.core.permissions import role_required
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
        files = {"products.csv": form.csv_file.data.read()}
        if form.photos_zip.data:
            files["photos.zip"] = form.photos_zip.data.read()
        job = jobs.enqueue(db.session, IMPORT, current_user.id, locale=str(get_locale()),
                           organisation_id=business.group.organisation_id, files=files,
                           payload={"business_id": business.id, "publish": bool(form.publish.data)})
        audit(db.session, current_user, "bulk_import", "business", business.id, f"job {job.id}")
        db.session.commit()
        jobs.after_enqueue(db.session)
        return redirect(url_for("jobs.show", job_id=job.id))
    return render_template("catalog/import_new.html", form=form, shop=business, columns=COLUMNS)


IMPORT = "product_import"
JOB = jobs.Kind(
    run=lambda session, job: run_import(session, job, media_dir()),
    heading=lambda job: _("Products for %(shop)s", shop=job.outcome.get("shop") or _shop_name(job)),
    result_template="catalog/import_result.html",
    again=lambda job: url_for("imports.new", business=job.data["business_id"]),
    after=lambda job: update_search_index())


def _shop_name(job: jobs.Job) -> str:
    business = db.session.get(Business, job.data["business_id"])
    return business.public_name if business else ""
