"""The large seed, at a small size: a whole programme whose dashboards add up."""

import sqlalchemy as sa

from market.core.clock import today
from market.demo_large import load_large
from market.reports.dashboards import figures, scope_for
from market.reports.rollups import TOTAL, SalesMonth


def test_the_large_seed_fills_a_programme_whose_rollups_match_its_orders(session):
    steps = []
    load_large(session, "x", {"organisations": 5, "groups": 20, "members": 60, "orders": 900, "buyers": 7},
               progress=lambda step, done, total: steps.append(step))
    session.commit()
    assert {"accounts", "members and shops", "orders", "loans", "monthly rollups"} <= set(steps)
    counts = {t: session.scalar(sa.text(f"SELECT count(*) FROM {t}"))  # noqa: S608 - fixed names
              for t in ("organisations", "self_help_groups", "members", "orders", "loans", "loan_status")}
    assert counts == {"organisations": 5, "self_help_groups": 20, "members": 60, "orders": 900, "loans": 30,
                      "loan_status": 30}
    orders_total = session.scalar(sa.text("SELECT sum(total_paise) FROM orders"))
    rolled = session.scalar(sa.select(sa.func.sum(SalesMonth.income_paise)).where(SalesMonth.category_id == TOTAL))
    by_category = session.scalar(sa.select(sa.func.sum(SalesMonth.income_paise))
                                 .where(SalesMonth.category_id != TOTAL))
    assert rolled == by_category == orders_total
    programme = figures(session, scope_for(session, "programme", "1", None), today())
    assert sum(paise for _month, paise in programme.months) == orders_total
    assert programme.members == 60 and programme.loans == 30 and len(programme.rows) == 5
    # Its groups' meetings (attendance only): 16 of the 20 groups keep books, one stopped, one member in six away.
    met = programme.meetings
    assert (met.groups, met.stopped) == (16, 1) and 0 < met.met_months < met.expected_months
    assert met.attendance_bps is not None and 8_000 < met.attendance_bps < 8_700
