"""Politie open data via CBS: registered crime per gemeente, wijk and buurt, every year since 2012.

Table 47018NED, "Geregistreerde misdrijven; soort misdrijf, wijk, buurt, jaarcijfers", is published by
the police in CBS's third-party StatLine (``dataderden.cbs.nl``) with the same OData v3 interface as
CBS's own tables (``odata.py``). One table holds every year: dimensions ``SoortMisdrijf`` (the police
classification, keys such as ``"1.1.1 "`` padded to six characters, ``"0.0.0 "`` = all crimes),
``WijkenEnBuurten`` (``"BU00340101"``, ``"NL00      "``) and ``Perioden`` (``"2024JJ00"``), and one
topic, ``GeregistreerdeMisdrijven_1`` (a count). The table uses one wijk/buurt division for all years
(that of its latest year; ``MapYear`` of the region dimension when the metadata gives it).

Fetching (``fetch_crime``) stores under ``<cache>/politie/47018NED/``:

- ``TableInfos.json``        the title, checked to be this table (registered crime per wijk and buurt)
- ``DataProperties.json``    checked for the three dimensions and the count topic
- ``Perioden.json``          the years on offer, with their status (voorlopig, definitief)
- ``SoortMisdrijf.json``     checked to hold every crime code the catalogue asks for
- ``WijkenEnBuurten/page-NNNN.json``  region names
- ``data/<year>/<scope>/``   the UntypedDataSet rows of one year, only the catalogue's crime codes,
  limited to gemeenten/level like ``fetch cbs``; ``request.json`` records the filter, ``complete.json``
  marks the last page.

Which crime codes feed which indicator is in the catalogue: ``columns: [{source: politie-misdrijven,
column: "1.1.1"}]``; ``"1.4.1+1.4.2"`` adds several codes up. A sum is only a number when every part
is one: a suppressed part makes it suppressed, an absent or empty part missing.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import CATALOGUE_PATH, Catalogue
from gebiedsatlas.sources.fetch.cache import Fetcher, FetchError, page_files, read_json
from gebiedsatlas.sources.fetch.odata import (
    REGION_KEY,
    ODataTable,
    add_missing_parents,
    area_record,
    check_title,
    complete_scopes,
    dimension_titles,
    entries,
    refuse,
    region_code,
    region_filter,
    rows,
    scope_name,
    stable_key,
)
from gebiedsatlas.sources.records import ObservationRecord, SourceBatch
from gebiedsatlas.sources.values import parse_value
from gebiedsatlas.status import Status

SOURCE = "Politie open data (via CBS)"
SOURCE_ID = "politie-misdrijven"
TABLE_ID = "47018NED"
TABLE = ODataTable(SOURCE, "https://dataderden.cbs.nl/ODataApi/odata", "https://dataderden.cbs.nl/ODataFeed/odata",
                   TABLE_ID, f"politie/{TABLE_ID}")
TYPE_KEY = "SoortMisdrijf"
PERIOD_KEY = "Perioden"
COUNT_TOPIC = "GeregistreerdeMisdrijven"  # stable key of GeregistreerdeMisdrijven_1
TITLE = "Geregistreerde misdrijven; soort misdrijf, wijk, buurt, jaarcijfers"
_YEAR = re.compile(r"^(\d{4})JJ00$")
_CODE = re.compile(r"^\d+\.\d+\.\d+$")


class YearNotPublished(FetchError):
    """The table has no figures for a requested year (yet)."""


def period_key(year: int) -> str:
    return f"{year}JJ00"


def _is_crime_table(title: str) -> bool:
    text = title.lower()
    return "misdrijven" in text and "wijk" in text and "buurt" in text and "maand" not in text


# --- the catalogue's crime codes -------------------------------------------------------------------

def crime_codes(catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
    """Indicator id -> the SoortMisdrijf codes whose counts it adds up (from the catalogue)."""
    out = {}
    for column, indicator_id in catalogue.columns_of(SOURCE_ID).items():
        codes = tuple(part.strip() for part in str(column).split("+"))
        bad = [c for c in codes if not _CODE.match(c)]
        if bad:
            raise InputError(str(CATALOGUE_PATH), "ongeldige code van een soort misdrijf",
                             column=f"indicators[{indicator_id}].columns", expected="bv. 1.1.1 of 1.4.1+1.4.2",
                             found=column)
        out[indicator_id] = codes
    return out


def _needed(catalogue: Catalogue) -> list[str]:
    return sorted({c for codes in crime_codes(catalogue).values() for c in codes})


# --- metadata ----------------------------------------------------------------------------------------

def structure_problem(path: Path) -> tuple[str | None, str | None]:
    """(the count column's key, None) for the expected DataProperties, else (None, what is wrong)."""
    items = entries(path, "DataProperties")
    dimensions = {i.get("Key") for i in items if i.get("Type") in ("Dimension", "GeoDetail", "TimeDimension")}
    missing = [k for k in (TYPE_KEY, REGION_KEY, PERIOD_KEY) if k not in dimensions]
    if missing:
        return None, f"dimensie {missing[0]!r} ontbreekt (gevonden: {', '.join(sorted(map(str, dimensions)))})"
    counts = [i["Key"] for i in items if i.get("Type") == "Topic" and stable_key(str(i.get("Key", ""))) == COUNT_TOPIC]
    if len(counts) != 1:
        return None, f"verwacht één onderwerp {COUNT_TOPIC}_n, gevonden {len(counts)}"
    return counts[0], None


def count_key(root: Path) -> str:
    path = root / "DataProperties.json"
    key, problem = structure_problem(path)
    if problem:
        raise InputError(str(path), f"onverwachte opbouw van tabel {TABLE_ID}: {problem}")
    return key


def boundary_year(root: Path) -> int:
    """The wijk/buurt division of the table: MapYear of its region dimension, else its latest year."""
    for item in entries(root / "DataProperties.json", "DataProperties"):
        if item.get("Key") == REGION_KEY and str(item.get("MapYear") or "").strip().isdigit():
            return int(str(item["MapYear"]).strip())
    years = published_years(root / f"{PERIOD_KEY}.json")
    if not years:
        raise InputError(str(root / f"{PERIOD_KEY}.json"), "geen jaren in de tabel", column="Key",
                         expected="perioden als 2024JJ00")
    return max(years)


def published_years(path: Path) -> dict[int, str]:
    """Year -> status ('Definitief', 'Voorlopig', …) of the yearly periods of the table."""
    years = {}
    for item in entries(path, "periodelijst"):
        match = _YEAR.match(str(item.get("Key", "")).strip())
        if match:
            years[int(match.group(1))] = str(item.get("Status") or "").strip()
    return years


def _periods(fetcher: Fetcher, years: list[int] | None) -> list[int]:
    """The requested years (default: the latest one), checked against the table's period list."""
    available = published_years(TABLE.metadata(fetcher, PERIOD_KEY))
    if years and not set(years) <= set(available):
        TABLE.forget(fetcher, PERIOD_KEY)  # the cached list may predate the table's latest update
        available = published_years(TABLE.metadata(fetcher, PERIOD_KEY))
    if not available:
        raise refuse(fetcher.path(f"{TABLE.root}/{PERIOD_KEY}.json"), SOURCE, "geen jaarcijfers (JJ00) in Perioden")
    wanted = years or [max(available)]
    absent = sorted(set(wanted) - set(available))
    if absent:
        raise YearNotPublished(
            f"Tabel {TABLE_ID} van de politie heeft (nog) geen cijfers over {', '.join(map(str, absent))}; "
            f"beschikbaar: {min(available)}–{max(available)}.")
    return wanted


def _type_keys(path: Path, needed: list[str]) -> dict[str, str]:
    """Code -> the key exactly as published (padded), for every code the catalogue needs."""
    published = {str(i["Key"]).strip(): str(i["Key"]) for i in entries(path, "lijst soorten misdrijf") if "Key" in i}
    missing = [c for c in needed if c not in published]
    if missing:
        raise refuse(path, SOURCE, f"soort misdrijf {', '.join(missing)} ontbreekt in tabel {TABLE_ID} "
                                   f"(de catalogus vraagt erom)")
    return {c: published[c] for c in needed}


# --- fetching -----------------------------------------------------------------------------------------

def data_filter(year: int, type_keys: list[str], gemeente: str | None, level: str | None) -> str:
    """The $filter of one year, the catalogue's crime codes and optionally a gemeente and/or level."""
    parts = [f"{PERIOD_KEY} eq '{period_key(year)}'",
             "(" + " or ".join(f"{TYPE_KEY} eq '{key}'" for key in type_keys) + ")"]
    regions = region_filter(gemeente, level)
    if regions:
        parts.append(f"({regions})")
    return " and ".join(parts)


def fetch_crime(fetcher: Fetcher, years: list[int] | None = None, gemeenten: list[str] | None = None,
                level: str | None = None, catalogue: Catalogue | None = None) -> list[Path]:
    """Fetch the registered crime of ``years`` (default: the latest) into the cache; returns the scopes.

    ``gemeenten`` limits the data to those gemeenten (and their wijken and buurten); ``level`` to one
    of gemeente, wijk, buurt. Only the crime codes the catalogue maps to an indicator are fetched.
    """
    from gebiedsatlas.indicators.catalogue import load_catalogue

    catalogue = catalogue or load_catalogue()
    needed = _needed(catalogue)
    infos = TABLE.metadata(fetcher, "TableInfos")
    check_title(infos, SOURCE, TABLE_ID, _is_crime_table, repr(TITLE), "is het tabelnummer veranderd?")
    properties = TABLE.metadata(fetcher, "DataProperties")
    _, problem = structure_problem(properties)
    if problem:
        raise refuse(properties, SOURCE, problem)
    wanted = _periods(fetcher, years)
    type_keys = list(_type_keys(TABLE.metadata(fetcher, TYPE_KEY), needed).values())
    TABLE.metadata_pages(fetcher, REGION_KEY)
    scopes = []
    for year in wanted:
        for gemeente in gemeenten or [None]:
            scope = f"{year}/{scope_name(gemeente, level)}"
            request = {"filter": data_filter(year, type_keys, gemeente, level), "soorten": needed}
            folder = fetcher.path(f"{TABLE.root}/data/{scope}")
            marker = folder / "request.json"
            if marker.exists() and read_json(marker) != request:
                shutil.rmtree(folder)  # fetched for other crime codes: the pages do not fit this request
            folder.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
            scopes.append(TABLE.data(fetcher, request["filter"], scope))
    return scopes


# --- reading the cache --------------------------------------------------------------------------------

def cache_root(cache_dir: Path) -> Path:
    return cache_dir / TABLE.root


def cached_years(cache_dir: Path) -> list[int]:
    """Years with at least one complete data scope in the cache."""
    data = cache_root(cache_dir) / "data"
    if not data.exists():
        return []
    return sorted(int(d.name) for d in data.iterdir() if d.name.isdigit() and complete_scopes(d))


def provisional_years(cache_dir: Path) -> list[int]:
    """Cached years the table marks as not final (voorlopig, nader voorlopig)."""
    path = cache_root(cache_dir) / f"{PERIOD_KEY}.json"
    if not path.exists():
        return []
    status = published_years(path)
    return [y for y in cached_years(cache_dir) if "voorlopig" in status.get(y, "").lower()]


def _requested(scope: Path) -> set[str]:
    marker = scope / "request.json"
    try:
        return set(read_json(marker)["soorten"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(str(marker), f"onbekend welke soorten misdrijf zijn opgehaald: {exc}") from None


def _combine(parts: list[tuple[float | None, Status] | None]) -> tuple[float | None, Status]:
    """The sum of several counts; a suppressed part makes it suppressed, an absent or empty part missing."""
    statuses = [p[1] if p else Status.MISSING for p in parts]
    if Status.SUPPRESSED in statuses:
        return None, Status.SUPPRESSED
    if Status.MISSING in statuses:
        return None, Status.MISSING
    return float(sum(p[0] for p in parts)), Status.OBSERVED


def read_crime_cache(cache_dir: Path, catalogue: Catalogue, province_of: dict[str, str]) -> SourceBatch:
    """Every cached year as one SourceBatch of the catalogue's crime indicators; InputError on a broken cache."""
    root = cache_root(cache_dir)
    key = count_key(root)
    division = boundary_year(root)
    names = dimension_titles(page_files(root / REGION_KEY), "regiolijst")
    wanted = crime_codes(catalogue)
    batch = SourceBatch(SOURCE_ID)
    seen: set[str] = set()
    for year in cached_years(cache_dir):
        cells: dict[str, dict[str, tuple[float | None, Status]]] = defaultdict(dict)
        requested: dict[str, set[str]] = defaultdict(set)
        expected_period = period_key(year)
        for scope in complete_scopes(root / "data" / str(year)):
            asked = _requested(scope)
            for page, index, row in rows(scope, "politiepagina"):
                code = region_code(row, page, index)
                if code is None:
                    continue  # Nederland (NL00) is aggregated by the atlas
                for column in (TYPE_KEY, PERIOD_KEY, key):
                    if column not in row:
                        raise InputError(str(page), "kolom ontbreekt", row=index, column=column)
                soort = str(row[TYPE_KEY]).strip()
                if str(row[PERIOD_KEY]).strip() != expected_period:
                    raise InputError(str(page), "rij van een ander jaar", row=index, column=PERIOD_KEY,
                                     expected=expected_period, found=row[PERIOD_KEY])
                raw = row[key]
                value, status = parse_value(None if raw is None else str(raw), file=str(page), row=index,
                                            column=key)
                cells[code].setdefault(soort, (value, status))  # scopes may overlap
                requested[code] |= asked
            batch.files.append(str(scope))
        for code in sorted(cells):
            if code not in seen:
                seen.add(code)
                batch.areas.append(area_record(code, names.get(code), division, province_of))
            for indicator_id, codes in wanted.items():
                if not set(codes) <= requested[code]:
                    continue  # fetched before the catalogue asked for this code: no value, not "missing"
                value, status = _combine([cells[code].get(c) for c in codes])
                batch.observations.append(ObservationRecord(code, indicator_id, year, value, status.value,
                                                            SOURCE_ID, division))
    add_missing_parents(batch, seen, names, division, province_of)
    return batch
