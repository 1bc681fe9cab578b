"""Settings: defaults, then HAAT_* environment variables, then the test's own. Fails fast in production."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask

from market.core import beckn

LOCALES = {  # code -> the language's own name, as shown in the language picker
    "en_IN": "English",
    "hi": "हिन्दी",
    "mr": "मराठी",
    "ta": "தமிழ்",
    "te": "తెలుగు",
    "kn": "ಕನ್ನಡ",
    "bn": "বাংলা",
}

DEFAULTS = {
    "ENV": "development",
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # None: SQLite file under instance/
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
    "LOGIN_LIMIT_PER_ADDRESS": "30 per 15 minutes",
    "SIGNUP_LIMIT_PER_LOGIN": "3 per hour",  # sign-ups asked for one phone number or e-mail, however spelt
    "SIGNUP_LIMIT_PER_ADDRESS": "20 per hour",
    "RESET_LIMIT_PER_LOGIN": "3 per hour",  # "forgot password" codes asked for one phone number or e-mail
    "RESET_LIMIT_PER_ADDRESS": "20 per hour",
    "REPORT_LIMIT": "10 per hour",  # listings one buyer may report
    "TAXONOMY_KEPT_FOR": 60,  # seconds: a category an admin changed reaches the other processes within a minute
    # Guest pages kept whole (market.core.pagecache, docs/caching.md): files under PAGE_CACHE_DIR (every process
    # of one machine) unless PAGE_CACHE_URL is redis://... (several machines: the same Redis for all).
    "PAGE_CACHE": True,  # false: no page is taken from the cache (changes still make kept pages new)
    "PAGE_CACHE_URL": None,
    "PAGE_CACHE_DIR": None,  # None: instance/pagecache
    "PAGE_CACHE_TIMEOUT": 600,  # seconds a kept page lives at most (a change makes it new at once)
    "PAGE_CACHE_ENTRIES": 2000,  # pages kept in files before the oldest go (Redis: its own maxmemory policy)
    "RATELIMIT_STORAGE_URI": "memory://",  # redis://127.0.0.1:6379/0 when several workers share limits
    "RATELIMIT_HEADERS_ENABLED": False,
    "PASSWORD_HASH_FAST": False,  # tests only: cheap argon2 parameters
    "PROXY_COUNT": 0,  # how many reverse proxies set X-Forwarded-For in front of the app
    "BABEL_DEFAULT_LOCALE": "en_IN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Kolkata",
    "MAX_CONTENT_LENGTH": 64 * 1024,  # an ordinary form; pages with files say their own (market.core.bodies)
    "MEDIA_DIR": None,  # None: instance/media
    "SEARCH_BACKEND": "whoosh",  # or "postgres" when several app servers share one database
    "SEARCH_INDEX_DIR": None,  # None: instance/search
    "JOBS_INLINE": False,  # long jobs (imports, onboarding) run in `flask jobs-worker`; True: in the request (dev)
    "EXPORT_INLINE_ROWS": 5_000,  # a larger export runs as a job (market.export_jobs), its file on /jobs
    "JOBS_DIR": None,  # None: instance/jobs (a job's uploaded files until it finishes; web and worker share it)
    # Payments: the demo gateway (a local Razorpay) unless Razorpay's keys are given; Stripe only with its keys.
    "PAYMENT_GATEWAY": "demo",  # or razorpay
    "RAZORPAY_KEY_ID": None,
    "RAZORPAY_KEY_SECRET": None,
    "RAZORPAY_WEBHOOK_SECRET": None,
    "RAZORPAY_BASE_URL": None,  # None: Razorpay's own; tests point the SDK at a local fake
    "STRIPE_SECRET_KEY": None,
    "STRIPE_WEBHOOK_SECRET": None,
    "STRIPE_API_BASE": None,
    "DEMO_GATEWAY_STORE": None,  # None: instance/demo-razorpay.json
    "PLATFORM_FEE_BPS": 0,  # Haat's fee on online sales, in hundredths of a per cent
    "PAYMENT_TIMEOUT_MINUTES": 30,  # an unpaid online order is cancelled after this, its stock put back
    # Where wholesalers send a bank transfer (NEFT/RTGS/IMPS) for a part of an order; its UTR is confirmed by hand.
    "COLLECTION_ACCOUNT": "Haat collections, account 000000000000, IFSC HAAT0000001 (demo: no real account)",
    # Text messages: the demo provider (a local fake, its inbox on /demo/sms) unless a real one is configured.
    "SMS_PROVIDER": "demo",  # or dlt (an Indian DLT-registered sender, Exotel's API) or twilio
    "SMS_DLT_BASE_URL": None,  # None: https://api.exotel.com; tests point it at a local fake
    "SMS_DLT_SID": None,
    "SMS_DLT_API_KEY": None,
    "SMS_DLT_API_TOKEN": None,
    "SMS_DLT_SENDER": None,  # the 6-letter sender header registered on DLT
    "SMS_DLT_ENTITY_ID": None,  # the principal entity id registered on DLT
    "SMS_DLT_TEMPLATES": None,  # JSON: {"reset_code": "<DLT template id>", "reset_code:hi": "...", ...}
    "TWILIO_API_BASE": None,  # None: https://api.twilio.com
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_FROM": None,  # a Twilio number or alphanumeric sender
    "DEMO_SMS_STORE": None,  # None: instance/demo-sms.json
    # Alerts on her phone (web push): our VAPID key pair. Development: made once in instance/vapid_private_key.
    "VAPID_PRIVATE_KEY": None,  # base64url of the 32-byte P-256 private key; production without it: no push
    "VAPID_SUBJECT": None,  # a mailto: or https: contact for the push services
    "DEMO_PUSH_STORE": None,  # None: instance/demo-push.json
    # ONDC (docs/ondc.md): Haat as a seller app. "demo": the local fake network (market.core.fakes.ondc), keys made
    # from fixed seeds; "staging", "preprod", "prod": ONDC's registries, our real keys needed; "off": not on ONDC.
    "ONDC_NETWORK": "demo",
    "ONDC_SUBSCRIBER_ID": None,  # our subscriber id as registered (the domain: haat.example.org)
    "ONDC_UNIQUE_KEY_ID": None,  # the unique key id registered with our keys
    "ONDC_SIGNING_PRIVATE_KEY": None,  # Ed25519, base64 (ONDC's 64-byte form or the 32-byte seed)
    "ONDC_ENCRYPTION_PRIVATE_KEY": None,  # X25519, base64 of PKCS#8 DER (ONDC's form) or of the raw 32 bytes
    "ONDC_SUBSCRIBER_URL": None,  # where buyer apps call us: https://<subscriber id>/ondc (bpp_uri)
    "ONDC_REQUEST_ID": None,  # the request_id of our /subscribe, signed on /ondc-site-verification.html
    "ONDC_REGISTRY_URL": None,  # None: the network's registry (tests point it at the local fake)
    "ONDC_REGISTRY_PUBLIC_KEY": None,  # None: the network's published X25519 key (the challenge is encrypted with it)
    "ONDC_DOMAINS": "ONDC:RET10,ONDC:RET11,ONDC:RET12,ONDC:RET16",  # the retail domains we answer
    "ONDC_CALLBACKS_INLINE": True,  # send a callback right after the request's response (the worker retries)
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session: slow phones fill forms slowly
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
}


class ConfigError(RuntimeError):
    """A setting needed to start safely is missing or wrong."""


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the common way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(app: Flask, test_config: dict | None) -> None:
    """Fill app.config; raise ConfigError when production lacks a secret."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_prefixed_env("HAAT")
        if os.environ.get("DATABASE_URL"):
            app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    else:
        app.config.from_mapping(test_config)

    production = app.config["ENV"] == "production"
    if not app.config["SECRET_KEY"]:
        if production:
            raise ConfigError("HAAT_SECRET_KEY must be set in production.")
        app.config["SECRET_KEY"] = _development_secret(Path(app.instance_path))
    if production:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True,
                          PREFERRED_URL_SCHEME="https")
    if not app.config["DATABASE_URL"]:
        if production:
            raise ConfigError("DATABASE_URL must be set in production.")
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'haat.db'}"
    app.config["DATABASE_URL"] = normalise_database_url(app.config["DATABASE_URL"])
    _check_payments(app.config, production)
    _check_sms(app.config, production)
    _check_push(app.config, production, Path(app.instance_path))
    _check_ondc(app.config, production)


