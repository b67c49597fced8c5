"""Backup and restore of the store, verified by content (``gebiedsatlas backup FILE`` / ``restore FILE``).

A backup is one consistent snapshot, taken while the server runs:

- SQLite: the online backup API (``sqlite3.Connection.backup`` in one step, under a read transaction)
  into a single self-contained file (journal mode DELETE);
- PostgreSQL: ``pg_dump --format=custom`` when a ``pg_dump`` at least as new as the server is found
  (``GEBIEDSATLAS_PG_BIN``, else the newest ``/usr/lib/postgresql/*/bin``, else ``PATH``); otherwise a
  logical dump through SQLAlchemy (gzip JSON lines, one section per table).

Beside the dump, ``FILE.manifest.json`` holds the format, the schema revision, the SHA-256 of the dump
file, and per table the row count and a SHA-256 of its rows in primary-key order. The table checksums
are computed on exactly the snapshot that was dumped: for SQLite on the backup file itself, for
PostgreSQL in the transaction whose snapshot ``pg_dump --snapshot`` uses (or that writes the logical
dump). Dump and manifest are written under temporary names and renamed at the end, manifest last: an
interrupted backup (disk full, ``kill -9``) leaves no file that looks complete.

A restore first checks the dump file against the manifest, takes the store's import lock (no import or
second restore meanwhile, ``store/locks.py``), replaces the store's contents in one transaction (SQLite:
the backup API into the store; PostgreSQL: ``pg_restore --clean --single-transaction``, or the logical
dump with TRUNCATE and COPY), and then recomputes the checksums of the store: a restore that does not
give identical contents ends with ``BackupError``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import orjson
from sqlalchemy import Connection, LargeBinary, MetaData, Table, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from gebiedsatlas import __version__
from gebiedsatlas.store import db, locks
from gebiedsatlas.store.readonly import sqlite_file

MANIFEST_SUFFIX = ".manifest.json"
SQLITE, PG_CUSTOM, LOGICAL = "sqlite", "pg_custom", "logical"
_ROWS_PER_BATCH = 5000


class BackupError(RuntimeError):
    """A backup or restore that could not be made or verified; the message is one Dutch sentence."""


@dataclass
class Manifest:
    """What a backup holds, to verify a restore against."""

    format: str
    dialect: str
    schema: str | None
    created_at: str
    file_sha256: str
    tables: dict[str, dict] = field(default_factory=dict)  # name -> {"rows": n, "sha256": hex}
    app_version: str = __version__

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.tables.values())

    def write(self, path: Path) -> None:
        _write_atomically(path, json.dumps(asdict(self), indent=2, ensure_ascii=False).encode() + b"\n")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except FileNotFoundError:
            raise BackupError(f"Bij {path.name.removesuffix(MANIFEST_SUFFIX)} hoort het manifest {path}, maar dat "
                              "ontbreekt: zonder manifest kan het herstel niet worden gecontroleerd.") from None
        except (ValueError, TypeError):
            raise BackupError(f"Het manifest {path} is onleesbaar: gebruik een andere back-up.") from None


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + MANIFEST_SUFFIX)


# ---------------------------------------------------------------- checksums


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _line(row) -> bytes:
    return orjson.dumps(tuple(row), default=_default)


def _tables(connection: Connection) -> list[Table]:
    """Every table of the store, parents before children (the order of a restore)."""
    metadata = MetaData()
    metadata.reflect(connection)
    return list(metadata.sorted_tables)


def _rows(connection: Connection, table: Table) -> Iterator[list]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = connection.execution_options(stream_results=True, yield_per=_ROWS_PER_BATCH).execute(
        select(table).order_by(*order))
    yield from result.partitions()


def table_sums(connection: Connection,
               sink: Callable[[Table, list[bytes] | None], None] | None = None) -> dict[str, dict]:
    """Per table its row count and the SHA-256 of its rows (JSON lines in primary-key order).

    ``sink(table, lines)`` receives each batch of lines too (``lines=None`` starts a table): the logical
    dump is written from the very lines that are summed."""
    sums: dict[str, dict] = {}
    for table in _tables(connection):
        digest, count = hashlib.sha256(), 0
        if sink:
            sink(table, None)
        for batch in _rows(connection, table):
            lines = [_line(row) for row in batch]
            for line in lines:
                digest.update(line)
                digest.update(b"\n")
            count += len(lines)
            if sink:
                sink(table, lines)
        sums[table.name] = {"rows": count, "sha256": digest.hexdigest()}
    return dict(sorted(sums.items()))


def store_sums(url: str) -> dict[str, dict]:
    """The checksums of the store at ``url`` as it is now (one transaction)."""
    with _snapshot(db.get_engine(url).connect()) as connection:
        return table_sums(connection)


@contextmanager
def _snapshot(connection: Connection) -> Iterator[Connection]:
    """One read-only transaction; on PostgreSQL REPEATABLE READ, so every table is read at one moment."""
    with connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            yield connection


def _schema_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(text("SELECT version_num FROM alembic_version"))


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _differences(expected: dict[str, dict], found: dict[str, dict]) -> list[str]:
    names = sorted(set(expected) | set(found))
    return [name for name in names if expected.get(name) != found.get(name)]


# ---------------------------------------------------------------- backup


def backup(url: str, target: Path, *, method: str = "auto") -> Manifest:
    """Write a consistent backup of the store at ``url`` to ``target`` and its manifest beside it.

    ``method``: ``auto``; for PostgreSQL also ``pg_dump`` or ``logical`` (tests force one)."""
    target = Path(target).absolute()
    if target.is_dir():
        raise BackupError(f"{target} is een map: geef een bestandsnaam voor de back-up.")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    dialect = make_url(url).get_backend_name()
    store = sqlite_file(url)
    if dialect == "sqlite" and (store is None or not store.is_file()):
        raise BackupError(f"Er is geen database om te back-uppen ({store or url}): controleer "
                          "GEBIEDSATLAS_DATABASE_URL.")
    try:
        if dialect == "sqlite":
            manifest = _backup_sqlite(url, temporary)
        elif dialect == "postgresql":
            tool = _pg_tool("pg_dump", url) if method in ("auto", "pg_dump") else None
            if method == "pg_dump" and tool is None:
                raise BackupError("pg_dump (even nieuw als de server of nieuwer) is niet gevonden: installeer "
                                  "postgresql-client of zet GEBIEDSATLAS_PG_BIN.")
            manifest = _backup_pg_dump(url, temporary, tool) if tool else _backup_logical(url, temporary)
        else:
            raise BackupError(f"Back-ups van een {dialect}-database worden niet ondersteund: gebruik SQLite of "
                              "PostgreSQL.")
        _fsync(temporary)
        manifest.file_sha256 = _file_sha256(temporary)
        temporary.replace(target)
        manifest.write(manifest_path(target))  # last: a dump without manifest is not a finished backup
    finally:
        temporary.unlink(missing_ok=True)
        for suffix in ("-journal", "-wal", "-shm"):
            temporary.with_name(temporary.name + suffix).unlink(missing_ok=True)
    return manifest


def _backup_sqlite(url: str, temporary: Path) -> Manifest:
    """The online backup API in one step: a consistent copy while the server reads and writes."""
    raw = db.get_engine(url).raw_connection()  # read-only stores too (store/readonly.py)
    try:
        destination = sqlite3.connect(temporary)
        try:
            raw.driver_connection.backup(destination)
            destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            destination.close()
    finally:
        raw.close()
    engine = create_engine(f"sqlite:///{temporary}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return Manifest(format=SQLITE, dialect="sqlite", schema=_schema_revision(connection),
                            created_at=_now(), file_sha256="", tables=table_sums(connection))
    finally:
        engine.dispose()


def _pg_version(tool: Path) -> int | None:
    try:
        output = subprocess.run([str(tool), "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.(\d+))?", output)
    return int(match.group(1)) if match else None


def _pg_tool(name: str, url: str) -> Path | None:
    """``pg_dump``/``pg_restore`` whose major version is at least the server's, or None."""
    candidates: list[Path] = []
    if os.environ.get("GEBIEDSATLAS_PG_BIN"):
        candidates.append(Path(os.environ["GEBIEDSATLAS_PG_BIN"]) / name)
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0, reverse=True)
    candidates += versions
    if shutil.which(name):
        candidates.append(Path(shutil.which(name)))
    with db.get_engine(url).connect() as connection:
        server = int(connection.scalar(text("SHOW server_version_num"))) // 10000
    for candidate in candidates:
        if candidate.exists() and (_pg_version(candidate) or 0) >= server:
            return candidate
    return None


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, env


