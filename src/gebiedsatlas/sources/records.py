"""What every source reader produces: areas, long-form observations and geometries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from gebiedsatlas.areas.codes import Level

if TYPE_CHECKING:
    import pandas as pd

    from gebiedsatlas.indicators.catalogue import SourceInfo


@dataclass(frozen=True)
class AreaRecord:
    code: str
    level: Level
    name: str
    parent_code: str | None
    year: int


class ObservationRecord(NamedTuple):
    """A tuple, not a dataclass: imports build hundreds of thousands of them."""

    area_code: str
    indicator_id: str
    period: int
    value: float | None
    status: str
    source_id: str
    boundary_year: int
    method: str | None = None


@dataclass(frozen=True)
class GeometryRecord:
    area_code: str
    boundary_year: int
    geojson: str
    geojson_rd: str | None
    bounds: tuple[float, float, float, float]
    source_id: str


@dataclass
class SourceBatch:
    """Everything one source contributes to an import."""

    source_id: str
    areas: list[AreaRecord] = field(default_factory=list)
    observations: list[ObservationRecord] = field(default_factory=list)
    geometries: list[GeometryRecord] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # A source that is not in the catalogue's ``sources:`` (e.g. a fetched CBS edition) describes itself.
    source: SourceInfo | None = None
    # Observations in columnar form (the columns of ObservationRecord), for very large sources.
    frame: pd.DataFrame | None = None
