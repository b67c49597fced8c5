"""Faults an operator meets, on the real store and the real command line (issue 11, "Clean errors").

Each fault: the CLI says one Dutch sentence with what to do (no traceback, no SQL, no parameters) and
exits 1; nothing is half-written; reads keep working.

How the faults are made (we run as root, so ``chmod`` would not stop anything):
- disk full: a small tmpfs (``mount -t tmpfs -o size=…``) holding the store or the backup target;
  where mounting is not allowed, ``RLIMIT_FSIZE`` in the child process instead (SQLite then reports a
  disk I/O error rather than a full disk);
- read-only store: a read-only bind mount (``mount --bind -o ro``) of the store's folder, with and
  without the ``-wal``/``-shm`` files a running server leaves behind (``mode=ro`` and ``immutable``);
- two imports at once: two real ``gebiedsatlas import`` processes on one store;
- kill -9: SIGKILL to an import while it writes, and to a backup while it copies;
- PostgreSQL unreachable: a closed port; PostgreSQL busy: the import lock held on a private cluster.
The tests that need ``mount`` skip when the sandbox refuses it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from accounts_support import member, token_headers
from conftest import DATA_DIR, LiveServer, make_client, sqlite_url
from gebiedsatlas.config import Settings
from gebiedsatlas.store import backup as store_backup
from gebiedsatlas.store import db, faults
from gebiedsatlas.store.faults import StoreBusy
from gebiedsatlas.store.locks import import_lock, lock_path
from postgres_support import private_cluster

READS = ["/", "/kaart", "/gebied/GM0034", "/api/values?indicators=inwoners&areas=GM0034,GM0363",
         "/api/profile/GM0034", "/afspraken", "/api/agreements"]


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GEBIEDSATLAS_DEBUG"}
    return {**env, "GEBIEDSATLAS_DATABASE_URL": url, "GEBIEDSATLAS_DATA_DIR": str(DATA_DIR), **extra}


def _cli(url: str, *args: str, preexec=None, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gebiedsatlas.cli", *args], env=_env(url, **extra),
                          capture_output=True, text=True, timeout=300, preexec_fn=preexec)


def _start_cli(url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gebiedsatlas.cli", *args], env=_env(url),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def one_sentence(stderr: str) -> str:
    """The CLI's answer to a fault: one line, one sentence, nothing of the driver."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    for leak in ("Traceback", "[SQL", "[parameters", "sqlalche.me", "Error:", "Error)"):
        assert leak not in lines[0], stderr
    assert lines[0].endswith("."), lines[0]
    return lines[0]


def _reads_work(url: str) -> None:
    with make_client(url) as client:
        for path in READS:
            assert client.get(path).status_code == 200, path


