"""Text messages (SMS): short templates in her language, and the providers that send them.

Two providers, chosen by HAAT_SMS_PROVIDER:
- `dlt`: an Indian DLT-registered sender. India's operators drop any commercial SMS whose sender header, principal
  entity id and template id are not registered on the DLT platform, and whose text does not match the registered
  template with its {#var#} parts filled in. The HTTP API is shaped on Exotel's SMS API
  (`POST /v1/Accounts/{sid}/Sms/send.json`, basic auth api key:token; From, To, Body, EncodingType, DltEntityId,
  DltTemplateId, SmsType, CustomField).
- `twilio`: numbers abroad, Twilio's REST API (`POST /2010-04-01/Accounts/{sid}/Messages.json`, basic auth
  account sid:auth token; To, From, Body). Twilio's SDK is not on this machine's mirror: plain `requests`.
- `demo` (the default): the `dlt` client talking to `market.core.fakes.sms` in this process, whose inbox the
  demo's phone page (/demo/sms) shows. Production refuses it.

Neither real API takes an idempotency key, so the notify worker sends at most once (see notifications.py); the
message's reference goes in Exotel's CustomField so a delivery can be matched to its row.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import requests
from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.local import LocalProxy

from market.core.config import LOCALES
from market.core.errors import MessagesUnavailable
from market.core.fakes.local import InProcess
from market.core.fakes.sms import FakeSms, FileStore

# GSM 03.38: the basic set (one septet each) and the extension table (two septets: escape + character).
GSM7_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")
MAX_SEGMENTS = 2  # each template, filled in, stays within two messages' worth in every language
TIMEOUT = 15  # seconds


def is_gsm7(text: str) -> bool:
    """Whether the text can go in the GSM 7-bit alphabet (else it goes as UCS-2: Unicode)."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def segments(text: str) -> int:
    """How many SMS the text takes: GSM-7 160 a message or 153 each when split; UCS-2 70, or 67 when split
    (counted in UTF-16 units: a character outside the BMP takes two)."""
    if is_gsm7(text):
        units, single, multi = sum(2 if c in GSM7_EXTENDED else 1 for c in text), 160, 153
    else:
        units, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else math.ceil(units / multi)


# The templates: short, nothing private (never a name; an order number and an amount are fine). Each is
# registered on DLT once per language, its %(...)s parts as {#var#}.
TEMPLATES = {
    "signup_code": _l("Haat: your code is %(code)s. It makes your account; it works for 1 hour. Do not share it."),
    "reset_code": _l("Haat: your code for a new password is %(code)s. It works for 10 minutes. Do not share it."),
    "login_code": _l("Haat: your code to log in is %(code)s. It works for 10 minutes. Do not share it."),
    "new_order": _l("Haat: new order %(n)s, %(amount)s. Open Haat to accept it."),
    "payment_received": _l("Haat: order %(n)s is paid, %(amount)s. Open Haat to accept it."),
    "meeting_receipt": _l("Haat: group meeting receipt %(total)s (saving %(saving)s, loan %(loan)s)."),
}
VARIABLE = "{#var#}"


def render(name: str, locale: str | None, values: dict[str, str]) -> str:
    """The template's text in her language, filled in."""
    with force_locale(locale or "en_IN"):
        return str(TEMPLATES[name]) % values


def registered_text(name: str, locale: str | None) -> str:
    """The template as registered on DLT: each variable part written {#var#}."""
    with force_locale(locale or "en_IN"):
        source = str(TEMPLATES[name])
    return source % _Everything(VARIABLE)


class _Everything(dict):
    def __init__(self, value: str):
        super().__init__()
        self.value = value

    def __missing__(self, _key):
        return self.value


@dataclass(frozen=True)
class Sms:
    """One text message to send."""

    to: str  # E.164
    template: str  # a TEMPLATES key
    locale: str | None
    values: dict[str, str]
    reference: str  # ours, unique per message: sent along where the provider keeps one

    @property
    def text(self) -> str:
        return render(self.template, self.locale, self.values)


class SmsError(Exception):
    """The provider refused the message (a 4xx: trying again would not help)."""


class SmsUnavailable(MessagesUnavailable):
    """The provider could not be reached or failed (a 5xx or the network): try again later."""


