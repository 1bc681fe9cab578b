"""Accounts, roles and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.core.db import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What an account is for; each role sees its own pages."""

    ENTREPRENEUR = "entrepreneur"
    BUYER = "buyer"
    WHOLESALER = "wholesaler"
    STAFF = "staff"
    ADMIN = "admin"


class User(Base):
    """A login. Contact details are private: they never reach a buyer or a public page."""

    __tablename__ = "users"
    __table_args__ = (
        # An erased account keeps its row (for past orders and the ledger) but no contact details.
        sa.CheckConstraint("email IS NOT NULL OR phone IS NOT NULL OR is_active = false", name="has_login"),
        sa.CheckConstraint(
            "role IN ('entrepreneur', 'buyer', 'wholesaler', 'staff', 'admin')", name="role_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(16), unique=True)  # E.164, +91...
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(100))  # what we call her; private
    role: Mapped[str] = mapped_column(sa.String(16), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    is_active: Mapped[bool] = mapped_column(default=True)
    # A buyer's account on hold: why, in the admin's words (she reads it when she tries to log in).
    suspended_reason: Mapped[str | None] = mapped_column(sa.String(300))
    # Bumped on password change so every other session and remember cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Flask-Login protocol, kept here so the model needs no Flask import.
    is_anonymous = False
    login_token: str = ""  # this request's login session (its token), set when she logs in or is loaded

    @property
    def is_authenticated(self) -> bool:
        return True

    def get_id(self) -> str:
        """What the session and remember-me cookies carry: her id, her session version and this login's token."""
        return f"{self.id}:{self.session_version}:{self.login_token}"

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {str(r) for r in roles}

    @property
    def login_label(self) -> str:
        """The e-mail or phone she logs in with, for her own account page."""
        return self.email or self.phone or ""

    def __repr__(self) -> str:  # never the contact details: reprs end up in logs
        return f"<User {self.id} {self.role}>"


class LoginSession(Base):
    """One login on one phone or computer; its cookies open nothing once it is revoked. Only the token's hash is
    kept, so a copy of the table opens no account."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PendingSignup(Base):
    """A sign-up waiting for the code sent to its phone or e-mail: no account exists until the code comes back,
    so sign-up answers alike whether or not the login already has an account. The code is not stored: it is made
    from the row's nonce and the app's secret (market.core.accounts.signup_code) when sent and when checked."""

    __tablename__ = "pending_signups"
    __table_args__ = (
        sa.CheckConstraint("code_state IN ('pending', 'sent', 'skipped', 'failed')", name="code_state_known"),
        sa.CheckConstraint("role IN ('buyer', 'wholesaler')", name="role_self_signup"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(254), unique=True)  # normalised: E.164 or lower-case e-mail
    name: Mapped[str] = mapped_column(sa.String(100))
    role: Mapped[str] = mapped_column(sa.String(16))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    business_name: Mapped[str] = mapped_column(sa.String(120), default="")
    gstin: Mapped[str] = mapped_column(sa.String(15), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    nonce: Mapped[str] = mapped_column(sa.String(43))
    tries: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    code_state: Mapped[str] = mapped_column(sa.String(8), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PasswordReset(Base):
    """A "forgot password" code on its way to her phone or e-mail (10 minutes, 5 tries), or a seller's code to log
    in by SMS instead of her password (`purpose` login; the newest code asked for is the one that works). As with
    sign-ups, the code is stored nowhere: it is made from the row's nonce with the app's secret when sent and
    when checked (market.core.security.reset_code), so neither the table nor the outbox holds it."""

    __tablename__ = "password_resets"
    __table_args__ = (
        sa.CheckConstraint("code_state IN ('pending', 'sent', 'failed')", name="code_state_known"),
        sa.CheckConstraint("purpose IN ('reset', 'login')", name="purpose_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    login: Mapped[str] = mapped_column(sa.String(254))  # normalised: where the code goes (E.164 or e-mail)
    nonce: Mapped[str] = mapped_column(sa.String(43))
    purpose: Mapped[str] = mapped_column(sa.String(8), default="reset")
    tries: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    code_state: Mapped[str] = mapped_column(sa.String(8), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Who looked at or changed member-level data, and when. Append-only."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_at_id", "at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(40))
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(sa.String(200), default="")

    actor: Mapped[User | None] = relationship(lazy="joined")
