"""Boundary harmonisation: a crosswalk between the area divisions of two years.

Building (``build_crosswalk``), in RD New (EPSG:28992) so that areas are in m²:
- Every pair of a ``from`` area and a ``to`` area that overlap gets a weight: the share of the from
  area that lies in the to area. By area (``area``), or -- where a finer population source is given,
  e.g. buurt inhabitants -- by the share of the from area's inhabitants living in the to area
  (``population``): people, not water and fields, decide how a count is split.
- Population weighting places each fine unit (a buurt) wholly in one area of each division
  (``place_population``): by its CBS code where the code says which area it belongs to (``code``) and
  that area lies over at least ``CODE_SHARE`` of the unit, else at its representative point
  (``point``). CBS codes are hierarchical (``BUggggwwbb`` lies in ``WKggggww`` and ``GMgggg``) and a
  buurt that moves to another wijk gets a new code, so the code is exact where the two editions'
  generalised outlines are not; the overlap test guards against a code reused for another place.
- Overlaps below ``SLIVER_SHARE`` of both areas are generalisation noise of the published boundaries
  (two editions are never drawn identically) and are dropped; the remaining weights are rescaled to sum to 1.
- A from area that keeps its code and at least ``UNCHANGED_SHARE`` of its weight is ``unchanged``
  (weight 1); one that goes whole into one area with another code that receives nothing else is
  ``recoded``; everything else is a split or merge with the overlay weights (method ``area`` or
  ``population``), including the new part of a split going whole into an old area that still exists.
Rows are made in both directions (from->to and to->from), so values can be moved either way, and both
directions hold the same pairs (``_clean``). A conversion uses one direction only -- the forward rows of
the move, for its number and its coverage note alike (``indicators/convert.py``); the two directions are
rescaled separately and need not agree.

Converting values through a crosswalk is the indicators' business (each indicator's aggregation rule):
``indicators/convert.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from gebiedsatlas.periods import nearest_period
from gebiedsatlas.store.models import AreaCrosswalk

if TYPE_CHECKING:
    import geopandas as gpd

RD = "EPSG:28992"
# Overlaps under this share of both areas are dropped: the stated sliver threshold. Two editions are
# simplified differently; between the 2022 and 2024 New Towns wijken such slivers reach several percent.
SLIVER_SHARE = 0.05
UNCHANGED_SHARE = 0.9
# A fine unit goes by its code to the area its code implies only if that area covers at least this share
# of the unit's area: a majority, so a reused code (a buurt recoded into a place another wijk held in the
# earlier year) falls back to the point rule, while generalisation noise does not (on the bundled New
# Towns data every 2024 buurt has at least 58 % of its area in the 2022 outline of its code's wijk).
CODE_SHARE = 0.5
CODE_LENGTH = {"GM": 6, "WK": 8, "BU": 10}
CROSSWALK_COLUMNS = ["from_code", "from_year", "to_code", "to_year", "weight", "method"]


class Method(StrEnum):
    """How a from area's weights were found (the ``method`` column of ``area_crosswalk``).

    ``population``: by inhabitants of finer units, each placed by its code or else its representative
    point (``place_population``); ``area``: by overlapping area (no inhabitants known).
    """

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
    import geopandas as gpd

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
    # Population weighting: each fine unit wholly in one area of each division, by code or by point.
    units = population[population["population"] > 0].reset_index(drop=True)
    joined = pd.DataFrame({"population": units["population"],
                           "from_code": place_population(units, a)["code"],
                           "to_code": place_population(units, b)["code"]}).dropna()
    if joined.empty:
        return shares
    people = joined.groupby(["from_code", "to_code"])["population"].sum().reset_index()
    people["share"] = people["population"] / people.groupby("from_code")["population"].transform("sum")
    people["method"] = Method.POPULATION.value
    weighted = set(people["from_code"])
    return pd.concat([people[["from_code", "to_code", "share", "method"]],
                      shares[~shares["from_code"].isin(weighted)]], ignore_index=True)


def implied_codes(unit_codes: pd.Series, prefix: str) -> pd.Series:
    """The area of level ``prefix`` (``GM``, ``WK``, ``BU``) each unit's CBS code places it in, else None.

    ``BU00340503`` -> ``WK003405`` or ``GM0034``; a code no finer than the level implies nothing
    (``WK003405`` says nothing about buurten).
    """
    n = CODE_LENGTH[prefix]
    codes = unit_codes.astype("string")
    finer = codes.str[:2].map(CODE_LENGTH).fillna(0) >= n
    implied = (prefix + codes.str[2:n]).where(finer & codes.str[:2].isin(list(CODE_LENGTH)))
    return implied.astype(object).where(implied.notna(), None)


def place_population(units: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """The one area of ``areas`` each fine unit's inhabitants are counted in, and how it was found.

    Returns, indexed like ``units``, ``code`` (None where the unit is in no area) and ``how``:
    ``code`` -- the area its CBS code implies (``implied_codes``) exists in ``areas`` and covers at least
    ``CODE_SHARE`` of the unit's area; ``point`` -- otherwise the area containing its representative
    point (also for units without a ``code`` column). ``areas`` must be of one level (``code`` column).
    """
    import geopandas as gpd

    units = units.to_crs(RD)
    areas = areas[["code", "geometry"]].to_crs(RD)
    result = pd.DataFrame({"code": pd.Series(None, index=units.index, dtype=object), "how": None})
    prefixes = set(areas["code"].str[:2])
    if "code" in units.columns and len(prefixes) == 1 and next(iter(prefixes)) in CODE_LENGTH:
        implied = implied_codes(units["code"], next(iter(prefixes)))
        outline = areas.drop_duplicates("code").set_index("code").geometry
        known = implied.isin(outline.index)
        if known.any():
            mine = units.geometry[known]
            theirs = gpd.GeoSeries(outline.loc[implied[known]].to_numpy(), index=mine.index, crs=RD)
            inside = mine.intersection(theirs).area / mine.area
            by_code = inside[inside >= CODE_SHARE].index
            result.loc[by_code, "code"] = implied[by_code]
            result.loc[by_code, "how"] = "code"
    rest = result.index[result["how"].isna()]
    if len(rest):
        points = gpd.GeoDataFrame(geometry=units.geometry[rest].representative_point(), crs=RD)
        found = gpd.sjoin(points, areas, predicate="within")
        found = found[~found.index.duplicated()]["code"]
        result.loc[found.index, "code"] = found
        result.loc[rest, "how"] = "point"
    return result


def _pairs(forward: pd.DataFrame, backward: pd.DataFrame) -> pd.DataFrame:
    """Every (from_code, to_code) pair with its share of the from area (``fwd``) and of the to area (``back``)."""
    def one(shares: pd.DataFrame, share: str, method: str) -> pd.DataFrame:
        return shares.groupby(["from_code", "to_code"], as_index=False).agg(**{share: ("share", "sum"),
                                                                             method: ("method", "first")})

    back = backward.rename(columns={"from_code": "to_code", "to_code": "from_code"})
    pairs = one(forward, "fwd", "fwd_method").merge(one(back, "back", "back_method"), on=["from_code", "to_code"],
                                                    how="outer")
    return pairs.fillna({"fwd": 0.0, "back": 0.0})


def _clean(forward: pd.DataFrame, backward: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop slivers, rescale, and classify unchanged and recoded areas -- both directions together.

    The two directions hold the same pairs (a conversion uses only the forward rows of its move, for the
    number and its note; ``indicators/convert.py``):
    - a pair is a sliver, dropped both ways, only when it is under ``SLIVER_SHARE`` of both areas;
    - an area that keeps its code and ``UNCHANGED_SHARE`` of its weight is ``unchanged`` (weight 1, its
      other pairs dropped). A pair it drops is dropped from the other area too when it is under
      1 - ``UNCHANGED_SHARE`` of that area as well (noise on both sides); a larger one makes the area not
      unchanged (by area, 3 % of the 2024 WK003416 is 29 % of the 2022 WK003409: WK003416 keeps its row
      back to WK003409, which it used to drop while WK003409's row into it stood -- "overlap 0%").
    A pair with no share on one side (by inhabitants: none of them live there) has a row on the other side
    only; its overlap is 0 and that is true.
    """
    pairs = _pairs(forward, backward)
    pairs = pairs[np.maximum(pairs["fwd"], pairs["back"]) >= SLIVER_SHARE].reset_index(drop=True)
    for share in ("fwd", "back"):  # rescaled over the pairs that remain, as the rows will be
        code = "from_code" if share == "fwd" else "to_code"
        pairs[share] = pairs[share] / pairs.groupby(code)[share].transform("sum")
    snapped = [set(pairs.loc[(pairs["from_code"] == pairs["to_code"]) & (pairs[share] >= UNCHANGED_SHARE),
                             "from_code"]) for share in ("fwd", "back")]
    # A pair of two different areas with weight both ways, of which one area is unchanged (and so drops it):
    # noise on the other side too if under 1 - UNCHANGED_SHARE of that area (dropped both ways), else the
    # unchanged area is not unchanged (kept both ways). Repeated until no pair is dropped on one side only.
    cross = pairs[(pairs["from_code"] != pairs["to_code"]) & (pairs["fwd"] > 0) & (pairs["back"] > 0)]
    noise = 1 - UNCHANGED_SHARE
    while True:
        from_side, to_side = cross["from_code"].isin(snapped[0]), cross["to_code"].isin(snapped[1])
        odd = cross[from_side != to_side]
        if odd.empty:
            break
        small = np.where(from_side[odd.index], odd["back"], odd["fwd"]) < noise
        cross = cross.drop(odd.index[small])
        pairs = pairs.drop(odd.index[small])
        big = odd[~small]
        snapped[0] -= set(big.loc[from_side[big.index], "from_code"])
        snapped[1] -= set(big.loc[to_side[big.index], "to_code"])
    sides = []
    for share, method, swap in (("fwd", "fwd_method", False), ("back", "back_method", True)):
        rows = pairs[pairs[share] > 0].rename(columns={share: "share", method: "method"})
        if swap:
            rows = rows.rename(columns={"from_code": "to_code", "to_code": "from_code"})
        rows = rows[["from_code", "to_code", "share", "method"]].copy()
        rows["share"] = rows["share"] / rows.groupby("from_code")["share"].transform("sum")
        sides.append(rows)
    return _classify(sides[0], snapped[0]), _classify(sides[1], snapped[1])


