"""Long jobs (market.core.jobs): the request only enqueues, the worker runs them, a job whose worker died is taken
again after its lease and completes once, a failed job shows its errors, and one page shows any job's progress."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from catalog.models import Product
from market.core.db import utcnow
from market.core.jobs import LEASE, MAX_ATTEMPTS, Job, run_pending
from tests.conftest import login, reload
from tests.functional.catalog.test_bulk import GOOD_CSV, photos_zip, upload

PHOTOS = ("kurti.jpg", "pickle.png", "pickle2.jpg")


@pytest.fixture
def staff(make_app, world):
    client = make_app(JOBS_INLINE=False).test_client()  # as in production: a worker process runs the jobs
    login(client, world.staff_a.email)
    return client


def products(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Product))


def test_the_request_enqueues_and_the_worker_runs_the_job_while_the_page_shows_progress(staff, world, session):
    response = upload(staff, world.shop_a.id, GOOD_CSV, photos_zip(*PHOTOS))
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    page = staff.get(response.headers["Location"]).text
    assert "data-running" in page and "<progress" in page and "Checking row 0 of ?" in page  # queued
    reload(session)
    job = session.scalar(sa.select(Job))
    assert (job.status, job.kind, job.attempts, products(session)) == ("queued", "product_import", 0, 0)

    assert run_pending(session) == 1
    reload(session)
    job = session.get(Job, job.id)
    assert (job.status, job.done, job.total, job.percent, job.attempts) == ("done", 3, 3, 100, 1)
    assert products(session) == 3
    page = staff.get(response.headers["Location"]).text
    assert "3 products added" in page and "data-running" not in page  # the page stops polling
    assert run_pending(session) == 0  # nothing left


def test_progress_is_visible_while_the_job_runs(staff, world, session):
    upload(staff, world.shop_a.id, GOOD_CSV, photos_zip(*PHOTOS))
    reload(session)
    job = session.scalar(sa.select(Job))
    job.status, job.total, job.done, job.lease_until = "running", 40, 12, utcnow() + LEASE  # a worker at row 13
    session.commit()
    page = staff.get(f"/jobs/{job.id}").text
    assert "Checking row 12 of 40" in page and 'value="30"' in page and "data-running" in page
    assert run_pending(session) == 0  # its worker is alive (its lease runs): nobody else takes it


def test_a_job_whose_worker_died_is_taken_again_after_its_lease_and_completes_once(staff, world, session):
    upload(staff, world.shop_a.id, GOOD_CSV, photos_zip(*PHOTOS))
    reload(session)
    job = session.scalar(sa.select(Job))
    job.status, job.attempts, job.done, job.total = "running", 1, 2, 3  # the worker stopped at row 3...
    job.lease_until = utcnow() - timedelta(seconds=1)  # ...and its lease ran out
    session.commit()

    assert run_pending(session) == 1
    reload(session)
    job = session.get(Job, job.id)
    assert (job.status, job.attempts, products(session)) == ("done", 2, 3)
    assert run_pending(session) == 0 and products(session) == 3  # once
    assert "3 products added" in staff.get(f"/jobs/{job.id}").text


def test_a_job_that_keeps_stopping_its_worker_is_failed_not_tried_forever(staff, world, session):
    upload(staff, world.shop_a.id, GOOD_CSV, photos_zip(*PHOTOS))
    reload(session)
    job = session.scalar(sa.select(Job))
    job.status, job.attempts, job.lease_until = "running", MAX_ATTEMPTS, utcnow() - timedelta(seconds=1)
    session.commit()
    assert run_pending(session) == 0
    reload(session)
    job = session.get(Job, job.id)
    assert job.status == "failed" and "stopped several times" in job.errors and products(session) == 0
    assert "data-running" not in staff.get(f"/jobs/{job.id}").text


def test_a_failing_job_shows_its_errors_and_the_way_back(staff, world, session):
    upload(staff, world.shop_a.id, GOOD_CSV + "Saree,no-such-category,900,1,,,,,\n", photos_zip(*PHOTOS))
    reload(session)
    job_id = session.scalar(sa.select(Job.id))
    run_pending(session)
    page = staff.get(f"/jobs/{job_id}").text
    assert "Nothing was added" in page and "row 5:" in page and "unknown category" in page
    assert f"/staff/imports/new?business={world.shop_a.id}" in page and "data-running" not in page
    reload(session)
    assert products(session) == 0


def test_staff_see_their_own_jobs_and_their_organisations_only(make_app, world, session):
    own = Job(kind="onboarding", created_by_id=world.staff_b.id, organisation_id=None, status="queued")
    theirs = Job(kind="onboarding", created_by_id=world.staff_a.id, organisation_id=world.org_a.id, status="queued")
    session.add_all([own, theirs])
    session.commit()
    client = make_app(JOBS_INLINE=False).test_client()
    login(client, world.staff_b.email)
    assert client.get(f"/jobs/{own.id}").status_code == 200
    assert client.get(f"/jobs/{theirs.id}").status_code == 403
    assert client.get("/jobs/99999").status_code == 404


def test_the_worker_command_runs_what_is_queued(make_app, staff, world, session):
    upload(staff, world.shop_a.id, GOOD_CSV, photos_zip(*PHOTOS))
    result = make_app(JOBS_INLINE=False).test_cli_runner().invoke(args=["jobs-worker", "--once"])
    assert result.exit_code == 0 and "1 jobs run" in result.output, result.output
    reload(session)
    assert session.scalar(sa.select(Job.status)) == "done" and products(session) == 3
