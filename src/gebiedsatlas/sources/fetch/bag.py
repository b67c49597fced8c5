"""BAG via PDOK: dwellings per building period, counted per buurt, wijk and gemeente.

Source: the open BAG WFS 2.0 of PDOK, ``https://service.pdok.nl/lv/bag/wfs/v2_0``, feature type
``bag:verblijfsobject``. Each verblijfsobject carries its ``gebruiksdoel`` (comma-separated when it
has several), ``status`` and, joined in by PDOK, the ``bouwjaar`` and ``pandidentificatie`` of its
pand. (PDOK's BAG OGC API, ``https://api.pdok.nl/lv/bag/ogc/v1``, serves vector tiles and styles, not
feature items, so it cannot be used for counting.) We ask GeoJSON in RD New per gemeente bounding box,
``count`` features a page, with ``startIndex`` paging (no ``sortBy``: whether the service supports it is
not known, and an unsupported parameter would fail the whole fetch). Objects that appear twice are
counted once; because the register changes daily, an unfinished fetch is resumed only on the same
day, otherwise that gemeente starts again.

Counting: a *woning* is a verblijfsobject with ``woonfunctie`` among its gebruiksdoelen and a status
of an existing object (in gebruik, in gebruik (niet ingemeten), buiten gebruik, verbouwing); planned,
withdrawn and never-built objects are left out. Its building period comes from the bouwjaar of its
pand; a bouwjaar outside 1200 … (retrieval year + 1), or missing, is "onbekend". When a
verblijfsobject lies in several panden (``bouwjaar`` "1965,1972") the earliest year counts.
Each woning is put in the bundled (or fetched) buurt polygon that contains its point; a point that
falls just outside every polygon (the bundled buurten are generalised) goes to the nearest buurt
within ``SNAP_METRES``; points farther away belong to other gemeenten in the bounding box and are
not counted. Wijk and gemeente are the sums of their buurten.

Cache: ``<cache>/bag/verblijfsobject/<GMxxxx>/page-NNNN.json`` + ``complete.json``.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import shapely
from shapely.geometry import shape
from shapely.strtree import STRtree

from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.fetch.cache import Fetcher, fetch_pages, page_files, read_json, read_meta, validate_json
from gebiedsatlas.sources.records import GeometryRecord, ObservationRecord, SourceBatch
from gebiedsatlas.status import Status

SOURCE = "PDOK BAG (WFS)"
SOURCE_ID = "bag-bouwperiode"
WFS = "https://service.pdok.nl/lv/bag/wfs/v2_0"
TYPE_NAME = "bag:verblijfsobject"
RD = "urn:ogc:def:crs:EPSG::28992"
PAGE_SIZE = 1000
SNAP_METRES = 10.0
LIVE_STATUSES = frozenset({
    "verblijfsobject in gebruik", "verblijfsobject in gebruik (niet ingemeten)",
    "verblijfsobject buiten gebruik", "verbouwing verblijfsobject",
})
GEOJSON_PAGE = validate_json(("type", "features"))
# (indicator id, first year, last year); None = open end.
PERIODS: tuple[tuple[str, int | None, int | None], ...] = (
    ("bag_bouwperiode_voor_1945", None, 1944),
    ("bag_bouwperiode_1945_1959", 1945, 1959),
    ("bag_bouwperiode_1960_1969", 1960, 1969),
    ("bag_bouwperiode_1970_1979", 1970, 1979),
    ("bag_bouwperiode_1980_1989", 1980, 1989),
    ("bag_bouwperiode_1990_1999", 1990, 1999),
    ("bag_bouwperiode_2000_2009", 2000, 2009),
    ("bag_bouwperiode_2010_plus", 2010, None),
)
UNKNOWN = "bag_bouwperiode_onbekend"
TOTAL = "bag_woningen"
SIXTIES_TO_EIGHTIES = "bag_bouwperiode_1960_1989"  # the numerator of aandeel_bouwperiode_1960_1989
COUNT_IDS = (TOTAL, *(p[0] for p in PERIODS), UNKNOWN, SIXTIES_TO_EIGHTIES)


# --- fetching ------------------------------------------------------------------------------------

def page_url(bbox: tuple[float, float, float, float], start: int) -> str:
    minx, miny, maxx, maxy = bbox
    params = {
        "service": "WFS", "version": "2.0.0", "request": "GetFeature", "typeNames": TYPE_NAME,
        "outputFormat": "application/json", "srsName": "EPSG:28992",
        "bbox": f"{minx:.0f},{miny:.0f},{maxx:.0f},{maxy:.0f},{RD}",
        "count": str(PAGE_SIZE), "startIndex": str(start),
    }
    return str(httpx.URL(WFS, params=params))


def _pager(bbox: tuple[float, float, float, float]):
    """The next-page function for ``fetch_pages``: startIndex paging until a short or last page."""
    state = {"start": 0}

    def next_of(page: dict) -> str | None:
        returned = len(page.get("features") or [])
        matched = page.get("numberMatched")
        state["start"] += returned
        if not returned:
            return None
        if isinstance(matched, int) and state["start"] >= matched:
            return None
        if not isinstance(matched, int) and returned < PAGE_SIZE:
            return None
        return page_url(bbox, state["start"])

    return next_of


def fetch_bag(fetcher: Fetcher, bboxes: dict[str, tuple[float, float, float, float]]) -> list[Path]:
    """Fetch every verblijfsobject in the bounding box (RD New) of each gemeente into the cache."""
    scopes = []
    today = datetime.now(UTC).date().isoformat()
    for gemeente, bbox in sorted(bboxes.items()):
        scope = f"bag/verblijfsobject/{gemeente}"
        folder = fetcher.path(scope)
        first = page_files(folder)[:1] if folder.exists() else []
        stale = first and read_meta(first[0])["retrieved_at"][:10] != today
        if folder.exists() and ((not (folder / "complete.json").exists() and stale) or _other_box(folder, bbox)):
            shutil.rmtree(folder)  # pages of another day or box would not fit together
        fetch_pages(fetcher, SOURCE, page_url(bbox, 0), None, scope, validate=GEOJSON_PAGE,
                    next_of=_pager(bbox))
        (fetcher.path(scope) / "bbox.json").write_text(json.dumps(list(bbox)), encoding="utf-8")
        scopes.append(fetcher.path(scope))
    return scopes


def _other_box(folder: Path, bbox: tuple[float, float, float, float]) -> bool:
    marker = folder / "bbox.json"
    return marker.exists() and [round(v) for v in json.loads(marker.read_text(encoding="utf-8"))] != \
        [round(v) for v in bbox]


def gemeente_bboxes(buurten: dict[str, object], gemeenten: list[str],
                    margin: float = 50.0) -> dict[str, tuple[float, float, float, float]]:
    """The RD bounding box of each gemeente's buurten (plus a small margin); InputError if it has none."""
    out = {}
    for gemeente in gemeenten:
        shapes = [g for code, g in buurten.items() if code[2:6] == gemeente[2:6]]
        if not shapes:
            raise InputError("buurtgrenzen", "geen buurtgrenzen in RD New voor deze gemeente", column="gemeente",
                             expected="een gemeente met buurtgrenzen (haal ze eerst op met "
                                      "`gebiedsatlas fetch pdok --level buurt`)", found=gemeente)
        minx, miny, maxx, maxy = shapely.total_bounds(shapes)
        out[gemeente] = (minx - margin, miny - margin, maxx + margin, maxy + margin)
    return out


