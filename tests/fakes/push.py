"""The local push service (market.core.fakes.push) served on 127.0.0.1, and the real sender pointed at it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from market.core.fakes.push import FakePush
from market.core.push import PushSender
from tests.conftest import TEST_CONFIG
from tests.fakes.server import serve

PRIVATE_KEY, SUBJECT = TEST_CONFIG["VAPID_PRIVATE_KEY"], TEST_CONFIG["VAPID_SUBJECT"]


def public_key(private: str = PRIVATE_KEY) -> str:
    """The applicationServerKey of a VAPID private key (base64url), as the account page gives it to the browser."""
    number = int.from_bytes(base64.urlsafe_b64decode(private + "=" * (-len(private) % 4)), "big")
    point = ec.derive_private_key(number, ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


@contextmanager
def push_server(**changes) -> Iterator[FakePush]:
    """A fake push service answering on 127.0.0.1 (its `url`; `aud` must be that origin)."""
    fake = FakePush(**changes)
    with serve(fake) as served:
        fake.url = served.url
        fake.origin = served.url
        yield fake


def sender(private: str = PRIVATE_KEY) -> PushSender:
    return PushSender(private, SUBJECT)
