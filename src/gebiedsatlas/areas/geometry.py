"""Area boundaries for maps, cached in memory per import (GeoJSON text, never re-parsed)."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.periods import nearest_period
from gebiedsatlas.store.models import AreaGeometry, ImportRun

_cache: dict[str, tuple[int | None, dict[str, dict[int, str]]]] = {}


def _all_geometries(session: Session) -> dict[str, dict[int, str]]:
    url = str(session.get_bind().url)
    version = session.scalar(select(func.max(ImportRun.id)))
    cached = _cache.get(url)
    if cached and cached[0] == version:
        return cached[1]
    by_code: dict[str, dict[int, str]] = {}
    for code, year, text in session.execute(
        select(AreaGeometry.area_code, AreaGeometry.boundary_year, AreaGeometry.geojson)
    ):
        by_code.setdefault(code, {})[year] = text
    _cache[url] = (version, by_code)
    return by_code


def geometry_years(session: Session, code: str) -> list[int]:
    return sorted(_all_geometries(session).get(code, {}))


def geometry_text(session: Session, code: str, year: int | None = None) -> str | None:
    """The GeoJSON geometry of ``code`` in the boundary year nearest to ``year`` (or the latest)."""
    years = _all_geometries(session).get(code)
    if not years:
        return None
    chosen = nearest_period(set(years), year) if year else max(years)
    return years[chosen]


def feature_collection(session: Session, features: list[tuple[str, dict]],
                       year: int | None = None) -> str:
    """A GeoJSON FeatureCollection as text; ``features`` are (code, properties).

    Areas without a boundary in the store are left out (and counted in ``skipped``).
    """
    parts = []
    skipped = 0
    for code, properties in features:
        geometry = geometry_text(session, code, year)
        if geometry is None:
            skipped += 1
            continue
        parts.append(
            '{"type":"Feature","id":' + json.dumps(code) + ',"properties":'
            + json.dumps(properties, separators=(",", ":"), allow_nan=False)
            + ',"geometry":' + geometry + "}"
        )
    return ('{"type":"FeatureCollection","skipped":' + str(skipped) + ',"features":['
            + ",".join(parts) + "]}")
