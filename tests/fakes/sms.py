"""The local SMS provider (market.core.fakes.sms) served on 127.0.0.1, and the real clients pointed at it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from market.core.config import LOCALES
from market.core.fakes.sms import FakeSms
from market.core.sms import DltProvider, TwilioProvider, demo_template_ids, registered_text
from tests.fakes.server import serve

SID, KEY, TOKEN, SENDER, ENTITY = "haat", "dlt-key", "dlt-token", "HAATMK", "1101234567890123456"
TWILIO_SID, TWILIO_TOKEN, TWILIO_FROM = "AC0123456789abcdef0123456789abcdef", "twilio-token", "+15005550006"
TEMPLATE_IDS = demo_template_ids(LOCALES)


def registered() -> dict[str, str]:
    """Every template in every language as registered on DLT (call in an app context: it reads catalogues)."""
    return {tid: registered_text(*key.split(":")) if ":" in key else registered_text(key, None)
            for key, tid in TEMPLATE_IDS.items()}


@contextmanager
def sms_server(**changes) -> Iterator[FakeSms]:
    """A fake provider answering on 127.0.0.1 (its `url`), DLT and Twilio accounts registered."""
    fake = FakeSms(dlt_accounts={SID: (KEY, TOKEN)}, senders={SENDER}, entity_id=ENTITY, templates=registered(),
                   twilio_accounts={TWILIO_SID: TWILIO_TOKEN}, **changes)
    with serve(fake) as served:
        fake.url = served.url
        yield fake


def dlt(fake: FakeSms, **changes) -> DltProvider:
    settings = {"sid": SID, "api_key": KEY, "api_token": TOKEN, "sender": SENDER, "entity_id": ENTITY,
                "template_ids": TEMPLATE_IDS, **changes}
    return DltProvider(fake.url, **settings)


def twilio(fake: FakeSms, token: str = TWILIO_TOKEN) -> TwilioProvider:
    return TwilioProvider(fake.url, TWILIO_SID, token, TWILIO_FROM)


def dlt_settings(fake: FakeSms) -> dict:
    """App settings for the DLT provider at the fake."""
    return {"SMS_PROVIDER": "dlt", "SMS_DLT_BASE_URL": fake.url, "SMS_DLT_SID": SID, "SMS_DLT_API_KEY": KEY,
            "SMS_DLT_API_TOKEN": TOKEN, "SMS_DLT_SENDER": SENDER, "SMS_DLT_ENTITY_ID": ENTITY,
            "SMS_DLT_TEMPLATES": json.dumps(TEMPLATE_IDS)}
