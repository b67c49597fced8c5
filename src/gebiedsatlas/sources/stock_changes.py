"""CBS 81955NED (dwelling stock and its changes per gemeente and year) -> ``housing_stock_change``.

The bundled file holds 2012–2020; later years come from the CBS connector
(``gebiedsatlas fetch woningvoorraad``, ``sources/fetch/stock_changes.py``) in the same shape. A value
CBS did not publish stays NULL (never 0).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.orm import Session

from gebiedsatlas.errors import InputError
from gebiedsatlas.store.housing import StockChange
from gebiedsatlas.store.models import Source

BUNDLED_FILE = "cbs/cbs_81955NED_woningvoorraad_mutaties_gemeenten_2012_2020.csv"
SOURCE_ID = "cbs-81955ned"
# OData key -> column of housing_stock_change
COLUMNS: dict[str, str] = {
    "BeginstandVoorraad_1": "begin_stock",
    "Nieuwbouw_2": "new_builds",
    "OverigeToevoeging_3": "other_additions",
    "Sloop_4": "demolitions",
    "OverigeOnttrekking_5": "other_removals",
    "Correctie_6": "correction",
    "SaldoVoorraad_7": "balance",
    "EindstandVoorraad_8": "end_stock",
}
DWELLINGS = "A045364"  # gebruiksfunctie: woningen
PERIOD = re.compile(r"^(\d{4})JJ00$")
GEMEENTE = re.compile(r"^GM\d{4}$")


@dataclass(frozen=True)
class StockChangeRecord:
    gemeente_code: str
    year: int
    values: dict[str, int | None]


def source_row() -> Source:
    return Source(id=SOURCE_ID, publisher="Centraal Bureau voor de Statistiek (CBS)",
                  title="Voorraad woningen en niet-woningen; mutaties, gebruiksfunctie, regio", table_id="81955NED",
                  year=None, licence="CC BY 4.0", attribution="Bron: CBS, CC BY 4.0",
                  url="https://opendata.cbs.nl/statline/#/CBS/nl/dataset/81955NED/table",
                  description="Woningen per gemeente en jaar: beginstand, nieuwbouw, overige toevoegingen, sloop, "
                              "overige onttrekkingen, correcties en eindstand.")


def _count(raw: str | None, file: str, row: int, column: str) -> int | None:
    text = (raw or "").strip()
    if text in ("", ".", "x"):
        return None
    try:
        number = float(text)
    except ValueError:
        raise InputError(file, "geen getal", row=row, column=column, expected="een aantal woningen",
                         found=text) from None
    if number != int(number):
        raise InputError(file, "geen geheel aantal", row=row, column=column, expected="een geheel aantal",
                         found=text)
    return int(number)


def parse_rows(rows: list[dict[str, str]], file: str, first_row: int = 2) -> list[StockChangeRecord]:
    """Rows with the table's OData keys (``RegioS``, ``Perioden``, ``Gebruiksfunctie``) -> records."""
    records: list[StockChangeRecord] = []
    for number, raw in enumerate(rows, start=first_row):
        if (raw.get("Gebruiksfunctie") or DWELLINGS).strip() != DWELLINGS:
            continue
        code = (raw.get("gm_code") or raw.get("RegioS") or "").strip()
        if not GEMEENTE.match(code):
            continue  # NL, provinces and other regions: the woonprogramma works per gemeente
        period = PERIOD.match((raw.get("Perioden") or "").strip())
        if period is None:
            raise InputError(file, "onbekende periode", row=number, column="Perioden", expected="bijv. 2020JJ00",
                             found=raw.get("Perioden"))
        records.append(StockChangeRecord(code, int(period.group(1)),
                                         {target: _count(raw.get(key), file, number, key)
                                          for key, target in COLUMNS.items()}))
    return records


def read_file(path: Path) -> list[StockChangeRecord]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [key for key in ("Perioden", *COLUMNS) if key not in (reader.fieldnames or [])]
        if missing:
            raise InputError(path.name, "kolom ontbreekt", column=missing[0], expected=", ".join(COLUMNS))
        return parse_rows(list(reader), path.name)


def write(session: Session, records: list[StockChangeRecord]) -> int:
    """Replace the years these records cover (a later fetch adds years; a re-import is idempotent)."""
    session.merge(source_row())
    session.flush()
    years = sorted({r.year for r in records})
    if years:
        session.execute(delete(StockChange).where(StockChange.year.in_(years)))
    session.add_all(StockChange(gemeente_code=r.gemeente_code, year=r.year, source_id=SOURCE_ID, **r.values)
                    for r in records)
    return len(records)


def import_bundled(session: Session, data_dir: Path) -> int:
    """The bundled 2012–2020 file, if present (0 when the data folder lacks it)."""
    path = data_dir / BUNDLED_FILE
    return write(session, read_file(path)) if path.exists() else 0


def import_cached(database_url: str, cache_dir: Path) -> list[StockChangeRecord]:
    """Write the years of 81955NED that ``gebiedsatlas fetch woningvoorraad`` put in the cache, in one
    transaction; returns the records written (none when the cache holds no complete scope)."""
    from gebiedsatlas.sources.fetch.stock_changes import read_stock_change_cache
    from gebiedsatlas.store import db

    records = read_stock_change_cache(cache_dir)
    if records:
        db.upgrade(database_url)
        with db.session_scope(database_url) as session:
            write(session, records)
    return records