def _answer(response: requests.Response) -> dict:
    if response.status_code >= 500:
        raise SmsUnavailable(f"SMS provider answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        raise SmsError(f"SMS provider refused ({response.status_code}): {_reason(body)}")
    return body


def _reason(body: dict) -> str:
    error = body.get("RestException") or body
    return str(error.get("Message") or error.get("message") or "no reason given")[:200]


class DltProvider:
    """An Indian DLT-registered sender (Exotel's API shape)."""

    name = "dlt"

    def __init__(self, base_url: str, sid: str, api_key: str, api_token: str, sender: str, entity_id: str,
                 template_ids: dict[str, str], http: requests.Session | None = None):
        self.url = f"{base_url.rstrip('/')}/v1/Accounts/{sid}/Sms/send.json"
        self.auth, self.sender, self.entity_id, self.template_ids = (api_key, api_token), sender, entity_id, \
            template_ids
        self.http = http or requests.Session()

    def template_id(self, sms: Sms) -> tuple[str, str | None]:
        """The registered template id for this message in her language (else the English one) and the locale."""
        if sms.locale and f"{sms.template}:{sms.locale}" in self.template_ids:
            return self.template_ids[f"{sms.template}:{sms.locale}"], sms.locale
        return self.template_ids[sms.template], None

    def send(self, sms: Sms) -> str:
        """Send; return the provider's message id."""
        template_id, locale = self.template_id(sms)
        text = render(sms.template, locale, sms.values)
        try:
            response = self.http.post(self.url, auth=self.auth, timeout=TIMEOUT, data={
                "From": self.sender, "To": sms.to, "Body": text,
                "EncodingType": "plain" if is_gsm7(text) else "unicode", "SmsType": "transactional",
                "DltEntityId": self.entity_id, "DltTemplateId": template_id, "CustomField": sms.reference})
        except requests.RequestException as exc:
            raise SmsUnavailable("SMS provider unreachable") from exc
        return str(_answer(response).get("SMSMessage", {}).get("Sid", ""))


class TwilioProvider:
    """Twilio's Messages API, for numbers abroad (or everywhere, when so configured)."""

    name = "twilio"

    def __init__(self, base_url: str, account_sid: str, auth_token: str, sender: str,
                 http: requests.Session | None = None):
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth, self.sender = (account_sid, auth_token), sender
        self.http = http or requests.Session()

    def send(self, sms: Sms) -> str:
        """Send; return Twilio's message sid."""
        try:
            response = self.http.post(self.url, auth=self.auth, timeout=TIMEOUT,
                                      data={"To": sms.to, "From": self.sender, "Body": sms.text})
        except requests.RequestException as exc:
            raise SmsUnavailable("SMS provider unreachable") from exc
        return str(_answer(response).get("sid", ""))




DEMO = {"sid": "haatdemo", "key": "demo-key", "token": "demo-token", "sender": "HAATMK",
        "entity": "1101000000000000001"}


def demo_template_ids(locales) -> dict[str, str]:
    """Made-up DLT template ids for every template in every language (the demo registers them all)."""
    ids = {}
    for number, name in enumerate(sorted(TEMPLATES)):
        ids[name] = f"11070000000000{number:02d}000"
        for index, locale in enumerate(sorted(locales)):
            ids[f"{name}:{locale}"] = f"11070000000000{number:02d}{index + 1:03d}"
    return ids


def demo_store_path(app) -> Path:
    return Path(app.config.get("DEMO_SMS_STORE") or Path(app.instance_path) / "demo-sms.json")


def demo_fake(app):
    """The demo's SMS provider (a fake DLT gateway keeping its inbox under instance/), all templates registered."""
    ids = demo_template_ids(LOCALES)
    with app.app_context():
        registered = {tid: registered_text(key.split(":")[0], key.split(":")[1] if ":" in key else None)
                      for key, tid in ids.items()}
    return FakeSms(dlt_accounts={DEMO["sid"]: (DEMO["key"], DEMO["token"])}, senders={DEMO["sender"]},
                   entity_id=DEMO["entity"], templates=registered, store=FileStore(demo_store_path(app))), ids


def demo_provider(app: Flask | None = None):
    """The demo's fake provider and its template ids, made once per app."""
    app = app or cast("LocalProxy[Flask]", current_app)._get_current_object()  # Flask annotates the proxy as Flask
    if "haat.demo_sms" not in app.extensions:
        app.extensions["haat.demo_sms"] = demo_fake(app)
    return app.extensions["haat.demo_sms"]


def provider_from_config(app: Flask | None = None):
    """The configured SMS provider."""
    app = app or cast("LocalProxy[Flask]", current_app)._get_current_object()  # Flask annotates the proxy as Flask
    config = app.config
    kind = config["SMS_PROVIDER"]
    if kind == "twilio":
        return TwilioProvider(config["TWILIO_API_BASE"] or "https://api.twilio.com", config["TWILIO_ACCOUNT_SID"],
                              config["TWILIO_AUTH_TOKEN"], config["TWILIO_FROM"])
    if kind == "dlt":
        return DltProvider(config["SMS_DLT_BASE_URL"] or "https://api.exotel.com", config["SMS_DLT_SID"],
                           config["SMS_DLT_API_KEY"], config["SMS_DLT_API_TOKEN"], config["SMS_DLT_SENDER"],
                           config["SMS_DLT_ENTITY_ID"], json.loads(config["SMS_DLT_TEMPLATES"]))
    fake, ids = demo_provider(app)
    http = requests.Session()
    http.mount("http://sms.demo/", InProcess(fake))
    return DltProvider("http://sms.demo", DEMO["sid"], DEMO["key"], DEMO["token"], DEMO["sender"], DEMO["entity"],
                       ids, http=http)
