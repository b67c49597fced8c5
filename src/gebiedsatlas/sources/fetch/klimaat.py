"""Climate adaptation per buurt: zonal statistics on the national rasters behind the Klimaateffectatlas.

The Klimaateffectatlas (Stichting CAS) shows national rasters made by others; the RIVM Atlas
Leefomgeving serves rasters as an OGC WCS 2.0.1 at ``https://data.rivm.nl/geo/alo/wcs`` (GeoTIFF
out, RD New). For each layer below we read the service's GetCapabilities, pick the newest coverage
whose id matches the layer's pattern (the ids carry their publication date, e.g.
``alo__rivm_nsl_20260401_gm_NO22024``), read its axis labels from ``DescribeCoverage`` and fetch a
GeoTIFF per gemeente bounding box with ``GetCoverage`` (``subset=E(…)&subset=N(…)``, or x/y). The
exact coverage id can be given with ``--coverage LAYER=ID``; a GeoTIFF downloaded by hand (for instance from
https://www.klimaateffectatlas.nl/nl/data-opvragen) with ``--bestand LAYER=PATH``.

Zonal statistics (``rasterstats``): per buurt the cells whose centre lies inside the buurt polygon
(``all_touched=False``), nodata cells left out. Two statistics:

- ``mean``: the average cell value (gevoelstemperatuur on a hot summer day, in °C);
- ``share_above``: the percentage of the buurt's valid cells above a threshold (inundation depth
  above 0.20 m in the flood scenario).

Wijken and gemeenten get the same statistic over the union of their buurten (from the raster, not an
average of buurt values). Every value carries a method note naming the raster (service and coverage
id, or the file), its reference year, the retrieval date and the statistic. A buurt without valid cells gets no value.

Cache: ``<cache>/klimaat/<layer>/coverage.json`` (which coverage), ``<cache>/klimaat/<layer>/<GMxxxx>.tif``
per gemeente, or ``<cache>/klimaat/<layer>/bestand.tif`` for a file given by hand.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS, Transformer

from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.fetch.cache import Fetcher, FetchError, read_meta
from gebiedsatlas.sources.records import ObservationRecord, SourceBatch
from gebiedsatlas.status import Status

SOURCE = "RIVM Atlas Leefomgeving (WCS)"
SOURCE_ID = "klimaat-rasters"
ALO_WCS = "https://data.rivm.nl/geo/alo/wcs"


@dataclass(frozen=True)
class Layer:
    key: str
    indicator: str
    title: str
    service: str
    pattern: str  # regex on the CoverageId in GetCapabilities (case-insensitive)
    statistic: str  # "mean" | "share_above"
    threshold: float | None = None
    describe: str = ""


LAYERS: dict[str, Layer] = {
    "gevoelstemperatuur": Layer(
        "gevoelstemperatuur", "hittestress_gevoelstemperatuur",
        "Gevoelstemperatuur (PET) op een hete zomerdag", ALO_WCS, r"gevoelstemperatuur", "mean",
        describe="gemiddelde gevoelstemperatuur (°C)"),
    "inundatie": Layer(
        "inundatie", "inundatie_aandeel_gt_20cm",
        "Maximale waterdiepte bij een overstroming (kleine kans)", ALO_WCS, r"waterdiepte", "share_above", 0.20,
        describe="aandeel rastercellen met een waterdiepte van meer dan 20 cm (%)"),
}


class CoverageNotFound(FetchError):
    def __init__(self, layer: Layer, found: list[str]) -> None:
        shown = ", ".join(found[:5]) or "geen"
        super().__init__(
            f"De WCS {layer.service} heeft geen dekking die past bij {layer.title!r} (zocht op "
            f"{layer.pattern!r}; eerste dekkingen: {shown}). Geef de juiste dekking met --coverage "
            f"{layer.key}=ID of een GeoTIFF met --bestand {layer.key}=PAD. De atlas blijft de gegevens van de "
            f"vorige import tonen.")


def _capabilities_ok(body: bytes) -> None:
    if b"Capabilities" not in body[:4000]:
        raise ValueError("geen WCS GetCapabilities-document")


def _description_ok(body: bytes) -> None:
    if b"CoverageDescription" not in body[:4000]:
        raise ValueError("geen WCS DescribeCoverage-document")


def _tiff_ok(body: bytes) -> None:
    if body[:4] not in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        raise ValueError("geen GeoTIFF (de dienst gaf waarschijnlijk een foutmelding)")


def coverage_ids(path: Path) -> list[str]:
    """Every CoverageId in a WCS 2.0 GetCapabilities document."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise InputError(str(path), f"geen geldig XML-document: {exc}") from None
    return [el.text.strip() for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "CoverageId" and el.text]


