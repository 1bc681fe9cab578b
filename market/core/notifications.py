"""Notifications: in-app and by e-mail, through an outbox.

A notification is written in the same transaction as what it tells about (an order placed, a state
change, a message), so it is never lost nor sent for something that was rolled back. A worker
(`flask --app market notify-worker`) sends the e-mails; in development they are written to the log
(without the address: logs never carry contact details). Accounts with only a phone number get the
in-app notification; SMS is not sent yet.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column

from market.core.db import Base, UTCDateTime, utcnow
from market.core.models import PendingSignup, User
from market.core.security import hide_contacts, signup_code

MAX_ATTEMPTS = 5


class Notification(Base):
    """Something a user should know; also the e-mail outbox row."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.CheckConstraint("email_state IN ('pending', 'sent', 'skipped', 'failed')", name="email_state_known"),
        sa.Index("ix_notifications_user_id_id", "user_id", "id"),
        sa.Index("ix_notifications_email_state_id", "email_state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.String(1000), default="")
    link: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_state: Mapped[str] = mapped_column(sa.String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)


def notify(session: Session, users: list[User], subject, body="", link: str = "") -> None:
    """Tell each user something, in her own language; `subject` and `body` are callables or lazy strings."""
    for user in users:
        with force_locale(user.locale or "en_IN"):
            text = str(subject() if callable(subject) else subject)
            more = str(body() if callable(body) else body)
        # Sent by e-mail as written: no phone number or address in it, whatever text it was made from (an old
        # product title, a message).
        session.add(Notification(user_id=user.id, subject=hide_contacts(text)[:200], body=hide_contacts(more)[:1000],
                                 link=link[:200]))
    session.flush()


def unread_count(session: Session, user: User) -> int:
    """How many notifications the user has not seen."""
    return session.scalar(sa.select(sa.func.count()).select_from(Notification)
                          .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


class LogSender:
    """Development: the e-mail goes to the log, with no address in it."""

    def send(self, to: str, subject: str, body: str, notification_id: int) -> None:
        current_app.logger.info("e-mail for notification %s: %s", notification_id, subject)

    def send_text(self, to: str, body: str) -> None:
        """A text message (a sign-up code): no SMS in development, so the log shows it, without the number."""
        current_app.logger.info("text message: %s", body)


class SmtpSender:
    """Production: plain SMTP with STARTTLS, settings from HAAT_SMTP_*."""

    def __init__(self, host: str, port: int, username: str | None, password: str | None, sender: str):
        self.host, self.port, self.username, self.password, self.sender = host, port, username, password, sender

    def send(self, to: str, subject: str, body: str, notification_id: int) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
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


def deliver_pending(session: Session, sender, limit: int = 100) -> int:
    """Send pending e-mails (skip accounts without one); failures are retried up to MAX_ATTEMPTS. Commits."""
    stmt = (sa.select(Notification).where(Notification.email_state == "pending").order_by(Notification.id)
            .limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # several workers never send one e-mail twice
    sent = 0
    for item in session.scalars(stmt).all():
        user = session.get(User, item.user_id)
        if user is None or not user.email or not user.is_active:
            item.email_state = "skipped"
            continue
        item.attempts += 1
        try:
            sender.send(user.email, item.subject, f"{item.body}\n\n{item.link}".strip(), item.id)
        except (OSError, smtplib.SMTPException):
            current_app.logger.warning("notification %s: e-mail attempt %s failed", item.id, item.attempts)
            item.email_state = "failed" if item.attempts >= MAX_ATTEMPTS else "pending"
            continue
        item.email_state = "sent"
        sent += 1
    session.commit()
    return sent


def deliver_signup_codes(session: Session, sender, limit: int = 100) -> int:
    """Send the code of each new pending sign-up to its e-mail, or to its phone by text message when the sender
    can send one (SmtpSender cannot: no SMS gateway yet, so phone sign-ups are marked skipped). Commits."""
    stmt = (sa.select(PendingSignup).where(PendingSignup.code_state == "pending").order_by(PendingSignup.id)
            .limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    sent = 0
    for pending in session.scalars(stmt).all():
        with force_locale(pending.locale or "en_IN"):
            code = signup_code(pending)
            subject = str(_l("Your Haat code: %(code)s", code=code))
            body = str(_l("Your code to finish making your Haat account is %(code)s. It works for one hour. If you "
                          "did not ask for it, do nothing: no account is made without it.", code=code))
        try:
            if "@" in pending.login:
                sender.send(pending.login, subject, body, 0)
            elif hasattr(sender, "send_text"):
                sender.send_text(pending.login, body)
            else:
                pending.code_state = "skipped"
                continue
        except (OSError, smtplib.SMTPException):
            current_app.logger.warning("sign-up %s: the code could not be sent", pending.id)
            pending.code_state = "failed"
            continue
        pending.code_state = "sent"
        sent += 1
    session.commit()
    return sent