def _check_payments(config, production: bool) -> None:
    gateway = config["PAYMENT_GATEWAY"]
    if gateway not in ("demo", "razorpay"):
        raise ConfigError("HAAT_PAYMENT_GATEWAY is demo or razorpay.")
    if production and gateway == "demo":
        raise ConfigError("The demo gateway takes no real money: set HAAT_PAYMENT_GATEWAY=razorpay in production.")
    if gateway == "razorpay" and not all(config[k] for k in ("RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET",
                                                             "RAZORPAY_WEBHOOK_SECRET")):
        raise ConfigError("Razorpay needs HAAT_RAZORPAY_KEY_ID, HAAT_RAZORPAY_KEY_SECRET and "
                          "HAAT_RAZORPAY_WEBHOOK_SECRET.")
    if bool(config["STRIPE_SECRET_KEY"]) != bool(config["STRIPE_WEBHOOK_SECRET"]):
        raise ConfigError("Stripe needs both HAAT_STRIPE_SECRET_KEY and HAAT_STRIPE_WEBHOOK_SECRET.")


SMS_KEYS = {
    "dlt": ("SMS_DLT_SID", "SMS_DLT_API_KEY", "SMS_DLT_API_TOKEN", "SMS_DLT_SENDER", "SMS_DLT_ENTITY_ID",
            "SMS_DLT_TEMPLATES"),
    "twilio": ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"),
    "demo": (),
}


