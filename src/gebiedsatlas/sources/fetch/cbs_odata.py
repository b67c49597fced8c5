"""CBS open data (OData v3): the Kerncijfers wijken en buurten table of each year.

Fetching (``fetch_kwb``) stores the raw responses under ``<cache>/cbs/<table id>/``:

- ``TableInfos.json``       the table's title, period and modification date (checked against the year)
- ``DataProperties.json``   every column: Key, Title, Unit, Decimals, Description (feeds the catalogue)
- ``WijkenEnBuurten.json``  the region dimension: code (Key) and name (Title) of every area
- ``data/<scope>/page-NNNN.json``  the UntypedDataSet, page by page as the feed returns them
  (``odata.nextLink``), with ``complete.json`` once the last page is stored.

The UntypedDataSet keeps CBS's special values ("." secret, "x", empty) as text, so a suppressed value
stays distinguishable from a missing one; the TypedDataSet turns both into ``null``.

Reading (``read_kwb_cache``) turns the cached pages into a ``SourceBatch`` like ``sources/kwb.py``.

Column mapping across editions: CBS numbers its column keys per edition (``AantalInwoners_5`` in 2024,
another suffix in other years). A column maps to an indicator when
1. the catalogue lists it explicitly for that edition (``columns: [{source: cbs-kwb-2019, ...}]``), or
2. its *stable key* -- the key without the numeric suffix, ``AantalInwoners`` -- equals the stable key
   of a CBS column the catalogue lists for any other edition, and that stable key is unambiguous
   (``Nederland_17`` and ``Nederland_20`` share the stable key ``Nederland`` and are skipped: those
   need an explicit catalogue entry).
Columns that map to nothing are reported; ``propose_catalogue`` writes YAML entries for them from
the DataProperties metadata (title, unit, description) for a domain expert to review.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from gebiedsatlas.areas.codes import NETHERLANDS_CODE, Level, level_of, parent_code_of
from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import Catalogue, SourceInfo
from gebiedsatlas.sources.fetch.cache import (
    Fetcher,
    SourceFormatChanged,
    page_files,
    read_json,
    read_meta,
    validate_json,
)
from gebiedsatlas.sources.records import AreaRecord, ObservationRecord, SourceBatch
from gebiedsatlas.sources.values import parse_value

SOURCE = "CBS open data"
TABLES_PATH = Path(__file__).resolve().parent.parent / "cbs_tables.yaml"
ODATA_PAGE = validate_json(("value",))
REGION_KEY = "WijkenEnBuurten"
_SUFFIX = re.compile(r"_\d+$")
LEVEL_PREFIX = {"gemeente": "GM", "wijk": "WK", "buurt": "BU"}


@dataclass(frozen=True)
class KwbTable:
    year: int
    table_id: str
    verified: str


@lru_cache(maxsize=1)
def _tables_document() -> dict:
    with TABLES_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def kwb_tables() -> dict[int, KwbTable]:
    """Every known KWB edition by year (``cbs_tables.yaml``)."""
    return {int(year): KwbTable(int(year), raw["table_id"], raw.get("verified", "unverified"))
            for year, raw in _tables_document()["kwb"].items()}


def kwb_table(year: int) -> KwbTable:
    tables = kwb_tables()
    if year not in tables:
        raise InputError(str(TABLES_PATH), "geen CBS-tabel bekend voor dit jaar", column="kwb",
                         expected=", ".join(map(str, sorted(tables))), found=year)
    return tables[year]


def source_id_for(year: int) -> str:
    return f"cbs-kwb-{year}"


def stable_key(key: str) -> str:
    """A CBS column key without its per-edition number: ``AantalInwoners_5`` -> ``AantalInwoners``."""
    return _SUFFIX.sub("", key.strip())


# --- fetching ------------------------------------------------------------------------------------

def _region_filter(gemeente: str | None, level: str | None) -> str | None:
    """An OData v3 $filter on the region key (keys are padded with spaces, hence substringof)."""
    if gemeente:
        digits = gemeente.removeprefix("GM")
        prefixes = [LEVEL_PREFIX[level]] if level else ["GM", "WK", "BU"]
        return " or ".join(f"substringof('{p}{digits}',{REGION_KEY})" for p in prefixes)
    if level:
        return f"substringof('{LEVEL_PREFIX[level]}',{REGION_KEY})"
    return None


def scope_name(gemeente: str | None, level: str | None) -> str:
    return "-".join(part for part in (gemeente or "NL", level or "alle") if part)


def fetch_kwb(fetcher: Fetcher, year: int, gemeenten: list[str] | None = None,
              level: str | None = None) -> list[Path]:
    """Fetch metadata and data of the KWB table of ``year`` into the cache; returns the scope dirs.

    ``gemeenten`` limits the data to those gemeenten (and their wijken and buurten); ``level`` to one
    of gemeente, wijk, buurt. Pages already in the cache are not downloaded again.
    """
    table = kwb_table(year)
    base = _tables_document()["odata_v3"]
    feed = _tables_document()["odata_feed"]
    root = f"cbs/{table.table_id}"
    infos = fetcher.get(SOURCE, f"{base}/{table.table_id}/TableInfos", f"{root}/TableInfos.json",
                        params={"$format": "json"}, validate=ODATA_PAGE)
    _check_table_infos(infos, table)
    fetcher.get(SOURCE, f"{base}/{table.table_id}/DataProperties", f"{root}/DataProperties.json",
                params={"$format": "json"}, validate=ODATA_PAGE)
    fetcher.get(SOURCE, f"{base}/{table.table_id}/{REGION_KEY}", f"{root}/{REGION_KEY}.json",
                params={"$format": "json"}, validate=ODATA_PAGE)
    scopes = []
    for gemeente in gemeenten or [None]:
        params = {"$format": "json"}
        flt = _region_filter(gemeente, level)
        if flt:
            params["$filter"] = flt
        scope = f"{root}/data/{scope_name(gemeente, level)}"
        fetch_pages(fetcher, SOURCE, f"{feed}/{table.table_id}/UntypedDataSet", params, scope,
                    validate=ODATA_PAGE)
        scopes.append(fetcher.path(scope))
    return scopes


def fetch_pages(fetcher: Fetcher, source: str, url: str, params: dict | None, scope: str, *,
                validate=None, next_of=None) -> list[Path]:
    """Follow ``odata.nextLink`` (or ``next_of(page)``) from page to page, caching each page.

    A page already cached is read from disk to find the next link, so an interrupted fetch resumes
    at the first page that is missing. ``complete.json`` marks a scope whose last page is stored.
    """
    next_of = next_of or (lambda page: page.get("odata.nextLink") or page.get("@odata.nextLink"))
    pages = []
    number = 1
    while url:
        path = fetcher.get(source, url, f"{scope}/page-{number:04d}.json", params=params,
                           validate=validate, label=f"{source}: {scope} pagina {number}")
        pages.append(path)
        url, params = next_of(read_json(path)), None  # the next link carries its own query
        number += 1
    marker = fetcher.path(f"{scope}/complete.json")
    marker.write_text(json.dumps({"pages": len(pages)}), encoding="utf-8")
    return pages


def _check_table_infos(path: Path, table: KwbTable) -> None:
    info = read_json(path)["value"]
    title = info[0].get("Title", "") if info else ""
    if str(table.year) not in title:
        path.unlink()
        Fetcher.meta_path(path).unlink(missing_ok=True)
        raise SourceFormatChanged(SOURCE, read_meta_url(path),
                                  f"tabel {table.table_id} heet {title!r}, verwacht een titel met {table.year}; "
                                  f"controleer het tabelnummer in {TABLES_PATH.name}")


def read_meta_url(path: Path) -> str:
    try:
        return read_meta(path)["url"]
    except (OSError, KeyError, json.JSONDecodeError):
        return str(path)


# --- column mapping --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnMapping:
    columns: dict[str, str]  # CBS column key -> indicator id
    unmapped: list[str]  # Topic keys that map to no indicator
    ambiguous: list[str]  # keys skipped because their stable key is not unique


def map_columns(catalogue: Catalogue, year: int, keys: list[str]) -> ColumnMapping:
    """Map the column keys of one edition to indicator ids (see the module docstring)."""
    source_id = source_id_for(year)
    explicit = catalogue.columns_of(source_id)
    by_stable: dict[str, set[str]] = defaultdict(set)
    for ind in catalogue.indicators.values():
        for col in ind.columns:
            if col.source.startswith("cbs-kwb-") and _SUFFIX.search(col.column):
                by_stable[stable_key(col.column)].add(ind.id)
    edition_counts = Counter(stable_key(k) for k in keys)
    columns, unmapped, ambiguous = {}, [], []
    for key in keys:
        if key in explicit:
            columns[key] = explicit[key]
            continue
        stable = stable_key(key)
        candidates = by_stable.get(stable, set())
        if len(candidates) > 1 or (candidates and edition_counts[stable] > 1):
            ambiguous.append(key)
        elif candidates:
            columns[key] = next(iter(candidates))
        else:
            unmapped.append(key)
    return ColumnMapping(columns, unmapped, ambiguous)


def data_properties(path: Path) -> list[dict]:
    """The Topic entries of a cached DataProperties.json, with file/field errors in Dutch."""
    try:
        items = read_json(path)["value"]
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise InputError(str(path), f"geen geldige CBS DataProperties: {exc}") from None
    topics = []
    for index, item in enumerate(items, start=1):
        if item.get("Type") == "Topic":
            if not item.get("Key"):
                raise InputError(str(path), "Topic zonder Key", row=index, column="Key",
                                 expected="een kolomsleutel")
            topics.append(item)
    return topics


_UNITS = {"aantal": "aantal", "%": "%", "x 1 000 euro": "× € 1.000", "km": "km", "ha": "ha"}
_THEMES = {"Bevolking": "bevolking", "Wonen en vastgoed": "wonen", "Energie": "duurzaamheid",
           "Onderwijs": "onderwijs", "Arbeid": "onderwijs", "Inkomen": "bestaanszekerheid",
           "Sociale zekerheid": "bestaanszekerheid", "Zorg": "voorzieningen",
           "Bedrijfsvestigingen": "voorzieningen", "Motorvoertuigen": "gebied",
           "Nabijheid voorzieningen": "voorzieningen", "Oppervlakte": "gebied",
           "Stedelijkheid": "gebied", "Criminaliteit": "veiligheid"}


def _snake(key: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", stable_key(key)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def propose_catalogue(catalogue: Catalogue, year: int, properties_path: Path) -> str:
    """YAML catalogue entries for the columns of an edition that map to no indicator yet.

    Proposals, not decisions: the aggregation rule and direction are guesses a domain expert checks
    (counts add up; for everything else the proposal says ``none`` until someone chooses a rule).
    """
    topics = data_properties(properties_path)
    by_id = {str(t.get("ID")): t for t in read_json(properties_path)["value"]}
    mapping = map_columns(catalogue, year, [t["Key"] for t in topics])
    unmapped = set(mapping.unmapped)
    entries = []
    for topic in topics:
        if topic["Key"] not in unmapped or topic.get("Datatype") == "String":
            continue  # names, codes and descriptions are not indicators
        parent, group = topic.get("ParentID"), None
        while parent is not None and str(parent) in by_id:  # the top-level TopicGroup names the theme
            group = by_id[str(parent)].get("Title")
            parent = by_id[str(parent)].get("ParentID")
        unit = (topic.get("Unit") or "").strip()
        proposed = _snake(topic["Key"])
        if proposed in catalogue.indicators or any(e["id"] == proposed for e in entries) \
                or sum(stable_key(t["Key"]) == stable_key(topic["Key"]) for t in topics) > 1:
            proposed = f"{proposed}_{topic['Key'].rsplit('_', 1)[-1]}"  # e.g. nederland_17, nederland_20
        entries.append({
            "id": proposed,
            "label": (topic.get("Title") or topic["Key"]).strip(),
            "description": " ".join((topic.get("Description") or "").split()),
            "theme": _THEMES.get((group or "").strip(), "gebied"),
            "unit": _UNITS.get(unit, unit or "aantal"),
            "direction": "neutral",
            "aggregation": "sum" if unit == "aantal" else "none",
            "columns": [{"source": source_id_for(year), "column": topic["Key"]}],
        })
    header = (f"# Voorstel uit DataProperties van {kwb_table(year).table_id} ({year}): "
              f"{len(entries)} kolommen zonder indicator.\n# Controleer thema, richting en "
              "aggregatieregel voordat je dit in indicators/catalogue.yaml overneemt.\n")
    if mapping.ambiguous:
        header += f"# Niet eenduidig (expliciet opnemen): {', '.join(mapping.ambiguous)}\n"
    return header + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=100)


# --- reading the cache -----------------------------------------------------------------------------

def cached_years(cache_dir: Path) -> list[int]:
    """Editions with at least one complete data scope in the cache."""
    years = []
    for year, table in kwb_tables().items():
        data = cache_dir / "cbs" / table.table_id / "data"
        if data.exists() and any((d / "complete.json").exists() for d in data.iterdir()):
            years.append(year)
    return sorted(years)


def source_info(cache_dir: Path, year: int, catalogue: Catalogue) -> SourceInfo:
    """The catalogue's entry for the edition, or one built from the cached TableInfos."""
    sid = source_id_for(year)
    if sid in catalogue.sources and catalogue.sources[sid].table_id == kwb_table(year).table_id:
        return catalogue.sources[sid]
    table = kwb_table(year)
    path = cache_dir / "cbs" / table.table_id / "TableInfos.json"
    info = read_json(path)["value"][0]
    retrieved = read_meta(path)["retrieved_at"][:10]
    return SourceInfo(
        id=sid, publisher="Centraal Bureau voor de Statistiek (CBS)",
        title=(info.get("Title") or f"Kerncijfers wijken en buurten {year}").strip(),
        table_id=table.table_id, year=year, licence="CC BY 4.0", attribution="Bron: CBS, CC BY 4.0",
        url=f"https://opendata.cbs.nl/statline/#/CBS/nl/dataset/{table.table_id}/table",
        description=f"Gemeenten, wijken en buurten, opgehaald via de CBS OData-API op {retrieved}.",
    )


