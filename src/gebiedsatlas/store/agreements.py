"""Tables of the prestatieafspraken (performance agreements), on the same ``Base`` as the atlas.

The domain logic lives in ``gebiedsatlas.agreements``; these are only the rows. Everything is plain
portable SQL (integers, strings, dates, JSON), so the migration runs on SQLite and PostgreSQL.

History is append-only: ``realisation`` rows are never updated (a correction is a new version), and
every change to any of these rows is written to the audit log (``store/accounts.py`` ``AuditEvent``) by
the services; an agreement's history is the view of that log.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gebiedsatlas.store.models import Base


class Party(Base):
    """An organisation that makes or carries agreements: gemeente, woningcorporatie, huurders…"""

    __tablename__ = "party"
    __table_args__ = (UniqueConstraint("name", name="uq_party_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    # Only for a gemeente: its CBS code. Where a corporation works is not recorded here.
    gemeente_code: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Agreement(Base):
    """A (multi-year) set of performance agreements in one gemeente."""

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(300))
    gemeente_code: Mapped[str] = mapped_column(ForeignKey("area.code"), index=True)
    period_start: Mapped[int] = mapped_column(Integer)
    period_end: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="concept")
    # 1 for the agreement as first signed; each "wijziging" (amendment) signed again adds one.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The number of status changes so far: approvals count only for the round they were given in.
    status_seq: Mapped[int] = mapped_column(Integer, default=0)
    # Visible to everyone (not only the parties and the alliance) from this moment: an explicit act.
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    bod_date: Mapped[date | None] = mapped_column(Date)
    signed_on: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list] = mapped_column(JSON, default=list)  # [{"title":…, "href":…}]
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Optimistic locking: every saved edit adds one; a form saved on an older number is a conflict.
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    parties: Mapped[list[AgreementParty]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementParty.party_id")
    commitments: Mapped[list[Commitment]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="Commitment.number")


class AgreementParty(Base):
    """A party that signs an agreement."""

    __tablename__ = "agreement_party"

    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), primary_key=True)

    agreement: Mapped[Agreement] = relationship(back_populates="parties")
    party: Mapped[Party] = relationship()


class Commitment(Base):
    """One afspraak: who does what, where, measured how.

    ``target_kind`` is ``output`` (planned amounts per jaarschijf in ``output_unit``), ``outcome``
    (an atlas indicator from ``baseline_value`` in ``baseline_year`` to ``target_value`` in
    ``target_year``) or ``none`` (not measurable). ``scope_codes`` are CBS area codes, or one area
    set id when ``scope_kind`` is ``gebiedsset``.
    """

    __tablename__ = "commitment"
    __table_args__ = (UniqueConstraint("agreement_id", "number", name="uq_commitment_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(String(64), index=True)
    scope_kind: Mapped[str] = mapped_column(String(16), default="gemeente")
    scope_codes: Mapped[list] = mapped_column(JSON, default=list)
    target_kind: Mapped[str] = mapped_column(String(16), default="none")
    output_unit: Mapped[str | None] = mapped_column(String(200))
    indicator_id: Mapped[str | None] = mapped_column(String(64))
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    target_value: Mapped[float | None] = mapped_column(Float)
    target_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Optimistic locking of the commitment and its jaarschijven (see ``Agreement.lock_version``).
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    agreement: Mapped[Agreement] = relationship(back_populates="commitments")
    parties: Mapped[list[CommitmentParty]] = relationship(
        back_populates="commitment", cascade="all, delete-orphan", order_by="CommitmentParty.party_id")
    year_targets: Mapped[list[YearTarget]] = relationship(
        back_populates="commitment", cascade="all, delete-orphan", order_by="YearTarget.year")
    realisations: Mapped[list[Realisation]] = relationship(
        back_populates="commitment", cascade="all, delete-orphan",
        order_by="[Realisation.year, Realisation.version]")


class CommitmentParty(Base):
    """A party responsible for a commitment (several may share one)."""

    __tablename__ = "commitment_party"

    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitment.id", ondelete="CASCADE"), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), primary_key=True)

    commitment: Mapped[Commitment] = relationship(back_populates="parties")
    party: Mapped[Party] = relationship()


class YearTarget(Base):
    """A jaarschijf: the amount planned for one year of an output commitment."""

    __tablename__ = "year_target"

    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitment.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    planned: Mapped[float] = mapped_column(Float)

    commitment: Mapped[Commitment] = relationship(back_populates="year_targets")


class Realisation(Base):
    """What a responsible party reports for one year. Append-only: a correction is a new version."""

    __tablename__ = "realisation"
    __table_args__ = (UniqueConstraint("commitment_id", "year", "version", name="uq_realisation_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text, default="")
    reported_by_party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_org: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)

    commitment: Mapped[Commitment] = relationship(back_populates="realisations")
    reported_by: Mapped[Party | None] = relationship()


class AgreementSnapshot(Base):
    """The full agreement as JSON at a moment that matters (signing), to show it as it was."""

    __tablename__ = "agreement_snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    taken_at: Mapped[datetime] = mapped_column(DateTime)
    data: Mapped[dict] = mapped_column(JSON)
