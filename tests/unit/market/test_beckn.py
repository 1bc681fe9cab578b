"""Signing and verifying as ONDC does, against the examples ONDC publishes (each cited where it is used)."""

import json
from datetime import timedelta

import pytest

from market.core import beckn
from market.ondc.models import REDACTED, redact

# ONDC developer-docs, registry/signing-verification.md ("ONDC Network Signing & Verifying"): the example request
# body, the NP's key pair, the body's digest and the signature of its signing string.
DOCS_BODY = (
    b'{"context":{"domain":"nic2004:60212","country":"IND","city":"Kochi","action":"search","core_version":"0.9.1",'
    b'"bap_id":"bap.stayhalo.in","bap_uri":"https://8f9f-49-207-209-131.ngrok.io/protocol/","transaction_id":'
    b'"e6d9f908-1d26-4ff3-a6d1-3af3d3721054","message_id":"a2fe6d52-9fe4-4d1a-9d0b-dccb8b48522d","timestamp":'
    b'"2022-01-04T09:17:55.971Z","ttl":"P1M"},"message":{"intent":{"fulfillment":{"start":{"location":{"gps":'
    b'"10.108768, 76.347517"}},"end":{"location":{"gps":"10.102997, 76.353480"}}}}}}')
DOCS_PUBLIC = "awGPjRK6i/Vg/lWr+0xObclVxlwZXvTjWYtlu6NeOHk="
DOCS_PRIVATE = "lP3sHA+9gileOkXYJXh4Jg8tK0gEEMbf9yCPnFpbldhrAY+NErqL9WD+Vav7TE5tyVXGXBle9ONZi2W7o144eQ=="
DOCS_DIGEST = "b6lf6lRgOweajukcvcLsagQ2T60+85kRh/Rd2bdS+TG/5ALebOEgDJfyCrre/1+BMu5nA94o4DT3pTFXuUg7sw=="
DOCS_SIGNATURE = "cjbhP0PFyrlSCNszJM1F/YmHDVAWsZqJUPzojnE/7TJU3fJ/rmIlgaUHEr5E0/2PIyf0tpSnWtT6cyNNlpmoAQ=="
CREATED, EXPIRES = 1641287875, 1641291475

# ONDC reference-implementations, utilities/signing_and_verification/python/README.md: a generated key pair, the
# Authorization header it made for request_body_raw_text.txt (the same body, minified), and an X25519 pair with a
# string encrypted for it (steps 3, 5, 6, 7 and 8).
README_PRIVATE = "G0Pme72u8Y1MwxHqvY4iBW+7VPtJ7dsX7SGs6zZ5yvVIzdRAyHR6YkwHG2ufOE+12lsbJRwBF4Hqd7dUEOZZkg=="
README_PUBLIC = "SM3UQMh0emJMBxtrnzhPtdpbGyUcAReB6ne3VBDmWZI="
README_HEADER = ('Signature keyId="buyer-app.ondc.org|207|ed25519",algorithm="ed25519",created="1641287875",'
                 'expires="1641291475",headers="(created) (expires) digest",signature="fKQWvXhln4UdyZdL87ViXQObdBme'
                 '0dHnsclD2LvvnHoNxIgcvAwUZOmwAnH5QKi9Upg5tRaxpoGhCFGHD+d+Bw=="')
README_X25519_PRIVATE = "MC4CAQAwBQYDK2VuBCIEIOgl3rf3arbk1PvIe0C9TZp7ImR71NSQdvuSu+zzY6xo"
README_X25519_PUBLIC = "MCowBQYDK2VuAyEAi801MjVpgFOXHjliyT6Nb14HkS5dj1p41qbeyU6/SC8="
README_ENCRYPTED = "CrwN248HS4CIYsUvxtrK0pWCBaoyZh4LnWtGqeH7Mpc="