# --- reading -------------------------------------------------------------------------------------

def cached_gemeenten(cache_dir: Path) -> list[str]:
    root = cache_dir / "bag" / "verblijfsobject"
    if not root.exists():
        return []
    return sorted(d.name for d in root.iterdir() if (d / "complete.json").exists())


def retrieved_on(cache_dir: Path) -> str:
    """The date (ISO) of the oldest first page in the cache: the BAG state the counts describe."""
    dates = [read_meta(p)["retrieved_at"][:10] for g in cached_gemeenten(cache_dir)
             for p in page_files(cache_dir / "bag" / "verblijfsobject" / g)[:1]]
    return min(dates) if dates else datetime.now(UTC).date().isoformat()


def period_of(bouwjaar, ceiling: int) -> str:
    """The indicator id of the building period of a pand's bouwjaar (the earliest of several)."""
    years = []
    for part in str(bouwjaar if bouwjaar is not None else "").replace(";", ",").split(","):
        part = part.strip()
        if part.isdigit():
            years.append(int(part))
    years = [y for y in years if 1200 <= y <= ceiling]
    if not years:
        return UNKNOWN
    year = min(years)
    for indicator_id, first, last in PERIODS:
        if (first is None or year >= first) and (last is None or year <= last):
            return indicator_id
    return UNKNOWN  # unreachable: the periods cover every year


