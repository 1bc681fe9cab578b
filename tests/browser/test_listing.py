"""A seller lists a product from her phone, with a camera photo; a buyer then finds it by search."""

from playwright.sync_api import Page, expect

from tests.factories import photo_bytes


def test_list_a_product_on_a_phone_and_find_it_by_search(page: Page, live_server, world, tmp_path):
    photo = tmp_path / "IMG_20261125.jpg"
    photo.write_bytes(photo_bytes(1600, 1200))

    page.goto(live_server + "/auth/login")
    page.get_by_label("Phone number or e-mail").fill("98123 45601")
    page.get_by_label("Password").fill("correct-horse-9")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Add a product").click()

    page.locator("input[name=photos][capture]").set_input_files(str(photo))
    expect(page.get_by_text("1 photo ready")).to_be_visible()
    page.get_by_label("Name").fill("Indigo block-print kurti")
    page.get_by_label("Category").select_option(label="Kurtis and tops")
    page.get_by_label("Price (₹)").first.fill("550")
    page.get_by_label("How many you have").first.fill("4")
    page.get_by_role("button", name="Save and show to buyers").click()
    expect(page.get_by_role("status")).to_contain_text("Buyers can see it now")
    expect(page.locator(".photo-strip img")).to_have_count(1)

    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_role("button", name="Log out", exact=True).click()
    page.get_by_role("searchbox").fill("indigo kurtis")
    page.get_by_role("searchbox").press("Enter")
    result = page.locator(".product").filter(has_text="Indigo block-print kurti")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("₹550.00")
    expect(result).to_contain_text("Rangoli Stitches")
    result.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indigo block-print kurti")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]


def test_no_page_is_wider_than_the_phone(page: Page, live_server, world):
    for path in ("/", "/shop", "/search?q=" + "kurtiwithaverylongwordthatnobodyeverwritesbutsomeonemight" * 2):
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], path


def test_a_phone_number_in_the_title_is_refused_in_her_language_under_the_field(page: Page, live_server, world,
                                                                                  tmp_path):
    """In Hindi, on a phone: the reason is under the name, what she typed stays, and the page fits the screen."""
    page.context.add_cookies([{"name": "lang", "value": "hi", "url": live_server}])
    page.goto(live_server + "/auth/login")
    page.locator("input[name=login]").fill("98123 45601")
    page.locator("input[name=password]").fill("correct-horse-9")
    page.locator("form button[type=submit]").last.click()
    page.goto(live_server + "/seller/products/new")
    page.locator("input[name=title]").fill("सूती कुर्ती ९८१२३ ४५६७८")
    page.locator("select[name=category]").select_option(label="कुर्ती और टॉप")
    page.locator("input[name='variants-0-price']").fill("550")
    page.locator("input[name='variants-0-stock']").fill("4")
    page.locator("textarea[name=description]").fill("हाथ की छपाई")
    page.locator("button[name=publish]").click()
    error = page.locator(".field.has-error", has=page.locator("input[name=title]")).locator(".error")
    expect(error).to_contain_text("आपकी सुरक्षा के लिए फ़ोन नंबर")
    expect(page.locator("input[name=title]")).to_have_value("सूती कुर्ती ९८१२३ ४५६७८")
    expect(page.locator("textarea[name=description]")).to_have_value("हाथ की छपाई")
    page.locator("input[name=title]").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "refused-title.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_photos_picked_before_the_pages_script_arrives_are_still_counted(page: Page, live_server, world, tmp_path):
    """On a slow phone she may take the photo before product-form.js has loaded: it counts them when it arrives."""
    photo = tmp_path / "IMG_20261207.jpg"
    photo.write_bytes(photo_bytes(800, 600))
    page.goto(live_server + "/auth/login")
    page.get_by_label("Phone number or e-mail").fill("98123 45601")
    page.get_by_label("Password").fill("correct-horse-9")
    page.get_by_role("button", name="Log in").click()
    held = []
    page.route("**/js/product-form.js*", lambda route: held.append(route))  # the script is still on its way
    page.goto(live_server + "/seller/products/new", wait_until="commit")  # a deferred script holds DOMContentLoaded
    page.locator("input[name=photos][capture]").set_input_files(str(photo))  # as soon as the button is there
    assert held, "the page asks for its script"
    held[0].continue_()
    expect(page.get_by_text("1 photo ready")).to_be_visible()
