"""Downloading published files into an on-disk cache that survives interruptions.

Every response is stored under ``var/cache/<source>/...`` next to a sidecar ``<file>.meta.json`` with
the source URL, the retrieval time, the HTTP status and the size. A download is written to
``<file>.part`` first and renamed into place only when it is complete and valid, so an interrupted
run never leaves a half file that looks finished; the next run skips every file that is already
there and continues where the previous one stopped.

Network errors are retried with exponential backoff. When a source stays unreachable, or answers
with something that is not its published format, ``SourceUnavailable`` / ``SourceFormatChanged``
carry a Dutch message for the user. Fetching never touches the store: the atlas keeps serving the
data of the last import until ``gebiedsatlas import --cache`` succeeds.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from gebiedsatlas.config import REPO_DIR

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRIES = 4  # attempts after the first one
BACKOFF_SECONDS = 1.0  # 1, 2, 4, 8 s between attempts
USER_AGENT = "gebiedsatlas (New Town Alliantie; +https://github.com/)"
KEEP_SERVING = "De atlas blijft de gegevens van de vorige import tonen."


def default_cache_dir() -> Path:
    """``GEBIEDSATLAS_CACHE_DIR`` or ``var/cache`` in the repository."""
    return Path(os.environ.get("GEBIEDSATLAS_CACHE_DIR", REPO_DIR / "var" / "cache"))


class FetchError(RuntimeError):
    """A download that did not succeed; the message is Dutch and says what the user can do."""


class SourceUnavailable(FetchError):
    def __init__(self, source: str, url: str, reason: str) -> None:
        self.source, self.url, self.reason = source, url, reason
        super().__init__(
            f"{source} is niet bereikbaar ({reason}) bij {url}. Probeer het later opnieuw; wat al "
            f"is opgehaald blijft bewaard en wordt niet opnieuw gedownload. {KEEP_SERVING}"
        )


class SourceFormatChanged(FetchError):
    def __init__(self, source: str, url: str, problem: str) -> None:
        self.source, self.url, self.problem = source, url, problem
        super().__init__(
            f"{source} gaf een antwoord in een onverwacht formaat bij {url}: {problem}. Mogelijk is "
            f"het formaat van de bron veranderd; het antwoord is niet bewaard. {KEEP_SERVING}"
        )


Validator = Callable[[bytes], None]  # raises ValueError with a Dutch problem description


def validate_json(require: tuple[str, ...] = ()) -> Validator:
    """A validator: the body is a JSON object with the keys in ``require``."""

    def check(body: bytes) -> None:
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"geen geldige JSON ({exc.msg if hasattr(exc, 'msg') else exc})") from None
        if not isinstance(data, dict):
            raise ValueError("verwacht een JSON-object")
        missing = [k for k in require if k not in data]
        if missing:
            raise ValueError(f"veld {missing[0]!r} ontbreekt (gevonden: {', '.join(list(data)[:6])})")

    return check


@dataclass
class Fetcher:
    """Downloads into ``cache_dir``; ``client`` can be given a ``httpx.MockTransport`` in tests."""

    cache_dir: Path = field(default_factory=default_cache_dir)
    client: httpx.Client | None = None
    retries: int = RETRIES
    backoff: float = BACKOFF_SECONDS
    progress: object | None = None  # a rich.progress.Progress, or None for silent runs
    sleep: Callable[[float], None] = time.sleep
    downloaded: list[str] = field(default_factory=list)  # URLs fetched over the network this run
    reused: list[str] = field(default_factory=list)  # URLs answered from the cache

    def __post_init__(self) -> None:
        self.cache_dir = Path(self.cache_dir)
        if self.client is None:
            self.client = httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=True,
                                       headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self.client.close()

    def path(self, relative: str) -> Path:
        return self.cache_dir / relative

    @staticmethod
    def meta_path(path: Path) -> Path:
        return path.with_name(path.name + ".meta.json")

    def cached(self, relative: str) -> bool:
        """True when the file and its sidecar are complete in the cache."""
        path = self.path(relative)
        return path.exists() and self.meta_path(path).exists()

    def get(self, source: str, url: str, relative: str, *, params: dict | None = None,
            validate: Validator | None = None, label: str | None = None, headers: dict | None = None,
            record_url: str | None = None) -> Path:
        """The cached file for ``url`` (downloaded first when it is not in the cache yet).

        ``headers`` (e.g. an API key) are sent but never stored; ``record_url`` is written to the
        sidecar instead of the URL when that URL is temporary or signed.
        """
        path = self.path(relative)
        if self.cached(relative):
            self.reused.append(url)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        response = self._download(source, url, params, part, label or relative, headers)
        if validate is not None:
            try:
                validate(part.read_bytes())
            except ValueError as exc:
                part.unlink(missing_ok=True)
                raise SourceFormatChanged(source, str(response.url), str(exc)) from None
        meta = {
            "source": source,
            "url": record_url or str(response.url),
            "retrieved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "status": response.status_code,
            "bytes": part.stat().st_size,
            "content_type": response.headers.get("content-type"),
        }
        # Sidecar first, then the atomic rename: a file without its sidecar is never trusted.
        meta_part = self.meta_path(path).with_name(self.meta_path(path).name + ".part")
        meta_part.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        os.replace(part, path)
        os.replace(meta_part, self.meta_path(path))
        self.downloaded.append(record_url or str(response.url))
        return path

    def _download(self, source: str, url: str, params: dict | None, part: Path,
                  label: str, headers: dict | None = None) -> httpx.Response:
        reason = "onbekende fout"
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                with self.client.stream("GET", url, params=params, headers=headers) as response:
                    if response.status_code >= 500 or response.status_code == 429:
                        reason = f"HTTP {response.status_code}"
                        continue
                    if response.status_code >= 400:
                        shown = str(response.url) if headers is None else str(response.url.copy_with(query=None))
                        raise SourceUnavailable(source, shown, f"HTTP {response.status_code}")
                    total = int(response.headers.get("content-length") or 0) or None
                    task = self._task(label, total)
                    with part.open("wb") as fh:
                        for chunk in response.iter_bytes(64 * 1024):
                            fh.write(chunk)
                            self._advance(task, len(chunk))
                    self._finish(task)
                    return response
            except httpx.TransportError as exc:  # connect/read timeouts, refused, reset, …
                part.unlink(missing_ok=True)
                reason = type(exc).__name__
        raise SourceUnavailable(source, str(httpx.URL(url, params=params)),
                                f"{reason}, {self.retries + 1} pogingen")

    # Rich progress: one bar per download.
    def _task(self, label: str, total: int | None):
        if self.progress is None:
            return None
        return self.progress.add_task(label, total=total)

    def _advance(self, task, amount: int) -> None:
        if task is not None:
            self.progress.update(task, advance=amount)

    def _finish(self, task) -> None:
        if task is not None:
            done = next(t.completed for t in self.progress.tasks if t.id == task)
            self.progress.update(task, total=done, visible=False)


def fetch_pages(fetcher: Fetcher, source: str, url: str | None, params: dict | None, scope: str, *,
                validate: Validator | None = None,
                next_of: Callable[[dict], str | None] | None = None) -> list[Path]:
    """Follow the next links from page to page (``next_of(page)``, by default ``odata.nextLink``).

    Each page is cached as ``{scope}/page-NNNN.json``. A page already cached is read from disk to find
    the next link, so an interrupted fetch resumes at the first page that is missing.
    ``complete.json`` marks a scope whose last page is stored.
    """
    next_of = next_of or (lambda page: page.get("odata.nextLink") or page.get("@odata.nextLink"))
    pages = []
    number = 1
    while url:
        path = fetcher.get(source, url, f"{scope}/page-{number:04d}.json", params=params,
                           validate=validate, label=f"{source}: {scope} pagina {number}")
        pages.append(path)
        url, params = next_of(read_json(path)), None  # the next link carries its own query
        number += 1
    marker = fetcher.path(f"{scope}/complete.json")
    marker.write_text(json.dumps({"pages": len(pages)}), encoding="utf-8")
    return pages


def page_files(scope: Path) -> list[Path]:
    """The cached pages of a paged download, in order (sidecars excluded)."""
    return sorted(scope.glob("page-[0-9][0-9][0-9][0-9].json"))


def read_json(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def read_meta(path: Path) -> dict:
    """The sidecar of a cached file (URL, retrieval time, status)."""
    return read_json(Fetcher.meta_path(path))