def read_kwb_cache(cache_dir: Path, year: int, catalogue: Catalogue,
                   province_of: dict[str, str]) -> tuple[SourceBatch, ColumnMapping]:
    """The cached KWB edition of ``year`` as a SourceBatch; raises InputError on a broken cache."""
    table = kwb_table(year)
    root = cache_dir / "cbs" / table.table_id
    sid = source_id_for(year)
    batch = SourceBatch(sid)
    topics = data_properties(root / "DataProperties.json")
    mapping = map_columns(catalogue, year, [t["Key"] for t in topics])
    names = _region_names(root / f"{REGION_KEY}.json")
    seen: set[str] = set()
    scopes = sorted(d for d in (root / "data").iterdir() if (d / "complete.json").exists())
    if not scopes:
        raise InputError(str(root / "data"), "geen volledig opgehaalde gegevens in de cache",
                         expected="`gebiedsatlas fetch cbs` zonder onderbreking afgerond")
    for scope in scopes:
        for page in page_files(scope):
            try:
                rows = read_json(page)["value"]
            except (OSError, json.JSONDecodeError, KeyError) as exc:
                raise InputError(str(page), f"geen geldige CBS-pagina: {exc}") from None
            for index, row in enumerate(rows, start=1):
                if REGION_KEY not in row:
                    raise InputError(str(page), "kolom ontbreekt", row=index, column=REGION_KEY,
                                     expected="de regiocode van CBS")
                code = str(row[REGION_KEY]).strip()
                if code == NETHERLANDS_CODE or code in seen:
                    continue  # Nederland is aggregated by the atlas; scopes may overlap
                try:
                    level = level_of(code)
                except ValueError:
                    raise InputError(str(page), "ongeldige gebiedscode", row=index, column=REGION_KEY,
                                     expected="GMnnnn, WKnnnnww of BUnnnnwwbb", found=code) from None
                seen.add(code)
                name = names.get(code) or str(row.get("Gemeentenaam_1", code)).strip()
                parent = (province_of.get(code, NETHERLANDS_CODE) if level is Level.GEMEENTE
                          else parent_code_of(code))
                batch.areas.append(AreaRecord(code, level, name, parent, year))
                for key, indicator_id in mapping.columns.items():
                    if key not in row:
                        continue  # CBS leaves some columns out of some levels
                    raw = row[key]
                    value, status = parse_value(None if raw is None else str(raw), file=str(page),
                                                row=index, column=key)
                    batch.observations.append(
                        ObservationRecord(code, indicator_id, year, value, status, sid, year))
        batch.files.append(str(scope))
    # Parents must exist: a gemeente-limited fetch of buurten alone still needs its wijken and gemeente.
    for code in sorted({a.parent_code for a in batch.areas if a.level in (Level.WIJK, Level.BUURT)}
                       - seen):
        level = level_of(code)
        parent = province_of.get(code, NETHERLANDS_CODE) if level is Level.GEMEENTE else parent_code_of(code)
        batch.areas.append(AreaRecord(code, level, names.get(code, code), parent, year))
        seen.add(code)
        if level is Level.WIJK and parent not in seen:
            batch.areas.append(AreaRecord(parent, Level.GEMEENTE, names.get(parent, parent),
                                          province_of.get(parent, NETHERLANDS_CODE), year))
            seen.add(parent)
    return batch, mapping


def _region_names(path: Path) -> dict[str, str]:
    try:
        items = read_json(path)["value"]
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        raise InputError(str(path), f"geen geldige CBS-regiolijst: {exc}") from None
    return {str(i["Key"]).strip(): str(i.get("Title", "")).strip() for i in items if "Key" in i}
