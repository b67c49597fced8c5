"""CBS OData v3, shared by every connector to a StatLine table (CBS's own and third parties').

CBS serves its own tables from ``opendata.cbs.nl`` and those of third parties (the police, for
instance) from ``dataderden.cbs.nl``, with the same OData v3 interface:

- ``{api}/{table}/TableInfos``, ``/DataProperties`` and one list per dimension (``/WijkenEnBuurten``,
  ``/Perioden``, ``/SoortMisdrijf``, …): JSON objects ``{"odata.metadata": …, "value": [...]}``;
- ``{feed}/{table}/UntypedDataSet``: the data, at most 10,000 rows a page, the next page named by
  ``odata.nextLink``. Untyped values keep CBS's special values (``"       ."`` secret/unknown) as text,
  so a suppressed value stays distinguishable from a number; region keys are padded with spaces
  (``"GM0034    "``), so regions are filtered with ``substringof``.

``ODataTable`` fetches those into the cache (``cache.Fetcher``: retries, resume, format check) under
``<cache>/<root>/``; the other helpers read them back with errors that name file, row and column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gebiedsatlas.areas.codes import NETHERLANDS_CODE, Level, level_of, parent_code_of
from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.fetch.cache import (
    Fetcher,
    SourceFormatChanged,
    fetch_pages,
    page_files,
    read_json,
    read_meta,
    validate_json,
)
from gebiedsatlas.sources.records import AreaRecord, SourceBatch

ODATA_PAGE = validate_json(("value",))
REGION_KEY = "WijkenEnBuurten"
LEVEL_PREFIX = {"gemeente": "GM", "wijk": "WK", "buurt": "BU"}
KEY_SUFFIX = re.compile(r"_\d+$")


def stable_key(key: str) -> str:
    """A CBS column key without its per-table number: ``AantalInwoners_5`` -> ``AantalInwoners``."""
    return KEY_SUFFIX.sub("", key.strip())


@dataclass(frozen=True)
class ODataTable:
    """One StatLine table and where its responses live in the cache."""

    source: str  # the source's name in messages, e.g. "CBS open data"
    api: str  # metadata base, e.g. https://opendata.cbs.nl/ODataApi/odata
    feed: str  # data base, e.g. https://opendata.cbs.nl/ODataFeed/odata
    table_id: str
    root: str  # cache folder, e.g. cbs/85984NED

    def metadata(self, fetcher: Fetcher, name: str) -> Path:
        """``{api}/{table}/{name}`` (TableInfos, DataProperties, a dimension) as one cached file."""
        return fetcher.get(self.source, f"{self.api}/{self.table_id}/{name}", f"{self.root}/{name}.json",
                           params={"$format": "json"}, validate=ODATA_PAGE)

    def metadata_pages(self, fetcher: Fetcher, name: str) -> list[Path]:
        """A metadata list that may be paged (a dimension of every region of the country)."""
        return fetch_pages(fetcher, self.source, f"{self.api}/{self.table_id}/{name}", {"$format": "json"},
                           f"{self.root}/{name}", validate=ODATA_PAGE, next_of=next_link)

    def data(self, fetcher: Fetcher, odata_filter: str | None, scope: str) -> Path:
        """The UntypedDataSet rows matching ``odata_filter``, page by page, under ``data/{scope}``."""
        params = {"$format": "json"}
        if odata_filter:
            params["$filter"] = odata_filter
        fetch_pages(fetcher, self.source, f"{self.feed}/{self.table_id}/UntypedDataSet", params,
                    f"{self.root}/data/{scope}", validate=ODATA_PAGE, next_of=next_link)
        return fetcher.path(f"{self.root}/data/{scope}")

    def forget(self, fetcher: Fetcher, name: str) -> None:
        """Drop a cached metadata file, so the next ``metadata`` call downloads it again."""
        discard(fetcher.path(f"{self.root}/{name}.json"))


def next_link(page: dict) -> str | None:
    return page.get("odata.nextLink") or page.get("@odata.nextLink")


def discard(path: Path) -> None:
    """Remove a cached file and its sidecar (a response that turned out to be unusable)."""
    path.unlink(missing_ok=True)
    Fetcher.meta_path(path).unlink(missing_ok=True)


def region_filter(gemeente: str | None, level: str | None) -> str | None:
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


def read_meta_url(path: Path) -> str:
    try:
        return read_meta(path)["url"]
    except (OSError, KeyError, json.JSONDecodeError):
        return str(path)


def table_title(path: Path) -> str:
    info = read_json(path)["value"]
    return str(info[0].get("Title", "")).strip() if info else ""


def refuse(path: Path, source: str, problem: str) -> SourceFormatChanged:
    """Drop a cached response that is valid JSON but not what the table should say; the error to raise."""
    url = read_meta_url(path)
    discard(path)
    return SourceFormatChanged(source, url, problem)


def check_title(path: Path, source: str, table_id: str, accept: Callable[[str], bool], expected: str,
                hint: str) -> None:
    """Stop when ``TableInfos.Title`` is not the table we mean (a wrong id, or a table CBS replaced)."""
    title = table_title(path)
    if not accept(title):
        raise refuse(path, source, f"tabel {table_id} heet {title!r}, verwacht {expected}; {hint}")


def entries(path: Path, what: str) -> list[dict]:
    """The ``value`` list of a cached metadata file, with a Dutch error naming the file."""
    try:
        items = read_json(path)["value"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(str(path), f"geen geldige CBS {what}: {exc}") from None
    if not isinstance(items, list):
        raise InputError(str(path), f"geen geldige CBS {what}", column="value", expected="een lijst")
    return items


def data_properties(path: Path) -> list[dict]:
    """The Topic entries of a cached DataProperties.json, with file/field errors in Dutch."""
    topics = []
    for index, item in enumerate(entries(path, "DataProperties"), start=1):
        if item.get("Type") == "Topic":
            if not item.get("Key"):
                raise InputError(str(path), "Topic zonder Key", row=index, column="Key",
                                 expected="een kolomsleutel")
            topics.append(item)
    return topics


def dimension_titles(paths: list[Path], what: str) -> dict[str, str]:
    """Key (stripped) -> Title of a dimension list (one file or the pages of a paged one)."""
    titles = {}
    for path in paths:
        for item in entries(path, what):
            if "Key" in item:
                titles[str(item["Key"]).strip()] = str(item.get("Title") or "").strip()
    return titles


def complete_scopes(data_dir: Path) -> list[Path]:
    """The data scopes under ``data_dir`` whose last page is stored."""
    if not data_dir.exists():
        return []
    return sorted(d for d in data_dir.iterdir() if (d / "complete.json").exists())


def rows(scope: Path, what: str = "CBS-pagina") -> Iterator[tuple[Path, int, dict]]:
    """(page, row number, row) of every cached page of a scope."""
    for page in page_files(scope):
        for index, row in enumerate(entries(page, what), start=1):
            if not isinstance(row, dict):
                raise InputError(str(page), "rij is geen JSON-object", row=index)
            yield page, index, row


def region_code(row: dict, page: Path, index: int) -> str | None:
    """The area code of a data row; None for Nederland (the atlas aggregates Nederland itself)."""
    if REGION_KEY not in row:
        raise InputError(str(page), "kolom ontbreekt", row=index, column=REGION_KEY,
                         expected="de regiocode van CBS")
    code = str(row[REGION_KEY]).strip()
    if code == NETHERLANDS_CODE or code.startswith("NL"):
        return None
    try:
        level = level_of(code)
    except ValueError:
        level = None
    if level not in (Level.GEMEENTE, Level.WIJK, Level.BUURT):
        raise InputError(str(page), "ongeldige gebiedscode", row=index, column=REGION_KEY,
                         expected="GMnnnn, WKnnnnww of BUnnnnwwbb", found=code)
    return code


def area_record(code: str, name: str | None, year: int, province_of: dict[str, str]) -> AreaRecord:
    level = level_of(code)
    parent = province_of.get(code, NETHERLANDS_CODE) if level is Level.GEMEENTE else parent_code_of(code)
    return AreaRecord(code, level, name or code, parent, year)


def add_missing_parents(batch: SourceBatch, seen: set[str], names: dict[str, str], year: int,
                        province_of: dict[str, str]) -> None:
    """Parents must exist: a gemeente-limited fetch of buurten alone still needs its wijken and gemeente."""
    for code in sorted({a.parent_code for a in batch.areas if a.level in (Level.WIJK, Level.BUURT)} - seen):
        record = area_record(code, names.get(code), year, province_of)
        batch.areas.append(record)
        seen.add(code)
        if record.level is Level.WIJK and record.parent_code not in seen:
            batch.areas.append(area_record(record.parent_code, names.get(record.parent_code), year,
                                           province_of))
            seen.add(record.parent_code)
