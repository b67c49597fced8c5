"""The import on the real bundled data: published figures, idempotency, rollback, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.importer import import_bundled
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Area, AreaGeometry, Observation

# CBS Kerncijfers wijken en buurten: inhabitants on 1 January.
INHABITANTS = {
    2022: {"GM0034": 217_828, "GM0502": 67_188, "GM0794": 93_476, "GM0356": 64_554,
           "GM1930": 86_332, "GM0439": 92_240, "GM0637": 125_767},
    2024: {"GM0034": 226_500, "GM0502": 67_925, "GM0794": 95_874, "GM0356": 65_971,
           "GM1930": 87_639, "GM0439": 95_168, "GM0637": 128_434},
}
NETHERLANDS_INHABITANTS = {2022: 17_590_672, 2024: 17_942_942}


def value(url: str, code: str, indicator: str, period: int) -> tuple[float | None, str]:
    with db.session_scope(url) as session:
        row = session.execute(
            select(Observation.value, Observation.status).where(
                Observation.area_code == code, Observation.indicator_id == indicator,
                Observation.period == period)
        ).one()
    return row.value, row.status


def counts(url: str) -> dict[str, int]:
    with db.session_scope(url) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Area, AreaGeometry, Observation)
        }


@pytest.mark.parametrize("period", [2022, 2024])
def test_inhabitants_of_the_seven_new_towns(db_url, period):
    for code, expected in INHABITANTS[period].items():
        assert value(db_url, code, "inwoners", period) == (expected, "observed")


def test_sum_of_gemeenten_is_the_national_total(db_url):
    with db.session_scope(db_url) as session:
        for period, expected in NETHERLANDS_INHABITANTS.items():
            total = session.scalar(
                select(func.sum(Observation.value)).where(
                    Observation.indicator_id == "inwoners", Observation.period == period,
                    Observation.area_code.like("GM%"))
            )
            assert total == expected


def test_wijk_and_leefbaarometer_figures(db_url):
    # CBS KWB 2022, wijk 01 Centrum Almere Haven.
    assert value(db_url, "WK003401", "inwoners", 2022) == (1635, "observed")
    assert value(db_url, "WK003401", "inwoners", 2024) == (1765, "observed")
    # Leefbaarometer 3.0: score and deviation of Centrum Almere Haven in 2002.
    assert value(db_url, "WK003401", "lbm_score", 2002) == (pytest.approx(3.909), "observed")
    assert value(db_url, "WK003401", "lbm_afwijking", 2002) == (pytest.approx(-0.1932), "observed")
    # Buurt Centrum Haven Noord, as published (full precision).
    score, status = value(db_url, "BU00340101", "lbm_score", 2002)
    assert status == "observed" and score == pytest.approx(3.75752949841581)


def test_dimensions_not_published_are_missing_not_zero(db_url):
    # Leefbaarometer publishes no dimensions for 2002.
    assert value(db_url, "WK003401", "lbm_sociale_samenhang", 2002) == (None, "missing")
    with db.session_scope(db_url) as session:
        zeros_for_missing = session.scalar(
            select(func.count()).where(Observation.status.in_(["missing", "suppressed"]),
                                       Observation.value.is_not(None)))
    assert zeros_for_missing == 0


def test_shares_are_derived_from_counts_and_marked(db_url):
    # KWB 2024 buurt BU00340101: 795 inhabitants, 150 aged 0-14 -> 18.87 %.
    share, status = value(db_url, "BU00340101", "aandeel_0_14", 2024)
    assert status == "derived"
    assert share == pytest.approx(150 / 795 * 100)


def test_every_new_town_buurt_has_a_boundary_in_rd_and_wgs84(db_url):
    with db.session_scope(db_url) as session:
        rows = session.execute(
            select(AreaGeometry.area_code, AreaGeometry.geojson_rd)
            .where(AreaGeometry.source_id == "cbs-wbk-buurten")).all()
    assert len(rows) == 546
    assert all(rd is not None for _, rd in rows)


def test_import_twice_gives_the_same_store(fresh_db_url, data_dir):
    before = counts(fresh_db_url)
    import_bundled(fresh_db_url, data_dir)
    assert counts(fresh_db_url) == before
    assert value(fresh_db_url, "GM0034", "inwoners", 2024) == (226_500, "observed")


def test_reimport_keeps_the_values_of_sources_it_does_not_replace(fresh_db_url, data_dir):
    # E.g. a source fetched and imported earlier (`import --cache`) survives a plain `import`, which
    # replaces only the bundled sources: the table is emptied and the kept rows put back.
    import sqlite3

    path = fresh_db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO source (id, publisher, title, licence, attribution) VALUES "
                           "('test-eerder-opgehaald', 'test', 'eerder opgehaald (test)', 'n.v.t.', 'test')")
        connection.executemany(
            "INSERT INTO observation (indicator_id, period, area_code, value, status, source_id, boundary_year) "
            "VALUES (?, ?, ?, ?, 'observed', 'test-eerder-opgehaald', 2023)",
            [("inwoners", 2023, "GM0034", 221_000.0), ("inwoners", 2023, "BU00340101", 1_234.0)])
    before = counts(fresh_db_url)
    import_bundled(fresh_db_url, data_dir)
    assert counts(fresh_db_url) == before
    assert value(fresh_db_url, "GM0034", "inwoners", 2023) == (221_000, "observed")
    assert value(fresh_db_url, "GM0034", "inwoners", 2024) == (226_500, "observed")
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM observation WHERE source_id = 'test-eerder-opgehaald'"
                                  ).fetchone() == (2,)
        assert connection.execute("SELECT name FROM sqlite_master WHERE name = 'ix_observation_area'").fetchone()


@pytest.fixture
def broken_data(tmp_path, data_dir) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    return copy


def _replace_line(path: Path, line_number: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[line_number - 1]
    lines[line_number - 1] = lines[line_number - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


def test_broken_file_names_file_row_and_column_and_changes_nothing(fresh_db_url, broken_data):
    before = counts(fresh_db_url)
    path = broken_data / "cbs" / "kwb2024_85984NED_gemeenten_wijken_nl.csv"
    # Line 3 is Almere; break its inhabitants.
    _replace_line(path, 3, ",226500,", ",tweehonderd,")
    with pytest.raises(InputError) as excinfo:
        import_bundled(fresh_db_url, broken_data)
    error = excinfo.value
    assert error.file.endswith("kwb2024_85984NED_gemeenten_wijken_nl.csv")
    assert (error.row, error.column) == (3, "AantalInwoners_5")
    assert "getal" in str(error) and "tweehonderd" in str(error)
    assert counts(fresh_db_url) == before
    assert value(fresh_db_url, "GM0034", "inwoners", 2024) == (226_500, "observed")


def test_missing_column_is_reported_with_the_header_row(fresh_db_url, broken_data):
    path = broken_data / "leefbaarometer" / "lbm3_wijken_2002_2024_nta7.csv"
    _replace_line(path, 1, ",soc,", ",sociaal,")
    with pytest.raises(InputError) as excinfo:
        import_bundled(fresh_db_url, broken_data)
    assert (excinfo.value.row, excinfo.value.column) == (1, "soc")


def test_failure_while_writing_rolls_back(fresh_db_url, data_dir, monkeypatch):
    """A crash in the middle of writing leaves the previous data intact."""
    from gebiedsatlas.sources import importer

    before = counts(fresh_db_url)
    original = importer._summary

    def crash(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_summary", crash)
    with pytest.raises(RuntimeError):
        import_bundled(fresh_db_url, data_dir)
    assert counts(fresh_db_url) == before


@pytest.mark.parametrize(("raw", "expected"), [
    ("-99999999", (None, "suppressed")),
    (".", (None, "suppressed")),
    ("x", (None, "suppressed")),
    ("", (None, "missing")),
    ("NA", (None, "missing")),
    ("0", (0.0, "observed")),
    ("12.5", (12.5, "observed")),
])
def test_cbs_special_values(raw, expected):
    from gebiedsatlas.sources.values import parse_value

    parsed_value, status = parse_value(raw, file="f.csv", row=2, column="c")
    assert (parsed_value, status.value) == expected


def test_suppressed_values_in_a_file_are_stored_as_suppressed(fresh_db_url, broken_data):
    path = broken_data / "cbs" / "kwb2024_85984NED_gemeenten_wijken_nl.csv"
    _replace_line(path, 3, ",92353.0,", ",-99999999,")  # Almere's woningvoorraad
    import_bundled(fresh_db_url, broken_data)
    assert value(fresh_db_url, "GM0034", "woningvoorraad", 2024) == (None, "suppressed")