def test_the_digest_and_signature_of_ondcs_example():
    key = beckn.SigningKey.from_base64(DOCS_PRIVATE)
    assert key.public_base64 == DOCS_PUBLIC
    assert beckn.digest(DOCS_BODY) == DOCS_DIGEST
    text = beckn.signing_string(CREATED, EXPIRES, DOCS_DIGEST)
    assert text == f"(created): {CREATED}\n(expires): {EXPIRES}\ndigest: BLAKE-512={DOCS_DIGEST}"
    assert key.sign(text) == DOCS_SIGNATURE  # Ed25519 is deterministic: the very same bytes
    header = beckn.authorization(DOCS_BODY, "example-bap.com", "bap1234", key, CREATED, EXPIRES)
    assert header == ('Signature keyId="example-bap.com|bap1234|ed25519",algorithm="ed25519",created="1641287875",'
                      f'expires="1641291475",headers="(created) (expires) digest",signature="{DOCS_SIGNATURE}"')


def test_the_reference_utilitys_header_verifies_and_is_remade():
    asked = []

    def registry(subscriber_id, unique_key_id):
        asked.append((subscriber_id, unique_key_id))
        return README_PUBLIC

    signed = beckn.check_authorization(README_HEADER, DOCS_BODY, registry, now=CREATED + 60)
    assert (signed.subscriber_id, signed.unique_key_id, signed.created, signed.expires) == (
        "buyer-app.ondc.org", "207", CREATED, EXPIRES)
    assert asked == [("buyer-app.ondc.org", "207")]
    key = beckn.SigningKey.from_base64(README_PRIVATE)
    assert beckn.authorization(DOCS_BODY, "buyer-app.ondc.org", "207", key, CREATED, EXPIRES) == README_HEADER


def test_the_reference_utilitys_challenge_decrypts():
    ours = beckn.EncryptionKey.from_base64(README_X25519_PRIVATE)
    assert beckn.decrypt_challenge(ours, README_X25519_PUBLIC, README_ENCRYPTED) == "ONDC is a Great Initiative!"
    again = beckn.encrypt_challenge(ours, README_X25519_PUBLIC, "ONDC is a Great Initiative!")
    assert again == README_ENCRYPTED  # ECB: the same text under the same secret, the same bytes


def test_a_challenge_from_someone_else_does_not_decrypt():
    ours = beckn.EncryptionKey.from_base64(README_X25519_PRIVATE)
    stranger = beckn.EncryptionKey.from_seed(beckn.demo_seed("encryption", "stranger"))
    with pytest.raises(ValueError):
        beckn.decrypt_challenge(ours, stranger.public_base64, README_ENCRYPTED)


@pytest.mark.parametrize(("change", "why"), [
    ({"body": DOCS_BODY.replace(b"Kochi", b"Delhi")}, "does not match the body"),
    ({"now": EXPIRES + 1}, "expired"),
    ({"now": CREATED - 3600}, "future"),
    ({"key": "SM3UQMh0emJMBxtrnzhPtdpbGyUcAReB6ne3VBDmWZI="}, "does not match"),
    ({"key": None}, "no key is registered"),
    ({"header": README_HEADER.replace("ed25519\",algorithm", "rsa\",algorithm")}, "algorithm"),
    ({"header": README_HEADER.replace('headers="(created) (expires) digest"', 'headers="digest"')}, "headers"),
    ({"header": 'Signature keyId="x",created="1"'}, "keyId"),
    ({"header": "Bearer abc"}, "malformed"),
    ({"header": None}, "no Authorization"),
])
def test_forged_expired_and_malformed_signatures_are_refused(change, why):
    key = beckn.SigningKey.from_base64(DOCS_PRIVATE)
    header = beckn.authorization(DOCS_BODY, "example-bap.com", "bap1234", key, CREATED, EXPIRES)
    with pytest.raises(beckn.Unauthorized, match=why) as refused:
        beckn.check_authorization(change.get("header", header) if "header" in change else header,
                                  change.get("body", DOCS_BODY), lambda s, u: change.get("key", DOCS_PUBLIC),
                                  now=change.get("now", CREATED + 10))
    assert refused.value.status == 401 and refused.value.code == "30016"
    assert beckn.nack(refused.value)["message"] == {"ack": {"status": "NACK"}}


def test_keys_in_every_form_ondcs_tools_print():
    seed_only = beckn.SigningKey.from_base64(beckn.b64(beckn._b64decode(DOCS_PRIVATE)[:32]))
    assert seed_only.public_base64 == DOCS_PUBLIC
    assert beckn.SigningKey.from_base64(seed_only.private_base64).public_base64 == DOCS_PUBLIC
    encryption = beckn.EncryptionKey.from_base64(README_X25519_PRIVATE)
    assert encryption.public_base64.startswith("MCowBQYDK2VuAyEA")
    for bad in ("not base64!", beckn.b64(b"short"), DOCS_PRIVATE[:-8] + "AAAAAAA="):
        with pytest.raises(ValueError):
            beckn.SigningKey.from_base64(bad)
    with pytest.raises(ValueError):
        beckn.EncryptionKey.from_base64(DOCS_PRIVATE)