@contextlib.contextmanager
def mounted(target: Path, *args: str):
    """``mount … target`` for the duration (lazily unmounted after); skips when mounting is refused."""
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount is not allowed here: {done.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def _dispose(url: str) -> None:
    """Close this process's connections to ``url`` (so its folder can be unmounted)."""
    db.get_engine(url).dispose()
    db.get_engine.cache_clear()


# ---------------------------------------------------------------- two imports at once


def _wait_for_lock(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Until ``process`` holds the store's import lock."""
    path = lock_path(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        if path.exists():
            with path.open("rb") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(handle, fcntl.LOCK_UN)
                except BlockingIOError:
                    return
        time.sleep(0.05)
    raise AssertionError("the first import never took the lock")


def test_two_imports_at_once_the_second_refuses_cleanly(fresh_db_url):
    first = _start_cli(fresh_db_url, "import")
    try:
        _wait_for_lock(fresh_db_url, first)
        second = _cli(fresh_db_url, "import")
        assert second.returncode == 1
        assert one_sentence(second.stderr) == ("Er loopt al een import of herstel op deze database: wacht tot die "
                                               "klaar is en probeer het dan opnieuw.")
        _reads_work(fresh_db_url)  # while the first one imports
    finally:
        assert first.wait(timeout=300) == 0, first.stderr.read()
    with import_lock(fresh_db_url):  # released at the end
        pass


def test_a_store_locked_by_another_writer_is_reported_as_busy_without_sql(fresh_db_url):
    """Not an import but some other writer holds the store (e.g. a long `sqlite3` session): the import
    waits the busy timeout, then says so in one sentence (today's dump had the SQL and its parameters)."""
    path = fresh_db_url.removeprefix("sqlite:///")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        result = _cli(fresh_db_url, "afspraken", "partijen")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.returncode == 1
    assert one_sentence(result.stderr) == (f"De database {path} is bezet (er loopt al een import of een andere "
                                           "schrijvende opdracht): wacht tot die klaar is en probeer het dan "
                                           "opnieuw.")


# ---------------------------------------------------------------- disk full


def _limit_file_size(size: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


@contextlib.contextmanager
def _small_disk(folder: Path, free: int):
    """A folder on a tmpfs with about ``free`` bytes left once the store is copied in; yields the limit to
    set on the child with RLIMIT_FSIZE instead when mounting is refused (else None)."""
    folder.mkdir(parents=True, exist_ok=True)
    store_size = 60 * 1024 * 1024
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={store_size + free}", "tmpfs", str(folder)],
                          capture_output=True)
    try:
        yield None if done.returncode == 0 else _limit_file_size(free)
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_disk_full_during_an_import_changes_nothing_and_reads_keep_working(template_db, tmp_path):
    folder = tmp_path / "klein"
    with _small_disk(folder, free=6 * 1024 * 1024) as fallback:
        shutil.copy(template_db, folder / "atlas.sqlite")
        url = sqlite_url(folder / "atlas.sqlite")
        before = store_backup.store_sums(url)
        _dispose(url)
        result = _cli(url, "import", preexec=fallback)
        assert result.returncode == 1
        sentence = one_sentence(result.stderr)
        if fallback is None:
            assert sentence == (f"De schijf van {folder / 'atlas.sqlite'} is vol: maak ruimte vrij en probeer het "
                                "opnieuw; de onderbroken opdracht heeft niets half opgeslagen.")
        else:
            assert "bestandslimiet" in sentence
        assert store_backup.store_sums(url) == before
        _reads_work(url)
        _dispose(url)


def test_disk_full_during_a_backup_leaves_no_backup_file(fresh_db_url, tmp_path):
    folder = tmp_path / "vol"
    with _small_disk(folder, free=0) as fallback:
        if fallback is None:  # the tmpfs itself is smaller than the store
            subprocess.run(["mount", "-o", "remount,size=8m", str(folder)], check=True)
        result = _cli(fresh_db_url, "backup", str(folder / "atlas.backup"),
                      preexec=fallback and _limit_file_size(8 * 1024 * 1024))
        assert result.returncode == 1
        sentence = one_sentence(result.stderr)
        assert "vol" in sentence or "bestandslimiet" in sentence, sentence
        assert list(folder.iterdir()) == []  # no dump, no manifest, no temporary file
    _reads_work(fresh_db_url)


# ---------------------------------------------------------------- read-only store


@pytest.fixture(params=["immutable", "mode=ro"])
def read_only_store(request, template_db, tmp_path):
    """A copy of the imported store (with a user and an API token) behind a read-only bind mount: without
    the -wal/-shm files (as after a clean stop: opened immutable) or with them (as a running server leaves
    them: opened with mode=ro)."""
    writable = tmp_path / "schrijfbaar"
    writable.mkdir()
    shutil.copy(template_db, writable / "atlas.sqlite")
    url = sqlite_url(writable / "atlas.sqlite")
    headers = token_headers(url, member(url, "Gemeente Almere", "redacteur"))
    if request.param == "mode=ro":
        keep = sqlite3.connect(writable / "atlas.sqlite")  # a reader holds the WAL files open
        keep.execute("SELECT count(*) FROM area").fetchone()
    else:
        _dispose(url)
    with mounted(tmp_path / "alleen-lezen", "--bind", "-o", "ro", str(writable)) as folder:
        read_only_url = sqlite_url(folder / "atlas.sqlite")
        yield read_only_url, headers, request.param
        _dispose(read_only_url)
    if request.param == "mode=ro":
        keep.close()


def test_read_only_store_serves_reads_and_answers_writes_with_503(read_only_store):
    url, headers, mode = read_only_store
    server = LiveServer(url)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for path in READS:
                assert client.get(path).status_code == 200, path
            assert client.get("/api/agreements", headers=headers).status_code == 200  # a token, no write
            refused = client.post("/api/parties", headers=headers, json={"name": "Nieuw", "kind": "zorg"})
            assert refused.status_code == 503
            assert refused.json() == {"detail": "De database is alleen-lezen: bekijken kan, wijzigen nu niet. "
                                                "Probeer het later opnieuw of meld het de beheerder."}
            page = client.post("/inloggen", data={"email": "a@b.invalid", "password": "x"})
            assert page.status_code == 503 and "alleen-lezen" in page.text
            assert client.get("/ready").json()["status"] == "gereed"
        assert f"({mode})" in server.output()  # the warning of store/readonly.py says how it was opened
    finally:
        server.stop()


def test_read_only_store_on_the_command_line(read_only_store, tmp_path):
    url, _headers, _mode = read_only_store
    path = url.removeprefix("sqlite:///")
    for command in (["import"], ["afspraken", "demo"], ["restore", "niet-gebruikt.backup", "--ja"]):
        result = _cli(url, *command)
        assert result.returncode == 1, command
        if command[0] != "restore":
            assert one_sentence(result.stderr) == (
                f"De database {path} is alleen-lezen: maak het bestand en zijn map schrijfbaar voor deze gebruiker "
                "(of voer deze opdracht uit op een schrijfbare kopie).")
    made = _cli(url, "backup", str(tmp_path / "kopie.backup"))  # a backup only reads
    assert made.returncode == 0, made.stderr
    assert _cli(url, "info").returncode == 0


def test_session_key_in_a_read_only_folder_falls_back_to_one_per_process(tmp_path, monkeypatch, caplog):
    import gebiedsatlas.config as config

    with mounted(tmp_path / "repo", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs") as folder:
        monkeypatch.setattr(config, "REPO_DIR", folder)
        settings = Settings(database_url="sqlite://", data_dir=DATA_DIR)
        key = settings.session_secret()
        assert len(key) > 40 and key == settings.session_secret()
    assert "GEBIEDSATLAS_SECRET_KEY" in caplog.text


# ---------------------------------------------------------------- kill -9


def test_kill_9_during_an_import_leaves_the_previous_store_and_no_lock(fresh_db_url):
    path = Path(fresh_db_url.removeprefix("sqlite:///"))
    before = store_backup.store_sums(fresh_db_url)
    wal = path.with_name(path.name + "-wal")
    start = wal.stat().st_size if wal.exists() else 0
    importer = _start_cli(fresh_db_url, "import")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and importer.poll() is None:
        if wal.exists() and wal.stat().st_size > start + 8 * 1024 * 1024:  # well into writing
            break
        time.sleep(0.02)
    assert importer.poll() is None, "the import ended before it could be killed"
    os.kill(importer.pid, signal.SIGKILL)
    importer.wait()
    db.get_engine.cache_clear()
    assert store_backup.store_sums(fresh_db_url) == before
    assert sqlite3.connect(path).execute("PRAGMA quick_check").fetchone() == ("ok",)
    with import_lock(fresh_db_url):  # the lock went with the process
        pass
    _reads_work(fresh_db_url)


def test_kill_9_during_a_backup_leaves_no_backup_that_looks_complete(fresh_db_url, tmp_path):
    target = tmp_path / "uit" / "atlas.backup"
    process = _start_cli(fresh_db_url, "backup", str(target))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if any(target.parent.glob(".atlas.backup.*.tmp")):
            break
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not target.exists() and not store_backup.manifest_path(target).exists()
    result = _cli(fresh_db_url, "restore", str(target), "--ja")
    assert result.returncode == 1 and "bestaat niet" in one_sentence(result.stderr)


# ---------------------------------------------------------------- PostgreSQL


def test_postgres_unreachable_one_sentence_without_password_and_debug_shows_the_traceback():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://atlas:geheim-wachtwoord@127.0.0.1:{port}/atlas"
    for command in (["import"], ["migrate"], ["backup", "/tmp/niet-gemaakt.backup"]):
        result = _cli(url, *command)
        assert result.returncode == 1
        assert one_sentence(result.stderr) == (f"PostgreSQL is niet bereikbaar op 127.0.0.1:{port}/atlas: controleer "
                                               "of de databaseserver draait en of GEBIEDSATLAS_DATABASE_URL klopt.")
        assert "geheim" not in result.stdout + result.stderr
    assert "geheim" not in _cli(url, "info").stdout
    debug = _cli(url, "--debug", "migrate")
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "OperationalError" in debug.stderr
    assert "Traceback" in _cli(url, "migrate", GEBIEDSATLAS_DEBUG="1").stderr


@pytest.mark.postgres
def test_postgres_second_import_refused_by_the_advisory_lock_and_read_only_database():
    with private_cluster() as cluster:
        url = cluster.create_database("atlas")
        with import_lock(url):
            result = _cli(url, "import")
            with pytest.raises(StoreBusy), import_lock(url):
                pass
        assert result.returncode == 1
        assert one_sentence(result.stderr).startswith("Er loopt al een import of herstel op deze database")
        with import_lock(url):  # released
            pass
        import psycopg

        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute("ALTER DATABASE atlas SET default_transaction_read_only = on")
        result = _cli(url, "migrate")
        assert result.returncode == 1
        assert one_sentence(result.stderr) == (f"De database 127.0.0.1:{cluster.port}/atlas is alleen-lezen (een "
                                               "standby of default_transaction_read_only): gebruik de primaire "
                                               "server.")


def test_unrecognised_errors_keep_their_traceback_and_database_errors_never_show_sql():
    assert faults.describe(ValueError("een fout in de code")) is None
    assert faults.describe(OSError(28, "No space left on device", "/data/x")) == (
        "De schijf is vol (bij /data/x): maak ruimte vrij en probeer het opnieuw.")
    from sqlalchemy.exc import OperationalError

    wrapped = OperationalError("INSERT INTO party VALUES (?)", ("geheim",), sqlite3.OperationalError("boom"))
    assert faults.describe(wrapped) is None and faults.is_database_error(wrapped)
