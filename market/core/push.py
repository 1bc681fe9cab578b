"""Web push: alerts on her phone even when Haat is closed (RFC 8030), sent with pywebpush: the payload encrypted
for her browser alone (RFC 8291, aes128gcm) and signed for the push service with our VAPID key (RFC 8292).

Keys: HAAT_VAPID_PRIVATE_KEY (the P-256 private key, base64url of its 32 bytes, as `vapid --gen` or
`web-push generate-vapid-keys` print it) and HAAT_VAPID_SUBJECT (a mailto: or https: contact the push services can
write to). In development the key is made once and kept in instance/vapid_private_key; in production without them
there are no phone alerts (the account page does not offer them). Changing the key ends every subscription: the
browsers made them for the old one.

The demo push service: outside production, a browser whose own push service cannot be reached (headless, or no
network) may take its subscription from the local fake (`market.core.fakes.push`), reached in this process at
http://push.demo/; what it receives, decrypted, is shown on the demo's phone page (/demo/sms).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import requests
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from werkzeug.local import LocalProxy

from market.core.errors import MessagesUnavailable, Refusal
from market.core.fakes.local import InProcess
from market.core.fakes.push import FakePush, FileStore

TIMEOUT = 15  # seconds
TTL = 24 * 60 * 60  # a phone that is off keeps its place in the push service's queue for a day
MAX_PAYLOAD = 3000  # bytes of JSON before encryption: the encrypted body stays well under 4096 (RFC 8291)
DEMO_ORIGIN = "http://push.demo"
# The browsers' push services. In production a subscription must point at one of them: the worker POSTs to the
# endpoint, which must not be a way to make our servers call anywhere else.
PUSH_SERVICE_HOSTS = ("fcm.googleapis.com", "android.googleapis.com", "updates.push.services.mozilla.com",
                      ".push.apple.com", ".notify.windows.com")


class SubscriptionRefused(Refusal):
    """The browser's subscription cannot be used."""


NOT_A_SUBSCRIPTION = _l("This phone's browser could not turn alerts on. Try again, or use another browser.")


def check_subscription(data: object, production: bool) -> tuple[str, str, str]:
    """The endpoint, p256dh and auth of a browser's `PushSubscription.toJSON()`, checked (RFC 8291 key sizes; in
    production an https endpoint at a known push service)."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
        raise SubscriptionRefused(NOT_A_SUBSCRIPTION)
    try:
        endpoint, p256dh, auth = str(data["endpoint"]), str(data["keys"]["p256dh"]), str(data["keys"]["auth"])
        public, secret = _unb64(p256dh), _unb64(auth)
    except (KeyError, ValueError, binascii.Error):
        raise SubscriptionRefused(NOT_A_SUBSCRIPTION) from None
    url = urlsplit(endpoint)
    host = url.hostname or ""
    known = any(host == h or (h.startswith(".") and host.endswith(h)) for h in PUSH_SERVICE_HOSTS)
    if len(endpoint) > 500 or len(public) != 65 or public[0] != 4 or len(secret) != 16 \
            or url.scheme not in ("https", "http") or not host \
            or (production and (url.scheme != "https" or not known)):
        raise SubscriptionRefused(NOT_A_SUBSCRIPTION)
    return endpoint, p256dh, auth


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushGone(Exception):
    """The subscription has ended (404 or 410): the browser will not take pushes there again; forget it."""


class PushError(Exception):
    """The push service refused the message (another 4xx): trying again would not help."""


class PushUnavailable(MessagesUnavailable):
    """The push service could not be reached, was too busy (429) or failed (5xx): try again later."""


@dataclass(frozen=True)
class Alert:
    """What the phone shows: a title, a line of text, the page it opens, and a tag (the same tag twice shows once)."""

    title: str
    body: str
    url: str
    tag: str
    lang: str

    def payload(self) -> str:
        """The JSON the service worker reads, cut to fit a push message (the body shortened, never the title)."""
        body = self.body
        while True:
            text = json.dumps({"title": self.title, "body": body, "url": self.url, "tag": self.tag,
                               "lang": self.lang}, ensure_ascii=False, separators=(",", ":"))
            if len(text.encode()) <= MAX_PAYLOAD or not body:
                return text
            body = body[:max(0, len(body) - 50)].rstrip() + "…" if len(body) > 50 else ""


class PushSender:
    """Sends alerts to browsers' push services with pywebpush and our VAPID key."""

    def __init__(self, private_key: str, subject: str, http: requests.Session | None = None):
        self.vapid = Vapid.from_string(private_key)
        self.subject = subject
        self.http = http or requests.Session()

    def send(self, endpoint: str, p256dh: str, auth: str, alert: Alert, *, urgency: str = "normal",
             topic: str | None = None, ttl: int = TTL) -> None:
        """Encrypt and send one alert; raise PushGone, PushError or PushUnavailable."""
        headers: dict[str, str | int | float] = {"Urgency": urgency}
        if topic:
            headers["Topic"] = topic
        try:
            webpush({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}, alert.payload(),
                    vapid_private_key=self.vapid, vapid_claims={"sub": self.subject},  # aud and exp: pywebpush's
                    ttl=ttl, headers=headers, timeout=TIMEOUT, requests_session=self.http)
        except WebPushException as exc:
            status = exc.status_code
            if status in (404, 410):
                raise PushGone(f"push service answered {status}") from None
            if status is None or status == 429 or status >= 500:
                raise PushUnavailable(f"push service answered {status}") from None
            raise PushError(f"push service refused ({status})") from None
        except requests.RequestException as exc:
            raise PushUnavailable("push service unreachable") from exc


def demo_store_path(app: Flask) -> Path:
    return Path(app.config.get("DEMO_PUSH_STORE") or Path(app.instance_path) / "demo-push.json")


def demo_service(app: Flask | None = None) -> FakePush | None:
    """The demo's push service (outside production only), made once per app; its state under instance/."""
    app = app or cast("LocalProxy[Flask]", current_app)._get_current_object()  # Flask annotates the proxy as Flask
    if app.config["ENV"] == "production":
        return None
    if "haat.demo_push" not in app.extensions:
        app.extensions["haat.demo_push"] = FakePush(store=FileStore(demo_store_path(app)), origin=DEMO_ORIGIN)
    return app.extensions["haat.demo_push"]


def sender_from_config(app: Flask | None = None) -> PushSender | None:
    """The push sender with the configured key (None when push is off); it reaches the demo's push service too."""
    app = app or cast("LocalProxy[Flask]", current_app)._get_current_object()  # Flask annotates the proxy as Flask
    if not app.config.get("VAPID_PRIVATE_KEY"):
        return None
    http = requests.Session()
    demo = demo_service(app)
    if demo is not None:
        http.mount(DEMO_ORIGIN + "/", InProcess(demo))
    return PushSender(app.config["VAPID_PRIVATE_KEY"], app.config["VAPID_SUBJECT"], http=http)
