"""Schema migrations keep the data: observations survive the rebuild of migration 0004 and its downgrade;
0006 renumbers duplicate commitment numbers before it makes them unique."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gebiedsatlas.store import db

ROWS = [  # (area, indicator, period, value, status, source, boundary year, method)
    ("GM0034", "inwoners", 2024, 226500.0, "observed", "cbs-kwb-2024", 2024, None),
    ("GM0034", "inwoners", 2022, 217828.0, "observed", "cbs-kwb-2022", 2022, None),
    ("WK003401", "laag_inkomen", 2022, None, "suppressed", "cbs-kwb-2022", 2022, None),
    ("NL01", "inwoners", 2024, 17942942.0, "derived", "cbs-kwb-2024", 2024, "som van 342 gemeenten"),
]
COLUMNS = "area_code, indicator_id, period, value, status, source_id, boundary_year, method"


def _rows(path: Path) -> set[tuple]:
    with sqlite3.connect(path) as connection:
        return set(connection.execute(f"SELECT {COLUMNS} FROM observation"))


def _table_sql(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT sql FROM sqlite_master WHERE name = 'observation'").fetchone()[0]


def test_0004_rebuilds_the_observation_table_without_losing_values(tmp_path):
    path = tmp_path / "atlas.sqlite"
    url = f"sqlite:///{path}"
    db.upgrade(url, "0003")
    with sqlite3.connect(path) as connection:
        connection.executemany("INSERT INTO area (code, level, name, first_year, last_year) VALUES (?, ?, ?, ?, ?)",
                               [("GM0034", "gemeente", "Almere", 2022, 2024), ("WK003401", "wijk", "Stad", 2022, 2024),
                                ("NL01", "land", "Nederland", 2022, 2024)])
        connection.executemany("INSERT INTO indicator (id, label, description, theme, unit, direction, decimals, "
                               "aggregation) VALUES (?, ?, '', 'bevolking', 'aantal', 'neutral', 0, '{}')",
                               [("inwoners", "Inwoners"), ("laag_inkomen", "Lage inkomens")])
        connection.executemany("INSERT INTO source (id, publisher, title, licence, attribution) "
                               "VALUES (?, 'CBS', ?, 'CC BY 4.0', 'Bron: CBS, CC BY 4.0')",
                               [("cbs-kwb-2022", "KWB 2022"), ("cbs-kwb-2024", "KWB 2024")])
        connection.executemany(f"INSERT INTO observation ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ROWS)
    assert "WITHOUT ROWID" not in _table_sql(path)

    db.upgrade(url)
    assert "WITHOUT ROWID" in _table_sql(path)
    assert _rows(path) == set(ROWS)
    with sqlite3.connect(path) as connection:
        indexes = {name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'observation' AND sql IS NOT NULL")}
        assert indexes == {"ix_observation_area"}
        assert connection.execute("PRAGMA foreign_key_check(observation)").fetchall() == []

    db.downgrade(url, "0003")
    assert "WITHOUT ROWID" not in _table_sql(path)
    assert _rows(path) == set(ROWS)


def test_0006_renumbers_duplicate_commitments_and_adds_lock_versions(tmp_path):
    path = tmp_path / "afspraken.sqlite"
    url = f"sqlite:///{path}"
    db.upgrade(url, "0005")
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO area (code, level, name, first_year, last_year) "
                           "VALUES ('GM0794', 'gemeente', 'Helmond', 2022, 2024)")
        connection.execute("INSERT INTO agreement (id, title, gemeente_code, period_start, period_end, status, "
                           "description, documents, is_demo, created_at, updated_at) VALUES (1, 'Helmond', "
                           "'GM0794', 2026, 2029, 'concept', '', '[]', 0, '2026-01-01', '2026-01-01')")
        # Numbers 1, 2, 2, 2, 3: two parallel "add" calls before 0006 could both get number 2.
        for cid, number in [(1, 1), (2, 2), (3, 2), (4, 2), (5, 3)]:
            connection.execute("INSERT INTO commitment (id, agreement_id, number, text, theme, scope_kind, "
                               "scope_codes, target_kind, created_at, updated_at) VALUES (?, 1, ?, ?, 'overig', "
                               "'gemeente', '[]', 'output', '2026-01-01', '2026-01-01')",
                               (cid, number, f"afspraak {cid}"))
            connection.execute("INSERT INTO year_target (commitment_id, year, planned) VALUES (?, 2026, ?)",
                               (cid, cid * 10.0))

    db.upgrade(url)
    with sqlite3.connect(path) as connection:
        numbers = dict(connection.execute("SELECT id, number FROM commitment"))
        assert numbers == {1: 1, 2: 2, 3: 4, 4: 5, 5: 3}  # the first keeps its number, the others go last
        assert connection.execute("SELECT lock_version FROM agreement").fetchall() == [(1,)]
        assert {v for (v,) in connection.execute("SELECT lock_version FROM commitment")} == {1}
        assert dict(connection.execute("SELECT commitment_id, planned FROM year_target")) == {
            1: 10.0, 2: 20.0, 3: 30.0, 4: 40.0, 5: 50.0}
        with pytest.raises(sqlite3.IntegrityError):
            connection.execute("UPDATE commitment SET number = 1 WHERE id = 2")

    db.downgrade(url, "0005")
    with sqlite3.connect(path) as connection:
        columns = {row[1] for row in connection.execute("PRAGMA table_info(commitment)")}
        assert "lock_version" not in columns
        assert connection.execute("SELECT count(*) FROM year_target").fetchone() == (5,)
