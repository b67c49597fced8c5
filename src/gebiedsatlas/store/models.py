"""The schema. Long-form observations keyed by (area, indicator, period), as in geosnap.

Geometry is kept as GeoJSON text (WGS84, simplified for the web) with an optional RD New copy, so the
same schema runs on SQLite and PostgreSQL; PostGIS columns can be added by a later migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Source(Base):
    """A published dataset a figure comes from, with its licence and attribution."""

    __tablename__ = "source"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    publisher: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    table_id: Mapped[str | None] = mapped_column(String(64))
    year: Mapped[int | None] = mapped_column(Integer)
    licence: Mapped[str] = mapped_column(String(100))
    attribution: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)


class Indicator(Base):
    """An indicator from the catalogue (``indicators/catalogue.yaml`` is the master copy)."""

    __tablename__ = "indicator"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16))
    decimals: Mapped[int] = mapped_column(Integer, default=0)
    aggregation: Mapped[dict] = mapped_column(JSON)


class Area(Base):
    """A gemeente, wijk, buurt, provincie or the Netherlands, by its CBS code.

    ``first_year``/``last_year`` give the boundary years in which the code occurs in the store.
    """

    __tablename__ = "area"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(16), index=True)
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)


class AreaGeometry(Base):
    """The boundary of an area in one boundary year."""

    __tablename__ = "area_geometry"

    area_code: Mapped[str] = mapped_column(
        ForeignKey("area.code", ondelete="CASCADE"), primary_key=True
    )
    boundary_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    geojson: Mapped[str] = mapped_column(Text)  # WGS84, simplified and quantised for the web
    geojson_rd: Mapped[str | None] = mapped_column(Text)  # RD New (EPSG:28992) where the source has it
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    source_id: Mapped[str] = mapped_column(ForeignKey("source.id"))


class AreaSet(Base):
    """A named group of areas: the New Town Alliantie, an NPLV focus area, a corporation's area…"""

    __tablename__ = "area_set"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(32), default="custom")


class AreaSetMember(Base):
    __tablename__ = "area_set_member"

    set_id: Mapped[str] = mapped_column(
        ForeignKey("area_set.id", ondelete="CASCADE"), primary_key=True
    )
    area_code: Mapped[str] = mapped_column(ForeignKey("area.code"), primary_key=True)


class Observation(Base):
    """One value of one indicator for one area and period, with its status and provenance.

    ``status`` is one of observed, suppressed, missing, derived, converted, too_small, implausible
    (``gebiedsatlas.status.Status``); ``value`` is NULL unless the
    status is observed, derived or converted. ``method`` says how a derived value was computed.

    The primary key (indicator, period, area) is also the physical order (migration 0004: ``WITHOUT
    ROWID`` on SQLite): the values of one indicator and year for every buurt of the country lie side by
    side, and a national import appends in key order. ``ix_observation_area`` serves an area's profile.
    """

    __tablename__ = "observation"
    __table_args__ = (
        Index("ix_observation_area", "area_code", "indicator_id", "period"),
        {"sqlite_with_rowid": False},
    )

    indicator_id: Mapped[str] = mapped_column(ForeignKey("indicator.id", name="fk_observation_indicator"),
                                              primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("area.code", name="fk_observation_area"), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(ForeignKey("source.id", name="fk_observation_source"))
    boundary_year: Mapped[int] = mapped_column(Integer)
    method: Mapped[str | None] = mapped_column(Text)


class AreaCrosswalk(Base):
    """Share of a ``from`` area (in one boundary year) that lies in a ``to`` area (in another)."""

    __tablename__ = "area_crosswalk"

    from_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    from_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    to_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(64))


class ImportRun(Base):
    """A record of every import: when, what and how it ended."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[dict] = mapped_column(JSON, default=dict)


class FetchRun(Base):
    """A record of every ``gebiedsatlas fetch``: which connector, when, how it ended (migration 0008).

    ``outcome``: ok, offline (the source could not be reached) or mislukt (another error). Fetching
    changes no data in the store; it only leaves this record, so the atlas can say what was fetched when.
    """

    __tablename__ = "fetch_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connector: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(16))
    downloaded: Mapped[int] = mapped_column(Integer, default=0)
    reused: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
