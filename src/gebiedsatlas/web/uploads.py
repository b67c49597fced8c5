"""Receiving a file upload as a stream: to a file on disk, with a size cap, the CSRF token checked on the way.

Starlette's ``request.form()`` reads the whole body before a route sees any of it (a 500 MB upload is
read, and spooled to disk, before it can be refused). ``receive_upload`` parses the multipart body from
``request.stream()`` itself, with python-multipart's streaming parser:

- a ``Content-Length`` that announces more than the cap is refused before the body is read;
- the file part is written to disk chunk by chunk; reading stops as soon as the cap is passed (the
  answer then carries ``Connection: close``, so the server does not read the rest either);
- the form's CSRF token is checked when it arrives, before any byte of the file is accepted. The guard
  of the route (``Permit(..., streamed=True)``, ``web/auth.py``) checks the origin but leaves the token
  of a form post pending rather than reading the body; the upload form puts ``csrf_token`` before the
  file field, and browsers send fields in document order (a client may also send the token in the
  ``X-CSRF-Token`` header). Tokens never go in the URL, where logs and referrers would keep them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from gebiedsatlas.web.auth import CSRF_FIELD, check_streamed_csrf

# Room for the boundaries, part headers and small fields next to the file.
MULTIPART_OVERHEAD = 64 * 1024
MAX_FIELD_BYTES = 4 * 1024
MAX_PARTS = 10


class UploadRefused(Exception):
    """An upload that is not accepted: HTTP status and a Dutch message for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Upload:
    """A received file: where it was written, the name the browser gave it, its size, the other fields."""

    path: Path
    filename: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)


def too_large(max_bytes: int) -> UploadRefused:
    return UploadRefused(413, f"Het bestand is te groot: de grens voor een upload is {max_bytes / 2**20:g} MB. "
                              "Verdeel de gegevens over meerdere bestanden.")


def _safe_filename(raw: str) -> str:
    """The base name only (some browsers send a path), without control characters, at most 200 characters."""
    name = re.split(r"[\\/]", raw)[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", name).strip()[:200]


class _Receiver:
    """The parser's callbacks: field values in memory (small), the one file part to ``destination``."""

    def __init__(self, request: Request, file_field: str, destination: Path, max_bytes: int) -> None:
        self.request = request
        self.file_field = file_field
        self.destination = destination
        self.max_bytes = max_bytes
        self.fields: dict[str, str] = {}
        self.parts = 0
        self.header_name = b""
        self.header_value = b""
        self.disposition = b""
        self.name = ""
        self.value = bytearray()
        self.file = None
        self.filename: str | None = None
        self.size = 0

    def callbacks(self) -> dict:
        return {"on_part_begin": self.on_part_begin, "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end, "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished}

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise UploadRefused(400, "Het formulier heeft te veel velden.")
        self.disposition, self.name, self.value = b"", "", bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _kind, options = parse_options_header(self.disposition)
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in options:
            return
        if self.name != self.file_field or self.filename is not None:
            raise UploadRefused(400, "Verstuur één bestand met het formulier op deze pagina.")
        # The token came before the file, or the file is not accepted (see the module docstring).
        check_streamed_csrf(self.request, self.fields.get(CSRF_FIELD))
        self.filename = _safe_filename(options[b"filename"].decode("utf-8", "replace"))
        self.file = os.fdopen(os.open(self.destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.file is not None and self.name == self.file_field and self.filename is not None:
            self.size += end - start
            if self.size > self.max_bytes:
                raise too_large(self.max_bytes)
            self.file.write(data[start:end])
        else:
            self.value += data[start:end]
            if len(self.value) > MAX_FIELD_BYTES:
                raise UploadRefused(400, "Een veld van het formulier is te lang.")

    def on_part_end(self) -> None:
        if self.file is not None and self.name == self.file_field:
            self.file.close()
            self.file = None
        elif self.name:
            self.fields[self.name] = self.value.decode("utf-8", "replace")

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        self.destination.unlink(missing_ok=True)


async def receive_upload(request: Request, *, file_field: str, destination: Path, max_bytes: int) -> Upload | None:
    """Read a multipart form with one file (``file_field``) into ``destination``; None when no file was
    chosen. Raises ``UploadRefused`` (too large, not a form) or the guard's 403 (token)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes + MULTIPART_OVERHEAD:
        raise too_large(max_bytes)
    kind, params = parse_options_header(request.headers.get("content-type"))
    if kind != b"multipart/form-data" or not params.get(b"boundary"):
        raise UploadRefused(400, "Verstuur het bestand met het formulier op deze pagina.")
    receiver = _Receiver(request, file_field, destination, max_bytes)
    received = 0
    try:
        parser = MultipartParser(params[b"boundary"], receiver.callbacks())
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes + MULTIPART_OVERHEAD:
                raise too_large(max_bytes)
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        receiver.discard()
        raise UploadRefused(400, "Het formulier kon niet worden gelezen. Probeer het nog eens.") from None
    except ClientDisconnect:
        receiver.discard()
        raise UploadRefused(400, "De verbinding werd verbroken voordat het bestand binnen was.") from None
    except BaseException:
        receiver.discard()
        raise
    check_streamed_csrf(request, receiver.fields.get(CSRF_FIELD))  # a form without a file part
    if receiver.filename is None or (not receiver.filename and not receiver.size):
        receiver.discard()
        return None
    return Upload(destination, receiver.filename or "werkboek.xlsx", receiver.size, receiver.fields)