def is_dwelling(props: dict) -> bool:
    uses = props.get("gebruiksdoel") or ""
    if isinstance(uses, str):
        uses = uses.split(",")
    if "woonfunctie" not in {str(u).strip().lower() for u in uses}:
        return False
    return str(props.get("status") or "").strip().lower() in LIVE_STATUSES


@dataclass(frozen=True)
class Dwelling:
    """One woning from the cache: id, point (RD), period, address (for the energy labels)."""

    vbo_id: str
    x: float
    y: float
    period: str
    address: tuple[str, int | None, str, str]


def _address(props: dict) -> tuple[str, int | None, str, str]:
    number = props.get("huisnummer")
    try:
        number = int(number) if number not in (None, "") else None
    except (TypeError, ValueError):
        number = None
    return ("".join(str(props.get("postcode") or "").split()).upper(), number,
            str(props.get("huisletter") or "").strip().upper(), str(props.get("toevoeging") or "").strip().upper())


def read_dwellings(cache_dir: Path, gemeenten: list[str] | None = None, ceiling: int | None = None) -> list[Dwelling]:
    """Every woning in the complete cache scopes, once each (bounding boxes of gemeenten overlap)."""
    ceiling = ceiling or int(retrieved_on(cache_dir)[:4]) + 1
    seen: dict[str, Dwelling] = {}
    for gemeente in gemeenten or cached_gemeenten(cache_dir):
        scope = cache_dir / "bag" / "verblijfsobject" / gemeente
        if not (scope / "complete.json").exists():
            continue
        for page in page_files(scope):
            try:
                features = read_json(page)["features"]
            except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(str(page), f"geen geldige GeoJSON-pagina: {exc}") from None
            for index, feature in enumerate(features, start=1):
                props = feature.get("properties") or {}
                vbo_id = str(props.get("identificatie") or "").strip()
                if not vbo_id:
                    raise InputError(str(page), "verblijfsobject zonder identificatie", row=index,
                                     column="identificatie", expected="een BAG-id van 16 cijfers")
                if vbo_id in seen or not is_dwelling(props):
                    continue
                try:
                    x, y = (feature["geometry"]["coordinates"] or [None, None])[:2]
                    x, y = float(x), float(y)
                except (KeyError, TypeError, ValueError) as exc:
                    raise InputError(str(page), f"ongeldig punt: {exc}", row=index, column="geometry",
                                     expected="een Point in RD New") from None
                if not (0 < x < 300_000 and 290_000 < y < 630_000):
                    raise InputError(str(page), "punt ligt niet in Nederland in RD New", row=index,
                                     column="geometry", expected="RD-coördinaten in meters", found=f"{x}, {y}")
                seen[vbo_id] = Dwelling(vbo_id, x, y, period_of(props.get("bouwjaar"), ceiling), _address(props))
    return list(seen.values())


def assign_buurten(points: list[tuple[float, float]], buurten: dict[str, object],
                   snap: float = SNAP_METRES) -> list[str | None]:
    """The buurt code containing each point (nearest within ``snap`` metres), else None."""
    codes = list(buurten)
    if not codes or not points:
        return [None] * len(points)
    tree = STRtree([buurten[c] for c in codes])
    geoms = shapely.points(points)
    out: list[str | None] = [None] * len(points)
    hit_points, hit_polys = tree.query(geoms, predicate="intersects")
    for p, g in zip(hit_points, hit_polys, strict=True):
        if out[p] is None or codes[g] < out[p]:  # a point on a shared edge: the lowest code, every run the same
            out[p] = codes[g]
    missing = [i for i, c in enumerate(out) if c is None]
    if missing and snap > 0:
        near_points, near_polys = tree.query_nearest(geoms[missing], max_distance=snap)
        for p, g in zip(near_points, near_polys, strict=True):
            index = missing[p]
            if out[index] is None:
                out[index] = codes[g]
    return out


def rd_buurten_of(geometries: list[GeometryRecord]) -> tuple[dict[str, object], int | None]:
    """Buurt polygons in RD New (the latest boundary year per buurt) from geometry records."""
    best: dict[str, GeometryRecord] = {}
    for g in geometries:
        if g.area_code.startswith("BU") and g.geojson_rd and (
                g.area_code not in best or g.boundary_year > best[g.area_code].boundary_year):
            best[g.area_code] = g
    shapes = {code: shapely.make_valid(shape(json.loads(g.geojson_rd))) for code, g in best.items()}
    years = {g.boundary_year for g in best.values()}
    return shapes, (max(years) if years else None)


