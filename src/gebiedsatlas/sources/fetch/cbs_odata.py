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

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import Catalogue, SourceInfo
from gebiedsatlas.sources.fetch.cache import Fetcher, read_json, read_meta
from gebiedsatlas.sources.fetch.odata import (  # the OData v3 machinery shared with other tables
    KEY_SUFFIX,
    ODATA_PAGE,  # noqa: F401  (re-exported: the page check of this connector)
    REGION_KEY,
    ODataTable,
    add_missing_parents,
    area_record,
    check_title,
    complete_scopes,
    data_properties,
    dimension_titles,
    region_code,
    region_filter,
    rows,
    scope_name,
    stable_key,
)
from gebiedsatlas.sources.records import ObservationRecord, SourceBatch
from gebiedsatlas.sources.values import parse_value

SOURCE = "CBS open data"
TABLES_PATH = Path(__file__).resolve().parent.parent / "cbs_tables.yaml"


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


# --- fetching ------------------------------------------------------------------------------------

def odata_table(table: KwbTable) -> ODataTable:
    doc = _tables_document()
    return ODataTable(SOURCE, doc["odata_v3"], doc["odata_feed"], table.table_id, f"cbs/{table.table_id}")


def fetch_kwb(fetcher: Fetcher, year: int, gemeenten: list[str] | None = None,
              level: str | None = None) -> list[Path]:
    """Fetch metadata and data of the KWB table of ``year`` into the cache; returns the scope dirs.

    ``gemeenten`` limits the data to those gemeenten (and their wijken and buurten); ``level`` to one
    of gemeente, wijk, buurt. Pages already in the cache are not downloaded again.
    """
    table = kwb_table(year)
    odata = odata_table(table)
    infos = odata.metadata(fetcher, "TableInfos")
    check_title(infos, SOURCE, table.table_id, lambda title: str(year) in title,
                f"een titel met {year}", f"controleer het tabelnummer in {TABLES_PATH.name}")
    odata.metadata(fetcher, "DataProperties")
    odata.metadata(fetcher, REGION_KEY)
    return [odata.data(fetcher, region_filter(gemeente, level), scope_name(gemeente, level))
            for gemeente in gemeenten or [None]]


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
            if col.source.startswith("cbs-kwb-") and KEY_SUFFIX.search(col.column):
                by_stable[stable_key(col.column)].add(ind.id)
        for stem in ind.stable_keys:
            by_stable[stem].add(ind.id)
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


_UNITS = {"aantal": "aantal", "%": "%", "x 1 000 euro": "× € 1.000", "km": "km", "ha": "ha"}
_THEMES = {"Bevolking": "bevolking", "Wonen en vastgoed": "wonen", "Energie": "energie_klimaat",
           "Onderwijs": "onderwijs", "Arbeid": "onderwijs", "Inkomen": "bestaanszekerheid",
           "Sociale zekerheid": "bestaanszekerheid", "Zorg": "zorg",
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
    return sorted(year for year, table in kwb_tables().items()
                  if complete_scopes(cache_dir / "cbs" / table.table_id / "data"))


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
    names = dimension_titles([root / f"{REGION_KEY}.json"], "regiolijst")
    seen: set[str] = set()
    scopes = complete_scopes(root / "data")
    if not scopes:
        raise InputError(str(root / "data"), "geen volledig opgehaalde gegevens in de cache",
                         expected="`gebiedsatlas fetch cbs` zonder onderbreking afgerond")
    for scope in scopes:
        for page, index, row in rows(scope):
            code = region_code(row, page, index)
            if code is None or code in seen:
                continue  # Nederland is aggregated by the atlas; scopes may overlap
            seen.add(code)
            name = names.get(code) or str(row.get("Gemeentenaam_1", code)).strip()
            batch.areas.append(area_record(code, name, year, province_of))
            for key, indicator_id in mapping.columns.items():
                if key not in row:
                    continue  # CBS leaves some columns out of some levels
                raw = row[key]
                value, status = parse_value(None if raw is None else str(raw), file=str(page),
                                            row=index, column=key)
                batch.observations.append(
                    ObservationRecord(code, indicator_id, year, value, status, sid, year))
        batch.files.append(str(scope))
    add_missing_parents(batch, seen, names, year, province_of)
    return batch, mapping
