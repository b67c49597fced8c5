"""Values on the boundaries of one year: the harmonised series behind trends and ``/api/harmonised``.

CBS publishes every edition on that year's area division; a trend that strings the editions
together silently mixes divisions. ``harmonised_values`` puts every value on the division of one
boundary year ``Y``:

- a value already on the boundaries of ``Y`` is kept as it is;
- a value on another boundary year whose area did not change (the stored crosswalk says
  ``unchanged`` in both directions, ``areas/crosswalk.py``) is kept with its own status, number and
  source, and a note that the area is the same;
- a value of an area that changed (split, merged, recoded, moved boundary) is converted through the
  crosswalk by the indicator's aggregation rule: status ``converted`` ("omgerekend"), with the method
  and its coverage (from the same forward rows as the number);
- a value on a boundary year without a crosswalk to ``Y`` loses its number (status ``missing``) and
  says why (``NO_CROSSWALK``): never mixed in silently.

``harmonised_group_values`` aggregates the harmonised values of a group (an area set such as the
New Towns) by each indicator's rule. Nederland as a whole has no boundary changes: its aggregates
are valid on any division and need no harmonisation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.areas import crosswalk as cw
from gebiedsatlas.indicators import convert
from gebiedsatlas.indicators.aggregate import aggregate_groups
from gebiedsatlas.indicators.catalogue import Catalogue, load_catalogue
from gebiedsatlas.indicators.values import observations
from gebiedsatlas.periods import nearest_period
from gebiedsatlas.status import Status
from gebiedsatlas.store.models import Observation

HARMONISED_COLUMNS = ["area_code", "indicator_id", "period", "value", "status", "source_id", "boundary_year",
                      "method", "from_year"]
# The start of the method text of a value that could not be put on the target boundaries.
NO_CROSSWALK = "geen omrekentabel"
# In the method text of a group value without a number because members had no crosswalk.
MEMBERS_WITHOUT_CROSSWALK = "zonder omrekentabel naar de grenzen van"


def no_crosswalk_note(from_year: int, to_year: int) -> str:
    return f"{NO_CROSSWALK} van de grenzen van {from_year} naar {to_year}"


def unchanged_note(from_year: int, to_year: int) -> str:
    return f"gebied ongewijzigd tussen de indelingen van {from_year} en {to_year}"


def is_unconvertible(method: object) -> bool:
    """Whether a harmonised value has no number because its boundary year has no crosswalk."""
    return isinstance(method, str) and NO_CROSSWALK in method


def lacks_crosswalk(method: object) -> bool:
    """Whether a harmonised value of an area or a group (``harmonised_group_values``) has no number
    because (some of) its values were on boundaries without a crosswalk to the target year."""
    return is_unconvertible(method) or (isinstance(method, str) and MEMBERS_WITHOUT_CROSSWALK in method)


def latest_boundary_years(session: Session, codes: Sequence[str]) -> dict[str, int]:
    """The latest boundary year of each area's stored values (what ``latest_boundary_year`` gives for
    all of an area's values), for many areas in one query; areas without values are left out."""
    codes = sorted(set(codes))
    out: dict[str, int] = {}
    for start in range(0, len(codes), 5_000):
        stmt = (select(Observation.area_code, func.max(Observation.boundary_year))
                .where(Observation.area_code.in_(codes[start:start + 5_000])).group_by(Observation.area_code))
        out.update({code: int(year) for code, year in session.execute(stmt) if year is not None})
    return out


def latest_boundary_year(frame: pd.DataFrame) -> int | None:
    """The latest boundary year of long-form values (an area's current division), None without rows."""
    years = frame["boundary_year"].dropna() if "boundary_year" in frame else pd.Series(dtype=float)
    return int(years.max()) if len(years) else None


def _keys(frame: pd.DataFrame) -> list[tuple]:
    return list(zip(frame["area_code"], frame["indicator_id"], frame["period"], strict=True))


def _without(frame: pd.DataFrame, done: set[tuple]) -> pd.DataFrame:
    if frame.empty or not done:
        return frame
    return frame[[k not in done for k in _keys(frame)]]


