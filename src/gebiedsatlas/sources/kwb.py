"""CBS Kerncijfers wijken en buurten (KWB), the 2022 and 2024 editions as bundled in ``data/cbs``.

The 2022 files come from tmap's redistribution (gemeenten and wijken, percentages); the 2024 files
from CBS table 85984NED (gemeenten, wijken, buurten; counts). Which column feeds which indicator is
declared in the indicator catalogue, not here.
"""

from __future__ import annotations

from pathlib import Path

from gebiedsatlas.areas.codes import NETHERLANDS_CODE, Level, level_of, parent_code_of
from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import Catalogue
from gebiedsatlas.sources.records import AreaRecord, ObservationRecord, SourceBatch
from gebiedsatlas.sources.tables import read_rows, require_code
from gebiedsatlas.sources.values import parse_value
from gebiedsatlas.status import Status

# tmap gives CBS's "mate van stedelijkheid" in English words; CBS's classes are 1..5.
URBANITY_CLASSES = {
    "extremely urbanised": 1.0,
    "strongly urbanised": 2.0,
    "moderately urbanised": 3.0,
    "hardly urbanised": 4.0,
    "not urbanised": 5.0,
}


def _observations(
    path: Path,
    line: int,
    row: dict[str, str],
    code: str,
    columns: dict[str, str],
    source_id: str,
    period: int,
) -> list[ObservationRecord]:
    records = []
    for column, indicator_id in columns.items():
        raw = row[column]
        if column == "urbanity" and raw.strip():
            if raw.strip() not in URBANITY_CLASSES:
                raise InputError(str(path), "onbekende stedelijkheidsklasse", row=line, column=column,
                                 expected=", ".join(URBANITY_CLASSES), found=raw)
            value, status = URBANITY_CLASSES[raw.strip()], Status.OBSERVED
        else:
            value, status = parse_value(raw, file=str(path), row=line, column=column)
        records.append(ObservationRecord(code, indicator_id, period, value, status, source_id, period))
    return records


def read_kwb2022(data_dir: Path, catalogue: Catalogue) -> SourceBatch:
    """Provinces, gemeenten and wijken with their 2022 figures."""
    source_id, period = "cbs-kwb-2022", 2022
    batch = SourceBatch(source_id)
    columns = catalogue.columns_of(source_id)

    provinces_path = data_dir / "cbs" / "kwb2022_provincies_nl.csv"
    province_code_by_name = {}
    for line, row in read_rows(provinces_path, ["code", "name"]):
        code = require_code(row["code"], file=provinces_path, row=line, column="code",
                            prefix="PV", length=4)
        province_code_by_name[row["name"]] = code
        batch.areas.append(AreaRecord(code, Level.PROVINCIE, row["name"], NETHERLANDS_CODE, period))
    batch.files.append(str(provinces_path))

    for filename, prefix, length in (
        ("kwb2022_gemeenten_nl.csv", "GM", 6),
        ("kwb2022_wijken_nl.csv", "WK", 8),
    ):
        path = data_dir / "cbs" / filename
        for line, row in read_rows(path, ["code", "name", "province", *columns]):
            code = require_code(row["code"], file=path, row=line, column="code",
                                prefix=prefix, length=length)
            if prefix == "GM":
                if row["province"] not in province_code_by_name:
                    raise InputError(str(path), "onbekende provincie", row=line, column="province",
                                     expected=", ".join(province_code_by_name), found=row["province"])
                parent = province_code_by_name[row["province"]]
            else:
                parent = parent_code_of(code)
            batch.areas.append(AreaRecord(code, level_of(code), row["name"].strip(), parent, period))
            batch.observations += _observations(path, line, row, code, columns, source_id, period)
        batch.files.append(str(path))
    return batch


BUURTEN_2022_FILE = "kwb2022_85318NED_buurten_nieuwegein.csv"


def read_kwb2022_buurten(data_dir: Path, catalogue: Catalogue) -> SourceBatch:
    """Buurten of Nieuwegein with their 2022 housing figures (CBS 85318NED, download names).

    The only wijk/buurt housing figures found redistributed for a New Town; see PROVENANCE for how
    they were checked and why a few cells are CBS's '.' (secret) rather than the copy's 0.
    """
    source_id, period = "cbs-kwb-2022-buurten", 2022
    batch = SourceBatch(source_id)
    columns = catalogue.columns_of(source_id)
    path = data_dir / "cbs" / BUURTEN_2022_FILE
    for line, row in read_rows(path, ["gwb_code_10", "regio", *columns]):
        code = require_code(row["gwb_code_10"], file=path, row=line, column="gwb_code_10",
                            prefix="BU", length=10)
        batch.areas.append(AreaRecord(code, Level.BUURT, row["regio"].strip(), parent_code_of(code),
                                      period))
        batch.observations += _observations(path, line, row, code, columns, source_id, period)
    batch.files.append(str(path))
    return batch


