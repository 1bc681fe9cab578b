"""'Listen' reads a page's instruction aloud in the page's language, where the phone has a voice for it."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import choose_language
from tests.browser.phone import log_in
from tests.browser.test_in_languages import catalogue

VOICES = """
window.__said = [];
const voices = [{lang: "hi-IN", name: "Hindi"}, {lang: "en-IN", name: "English"}];
Object.defineProperty(window, "speechSynthesis", {value: {
  getVoices: () => voices, cancel: () => {}, addEventListener: () => {},
  speak: (u) => window.__said.push({text: u.text, lang: u.lang})}});
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""


def test_listen_reads_the_instruction_in_hindi(page: Page, live_server, world):
    page.add_init_script(VOICES)
    tr = catalogue("hi")
    choose_language(page, live_server, "hi")
    log_in(page, live_server, world.member_a.user.phone, tr=tr)
    page.goto(f"{live_server}/seller/products/new")
    page.get_by_role("button", name=tr("Listen")).click()
    said = page.evaluate("window.__said")
    assert said == [{"text": tr("Take a photo of the product. Write its name, choose what kind it is, write the price "
                                 "and how many you have. Then press Save and show to buyers."), "lang": "hi-IN"}]


def test_no_voice_for_the_language_no_button(page: Page, live_server, world):
    page.add_init_script(VOICES)
    tr = catalogue("ta")
    choose_language(page, live_server, "ta")
    log_in(page, live_server, world.member_a.user.phone, tr=tr)
    page.goto(f"{live_server}/seller/orders")
    expect(page.locator("button.speak")).to_be_hidden()