def choose_coverage(layer: Layer, ids: list[str]) -> str:
    """The newest matching coverage: ids carry their publication date, so the last in sort order."""
    matching = sorted(i for i in ids if re.search(layer.pattern, i, re.IGNORECASE))
    if not matching:
        raise CoverageNotFound(layer, ids)
    return matching[-1]


def axis_labels(path: Path) -> tuple[str, str]:
    """The two axis labels of a DescribeCoverage answer (``axisLabels="E N"``), else ("x", "y")."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise InputError(str(path), f"geen geldig XML-document: {exc}") from None
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == "Envelope" and len((el.get("axisLabels") or "").split()) == 2:
            first, second = el.get("axisLabels").split()
            return first, second
    return "x", "y"


def reference_year(name: str, fallback: int) -> int:
    """The first plausible year in a coverage id or file name (e.g. ``..._2022``), else ``fallback``."""
    years = [int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", name)]
    dates = [int(d[:4]) for d in re.findall(r"(?<!\d)((?:19|20)\d\d[01]\d[0-3]\d)(?!\d)", name)]
    return (years or dates or [fallback])[0]


def fetch_layer(fetcher: Fetcher, layer: Layer, bboxes: dict[str, tuple[float, float, float, float]],
                coverage: str | None = None, scale_factor: float | None = None) -> list[Path]:
    """GetCapabilities, then a GeoTIFF per gemeente bounding box (RD New) of the chosen coverage.

    ``scale_factor`` (WCS 2.0 Scaling extension, ``SCALEFACTOR``; e.g. 0.1 turns 1 m cells into 10 m)
    keeps a fine national raster small enough for a whole gemeente; the server resamples.
    """
    folder = f"klimaat/{layer.key}"
    if coverage is None:
        host = re.sub(r"[^a-z0-9]+", "-", layer.service.lower().split("//", 1)[-1]).strip("-")
        caps = fetcher.get(SOURCE, layer.service, f"klimaat/capabilities-{host}.xml",
                           params={"service": "WCS", "version": "2.0.1", "request": "GetCapabilities"},
                           validate=_capabilities_ok, label=f"{layer.title}: welke dekkingen")
        coverage = choose_coverage(layer, coverage_ids(caps))
    marker = fetcher.path(f"{folder}/coverage.json")
    chosen = {"coverage": coverage, "service": layer.service, "scale_factor": scale_factor}
    if marker.exists() and json.loads(marker.read_text(encoding="utf-8")) != chosen:
        shutil.rmtree(fetcher.path(folder))  # another coverage or scale: the old tiles do not belong to it
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(chosen), encoding="utf-8")
    # The subset axes are named as the coverage names them (GeoServer: E/N or x/y): DescribeCoverage says.
    described = fetcher.get(SOURCE, layer.service, f"{folder}/describe.xml",
                            params={"service": "WCS", "version": "2.0.1", "request": "DescribeCoverage",
                                    "coverageId": coverage},
                            validate=_description_ok, label=f"{layer.title}: beschrijving")
    east, north = axis_labels(described)
    paths = []
    for gemeente, (minx, miny, maxx, maxy) in sorted(bboxes.items()):
        params = [("service", "WCS"), ("version", "2.0.1"), ("request", "GetCoverage"),
                  ("coverageId", coverage), ("format", "image/tiff"),
                  ("subset", f"{east}({minx:.0f},{maxx:.0f})"), ("subset", f"{north}({miny:.0f},{maxy:.0f})")]
        if scale_factor:
            params.append(("SCALEFACTOR", f"{scale_factor:g}"))
        paths.append(fetcher.get(SOURCE, layer.service, f"{folder}/{gemeente}.tif", params=params,
                                 validate=_tiff_ok, label=f"{layer.title} {gemeente}"))
    return paths


def use_file(fetcher: Fetcher, layer: Layer, source: Path) -> Path:
    """Put a GeoTIFF given by hand in the cache as the layer's raster (with a sidecar like a download)."""
    if not source.exists():
        raise InputError(str(source), "bestand bestaat niet", expected="een GeoTIFF")
    with source.open("rb") as fh:
        try:
            _tiff_ok(fh.read(8))
        except ValueError as exc:
            raise InputError(str(source), str(exc), expected="een GeoTIFF") from None
    folder = fetcher.path(f"klimaat/{layer.key}")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    target = folder / "bestand.tif"
    shutil.copyfile(source, target)
    (folder / "coverage.json").write_text(json.dumps({"coverage": source.name, "service": "bestand"}),
                                          encoding="utf-8")
    Fetcher.meta_path(target).write_text(json.dumps({
        "source": SOURCE, "url": f"bestand:{source.name}", "status": None, "bytes": target.stat().st_size,
        "retrieved_at": datetime.now(UTC).isoformat(timespec="seconds")}), encoding="utf-8")
    return target


