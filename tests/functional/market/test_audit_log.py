"""The audit log in words, in the reader's language; filtered by who / what / when; paginated; exported (a long
export runs as a job whose file downloads from the jobs page)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from market.core.db import utcnow
from market.core.jobs import RESULT_KEPT, Job
from market.core.models import AuditEntry
from tests.conftest import login, reload


def entry(session, actor, action, subject_type, subject_id, at=None, detail=""):
    row = AuditEntry(actor_id=actor.id if actor else None, action=action, subject_type=subject_type,
                     subject_id=subject_id, detail=detail, at=at or datetime(2026, 11, 20, 6, 0, tzinfo=UTC))
    session.add(row)
    return row


def test_entries_read_as_sentences_in_the_readers_language(client, session, world):
    world.staff_a.name, world.group_a.name = "Asha", "Jyoti SHG"
    entry(session, world.staff_a, "view_members", "self_help_group", world.group_a.id)
    entry(session, world.staff_a, "view_member", "member", world.member_a.id)
    entry(session, None, "erase_account", "user", 999_999)
    session.commit()
    login(client, world.admin.email)
    page = client.get("/admin/audit").text
    assert "Asha (staff) opened the members of Jyoti SHG" in page
    assert "Asha (staff) opened the details of Sunita Secretname" in page
    assert "a record that no longer exists (#999999)" in page
    assert "view_members" not in page.split("<table")[1]  # no codes in the table
    client.post("/language/hi")
    hindi = client.get("/admin/audit").text
    assert "Asha (स्टाफ़) ने Jyoti SHG के सदस्यों की सूची खोली" in hindi


def test_the_log_filters_by_who_what_and_when_and_pages_keep_the_filters(client, session, world):
    world.staff_a.name, world.staff_b.name = "Asha", "Bina"
    for day in range(1, 31):  # 30 by Asha in November, one a day (India time)
        entry(session, world.staff_a, "view_members", "self_help_group", world.group_a.id,
              at=datetime(2026, 11, day, 4, 0, tzinfo=UTC))
    entry(session, world.staff_b, "view_member", "member", world.member_b.id,
          at=datetime(2026, 11, 10, 19, 0, tzinfo=UTC))  # 11 November in India
    entry(session, world.staff_a, "set_group_saving", "self_help_group", world.group_a.id,
          at=datetime(2026, 12, 2, 4, 0, tzinfo=UTC))
    session.commit()
    login(client, world.admin.email)

    def rows(query: str) -> list[str]:
        body = client.get("/admin/audit" + query).text
        return body.split("<tbody>")[1].split("</tbody>")[0].count("<tr>") if "<tbody>" in body else 0

    assert rows(f"?who={world.staff_b.id}") == 1
    assert rows("?what=set_group_saving") == 1
    assert rows("?from=2026-11-11&to=2026-11-11") == 2  # Asha's of the 11th and Bina's (18:30 UTC on the 10th)
    assert rows(f"?who={world.staff_a.id}&what=view_members&from=2026-11-01&to=2026-11-30") == 30
    assert rows("?who=junk&what=drop table&from=yesterday") == 32  # junk is no filter
    many = client.get(f"/admin/audit?who={world.staff_a.id}").text  # 31 entries: one page of 50
    assert "Show more" not in many
    for day in range(1, 25):
        entry(session, world.staff_a, "view_members", "self_help_group", world.group_a.id,
              at=datetime(2026, 10, day, 4, 0, tzinfo=UTC))
    session.commit()
    first = client.get(f"/admin/audit?who={world.staff_a.id}").text
    assert first.count("<tr>") == 51  # the header and 50
    link = first.split('class="more"><a class="button secondary" href="')[1].split('"')[0].replace("&amp;", "&")
    assert f"who={world.staff_a.id}" in link
    assert client.get(link).text.split("<tbody>")[1].count("<tr>") == 5


def test_the_export_is_the_filtered_log_in_words_with_formulas_neutralised(client, session, world):
    world.staff_a.name = "=HYPERLINK(\"http://x\")"
    entry(session, world.staff_a, "view_members", "self_help_group", world.group_a.id)
    entry(session, world.staff_b, "view_member", "member", world.member_b.id)
    session.commit()
    login(client, world.admin.email)
    response = client.get(f"/admin/audit/export.csv?who={world.staff_a.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0] == ["When", "Who", "What"]
    assert len(table) == 2
    assert table[1][1].startswith("'=HYPERLINK")
    assert "opened the members of" in table[1][2]
    xlsx = client.get("/admin/audit/export.xlsx")
    assert xlsx.data[:2] == b"PK"
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "export_audit_log")) == 2


def test_a_large_export_runs_as_a_job_and_downloads_from_its_page(client, app, session, world):
    app.config["EXPORT_INLINE_ROWS"] = 5
    for _ in range(12):
        entry(session, world.staff_a, "view_members", "self_help_group", world.group_a.id)
    session.commit()
    login(client, world.admin.email)
    response = client.get("/admin/audit/export.csv")
    assert response.status_code == 302 and "/jobs/" in response.location
    reload(session)
    job = session.scalar(sa.select(Job).where(Job.kind == "export"))
    assert job.status == "done" and job.total == 13  # with the export's own entry
    page = client.get(response.location).text
    assert "Your file is ready: 13 rows." in page
    with client.get(f"/jobs/{job.id}/download") as download:  # the file, streamed: closed when read
        assert download.status_code == 200
        assert len(list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))) == 14
    staff = app.test_client()
    login(staff, world.staff_a.email)  # not the admin's job: staff cannot fetch it
    assert staff.get(f"/jobs/{job.id}/download").status_code == 403


def test_an_export_file_is_deleted_a_week_after_it_was_made(client, app, session, world):
    app.config["EXPORT_INLINE_ROWS"] = 1
    for _ in range(3):
        entry(session, world.staff_a, "view_members", "self_help_group", world.group_a.id)
    session.commit()
    login(client, world.admin.email)
    page = client.get("/admin/audit/export.csv").location
    reload(session)
    job = session.scalar(sa.select(Job).where(Job.kind == "export"))
    runner = app.test_cli_runner()
    assert "0 export files" in runner.invoke(args=["forget-stale"]).output  # made today: kept
    with client.get(f"/jobs/{job.id}/download") as download:
        assert download.status_code == 200
    job.finished_at = utcnow() - RESULT_KEPT - timedelta(minutes=1)
    session.commit()
    assert "1 export files" in runner.invoke(args=["forget-stale"]).output
    assert client.get(f"/jobs/{job.id}/download").status_code == 404
    assert "deleted a week after it was made" in client.get(page).text
