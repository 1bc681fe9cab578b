"""No signal: a seller lists a product with a photo, it waits on her phone, and is listed once when the signal
returns; the service worker keeps her pages opening meanwhile."""

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from catalog.models import Product
from tests.browser.phone import log_in
from tests.conftest import PATIENCE_MS
from tests.factories import photo_bytes


def test_a_product_listed_offline_is_sent_once_when_the_signal_returns(page: Page, live_server, world, session,
                                                                        tmp_path):
    photo = tmp_path / "IMG_20261125.jpg"
    photo.write_bytes(photo_bytes(1200, 900))
    log_in(page, live_server, world.member_a.user.phone)
    page.goto(live_server + "/seller/products/")
    page.goto(live_server + "/seller/products/new")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker, which keeps this page
    assert page.evaluate("!!navigator.serviceWorker.controller")

    page.context.set_offline(True)
    page.locator("input[name=photos][capture]").set_input_files(str(photo))
    page.get_by_label("Name").fill("Mirror-work cushion cover")
    page.get_by_label("Category").select_option(label="Kurtis and tops")
    page.get_by_label("Price (₹)").first.fill("350")
    page.get_by_label("How many you have").first.fill("6")
    page.get_by_role("button", name="Save and show to buyers").click()
    status = page.locator("[data-drafts-status]")
    expect(status).to_contain_text("kept on this phone")
    expect(page.get_by_label("Name")).to_have_value("")  # the form is free for the next one
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0

    page.goto(live_server + "/seller/products/")  # still opens, from the copy the service worker kept
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(status).to_contain_text("1 product is waiting on this phone")

    page.context.set_offline(False)
    expect(status).to_contain_text("1 product from this phone was sent", timeout=PATIENCE_MS)
    session.expire_all()
    products = session.scalars(sa.select(Product)).all()
    assert [(p.title, p.price_paise, p.listed, len(p.photos)) for p in products] == \
        [("Mirror-work cushion cover", 35_000, True, 1)]
    page.reload()  # nothing left to send: no second copy
    page.goto(live_server + "/seller/products/")
    expect(page.locator("main").get_by_text("Mirror-work cushion cover")).to_have_count(1)
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Product)) == 1
