"""Area boundaries from the wijk- en buurtkaart, prepared for the web on import.

Web geometry is WGS84 GeoJSON, simplified (a tolerance of about 5 m) and quantised to 5 decimals
(about 1 m), which keeps a map of all Dutch wijken small enough to draw quickly. RD New is kept where
the source has it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

from gebiedsatlas.areas.codes import NETHERLANDS_CODE
from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.records import GeometryRecord, SourceBatch

WEB_DECIMALS = 5
WEB_TOLERANCE_DEGREES = 0.00005  # about 5 m in the Netherlands


def _load(path: Path) -> dict:
    if not path.exists():
        raise InputError(str(path), "bestand ontbreekt")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except (json.JSONDecodeError, OSError, EOFError) as exc:
        raise InputError(str(path), f"geen geldige GeoJSON: {exc}") from None
    if data.get("type") != "FeatureCollection":
        raise InputError(str(path), "geen FeatureCollection", column="type",
                         expected="FeatureCollection", found=data.get("type"))
    return data


def web_geojson(geometry) -> str:
    """Simplify and quantise a WGS84 shapely geometry to compact GeoJSON text."""
    simple = shapely.simplify(geometry, WEB_TOLERANCE_DEGREES, preserve_topology=True)
    simple = shapely.set_precision(simple, 10 ** -WEB_DECIMALS)
    if simple.is_empty:  # tiny areas can vanish; keep the original rather than nothing
        simple = geometry
    return json.dumps(mapping(simple), separators=(",", ":"))


def _features(path: Path, code_key: str):
    for index, feature in enumerate(_load(path)["features"], start=1):
        code = (feature.get("properties") or {}).get(code_key)
        if not code:
            raise InputError(str(path), "feature zonder gebiedscode", row=index, column=code_key,
                             expected="een CBS-code")
        try:
            geometry = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(str(path), f"ongeldige geometrie: {exc}", row=index,
                             column="geometry") from None
        yield index, code, feature, geometry


def read_boundaries(data_dir: Path) -> list[SourceBatch]:
    """Gemeenten, wijken and provincies of 2022, and the New Towns' buurten (2024 codes)."""
    geo = data_dir / "geo"
    batch_2022 = SourceBatch("cbs-wbk-2022")
    national = []
    for filename in ("provincies_2022_nl_wgs84.geojson.gz", "gemeenten_2022_nl_wgs84.geojson.gz",
                     "wijken_2022_nl_wgs84.geojson.gz"):
        path = geo / filename
        for _, code, _, geometry in _features(path, "code"):
            if code.startswith("PV"):
                national.append(geometry)
            batch_2022.geometries.append(
                GeometryRecord(code, 2022, web_geojson(geometry), None, geometry.bounds,
                               batch_2022.source_id)
            )
        batch_2022.files.append(str(geo / filename))
    if national:
        netherlands = shapely.union_all(national)
        batch_2022.geometries.append(
            GeometryRecord(NETHERLANDS_CODE, 2022, web_geojson(netherlands), None,
                           netherlands.bounds, batch_2022.source_id)
        )

    buurten = SourceBatch("cbs-wbk-buurten")
    rd_path = geo / "buurten_nta7_rd.geojson"
    rd_by_code = {
        code: json.dumps(feature["geometry"], separators=(",", ":"))
        for _, code, feature, _ in _features(rd_path, "bu_code")
    }
    path = geo / "buurten_nta7_wgs84.geojson"
    for _, code, _, geometry in _features(path, "bu_code"):
        buurten.geometries.append(
            GeometryRecord(code, 2024, web_geojson(geometry), rd_by_code.get(code),
                           geometry.bounds, buurten.source_id)
        )
    buurten.files += [str(path), str(rd_path)]
    return [batch_2022, buurten]