def _check_sms(config, production: bool) -> None:
    provider = config["SMS_PROVIDER"]
    if provider not in SMS_KEYS:
        raise ConfigError("HAAT_SMS_PROVIDER is dlt, twilio or demo.")
    if production and provider == "demo":
        raise ConfigError("The demo SMS provider sends nothing: set HAAT_SMS_PROVIDER=dlt or twilio in production.")
    missing = [key for key in SMS_KEYS[provider] if not config[key]]
    if missing:
        raise ConfigError(f"HAAT_SMS_PROVIDER={provider} needs " + ", ".join(f"HAAT_{k}" for k in missing) + ".")
    if provider == "dlt":
        try:
            templates = json.loads(config["SMS_DLT_TEMPLATES"])
        except ValueError:
            templates = None
        needed = {"signup_code", "reset_code", "login_code", "new_order", "payment_received", "meeting_receipt"}
        if not isinstance(templates, dict) or not needed <= templates.keys():
            raise ConfigError("HAAT_SMS_DLT_TEMPLATES is JSON giving a DLT template id for each of "
                              + ", ".join(sorted(needed)) + " (and optionally name:locale for each language).")


def _check_push(config, production: bool, instance: Path) -> None:
    """The VAPID key pair: checked, or made once in development; VAPID_PUBLIC_KEY is derived (None: push off)."""
    if not config["VAPID_PRIVATE_KEY"] and not production:
        config["VAPID_PRIVATE_KEY"] = _development_vapid_key(instance)
        config["VAPID_SUBJECT"] = config["VAPID_SUBJECT"] or "mailto:alerts@haat.invalid"
    config["VAPID_PUBLIC_KEY"] = None
    if not config["VAPID_PRIVATE_KEY"]:
        return
    if not config["VAPID_SUBJECT"] or not re.fullmatch(r"mailto:[^@\s]+@[^@\s]+\.[^@\s]+|https://\S+",
                                                        config["VAPID_SUBJECT"]):
        raise ConfigError("HAAT_VAPID_SUBJECT must be a mailto: address or an https: page the push services can "
                          "reach you at.")
    try:
        raw = base64.urlsafe_b64decode(config["VAPID_PRIVATE_KEY"] + "=" * (-len(config["VAPID_PRIVATE_KEY"]) % 4))
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1()) if len(raw) == 32 else None
    except ValueError:
        key = None
    if key is None:
        raise ConfigError("HAAT_VAPID_PRIVATE_KEY must be base64url of a 32-byte P-256 private key "
                          "(`vapid --gen` or `npx web-push generate-vapid-keys` makes one).")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    config["VAPID_PUBLIC_KEY"] = base64.urlsafe_b64encode(public).rstrip(b"=").decode()


def _development_vapid_key(instance: Path) -> str:
    """A VAPID private key made once and kept under instance/: the browsers' subscriptions outlive a restart."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "vapid_private_key"
    if not path.exists():
        number = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
        made = instance / f"vapid_private_key.{os.getpid()}"
        made.write_text(base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode())
        made.chmod(0o600)
        try:  # the web server and the notify worker start together: the first key linked is everyone's
            os.link(made, path)
        except FileExistsError:
            pass
        finally:
            made.unlink()
    return path.read_text().strip()


def _development_secret(instance: Path) -> str:
    """A random key kept under instance/, so logins survive a restart of `make run`."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


