"""Bulk onboarding of SHGs and members from a CSV, and a new member's first login with a one-time code."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.core.db import utcnow
from market.core.jobs import Job
from market.core.models import AuditEntry, User
from tests.conftest import login
from vendors import onboarding
from vendors.models import Business, Member, SelfHelpGroup, SetupCode

HEADER = "group,area,name,phone,trade,shop_name\n"


def upload(client, org_id: int, text: str):
    return client.post("/staff/onboarding/new", data={
        "organisation": str(org_id), "csv_file": (io.BytesIO(text.encode("utf-8-sig")), "members.csv")},
        content_type="multipart/form-data")


def onboard(client, session, org_id: int, text: str, *confirmed: int):
    """Upload, then confirm the preview (ticking the rows `confirmed`): the adding job, or the failed check."""
    upload(client, org_id, text)
    checked = session.scalars(sa.select(Job).where(Job.kind == "onboarding").order_by(Job.id.desc())).first()
    if checked.status != "done":
        return checked
    response = client.post(f"/staff/onboarding/{checked.id}/confirm", data={"confirm": [str(n) for n in confirmed]})
    assert response.status_code == 302, response.text
    session.expire_all()
    return session.scalars(sa.select(Job).where(Job.kind == "onboarding_add").order_by(Job.id.desc())).first()


def counts(session) -> tuple[int, int, int, int]:
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (SelfHelpGroup, Member, User, Business))


def test_a_good_file_adds_groups_members_and_shops_in_one_go(client, session, world):
    login(client, world.staff_a.email)
    before = counts(session)
    text = (HEADER + f"{world.group_a.name.upper()},,Asha Pawar,98123 45690,food,Crunchy Corner\n"
            "Navi Disha SHG,Ward 4,Meena Shinde,+91 9812345691,Garments,\n"
            "Navi Disha SHG,,Lata More,9812345692,jewellery,Shine Beads\n\n")
    response = upload(client, world.org_a.id, text)
    checked = session.scalar(sa.select(Job))
    assert response.headers["Location"].endswith(f"/jobs/{checked.id}"), checked.errors
    assert (checked.status, checked.total, checked.done, checked.percent) == ("done", 3, 3, 100), checked.errors
    assert [(r["number"], r["new_group"], r["decision"]) for r in checked.outcome["rows"]] == \
        [(2, False, "add"), (3, True, "add"), (4, True, "add")]
    assert counts(session) == before  # the preview writes nothing
    assert "Members to be added: 3." in client.get(f"/jobs/{checked.id}").text
    response = client.post(f"/staff/onboarding/{checked.id}/confirm")
    session.expire_all()
    job = session.scalar(sa.select(Job).where(Job.kind == "onboarding_add"))
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert (job.status, job.outcome) == ("done", {"members": 3, "groups": 1}), job.errors
    assert counts(session) == tuple(n + d for n, d in zip(before, (1, 3, 3, 3), strict=True))
    asha = session.scalar(sa.select(Member).where(Member.legal_name == "Asha Pawar"))
    assert asha.group_id == world.group_a.id  # an existing group, whatever its case in the file
    assert asha.user.phone == "+919812345690" and asha.user.role == "entrepreneur"
    assert [b.public_name for b in asha.businesses] == ["Crunchy Corner"]
    meena = session.scalar(sa.select(Member).where(Member.legal_name == "Meena Shinde"))
    assert meena.group.area == "Ward 4" and meena.group.organisation_id == world.org_a.id
    assert re.fullmatch(r"Haat shop \d{6}", meena.businesses[0].public_name)  # she chooses a name later
    assert meena.businesses[0].trade == "garments"
    page = client.get(f"/jobs/{job.id}").text
    assert "3 members added, 1 new groups." in page
    assert session.scalars(sa.select(AuditEntry.action).where(AuditEntry.subject_id == world.org_a.id)
                           .order_by(AuditEntry.id)).all() == ["bulk_onboarding", "confirm_onboarding"]
    # No password yet: nothing logs her in until she chooses one.
    client.post("/auth/logout")
    assert login(client, "+919812345690", "!unset").status_code == 200


def test_one_bad_row_adds_nothing_and_every_problem_is_listed(client, session, world):
    login(client, world.staff_a.email)
    before = counts(session)
    text = (HEADER + "New SHG,Ward 1,Asha Pawar,9812345690,food,Asha Snacks\n"  # her own name in the shop
            "New SHG,,Meena Shinde,9812345690,garments,\n"  # the same phone twice: a warning, not a problem
            "Other SHG,,Lata More,9812345692,jewellery,\n"  # a new group without its area
            f"New SHG,,Rani,{world.member_a.user.phone},tailoring,\n"  # unknown trade (its taken phone: a warning)
            "New SHG,,X,12345,food,\n"  # name too short
            "New SHG,,Kavita Rao,9812345693,food,Good Food\n"  # this one is right
            "New SHG,,Lata Kale,9812345694,food,Papad 98123.45695\n")  # a phone number in the shop name
    upload(client, world.org_a.id, text)
    job = session.scalar(sa.select(Job))
    assert job.status == "failed" and counts(session) == before
    lines = job.error_lines
    assert lines[0].startswith("row 2: the shop name contains the member's own name")
    assert lines[1].startswith("row 4: the group Other SHG is new: write its area")
    assert lines[2].startswith("row 5: the trade must be one of")
    assert lines[3].startswith("row 6: write the member's name")
    assert lines[4].startswith("row 8: the shop name contains a phone number")
    assert len(lines) == 5
    page = client.get(f"/jobs/{job.id}").text
    assert "Nothing was added" in page and "row 4: the group Other SHG is new" in page


@pytest.mark.parametrize("text, message", [
    ("name,phone\nAsha,9812345690\n", "The CSV needs the columns: group, trade."),
    (HEADER, "The CSV has no members in it."),
    (HEADER + "G,A,Asha Pawar,9812345690,food,\n" * (onboarding.MAX_ROWS + 1), "At most 3000 members in one file."),
])
def test_a_file_that_cannot_be_read_says_why(client, session, world, text, message):
    login(client, world.staff_a.email)
    upload(client, world.org_a.id, text)
    assert session.scalar(sa.select(Job.errors)) == message


def test_a_crash_while_saving_leaves_nothing_half_imported(client, session, world, monkeypatch):
    login(client, world.staff_a.email)
    before = counts(session)
    real, calls = onboarding.open_business, []

    def crash_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the disk went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(onboarding, "open_business", crash_on_second)
    job = onboard(client, session, world.org_a.id,
                  HEADER + "Sakhi,W1,Asha Pawar,9812345690,food,\nSakhi,,Meena Shinde,9812345691,food,\n")
    assert len(calls) == 2
    assert job.status == "failed" and "nothing was added" in job.errors and counts(session) == before


def test_staff_add_members_only_to_their_own_organisations(client, session, world):
    login(client, world.staff_a.email)
    form = client.get("/staff/onboarding/new").text
    assert world.org_a.name in form and world.org_b.name not in form
    response = upload(client, world.org_b.id, HEADER + "Sakhi,W1,Asha Pawar,9812345690,food,\n")
    assert response.status_code == 200 and "Not a valid choice" in response.text
    assert session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    job = Job(kind="onboarding", organisation_id=world.org_b.id, created_by_id=world.staff_b.id, status="done")
    session.add(job)
    session.commit()
    assert client.get(f"/jobs/{job.id}").status_code == 403


def new_member(client, session, world) -> Member:
    login(client, world.staff_a.email)
    onboard(client, session, world.org_a.id, HEADER + f"{world.group_a.name},,Asha Pawar,9812345690,food,\n")
    return session.scalar(sa.select(Member).where(Member.legal_name == "Asha Pawar"))


def make_codes(client, world) -> dict[str, str]:
    page = client.post(f"/staff/groups/{world.group_a.id}/setup-codes")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    return {name: a + b for name, a, b in re.findall(r"<td>([^<]+)</td><td><strong class=\"code\">(\d{4}) (\d{4})",
                                                    page.text)}


def test_a_new_member_chooses_her_password_with_the_code_once(client, session, world):
    new_member(client, session, world)
    assert "Has not logged in yet" in client.get(f"/staff/groups/{world.group_a.id}").text
    codes = make_codes(client, world)
    assert list(codes) == ["Asha Pawar"]  # Sunita has a password already
    assert session.scalar(sa.select(AuditEntry.detail).where(AuditEntry.action == "make_setup_codes")) == "1 codes"
    stored = session.scalar(sa.select(SetupCode))
    assert codes["Asha Pawar"] not in stored.code_hash
    client.post("/auth/logout")
    client.post("/language/ta")
    form = {"phone": "98123 45690", "code": codes["Asha Pawar"], "password": "my own secret 7",
            "again": "my own secret 7"}
    response = client.post("/welcome", data=form)
    assert response.headers["Location"] == "/seller/" and client.get("/seller/").status_code == 200  # logged in
    asha = session.scalar(sa.select(User).where(User.phone == "+919812345690"))
    session.refresh(asha)
    assert asha.locale == "ta"  # the language she chose before
    client.post("/auth/logout")
    assert client.post("/welcome", data=form).status_code == 200  # the code worked once
    assert login(client, "9812345690", "my own secret 7").status_code == 302


def test_wrong_codes_are_counted_and_a_fifth_ends_the_code(make_app, session, world):
    client = make_app(LOGIN_LIMIT_PER_ACCOUNT="100 per 15 minutes").test_client()  # the code's own count, not the limit
    new_member(client, session, world)
    code = make_codes(client, world)["Asha Pawar"]
    client.post("/auth/logout")
    wrong = "00000000" if code != "00000000" else "11111111"
    form = {"phone": "9812345690", "password": "my own secret 7", "again": "my own secret 7"}
    for _ in range(onboarding.CODE_TRIES):
        page = client.post("/welcome", data={**form, "code": wrong})
        assert "do not match" in page.text
    assert "do not match" in client.post("/welcome", data={**form, "code": code}).text  # too many tries
    assert login(client, "9812345690", "my own secret 7").status_code == 200


def test_an_expired_code_or_a_weak_password_is_refused(client, session, world):
    new_member(client, session, world)
    code = make_codes(client, world)["Asha Pawar"]
    client.post("/auth/logout")
    page = client.post("/welcome", data={"phone": "9812345690", "code": code, "password": "password",
                                         "again": "password"})
    assert "too easy to guess" in page.text
    mismatch = client.post("/welcome", data={"phone": "9812345690", "code": code, "password": "my own secret 7",
                                             "again": "my own secret 8"})
    assert "not the same" in mismatch.text
    session.scalar(sa.select(SetupCode)).expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    page = client.post("/welcome", data={"phone": "9812345690", "code": code, "password": "my own secret 7",
                                         "again": "my own secret 7"})
    assert "do not match" in page.text


def test_staff_of_another_organisation_cannot_make_codes(client, session, world):
    login(client, world.staff_b.email)
    assert client.post(f"/staff/groups/{world.group_a.id}/setup-codes").status_code == 403
    assert session.scalar(sa.select(sa.func.count()).select_from(SetupCode)) == 0


def test_the_rows_problems_are_written_in_the_staff_members_language(client, session, world):
    from babel.messages.pofile import read_po

    from market import ROOT

    with (ROOT / "translations" / "hi" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        hindi = read_po(f, locale="hi")["the group %(g)s is new: write its area (village or ward)"].string
    client.post("/language/hi")
    login(client, world.staff_a.email)
    upload(client, world.org_a.id,
           HEADER + "Sakhi,W1,Asha Pawar,9812345690,food,\nSakti,,Meena Shinde,9812345691,food,\n")
    errors = session.scalar(sa.select(Job.errors))
    assert hindi % {"g": "Sakti"} in errors and "is new" not in errors


def test_a_phone_taken_while_the_file_is_checked_adds_nothing_and_logs_no_phone(client, session, world, monkeypatch,
                                                                               caplog):
    from market.core.models import Role

    login(client, world.staff_a.email)
    before = counts(session)
    real = onboarding._write

    def racing_sign_up(session_, *args):
        session_.add(User(name="Quick", role=str(Role.BUYER), phone="+919812345691", password_hash="!x"))
        session_.flush()
        return real(session_, *args)

    monkeypatch.setattr(onboarding, "_write", racing_sign_up)
    job = onboard(client, session, world.org_a.id,
                  HEADER + "Sakhi,W1,Asha Pawar,9812345690,food,\nSakhi,,Meena Shinde,9812345691,food,\n")
    assert job.status == "failed" and "got an account while the file was being checked" in job.errors
    assert counts(session) == before
    assert "9812345691" not in caplog.text and "Meena" not in caplog.text


def test_first_login_tries_are_limited_per_number_however_it_is_spelt(make_app, session):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="5 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="100 per 15 minutes")
    client = app.test_client()
    form = {"code": "12345678", "password": "my own secret 7", "again": "my own secret 7"}
    for spelling in ("9812345690", "+919812345690", "+91 98123 45690", "(+91) 9812345690", "098123 45690"):
        assert "do not match" in client.post("/welcome", data={**form, "phone": spelling}).text
    assert client.post("/welcome", data={**form, "phone": "+91-98123-45690"}).status_code == 429
    assert client.post("/welcome", data={**form, "phone": "9812345691"}).status_code == 200


def test_a_members_running_loan_in_the_file_gets_the_same_schedule_as_her_own_form(client, session, world):
    from tests.functional.vendors.test_money import _running_since
    from vendors import finance
    from vendors.models import Loan

    start = _running_since().isoformat()
    login(client, world.staff_a.email)
    header = HEADER.strip() + "," + ",".join(onboarding.LOAN_COLUMNS) + "\n"
    text = (header + f"{world.group_a.name},,Asha Pawar,9812345690,food,,shg,20000,12,declining,24,{start},1,\n"
            f"{world.group_a.name},,Lata More,9812345692,food,,bank,20000,12,,24,{start},,19000\n"
            f"{world.group_a.name},,Meena Shinde,9812345691,food,,,,,,,,,\n")
    job = onboard(client, session, world.org_a.id, text)
    assert job.status == "done", job.errors
    asha, lata = (session.scalar(sa.select(Loan).join(Member, Member.id == Loan.member_id)
                                 .where(Member.legal_name == name)) for name in ("Asha Pawar", "Lata More"))
    assert asha.paid_before_instalments == lata.paid_before_instalments == 1 and asha.created_by_id == world.staff_a.id
    for loan in (asha, lata):
        state = finance.loan_state(session, loan)
        assert state.position.overdue_days == 0 and state.position.next_due.number == 2
        assert session.get(Member, loan.member_id).late_days == 0
    assert finance.loan_state(session, asha).position.schedule == finance.loan_state(session, lata).position.schedule
    assert session.scalar(sa.select(sa.func.count()).select_from(Loan)) == 2  # Meena has none


def test_a_wrong_loan_in_the_file_is_a_rows_problem(client, session, world):
    login(client, world.staff_a.email)
    header = HEADER.strip() + "," + ",".join(onboarding.LOAN_COLUMNS) + "\n"
    text = (header + f"{world.group_a.name},,Asha Pawar,9812345690,food,,shg,20000,12,declining,24,2026-11-01,24,\n"
            f"{world.group_a.name},,Lata More,9812345692,food,,car,20000,12,,24,2026-11-01,,\n"
            f"{world.group_a.name},,Rekha,9812345693,food,,shg,lots,12,,24,2026-11-01,,\n")
    upload(client, world.org_a.id, text)
    job = session.scalar(sa.select(Job))
    assert job.status == "failed" and len(job.error_lines) == 3, job.errors
    assert "instalments paid fewer" in job.error_lines[0] and "shg, bank, seed, other" in job.error_lines[1]
    assert "loan_amount" in job.error_lines[2]


def test_staff_give_a_member_who_forgot_her_password_a_new_login_code(make_app, client, session, world):
    member = world.member_a
    her_phone = make_app().test_client()
    login(her_phone, member.user.phone)
    login(client, world.staff_a.email)
    assert "Make a new login code" in client.get(f"/staff/members/{member.id}").text
    page = client.post(f"/staff/members/{member.id}/login-code")
    assert page.headers["Cache-Control"] == "no-store"
    code = re.search(r'class="code">(\d{4}) (\d{4})<', page.text)
    code = code.group(1) + code.group(2)
    assert session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "make_login_code",
                                                      AuditEntry.subject_id == member.id))
    fresh = make_app().test_client()
    response = fresh.post("/welcome", data={"phone": member.user.phone, "code": code, "password": "my own secret 7",
                                            "again": "my own secret 7"})
    assert response.headers["Location"] == "/seller/"
    assert her_phone.get("/seller/").status_code == 302  # the phone with the old password is logged out


def test_staff_of_another_organisation_cannot_make_a_members_login_code(client, session, world):
    login(client, world.staff_b.email)
    assert client.post(f"/staff/members/{world.member_a.id}/login-code").status_code == 403
    assert session.scalar(sa.select(sa.func.count()).select_from(SetupCode)) == 0


def test_the_preview_warns_of_duplicates_and_confirming_adds_exactly_what_it_showed(client, session, world):
    world.member_a.legal_name = "Sunita Kamble"
    session.commit()
    login(client, world.staff_a.email)
    before = counts(session)
    text = (HEADER + f"{world.group_a.name},,sunita  KAMBLE,9812345690,food,\n"  # 2: name already in the group
            f"{world.group_a.name},,Rekha Jadhav,{world.member_b.user.phone},food,\n"  # 3: phone has an account
            "Navi Disha SHG,Ward 4,Meena Shinde,9812345691,garments,\n"  # 4: fine
            "Navi Disha SHG,Ward 4,Meena Shinde,9812345691,garments,\n"  # 5: row 4 again
            "Navi Disha SHG,,Meena Shinde,9812345692,food,\n"  # 6: row 4's name in the same group, another phone
            f"{world.group_a.name},,Lata More,9812345693,jewellery,\n")  # 7: fine
    upload(client, world.org_a.id, text)
    checked = session.scalar(sa.select(Job))
    rows = {r["number"]: r for r in checked.outcome["rows"]}
    assert {n: r["decision"] for n, r in rows.items()} == {2: "ask", 3: "skip", 4: "add", 5: "skip", 6: "ask",
                                                           7: "add"}
    assert rows[2]["warnings"] == [f"{world.group_a.name} already has a member named sunita KAMBLE"]
    assert "already has an account" in rows[3]["warnings"][0]
    assert rows[5]["warnings"] == ["the same phone number as row 4: this row will not be added"]
    assert rows[6]["warnings"] == ["the same name in the same group as row 4"]
    page = client.get(f"/jobs/{checked.id}").text
    assert "Members to be added: 2." in page and "Rows that need your answer: 2." in page
    assert "Rows that will not be added: 2." in page
    assert counts(session) == before

    # Row 2 confirmed, row 6 not; row 5 ticked by hand is still never added (its phone is row 4's).
    client.post(f"/staff/onboarding/{checked.id}/confirm", data={"confirm": ["2", "5", "junk"]})
    session.expire_all()
    job = session.scalar(sa.select(Job).where(Job.kind == "onboarding_add"))
    assert job.status == "done" and job.outcome == {"members": 3, "groups": 1}, job.errors
    added = session.execute(sa.select(Member.legal_name, User.phone).join(User, User.id == Member.user_id)
                            .where(Member.id > world.member_b.id).order_by(Member.id)).all()
    assert added == [("sunita KAMBLE", "+919812345690"), ("Meena Shinde", "+919812345691"),
                     ("Lata More", "+919812345693")]
    assert counts(session) == tuple(n + d for n, d in zip(before, (1, 3, 3, 3), strict=True))
    # Confirmed once: a second click (another tab) adds nothing more.
    again = client.post(f"/staff/onboarding/{checked.id}/confirm", data={"confirm": ["6"]})
    assert again.status_code == 302 and client.get(again.location).status_code == 200
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.kind == "onboarding_add")) == 1
    assert counts(session) == tuple(n + d for n, d in zip(before, (1, 3, 3, 3), strict=True))


def test_cancelling_the_preview_adds_nothing_and_it_cannot_be_confirmed_after(client, session, world):
    login(client, world.staff_a.email)
    before = counts(session)
    upload(client, world.org_a.id, HEADER + "Navi Disha SHG,Ward 4,Meena Shinde,9812345691,garments,\n")
    checked = session.scalar(sa.select(Job))
    response = client.post(f"/staff/onboarding/{checked.id}/cancel")
    assert response.status_code == 302 and "nothing from that file was added" in client.get(response.location).text
    client.post(f"/staff/onboarding/{checked.id}/confirm")
    session.expire_all()
    assert counts(session) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.kind == "onboarding_add")) == 0
    assert "Cancelled" in client.get(f"/jobs/{checked.id}").text


def test_staff_of_another_organisation_cannot_confirm_or_cancel(make_app, client, session, world):
    login(client, world.staff_a.email)
    upload(client, world.org_a.id, HEADER + "Navi Disha SHG,Ward 4,Meena Shinde,9812345691,garments,\n")
    checked = session.scalar(sa.select(Job))
    other = make_app().test_client()
    login(other, world.staff_b.email)
    assert other.post(f"/staff/onboarding/{checked.id}/confirm").status_code == 403
    assert other.post(f"/staff/onboarding/{checked.id}/cancel").status_code == 403
    session.expire_all()
    assert session.get(Job, checked.id).outcome["state"] == "ready"


def test_the_sample_file_uploaded_unchanged_meets_no_real_member_and_shows_each_warning(client, session, world):
    login(client, world.staff_a.email)
    sample = client.get("/staff/onboarding/sample.csv").data.decode("utf-8-sig")
    assert "Sample member" in sample and "Sample SHG (practice)" in sample
    job = onboard(client, session, world.org_a.id, sample, 5)  # row 5: another "Sample member Three"
    assert job.status == "done" and job.outcome == {"members": 4, "groups": 1}, job.errors
    checked = session.scalar(sa.select(Job).where(Job.kind == "onboarding"))
    assert [r["decision"] for r in checked.outcome["rows"]] == ["add", "add", "add", "ask", "skip"]
    group = session.scalar(sa.select(SelfHelpGroup).where(SelfHelpGroup.name == "Sample SHG (practice)"))
    assert group.organisation_id == world.org_a.id
    assert session.scalar(sa.select(sa.func.count()).select_from(Member).where(Member.group_id == group.id)) == 4
    # Uploaded again: every row's phone now has an account, so nothing more can be added.
    upload(client, world.org_a.id, sample)
    again = session.scalars(sa.select(Job).where(Job.kind == "onboarding").order_by(Job.id.desc())).first()
    assert {r["decision"] for r in again.outcome["rows"]} == {"skip"}


def test_a_closed_shg_takes_no_new_members_from_a_file(client, session, world):
    """As the member form and a move refuse it: a row for a closed SHG is shown and never added, even if its
    SHG closes between the preview and the confirm."""
    world.group_a.closed_on = world.group_b.formed_on or utcnow().date()
    session.commit()
    login(client, world.staff_a.email)
    before = counts(session)
    upload(client, world.org_a.id, HEADER + f"{world.group_a.name},,Lata More,9812345693,jewellery,\n"
                                            "Navi Disha SHG,Ward 4,Meena Shinde,9812345691,garments,\n")
    checked = session.scalar(sa.select(Job))
    rows = {r["number"]: r for r in checked.outcome["rows"]}
    assert (rows[2]["decision"], rows[3]["decision"]) == ("skip", "add")
    assert rows[2]["warnings"] == [f"{world.group_a.name} is closed: it takes no new members. This row will not be "
                                   "added"]
    client.post(f"/staff/onboarding/{checked.id}/confirm", data={"confirm": ["2"]})
    session.expire_all()
    assert counts(session) == tuple(n + d for n, d in zip(before, (1, 1, 1, 1), strict=True))


def test_an_shg_closed_after_the_preview_gets_nothing_added(client, session, world):
    login(client, world.staff_a.email)
    before = counts(session)
    upload(client, world.org_a.id, HEADER + f"{world.group_a.name},,Lata More,9812345693,jewellery,\n")
    checked = session.scalar(sa.select(Job))
    assert checked.outcome["rows"][0]["decision"] == "add"
    world.group_a.closed_on = utcnow().date()
    session.commit()
    client.post(f"/staff/onboarding/{checked.id}/confirm", data={})
    session.expire_all()
    job = session.scalar(sa.select(Job).where(Job.kind == "onboarding_add"))
    assert job.status == "failed" and "closed after the preview" in str(job.errors)
    assert counts(session) == before