def read_kwb2024(data_dir: Path, catalogue: Catalogue, names_2022: dict[str, str],
                 province_of: dict[str, str]) -> SourceBatch:
    """Gemeenten, wijken and buurten with their 2024 figures (CBS 85984NED).

    The 2024 gemeente/wijk file has no names: gemeente names come from the buurt file, wijk names
    from 2022 where the code is unchanged. ``province_of`` gives each gemeente's provincie.
    """
    source_id, period = "cbs-kwb-2024", 2024
    batch = SourceBatch(source_id)
    columns = catalogue.columns_of(source_id)
    cbs = data_dir / "cbs"

    buurt_path = cbs / "kwb2024_85984NED_buurten_nl.csv"
    buurt_columns = {c: i for c, i in columns.items() if c in _header(buurt_path)}
    gemeente_names: dict[str, str] = {}
    buurt_rows = []
    for line, row in read_rows(buurt_path, ["WijkenEnBuurten", "gm_code", "Gemeentenaam_1",
                                            "buurtnaam", *buurt_columns]):
        code = require_code(row["WijkenEnBuurten"], file=buurt_path, row=line,
                            column="WijkenEnBuurten", prefix="BU", length=10)
        gemeente_names[row["gm_code"]] = row["Gemeentenaam_1"].strip()
        buurt_rows.append((line, row, code))

    names_path = cbs / "kwb2024_85984NED_buurtcodes_namen.csv"
    for line, row in read_rows(names_path, ["buurtcode", "buurtnaam"]):
        code = require_code(row["buurtcode"], file=names_path, row=line, column="buurtcode",
                            prefix="BU", length=10)
        batch.areas.append(AreaRecord(code, Level.BUURT, row["buurtnaam"].strip(),
                                      parent_code_of(code), period))

    gw_path = cbs / "kwb2024_85984NED_gemeenten_wijken_nl.csv"
    gw_columns = {c: i for c, i in columns.items() if c in _header(gw_path)}
    for line, row in read_rows(gw_path, ["code", "soort", *gw_columns]):
        soort = row["soort"].strip()
        if soort == "Gemeente":
            code = require_code(row["code"], file=gw_path, row=line, column="code",
                                prefix="GM", length=6)
            if code not in province_of:
                raise InputError(str(gw_path), "provincie van gemeente onbekend", row=line,
                                 column="code", expected="een gemeente uit 2022 of het supplement",
                                 found=code)
            name = gemeente_names.get(code) or names_2022.get(code) or code
            batch.areas.append(AreaRecord(code, Level.GEMEENTE, name, province_of[code], period))
        elif soort == "Wijk":
            code = require_code(row["code"], file=gw_path, row=line, column="code",
                                prefix="WK", length=8)
            gemeente = parent_code_of(code)
            name = names_2022.get(code) or (
                f"{gemeente_names.get(gemeente, gemeente)} wijk {code[-2:]}"
            )
            batch.areas.append(AreaRecord(code, Level.WIJK, name, gemeente, period))
        else:
            raise InputError(str(gw_path), "onbekend soort gebied", row=line, column="soort",
                             expected="Gemeente of Wijk", found=row["soort"])
        batch.observations += _observations(gw_path, line, row, code, gw_columns, source_id, period)

    for line, row, code in buurt_rows:
        batch.observations += _observations(buurt_path, line, row, code, buurt_columns,
                                            source_id, period)
    batch.files += [str(gw_path), str(buurt_path), str(names_path)]
    return batch


def _header(path: Path) -> list[str]:
    if not path.exists():
        raise InputError(str(path), "bestand ontbreekt")
    with path.open(encoding="utf-8-sig") as fh:
        return fh.readline().strip().split(",")


GEMEENTEN_FILE = "kwb2020_2025_gemeenten_woningen.csv"


def read_kwb_gemeenten(data_dir: Path, catalogue: Catalogue, province_of: dict[str, str],
                       published: set[tuple[str, str, int]], years: set[int]) -> SourceBatch:
    """Gemeenten of the KWB editions 2020-2025 with their housing figures (one row per gemeente and year).

    Only the editions in ``years`` are read: the boundary years the atlas already holds (2022, 2024).
    The file keeps every edition, checked, for when the boundaries of the other years are loaded.

    ``published`` holds the (area, indicator, period) keys another bundled source already gives (the
    2022 and 2024 editions): those are skipped, so each value comes from one source (they were checked
    equal, see data/cbs/PROVENANCE.md). Gemeenten whose provincie is unknown (dissolved before 2022 and
    not in the supplement) are left out: the atlas cannot place them in the hierarchy.
    """
    source_id = "cbs-kwb-gemeenten"
    batch = SourceBatch(source_id)
    columns = catalogue.columns_of(source_id)
    path = data_dir / "cbs" / GEMEENTEN_FILE
    for line, row in read_rows(path, ["year", "gwb_code", "gm_naam", *columns]):
        code = require_code(row["gwb_code"], file=path, row=line, column="gwb_code", prefix="GM", length=6)
        try:
            year = int(row["year"])
        except ValueError:
            raise InputError(str(path), "ongeldig jaar", row=line, column="year",
                             expected="een jaartal zoals 2024", found=row["year"]) from None
        if year not in years or code not in province_of:
            continue
        batch.areas.append(AreaRecord(code, Level.GEMEENTE, row["gm_naam"].strip(), province_of[code], year))
        batch.observations += [o for o in _observations(path, line, row, code, columns, source_id, year)
                               if (o.area_code, o.indicator_id, o.period) not in published]
    batch.files.append(str(path))
    return batch
