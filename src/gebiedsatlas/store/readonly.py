"""A read-only SQLite store still serves reads.

An SQLite file (or its folder) that this process may not write — a read-only mount, a file owned by
another user, a copy on a read-only medium — cannot be opened the ordinary way: the store runs in WAL
mode, and even a reader needs the ``-wal`` and ``-shm`` files beside the database, and the connection
pragmas would write. ``read_only_engine`` opens such a store read-only instead:

- ``mode=ro`` when SQLite can still create or use the ``-shm``/``-wal`` files (a read-only file in a
  writable folder, or a server that left them behind);
- else ``immutable=1`` (a read-only folder without them): SQLite reads the file without any locking.
  That is only right when nothing changes the file meanwhile — true for a read-only mount — and it
  is refused when a non-empty ``-wal`` holds committed changes that ``immutable`` would not see.

``is_read_only(url)`` then tells the web app to answer writes with 503 ("de database is
alleen-lezen", ``web/readonly.py``) and to skip the small writes some reads do (the last use of an API
token, seeding the parties). The mode is decided when the engine is made (once per process): after
making the store writable again, restart the server.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

logger = logging.getLogger("gebiedsatlas.store")

_read_only: set[str] = set()


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (None for other databases, in-memory and URI-style SQLite URLs)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return None
    return Path(database)


def writable(path: Path) -> bool:
    """May this process write the store: the file, and the folder or else both WAL files beside it."""
    if not os.access(path, os.W_OK):
        return False
    if os.access(path.parent, os.W_OK):
        return True
    return all(os.access(path.with_name(path.name + suffix), os.W_OK) for suffix in ("-wal", "-shm"))


def _committed_in_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def read_only_engine(url: str) -> Engine | None:
    """An engine that opens the SQLite store at ``url`` read-only, when it exists and this process may
    not write it; None otherwise (the ordinary engine applies)."""
    _read_only.discard(url)
    path = sqlite_file(url)
    if path is None or not path.exists() or writable(path):
        return None
    for option in ("mode", "immutable"):
        if option == "immutable" and _committed_in_wal(path):
            break
        query = {"mode": "ro", "uri": "true"} if option == "mode" else {"immutable": "1", "uri": "true"}
        engine = create_engine(URL.create("sqlite", database=f"file:{quote(str(path.resolve()))}", query=query))

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
            dbapi_connection.execute("PRAGMA query_only = ON")

        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
        except DBAPIError:
            engine.dispose()
            continue
        _read_only.add(url)
        logger.info("De database %s is alleen-lezen: de atlas toont de gegevens, wijzigen kan niet (%s).",
                       path, "mode=ro" if option == "mode" else "immutable")
        return engine
    return None


def is_read_only(url: str) -> bool:
    """Whether the store at ``url`` was opened read-only by this process (see ``read_only_engine``)."""
    from gebiedsatlas.store import db

    db.get_engine(url)
    return url in _read_only
