"""What the browser tests share: the phone they hold, logging in and out as a person does, and a look at a page
(it fits the screen: no sideways scrolling; a full-page screenshot when HAAT_SCREENSHOTS names a folder)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.factories import PASSWORD

SHOTS = os.environ.get("HAAT_SCREENSHOTS")  # a folder, to look at the pages by eye
WIDTH = 360  # a cheap Android phone
PHONE = {"viewport": {"width": WIDTH, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "en-IN"}
LAPTOP = {"width": 1366, "height": 768}  # staff and admin


def try_log_in(page: Page, base: str, who: str, password: str = PASSWORD, tr=str) -> None:
    """Fill the login page and press "Log in"; `tr` translates the labels when the page is in another language."""
    page.goto(base + "/auth/login")
    page.get_by_label(tr("Phone number or e-mail")).fill(who)
    page.get_by_label(tr("Password")).fill(password)
    page.get_by_role("button", name=tr("Log in"), exact=True).click()


def log_in(page: Page, base: str, who: str, password: str = PASSWORD, tr=str) -> None:
    """Log in, and wait until the page says so (its "Account" link)."""
    try_log_in(page, base, who, password, tr)
    expect(page.get_by_role("link", name=tr("Account"), exact=True)).to_be_visible()


def log_out(page: Page, base: str, tr=str) -> None:
    page.goto(base + "/auth/account")
    page.get_by_role("button", name=tr("Log out"), exact=True).click()


def fits(page: Page, width: int = WIDTH) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{page.url} scrolls sideways"


def shot(page: Page, name: str) -> None:
    """A full-page screenshot to look at, when HAAT_SCREENSHOTS names a folder."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def look(page: Page, name: str, width: int = WIDTH) -> None:
    """The page fits the screen; a screenshot to look at."""
    fits(page, width)
    shot(page, name)


def pdf_text(page: Page, url: str) -> str:
    """The text of a PDF the page links to, fetched with the page's cookies."""
    response = page.request.get(url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