# --- zonal statistics --------------------------------------------------------------------------

def zonal(polygons: dict[str, object], raster: Path, layer: Layer) -> dict[str, tuple[float | None, int]]:
    """(value, number of valid cells) per polygon code; value None where no valid cell lies inside."""
    import rasterio
    from rasterstats import zonal_stats

    try:
        with rasterio.open(raster) as src:
            crs = src.crs
            bounds = src.bounds
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(str(raster), f"geen leesbare GeoTIFF: {exc}") from None
    codes = list(polygons)
    shapes = [polygons[c] for c in codes]
    if crs is not None and CRS.from_user_input(crs) != CRS.from_epsg(28992):
        transformer = Transformer.from_crs("EPSG:28992", crs, always_xy=True)
        shapes = [shapely.transform(s, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
                  for s in shapes]
    box = shapely.box(*bounds)
    inside = [i for i, s in enumerate(shapes) if s.intersects(box)]
    threshold = layer.threshold

    def share_above(masked) -> float | None:
        valid = masked.compressed()
        return float((valid > threshold).sum() / valid.size * 100) if valid.size else None

    stats = zonal_stats([shapes[i] for i in inside], str(raster), stats=["mean", "count"],
                        add_stats={"share_above": share_above} if layer.statistic == "share_above" else None,
                        all_touched=False)
    out: dict[str, tuple[float | None, int]] = {}
    for i, s in zip(inside, stats, strict=True):
        count = int(s.get("count") or 0)
        value = s.get("share_above") if layer.statistic == "share_above" else s.get("mean")
        out[codes[i]] = (None if not count or value is None else float(value), count)
    return out


def with_parents(buurten: dict[str, object]) -> dict[str, object]:
    """The buurten plus each wijk and gemeente as the union of its buurten: their statistics come from the
    raster itself, not from an average of buurt values."""
    groups: dict[str, list] = {}
    for code, geometry in buurten.items():
        groups.setdefault(f"WK{code[2:8]}", []).append(geometry)
        groups.setdefault(f"GM{code[2:6]}", []).append(geometry)
    return buurten | {code: shapely.union_all(parts) for code, parts in groups.items()}


def cached_layers(cache_dir: Path) -> list[str]:
    root = cache_dir / "klimaat"
    return [k for k in LAYERS if (root / k / "coverage.json").exists() and any((root / k).glob("*.tif"))]


def read_klimaat_cache(cache_dir: Path, buurten: dict[str, object], boundary_year: int) -> SourceBatch:
    """Zonal statistics per buurt for every cached layer; each value names raster, year and method."""
    import rasterstats

    batch = SourceBatch(SOURCE_ID)
    for key in cached_layers(cache_dir):
        layer = LAYERS[key]
        folder = cache_dir / "klimaat" / key
        chosen = json.loads((folder / "coverage.json").read_text(encoding="utf-8"))
        results: dict[str, tuple[float | None, int]] = {}
        retrieved = []
        for tif in sorted(folder.glob("*.tif")):
            if not Fetcher.meta_path(tif).exists():
                continue
            retrieved.append(read_meta(tif)["retrieved_at"][:10])
            mine = buurten if tif.stem == "bestand" else {c: g for c, g in buurten.items() if c[2:6] == tif.stem[2:6]}
            for code, result in zonal(with_parents(mine), tif, layer).items():
                if code not in results or result[1] > results[code][1]:
                    results[code] = result
            batch.files.append(str(tif))
        if not retrieved:
            continue
        day = min(retrieved)
        year = reference_year(str(chosen["coverage"]), int(day[:4]))
        where = "GeoTIFF" if chosen.get("service") == "bestand" else f"WCS {chosen.get('service')}"
        if chosen.get("scale_factor"):
            where += f", door de dienst verkleind met factor {chosen['scale_factor']:g}"
        method = (f"{layer.title}: {layer.describe} van de rastercellen met hun middelpunt in de buurt "
                  f"(zonale statistiek, rasterstats {rasterstats.__version__}); raster {chosen['coverage']} "
                  f"({where}), peiljaar {year}, opgehaald op {day}")
        for code in sorted(results):
            value, _count = results[code]
            # Computed by the atlas from the raster: derived, with the method note.
            status = Status.DERIVED.value if value is not None else Status.MISSING.value
            batch.observations.append(ObservationRecord(code, layer.indicator, year, value, status, SOURCE_ID,
                                                        boundary_year, method))
    return batch
