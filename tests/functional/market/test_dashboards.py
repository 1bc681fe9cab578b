"""Programme dashboards: figures against hand-computed values, scoping, the audit log, exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from market.core import clock
from market.core.models import AuditEntry
from market.flows import stall_sale
from market.reports import rollups
from market.reports.dashboards import figures, scope_for
from tests.conftest import login
from tests.factories import gen_business, gen_group, gen_member
from vendors import finance


@pytest.fixture
def data(session, world):
    """Org A (Maharashtra): member A sold Rs 6,000 + Rs 5,000 at her stall this month and Rs 10,000 last month;
    her Rs 12,000 loan is 45 days late. Org B (Tamil Nadu): member B's Rs 20,000 loan is on time."""
    for amount in (6_000_00, 5_000_00):
        stall_sale.record(session, world.shop_a.id, world.member_a.user, amount, "cash", f"sale-{amount}")
    last_month = datetime.now(UTC).replace(day=1) - timedelta(days=3)
    rollups.add(session, world.shop_a, [(rollups.OTHER, 10_000_00)], 1, when=last_month)
    finance.add_loan(session, world.member_a, world.member_a.user, "bank", "", 12_000_00, 1200, "declining", 12,
                     clock.today() - timedelta(days=75))
    finance.add_loan(session, world.member_b, world.member_b.user, "shg", "", 20_000_00, 1200, "flat", 10,
                     clock.today() - timedelta(days=3))
    session.commit()
    return world


def test_an_organisations_figures_match_the_hand_counted_ones(session, data):
    scope = scope_for(session, "organisation", str(data.org_a.id), None)
    f = figures(session, scope, clock.today())
    assert (f.income_paise, f.last_month_paise, f.orders, f.active_sellers) == (11_000_00, 10_000_00, 2, 1)
    assert f.months[-1] == (clock.today().replace(day=1), 11_000_00) and len(f.months) == 12
    assert f.lakhpati == 1  # Rs 10,000 last month
    assert f.top_categories == [("Other", 11_000_00 + 10_000_00)]
    assert (f.loans, f.on_track, f.overdue, f.outstanding_paise) == (1, 0, 1, 12_000_00)
    assert f.par30_bps == 10_000  # all of it more than 30 days late
    assert f.to_visit == 1  # late on a loan (she does sell)
    assert [(r["name"], r["members"], r["income_paise"]) for r in f.rows] == [(data.group_a.name, 1, 11_000_00)]


def test_the_programme_sums_every_state_for_an_admin_and_only_her_own_for_staff(session, data):
    programme = str(data.org_a.programme_id)
    everything = figures(session, scope_for(session, "programme", programme, None), clock.today())
    assert (everything.loans, everything.outstanding_paise) == (2, 32_000_00)
    assert everything.par30_bps == 12_000_00 * 10_000 // 32_000_00  # 37.5%
    assert [r["name"] for r in everything.rows] == ["Maharashtra", "Tamil Nadu"]
    own = figures(session, scope_for(session, "programme", programme, {data.org_a.id}), clock.today())
    assert (own.loans, own.outstanding_paise, [r["name"] for r in own.rows]) == (1, 12_000_00, ["Maharashtra"])


def test_staff_of_one_organisation_get_403_on_anothers(client, session, data):
    login(client, data.staff_a.email)
    assert client.get(f"/staff/dashboard/organisation/{data.org_a.id}").status_code == 200
    for url in (f"/staff/dashboard/organisation/{data.org_b.id}", f"/staff/dashboard/group/{data.group_b.id}",
                f"/staff/dashboard/organisation/{data.org_b.id}/export.csv",
                f"/staff/dashboard/group/{data.group_b.id}/export.xlsx"):
        assert client.get(url).status_code == 403, url
    assert client.get("/staff/dashboard/state/TN").status_code == 404  # none of her organisations is there


def test_the_group_page_lists_members_to_visit_and_writes_the_audit_log(client, session, data):
    login(client, data.staff_a.email)
    page = client.get(f"/staff/dashboard/group/{data.group_a.id}").text
    assert "Sunita Secretname" in page and "days late on a loan" in page
    entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "view_members_to_visit")).all()
    assert [(e.actor_id, e.subject_id) for e in entries] == [(data.staff_a.id, data.group_a.id)]


