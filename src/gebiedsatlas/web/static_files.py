"""Static files served gzipped from memory.

Starlette's ``StaticFiles`` + the app's ``GZipMiddleware`` compress every text file on every request
(the NL Design System CSS alone is ~600 KB): on a busy single-process server that delays the first
paint of every page. Here each file is compressed once (per file version) and kept in memory.
"""

from __future__ import annotations

import gzip
import threading

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/geo+json")
_MIN_SIZE = 1024
# Vendored assets only change with a new release of the app; our own CSS/JS revalidate (ETag).
_VENDOR_CACHE = "public, max-age=604800"
_OWN_CACHE = "no-cache"


class CompressedStaticFiles(StaticFiles):
    """``StaticFiles`` that answers ``Accept-Encoding: gzip`` with a compressed copy kept in memory."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._gzipped: dict[tuple[str, int, int], bytes] = {}
        self._lock = threading.Lock()

    def _compressed(self, response: FileResponse) -> bytes:
        stat = response.stat_result
        key = (str(response.path), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            body = self._gzipped.get(key)
        if body is None:
            with open(response.path, "rb") as handle:
                body = gzip.compress(handle.read(), compresslevel=9, mtime=0)
            with self._lock:
                self._gzipped[key] = body
        return body

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        cache = _VENDOR_CACHE if path.startswith("vendor/") else _OWN_CACHE
        response.headers["Cache-Control"] = cache
        if not isinstance(response, FileResponse) or response.status_code != 200:
            return response
        media_type = response.media_type or ""
        if (not media_type.startswith(_COMPRESSIBLE) or response.stat_result.st_size < _MIN_SIZE
                or "gzip" not in Headers(scope=scope).get("accept-encoding", "")):
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower() in ("etag", "last-modified")}
        # Content-Encoding set here makes the GZip middleware pass the body through untouched.
        headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding", "Cache-Control": cache})
        return Response(self._compressed(response), media_type=media_type, headers=headers)