def harmonised_values(session: Session, codes: Sequence[str], indicator_ids: Sequence[str], boundary_year: int,
                      periods: Sequence[int] | None = None, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Every stored value of ``codes`` × ``indicator_ids`` (× ``periods``) on the boundaries of ``boundary_year``.

    Returns long-form rows (``HARMONISED_COLUMNS``): ``boundary_year`` is the target for every row and
    ``from_year`` the boundary year the value was published on. Areas that exist only on the target
    division also get the converted values of their predecessors. See the module docstring for the rules.
    """
    catalogue = catalogue or load_catalogue()
    codes, indicator_ids = list(codes), list(indicator_ids)
    period_list = list(periods) if periods else None
    needed = sorted(set(indicator_ids) | {i for ind in indicator_ids for i in catalogue[ind].aggregation.inputs})
    own = observations(session, codes, indicator_ids, period_list)
    own = own.assign(from_year=own["boundary_year"])
    direct = own[own["boundary_year"] == boundary_year]
    parts = [direct]
    done = set(_keys(direct))
    others = cw.crosswalk_years(session, boundary_year)
    for from_year in sorted((y for y in others if y != boundary_year), key=lambda y: (abs(y - boundary_year), -y)):
        forward = cw.load_crosswalk(session, from_year, boundary_year, to_codes=codes)
        if forward.empty:
            continue
        backward = cw.load_crosswalk(session, boundary_year, from_year, from_codes=sorted(set(forward["to_code"])))
        same = cw.unchanged_targets(forward, backward)
        # The same area: the published value stands, with a note.
        kept = _without(own[(own["boundary_year"] == from_year) & own["area_code"].isin(same)], done)
        if not kept.empty:
            note = unchanged_note(from_year, boundary_year)
            kept = kept.assign(boundary_year=boundary_year, method=[
                note if not isinstance(m, str) else f"{m}; {note}" for m in kept["method"]])
            done |= set(_keys(kept))
            parts.append(kept)
        changed = forward[~forward["to_code"].isin(same)]
        if changed.empty:
            continue
        source = observations(session, sorted(set(changed["from_code"])), needed, None)
        source = source[source["boundary_year"] == from_year]
        converted = _without(convert.convert_values(source, changed, catalogue, indicator_ids, period_list),
                             done)
        if converted.empty:
            continue
        first_source = source.groupby(["indicator_id", "period"])["source_id"].first()
        converted = converted.assign(
            source_id=[first_source.get((i, p)) for i, p in
                       zip(converted["indicator_id"], converted["period"], strict=True)],
            from_year=from_year)
        done |= set(_keys(converted))
        parts.append(converted)
    # Values on boundaries without a crosswalk to the target: no number, and the reason.
    stranded = _without(own[own["boundary_year"] != boundary_year], done)
    if not stranded.empty:
        parts.append(stranded.assign(
            value=np.nan, status=Status.MISSING.value, boundary_year=boundary_year,
            method=[no_crosswalk_note(int(y), boundary_year) for y in stranded["from_year"]]))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=HARMONISED_COLUMNS)
    frame = pd.concat(parts, ignore_index=True).reindex(columns=HARMONISED_COLUMNS)
    frame["period"] = frame["period"].astype(int)
    frame["boundary_year"] = boundary_year
    frame["value"] = frame["value"].astype(float)
    return frame


def harmonised_group_values(session: Session, code: str, members: Sequence[str], indicator_ids: Sequence[str],
                            boundary_year: int, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """A group of areas (e.g. an area set) as one pseudo-area ``code``, aggregated from its members'
    harmonised values by each indicator's rule (as ``indicators.values.group_values`` does with the
    published ones). A result built on converted member values is itself ``converted``; a result
    without a number names the members that had no crosswalk."""
    catalogue = catalogue or load_catalogue()
    members = list(members)
    needed = sorted(set(indicator_ids) | {i for ind in indicator_ids for i in catalogue[ind].aggregation.inputs})
    values = harmonised_values(session, members, needed, boundary_year, catalogue=catalogue)
    if values.empty:
        return pd.DataFrame(columns=HARMONISED_COLUMNS)
    with_number = values["status"].isin([s.value for s in Status if s.has_value])
    table = values.assign(value=values["value"].where(with_number)).set_index(
        ["indicator_id", "area_code", "period"])["value"]
    converted = set(_keys(values[values["status"] == Status.CONVERTED.value]))
    stranded = values[[is_unconvertible(m) for m in values["method"]]]
    stranded_count = stranded.groupby(["indicator_id", "period"])["area_code"].nunique()
    periods_of = {i: sorted(set(f)) for i, f in values.groupby("indicator_id")["period"]}
    sources = values.dropna(subset=["source_id"]).groupby(["indicator_id", "period"])["source_id"].first()
    rows = []
    for indicator_id in indicator_ids:
        rule = catalogue[indicator_id].aggregation
        wanted = periods_of.get(indicator_id, [])
        if not wanted:
            continue
        frame = pd.DataFrame({"area_code": np.repeat(members, len(wanted)),
                              "group": np.tile(wanted, len(members))})
        frame["value"] = convert.lookup_values(table, indicator_id, frame["area_code"].to_numpy(dtype=object),
                                    frame["group"].to_numpy())
        for role in ("weight", "numerator", "denominator"):
            input_id = getattr(rule, role)
            if input_id:
                nearest = {p: nearest_period(periods_of.get(input_id, []), p) for p in wanted}
                at = frame["group"].map(nearest).fillna(-1).astype(int).to_numpy()
                frame[role] = convert.lookup_values(table, input_id, frame["area_code"].to_numpy(dtype=object), at)
        result = aggregate_groups(rule, frame)
        for row in result.itertuples(index=False):
            period = int(row.group)
            used = frame[(frame["group"] == period) & frame["value"].notna()]["area_code"]
            from_converted = any((c, indicator_id, period) in converted for c in used)
            if pd.isna(row.value):
                status = Status.MISSING.value
                lost = int(stranded_count.get((indicator_id, period), 0))
                method = (f"{row.reason}: {lost} van de {row.members} gebieden {MEMBERS_WITHOUT_CROSSWALK} "
                          f"{boundary_year}" if lost else row.reason)
            else:
                status = Status.CONVERTED.value if from_converted else Status.DERIVED.value
                method = f"{rule.describe()}: {row.used} van {row.members} gebieden (dekking {row.coverage:.0%})"
                if from_converted:
                    method += f"; deels omgerekend naar grenzen {boundary_year}"
            rows.append({"area_code": code, "indicator_id": indicator_id, "period": period,
                         "value": np.nan if pd.isna(row.value) else float(row.value), "status": status,
                         "source_id": sources.get((indicator_id, period)), "boundary_year": boundary_year,
                         "method": method, "from_year": None})
    return pd.DataFrame(rows, columns=HARMONISED_COLUMNS)
