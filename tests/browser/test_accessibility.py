"""axe-core (axe-playwright-python) on the main pages at phone size, in English and in Hindi and Tamil:
no serious or critical violation of WCAG 2.2 A/AA."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.conftest import choose_language
from tests.browser.phone import log_in
from tests.factories import gen_product

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
        "resultTypes": ["violations"]}
AXE = Axe()


def serious(page: Page) -> list[str]:
    page.wait_for_load_state("load")
    results = AXE.run(page, options=WCAG).response
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def product(world, session):
    item = gen_product(session, world.shop_a, title="Block-print kurti", stock=5)
    session.commit()
    return item


@pytest.mark.parametrize("language", ["en_IN", "hi", "ta"])
def test_the_buyers_journey_has_no_serious_violation(page: Page, live_server, product, language):
    choose_language(page, live_server, language)
    found = {}
    for path in ("/", "/shop", "/search?q=kurti", f"/p/{product.id}", "/shops", "/auth/login", "/auth/signup",
                 "/welcome"):
        page.goto(live_server + path)
        found[path] = serious(page)
    page.goto(f"{live_server}/p/{product.id}")
    page.locator("form button.big-action").click()  # add to cart, whatever the language
    page.goto(live_server + "/cart")
    found["/cart"] = serious(page)
    assert not any(found.values()), {p: v for p, v in found.items() if v}


@pytest.mark.parametrize("language", ["en_IN", "hi"])
def test_the_sellers_pages_have_no_serious_violation(page: Page, live_server, world, product, language):
    choose_language(page, live_server, language)
    _log_in_any(page, live_server, world)
    found = {}
    for path in ("/seller/", "/seller/products/", "/seller/products/new", f"/seller/products/{product.id}/edit",
                 "/seller/orders", "/seller/money", "/seller/sales", "/auth/account"):
        page.goto(live_server + path)
        found[path] = serious(page)
    assert not any(found.values()), {p: v for p, v in found.items() if v}


def test_the_staff_pages_have_no_serious_violation(page: Page, live_server, world, session):
    from market.core.jobs import Job

    job = Job(kind="onboarding", organisation_id=world.org_a.id, created_by_id=world.staff_a.id, status="running",
              total=40, done=12)
    session.add(job)
    session.commit()
    log_in(page, live_server, world.staff_a.email)
    found = {}
    for path in ("/staff/", f"/staff/organisations/{world.org_a.id}", f"/staff/groups/{world.group_a.id}",
                 f"/staff/dashboard/organisation/{world.org_a.id}", f"/staff/dashboard/group/{world.group_a.id}",
                 "/staff/onboarding/new", f"/jobs/{job.id}"):
        page.goto(live_server + path)
        found[path] = serious(page)
    assert not any(found.values()), {p: v for p, v in found.items() if v}


def test_the_admin_overview_audit_log_and_onboarding_preview_have_no_serious_violation(page: Page, live_server,
                                                                                       world, session):
    import json

    from market.core.jobs import Job

    rows = [{"number": 2, "group": "Navi Disha SHG", "area": "Ward 4", "new_group": True, "name": "Meena Shinde",
             "phone": "+919812345691", "trade": "food", "shop_name": "", "loan": None, "warnings": [],
             "decision": "add"},
            {"number": 3, "group": "Navi Disha SHG", "area": "Ward 4", "new_group": True, "name": "Meena Shinde",
             "phone": "+919812345692", "trade": "food", "shop_name": "", "loan": None,
             "warnings": ["the same name in the same group as row 2"], "decision": "ask"}]
    preview = Job(kind="onboarding", organisation_id=world.org_a.id, created_by_id=world.admin.id, status="done",
                  result=json.dumps({"state": "ready", "rows": rows}))
    session.add(preview)
    session.commit()
    log_in(page, live_server, world.admin.email)
    found = {}
    for path in ("/admin/orders", "/admin/payments", "/admin/refunds", "/admin/reconcile", "/admin/audit",
                 f"/jobs/{preview.id}"):
        page.goto(live_server + path)
        found[path] = serious(page)
    assert not any(found.values()), {p: v for p, v in found.items() if v}


def _log_in_any(page: Page, base: str, world) -> None:
    """Log in by the form's fields, whatever language its labels are in."""
    from tests.factories import PASSWORD

    page.goto(base + "/auth/login")
    page.locator("input[name=login]").fill(world.member_a.user.phone)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
