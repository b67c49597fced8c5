"""Shared fixtures: a store imported from the real bundled data, an API client, a live server and
a real Chromium driven by Playwright.

The import runs once per test process into a template SQLite file; tests that change data get
their own copy (``fresh_db_url``), so tests never see each other's edits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import settings

from gebiedsatlas.config import REPO_DIR, Settings
from gebiedsatlas.sources.importer import import_bundled

# Wall-clock deadlines make property tests flaky on a loaded 2-core machine; we measure speed in bench/.
settings.register_profile("gebiedsatlas", deadline=None)
settings.load_profile("gebiedsatlas")

DATA_DIR = REPO_DIR / "data"
ARTIFACTS_DIR = REPO_DIR / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-dev-shm-usage",
]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """An SQLite file with the bundled data imported once."""
    path = tmp_path_factory.mktemp("template") / "atlas.sqlite"
    import_bundled(sqlite_url(path), DATA_DIR)
    return path


@pytest.fixture(scope="session")
def db_url(template_db: Path, tmp_path_factory) -> str:
    """The shared imported store, for tests that only read. Tests that write must use ``fresh_db_url``.
    A copy of the template: reads can still write (a denied attempt is logged), and the private copies
    of ``fresh_db_url`` must start from the template as imported."""
    path = tmp_path_factory.mktemp("shared") / "atlas.sqlite"
    shutil.copy(template_db, path)
    return sqlite_url(path)


@pytest.fixture
def fresh_db_url(template_db: Path, tmp_path: Path) -> str:
    """A private copy of the imported store, for tests that change data."""
    path = tmp_path / "atlas.sqlite"
    shutil.copy(template_db, path)
    return sqlite_url(path)


def make_client(url: str):
    from fastapi.testclient import TestClient

    from gebiedsatlas.web.app import create_app

    return TestClient(create_app(Settings(database_url=url, data_dir=DATA_DIR)))


@pytest.fixture(scope="session")
def client(db_url: str):
    """In-process HTTP client against the app on the shared store."""
    with make_client(db_url) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """``gebiedsatlas serve`` in a subprocess on a free loopback port.

    The server's output (JSON log lines: one per request) goes to a file, never to a pipe nobody
    reads (a full pipe would block the server); ``output()`` returns it."""

    def __init__(self, database_url: str, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "GEBIEDSATLAS_DATABASE_URL": database_url,
               "GEBIEDSATLAS_DATA_DIR": str(DATA_DIR), **(env or {})}
        handle, log_path = tempfile.mkstemp(prefix="gebiedsatlas-serve-", suffix=".log")
        self.log_path = Path(log_path)
        with os.fdopen(handle, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gebiedsatlas.cli", "serve", "--port", str(self.port),
                 "--workers", str(workers)],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.output()
                self.stop()
                raise RuntimeError(f"server stopped: {output}")
            try:
                if httpx.get(self.url + "/api/status", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start within 30 s")

    def output(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log_path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def live_server(db_url: str):
    """A running server on the shared (read-only) store."""
    server = LiveServer(db_url)
    yield server
    server.stop()


@pytest.fixture
def fresh_live_server(fresh_db_url: str):
    """A running server on a private store copy, for browser tests that change data."""
    server = LiveServer(fresh_db_url)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (its own browser download can't work here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-system-deps.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser page; a screenshot is kept in test-artifacts/ after each test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    # A failed screenshot must not hide the test result.
    with contextlib.suppress(Exception):
        page.screenshot(path=str(ARTIFACTS_DIR / f"{request.node.name}.png"), full_page=True)
    context.close()


AXE_URL = "/static/vendor/axe/axe.min.js"


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations (WCAG 2.1 A/AA) on the current page."""
    # From the app's own /static: an inline copy (``path=``) would be refused by the Content-Security-Policy.
    page.add_script_tag(url=AXE_URL)
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
