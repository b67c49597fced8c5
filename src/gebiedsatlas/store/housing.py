"""Tables of the woonprogramma (housing programme): stock changes (CBS 81955NED), targets, the project
register (pipeline), scenarios, frozen half-yearly snapshots, party stock uploads and the links to
prestatieafspraken.

The domain logic lives in ``gebiedsatlas.housing``; these are only the rows. Plain portable SQL, so
migration 0007 runs on SQLite and PostgreSQL.
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

import gebiedsatlas.store.agreements  # noqa: F401  (party and commitment tables the keys point to)
from gebiedsatlas.store.models import Base


class StockChange(Base):
    """One gemeente-year of CBS 81955NED (dwelling stock and its changes). NULL = not published."""

    __tablename__ = "housing_stock_change"

    gemeente_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    begin_stock: Mapped[int | None] = mapped_column(Integer)
    new_builds: Mapped[int | None] = mapped_column(Integer)
    other_additions: Mapped[int | None] = mapped_column(Integer)
    demolitions: Mapped[int | None] = mapped_column(Integer)
    other_removals: Mapped[int | None] = mapped_column(Integer)
    correction: Mapped[int | None] = mapped_column(Integer)
    balance: Mapped[int | None] = mapped_column(Integer)
    end_stock: Mapped[int | None] = mapped_column(Integer)
    source_id: Mapped[str] = mapped_column(ForeignKey("source.id", name="fk_housing_stock_change_source"))


class HousingTarget(Base):
    """One version of a target. Editing adds a version (``is_current`` moves to it); nothing is overwritten.

    kind: ``aandeel_voorraad`` (share range of the stock: ``min_share``–``max_share`` %),
    ``aandeel_nieuwbouw`` (share of new construction: ``share`` %), ``volume`` (dwellings per year).
    scope_kind: ``elke_gemeente`` (a national default), ``gemeente``, ``wijk``, ``gebiedsset``.
    """

    __tablename__ = "housing_target"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_housing_target_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    segment: Mapped[str] = mapped_column(String(32))
    scope_kind: Mapped[str] = mapped_column(String(16))
    scope_code: Mapped[str | None] = mapped_column(String(64))
    # A share range that holds for each wijk of the scope ("sociale huur 25–45 % per wijk").
    per_wijk: Mapped[bool] = mapped_column(Boolean, default=False)
    min_share: Mapped[float | None] = mapped_column(Float)
    max_share: Mapped[float | None] = mapped_column(Float)
    share: Mapped[float | None] = mapped_column(Float)
    volume: Mapped[int | None] = mapped_column(Integer)
    year_from: Mapped[int | None] = mapped_column(Integer)
    year_to: Mapped[int | None] = mapped_column(Integer)
    source_kind: Mapped[str] = mapped_column(String(32))
    source_text: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str | None] = mapped_column(String(500))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitment.id", name="fk_housing_target_commitment",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(254))


class Scenario(Base):
    """A named scenario of one gemeente: risk-weighted or as planned, kinds left out, own rates, and
    hypothetical projects (``housing_project.scenario_id``) that exist only in it."""

    __tablename__ = "housing_scenario"
    __table_args__ = (UniqueConstraint("gemeente_code", "name", name="uq_housing_scenario_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    risk_weighted: Mapped[bool] = mapped_column(Boolean, default=True)
    excluded_kinds: Mapped[list] = mapped_column(JSON, default=list)
    rates: Mapped[dict | None] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(254))


class Project(Base):
    """A project of the pipeline: where, whose, what kind, which phase, when, and its dwellings per segment."""

    __tablename__ = "housing_project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    gemeente_code: Mapped[str] = mapped_column(String(16), index=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("area.code", name="fk_housing_project_area"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", name="fk_housing_project_party"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    phase: Mapped[str] = mapped_column(String(16))
    planned_year: Mapped[int] = mapped_column(Integer)
    phase_since: Mapped[date] = mapped_column(Date)
    # Verkoop and liberalisatie move dwellings from their segment to this one.
    to_segment: Mapped[str | None] = mapped_column(String(32))
    scenario_id: Mapped[int | None] = mapped_column(
        ForeignKey("housing_scenario.id", name="fk_housing_project_scenario", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list[ProjectLine]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                                    order_by="ProjectLine.segment", lazy="selectin")


class ProjectLine(Base):
    """Dwellings of one segment in a project (signed only for samenvoegen/splitsen)."""

    __tablename__ = "housing_project_line"

    project_id: Mapped[int] = mapped_column(ForeignKey("housing_project.id", name="fk_housing_line_project",
                                                       ondelete="CASCADE"), primary_key=True)
    segment: Mapped[str] = mapped_column(String(32), primary_key=True)
    dwellings: Mapped[int] = mapped_column(Integer)

    project: Mapped[Project] = relationship(back_populates="lines")


class Snapshot(Base):
    """The pipeline of a gemeente frozen at one half-year (``2026-H1``): never changed afterwards."""

    __tablename__ = "housing_snapshot"
    __table_args__ = (UniqueConstraint("gemeente_code", "label", name="uq_housing_snapshot_label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(16), index=True)
    label: Mapped[str] = mapped_column(String(16))
    taken_at: Mapped[datetime] = mapped_column(DateTime)
    taken_by: Mapped[str] = mapped_column(String(254))
    projects: Mapped[list] = mapped_column(JSON)


class PartyStockUpload(Base):
    """One uploaded version of a party's (corporation's) own stock per buurt: attributed, never overwritten."""

    __tablename__ = "housing_party_stock_upload"
    __table_args__ = (UniqueConstraint("party_id", "version", name="uq_housing_party_stock_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", name="fk_housing_party_stock_party"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    reference_year: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    row_count: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)
    uploaded_by: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200), default="")


class PartyStock(Base):
    """Dwellings of one segment in one buurt, as in one upload."""

    __tablename__ = "housing_party_stock"

    upload_id: Mapped[int] = mapped_column(ForeignKey("housing_party_stock_upload.id", name="fk_housing_stock_upload",
                                                      ondelete="CASCADE"), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    segment: Mapped[str] = mapped_column(String(32), primary_key=True)
    dwellings: Mapped[int] = mapped_column(Integer)


class CommitmentProject(Base):
    """A prestatieafspraken output commitment points to the pipeline projects that deliver it."""

    __tablename__ = "housing_commitment_project"

    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id", name="fk_housing_link_commitment",
                                                          ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("housing_project.id", name="fk_housing_link_project",
                                                       ondelete="CASCADE"), primary_key=True)


class TargetAdoption(Base):
    """A commitment that adopted a woonprogramma target (``key``, at ``target_version``; 0 = the shipped default).

    The link lives on the commitment side on purpose: adopting is an agreements action (ADD_COMMITMENT) and
    must never add a version of the target, which for a national default only a system administrator may do.
    """

    __tablename__ = "housing_target_adoption"

    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id", name="fk_housing_adoption_commitment",
                                                          ondelete="CASCADE"), primary_key=True)
    target_key: Mapped[str] = mapped_column(String(64), index=True)
    target_version: Mapped[int] = mapped_column(Integer, default=0)
    adopted_at: Mapped[datetime] = mapped_column(DateTime)
    adopted_by: Mapped[str] = mapped_column(String(254))
