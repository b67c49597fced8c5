"""``gebiedsatlas backup FILE`` / ``restore FILE`` (store/backup.py): a consistent snapshot while the store
is in use, a manifest with row counts and content checksums, and a restore verified to give identical
contents, on SQLite and on PostgreSQL (pg_dump custom format, and the logical dump without pg_dump)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from accounts_support import member, token_headers
from conftest import DATA_DIR, LiveServer, make_client
from gebiedsatlas.agreements.demo import load_demo
from gebiedsatlas.agreements.parties import seed_signatories
from gebiedsatlas.sources.importer import import_bundled
from gebiedsatlas.store import backup as store_backup
from gebiedsatlas.store import db
from postgres_support import private_cluster


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GEBIEDSATLAS_DATABASE_URL": url, "GEBIEDSATLAS_DATA_DIR": str(DATA_DIR)}
    return subprocess.run([sys.executable, "-m", "gebiedsatlas.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def _with_agreements(url: str) -> None:
    with db.session_scope(url) as session:
        seed_signatories(session, DATA_DIR)
        load_demo(session)


def _change(url: str) -> None:
    """Something a restore must undo: a new user with a token, and a party."""
    token_headers(url, member(url, "Gemeente Almere", "redacteur"))
    with db.session_scope(url) as session:
        session.execute(text("UPDATE party SET note = 'gewijzigd na de back-up'"))


def test_sqlite_backup_and_restore_through_the_cli_give_identical_contents(fresh_db_url, tmp_path):
    _with_agreements(fresh_db_url)
    before = store_backup.store_sums(fresh_db_url)
    dump = tmp_path / "back-ups" / "atlas.backup"

    made = _cli(fresh_db_url, "backup", str(dump))
    assert made.returncode == 0, made.stderr
    assert "Back-up geschreven" in made.stdout
    manifest = json.loads((tmp_path / "back-ups" / "atlas.backup.manifest.json").read_text())
    assert manifest["format"] == "sqlite" and manifest["schema"]
    assert manifest["tables"] == before
    assert manifest["tables"]["agreement"]["rows"] > 0 and manifest["tables"]["observation"]["rows"] > 400_000

    _change(fresh_db_url)
    assert store_backup.store_sums(fresh_db_url) != before
    restored = _cli(fresh_db_url, "restore", str(dump), "--ja")
    assert restored.returncode == 0, restored.stderr
    assert "inhoud gelijk aan de back-up" in restored.stdout
    db.get_engine.cache_clear()
    assert store_backup.store_sums(fresh_db_url) == before


def test_restore_refuses_a_damaged_backup_or_one_without_manifest_and_changes_nothing(fresh_db_url, tmp_path):
    dump = tmp_path / "atlas.backup"
    store_backup.backup(fresh_db_url, dump)
    _change(fresh_db_url)
    changed = store_backup.store_sums(fresh_db_url)

    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    result = _cli(fresh_db_url, "restore", str(dump), "--ja")
    assert result.returncode == 1
    assert result.stderr.strip() == (f"De back-up {dump} is beschadigd of gewijzigd (controlegetal klopt niet met "
                                     "het manifest); er is niets hersteld.")
    store_backup.manifest_path(dump).unlink()
    result = _cli(fresh_db_url, "restore", str(dump), "--ja")
    assert result.returncode == 1 and "manifest" in result.stderr and "Traceback" not in result.stderr
    assert store_backup.store_sums(fresh_db_url) == changed


def test_sqlite_backup_while_the_server_serves_and_writes_is_one_consistent_snapshot(fresh_db_url, tmp_path):
    """A LiveServer answers reads and takes writes (new parties through the API) during the backup; the
    manifest describes exactly what is in the dump, and a restore gives exactly that."""
    _with_agreements(fresh_db_url)
    headers = token_headers(fresh_db_url, member(fresh_db_url, None, None, admin=True))
    server = LiveServer(fresh_db_url)
    stop, answers = threading.Event(), []

    def traffic() -> None:
        import httpx

        with httpx.Client(base_url=server.url, timeout=30) as client:
            number = 0
            while not stop.is_set():
                number += 1
                answers.append(client.get("/api/profile/GM0034").status_code)
                party = {"name": f"Partij tijdens back-up {number}", "kind": "huurdersorganisatie"}
                answers.append(client.post("/api/parties", headers=headers, json=party).status_code)

    thread = threading.Thread(target=traffic)
    try:
        thread.start()
        dumps = []
        for number in range(2):
            dumps.append(tmp_path / f"atlas-{number}.backup")
            store_backup.backup(fresh_db_url, dumps[-1])
    finally:
        stop.set()
        thread.join()
        server.stop()
    assert answers and set(answers) <= {200, 201}, answers
    parties = [store_backup.Manifest.read(store_backup.manifest_path(d)).tables["party"]["rows"] for d in dumps]
    assert parties == sorted(parties) and parties[0] < parties[-1]  # the writes went on during the backups
    for dump in dumps:
        store_backup.restore(fresh_db_url, dump)  # raises unless the contents equal the manifest
    assert store_backup.store_sums(fresh_db_url)["party"]["rows"] == parties[-1]


def test_restore_while_an_import_runs_is_refused(fresh_db_url, tmp_path):
    from gebiedsatlas.store.locks import import_lock

    dump = tmp_path / "atlas.backup"
    store_backup.backup(fresh_db_url, dump)
    with import_lock(fresh_db_url):  # as an import holds it
        result = _cli(fresh_db_url, "restore", str(dump), "--ja")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Er loopt al een import")


@pytest.mark.postgres
def test_postgres_backup_and_restore_pg_dump_and_logical(tmp_path):
    with private_cluster() as cluster:
        url = cluster.create_database("atlas")
        import_bundled(url, DATA_DIR)
        _with_agreements(url)
        token_headers(url, member(url, "Gemeente Almere", "redacteur"))  # the audit log has lines now
        before = store_backup.store_sums(url)
        assert before["audit_event"]["rows"] > 0 and before["observation"]["rows"] > 400_000

        custom = tmp_path / "atlas.dump"
        made = _cli(url, "backup", str(custom))
        assert made.returncode == 0, made.stderr
        assert store_backup.Manifest.read(store_backup.manifest_path(custom)).format == "pg_custom"
        assert custom.read_bytes()[:5] == b"PGDMP"
        logical = tmp_path / "atlas.jsonl.gz"
        assert store_backup.backup(url, logical, method="logical").tables == before

        _change(url)
        restored = _cli(url, "restore", str(custom), "--ja")
        assert restored.returncode == 0, restored.stderr
        assert store_backup.store_sums(url) == before

        _change(url)
        store_backup.restore(url, logical)  # into the same database: append-only audit log included
        assert store_backup.store_sums(url) == before
        with db.session_scope(url) as session:  # the sequences go on after the restored rows
            seed_signatories(session, DATA_DIR)
        _change(url)

        for name, dump in (("leeg_custom", custom), ("leeg_logisch", logical)):
            empty = cluster.create_database(name)
            store_backup.restore(empty, dump)
            assert store_backup.store_sums(empty) == before
        with make_client(empty) as client:
            assert client.get("/api/agreements?demo=true").status_code == 200
            assert client.get("/ready").json()["status"] == "gereed"


def test_backup_of_a_missing_store_says_so_and_creates_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'geen.sqlite'}"
    result = _cli(url, "backup", str(tmp_path / "atlas.backup"))
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Er is geen database om te back-uppen")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