def test_exports_neutralise_formulas_and_open_in_excel(client, session, data):
    data.group_a.name = "=HYPERLINK(\"http://evil\")"
    session.commit()
    login(client, data.staff_a.email)
    body = client.get(f"/staff/dashboard/organisation/{data.org_a.id}/export.csv").data
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\")" and rows[1][2] == "11000.00"
    book = load_workbook(io.BytesIO(client.get(f"/staff/dashboard/organisation/{data.org_a.id}/export.xlsx").data))
    sheet = book["Self-help groups"]
    assert sheet.cell(2, 1).value.startswith("'=") and float(sheet.cell(2, 3).value) == 11000.0


def test_every_table_of_the_page_exports(client, session, data):
    login(client, data.staff_a.email)
    base = f"/staff/dashboard/organisation/{data.org_a.id}/export"
    book = load_workbook(io.BytesIO(client.get(base + ".xlsx").data), read_only=True)
    assert book.sheetnames == ["Summary", "Income per month", "Top categories", "Self-help groups", "Group meetings"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert float(summary["Business income this month (₹)"]) == 11000.0
    assert float(summary["Portfolio at risk, 30 days (per cent)"]) == 100.0
    months = list(csv.reader(io.StringIO(client.get(base + ".csv?table=months").data.decode("utf-8-sig"))))
    assert len(months) == 13 and months[-1] == [clock.today().isoformat()[:7], "11000.00"]
    categories = list(csv.reader(io.StringIO(client.get(base + ".csv?table=categories").data.decode("utf-8-sig"))))
    assert categories[1] == ["Other", "21000.00"]
    assert client.get(base + ".csv?table=visits").status_code == 404  # only on a group's page
    group = f"/staff/dashboard/group/{data.group_a.id}/export"
    visits = list(csv.reader(io.StringIO(client.get(group + ".csv").data.decode("utf-8-sig"))))
    assert visits[1][0] == "Sunita Secretname" and visits[1][2] == "45"
    book = load_workbook(io.BytesIO(client.get(group + ".xlsx").data), read_only=True)
    assert book.sheetnames[-1] == "Members to visit"
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "export_members_to_visit")) == 2
    assert client.get(group + ".csv?table=summary").status_code == 200
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "export_members_to_visit")) == 2  # no names in it


def shared_rows(client, url: str) -> list[list[str]]:
    """The rows of a shared export, CSV or XLSX, as text (header left out)."""
    response = client.get(url + "?shared=1")
    assert response.status_code == 200 and "-to-share" in response.headers["Content-Disposition"]
    if url.endswith(".csv"):
        return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))[1:]
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert len(book.sheetnames) == 1  # no other sheet whose totals would give a small group away
    return [["" if v is None else str(v) for v in row]
            for row in book[book.sheetnames[0]].iter_rows(min_row=2, values_only=True)]


@pytest.fixture
def big_group(session, data):
    """A group of five in organisation A, one of whom sold Rs 700 this month; group A (one member) stays small."""
    big = gen_group(session, data.org_a, name="Big group")
    members = [gen_member(session, big, legal_name=f"Member {n}", login=f"+9198123460{n + 10}") for n in range(5)]
    shop = gen_business(session, [members[0]], public_name="Big shop")
    stall_sale.record(session, shop.id, members[0].user, 700_00, "cash", "big-sale")
    session.commit()
    return big


