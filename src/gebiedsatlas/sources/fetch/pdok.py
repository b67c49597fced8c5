"""PDOK: the CBS wijk- en buurtkaart of each year through the OGC API Features service.

``https://api.pdok.nl/cbs/wijken-en-buurten-{year}/ogc/v1/collections/{gemeenten|wijken|buurten}/items``
answers GeoJSON pages of at most ``limit`` features with a ``links`` entry ``rel: next`` for the next
page. We ask for RD New (``crs=EPSG:28992``), keep that geometry for analysis and make a simplified
WGS84 copy for the web on import (same rules as the bundled boundaries, ``sources/boundaries.py``).
The older WFS (``https://service.pdok.nl/cbs/wijkenbuurten/{year}/wfs/v1_0``) serves the same layers.

Cache: ``<cache>/pdok/wijkenbuurten-{year}/{collection}/<scope>/page-NNNN.json`` + ``complete.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from pyproj import Transformer
from shapely.geometry import shape

from gebiedsatlas.areas.codes import Level, level_of, parent_code_of
from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import SourceInfo
from gebiedsatlas.sources.boundaries import web_geojson
from gebiedsatlas.sources.fetch.cache import Fetcher, fetch_pages, page_files, read_json, read_meta, validate_json
from gebiedsatlas.sources.records import AreaRecord, GeometryRecord, SourceBatch

SOURCE = "PDOK (wijk- en buurtkaart)"
OGC_API = "https://api.pdok.nl/cbs/wijken-en-buurten-{year}/ogc/v1"
RD_CRS = "http://www.opengis.net/def/crs/EPSG/0/28992"
PAGE_SIZE = 1000
COLLECTIONS = {"gemeente": "gemeenten", "wijk": "wijken", "buurt": "buurten"}
CODE_FIELD = {"gemeenten": "gemeentecode", "wijken": "wijkcode", "buurten": "buurtcode"}
NAME_FIELD = {"wijken": "wijknaam", "buurten": "buurtnaam"}
GEOJSON_PAGE = validate_json(("type", "features"))


def source_id_for(year: int) -> str:
    return f"pdok-wbk-{year}"


def _next_link(page: dict) -> str | None:
    for link in page.get("links") or []:
        if link.get("rel") == "next" and page.get("features"):
            return link.get("href")
    return None


def fetch_boundaries(fetcher: Fetcher, year: int, levels: list[str] | None = None,
                     gemeenten: list[str] | None = None) -> list[Path]:
    """Fetch the gemeente/wijk/buurt boundaries of ``year`` (optionally of some gemeenten only)."""
    scopes = []
    for level in levels or list(COLLECTIONS):
        collection = COLLECTIONS[level]
        url = f"{OGC_API.format(year=year)}/collections/{collection}/items"
        for gemeente in gemeenten or [None]:
            params = {"f": "json", "limit": PAGE_SIZE, "crs": RD_CRS}
            if gemeente:
                params["gemeentecode"] = gemeente
            scope = f"pdok/wijkenbuurten-{year}/{collection}/{gemeente or 'NL'}"
            fetch_pages(fetcher, SOURCE, url, params, scope, validate=GEOJSON_PAGE, next_of=_next_link)
            scopes.append(fetcher.path(scope))
    return scopes


def cached_years(cache_dir: Path) -> list[int]:
    root = cache_dir / "pdok"
    if not root.exists():
        return []
    return sorted(int(d.name.rsplit("-", 1)[1]) for d in root.iterdir()
                  if d.name.startswith("wijkenbuurten-") and any(d.glob("*/*/complete.json")))


def source_info(cache_dir: Path, year: int) -> SourceInfo:
    first = next(iter(sorted((cache_dir / "pdok" / f"wijkenbuurten-{year}").glob("*/*/page-0001.json"))))
    retrieved = read_meta(first)["retrieved_at"][:10]
    return SourceInfo(
        id=source_id_for(year), publisher="CBS / Kadaster (PDOK)",
        title=f"Wijk- en buurtkaart {year}", table_id=f"wijken-en-buurten-{year}", year=year,
        licence="CC BY 4.0", attribution="Bron: CBS/Kadaster (PDOK) Wijk- en buurtkaart, CC BY 4.0",
        url=OGC_API.format(year=year),
        description=f"Grenzen in RD New via de PDOK OGC API, opgehaald op {retrieved}; "
                    "vereenvoudigd voor de kaart.",
    )


_TO_WGS84 = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)


def _to_wgs84(x, y):
    return _TO_WGS84.transform(x, y)


def read_boundaries_cache(cache_dir: Path, year: int) -> SourceBatch:
    """Cached boundaries of ``year`` as geometries (RD New kept, WGS84 simplified for the web).

    Features with ``water == "JA"`` are the water parts of a gemeente and are left out; every
    other feature must carry its code and a valid geometry.
    """
    batch = SourceBatch(source_id_for(year))
    seen: set[str] = set()
    for collection, field in CODE_FIELD.items():
        for scope in sorted((cache_dir / "pdok" / f"wijkenbuurten-{year}" / collection).glob("*")):
            if not (scope / "complete.json").exists():
                continue
            for page in page_files(scope):
                try:
                    features = read_json(page)["features"]
                except (OSError, json.JSONDecodeError, KeyError) as exc:
                    raise InputError(str(page), f"geen geldige GeoJSON-pagina: {exc}") from None
                for index, feature in enumerate(features, start=1):
                    props = feature.get("properties") or {}
                    if str(props.get("water", "NEE")).upper() == "JA":
                        continue
                    code = str(props.get(field) or "").strip()
                    try:
                        level = level_of(code)
                    except ValueError:
                        raise InputError(str(page), "feature zonder geldige gebiedscode", row=index,
                                         column=field, expected="een CBS-code", found=code) from None
                    if code in seen:
                        continue
                    try:
                        rd = shape(feature["geometry"])
                    except (KeyError, TypeError, ValueError, AttributeError) as exc:
                        raise InputError(str(page), f"ongeldige geometrie: {exc}", row=index,
                                         column="geometry") from None
                    seen.add(code)
                    if level in (Level.WIJK, Level.BUURT) and props.get(NAME_FIELD[collection]):
                        # Wijk and buurt names come with the map; gemeenten (and their provincie)
                        # come from CBS, so a map alone never moves a gemeente.
                        batch.areas.append(AreaRecord(code, level, str(props[NAME_FIELD[collection]]).strip(),
                                                      parent_code_of(code), year))
                    wgs = shapely.transform(rd, _to_wgs84, interleaved=False)
                    batch.geometries.append(GeometryRecord(
                        code, year, web_geojson(wgs), json.dumps(feature["geometry"], separators=(",", ":")),
                        wgs.bounds, batch.source_id))
            batch.files.append(str(scope))
    return batch