def _classify(rows: pd.DataFrame, snapped: set[str]) -> pd.DataFrame:
    """One direction's rows: ``unchanged`` for ``snapped`` areas (weight 1), ``recoded`` for an area that goes
    whole into one area of another code that receives nothing else, the overlay method for the rest."""
    unchanged = rows[rows["from_code"].isin(snapped) & (rows["from_code"] == rows["to_code"])].assign(
        share=1.0, method=Method.UNCHANGED.value)
    rest = rows[~rows["from_code"].isin(snapped)]
    single = rest.groupby("from_code")["to_code"].transform("size") == 1
    # Receivers count every row into the area, unchanged ones included: a new wijk split off an old one
    # that still exists is a split, not a recoding.
    receivers = pd.concat([unchanged, rest])["to_code"].value_counts()
    recoded = single & rest["to_code"].map(receivers).eq(1) & (rest["from_code"] != rest["to_code"])
    rest = rest.assign(method=np.where(recoded, Method.RECODED.value, rest["method"]))
    return pd.concat([unchanged, rest], ignore_index=True).rename(columns={"share": "weight"})


def build_crosswalk(from_areas: gpd.GeoDataFrame, to_areas: gpd.GeoDataFrame, from_year: int, to_year: int,
                    population: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Crosswalk rows (``CROSSWALK_COLUMNS``) in both directions between two area divisions.

    ``from_areas``/``to_areas`` have columns ``code`` and ``geometry`` (any CRS; overlaid in RD New).
    ``population`` optionally gives finer units (``population``, ``geometry``, and ideally their CBS
    ``code``) to weight by; each is placed by its code where that holds, else by its representative
    point (``place_population``).
    """
    forward, backward = _clean(_shares(from_areas, to_areas, population), _shares(to_areas, from_areas, population))
    forward = forward.assign(from_year=from_year, to_year=to_year)
    backward = backward.assign(from_year=to_year, to_year=from_year)
    return pd.concat([forward, backward], ignore_index=True)[CROSSWALK_COLUMNS]


def store_crosswalk(session: Session, rows: pd.DataFrame) -> int:
    """Replace the stored crosswalk of every (from_year, to_year, level) in ``rows`` by ``rows``.

    The level is the code prefix (``GM``, ``WK``, ``BU``): a wijk crosswalk leaves the buurt crosswalk
    of the same years alone.
    """
    if rows.empty:
        return 0
    keys = (rows.assign(prefix=rows["from_code"].str[:2])[["from_year", "to_year", "prefix"]]
            .drop_duplicates().itertuples(index=False))
    session.execute(delete(AreaCrosswalk).where(or_(*[
        and_(AreaCrosswalk.from_year == int(f), AreaCrosswalk.to_year == int(t),
             AreaCrosswalk.from_code.like(f"{prefix}%")) for f, t, prefix in keys])))
    records = [{"from_code": r.from_code, "from_year": int(r.from_year), "to_code": r.to_code,
                "to_year": int(r.to_year), "weight": float(r.weight), "method": r.method}
               for r in rows.itertuples(index=False)]
    if records:
        session.execute(insert(AreaCrosswalk), records)
    return len(records)


_CODE_FILTER_LIMIT = 5_000  # longer code lists: read the whole crosswalk (bound-parameter limits, one scan)


def load_crosswalk(session: Session, from_year: int, to_year: int, *, to_codes: Sequence[str] | None = None,
                   from_codes: Sequence[str] | None = None) -> pd.DataFrame:
    """The stored crosswalk from ``from_year`` to ``to_year``, optionally only rows into ``to_codes`` and/or out
    of ``from_codes`` (filtered in the database: a profile needs a handful of a national crosswalk's rows)."""
    conditions = [AreaCrosswalk.from_year == from_year, AreaCrosswalk.to_year == to_year]
    for column, codes in ((AreaCrosswalk.to_code, to_codes), (AreaCrosswalk.from_code, from_codes)):
        if codes is not None and len(codes) <= _CODE_FILTER_LIMIT:
            conditions.append(column.in_(list(codes)))
    rows = session.execute(select(*[getattr(AreaCrosswalk, c) for c in CROSSWALK_COLUMNS]).where(*conditions)).all()
    frame = pd.DataFrame(rows, columns=CROSSWALK_COLUMNS)
    if to_codes is not None and len(to_codes) > _CODE_FILTER_LIMIT:
        frame = frame[frame["to_code"].isin(set(to_codes))]
    if from_codes is not None and len(from_codes) > _CODE_FILTER_LIMIT:
        frame = frame[frame["from_code"].isin(set(from_codes))]
    return frame


def crosswalk_years(session: Session, to_year: int) -> list[int]:
    """Boundary years that have a stored crosswalk to ``to_year``."""
    return sorted(session.scalars(select(AreaCrosswalk.from_year).where(AreaCrosswalk.to_year == to_year)
                                  .distinct()))


def unchanged_targets(forward: pd.DataFrame, backward: pd.DataFrame) -> set[str]:
    """To-areas that are the same area as in the from year: one incoming link, ``unchanged`` both ways.

    Their values move as published (the crosswalk found at least ``UNCHANGED_SHARE`` of the area in
    either direction); every other to-area needs a conversion.
    """
    incoming = forward.groupby("to_code")["from_code"].size()
    single = forward[forward["to_code"].map(incoming) == 1]
    same = set(single.loc[(single["method"] == Method.UNCHANGED.value)
                          & (single["from_code"] == single["to_code"]), "to_code"])
    back = backward[(backward["method"] == Method.UNCHANGED.value) & (backward["from_code"] == backward["to_code"])]
    return same & set(back["from_code"])


# --- geometry and population from the store ---------------------------------------------------------

_PREFIX = {"gemeente": "GM", "wijk": "WK", "buurt": "BU"}


def areas_from_store(session: Session, level: str, year: int,
                     gemeenten: set[str] | None = None) -> gpd.GeoDataFrame:
    """Boundaries of one level and boundary year from the store, in RD New.

    The RD copy is used where the source had one, else the (simplified) WGS84 geometry is projected.
    Wijken and gemeenten of a year without their own boundaries are dissolved from that year's buurten.
    """
    import json

    import geopandas as gpd
    from shapely.geometry import shape

    from gebiedsatlas.store.models import AreaGeometry

    prefix = _PREFIX[level]
    where = AreaGeometry.area_code.like(f"{prefix}%")
    if gemeenten and len(gemeenten) <= 50:  # read only their rows (a national year is 10-100 MB of GeoJSON)
        where = or_(*[AreaGeometry.area_code.like(f"{prefix}{g[2:6]}%") for g in sorted(gemeenten)])
    rows = session.execute(select(AreaGeometry.area_code, AreaGeometry.geojson, AreaGeometry.geojson_rd).where(
        AreaGeometry.boundary_year == year, where)).all()
    if gemeenten:
        rows = [r for r in rows if f"GM{r.area_code[2:6]}" in gemeenten]
    if not rows and level in ("wijk", "gemeente"):
        return dissolve_buurten(areas_from_store(session, "buurt", year, gemeenten), level)
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


def dissolve_buurten(buurten: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """Wijken (``WKggggww``) or gemeenten (``GMgggg``) as the union of their buurten (``BUggggwwbb``)."""
    if buurten.empty:
        return buurten
    digits = 8 if level == "wijk" else 6
    buurten = buurten.assign(code=_PREFIX[level] + buurten["code"].str[2:digits])
    return buurten.dissolve("code").reset_index()[["code", "geometry"]]


def population_from_store(session: Session, year: int, gemeenten: set[str] | None = None,
                          indicator_id: str = "inwoners", buurten: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Buurten of ``year`` with their inhabitants (nearest period), as the finer weighting source.

    ``buurten`` are the buurt boundaries of ``year`` when the caller has them already.
    """
    import geopandas as gpd

    from gebiedsatlas.store.models import Observation

    buurten = areas_from_store(session, "buurt", year, gemeenten) if buurten is None else buurten.copy()
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


# --- the crosswalks an import can build ---------------------------------------------------------------

def _gemeente_of(code: str) -> str:
    return f"GM{code[2:6]}"


def build_import_crosswalks(session: Session) -> dict[str, list[dict]]:
    """Build and store every crosswalk the stored boundaries allow; returns what was built per level.

    For gemeenten, wijken and buurten, the latest boundary year with boundaries of that level (its own,
    or for wijken and gemeenten dissolved from that year's buurten) is the target: every earlier
    boundary year with boundaries gets a crosswalk to it (stored in both directions), limited to the
    gemeenten that have boundaries in both years and weighted by the target year's buurt inhabitants
    where known (each buurt placed by its code, else its point: ``place_population``; else by area). On
    the bundled data: the wijken and gemeenten of the seven New Towns, 2022 <-> 2024.

    Meant to run inside the import's transaction, after the boundaries and values are written, so that
    trends are harmonised without a separate ``gebiedsatlas crosswalk`` step. Rebuilding replaces the
    crosswalks of the same levels and years (idempotent).
    """
    from gebiedsatlas.store.models import AreaGeometry

    stored = session.execute(select(AreaGeometry.area_code, AreaGeometry.boundary_year).where(or_(
        *[AreaGeometry.area_code.like(f"{p}%") for p in _PREFIX.values()]))).all()
    own: dict[tuple[str, int], set[str]] = {}
    for code, year in stored:
        own.setdefault((code[:2], int(year)), set()).add(_gemeente_of(code))
    buurt_years = {y for p, y in own if p == "BU"}
    loaded: dict[tuple[str, int, frozenset[str]], gpd.GeoDataFrame] = {}
    people: dict[tuple[int, frozenset[str]], gpd.GeoDataFrame | None] = {}

    def covered(level: str, year: int) -> set[str]:
        """Gemeenten with boundaries of ``level`` in ``year`` (own, else dissolvable from buurten)."""
        prefix = _PREFIX[level]
        if (prefix, year) in own:
            return own[(prefix, year)]
        return own.get(("BU", year), set()) if level != "buurt" else set()

    def boundaries(level: str, year: int, gemeenten: set[str]) -> gpd.GeoDataFrame:
        key = (level, year, frozenset(gemeenten))
        if key not in loaded:
            if level != "buurt" and (_PREFIX[level], year) not in own:
                loaded[key] = dissolve_buurten(boundaries("buurt", year, gemeenten), level)
            else:
                loaded[key] = areas_from_store(session, level, year, gemeenten)
        return loaded[key]

    built: dict[str, list[dict]] = {}
    for level in ("gemeente", "wijk", "buurt"):
        years = sorted({y for p, y in own if p == _PREFIX[level]} | (buurt_years if level != "buurt" else set()))
        if len(years) < 2:
            continue
        target = years[-1]
        for year in years[:-1]:
            gemeenten = covered(level, year) & covered(level, target)
            if not gemeenten:
                continue
            before, after = boundaries(level, year, gemeenten), boundaries(level, target, gemeenten)
            if before.empty or after.empty:
                continue
            if (target, frozenset(gemeenten)) not in people:
                found = (population_from_store(session, target, gemeenten,
                                               buurten=boundaries("buurt", target, gemeenten))
                         if target in buurt_years else None)
                people[(target, frozenset(gemeenten))] = found if found is not None and not found.empty else None
            population = people[(target, frozenset(gemeenten))]
            rows = build_crosswalk(before, after, year, target, population=population)
            store_crosswalk(session, rows)
            forward = rows[rows["from_year"] == year].drop_duplicates("from_code")
            built.setdefault(level, []).append({
                "from_year": year, "to_year": target, "gemeenten": len(gemeenten),
                "areas": int(len(forward)), "methods": {str(m): int(n) for m, n in
                                                         forward["method"].value_counts().items()},
            })
    return built
