"""Leefbaarometer 3.0 (edition 2024): scores and dimension deviations per wijk and buurt.

Wijk scores are published on 2022 wijk boundaries; buurt scores on current (2024) buurt codes.
Every measurement year is a period.
"""

from __future__ import annotations

from pathlib import Path

from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import Catalogue
from gebiedsatlas.sources.records import ObservationRecord, SourceBatch
from gebiedsatlas.sources.tables import read_rows, require_code
from gebiedsatlas.sources.values import parse_value

SOURCE_ID = "lbm3"
MEASUREMENT_YEARS = frozenset({2002, 2008, 2012, 2014, 2016, 2018, 2020, 2022, 2024})


def read_leefbaarometer(data_dir: Path, catalogue: Catalogue) -> SourceBatch:
    batch = SourceBatch(SOURCE_ID)
    columns = catalogue.columns_of(SOURCE_ID)
    for filename, code_column, prefix, length, boundary_year in (
        ("lbm3_wijken_2002_2024_nta7.csv", "wk_code", "WK", 8, 2022),
        ("lbm3_buurten_2002_2024_nta7.csv", "bu_code", "BU", 10, 2024),
    ):
        path = data_dir / "leefbaarometer" / filename
        seen: set[tuple[str, int]] = set()
        for line, row in read_rows(path, [code_column, "jaar", *columns]):
            code = require_code(row[code_column], file=path, row=line, column=code_column,
                                prefix=prefix, length=length)
            try:
                year = int(row["jaar"])
            except ValueError:
                year = None
            if year not in MEASUREMENT_YEARS:
                raise InputError(str(path), "onbekend meetjaar", row=line, column="jaar",
                                 expected=", ".join(map(str, sorted(MEASUREMENT_YEARS))),
                                 found=row["jaar"])
            if (code, year) in seen:
                raise InputError(str(path), "gebied en jaar komen twee keer voor", row=line,
                                 column=code_column, found=f"{code} {year}")
            seen.add((code, year))
            for column, indicator_id in columns.items():
                value, status = parse_value(row[column], file=str(path), row=line, column=column)
                batch.observations.append(
                    ObservationRecord(code, indicator_id, year, value, status, SOURCE_ID,
                                      boundary_year)
                )
        batch.files.append(str(path))
    return batch
