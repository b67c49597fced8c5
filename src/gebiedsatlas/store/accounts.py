"""Tables of accounts, organisations, roles, API tokens, signatures and the audit log.

The rules (who may do what) live in ``gebiedsatlas.accounts.permissions``; these are only the rows.
Plain portable SQL, so migration 0005 runs on SQLite and PostgreSQL. ``audit_event`` is append-only:
the migration adds triggers that refuse UPDATE and DELETE on both engines.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

import gebiedsatlas.store.agreements  # noqa: F401  (the agreement and party tables the keys point to)
from gebiedsatlas.store.models import Base


class Organisation(Base):
    """A gemeente, woningcorporatie, huurdersorganisatie (each linked to its party) or the alliance."""

    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("name", name="uq_organisation_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), unique=True)
    # The value an identity provider sends in the organisation claim (default: the name).
    oidc_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation",
                                                         cascade="all, delete-orphan")


class UserAccount(Base):
    """A person. Local accounts have a password hash; OIDC accounts an issuer and subject."""

    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("email", name="uq_user_email"),
                      UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_user_oidc"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    oidc_issuer: Mapped[str | None] = mapped_column(String(500))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Raised on password reset, deactivation and "log out everywhere": older session cookies stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    # A one-time link to set a password (invitation or reset by an administrator): only its hash.
    reset_token_hash: Mapped[str | None] = mapped_column(String(64))
    reset_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Membership(Base):
    """A user's role in one organisation (a user may belong to several, each with its own role)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", name="uq_membership"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    # "lokaal" (given by an administrator) or "oidc" (from the identity provider's claims at login).
    source: Mapped[str] = mapped_column(String(16), default="lokaal")
    created_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[UserAccount] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class ApiToken(Base):
    """A personal API token for scripts; only a SHA-256 hash is stored, the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditEvent(Base):
    """One line of the append-only audit log: every write, every denied attempt, logins and rights.

    The history of an agreement is the view of these lines with its ``agreement_id``.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_agreement", "agreement_id", "at"),
                      Index("ix_audit_event_at", "at"),
                      Index("ix_audit_event_login", "action", "result", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    action: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(16))  # allowed / denied / failed
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    agreement_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the log outlives deletes
    user_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)


class AgreementApproval(Base):
    """One party's approval of the next status of an agreement (signed by a person of that party).

    ``status_seq`` is the agreement's number of status changes when the approval was given, so an
    approval only counts for the round it was given in; the rows stay as the record of who signed.
    """

    __tablename__ = "agreement_approval"
    __table_args__ = (UniqueConstraint("agreement_id", "status_seq", "target_status", "party_id",
                                       name="uq_agreement_approval"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status_seq: Mapped[int] = mapped_column(Integer)
    target_status: Mapped[str] = mapped_column(String(16))
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    user_name: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime] = mapped_column(DateTime)
