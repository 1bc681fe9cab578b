"""Notifications: in-app, and by web push, e-mail and SMS through an outbox.

A notification is written in the same transaction as what it tells about (an order placed, a state
change, a message), so it is never lost nor sent for something that was rolled back. With it go its
deliveries: one row per channel (e-mail, SMS) that she chose for that kind of event (`AlertChoice`, with
defaults), and for push one row per phone she turned alerts on for (`PushSubscription`, one per login).
One worker (`flask --app market notify-worker`) sends them all, and the sign-up and password codes too, with
retries and backoff, and logs no contact details (no address, number or push endpoint).

Never twice: a delivery is claimed (state `sending`, committed) before the provider is called, and marked
after. Neither SMTP, the SMS providers nor the push services take an idempotency key, so a crash between the
call and the mark leaves the row `sending`; after STUCK it is marked `failed`, never sent again (at most once:
a second "new order" alert is worse than a missing one, which the in-app notification still tells). The
reference (`haat-n<id>-sms`) goes with each message (Exotel's CustomField, the e-mail's Message-ID, the push's
tag, with which the phone shows a repeat in place of the first) to match it later. A push subscription the
push service says has ended (404, 410) is deleted.
"""

from __future__ import annotations

import json
import smtplib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column

from market.core.db import Base, UTCDateTime, rows_matched, utcnow
from market.core.models import LoginSession, PasswordReset, PendingSignup, User
from market.core.push import Alert, PushError, PushGone, PushUnavailable
from market.core.push import sender_from_config as push_from_config
from market.core.security import hide_contacts, reset_code, signup_code
from market.core.sms import Sms, SmsError, SmsUnavailable

MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=1)  # after the n-th failed try, wait BACKOFF * 2**(n-1): 1, 2, 4, 8 minutes
STUCK = timedelta(minutes=10)  # a delivery claimed this long ago and not marked: the worker died mid-send
CHANNELS = ("push", "sms", "email")
# What each kind of event is sent by, unless she chose otherwise on her account page. Always in-app too. Push
# reaches only the phones she turned alerts on for.
EVENTS = {
    "new_order": ("push", "sms", "email"),
    "payment_received": ("push", "sms", "email"),
    "order_update": ("push", "email"),
    "message": ("push",),
    "meeting_receipt": ("sms",),
    "other": ("email",),
}
URGENT = ("new_order", "payment_received")  # pushed with Urgency: high (the phone wakes for them)
SMS_EVENTS = ("new_order", "payment_received", "meeting_receipt")  # the events with an SMS template (market.core.sms)
EVENT_NAMES = {"new_order": _l("A new order"), "payment_received": _l("A payment received"),
               "order_update": _l("An order changes"), "message": _l("A message"),
               "meeting_receipt": _l("A receipt from my group's meeting"), "other": _l("Anything else")}


