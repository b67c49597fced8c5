"""Querying values: observations for areas, and aggregates for area sets and the Netherlands.

Everything comes back long-form (one row per area × indicator × period) as a DataFrame with the
columns in ``VALUE_COLUMNS``. Values without a number (suppressed, missing) keep ``value`` NaN and
their status; nothing is ever filled with zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gebiedsatlas.areas.codes import NETHERLANDS_CODE, Level
from gebiedsatlas.areas.index import AreaIndex, area_index
from gebiedsatlas.indicators.aggregate import aggregate, input_period_note
from gebiedsatlas.indicators.catalogue import Catalogue, load_catalogue
from gebiedsatlas.periods import nearest_period
from gebiedsatlas.status import Status
from gebiedsatlas.store.models import Observation

VALUE_COLUMNS = [
    "area_code", "area_name", "level", "indicator_id", "period", "value", "status", "source_id",
    "boundary_year", "method",
]
SET_LEVEL = "gebiedsset"
# Chunk IN lists: SQLite allows at most 32,766 bound parameters per statement.
_CHUNK = 5_000


def _fetch_tuples(session: Session, stmt) -> list[tuple]:
    """Rows of ``stmt`` as the driver's plain tuples.

    SQLAlchemy's Row objects and their processing cost as much as the database itself for the
    ~14,500 rows of one indicator over all buurten; the columns read here need no conversion.
    """
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        return [tuple(row) for row in cursor.fetchall()] if connection.dialect.name != "sqlite" \
            else cursor.fetchall()
    finally:
        cursor.close()


_VALUE_COLUMNS = [Observation.area_code, Observation.indicator_id, Observation.period, Observation.value,
                  Observation.status, Observation.source_id, Observation.boundary_year]
_KEY = [Observation.area_code, Observation.indicator_id, Observation.period]


def value_queries(area_codes: list[str] | None, indicator_ids: list[str],
                  periods: list[int] | None = None) -> tuple[Select, Select, bool]:
    """The two queries of ``observations``: values and method notes; and whether to filter areas after.

    The values of one indicator and period are one range of the table's primary key (migration 0004);
    ``method`` (NULL for observed values, long for derived ones) is read apart, for the rows that can
    carry a note.
    """
    conditions = [Observation.indicator_id.in_(indicator_ids)]
    if periods:
        conditions.append(Observation.period.in_(periods))
    # For long area lists (all buurten of the country) one indexed scan by indicator and period,
    # filtered in memory, beats many IN-list queries.
    scan_all = area_codes is None or len(area_codes) > _CHUNK
    if not scan_all:
        conditions.append(Observation.area_code.in_(area_codes))
    notes = select(*_KEY, Observation.method).where(
        *conditions, Observation.status != Status.OBSERVED.value, Observation.method.is_not(None))
    return select(*_VALUE_COLUMNS).where(*conditions), notes, scan_all and area_codes is not None


def observations(session: Session, area_codes: list[str] | None, indicator_ids: list[str],
                 periods: list[int] | None = None) -> pd.DataFrame:
    """Stored observations (observed, suppressed, missing and derived-on-import)."""
    values, notes_query, filter_areas = value_queries(area_codes, indicator_ids, periods)
    rows = _fetch_tuples(session, values)
    frame = pd.DataFrame.from_records(rows, columns=[c.key for c in _VALUE_COLUMNS], nrows=len(rows))
    if filter_areas:
        frame = frame[frame["area_code"].isin(area_codes)].reset_index(drop=True)
    # Notes only for the rows that can have one, read for just their areas when those are few.
    noted = np.flatnonzero(frame["status"].to_numpy() != Status.OBSERVED.value)
    method = np.full(len(frame), None, dtype=object)
    if len(noted):
        area = frame["area_code"].to_numpy()[noted]
        candidates = sorted(set(area.tolist()))
        if len(candidates) <= _CHUNK:
            notes_query = notes_query.where(Observation.area_code.in_(candidates))
        notes = {row[:3]: row[3] for row in _fetch_tuples(session, notes_query)}
        keys = zip(area.tolist(), frame["indicator_id"].to_numpy()[noted].tolist(),
                   frame["period"].to_numpy()[noted].tolist(), strict=True)
        method[noted] = [notes.get(key) for key in keys]
    frame["method"] = method
    frame["value"] = frame["value"].astype(float)
    return frame


def available_periods(session: Session, indicator_id: str) -> list[int]:
    stmt = (select(Observation.period).where(Observation.indicator_id == indicator_id)
            .distinct().order_by(Observation.period))
    return list(session.scalars(stmt))


def _label(frame: pd.DataFrame, index: AreaIndex) -> pd.DataFrame:
    frame["area_name"] = frame["area_code"].map(index.names)
    frame["level"] = frame["area_code"].map(index.levels)
    return frame


def area_values(session: Session, area_codes: list[str], indicator_ids: list[str],
                periods: list[int] | None = None) -> pd.DataFrame:
    """Values for real areas; NL01 is computed from all gemeenten (see ``group_values``)."""
    index = area_index(session)
    plain = [c for c in area_codes if c != NETHERLANDS_CODE]
    frame = _label(observations(session, plain, indicator_ids, periods), index)
    parts = [frame]
    if NETHERLANDS_CODE in area_codes:
        parts.append(netherlands_values(session, indicator_ids, periods))
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else frame
    return out.reindex(columns=VALUE_COLUMNS)


def group_values(session: Session, code: str, name: str, level: str,
                 members_for: callable, indicator_ids: list[str],
                 periods: list[int] | None, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Aggregate members into one pseudo-area per indicator and period.

    ``members_for(period)`` gives the member codes for a period. The result rows have status
    ``derived`` with a method note (rule, members used, coverage), or ``missing`` with the reason.
    """
    catalogue = catalogue or load_catalogue()
    needed = set(indicator_ids)
    for i in indicator_ids:
        needed |= set(catalogue[i].aggregation.inputs)
    wanted_periods = periods or sorted({
        p for i in indicator_ids for p in available_periods(session, i)
    })
    all_members = sorted({m for p in wanted_periods for m in members_for(p)})
    stored = observations(session, all_members, sorted(needed), None)
    stored.loc[~stored["status"].isin([Status.OBSERVED.value, Status.DERIVED.value]),
               "value"] = np.nan
    by_key = {k: f.set_index("area_code")["value"] for k, f in
              stored.groupby(["indicator_id", "period"])}
    periods_of = {i: sorted(set(f["period"])) for i, f in stored.groupby("indicator_id")}
    sources_of = {k: f["source_id"].iloc[0] for k, f in stored.groupby(["indicator_id", "period"])}
    rows = []
    for indicator_id in indicator_ids:
        rule = catalogue[indicator_id].aggregation
        for period in wanted_periods:
            if (indicator_id, period) not in by_key:
                continue
            members = members_for(period)
            frame = pd.DataFrame({"area_code": members})
            frame["value"] = frame["area_code"].map(by_key[(indicator_id, period)])
            used_periods = {}
            for role in ("weight", "numerator", "denominator"):
                input_id = getattr(rule, role)
                if input_id:
                    at = nearest_period(periods_of.get(input_id, []), period)
                    used_periods[input_id] = at
                    frame[role] = frame["area_code"].map(by_key.get((input_id, at), pd.Series()))
            result = aggregate(rule, frame)
            if result.has_value:
                method = (f"{rule.describe()}: {result.used} van {result.members} gebieden "
                          f"(dekking {result.coverage:.0%})"
                          + input_period_note(rule, period, used_periods))
                status = Status.DERIVED.value
            else:
                method, status = result.reason, Status.MISSING.value
            rows.append({
                "area_code": code, "area_name": name, "level": level,
                "indicator_id": indicator_id, "period": period,
                "value": np.nan if result.value is None else result.value, "status": status,
                "source_id": sources_of[(indicator_id, period)], "boundary_year": period,
                "method": method,
            })
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)


def netherlands_values(session: Session, indicator_ids: list[str],
                       periods: list[int] | None = None) -> pd.DataFrame:
    """The Netherlands as the aggregate of all gemeenten that have inhabitants in that period."""
    index = area_index(session)
    inwoners_periods = available_periods(session, "inwoners")
    gemeenten_by_period = {
        p: sorted(observations(session, None, ["inwoners"], [p])
                  .query("area_code.str.startswith('GM')")["area_code"])
        for p in inwoners_periods
    }

    def members_for(period: int) -> list[str]:
        return gemeenten_by_period.get(nearest_period(inwoners_periods, period), [])

    nl = index.netherlands()
    return group_values(session, nl.code, nl.name, Level.LAND.value, members_for, indicator_ids,
                        periods)


def area_set_values(session: Session, set_id: str, indicator_ids: list[str],
                    periods: list[int] | None = None) -> pd.DataFrame:
    index = area_index(session)
    area_set = index.sets[set_id]
    return group_values(session, area_set.id, area_set.name, SET_LEVEL,
                        lambda _period: list(area_set.members), indicator_ids, periods)


def latest_period(session: Session, indicator_id: str) -> int | None:
    periods = available_periods(session, indicator_id)
    return periods[-1] if periods else None
