"""Leefbaarometer open data: scores and dimension deviations per buurt and wijk, all measurement years.

BZK publishes one CSV per level on https://www.leefbaarometer.nl/page/Open%20data with the layout of
the bundled copy (``data/leefbaarometer``): a code column (``bu_code`` / ``wk_code``), ``jaar`` and
``lbm, afw, fys, onv, soc, vrz, won``. The files cannot be filtered on the server, so the whole file is
downloaded once and a gemeente/area-set limit is applied when it is read.

The download links below were taken from the open-data page's file names and could NOT be verified
from the build machine (no network to leefbaarometer.nl); ``gebiedsatlas fetch leefbaarometer --url``
takes the link shown on that page instead.

Cache: ``<cache>/leefbaarometer/lbm3-<edition>/<level>.csv`` with its sidecar.
"""

from __future__ import annotations

from pathlib import Path

from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import Catalogue
from gebiedsatlas.sources.fetch.cache import Fetcher
from gebiedsatlas.sources.leefbaarometer import MEASUREMENT_YEARS, SOURCE_ID
from gebiedsatlas.sources.records import ObservationRecord, SourceBatch
from gebiedsatlas.sources.tables import read_rows, require_code
from gebiedsatlas.sources.values import parse_value

SOURCE = "Leefbaarometer open data"
EDITION = 2024
DOWNLOADS = {  # level -> (URL, code column, code prefix, code length, boundary year of the codes)
    "buurt": ("https://www.leefbaarometer.nl/resources/Leefbaarometer-scores%20buurten%202002-2024.csv",
              "bu_code", "BU", 10, 2024),
    "wijk": ("https://www.leefbaarometer.nl/resources/Leefbaarometer-scores%20wijken%202002-2024.csv",
             "wk_code", "WK", 8, 2022),
}


def _check_csv(body: bytes) -> None:
    head = body[:2000].decode("utf-8-sig", errors="replace").splitlines()
    header = head[0].split(",") if head else []
    if "jaar" not in header or not ({"bu_code", "wk_code"} & set(header)):
        raise ValueError(f"kopregel zonder bu_code/wk_code en jaar (gevonden: {','.join(header[:8])})")


def fetch_leefbaarometer(fetcher: Fetcher, levels: list[str] | None = None,
                         urls: dict[str, str] | None = None) -> list[Path]:
    """Download the score files of ``levels`` (buurt, wijk) into the cache."""
    paths = []
    for level in levels or list(DOWNLOADS):
        url = (urls or {}).get(level) or DOWNLOADS[level][0]
        paths.append(fetcher.get(SOURCE, url, f"leefbaarometer/lbm3-{EDITION}/{level}.csv",
                                 validate=_check_csv, label=f"Leefbaarometer {level}"))
    return paths


def cached_levels(cache_dir: Path) -> list[str]:
    root = cache_dir / "leefbaarometer" / f"lbm3-{EDITION}"
    return [lv for lv in DOWNLOADS if (root / f"{lv}.csv").exists() and (root / f"{lv}.csv.meta.json").exists()]


def read_leefbaarometer_cache(cache_dir: Path, catalogue: Catalogue,
                              gemeenten: set[str] | None = None) -> SourceBatch:
    """The cached score files as observations of the catalogue's ``lbm3`` indicators."""
    batch = SourceBatch(SOURCE_ID)
    columns = catalogue.columns_of(SOURCE_ID)
    for level in cached_levels(cache_dir):
        _, code_column, prefix, length, boundary_year = DOWNLOADS[level]
        path = cache_dir / "leefbaarometer" / f"lbm3-{EDITION}" / f"{level}.csv"
        seen: set[tuple[str, int]] = set()
        for line, row in read_rows(path, [code_column, "jaar", *columns]):
            code = require_code(row[code_column], file=path, row=line, column=code_column,
                                prefix=prefix, length=length)
            if gemeenten and f"GM{code[2:6]}" not in gemeenten:
                continue
            year = int(row["jaar"]) if row["jaar"].strip().isdigit() else None
            if year not in MEASUREMENT_YEARS:
                raise InputError(str(path), "onbekend meetjaar", row=line, column="jaar",
                                 expected=", ".join(map(str, sorted(MEASUREMENT_YEARS))), found=row["jaar"])
            if (code, year) in seen:
                raise InputError(str(path), "gebied en jaar komen twee keer voor", row=line,
                                 column=code_column, found=f"{code} {year}")
            seen.add((code, year))
            for column, indicator_id in columns.items():
                value, status = parse_value(row[column], file=str(path), row=line, column=column)
                batch.observations.append(ObservationRecord(code, indicator_id, year, value, status,
                                                            SOURCE_ID, boundary_year))
        batch.files.append(str(path))
    return batch
