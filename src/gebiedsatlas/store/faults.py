"""What went wrong with the store, in one Dutch sentence that says what to do.

The command line (``cli.py``) and the web app (``web/errors.py``) show these sentences instead of a
traceback or a driver message with SQL and parameters. ``describe`` recognises the faults an operator
can do something about — the database is busy (another import), the disk is full, the database file or
its folder is read-only, PostgreSQL cannot be reached or refuses the login — and returns None for
anything else (a bug: that keeps its traceback in the log).
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError


class StoreBusy(RuntimeError):
    """Another import or restore holds the store's lock (``store/locks.py``)."""

    def __init__(self, message: str = "Er loopt al een import of herstel op deze database: wacht tot die klaar "
                                      "is en probeer het dan opnieuw.") -> None:
        super().__init__(message)


class StoreReadOnly(RuntimeError):
    """A write to a store that this process may not write (its lock file could not be made)."""


@dataclass(frozen=True)
class Fault:
    """A recognised fault: its kind (``busy``, ``full``, ``read_only``, ``unreachable``, ``login``,
    ``io``) and the sentence for the operator."""

    kind: str
    message: str


BUSY = "busy"
FULL = "full"
READ_ONLY = "read_only"
UNREACHABLE = "unreachable"
LOGIN = "login"
IO = "io"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the driver error it wraps, and its causes."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]


def _where(url: str | None) -> str:
    """The database without its password: the SQLite file, or host:port/database of PostgreSQL."""
    if not url:
        return "de database"
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "de database"
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or "de database"
    host = parsed.host or "localhost"
    return f"{host}:{parsed.port or 5432}/{parsed.database or ''}"


def _read_only(where: str) -> Fault:
    return Fault(READ_ONLY, f"De database {where} is alleen-lezen: maak het bestand en zijn map schrijfbaar voor "
                            "deze gebruiker (of voer deze opdracht uit op een schrijfbare kopie).")


def _sqlite(exc: sqlite3.Error, where: str, writable: bool) -> Fault | None:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text or "is locked" in text:
        return Fault(BUSY, f"De database {where} is bezet (er loopt al een import of een andere schrijvende "
                           "opdracht): wacht tot die klaar is en probeer het dan opnieuw.")
    if name == "SQLITE_FULL" or "database or disk is full" in text:
        return Fault(FULL, f"De schijf van {where} is vol: maak ruimte vrij en probeer het opnieuw; de "
                           "onderbroken opdracht heeft niets half opgeslagen.")
    if name.startswith("SQLITE_READONLY") or "readonly database" in text or "read-only" in text \
            or (name.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text) and not writable:
        return _read_only(where)
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text:
        return Fault(READ_ONLY, f"De database {where} kan niet worden geopend: controleer of de map bestaat en "
                                "of het bestand en de map schrijfbaar zijn voor deze gebruiker.")
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        return Fault(IO, f"Lezen of schrijven van {where} mislukte (schijffout, of een te groot bestand voor de "
                         "bestandslimiet): controleer de schijf en de vrije ruimte en probeer het opnieuw.")
    return None


# SQLSTATEs of PostgreSQL (https://www.postgresql.org/docs/current/errcodes-appendix.html)
_PG_STATES = {
    "53100": FULL,          # disk_full
    "25006": READ_ONLY,     # read_only_sql_transaction
    "55P03": BUSY,          # lock_not_available
    "40P01": BUSY,          # deadlock_detected
    "57014": BUSY,          # query_canceled (lock_timeout / statement_timeout)
    "28P01": LOGIN,         # invalid_password
    "28000": LOGIN,         # invalid_authorization_specification
    "3D000": LOGIN,         # invalid_catalog_name: the database does not exist
    "57P01": UNREACHABLE,   # admin_shutdown
    "57P03": UNREACHABLE,   # cannot_connect_now (starting up, shutting down)
}


def _postgres(exc: Exception, where: str) -> Fault | None:
    state = getattr(exc, "sqlstate", None)
    kind = _PG_STATES.get(state or "")
    if kind is None and state is None and type(exc).__name__ == "OperationalError":
        text = str(exc).lower()
        if any(word in text for word in ("connection", "connect", "server closed", "timeout expired",
                                         "could not translate host name", "name or service not known")):
            kind = UNREACHABLE
    messages = {
        FULL: f"De schijf van de PostgreSQL-server ({where}) is vol: maak daar ruimte vrij en probeer het opnieuw.",
        READ_ONLY: f"De database {where} is alleen-lezen (een standby of default_transaction_read_only): "
                   "gebruik de primaire server.",
        BUSY: f"De database {where} is bezet (er loopt al een import of een andere schrijvende opdracht): wacht "
              "tot die klaar is en probeer het dan opnieuw.",
        LOGIN: f"PostgreSQL ({where}) weigert de aanmelding of kent deze database niet: controleer gebruiker, "
               "wachtwoord en databasenaam in GEBIEDSATLAS_DATABASE_URL.",
        UNREACHABLE: f"PostgreSQL is niet bereikbaar op {where}: controleer of de databaseserver draait en of "
                     "GEBIEDSATLAS_DATABASE_URL klopt.",
    }
    return Fault(kind, messages[kind]) if kind else None


def _os(exc: OSError) -> Fault | None:
    where = exc.filename or "een bestand"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Fault(FULL, f"De schijf is vol (bij {where}): maak ruimte vrij en probeer het opnieuw.")
    if exc.errno == errno.EFBIG:
        return Fault(FULL, f"{where} wordt groter dan de bestandslimiet toestaat: verhoog de limiet of kies "
                           "een andere schijf.")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return Fault(READ_ONLY, f"{where} is alleen-lezen of niet toegankelijk voor deze gebruiker: controleer "
                                "de rechten of kies een schrijfbare plek.")
    return None


def _sqlite_writable(url: str | None) -> bool:
    """False when the store's SQLite file exists and this process may not write it (store/readonly.py)."""
    from gebiedsatlas.store.readonly import sqlite_file, writable

    path = sqlite_file(url) if url else None
    return path is None or not path.exists() or writable(path)


def classify(exc: BaseException, url: str | None = None) -> Fault | None:
    """The recognised fault behind ``exc`` (looking through SQLAlchemy's wrapper and the causes), or None."""
    where = _where(url)
    for item in _chain(exc):
        if isinstance(item, StoreBusy):
            return Fault(BUSY, str(item))
        if isinstance(item, StoreReadOnly):
            return _read_only(where)
        fault = None
        if isinstance(item, sqlite3.Error):
            fault = _sqlite(item, where, _sqlite_writable(url))
        elif type(item).__module__.startswith("psycopg"):
            fault = _postgres(item, where)
        elif isinstance(item, OSError):
            fault = _os(item)
        if fault is not None:
            return fault
    return None


def describe(exc: BaseException, url: str | None = None) -> str | None:
    """One Dutch sentence for a recognised fault, or None."""
    fault = classify(exc, url)
    return fault.message if fault else None


def is_database_error(exc: BaseException) -> bool:
    """A driver error (whose text may hold SQL and parameters): never shown as it is."""
    return any(isinstance(item, DBAPIError | sqlite3.Error) for item in _chain(exc))
