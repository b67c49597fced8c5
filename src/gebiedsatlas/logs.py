"""Logging for ``gebiedsatlas serve``: every ``gebiedsatlas.*`` logger (the access log
``gebiedsatlas.access`` included) and uvicorn's own loggers write to stderr, as JSON lines (one JSON
object per line, for a log collector) or as plain text.

``GEBIEDSATLAS_LOG_FORMAT`` = ``json`` (default) or ``text``; ``GEBIEDSATLAS_LOG_LEVEL`` = ``INFO``
(default), ``WARNING``, … The configuration is a ``logging.config.dictConfig`` dictionary, which
``serve`` also hands to uvicorn (``log_config``) so that every worker process uses it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

LOG_FORMATS = ("json", "text")
DEFAULT_LOG_FORMAT = "json"
DEFAULT_LOG_LEVEL = "INFO"

# Attributes every LogRecord has; anything else on a record came in through ``extra=`` and is a field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# uvicorn repeats its message with terminal colour codes in this extra attribute.
_DROPPED = frozenset({"color_message"})


def _iso_time(created: float) -> str:
    return datetime.fromtimestamp(created, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``pid`` (which
    worker process), ``message``, the record's ``extra=`` fields, and ``exception`` with the traceback
    when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": _iso_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in _DROPPED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2025-01-31T09:30:00.123Z INFO gebiedsatlas.access: 127.0.0.1 "GET /kaart" 200 12.3 ms``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return _iso_time(record.created)


def normalise_format(value: str | None) -> str:
    """``json`` or ``text`` (case-insensitive); empty means the default, ``json``."""
    value = (value or DEFAULT_LOG_FORMAT).strip().lower()
    if value not in LOG_FORMATS:
        raise ValueError(f"onbekend logformaat {value!r}: kies json of text")
    return value


def logging_config(log_format: str = DEFAULT_LOG_FORMAT, level: str = DEFAULT_LOG_LEVEL) -> dict:
    """The ``dictConfig`` of the server: the app's and uvicorn's loggers to stderr in ``log_format``.

    uvicorn's own access log is off: ``gebiedsatlas.access`` (``web/access_log.py``) replaces it.
    Other libraries' loggers go through the root logger, at WARNING and up.
    """
    log_format = normalise_format(log_format)
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "gebiedsatlas.logs.JsonFormatter"},
            "text": {"()": "gebiedsatlas.logs.TextFormatter"},
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": log_format},
        },
        "loggers": {
            "gebiedsatlas": {"level": level, "handlers": ["stderr"], "propagate": False},
            "uvicorn": {"level": level, "handlers": ["stderr"], "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
    }
