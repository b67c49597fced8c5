"""Boundary harmonisation: a crosswalk between the area divisions of two years, and values converted
to the boundaries of a target year.

Building (``build_crosswalk``), in RD New (EPSG:28992) so that areas are in m²:
- Every pair of a ``from`` area and a ``to`` area that overlap gets a weight: the share of the from
  area that lies in the to area. By area (``area``), or -- where a finer population source is given,
  e.g. buurt inhabitants -- by the share of the from area's inhabitants living in the to area
  (``population``): people, not water and fields, decide how a count is split.
- Overlaps below ``SLIVER_SHARE`` are generalisation noise of the published boundaries (two editions
  are never drawn identically) and are dropped; the remaining weights are rescaled to sum to 1.
- A from area that keeps its code and at least ``UNCHANGED_SHARE`` of its weight is ``unchanged``
  (weight 1); one that goes whole into one area with another code is ``recoded``; everything else is
  a split or merge with the overlay weights (method ``area`` or ``population``).
Rows are made in both directions (from->to and to->from), so values can be moved either way and every
converted value can say how much of its area the source areas cover.

Converting (``convert_values``): counts are apportioned by the weights; rates are recomputed from
apportioned numerators and denominators, and averages from apportioned weights, with the indicator's
own aggregation rule (``indicators/aggregate.py``), never by averaging rates. Non-additive indicators
(rule ``none``) move only with unchanged or recoded areas. Every converted value gets status
``converted`` ("omgerekend") and a method text with the share of overlap.
"""

from __future__ import annotations

from enum import StrEnum

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from gebiedsatlas.indicators.aggregate import aggregate_groups, nearest_period
from gebiedsatlas.indicators.catalogue import AggregationMethod, Catalogue
from gebiedsatlas.sources.values import Status
from gebiedsatlas.store.models import AreaCrosswalk

RD = "EPSG:28992"
SLIVER_SHARE = 0.01
UNCHANGED_SHARE = 0.9
CROSSWALK_COLUMNS = ["from_code", "from_year", "to_code", "to_year", "weight", "method"]


class Method(StrEnum):
    UNCHANGED = "unchanged"
    RECODED = "recoded"
    AREA = "area"
    POPULATION = "population"

    @property
    def label(self) -> str:
        return {"unchanged": "ongewijzigd", "recoded": "andere code", "area": "naar oppervlakte",
                "population": "naar inwoners"}[self.value]