class Notification(Base):
    """Something a user should know (in-app); its deliveries by e-mail or SMS are `OutboxEntry` rows."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.String(1000), default="")
    link: Mapped[str] = mapped_column(sa.String(200), default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default="other")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PushSubscription(Base):
    """Alerts on one phone: the browser's push subscription, made while she was logged in there and kept as long
    as that login lasts (logged out, or out everywhere: no more alerts there). The endpoint is private (it
    reaches her phone): never logged."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    login_session_id: Mapped[int] = mapped_column(sa.ForeignKey("login_sessions.id", ondelete="CASCADE"),
                                                  index=True)
    endpoint: Mapped[str] = mapped_column(sa.String(500), unique=True)
    p256dh: Mapped[str] = mapped_column(sa.String(100))  # the browser's public key, base64url (RFC 8291)
    auth: Mapped[str] = mapped_column(sa.String(40))  # its authentication secret, base64url
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEntry(Base):
    """One notification on its way by one channel (push: to one phone): the row the worker sends from, at most
    once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("notification_id", "channel", "target"),
        sa.CheckConstraint("channel IN ('email', 'sms', 'push')", name="channel_known"),
        sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'skipped', 'failed')", name="state_known"),
        sa.Index("ix_deliveries_state_next_at", "state", "next_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(sa.ForeignKey("notifications.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(sa.String(8))
    target: Mapped[str] = mapped_column(sa.String(20), default="")  # push: the PushSubscription's id
    state: Mapped[str] = mapped_column(sa.String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    template: Mapped[str] = mapped_column(sa.String(40), default="")  # SMS: a market.core.sms template
    values: Mapped[str] = mapped_column(sa.String(500), default="{}")  # SMS: its variables, JSON

    @property
    def reference(self) -> str:
        return f"haat-n{self.notification_id}-{self.channel}" + (f"-{self.target}" if self.target else "")


class AlertChoice(Base):
    """Her choice of channels for one kind of event (no row: the defaults in EVENTS)."""

    __tablename__ = "alert_choices"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    channels: Mapped[str] = mapped_column(sa.String(40), default="")  # comma-separated CHANNELS


def chosen_channels(session: Session, user: User) -> dict[str, set[str]]:
    """The channels she gets each kind of event by (her choices over the defaults)."""
    chosen = {event: set(channels) for event, channels in EVENTS.items()}
    for row in session.scalars(sa.select(AlertChoice).where(AlertChoice.user_id == user.id)):
        if row.event in chosen:
            chosen[row.event] = {c for c in row.channels.split(",") if c in CHANNELS}
    return chosen


def choose_channels(session: Session, user: User, chosen: dict[str, set[str]]) -> None:
    """Keep her choice of channels for each kind of event."""
    for event in EVENTS:
        row = session.get(AlertChoice, (user.id, event)) or AlertChoice(user_id=user.id, event=event)
        row.channels = ",".join(c for c in CHANNELS if c in chosen.get(event, set()))
        session.add(row)
    session.flush()


def notify(session: Session, users: list[User], subject, body="", link: str = "", *, kind: str = "other",
           sms: tuple[str, Mapping[str, object] | Callable[..., Mapping[str, object]]] | None = None) -> None:
    """Tell each user something, in her own language; `subject` and `body` are callables or lazy strings.
    `kind` is one of EVENTS (which channels she gets it by); `sms` is (template, values or a callable giving
    them, called in her language): without it the event goes by no SMS."""
    for user in users:
        with force_locale(user.locale or "en_IN"):
            text = str(subject() if callable(subject) else subject)
            more = str(body() if callable(body) else body)
            values: Mapping[str, object] = (sms[1]() if callable(sms[1]) else sms[1]) if sms else {}
        # Sent by e-mail as written: no phone number or address in it, whatever text it was made from (an old
        # product title, a message).
        note = Notification(user_id=user.id, subject=hide_contacts(text)[:200], body=hide_contacts(more)[:1000],
                            link=link[:200], kind=kind)
        session.add(note)
        session.flush()
        channels = chosen_channels(session, user).get(kind, set())
        if "email" in channels and user.email:
            session.add(OutboxEntry(notification_id=note.id, channel="email"))
        if "sms" in channels and user.phone and sms:
            session.add(OutboxEntry(notification_id=note.id, channel="sms", template=sms[0],
                                 values=json.dumps({k: str(v) for k, v in values.items()})))
        if "push" in channels:
            for subscription_id in session.scalars(_live_subscriptions(user.id)):
                session.add(OutboxEntry(notification_id=note.id, channel="push", target=str(subscription_id)))
    session.flush()


def _live_subscriptions(user_id: int) -> sa.Select:
    """Her phones with alerts on, whose login has not ended."""
    return (sa.select(PushSubscription.id).join(LoginSession, LoginSession.id == PushSubscription.login_session_id)
            .where(PushSubscription.user_id == user_id, LoginSession.revoked_at.is_(None))
            .order_by(PushSubscription.id))


def subscribe_phone(session: Session, user: User, login_session: LoginSession, endpoint: str, p256dh: str,
                    auth: str) -> PushSubscription:
    """Alerts on this phone: keep its browser's subscription for this login (a phone subscribes again with the
    same endpoint: updated, not doubled; an endpoint another login had moves here)."""
    row = session.scalar(sa.select(PushSubscription).where(PushSubscription.endpoint == endpoint)) \
        or PushSubscription(endpoint=endpoint)
    row.user_id, row.login_session_id, row.p256dh, row.auth = user.id, login_session.id, p256dh, auth
    session.add(row)
    session.flush()
    return row


def unsubscribe_phone(session: Session, login_session: LoginSession) -> None:
    """No more alerts on this phone (this login's subscriptions forgotten)."""
    session.execute(sa.delete(PushSubscription).where(PushSubscription.login_session_id == login_session.id))


def phone_subscribed(session: Session, login_session: LoginSession | None) -> bool:
    """Whether this login has alerts on."""
    return login_session is not None and session.scalar(
        sa.select(sa.func.count()).select_from(PushSubscription)
        .where(PushSubscription.login_session_id == login_session.id)) != 0


def unread_count(session: Session, user: User) -> int:
    """How many notifications the user has not seen (0 on a page that asked for none: without_unread_count)."""
    if has_request_context() and g.get("no_unread_count"):
        return 0
    return session.scalar(sa.select(sa.func.count()).select_from(Notification)
                          .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def without_unread_count() -> None:
    """This page's header shows the bell without her unread count: a query saved on a page where every one
    counts (the checkout, which she opens to pay, not to read). The bell still leads to her notifications."""
    g.no_unread_count = True


class LogSender:
    """Development: the e-mail goes to the log, with no address in it."""

    def send(self, to: str, subject: str, body: str, reference: str) -> None:
        current_app.logger.info("e-mail %s: %s", reference, subject)


class SmtpSender:
    """Production: plain SMTP with STARTTLS, settings from HAAT_SMTP_*."""

    def __init__(self, host: str, port: int, username: str | None, password: str | None, sender: str):
        self.host, self.port, self.username, self.password, self.sender = host, port, username, password, sender

    def send(self, to: str, subject: str, body: str, reference: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = f"<{reference}@haat>"  # one id per delivery: mail systems drop repeats of it
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
            smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def sender_from_config():
    """SmtpSender when HAAT_SMTP_HOST is set, else LogSender."""
    config = current_app.config
    if config.get("SMTP_HOST"):
        return SmtpSender(config["SMTP_HOST"], int(config.get("SMTP_PORT", 587)), config.get("SMTP_USERNAME"),
                          config.get("SMTP_PASSWORD"), config.get("MAIL_FROM", "Haat <no-reply@haat.invalid>"))
    return LogSender()


TRY_AGAIN = (OSError, smtplib.SMTPException, SmsUnavailable, PushUnavailable)  # it may go on a later try
_CONFIGURED = object()


def deliver_pending(session: Session, email, sms, limit: int = 100, *, push=_CONFIGURED) -> int:
    """Send the deliveries that are due, each at most once: claimed and committed before the provider is called,
    marked after; a failure the provider may get over is tried again later (backoff), up to MAX_ATTEMPTS.
    `email` sends e-mail (LogSender, SmtpSender), `sms` is a market.core.sms provider, `push` a
    market.core.push.PushSender (by default the configured one; None: push is off). Commits."""
    if push is _CONFIGURED:
        push = push_from_config()
    now = utcnow()
    stuck = session.execute(sa.update(OutboxEntry).where(OutboxEntry.state == "sending",
                                                         OutboxEntry.claimed_at < now - STUCK).values(state="failed"))
    if rows_matched(stuck):
        current_app.logger.warning("%s deliveries were being sent when a worker stopped: not sent again",
                                   rows_matched(stuck))
    due = session.scalars(sa.select(OutboxEntry.id).where(OutboxEntry.state == "pending", OutboxEntry.next_at <= now)
                          .order_by(OutboxEntry.id).limit(limit)).all()
    session.commit()
    sent = 0
    for delivery_id in due:
        claimed = session.execute(sa.update(OutboxEntry).where(OutboxEntry.id == delivery_id,
                                                               OutboxEntry.state == "pending")
                                  .values(state="sending", claimed_at=utcnow(), attempts=OutboxEntry.attempts + 1))
        session.commit()  # claimed before the call: another worker, or this one after a crash, never sends it again
        if not rows_matched(claimed):
            continue
        delivery = session.get_one(OutboxEntry, delivery_id)
        note = session.get_one(Notification, delivery.notification_id)
        user = session.get_one(User, note.user_id)
        state = _send(session, delivery, note, user, email, sms, push)
        delivery.state = state
        if state == "pending":
            delivery.next_at = utcnow() + BACKOFF * 2 ** (delivery.attempts - 1)
        sent += state == "sent"
        session.commit()
    return sent


def _send(session: Session, delivery: OutboxEntry, note: Notification, user: User, email, sms, push) -> str:
    """Hand one delivery to its provider; the state it ends in."""
    if delivery.channel == "push":
        return _push(session, delivery, note, user, push)
    address = user.email if delivery.channel == "email" else user.phone
    if not user.is_active or not address:
        return "skipped"
    try:
        if delivery.channel == "email":
            email.send(address, note.subject, f"{note.body}\n\n{note.link}".strip(), delivery.reference)
        else:
            sms.send(Sms(address, delivery.template, user.locale, json.loads(delivery.values), delivery.reference))
    except SmsError as exc:
        current_app.logger.warning("%s refused: %s", delivery.reference, hide_contacts(str(exc)))
        return "failed"
    except TRY_AGAIN:
        current_app.logger.warning("%s: attempt %s failed", delivery.reference, delivery.attempts)
        return "failed" if delivery.attempts >= MAX_ATTEMPTS else "pending"
    return "sent"


def _push(session: Session, delivery: OutboxEntry, note: Notification, user: User, push) -> str:
    """Push one alert to one phone; a subscription the push service says has ended is deleted."""
    subscription = session.get(PushSubscription, int(delivery.target or 0))
    login = session.get(LoginSession, subscription.login_session_id) if subscription else None
    if push is None or not user.is_active or subscription is None or login is None or login.revoked_at \
            or subscription.user_id != user.id:
        return "skipped"  # push off, or that phone's login has ended since, or it is someone else's now
    alert = Alert(title=note.subject, body=note.body, url=note.link or "/auth/notifications",
                  tag=f"haat-n{note.id}", lang=(user.locale or "en_IN").replace("_", "-"))
    try:
        push.send(subscription.endpoint, subscription.p256dh, subscription.auth, alert,
                  urgency="high" if note.kind in URGENT else "normal", topic=f"haat-n{note.id}")
    except PushGone:
        current_app.logger.info("%s: the phone's subscription has ended; forgotten", delivery.reference)
        session.delete(subscription)
        return "skipped"
    except PushError as exc:
        current_app.logger.warning("%s refused: %s", delivery.reference, exc)
        return "failed"
    except PushUnavailable:
        current_app.logger.warning("%s: attempt %s failed", delivery.reference, delivery.attempts)
        return "failed" if delivery.attempts >= MAX_ATTEMPTS else "pending"
    return "sent"


def _send_code(session: Session, row, locale: str | None, email, sms, template: str, subject: str, body: str,
               code: str, what: str) -> bool:
    """Send a code by e-mail or SMS, at most once: the row is marked sent and committed before the call (a code
    lost to a crash is asked for again; a code sent twice would be confusing). Commits."""
    row.code_state = "sent"
    session.commit()
    try:
        if "@" in row.login:
            email.send(row.login, subject, body, f"haat-{what}{row.id}")
        else:
            sms.send(Sms(row.login, template, locale, {"code": code},
                         f"haat-{what}{row.id}-{row.nonce[:8]}"))
    except (SmsError, *TRY_AGAIN):
        current_app.logger.warning("%s %s: the code could not be sent", what, row.id)
        row.code_state = "failed"
        session.commit()
        return False
    return True


def deliver_signup_codes(session: Session, email, sms, limit: int = 100) -> int:
    """Send the code of each new pending sign-up to its e-mail or phone. Commits."""
    rows = session.scalars(sa.select(PendingSignup).where(PendingSignup.code_state == "pending")
                           .order_by(PendingSignup.id).limit(limit)).all()
    sent = 0
    for pending in rows:
        with force_locale(pending.locale or "en_IN"):
            code = signup_code(pending)
            subject = str(_l("Your Haat code: %(code)s", code=code))
            body = str(_l("Your code to finish making your Haat account is %(code)s. It works for one hour. If you "
                          "did not ask for it, do nothing: no account is made without it.", code=code))
        sent += _send_code(session, pending, pending.locale, email, sms, "signup_code", subject, body, code, "signup")
    session.commit()
    return sent


def deliver_reset_codes(session: Session, email, sms, limit: int = 100) -> int:
    """Send the code of each new password reset (or login by code) to the phone or e-mail she asked it for.
    Commits."""
    rows = session.scalars(sa.select(PasswordReset).where(PasswordReset.code_state == "pending",
                                                          PasswordReset.expires_at > utcnow())
                           .order_by(PasswordReset.id).limit(limit)).all()
    sent = 0
    for reset in rows:
        user = session.get_one(User, reset.user_id)
        with force_locale(user.locale or "en_IN"):
            code = reset_code(reset)
            subject = str(_l("Your Haat code: %(code)s", code=code))
            body = str(_l("Your code to choose a new Haat password is %(code)s. It works for 10 minutes. If you did "
                          "not ask for it, do nothing: your password stays as it is.", code=code))
        if reset.purpose == "login":  # to a seller's phone only (accounts.logs_in_by_code): no e-mail text
            sent += _send_code(session, reset, user.locale, email, sms, "login_code", subject, body, code, "login")
        else:
            sent += _send_code(session, reset, user.locale, email, sms, "reset_code", subject, body, code, "reset")
    session.commit()
    return sent


def deliver_all(session: Session, email, sms, *, push=_CONFIGURED) -> int:
    """One round of the notify worker: codes first (someone is waiting for them), then the outbox."""
    return (deliver_signup_codes(session, email, sms) + deliver_reset_codes(session, email, sms)
            + deliver_pending(session, email, sms, push=push))
