"""The group's books on the web: who may keep them, the one save of a meeting, the cash book and passbook PDFs."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.core import clock
from market.core.models import AuditEntry
from tests.conftest import PATIENCE, login, reload
from tests.factories import gen_group, gen_member
from tests.functional.catalog.test_page_queries import queries_for
from vendors.groupfund import services as fund
from vendors.groupfund.models import Meeting


def keeper(session, world):
    fund.name_bookkeeper(session, world.group_a, world.member_a, world.staff_a)
    session.commit()


def test_a_book_keeper_keeps_only_her_own_groups_books(client, session, world):
    keeper(session, world)
    login(client, world.member_a.user.phone)
    assert client.get(f"/groups/{world.group_a.id}/meeting").status_code == 200
    for url in (f"/groups/{world.group_b.id}/meeting", f"/groups/{world.group_b.id}/cash-book",
                f"/groups/members/{world.member_b.id}/passbook"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/groups/{world.group_a.id}/bookkeepers", data={"member": world.member_a.id}).status_code \
        == 403  # only staff choose who keeps the books


def test_a_member_who_is_not_the_book_keeper_sees_only_her_own_passbook(client, session, world):
    other = gen_member(session, world.group_a)
    keeper(session, world)
    login(client, other.user.phone)
    assert client.get(f"/groups/{world.group_a.id}/meeting").status_code == 403
    assert client.get(f"/groups/members/{world.member_a.id}/passbook").status_code == 403
    assert client.get(f"/groups/members/{other.id}/passbook").status_code == 200


def test_field_staff_keep_only_their_organisations_books_and_are_audited(client, session, world):
    login(client, world.staff_b.email)
    assert client.get(f"/groups/{world.group_a.id}/meeting").status_code == 403
    assert client.get(f"/groups/{world.group_b.id}/meeting").status_code == 200
    assert client.get(f"/groups/members/{world.member_b.id}/passbook").status_code == 200
    reload(session)
    assert session.scalar(sa.select(AuditEntry.action).where(AuditEntry.actor_id == world.staff_b.id,
                                                             AuditEntry.subject_id == world.member_b.id)) == \
        "view_passbook"
    assert [a.group.id for a in fund.needing_attention(session, {world.org_b.id})] == []
    assert "Groups to look at" in client.get("/groups/attention").text


def test_a_meeting_is_saved_once_with_the_cash_counted_and_refused_otherwise(client, session, world):
    world.group_a.monthly_saving_paise = 100_00
    keeper(session, world)
    login(client, world.member_a.user.phone)
    page = client.get(f"/groups/{world.group_a.id}/meeting").text
    assert f'name="saving-{world.member_a.id}"' in page and 'value="100"' in page
    sheet = {"client_key": "web-meeting-1", f"present-{world.member_a.id}": "y", f"saving-{world.member_a.id}": "100",
             f"fine-{world.member_a.id}": "5"}
    wrong = client.post(f"/groups/{world.group_a.id}/meeting", data={**sheet, "cash_counted": "100"})
    assert wrong.status_code == 200 and "add up to ₹105.00 but the cash counted is ₹100.00" in wrong.text
    assert 'value="5"' in wrong.text  # what was typed is kept
    absent = client.post(f"/groups/{world.group_a.id}/meeting", data={
        **sheet, f"present-{world.member_a.id}": "", "cash_counted": "105"})
    assert "marked absent but has amounts written" in absent.text
    for _twice in range(2):  # a second press of Save (or a phone retrying) saves nothing more
        done = client.post(f"/groups/{world.group_a.id}/meeting", data={**sheet, "cash_counted": "105"})
        assert done.status_code == 302
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 1
    assert fund.fund(session, world.group_a.id).cash == 105_00
    assert "₹105.00" in client.get(f"/groups/{world.group_a.id}/cash-book").text
    money = client.get("/seller/money").text
    assert "Saving ₹100.00, loan ₹0.00, fine ₹5.00: total ₹105.00." in money


def test_the_cash_book_and_passbook_print_in_her_language(client, session, world):
    keeper(session, world)
    fund.record_meeting(session, world.group_a, world.staff_a, clock.today(),
                        [fund.RowIn(world.member_a.id, True, 250_00)], 250_00, "pdf-meeting")
    session.commit()
    login(client, world.member_a.user.phone)
    client.post("/language/hi")
    book = client.get(f"/groups/{world.group_a.id}/cash-book.pdf")
    assert book.status_code == 200 and book.data.startswith(b"%PDF")
    assert book.headers["Cache-Control"] == "private, no-store"
    passbook = client.get(f"/groups/members/{world.member_a.id}/passbook.pdf")
    assert passbook.status_code == 200 and passbook.data.startswith(b"%PDF")
    assert "पासबुक" in client.get(f"/groups/members/{world.member_a.id}/passbook").text


def test_a_sheet_kept_without_signal_is_dated_the_day_of_the_meeting(client, session, world):
    keeper(session, world)
    login(client, world.member_a.user.phone)
    yesterday = clock.today() - timedelta(days=1)
    assert client.post(f"/groups/{world.group_a.id}/meeting", data={
        "client_key": "kept-on-phone", "held_on": yesterday.isoformat(), f"present-{world.member_a.id}": "y",
        f"saving-{world.member_a.id}": "20", "cash_counted": "20"}).status_code == 302
    reload(session)
    assert session.scalar(sa.select(Meeting.held_on)) == yesterday
    assert "js/meeting.js" in client.get("/seller/").text  # her home as book-keeper sends what waits


def test_staff_see_each_groups_meetings_attendance_and_savings(client, session, world):
    fund.record_meeting(session, world.group_a, world.staff_a, clock.today(),
                        [fund.RowIn(world.member_a.id, True, 40_00)], 40_00, "staff-figures")
    session.commit()
    login(client, world.staff_a.email)
    page = client.get("/groups/attention").text
    assert "1 meeting" in page and "attendance 100%" in page and "Saved at meetings ₹40.00 · from sales ₹0.00" in page
    client.post("/auth/logout")
    login(client, world.staff_b.email)
    assert "No group keeps its books on Haat yet." in client.get("/groups/attention").text


@pytest.mark.real_commits
def test_the_same_sheet_sent_twice_at_once_is_saved_once(make_app, session, world):
    keeper(session, world)
    app = make_app()
    start = threading.Barrier(2)
    answers: list[int] = []
    sheet = {"client_key": "two-at-once", f"present-{world.member_a.id}": "y", f"saving-{world.member_a.id}": "70",
             "cash_counted": "70"}

    def send(client) -> None:
        start.wait(PATIENCE)
        answers.append(client.post(f"/groups/{world.group_a.id}/meeting", data=sheet).status_code)

    phones = [app.test_client() for _ in range(2)]
    for phone in phones:  # logged in one after the other: only the two sheets go at the same moment
        login(phone, world.member_a.user.phone)
    threads = [threading.Thread(target=send, args=(phone,)) for phone in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE)
    reload(session)
    assert answers == [302, 302]
    assert session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 1
    assert fund.fund(session, world.group_a.id).cash == 70_00


def test_the_groups_page_costs_the_same_queries_for_two_groups_as_for_six(client, app, session, world):
    def with_meetings(n: int) -> int:
        for i in range(n):
            group = gen_group(session, world.org_a)
            member = gen_member(session, group)
            fund.record_meeting(session, group, world.staff_a, clock.today(), [fund.RowIn(member.id, True, 10_00)],
                                10_00, f"q-{n}-{i}")
        session.commit()
        return queries_for(client, app, "/groups/attention")

    login(client, world.staff_a.email)
    assert with_meetings(2) == with_meetings(4)  # 2, then 6 groups
