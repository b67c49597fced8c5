"""In-memory cache of finished response bodies, with gzip, ETag and conditional requests.

Big, repeatable responses (GeoJSON of all wijken: ~2.8 MB, ~0.9 s to assemble) are built once per
store and import run, compressed once, and answered from memory afterwards; a client that already
has the body gets ``304 Not Modified``.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.store.models import ImportRun

_MAX_ENTRIES = 48


@dataclass(frozen=True)
class CachedBody:
    etag: str
    raw: bytes
    gzipped: bytes


_entries: OrderedDict[tuple, CachedBody] = OrderedDict()
_lock = threading.Lock()


def _store_version(session: Session) -> int | None:
    return session.scalar(select(func.max(ImportRun.id)))


def cached_body(session: Session, key: tuple, build: Callable[[], str | bytes]) -> CachedBody:
    """The body for ``key`` in the current import run of this store, built by ``build`` on a miss."""
    full_key = (str(session.get_bind().url), _store_version(session), *key)
    with _lock:
        hit = _entries.get(full_key)
        if hit is not None:
            _entries.move_to_end(full_key)
            return hit
    body = build()
    raw = body.encode() if isinstance(body, str) else body
    entry = CachedBody(etag='"' + hashlib.sha1(raw).hexdigest()[:20] + '"', raw=raw,
                       gzipped=gzip.compress(raw, compresslevel=6, mtime=0))
    with _lock:
        _entries[full_key] = entry
        while len(_entries) > _MAX_ENTRIES:
            _entries.popitem(last=False)
    return entry


def cached_response(request: Request, session: Session, key: tuple, build: Callable[[], str | bytes],
                    media_type: str) -> Response:
    """A response served from the cache: gzip when accepted, 304 when the client's ETag matches.

    ``Cache-Control: no-cache`` makes browsers revalidate (cheap) so a new import shows at once.
    """
    entry = cached_body(session, key, build)
    headers = {"ETag": entry.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if entry.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        # Content-Encoding set here makes the GZip middleware pass the body through untouched.
        return Response(entry.gzipped, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(entry.raw, media_type=media_type, headers=headers)


def clear() -> None:
    """Forget all cached bodies (tests; after data changes outside an import run)."""
    with _lock:
        _entries.clear()
