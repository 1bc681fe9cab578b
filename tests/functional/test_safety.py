"""The sellers' safety rules from DESIGN.md, one test (or more) per rule."""

import logging
import re

from market.core.notifications import LogSender, deliver_all
from market.models_registry import metadata
from tests.conftest import login
from tests.factories import gen_product
from tests.fakes.sms import dlt, sms_server

HEALTH_WORDS = re.compile(
    r"hiv|aids|health|medical|diagnos|disease|cd4|viral|\bart\b|antiretro|key_population|kp_|"
    r"sex_work|trafficking|caste|religion|status_health", re.IGNORECASE)


def test_public_pages_never_show_a_members_legal_name_or_contact(client, world, session):
    private = [world.member_a.legal_name, world.member_b.legal_name, world.member_a.user.phone,
               world.member_b.user.phone, "Secretname", "Hiddenname", "9812345601"]
    product = gen_product(session, world.shop_a, title="Block-print kurti")
    session.commit()
    pages = ("/", "/shops", "/shop", f"/s/{world.shop_a.slug}", f"/p/{product.id}", "/auth/login", "/auth/signup")
    for path in pages:
        html = client.get(path).text
        assert "Rangoli Stitches" in html or path.startswith("/auth")
        for secret in private:
            assert secret not in html, f"{secret!r} leaked on {path}"


def test_buyers_see_shops_by_public_name_only(client, world):
    login(client, world.buyer.email)
    html = client.get("/shops").text
    assert "Podi Box" in html
    assert "Selvi" not in html and "Hiddenname" not in html


def test_the_group_is_shown_only_if_the_business_chooses(client, world, session):
    assert world.group_a.name not in client.get("/shops").text
    assert world.group_a.name not in client.get(f"/s/{world.shop_a.slug}").text
    shop = session.get(type(world.shop_a), world.shop_a.id)
    shop.show_group = True
    session.commit()
    assert world.group_a.name in client.get("/shops").text
    assert world.group_a.name in client.get(f"/s/{world.shop_a.slug}").text


def test_haat_stores_no_health_or_key_population_data():
    for table in metadata.sorted_tables:
        for column in table.columns:
            assert not HEALTH_WORDS.search(f"{table.name}.{column.name}"), f"{table.name}.{column.name}"


def test_no_home_address_is_stored_for_members_or_accounts():
    for table in ("users", "members"):
        names = {c.name for c in metadata.tables[table].columns}
        assert not {n for n in names if "address" in n or "location" in n or "gps" in n}, table


def test_pickup_goes_through_the_collective(world):
    assert world.org_a.pickup_address.startswith("Collective office")


def test_contact_details_never_reach_the_log(client, session, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/auth/signup", data={"name": "Asha", "login": "98765 43210", "password": "long-enough-1",
                                      "confirm": "long-enough-1", "role": "buyer"})
    with sms_server() as fake:  # the code goes by SMS; the log says what was sent, never to whom
        deliver_all(session, LogSender(), dlt(fake))
    assert fake.messages("+919876543210")
    client.post("/auth/logout")
    login(client, "asha.secret@example.org", "wrong-password")
    logging.getLogger("werkzeug").info("request from 9876543210 by asha.secret@example.org")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "9876543210" not in text and "98765 43210" not in text and "asha.secret@example.org" not in text


SEARCHED_PHONES = ["98123.45678", "98123+45678", "98123%2045678", "%2B91-98123-45678",
                   "%E0%A5%AF%E0%A5%AE%E0%A5%A7%E0%A5%A8%E0%A5%A9%20%E0%A5%AA%E0%A5%AB%E0%A5%AC%E0%A5%AD%E0%A5%AE"]


def digits_of(text: str) -> str:
    """Every digit of the text, any script's, written 0-9."""
    import unicodedata
    from urllib.parse import unquote_plus
    text = unquote_plus(text)
    return "".join(str(unicodedata.decimal(c)) for c in text if unicodedata.decimal(c, None) is not None)


def test_a_phone_number_typed_into_search_never_reaches_the_access_log(app, caplog):
    """werkzeug's access log (the development server): the query string is redacted, however it is written."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    caplog.set_level(logging.INFO, logger="werkzeug")
    try:
        for q in SEARCHED_PHONES:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/search?q={q}&page=1") as answer:
                assert answer.status == 200
    finally:
        server.shutdown()
        thread.join()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug" and "/search" in r.getMessage()]
    assert len(lines) == len(SEARCHED_PHONES)
    for line in lines:
        assert "12345678" not in digits_of(line) and "45678" not in digits_of(line), line
        assert "[phone]" in line and "page=1" in line


def test_gunicorns_access_log_loses_the_phone_number_in_the_query_and_the_referer(app):
    """gunicorn's own access logger, with its default format and %(q)s: the number's digits are gone."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" q=%(q)s')
    glog = Logger(config)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    glog.access_log.addHandler(keep := Keep())
    try:
        for q in SEARCHED_PHONES:
            environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/search?q={q}", "QUERY_STRING": f"q={q}",
                       "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.7", "PATH_INFO": "/search",
                       "HTTP_REFERER": f"https://haat.example/search?page=2&q={q}"}
            glog.access(SimpleNamespace(status="200 OK", sent=512, headers=[]), [], environ, timedelta(0, 0, 12000))
    finally:
        glog.access_log.removeHandler(keep)
    assert len(lines) == len(SEARCHED_PHONES)
    for line in lines:
        assert "45678" not in digits_of(line), line
        assert line.count("[phone]") == 3 and "10.0.0.7" in line and "page=2" in line


def test_contact_details_in_an_exception_logged_by_a_library_are_redacted(app, caplog):
    """A module's own logger (not the app's) and an exception's text: a database error shows its values."""
    caplog.set_level(logging.INFO)
    try:
        raise ValueError("duplicate key (phone)=(+919812345678) for asha@example.org")
    except ValueError:
        logging.getLogger("catalog.images").exception("saving %s failed", "98123 45678")
    record = caplog.records[-1]
    text = record.getMessage() + (record.exc_text or "")
    assert "45678" not in digits_of(text) and "asha@example.org" not in text
    assert "[phone]" in record.getMessage()
