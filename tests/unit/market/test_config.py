import json

import pytest

from market import create_app
from market.core.config import DEFAULTS, ConfigError, _check_push, normalise_database_url


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    monkeypatch.delenv("HAAT_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://"})


def test_production_refuses_to_start_without_a_database():
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_app({"ENV": "production", "SECRET_KEY": "x" * 32})


RAZORPAY = {"PAYMENT_GATEWAY": "razorpay", "RAZORPAY_KEY_ID": "rzp_live_x", "RAZORPAY_KEY_SECRET": "s",
            "RAZORPAY_WEBHOOK_SECRET": "w"}
TWILIO = {"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t",
          "TWILIO_FROM": "+15005550006"}
DLT = {"SMS_PROVIDER": "dlt", "SMS_DLT_SID": "haat", "SMS_DLT_API_KEY": "k", "SMS_DLT_API_TOKEN": "t",
       "SMS_DLT_SENDER": "HAATMK", "SMS_DLT_ENTITY_ID": "1101",
       "SMS_DLT_TEMPLATES": '{"signup_code": "1", "reset_code": "2", "login_code": "5", "new_order": "3", '
                            '"payment_received": "4", "meeting_receipt": "6"}'}


def test_production_cookies_are_secure():
    app = create_app({"ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **RAZORPAY,
                      **TWILIO, "ONDC_NETWORK": "off"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_refuses_the_demo_gateway():
    with pytest.raises(ConfigError, match="demo gateway"):
        create_app({"ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://"})


@pytest.mark.parametrize("missing", ["RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "RAZORPAY_WEBHOOK_SECRET"])
def test_razorpay_needs_every_key(missing):
    with pytest.raises(ConfigError, match="Razorpay needs"):
        create_app({"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **RAZORPAY, missing: None})


def test_stripe_needs_its_webhook_secret_too():
    with pytest.raises(ConfigError, match="Stripe needs"):
        create_app({"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", "STRIPE_SECRET_KEY": "sk_test_x"})


def test_settings_come_from_haat_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("HAAT_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("HAAT_LOGIN_LIMIT_PER_ACCOUNT", "3 per minute")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "3 per minute"
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/x.db"


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"])
def test_postgres_urls_use_psycopg3(url):
    assert normalise_database_url(url) == "postgresql+psycopg://u@h/db"


def test_production_refuses_the_demo_sms_provider():
    with pytest.raises(ConfigError, match="demo SMS provider"):
        create_app({"ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **RAZORPAY})


@pytest.mark.parametrize(("provider", "missing"), [(TWILIO, "TWILIO_AUTH_TOKEN"), (TWILIO, "TWILIO_FROM"),
                                                   (DLT, "SMS_DLT_ENTITY_ID"), (DLT, "SMS_DLT_SENDER"),
                                                   (DLT, "SMS_DLT_TEMPLATES")])
def test_an_sms_provider_needs_its_keys(provider, missing):
    with pytest.raises(ConfigError, match=f"HAAT_{missing}"):
        create_app({"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **provider, missing: None})


def test_the_dlt_provider_needs_a_template_id_for_every_message():
    with pytest.raises(ConfigError, match="reset_code"):
        create_app({"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **DLT,
                    "SMS_DLT_TEMPLATES": '{"signup_code": "1"}'})
    every_but_one = json.loads(DLT["SMS_DLT_TEMPLATES"])
    del every_but_one["meeting_receipt"]  # a group meeting's receipt is a text message too
    with pytest.raises(ConfigError, match="meeting_receipt"):
        create_app({"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **DLT,
                    "SMS_DLT_TEMPLATES": json.dumps(every_but_one)})


def test_real_sms_providers_start_with_their_keys():
    for provider in (TWILIO, DLT):
        assert create_app({"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **provider})


def test_a_vapid_key_is_made_once_in_development_and_production_without_one_has_no_push(tmp_path):
    first, again = dict(DEFAULTS), dict(DEFAULTS)
    _check_push(first, False, tmp_path)
    _check_push(again, False, tmp_path)
    assert first["VAPID_PRIVATE_KEY"] == again["VAPID_PRIVATE_KEY"]  # kept: subscriptions outlive a restart
    assert (tmp_path / "vapid_private_key").stat().st_mode & 0o077 == 0
    assert len(first["VAPID_PUBLIC_KEY"]) == 87 and first["VAPID_SUBJECT"].startswith("mailto:")
    production = dict(DEFAULTS)
    _check_push(production, True, tmp_path / "elsewhere")
    assert production["VAPID_PUBLIC_KEY"] is None and not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("key, subject", [("not-a-key", "mailto:ops@haat.example"),
                                          ("OF-MmWegnH7ixrAuE6B-4JOaHtxQOv02iz6ckmd4uCM", None),
                                          ("OF-MmWegnH7ixrAuE6B-4JOaHtxQOv02iz6ckmd4uCM", "http://haat.example")])
def test_production_refuses_a_vapid_key_or_contact_that_cannot_work(tmp_path, key, subject):
    with pytest.raises(ConfigError):
        _check_push({**DEFAULTS, "VAPID_PRIVATE_KEY": key, "VAPID_SUBJECT": subject}, True, tmp_path)


ONDC_KEYS = {"ONDC_NETWORK": "staging", "ONDC_SUBSCRIBER_ID": "haat.example.org", "ONDC_UNIQUE_KEY_ID": "k1",
             "ONDC_SIGNING_PRIVATE_KEY": "lP3sHA+9gileOkXYJXh4Jg8tK0gEEMbf9yCPnFpbldhrAY+NErqL9WD+Vav7TE5t"
                                         "yVXGXBle9ONZi2W7o144eQ==",
             "ONDC_ENCRYPTION_PRIVATE_KEY": "MC4CAQAwBQYDK2VuBCIEIOgl3rf3arbk1PvIe0C9TZp7ImR71NSQdvuSu+zzY6xo",
             "ONDC_SUBSCRIBER_URL": "https://haat.example.org/ondc", "VAPID_SUBJECT": "mailto:alerts@haat.invalid",
             "VAPID_PRIVATE_KEY": "OF-MmWegnH7ixrAuE6B-4JOaHtxQOv02iz6ckmd4uCM"}  # no key made under instance/


def test_production_refuses_the_demo_ondc_network():
    with pytest.raises(ConfigError, match="demo ONDC network"):
        create_app({"ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **RAZORPAY, **TWILIO})


@pytest.mark.parametrize("missing", ["ONDC_SUBSCRIBER_ID", "ONDC_UNIQUE_KEY_ID", "ONDC_SIGNING_PRIVATE_KEY",
                                     "ONDC_ENCRYPTION_PRIVATE_KEY", "ONDC_SUBSCRIBER_URL"])
def test_a_real_ondc_network_needs_our_keys(missing):
    with pytest.raises(ConfigError, match=f"HAAT_{missing}"):
        create_app({"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **ONDC_KEYS, missing: None})


@pytest.mark.parametrize(("key", "value"), [("ONDC_SIGNING_PRIVATE_KEY", "c2hvcnQ="),
                                            ("ONDC_ENCRYPTION_PRIVATE_KEY", "not a key"),
                                            ("ONDC_NETWORK", "mainnet")])
def test_ondc_keys_that_are_not_keys_are_refused(key, value):
    with pytest.raises(ConfigError, match=f"HAAT_{key}"):
        create_app({"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **ONDC_KEYS, key: value})


def test_ondc_in_production_with_our_keys_and_the_networks_registry():
    app = create_app({"ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **RAZORPAY, **TWILIO,
                      **ONDC_KEYS, "ONDC_NETWORK": "prod"})
    assert app.config["ONDC_REGISTRY_URL"] == "https://prod.registry.ondc.org"
    assert app.config["ONDC_REGISTRY_PUBLIC_KEY"].startswith("MCowBQYDK2VuAyEA")
    with pytest.raises(ConfigError, match="https"):
        create_app({"ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **RAZORPAY, **TWILIO,
                    **ONDC_KEYS, "ONDC_NETWORK": "prod", "ONDC_SUBSCRIBER_URL": "http://haat.example.org/ondc"})


def test_the_demo_ondc_identity_is_the_same_in_every_process():
    push = {key: ONDC_KEYS[key] for key in ("VAPID_SUBJECT", "VAPID_PRIVATE_KEY")}
    made = [create_app({"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", **push}).config for _ in range(2)]
    for key in ("ONDC_SUBSCRIBER_ID", "ONDC_SIGNING_PRIVATE_KEY", "ONDC_ENCRYPTION_PRIVATE_KEY",
                "ONDC_REGISTRY_PUBLIC_KEY"):
        assert made[0][key] and made[0][key] == made[1][key]