@pytest.mark.parametrize(("text", "seconds"), [("PT30S", 30), ("P1D", 86400), ("PT1H30M", 5400), ("P1W", 604800),
                                                ("PT0.5S", 0.5)])
def test_ttls(text, seconds):
    assert beckn.parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "P", "PT", "30S", "P1M2", "PT-1S", "P1Y"])
def test_ttls_that_are_not_durations(text):
    with pytest.raises(ValueError):
        beckn.parse_duration(text)


def test_timestamps():
    moment = beckn.parse_timestamp("2022-01-04T09:17:55.971Z")
    assert beckn.format_timestamp(moment) == "2022-01-04T09:17:55.971Z"
    for bad in ("2022-01-04", "2022-01-04T09:17:55", "yesterday", None):
        with pytest.raises(ValueError):
            beckn.parse_timestamp(bad)


def test_the_log_keeps_no_personal_data_of_the_buyer():
    confirm = {"context": {"bap_id": "buyer.example", "city": "std:080"}, "message": {"order": {
        "items": [{"id": "I1", "descriptor": {"name": "Papad"}}],
        "billing": {"name": "Asha Devi", "phone": "9812345678", "email": "asha@example.org", "tax_number": "29AB",
                    "address": {"building": "12", "city": "Bengaluru", "area_code": "560001"}},
        "fulfillments": [{"end": {"location": {"gps": "12.97,77.61", "address": {"locality": "MG Road"}},
                                  "contact": {"phone": "9812345678"}, "person": {"name": "Asha Devi"}}}],
        "provider": {"descriptor": {"name": "Sunrise Pickles"}}}}}
    kept = redact(confirm)
    text = json.dumps(kept)
    for personal in ("Asha", "9812345678", "asha@example.org", "29AB", "MG Road", "12.97", "560001"):
        assert personal not in text
    order = kept["message"]["order"]
    assert order["billing"]["name"] == REDACTED and order["fulfillments"][0]["end"]["location"]["gps"] == REDACTED
    # What is not personal stays: the items, the shop, the context.
    assert order["items"][0]["descriptor"]["name"] == "Papad"
    assert order["provider"]["descriptor"]["name"] == "Sunrise Pickles"
    assert kept["context"] == confirm["context"]


class CountingRegistry:
    """A registry answering /lookup from a list, counting the calls (a requests transport)."""

    def __init__(self, records):
        self.records, self.calls = records, 0

    def post(self, url, data, headers, timeout):
        self.calls += 1
        asked = json.loads(data)
        assert url.endswith("/lookup") and headers["Authorization"].startswith("Signature keyId=")

        class Answer:
            status_code = 200

            @staticmethod
            def json():
                return [r for r in self.records if r["subscriber_id"] == asked["subscriber_id"]]
        return Answer()


def test_the_registry_is_asked_once_per_key_and_revoked_keys_are_not_used():
    record = {"subscriber_id": "buyer.example", "ukId": "k1", "signing_public_key": DOCS_PUBLIC,
              "status": "SUBSCRIBED", "valid_until": "2099-01-01T00:00:00.000Z"}
    http = CountingRegistry([record, {**record, "ukId": "old", "valid_until": "2020-01-01T00:00:00.000Z"},
                             {**record, "ukId": "gone", "status": "UNSUBSCRIBED"}])
    key = beckn.SigningKey.from_base64(DOCS_PRIVATE)
    registry = beckn.Registry("https://registry.example", http,
                              signer=lambda body: beckn.authorization(body, "haat.example", "1", key))
    assert [registry.public_key("buyer.example", "k1") for _ in range(3)] == [DOCS_PUBLIC] * 3
    assert http.calls == 1
    assert registry.public_key("buyer.example", "old") is None  # past valid_until
    assert registry.public_key("buyer.example", "gone") is None
    assert registry.public_key("nobody", "k1") is None