@dataclass
class BagCounts:
    """Counts per area code and indicator, and what could not be placed."""

    counts: dict[str, Counter]
    unassigned: int
    dwellings: int


def count_periods(dwellings: list[Dwelling], buurten: dict[str, object], gemeenten: list[str]) -> BagCounts:
    """Woningen per building period per buurt of ``gemeenten``, summed to wijk and gemeente.

    Every buurt of those gemeenten gets a count, zero included: a buurt without woningen has 0, which
    is a fact of the register, not a missing value.
    """
    wanted = {g[2:6] for g in gemeenten}
    mine = {c: g for c, g in buurten.items() if c[2:6] in wanted}
    codes = assign_buurten([(d.x, d.y) for d in dwellings], mine)
    counts: dict[str, Counter] = defaultdict(Counter)
    for code in mine:
        counts[code] = Counter()
    unassigned = 0
    for dwelling, code in zip(dwellings, codes, strict=True):
        if code is None:
            unassigned += 1
            continue
        counts[code][dwelling.period] += 1
    for code in list(mine):
        c = counts[code]
        c[TOTAL] = sum(c[p[0]] for p in PERIODS) + c[UNKNOWN]
        c[SIXTIES_TO_EIGHTIES] = (c["bag_bouwperiode_1960_1969"] + c["bag_bouwperiode_1970_1979"]
                                  + c["bag_bouwperiode_1980_1989"])
        for parent in (f"WK{code[2:8]}", f"GM{code[2:6]}"):
            counts[parent].update({k: c[k] for k in COUNT_IDS})
    return BagCounts(dict(counts), unassigned, len(dwellings))


def read_bag_cache(cache_dir: Path, buurten: dict[str, object], boundary_year: int) -> tuple[SourceBatch, BagCounts]:
    """The cached BAG as counts per buurt (observed), wijk and gemeente (sums, derived)."""
    gemeenten = cached_gemeenten(cache_dir)
    day = retrieved_on(cache_dir)
    result = count_periods(read_dwellings(cache_dir, gemeenten), buurten, gemeenten)
    period = int(day[:4])
    method_bu = (f"BAG-verblijfsobjecten met woonfunctie (bestaand) per bouwjaar van het pand, PDOK BAG-WFS "
                 f"opgehaald op {day}; toegekend aan de buurtgrens {boundary_year} waarin het punt ligt")
    batch = SourceBatch(SOURCE_ID)
    for code in sorted(result.counts):
        buurt = code.startswith("BU")
        status = Status.OBSERVED.value if buurt else Status.DERIVED.value
        method = method_bu if buurt else f"som van de buurten ({method_bu})"
        for indicator_id in COUNT_IDS:
            batch.observations.append(ObservationRecord(code, indicator_id, period,
                                                        float(result.counts[code][indicator_id]), status,
                                                        SOURCE_ID, boundary_year, method))
    batch.files.extend(str(cache_dir / "bag" / "verblijfsobject" / g) for g in gemeenten)
    return batch, result


def bundled_buurten(data_dir: Path) -> dict[str, object]:
    """The bundled buurt polygons in RD New (``data/geo/buurten_nta7_rd.geojson``), by code."""
    path = data_dir / "geo" / "buurten_nta7_rd.geojson"
    if not path.exists():
        return {}
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise InputError(str(path), f"geen geldige GeoJSON: {exc}") from None
    return {f["properties"]["bu_code"]: shapely.make_valid(shape(f["geometry"])) for f in features}


def stored_buurten(database_url: str) -> dict[str, object]:
    """Buurt polygons in RD New from the store (bundled or fetched boundaries; the latest year per buurt)."""
    from sqlalchemy import select

    from gebiedsatlas.sources.fetch.runs import store_exists
    from gebiedsatlas.store import db
    from gebiedsatlas.store.models import AreaGeometry

    if not store_exists(database_url) or not db.is_initialised(database_url):
        return {}
    with db.session_scope(database_url) as session:
        rows = session.execute(select(AreaGeometry.area_code, AreaGeometry.boundary_year, AreaGeometry.geojson_rd)
                               .where(AreaGeometry.area_code.like("BU%"), AreaGeometry.geojson_rd.is_not(None))
                               .order_by(AreaGeometry.boundary_year)).all()
    return {code: shapely.make_valid(shape(json.loads(rd))) for code, _year, rd in rows}