LEVELS = ["programme", "state", "organisation"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("level", LEVELS)
def test_a_shared_export_has_aggregates_only_no_small_group_and_no_small_cell(client, session, data, big_group,
                                                                            level, fmt):
    login(client, data.admin.email)
    key = {"programme": data.org_a.programme_id, "state": "MH", "organisation": data.org_a.id}[level]
    rows = shared_rows(client, f"/staff/dashboard/{level}/{key}/export.{fmt}")
    name = {"programme": "Maharashtra", "state": data.org_a.name, "organisation": data.org_a.name}[level]
    # One unit (Tamil Nadu's only group is too small): the five members of the big group, never group A's one
    # member or its Rs 11,000; the big group's one seller makes a small cell: her income, sales and count hidden.
    hidden = "hidden: fewer than 5 sellers"
    assert [row[:2] for row in rows] == [[name, "5"]]
    assert rows[0][2] == hidden and rows[0][4] == hidden and rows[0][5] == hidden
    text = repr(rows)
    for secret in ("Big group", data.group_a.name, "Sunita", "Member 0", "Big shop", "700", "11000"):
        assert secret not in text, secret


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_groups_own_figures_are_never_shared_and_the_file_says_why(client, session, data, big_group, fmt):
    login(client, data.staff_a.email)
    rows = shared_rows(client, f"/staff/dashboard/group/{big_group.id}/export.{fmt}")
    assert rows == [["Nothing to share: a self-help group's own figures never leave the programme."]]
    page = client.get(f"/staff/dashboard/group/{big_group.id}").text
    assert "own figures never leave the programme" in page and "shared=1" not in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_when_every_group_is_too_small_the_export_and_the_page_say_why(client, session, data, fmt):
    login(client, data.admin.email)
    rows = shared_rows(client, f"/staff/dashboard/state/TN/export.{fmt}")
    assert len(rows) == 1 and rows[0][0].startswith("Nothing to share: no self-help group here has 5 members")
    page = client.get("/staff/dashboard/state/TN").text
    assert "no self-help group here has 5 members" in page and "shared=1" not in page


def test_groups_under_five_are_left_out_at_every_level_so_no_difference_gives_them_away(client, session, data):
    big = gen_group(session, data.org_a, name="Big group")
    for n in range(5):
        gen_member(session, big, legal_name=f"Member {n}", login=f"+9198123460{n + 10}")
    session.commit()
    login(client, data.staff_a.email)
    url = f"/staff/dashboard/organisation/{data.org_a.id}/export.csv"
    everyone = [r[0] for r in csv.reader(io.StringIO(client.get(url).data.decode("utf-8-sig")))][1:]
    assert sorted(everyone) == sorted(["Big group", data.group_a.name])  # the file kept inside the programme
    # ... then the groups' meetings: none recorded (no group, no share to give), no internal loan.
    assert shared_rows(client, url) == [[data.org_a.name, "5", "0.00", "0.00", "0", "0",
                                         "0", "", "0", "", "0.00", "0.00", ""]]
    # One level up, the organisation's shared figures leave the small group's Rs 11,000 out too.
    rows = shared_rows(client, "/staff/dashboard/state/MH/export.xlsx")
    assert [(r[0], r[1], float(r[2])) for r in rows] == [(data.org_a.name, "5", 0.0)]
    everything = list(csv.reader(io.StringIO(client.get("/staff/dashboard/state/MH/export.csv").data
                                             .decode("utf-8-sig"))))
    assert everything[1][:3] == [data.org_a.name, "6", "11000.00"]
    assert "shared=1" in client.get("/staff/dashboard/state/MH").text  # the page offers the file to share


def test_the_dashboard_page_draws_the_months_without_a_cdn(client, session, data):
    login(client, data.admin.email)
    start = client.get("/staff/dashboard/")
    page = client.get(start.headers["Location"]).text
    assert page.count('class="bar"') == 12 and "<svg" in page
    assert not re.search(r"<script[^>]+src=\"https?://", page)


def test_rebuilding_the_rollups_from_the_records_gives_what_the_ledger_kept(make_app, session, world):
    from tests.factories import gen_product
    from tests.functional.payments.conftest import checkout

    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    podi = gen_product(session, world.shop_b, title="Idli podi", category_slug="spices", price_paise=11_000)
    world.member_b.group.monthly_saving_paise = 200_00
    finance.set_shares(session, world.member_a, [finance.Share(target="savings", percent_bps=1_000)])
    finance.record_saving(session, world.member_b, 150_00)
    finance.record_saving(session, world.member_b, 50_00)  # the group's Rs 200 saved in full
    world.member_b.group.monthly_saving_paise = 250_00  # staff raise it: no longer in full, in every month
    rollups.saving_changed(session, world.member_b.group)
    stall_sale.record(session, world.shop_b.id, world.member_b.user, 2_500_00, "upi_qr", "stall-1",
                         variant_id=podi.variants[0].id, quantity=1)
    session.commit()
    app = make_app()
    client = app.test_client()
    placed = checkout(client, session, world, (kurti, podi), pay_with="cash")
    for order in placed.orders:
        login(client, order.business.owner_users[0].phone)
        client.post(f"/orders/{order.id}/status", data={"to": "confirmed"})
        client.post(f"/orders/{order.id}/cash-received")
        client.post("/auth/logout")
    login(client, world.member_a.user.phone)
    order_a = next(o for o in placed.orders if o.business_id == world.shop_a.id)
    client.post(f"/orders/{order_a.id}/refund", data={"amount": "100"})
    session.expire_all()
    kept = _rollup_rows(session)
    assert (world.shop_a.id, rollups.TOTAL, 900_00 - 100_00, 1) in kept["sales_months"]
    assert len(kept["area_months"]) >= 6 and kept["member_months"]  # both levels, sales and savings
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["dashboards", "rebuild"]).exit_code == 0
        assert "loans refreshed" in app.test_cli_runner().invoke(args=["dashboards", "refresh"]).output
    session.expire_all()
    assert _rollup_rows(session) == kept


