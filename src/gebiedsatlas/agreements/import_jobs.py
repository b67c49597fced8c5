"""Excel uploads imported as background jobs, so a big workbook never holds up the web server.

The upload route stores the file and calls ``submit``; the person is sent to the job's page, which
shows its progress and then the result or every error (``excel.import_workbook``: all or nothing).

- **Where**: a folder per store in the system's temporary directory (``JobStore``, mode 0700): per job
  ``<id>.xlsx`` (the upload, removed when the job ends) and ``<id>.json`` (its state, replaced whole
  on every change). Every worker process of the server on this machine can therefore show any job.
  Jobs older than a day are removed when a new one starts.
- **How**: one import at a time per server process (a queue and a thread), each in a child process of
  its own (``forkserver``: the modules are loaded once; the memory of a big import goes back to the
  system when it ends; other requests keep the server's cores and event loop). The child uses its own
  database session, with the actor and principal of the login that uploaded the file, so every row
  passes the permission checks of the upload as before. A job whose process has gone (a restart, a
  crash) is shown as stopped; its transaction never committed, so nothing of it was imported.
- **Who**: only the person who started a job may see it (``JobStore.load(..., user_id)``); anyone
  else gets "not found".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import multiprocessing
import os
import queue
import re
import secrets
import stat
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gebiedsatlas.accounts import audit
from gebiedsatlas.accounts.audit import Actor
from gebiedsatlas.accounts.permissions import Action
from gebiedsatlas.accounts.principal import Principal
from gebiedsatlas.agreements import excel

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "wachtrij", "bezig", "klaar", "mislukt"
FINISHED = (DONE, FAILED)
MAX_LISTED_ERRORS = 1_000  # on the page; the count says how many there were in all
MAX_OPEN_PER_USER = 2
KEEP_SECONDS = 24 * 3600
PROGRESS_EVERY = 0.5  # seconds between two writes of the state
LOCK_RETRIES = 3  # SQLite: another writer committed while the import validated (all or nothing: safe to redo)
_ID = re.compile(r"[A-Za-z0-9_-]{20,64}")

STOPPED = ("Het inlezen is afgebroken (de server is opnieuw gestart of het proces stopte); er is niets "
           "ingelezen. Lees het bestand opnieuw in.")
CRASHED = ("Er ging iets mis bij het inlezen; er is niets ingelezen. Probeer het opnieuw of neem contact op met "
           "de beheerder.")


@dataclass
class Job:
    """The state of one import, as stored in its JSON file."""

    id: str
    user_id: int
    filename: str
    state: str = QUEUED
    phase: str = ""
    done: int = 0
    total: int | None = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    pid: int = 0
    started: float | None = None
    ended: float | None = None
    summary: dict | None = None
    errors: list = field(default_factory=list)
    error_count: int = 0

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def label(self) -> str:
        """What is happening, in one Dutch sentence (the page's live region)."""
        if self.state == QUEUED:
            return "In de wachtrij: het inlezen begint zodra een eerdere import klaar is."
        if self.state == DONE:
            return "Klaar: alles is ingelezen."
        if self.state == FAILED:
            return f"Niets ingelezen: {self.error_count} fout{'en' if self.error_count != 1 else ''}."
        return {"lezen": "Het bestand wordt gelezen.", "controleren": "Elke rij wordt gecontroleerd.",
                "opslaan": "De gegevens worden opgeslagen."}.get(self.phase, "Het inlezen is begonnen.")

    @property
    def count(self) -> str:
        """How far it is, e.g. "12.000 van 100.000 rijen gecontroleerd"."""
        if self.state != RUNNING or not self.done:
            return ""
        if self.phase == "lezen":
            return f"{excel._number(self.done)} rijen gelezen"
        if self.phase == "opslaan":
            return f"{excel._number(self.total or self.done)} rijen"
        return f"{excel._number(self.done)} van {excel._number(self.total or self.done)} rijen gecontroleerd"

    @property
    def seconds(self) -> float | None:
        """How long the import itself took (from the start of reading to the result)."""
        return self.ended - self.started if self.started and self.ended else None

    def status(self) -> dict:
        """What the page's script polls for."""
        return {"state": self.state, "finished": self.finished, "phase": self.phase, "label": self.label,
                "count": self.count, "done": self.done, "total": self.total, "seconds": self.seconds}


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobStore:
    """The job folder of one store (database URL) on this machine."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def for_store(cls, database_url: str) -> JobStore:
        key = hashlib.sha256(database_url.encode()).hexdigest()[:16]
        uid = os.getuid() if hasattr(os, "getuid") else 0
        folder = Path(tempfile.gettempdir()) / f"gebiedsatlas-imports-{uid}-{key}"
        folder.mkdir(mode=0o700, exist_ok=True)
        # The name is predictable and the temporary directory shared: use only a real folder of our own
        # that nobody else can read or write (not one another user made, nor a link to one).
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != uid) or info.st_mode & 0o077:
            raise RuntimeError(f"{folder} is geen eigen, afgeschermde map; verwijder hem of kies een andere TMPDIR.")
        return cls(folder)

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(24)

    def upload_path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.xlsx"

    def _state_path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.json"

    def save(self, job: Job) -> None:
        job.updated = time.time()
        path = self._state_path(job.id)
        temporary = path.with_name(f".{job.id}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_text(json.dumps(asdict(job), ensure_ascii=False))
        os.replace(temporary, path)

    def load(self, job_id: str, user_id: int | None = None, *, as_stored: bool = False) -> Job | None:
        """The job, or None when it does not exist or (with ``user_id``) belongs to someone else. A job
        that is not finished but whose process has gone is shown as stopped (unless ``as_stored``)."""
        if not _ID.fullmatch(job_id or ""):
            return None
        try:
            job = Job(**json.loads(self._state_path(job_id).read_text()))
        except (OSError, ValueError, TypeError):
            return None
        if user_id is not None and job.user_id != user_id:
            return None
        if not as_stored and not job.finished and not _alive(job.pid):
            job.state, job.errors, job.error_count = FAILED, [STOPPED], 1
        return job

    def open_jobs(self, user_id: int) -> int:
        count = 0
        for path in self.folder.glob("*.json"):
            job = self.load(path.stem, user_id)
            count += job is not None and not job.finished
        return count

    def clean(self, keep_seconds: float = KEEP_SECONDS) -> None:
        """Remove the files of jobs older than ``keep_seconds`` (and uploads left by a stopped job)."""
        limit = time.time() - keep_seconds
        for path in self.folder.iterdir():
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < limit:
                    path.unlink()


# ---------------------------------------------------------------- running

def _context():
    """Fork server when the platform has one (children start fast, from a clean process), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


_lock = threading.Lock()
_queue: queue.Queue | None = None
_queue_pid = 0


def submit(store: JobStore, job_id: str, upload: Path, filename: str, user_id: int, actor: Actor,
           principal: Principal, database_url: str) -> Job:
    """Register the job (queued, with this process as its keeper) and queue it."""
    global _queue, _queue_pid
    store.clean()
    job = Job(id=job_id, user_id=user_id, filename=filename, pid=os.getpid())
    store.save(job)
    with _lock:
        if _queue is None or _queue_pid != os.getpid():
            _queue, _queue_pid = queue.Queue(), os.getpid()
            threading.Thread(target=_work, args=(_queue,), name="excel-import", daemon=True).start()
    _queue.put((str(store.folder), job_id, str(upload), filename, actor, principal, database_url))
    return job


def _work(jobs: queue.Queue) -> None:
    """One job after another, each in a child process; a child that dies leaves its job failed."""
    context = _context()
    while True:
        args = jobs.get()
        store, job_id = JobStore(Path(args[0])), args[1]
        try:
            process = context.Process(target=run_job, args=args, name=f"excel-import-{job_id[:8]}", daemon=True)
            process.start()
            process.join()
            exitcode = process.exitcode
        except Exception:
            logger.exception("Excel-import %s kon niet starten", job_id)
            exitcode = -1
        job = store.load(job_id, as_stored=True)
        if exitcode != 0 and job is not None and not job.finished:
            job.state, job.errors, job.error_count = FAILED, [CRASHED], 1
            store.save(job)
        Path(args[2]).unlink(missing_ok=True)


def _error_dict(error) -> dict | str:
    if isinstance(error, str):
        return error
    return {"file": error.file, "row": error.row, "column": error.column, "message": error.message,
            "expected": error.expected}


def run_job(folder: str, job_id: str, upload: str, filename: str, actor: Actor, principal: Principal,
            database_url: str) -> None:
    """The child process: import the file in its own session, writing the state as it goes."""
    from sqlalchemy.exc import OperationalError

    from gebiedsatlas.store import db

    with contextlib.suppress(OSError):
        os.nice(5)  # a background job: interactive requests first when the cores are busy
    store = JobStore(Path(folder))
    job = store.load(job_id) or Job(id=job_id, user_id=principal.user_id or 0, filename=filename)
    job.state, job.phase, job.pid, job.started = RUNNING, "lezen", os.getpid(), time.time()
    store.save(job)
    last = [0.0]

    def progress(phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if phase != job.phase or now - last[0] >= PROGRESS_EVERY:
            job.phase, job.done, job.total = phase, done, total
            store.save(job)
            last[0] = now

    try:
        for attempt in range(1, LOCK_RETRIES + 1):
            try:
                with db.session_scope(database_url) as session:
                    summary = excel.import_workbook(session, Path(upload), actor, filename, principal=principal,
                                                    progress=progress)
                break
            except OperationalError as exc:
                if attempt == LOCK_RETRIES or "locked" not in str(exc).lower():
                    raise
                time.sleep(attempt)
        job.state, job.summary = DONE, asdict(summary)
    except excel.ExcelImportError as exc:
        job.state, job.error_count = FAILED, len(exc.errors)
        job.errors = [_error_dict(e) for e in exc.errors[:MAX_LISTED_ERRORS]]
    except Exception:
        logger.exception("Excel-import %s mislukt", job_id)
        job.state, job.errors, job.error_count = FAILED, [CRASHED], 1
    finally:
        Path(upload).unlink(missing_ok=True)
    job.ended = time.time()
    store.save(job)
    if job.state == FAILED:
        # As the upload route did when it answered with the errors: an allowed write that failed.
        with contextlib.suppress(Exception):
            audit.record_separately(database_url, actor, Action.IMPORT_EXCEL.value, audit.FAILED,
                                    detail=f"Excel-import {filename!r}: {job.error_count} fout(en), niets ingelezen")
