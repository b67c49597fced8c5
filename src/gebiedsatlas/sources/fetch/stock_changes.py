"""CBS 81955NED "Voorraad woningen en niet-woningen; mutaties, gebruiksfunctie, regio" via OData: the
years after the bundled 2012–2020 file.

Fetching (``fetch_stock_changes``) stores under ``<cache>/cbs/81955NED/``:

- ``TableInfos.json``      the title, checked to be this table
- ``DataProperties.json``  checked for the eight count topics (by stable key: CBS may renumber them)
- ``data/<scope>/``        the UntypedDataSet rows of gebruiksfunctie woningen (``A045364``) for the
  gemeenten (all, or the chosen ones), page by page, ``complete.json`` once the last page is stored.

Reading (``read_stock_change_cache``) maps the topics by stable key onto the columns of
``sources/stock_changes.py`` and returns the same records as the bundled file. Special values ("." secret,
empty) are not published numbers and stay NULL.
"""

from __future__ import annotations

from pathlib import Path

from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.fetch.cache import Fetcher
from gebiedsatlas.sources.fetch.odata import (
    ODataTable,
    check_title,
    complete_scopes,
    data_properties,
    refuse,
    rows,
    stable_key,
)
from gebiedsatlas.sources.stock_changes import COLUMNS, DWELLINGS, StockChangeRecord, parse_rows

SOURCE = "CBS open data"
TABLE_ID = "81955NED"
TABLE = ODataTable(SOURCE, "https://opendata.cbs.nl/ODataApi/odata", "https://opendata.cbs.nl/ODataFeed/odata",
                   TABLE_ID, f"cbs/{TABLE_ID}")
REGION = "RegioS"
STABLE_COLUMNS = {stable_key(key): key for key in COLUMNS}  # Nieuwbouw -> Nieuwbouw_2


def _is_stock_table(title: str) -> bool:
    text = title.lower()
    return "voorraad woningen" in text and "mutaties" in text


def _topic_keys(path: Path) -> dict[str, str]:
    """The table's own key -> the bundled file's key, for each column we read (``Nieuwbouw_2`` may be
    renumbered by CBS: matched by stable key)."""
    found = {stable_key(t["Key"]): t["Key"] for t in data_properties(path)}
    missing = [s for s in STABLE_COLUMNS if s not in found]
    if missing:
        raise refuse(path, SOURCE, f"tabel {TABLE_ID} mist de kolom(men) {', '.join(missing)}")
    return {found[s]: STABLE_COLUMNS[s] for s in STABLE_COLUMNS}


def region_filter(gemeenten: list[str] | None) -> str:
    dwellings = f"Gebruiksfunctie eq '{DWELLINGS}'"
    if gemeenten:
        # region keys are padded with spaces ("GM0034    "): match them as substrings
        regions = " or ".join(f"substringof('{code}',{REGION})" for code in gemeenten)
        return f"{dwellings} and ({regions})"
    return f"{dwellings} and substringof('GM',{REGION})"


def fetch_stock_changes(fetcher: Fetcher, gemeenten: list[str] | None = None) -> Path:
    """Fetch every year of the table for the gemeenten (default: all) into the cache; returns the scope."""
    infos = TABLE.metadata(fetcher, "TableInfos")
    check_title(infos, SOURCE, TABLE_ID, _is_stock_table, "'Voorraad woningen en niet-woningen; mutaties, …'",
                "is het tabelnummer veranderd?")
    _topic_keys(TABLE.metadata(fetcher, "DataProperties"))
    scope = "-".join(gemeenten) if gemeenten and len(gemeenten) <= 8 else ("selectie" if gemeenten else "gemeenten")
    return TABLE.data(fetcher, region_filter(gemeenten), scope)


def read_stock_change_cache(cache_dir: Path) -> list[StockChangeRecord]:
    """The records of every complete scope in the cache (later scopes win for the same gemeente and year)."""
    root = Path(cache_dir) / "cbs" / TABLE_ID
    properties = root / "DataProperties.json"
    if not properties.exists():
        return []
    keys = _topic_keys(properties)
    records: dict[tuple[str, int], StockChangeRecord] = {}
    for scope in complete_scopes(root / "data"):
        for page, index, row in rows(scope):
            if REGION not in row or "Perioden" not in row:
                raise InputError(str(page), "kolom ontbreekt", row=index, column=REGION if REGION not in row
                                 else "Perioden", expected="de dimensies van 81955NED")
            translated = {"RegioS": str(row[REGION]).strip(), "Perioden": str(row["Perioden"]).strip(),
                          "Gebruiksfunctie": str(row.get("Gebruiksfunctie", DWELLINGS)).strip(),
                          **{ours: row.get(theirs) for theirs, ours in keys.items()}}
            for record in parse_rows([translated], str(page), index):
                records[record.gemeente_code, record.year] = record
    return sorted(records.values(), key=lambda r: (r.gemeente_code, r.year))