def _tool_failed(tool: str, stderr: str) -> BackupError:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    reason = lines[0] if lines else "geen melding"
    return BackupError(f"{tool} is mislukt ({reason[:300]}); er is niets vervangen.")


def _backup_pg_dump(url: str, temporary: Path, tool: Path) -> Manifest:
    """``pg_dump`` on the snapshot of the transaction that computes the checksums."""
    conninfo, env = _libpq(url)
    with _snapshot(db.get_engine(url).connect()) as connection:
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        process = subprocess.Popen([str(tool), "--format=custom", f"--snapshot={snapshot}", "--no-password",
                                    f"--file={temporary}", f"--dbname={conninfo}"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            schema = _schema_revision(connection)
            sums = table_sums(connection)
        finally:
            _, stderr = process.communicate()  # the snapshot must stay open until pg_dump has taken it
    if process.returncode != 0:
        raise _tool_failed("pg_dump", stderr)
    return Manifest(format=PG_CUSTOM, dialect="postgresql", schema=schema, created_at=_now(), file_sha256="",
                    tables=sums)


def _backup_logical(url: str, temporary: Path) -> Manifest:
    """Every row of every table as JSON lines (gzip), written from the lines that are summed."""
    with _snapshot(db.get_engine(url).connect()) as connection, \
            gzip.open(temporary, "wb", compresslevel=6) as out:
        schema = _schema_revision(connection)
        out.write(orjson.dumps({"gebiedsatlas_logical_dump": 1, "schema": schema}) + b"\n")

        def sink(table: Table, lines: list[bytes] | None) -> None:
            if lines is None:
                out.write(orjson.dumps({"table": table.name, "columns": [c.name for c in table.columns]}) + b"\n")
                return
            for line in lines:
                out.write(b"  " + line + b"\n")

        sums = table_sums(connection, sink)
    return Manifest(format=LOGICAL, dialect="postgresql", schema=schema, created_at=_now(), file_sha256="",
                    tables=sums)


# ---------------------------------------------------------------- restore


def restore(url: str, source: Path) -> Manifest:
    """Replace the contents of the store at ``url`` by the backup ``source``; verified against its manifest."""
    source = Path(source).absolute()
    if not source.is_file():
        raise BackupError(f"De back-up {source} bestaat niet.")
    manifest = Manifest.read(manifest_path(source))
    if _file_sha256(source) != manifest.file_sha256:
        raise BackupError(f"De back-up {source} is beschadigd of gewijzigd (controlegetal klopt niet met het "
                          "manifest); er is niets hersteld.")
    dialect = make_url(url).get_backend_name()
    if dialect != manifest.dialect:
        raise BackupError(f"Deze back-up is van een {manifest.dialect}-database en de doeldatabase is "
                          f"{dialect}: herstel in een database van dezelfde soort.")
    with locks.import_lock(url):
        if manifest.format == SQLITE:
            _restore_sqlite(url, source)
        elif manifest.format == PG_CUSTOM:
            tool = _pg_tool("pg_restore", url)
            if tool is None:
                raise BackupError("pg_restore (even nieuw als de server of nieuwer) is niet gevonden: installeer "
                                  "postgresql-client of zet GEBIEDSATLAS_PG_BIN.")
            _restore_pg_custom(url, source, tool)
        elif manifest.format == LOGICAL:
            _restore_logical(url, source, manifest)
        else:
            raise BackupError(f"Onbekend back-upformaat {manifest.format!r} in het manifest.")
    found = store_sums(url)
    different = _differences(manifest.tables, found)
    if different:
        raise BackupError(f"Na het herstel wijkt de inhoud af van de back-up in {', '.join(different[:5])}: "
                          "controleer de database en herstel in een lege database.")
    return manifest


def _restore_sqlite(url: str, source: Path) -> None:
    path = sqlite_file(url)
    if path is None:
        raise BackupError("Herstellen kan alleen in een SQLite-bestand (geen :memory:).")
    path.parent.mkdir(parents=True, exist_ok=True)
    db.get_engine.cache_clear()  # this process's connections see the restored store afresh
    origin = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(path, timeout=30)
        try:
            # One write transaction on the store: readers see the old contents until it commits.
            origin.backup(destination)
            destination.execute("PRAGMA journal_mode=WAL")
        finally:
            destination.close()
    finally:
        origin.close()


def _restore_pg_custom(url: str, source: Path, tool: Path) -> None:
    conninfo, env = _libpq(url)
    process = subprocess.run([str(tool), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                              "--exit-on-error", "--no-password", f"--dbname={conninfo}", str(source)],
                             env=env, capture_output=True, text=True)
    if process.returncode != 0:
        raise _tool_failed("pg_restore", process.stderr)


def _copy_value(value, column_type):
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    if isinstance(value, str) and isinstance(column_type, LargeBinary):
        return bytes.fromhex(value)
    return value


def _restore_logical(url: str, source: Path, manifest: Manifest) -> None:
    """Empty every table and load the dump with COPY, in one transaction, at the dump's schema."""
    engine = db.get_engine(url)
    with engine.connect() as connection:
        current = _schema_revision(connection)
        empty = not inspect(connection).get_table_names()
    if empty and manifest.schema:
        db.upgrade(url, manifest.schema)
    elif current != manifest.schema:
        raise BackupError(f"De database heeft schemaversie {current} en de back-up {manifest.schema}: herstel "
                          "in een lege database of breng de schema's eerst gelijk (gebiedsatlas migrate).")
    with engine.connect() as connection, connection.begin():
        tables = _tables(connection)
        quoted = ", ".join(f'"{t.name}"' for t in tables)
        for table in tables:  # the append-only triggers of the audit log, for the owner's own load only
            connection.exec_driver_sql(f'ALTER TABLE "{table.name}" DISABLE TRIGGER USER')
        connection.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        _copy_logical(connection, source, {t.name: t for t in tables})
        for table in tables:
            for column in table.primary_key.columns:
                sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                             {"t": f'"{table.name}"', "c": column.name})
                if sequence:
                    connection.execute(text(f'SELECT setval(:s, COALESCE((SELECT max("{column.name}") FROM '
                                            f'"{table.name}"), 1), (SELECT count(*) > 0 FROM "{table.name}"))'),
                                       {"s": sequence})
            connection.exec_driver_sql(f'ALTER TABLE "{table.name}" ENABLE TRIGGER USER')


def _copy_logical(connection: Connection, source: Path, tables: dict[str, Table]) -> None:
    """COPY each section of the dump into its table, streaming (a national table never sits in memory)."""
    cursor = connection.connection.dbapi_connection.cursor()
    with gzip.open(source, "rb") as handle, ExitStack() as section:
        if orjson.loads(handle.readline()).get("gebiedsatlas_logical_dump") != 1:
            raise BackupError(f"{source} is geen logische dump van de Gebiedsatlas.")
        copy, types = None, []
        for line in handle:
            if line.startswith(b"  "):
                copy.write_row([_copy_value(v, t) for v, t in zip(orjson.loads(line), types, strict=True)])
                continue
            section.close()
            header = orjson.loads(line)
            table = tables[header["table"]]
            types = [table.columns[c].type for c in header["columns"]]
            columns = ", ".join(f'"{c}"' for c in header["columns"])
            copy = section.enter_context(cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN'))


def describe(manifest: Manifest) -> str:
    """A short Dutch summary: tables, rows, schema."""
    rows = f"{manifest.rows:,}".replace(",", ".")
    return f"{len(manifest.tables)} tabellen, {rows} rijen" + (f", schema {manifest.schema}" if manifest.schema else "")
