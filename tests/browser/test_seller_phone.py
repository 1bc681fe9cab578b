"""The seller's phone screens at 360 px: stock in one tap from her products list, a stall sale that finds the
product by typing and fills the amount; and the language panel, shown once and gone after "Not now"."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from catalog.models import Photo, Variant
from catalog.services import VariantData
from tests.browser.phone import PHONE, log_in, shot
from tests.conftest import reload
from tests.factories import gen_product, photo_bytes


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(**PHONE)
    yield context.new_page()
    context.close()


def stock_of(session, variant_id: int) -> int:
    reload(session)
    return session.scalar(sa.select(Variant.stock).where(Variant.id == variant_id))


def test_stock_changes_in_one_tap_from_her_products_list(phone: Page, live_server, world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", variants=[
        VariantData(price_paise=45_000, stock=2, size="M"), VariantData(price_paise=45_000, stock=0, size="L")])
    session.commit()
    medium, large = kurti.variants
    log_in(phone, live_server, world.member_a.user.phone)
    phone.goto(live_server + "/seller/products/")
    row = phone.locator(f"#p{kurti.id} .stock-rows li", has_text="L")
    expect(row.locator("output")).to_have_text("0")
    expect(row.get_by_role("button", name="One fewer: L")).to_be_disabled()  # nothing to take away
    for expected in ("1", "2"):
        row.get_by_role("button", name="One more: L").click()
        expect(row.locator("output")).to_have_text(expected)  # no new page: the script sent it
    assert stock_of(session, large.id) == 2
    phone.locator(f"#p{kurti.id} .stock-rows li", has_text="M").get_by_role("button", name="One fewer: M").click()
    expect(phone.locator(f"#p{kurti.id} .stock-rows li", has_text="M").locator("output")).to_have_text("1")
    assert stock_of(session, medium.id) == 1
    expect(phone.locator(f"#p{kurti.id} [data-total-stock]")).to_have_text("3")  # her total follows
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "products-stock")
    phone.reload()  # what the page shows after a reload is what was saved
    expect(phone.locator(f"#p{kurti.id} .stock-rows li", has_text="L").locator("output")).to_have_text("2")


def test_stock_buttons_work_without_the_script(browser, live_server, world, session):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", stock=3)
    session.commit()
    log_in(page, live_server, world.member_a.user.phone)
    page.goto(live_server + "/seller/products/")
    page.locator(f"#p{kurti.id}").get_by_role("button", name="One more: Indigo kurti").click()
    expect(page.locator(f"#p{kurti.id} output")).to_have_text("4")  # back on her list, the new stock shown
    assert "/seller/products/" in page.url
    context.close()
    assert stock_of(session, kurti.variants[0].id) == 4


def test_a_stall_sale_finds_the_product_by_typing_and_fills_the_amount(phone: Page, live_server, world, session):
    for n in range(12):  # a long list
        gen_product(session, world.shop_a, title=f"Cotton saree {n}", price_paise=90_000 + n)
    pickle = gen_product(session, world.shop_a, title="Mango pickle", category_slug="pickles", price_paise=12_000,
                         stock=20)
    session.commit()
    log_in(phone, live_server, world.member_a.user.phone)
    phone.goto(live_server + "/seller/sales")
    search = phone.get_by_label("Find the product: type a few letters")
    search.fill("mango")
    select = phone.get_by_label("What did you sell? (if it is on Haat)")
    expect(select).to_have_value(str(pickle.variants[0].id))  # the only match, chosen
    assert phone.evaluate("[...document.querySelectorAll('#variant option')].filter(o => !o.hidden).length") == 2
    amount = phone.get_by_label("Amount you got (₹)")
    expect(amount).to_have_value("120")
    phone.get_by_label("How many").fill("3")
    expect(amount).to_have_value("360")
    shot(phone, "stall-sale")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    amount.fill("350")  # a discount: her own amount stays
    phone.get_by_label("How many").fill("3")
    expect(amount).to_have_value("350")
    phone.get_by_role("button", name="Save the sale").click()
    expect(phone.get_by_role("status")).to_contain_text("Sale of ₹350.00 saved.")
    assert stock_of(session, pickle.variants[0].id) == 17


def test_the_language_panel_is_shown_once_and_gone_after_not_now(phone: Page, live_server, world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti")
    session.commit()
    phone.goto(live_server + "/")
    panel = phone.locator(".first-language")
    expect(panel).to_be_visible()
    shot(phone, "language-panel")
    for name in ("हिन्दी", "मराठी", "தமிழ்", "తెలుగు", "ಕನ್ನಡ", "বাংলা"):
        button = panel.get_by_role("button", name=name)
        expect(button).to_be_visible()
        family = button.evaluate("b => getComputedStyle(b).fontFamily")
        assert family.startswith('"Haat Names"'), family
    phone.goto(f"{live_server}/p/{kurti.id}")  # the next page: not asked again
    expect(phone.locator(".first-language")).to_have_count(0)
    phone.get_by_role("button", name="Add to cart").click()
    expect(phone.locator(".first-language")).to_have_count(0)  # the cart
    phone.goto(live_server + "/")  # back on the first page: still asking until she answers
    expect(panel).to_be_visible()
    panel.get_by_role("button", name="Not now").click()
    expect(phone.locator(".first-language")).to_have_count(0)
    for path in ("/", "/cart", "/shop"):
        phone.goto(live_server + path)
        expect(phone.locator(".first-language")).to_have_count(0)
    expect(phone.locator("html")).to_have_attribute("lang", "en-IN")  # nothing chosen for her


def test_photos_are_previewed_and_a_turned_one_is_saved_turned(phone: Page, live_server, world, session, tmp_path):
    wide = tmp_path / "IMG_wide.jpg"
    wide.write_bytes(photo_bytes(1200, 800))
    log_in(phone, live_server, world.member_a.user.phone)
    phone.goto(live_server + "/seller/products/new")
    phone.locator("input[name=photos][capture]").set_input_files(str(wide))
    preview = phone.locator("[data-photo-preview] li")
    expect(preview).to_have_count(1)
    preview.get_by_role("button", name="Turn: New photo 1").click()
    expect(preview.locator("img")).to_have_attribute("style", "transform: rotate(90deg);")
    expect(phone.locator("input[name=photo_turns]")).to_have_value("90")
    expect(phone.locator(".first-size legend")).to_contain_text("Price and stock")
    shot(phone, "product-form-preview")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_label("Name").fill("Indigo kurti")
    phone.get_by_label("Category").select_option(label="Kurtis and tops")
    phone.get_by_label("Price (₹)").first.fill("550")
    phone.get_by_label("How many you have").first.fill("4")
    phone.get_by_role("button", name="Save and show to buyers").click()
    expect(phone.get_by_role("status")).to_contain_text("Buyers can see it now")
    reload(session)
    saved = session.scalar(sa.select(Photo))
    assert saved.height > saved.width  # stood up: taller than wide