def _shares(from_areas: gpd.GeoDataFrame, to_areas: gpd.GeoDataFrame,
            population: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """(from_code, to_code, share, method) before cleaning, for one direction."""
    a = from_areas[["code", "geometry"]].to_crs(RD)
    b = to_areas[["code", "geometry"]].to_crs(RD)
    overlay = gpd.overlay(a.rename(columns={"code": "from_code"}), b.rename(columns={"code": "to_code"}),
                          how="intersection", keep_geom_type=True)
    overlay["part"] = overlay.area
    total = overlay.groupby("from_code")["part"].transform("sum")  # the from area covered at all
    shares = overlay.assign(share=overlay["part"] / total, method=Method.AREA.value)[
        ["from_code", "to_code", "share", "method"]]
    if population is None:
        return shares
    # Population weighting: each fine unit counts at its representative point.
    points = population[["population", "geometry"]].to_crs(RD).copy()
    points["geometry"] = points.representative_point()
    points = points[points["population"] > 0]
    in_a = gpd.sjoin(points, a, predicate="within")[["population", "code"]].rename(columns={"code": "from_code"})
    in_b = gpd.sjoin(points, b, predicate="within")[["code"]].rename(columns={"code": "to_code"})
    joined = in_a.join(in_b, how="inner")
    if joined.empty:
        return shares
    people = joined.groupby(["from_code", "to_code"])["population"].sum().reset_index()
    people["share"] = people["population"] / people.groupby("from_code")["population"].transform("sum")
    people["method"] = Method.POPULATION.value
    weighted = set(people["from_code"])
    return pd.concat([people[["from_code", "to_code", "share", "method"]],
                      shares[~shares["from_code"].isin(weighted)]], ignore_index=True)


def _clean(shares: pd.DataFrame) -> pd.DataFrame:
    """Drop slivers, rescale, and classify unchanged and recoded areas."""
    keep = shares[shares["share"] >= SLIVER_SHARE].copy()
    keep["share"] = keep["share"] / keep.groupby("from_code")["share"].transform("sum")
    same = keep[(keep["from_code"] == keep["to_code"]) & (keep["share"] >= UNCHANGED_SHARE)]
    unchanged = same.assign(share=1.0, method=Method.UNCHANGED.value)
    rest = keep[~keep["from_code"].isin(same["from_code"])]
    single = rest.groupby("from_code")["to_code"].transform("size") == 1
    receivers = rest.groupby("to_code")["from_code"].transform("size")
    recoded = single & (receivers == 1)
    rest = rest.assign(method=np.where(recoded, Method.RECODED.value, rest["method"]))
    return pd.concat([unchanged, rest], ignore_index=True).rename(columns={"share": "weight"})


def build_crosswalk(from_areas: gpd.GeoDataFrame, to_areas: gpd.GeoDataFrame, from_year: int, to_year: int,
                    population: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Crosswalk rows (``CROSSWALK_COLUMNS``) in both directions between two area divisions.

    ``from_areas``/``to_areas`` have columns ``code`` and ``geometry`` (any CRS; overlaid in RD New).
    ``population`` optionally gives finer units (``population``, ``geometry``) to weight by.
    """
    forward = _clean(_shares(from_areas, to_areas, population)).assign(from_year=from_year, to_year=to_year)
    backward = _clean(_shares(to_areas, from_areas, population)).assign(from_year=to_year, to_year=from_year)
    return pd.concat([forward, backward], ignore_index=True)[CROSSWALK_COLUMNS]


def store_crosswalk(session: Session, rows: pd.DataFrame) -> int:
    """Replace the stored crosswalk of every (from_year, to_year) pair in ``rows`` by ``rows``."""
    pairs = rows[["from_year", "to_year"]].drop_duplicates().itertuples(index=False)
    session.execute(delete(AreaCrosswalk).where(or_(*[
        and_(AreaCrosswalk.from_year == int(f), AreaCrosswalk.to_year == int(t)) for f, t in pairs])))
    records = [{"from_code": r.from_code, "from_year": int(r.from_year), "to_code": r.to_code,
                "to_year": int(r.to_year), "weight": float(r.weight), "method": r.method}
               for r in rows.itertuples(index=False)]
    if records:
        session.execute(insert(AreaCrosswalk), records)
    return len(records)


def load_crosswalk(session: Session, from_year: int, to_year: int) -> pd.DataFrame:
    rows = session.execute(select(*[getattr(AreaCrosswalk, c) for c in CROSSWALK_COLUMNS]).where(
        AreaCrosswalk.from_year == from_year, AreaCrosswalk.to_year == to_year)).all()
    return pd.DataFrame(rows, columns=CROSSWALK_COLUMNS)


def crosswalk_years(session: Session, to_year: int) -> list[int]:
    """Boundary years that have a stored crosswalk to ``to_year``."""
    return sorted(session.scalars(select(AreaCrosswalk.from_year).where(AreaCrosswalk.to_year == to_year)
                                  .distinct()))


def _valued(values: pd.DataFrame) -> pd.DataFrame:
    ok = values["status"].isin([Status.OBSERVED.value, Status.DERIVED.value, Status.CONVERTED.value])
    return values.assign(value=values["value"].where(ok))


def convert_values(values: pd.DataFrame, forward: pd.DataFrame, backward: pd.DataFrame,
                   catalogue: Catalogue, indicator_ids: list[str]) -> pd.DataFrame:
    """Values of ``indicator_ids`` on the from boundaries, expressed on the to boundaries.

    ``values`` are long-form observations on the from boundaries (``area_code, indicator_id, period,
    value, status, source_id``), including the inputs the rules need (weights, numerators,
    denominators). ``forward``/``backward`` are the crosswalk rows from->to and to->from. Returns one
    row per to-area, indicator and period with status ``converted`` (or ``missing`` with the reason).
    """
    if forward.empty or values.empty:
        return pd.DataFrame(columns=["area_code", "indicator_id", "period", "value", "status",
                                     "source_id", "boundary_year", "method"])
    from_year, to_year = int(forward["from_year"].iloc[0]), int(forward["to_year"].iloc[0])
    values = _valued(values)
    series = {k: f.set_index("area_code")["value"] for k, f in values.groupby(["indicator_id", "period"])}
    periods_of = {i: sorted(set(f["period"])) for i, f in values.groupby("indicator_id")}
    cover = backward.rename(columns={"from_code": "to_code", "to_code": "from_code", "weight": "cover"})[
        ["from_code", "to_code", "cover"]]
    links = (forward.rename(columns={"weight": "share"})
             .merge(cover, on=["from_code", "to_code"], how="left").fillna({"cover": 0.0}))
    out = []
    for indicator_id in indicator_ids:
        rule = catalogue[indicator_id].aggregation
        for period in periods_of.get(indicator_id, []):
            frame = links.assign(group=links["to_code"])
            value = frame["from_code"].map(series[(indicator_id, period)])
            if rule.method is AggregationMethod.SUM:
                frame["value"] = value * frame["share"]
            else:
                frame["value"] = value
            for role in ("weight", "numerator", "denominator"):
                input_id = getattr(rule, role)
                if input_id:
                    at = nearest_period(periods_of.get(input_id, []), period)
                    inputs = frame["from_code"].map(series.get((input_id, at), pd.Series(dtype=float)))
                    frame[role] = inputs * frame["share"]  # apportioned count
            carry = rule.method is AggregationMethod.NONE
            result = _carry_whole(frame) if carry else aggregate_groups(rule, frame)
            has_value = frame.assign(has=value.notna())
            overlap = has_value[has_value["has"]].groupby("to_code")["cover"].sum()
            sources = frame.assign(v=value).dropna(subset=["v"]).groupby("to_code")["from_code"].size()
            for row in result.itertuples(index=False):
                share = float(overlap.get(row.group, 0.0))
                ok = not pd.isna(row.value)
                method = (f"omgerekend naar grenzen {to_year}: {_describe(rule)}, "
                          f"{int(sources.get(row.group, 0))} gebied(en) van {from_year}, overlap {share:.0%}")
                out.append({
                    "area_code": row.group, "indicator_id": indicator_id, "period": period,
                    "value": float(row.value) if ok else np.nan,
                    "status": Status.CONVERTED.value if ok else Status.MISSING.value,
                    "source_id": None, "boundary_year": to_year,
                    "method": method if ok else f"{method}; {row.reason}",
                })
    frame = pd.DataFrame(out)
    return frame


def _describe(rule) -> str:
    if rule.method is AggregationMethod.SUM:
        return "aantallen verdeeld naar aandeel"
    if rule.method is AggregationMethod.RATIO:
        return f"{rule.numerator} en {rule.denominator} verdeeld, verhouding opnieuw berekend"
    if rule.method is AggregationMethod.WEIGHTED_MEAN:
        return f"gemiddelde opnieuw gewogen naar verdeeld {rule.weight}"
    return "ongewijzigd overgenomen"


def _carry_whole(frame: pd.DataFrame) -> pd.DataFrame:
    """Rule ``none``: a value moves only when the to-area is one whole from-area (unchanged/recoded)."""
    groups = frame.groupby("group")
    whole = groups.apply(lambda g: len(g) == 1 and g["share"].iloc[0] == 1.0
                         and g["cover"].iloc[0] >= UNCHANGED_SHARE, include_groups=False)
    first = groups["value"].first()
    return pd.DataFrame({
        "group": first.index,
        "value": np.where(whole.reindex(first.index).fillna(False), first.values, np.nan),
        "members": groups.size().values, "used": groups.size().values, "coverage": 1.0,
        "reason": "niet om te rekenen: deze indicator is niet op te tellen en het gebied is veranderd",
    })


# --- geometry and population from the store ---------------------------------------------------------

_PREFIX = {"gemeente": "GM", "wijk": "WK", "buurt": "BU"}


def areas_from_store(session: Session, level: str, year: int,
                     gemeenten: set[str] | None = None) -> gpd.GeoDataFrame:
    """Boundaries of one level and boundary year from the store, in RD New.

    The RD copy is used where the source had one, else the (simplified) WGS84 geometry is projected.
    Wijken of a year without wijk boundaries are dissolved from that year's buurten.
    """
    import json

    from shapely.geometry import shape

    from gebiedsatlas.store.models import AreaGeometry

    rows = session.execute(select(AreaGeometry.area_code, AreaGeometry.geojson, AreaGeometry.geojson_rd).where(
        AreaGeometry.boundary_year == year, AreaGeometry.area_code.like(f"{_PREFIX[level]}%"))).all()
    if gemeenten:
        rows = [r for r in rows if f"GM{r.area_code[2:6]}" in gemeenten]
    if not rows and level == "wijk":
        buurten = areas_from_store(session, "buurt", year, gemeenten)
        if buurten.empty:
            return buurten
        buurten["code"] = "WK" + buurten["code"].str[2:8]
        return buurten.dissolve("code").reset_index()[["code", "geometry"]]
    rd = [(r.area_code, shape(json.loads(r.geojson_rd))) for r in rows if r.geojson_rd]
    wgs = [(r.area_code, shape(json.loads(r.geojson))) for r in rows if not r.geojson_rd]
    parts = []
    if rd:
        parts.append(gpd.GeoDataFrame({"code": [c for c, _ in rd]}, geometry=[g for _, g in rd], crs=RD))
    if wgs:
        parts.append(gpd.GeoDataFrame({"code": [c for c, _ in wgs]}, geometry=[g for _, g in wgs],
                                      crs="EPSG:4326").to_crs(RD))
    if not parts:
        return gpd.GeoDataFrame({"code": []}, geometry=[], crs=RD)
    frame = pd.concat(parts, ignore_index=True)
    frame["geometry"] = frame.geometry.make_valid()
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=RD)


def population_from_store(session: Session, year: int, gemeenten: set[str] | None = None,
                          indicator_id: str = "inwoners") -> gpd.GeoDataFrame:
    """Buurten of ``year`` with their inhabitants (nearest period), as the finer weighting source."""
    from gebiedsatlas.store.models import Observation

    buurten = areas_from_store(session, "buurt", year, gemeenten)
    periods = sorted(session.scalars(select(Observation.period).where(
        Observation.indicator_id == indicator_id, Observation.area_code.like("BU%")).distinct()))
    at = nearest_period(periods, year)
    if buurten.empty or at is None:
        return gpd.GeoDataFrame({"population": []}, geometry=[], crs=RD)
    counts = dict(session.execute(select(Observation.area_code, Observation.value).where(
        Observation.indicator_id == indicator_id, Observation.period == at,
        Observation.area_code.like("BU%"))).all())
    buurten["population"] = buurten["code"].map(counts).fillna(0.0)
    return buurten
