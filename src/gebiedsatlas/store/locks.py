"""One import (or restore) at a time per store.

Two imports at once would each prepare their data and then wait for the other's write lock; the
second could only fail with "database is locked" after the busy timeout. Instead each import and each
restore takes this lock first and a second one is refused at once (``StoreBusy``: "er loopt al een
import"):

- SQLite: an exclusive ``flock`` on ``<database file>.lock`` beside the store;
- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection held for the
  duration.

Both are released by the operating system or the server when the process ends, also after
``kill -9``: a lock is never left behind.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from gebiedsatlas.store.faults import StoreBusy, StoreReadOnly

# pg_try_advisory_lock(bigint): a fixed key for "the import of gebiedsatlas" in this database.
ADVISORY_KEY = 0x6761_7469_6D70  # "gatimp"


def lock_path(url: str) -> Path | None:
    """The lock file of an SQLite store, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    database = parsed.database.removeprefix("file:").split("?", 1)[0]
    return Path(database).with_name(Path(database).name + ".lock")


@contextmanager
def import_lock(url: str) -> Iterator[None]:
    """Hold the store's import lock, or raise ``StoreBusy`` when another process has it."""
    path = lock_path(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise StoreReadOnly(str(path)) from exc
            raise
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreBusy() from None
            yield
        finally:
            os.close(handle)  # closing releases the lock
        return
    if make_url(url).get_backend_name() == "postgresql":
        from gebiedsatlas.store import db

        with db.get_engine(url).connect() as connection:
            if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}):
                raise StoreBusy()
            connection.commit()
            try:
                yield
            finally:
                # A broken connection has lost the lock already; its error must not hide the first one.
                with suppress(DBAPIError):
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                    connection.commit()
        return
    yield