# ONDC's registries and the X25519 public key each encrypts its /on_subscribe challenge with (developer-docs
# registry/Onboarding of Participants.md; reference-implementations utilities/on_subscibe-service/python/Legacy).
ONDC_REGISTRIES = {
    "staging": ("https://staging.registry.ondc.org", "MCowBQYDK2VuAyEAduMuZgmtpjdCuxv+Nc49K0cB6tL/Dj3HZetvVN7ZekM="),
    "preprod": ("https://preprod.registry.ondc.org/ondc",
                "MCowBQYDK2VuAyEAa9Wbpvd9SsrpOZFcynyt/TO3x0Yrqyys4NUGIvyxX2Q="),
    "prod": ("https://prod.registry.ondc.org", "MCowBQYDK2VuAyEAhX7AySYGXHkpVl5c6q/V51rQVUp6w1QkEtNJhWcVtyo="),
}
ONDC_KEYS = ("ONDC_SUBSCRIBER_ID", "ONDC_UNIQUE_KEY_ID", "ONDC_SIGNING_PRIVATE_KEY", "ONDC_ENCRYPTION_PRIVATE_KEY",
             "ONDC_SUBSCRIBER_URL")
# The fake network of the demo and the tests (market.core.fakes.ondc): names, and keys from fixed seeds.
ONDC_DEMO = {"subscriber_id": "haat.demo", "unique_key_id": "haat-demo-1", "subscriber_url": "http://haat.demo/ondc",
             "request_id": "haat-demo-request", "registry_url": "http://ondc.demo/registry"}


def _check_ondc(config, production: bool) -> None:
    """Our identity on ONDC: checked (the keys parse), or the demo's; production must choose a real network or off."""
    network = config["ONDC_NETWORK"]
    if network not in ("demo", "off", *ONDC_REGISTRIES):
        raise ConfigError("HAAT_ONDC_NETWORK is demo, staging, preprod, prod or off.")
    if network == "off":
        return
    if network == "demo":
        if production:
            raise ConfigError("The demo ONDC network is a local fake: set HAAT_ONDC_NETWORK=prod (with our keys) or "
                              "off in production.")
        signing = beckn.SigningKey.from_seed(beckn.demo_seed("signing", ONDC_DEMO["subscriber_id"]))
        encryption = beckn.EncryptionKey.from_seed(beckn.demo_seed("encryption", ONDC_DEMO["subscriber_id"]))
        registry = beckn.EncryptionKey.from_seed(beckn.demo_seed("encryption", "registry"))
        for key, value in (("ONDC_SUBSCRIBER_ID", ONDC_DEMO["subscriber_id"]),
                           ("ONDC_UNIQUE_KEY_ID", ONDC_DEMO["unique_key_id"]),
                           ("ONDC_SIGNING_PRIVATE_KEY", signing.private_base64),
                           ("ONDC_ENCRYPTION_PRIVATE_KEY", encryption.private_base64),
                           ("ONDC_SUBSCRIBER_URL", ONDC_DEMO["subscriber_url"]),
                           ("ONDC_REQUEST_ID", ONDC_DEMO["request_id"]),
                           ("ONDC_REGISTRY_URL", ONDC_DEMO["registry_url"]),
                           ("ONDC_REGISTRY_PUBLIC_KEY", registry.public_base64)):
            config[key] = config[key] or value
    else:
        url, public_key = ONDC_REGISTRIES[network]
        config["ONDC_REGISTRY_URL"] = config["ONDC_REGISTRY_URL"] or url
        config["ONDC_REGISTRY_PUBLIC_KEY"] = config["ONDC_REGISTRY_PUBLIC_KEY"] or public_key
        missing = [key for key in ONDC_KEYS if not config[key]]
        if missing:
            raise ConfigError(f"HAAT_ONDC_NETWORK={network} needs " + ", ".join(f"HAAT_{k}" for k in missing)
                              + " (`flask --app market ondc keys` makes a key pair).")
        if production and not config["ONDC_SUBSCRIBER_URL"].startswith("https://"):
            raise ConfigError("HAAT_ONDC_SUBSCRIBER_URL must be an https:// address in production.")
    try:
        beckn.SigningKey.from_base64(config["ONDC_SIGNING_PRIVATE_KEY"])
    except ValueError as exc:
        raise ConfigError("HAAT_ONDC_SIGNING_PRIVATE_KEY must be base64 of an Ed25519 key (64 or 32 bytes).") from exc
    try:
        beckn.EncryptionKey.from_base64(config["ONDC_ENCRYPTION_PRIVATE_KEY"])
    except ValueError as exc:
        raise ConfigError("HAAT_ONDC_ENCRYPTION_PRIVATE_KEY must be base64 of an X25519 key (PKCS#8 DER or 32 "
                          "bytes).") from exc
