"""A local SMS provider: the demo's, and the tests'. Both real APIs Haat speaks, checked as the real services check.

- DLT (Exotel's shape): `POST /v1/Accounts/{sid}/Sms/send.json`, basic auth; refuses a wrong key, a sender header
  or principal entity id not registered, an unknown DLT template id, a body that does not match the template
  registered under that id (each {#var#} at most 30 characters), EncodingType not `unicode` for text outside
  GSM-7 (or `unicode` for plain text), and a body over 2000 characters.
- Twilio: `POST /2010-04-01/Accounts/{sid}/Messages.json`, basic auth sid:token; refuses a wrong token (20003), a
  missing To/From/Body (21604/21603/21602), a number not in E.164 (21211) and a body over 1600 characters (21617).
Whatever is accepted lands in the inbox (`messages()`), which the demo's phone page shows and tests read.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from werkzeug.datastructures import Authorization
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from market.core.fakes import local

GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€\f")
E164 = re.compile(r"\+[1-9]\d{7,14}")
VARIABLE = "{#var#}"
MAX_VARIABLE = 30  # DLT: a {#var#} stands for at most 30 characters
KEPT = 200  # the inbox keeps the newest messages only






class MemoryStore(local.MemoryStore):
    """The inbox in this process (tests)."""

    def __init__(self) -> None:
        super().__init__(lambda: {"messages": []})


class FileStore(local.FileStore):
    """The inbox in a JSON file under `flock`, shared by the web and worker processes of the demo."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, lambda: {"messages": []})


def template_pattern(registered: str) -> re.Pattern:
    """The bodies a registered DLT template allows: its fixed text exactly, each {#var#} 1 to 30 characters."""
    parts = [re.escape(part) for part in registered.split(VARIABLE)]
    return re.compile(f"(?s){f'.{{1,{MAX_VARIABLE}}}'.join(parts)}")


class FakeSms:
    """A WSGI app answering like the DLT provider and Twilio, keeping what it accepted."""

    def __init__(self, *, dlt_accounts: dict[str, tuple[str, str]] | None = None, senders: Iterable[str] = (),
                 entity_id: str = "", templates: dict[str, str] | None = None,
                 twilio_accounts: dict[str, str] | None = None, store=None, fail_next: int = 0):
        self.dlt_accounts, self.senders, self.entity_id = dlt_accounts or {}, set(senders), entity_id
        self.templates = {tid: template_pattern(text) for tid, text in (templates or {}).items()}
        self.twilio_accounts = twilio_accounts or {}
        self.store = store or MemoryStore()
        self.fail_next = fail_next  # tests: answer 503 to this many requests (an outage)
        self.requests = 0
        self.url_map = Map([Rule("/v1/Accounts/<sid>/Sms/send.json", endpoint="dlt", methods=["POST"]),
                            Rule("/2010-04-01/Accounts/<sid>/Messages.json", endpoint="twilio", methods=["POST"])])

    def messages(self, to: str | None = None) -> list[dict]:
        """What was accepted, oldest first (to one number, if given)."""
        with self.store.transaction() as state:
            return [m for m in state["messages"] if to is None or m["to"] == to]

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.requests += 1
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
        except Exception:  # noqa: BLE001 - any routing miss is a 404, as the real APIs answer
            return Response(json.dumps({"message": "not found"}), 404, mimetype="application/json")(
                environ, start_response)
        if self.fail_next:
            self.fail_next -= 1
            return Response("upstream unavailable", 503)(environ, start_response)
        handler = self._dlt if endpoint == "dlt" else self._twilio
        status, body = handler(args["sid"], request.authorization, request.form)
        return Response(json.dumps(body), status, mimetype="application/json")(environ, start_response)

    def _keep(self, provider: str, to: str, text: str, reference: str = "", **extra) -> str:
        sid = ("SM" if provider == "twilio" else "") + secrets.token_hex(16)
        with self.store.transaction() as state:
            state["messages"].append({"sid": sid, "provider": provider, "to": to, "body": text,
                                      "reference": reference, "at": datetime.now(UTC).isoformat(), **extra})
            del state["messages"][:-KEPT]
        return sid

    def _dlt(self, sid: str, auth: Authorization | None, form) -> tuple[int, dict]:
        def refused(status: int, message: str):
            return status, {"RestException": {"Status": status, "Message": message}}

        if sid not in self.dlt_accounts or auth is None or (auth.username, auth.password) != self.dlt_accounts[sid]:
            return refused(401, "Authentication failed")
        body, to = form.get("Body", ""), form.get("To", "")
        if not body or not to:
            return refused(400, "To and Body are required")
        if form.get("From") not in self.senders:
            return refused(400, "Sender id (header) not registered on DLT")
        if form.get("DltEntityId") != self.entity_id:
            return refused(400, "DltEntityId does not match the registered principal entity")
        pattern = self.templates.get(form.get("DltTemplateId", ""))
        if pattern is None:
            return refused(400, "DltTemplateId not registered")
        if not pattern.fullmatch(body):
            return refused(400, "Body does not match the DLT template")
        unicode = any(c not in GSM7 for c in body)
        if form.get("EncodingType", "plain") != ("unicode" if unicode else "plain"):
            return refused(400, "EncodingType must be unicode for this text" if unicode
                           else "EncodingType unicode for plain text")
        if len(body) > 2000:
            return refused(400, "Body longer than 2000 characters")
        message_sid = self._keep("dlt", to, body, form.get("CustomField", ""), template_id=form["DltTemplateId"],
                                 unicode=unicode)
        return 200, {"SMSMessage": {"Sid": message_sid, "AccountSid": sid, "To": to, "From": form["From"],
                                    "Status": "queued", "DltTemplateId": form["DltTemplateId"]}}

    def _twilio(self, sid: str, auth: Authorization | None, form) -> tuple[int, dict]:
        def refused(status: int, code: int, message: str):
            return status, {"code": code, "message": message, "status": status,
                            "more_info": f"https://www.twilio.com/docs/errors/{code}"}

        if sid not in self.twilio_accounts or auth is None or auth.username != sid \
                or auth.password != self.twilio_accounts[sid]:
            return refused(401, 20003, "Authenticate")
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to:
            return refused(400, 21604, "A 'To' phone number is required.")
        if not sender:
            return refused(400, 21603, "A 'From' phone number is required.")
        if not body:
            return refused(400, 21602, "Message body is required.")
        if not E164.fullmatch(to):
            return refused(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if len(body) > 1600:
            return refused(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        message_sid = self._keep("twilio", to, body)
        return 201, {"sid": message_sid, "account_sid": sid, "to": to, "from": sender, "body": body,
                     "status": "queued"}