def _rollup_rows(session) -> dict[str, list]:
    """Every rollup table's rows (and the members' columns kept for the dashboards); rows whose counts are all
    zero are left out (a sale and its refund in one month may leave one behind)."""
    from vendors.models import Member

    tables = {"sales_months": (rollups.SalesMonth, ("business_id", "category_id"), ("income_paise", "sales")),
              "member_months": (rollups.MemberMonth, ("member_id", "month"), ("income_paise", "saved_paise")),
              "area_months": (rollups.AreaMonth, ("level", "unit_id", "category_id", "month"),
                              ("income_paise", "sales", "active_sellers", "lakhpati", "saved_paise", "saved_in_full")),
              "members": (Member, ("id",), ("last_sold_in", "late_days"))}
    found = {}
    for name, (model, keys, values) in tables.items():
        rows = session.execute(sa.select(*(getattr(model, c) for c in keys + values))
                               .order_by(*(getattr(model, c) for c in keys))).all()
        found[name] = [tuple(r) for r in rows if name == "members" or any(r[len(keys):])]
    return found


def test_savings_earners_and_active_sellers_follow_each_sale_and_refund(client, session, data):
    """Org A this month: Rs 11,000 from two stall sales. Savings of Rs 300 against a Rs 300 monthly saving."""
    scope = scope_for(session, "organisation", str(data.org_a.id), None)
    data.group_a.monthly_saving_paise = 300_00
    finance.record_saving(session, data.member_a, 100_00)
    session.flush()
    f = figures(session, scope, clock.today())
    assert (f.saved_paise, f.saving_members, f.saved_in_full) == (100_00, 1, 0)
    finance.record_saving(session, data.member_a, 200_00)
    f = figures(session, scope, clock.today())
    assert (f.saved_paise, f.saved_in_full) == (300_00, 1)
    data.group_a.monthly_saving_paise = 500_00  # staff raise it: she has not saved the new amount in full
    rollups.saving_changed(session, data.group_a)
    assert figures(session, scope, clock.today()).saved_in_full == 0
    this_month = clock.today().replace(day=1)
    # A refund of the whole month's income: no longer an active seller (and no longer a Rs 10,000 earner).
    rollups.add(session, data.shop_a, [(rollups.OTHER, -11_000_00)], 0)
    f = figures(session, scope, clock.today())
    assert (f.income_paise, f.orders, f.active_sellers) == (0, 2, 0)
    month = session.get(rollups.MemberMonth, (this_month, data.member_a.id))
    assert month.income_paise == 0 and month.saved_paise == 300_00
    rollups.add(session, data.shop_a, [(rollups.OTHER, 12_000_00)], 1)
    session.commit()  # the SHG's and organisation's rows are written at the commit, in key order
    row = session.get(rollups.AreaMonth, (this_month, rollups.ORGANISATION, data.org_a.id, rollups.TOTAL))
    assert (row.active_sellers, row.lakhpati, row.sales) == (1, 1, 3)


def test_area_rows_are_written_once_at_the_commit_and_forgotten_on_a_rollback(session, data):
    this_month = clock.today().replace(day=1)
    key = (this_month, rollups.ORGANISATION, data.org_a.id, rollups.TOTAL)
    before = session.get(rollups.AreaMonth, key).income_paise
    rollups.add(session, data.shop_a, [(rollups.OTHER, 700_00)], 1)
    session.rollback()
    session.commit()
    assert session.get(rollups.AreaMonth, key, populate_existing=True).income_paise == before
    rollups.add(session, data.shop_a, [(rollups.OTHER, 700_00)], 1)
    rollups.add(session, data.shop_a, [(rollups.OTHER, 300_00)], 1)
    session.commit()
    session.commit()
    assert session.get(rollups.AreaMonth, key, populate_existing=True).income_paise == before + 1_000_00


def test_a_member_who_sold_nothing_for_three_months_needs_a_visit(session, data):
    scope = scope_for(session, "organisation", str(data.org_b.id), None)
    assert figures(session, scope, clock.today()).to_visit == 1  # member B has never sold
    rollups.add(session, data.shop_b, [(rollups.OTHER, 500_00)], 1,
                when=datetime.now(UTC) - timedelta(days=62))
    assert figures(session, scope, clock.today()).to_visit == 0
    session.refresh(data.member_b)
    assert data.member_b.last_sold_in == clock.month_of(datetime.now(UTC) - timedelta(days=62))
    rollups.add(session, data.shop_b, [(rollups.OTHER, -500_00)], 0)  # a refund is not a sale
    session.refresh(data.member_b)
    assert data.member_b.last_sold_in == clock.month_of(datetime.now(UTC) - timedelta(days=62))
