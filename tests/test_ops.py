"""Operations: /health and /ready, the JSON-lines access log, and the logs of `gebiedsatlas serve`
(with two worker processes, behind a trusted proxy) read from the real server's output."""

from __future__ import annotations

import json
import logging
import sys
import time

import httpx
import pytest

from conftest import DATA_DIR, LiveServer, _free_port, make_client, sqlite_url
from gebiedsatlas.config import Settings
from gebiedsatlas.logs import JsonFormatter, TextFormatter, logging_config, normalise_format
from gebiedsatlas.store import db
from gebiedsatlas.web.access_log import USER_AGENT_MAX, loggable_query
from gebiedsatlas.web.ops import schema_heads


def client_for(url: str):
    from fastapi.testclient import TestClient

    from gebiedsatlas.web.app import create_app

    return TestClient(create_app(Settings(database_url=url, data_dir=DATA_DIR)))


def test_health_answers_without_a_database(tmp_path):
    # A PostgreSQL URL nobody listens on: liveness must not care.
    unreachable = f"postgresql+psycopg://atlas@127.0.0.1:{_free_port()}/atlas"
    for url in (unreachable, sqlite_url(tmp_path / "missing.sqlite")):
        with client_for(url) as client:
            response = client.get("/health")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        assert response.headers["cache-control"] == "no-store"
    assert not (tmp_path / "missing.sqlite").exists()


def test_ready_on_the_imported_store(client):
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "gereed"
    assert body["schema"] == ", ".join(schema_heads())
    assert body["laatste_import"]  # the conftest store was imported
    assert response.headers["cache-control"] == "no-store"


def test_not_ready_without_a_database_file(tmp_path):
    path = tmp_path / "atlas.sqlite"
    with client_for(sqlite_url(path)) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "niet gereed",
        "reden": "Het databasebestand bestaat niet: voer `gebiedsatlas import` uit "
                 "(of `gebiedsatlas migrate` voor alleen het schema)."}
    assert not path.exists()  # the probe created nothing


def test_not_ready_on_an_empty_sqlite_file(tmp_path):
    path = tmp_path / "atlas.sqlite"
    path.touch()
    with client_for(sqlite_url(path)) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["reden"] == "Het databaseschema is nog niet aangemaakt: voer `gebiedsatlas migrate` uit."


def test_not_ready_on_an_older_schema_until_migrated(tmp_path):
    url = sqlite_url(tmp_path / "atlas.sqlite")
    db.upgrade(url, "0003")
    with client_for(url) as client:
        response = client.get("/ready")
        assert response.status_code == 503
        reden = response.json()["reden"]
        assert "versie 0003" in reden and schema_heads()[-1] in reden and "gebiedsatlas migrate" in reden
        db.upgrade(url)
        response = client.get("/ready")
        assert response.status_code == 200
        assert response.json()["laatste_import"] is None  # migrated, nothing imported yet


def test_not_ready_when_the_database_does_not_answer_and_the_reason_names_no_host(caplog):
    port = _free_port()
    with client_for(f"postgresql+psycopg://atlas:geheim@127.0.0.1:{port}/atlas") as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "niet gereed", "reden": "De database is niet bereikbaar."}
    assert "127.0.0.1" not in response.text and "geheim" not in response.text
    # The driver's message is in the log, for the operator.
    assert any(r.name == "gebiedsatlas.ops" and str(port) in r.getMessage() for r in caplog.records)


def test_ops_endpoints_are_documented_under_beheer(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/health"]["get"]["tags"] == ["beheer"]
    assert paths["/ready"]["get"]["tags"] == ["beheer"]
    assert "503" in paths["/ready"]["get"]["responses"]


# --- access log ---------------------------------------------------------------------------------


def test_query_parameters_that_may_hold_a_secret_are_not_logged():
    assert loggable_query("") == ""
    assert loggable_query("indicator=laag_inkomen&level=wijk&scope=GM0034") == \
        "indicator=laag_inkomen&level=wijk&scope=GM0034"
    assert loggable_query("q=alm&token=abc&Password=x&access_token=y&areas=GM0034%2CGM0356") == \
        "q=alm&areas=GM0034%2CGM0356"
    # A login callback (OIDC): the authorization code and state are credentials.
    assert loggable_query("code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj") == ""
    # Names are compared decoded; values never matter.
    assert loggable_query("%74oken=1&api%5Fkey=2&q=token&client_secret=3&flag") == "q=token&flag"


def test_every_request_is_logged_once_with_its_fields(client, caplog):
    caplog.set_level(logging.INFO, logger="gebiedsatlas.access")
    user_agent = "Mozilla/5.0 " + "x" * 500
    client.get("/api/areas", params={"q": "Almere", "token": "geheim"}, headers={"User-Agent": user_agent})
    client.get("/api/areas/XX9999")
    client.get("/kaart", params={"indicator": "laag_inkomen", "level": "wijk", "scope": "GM0034"},
               headers={"Accept-Encoding": "gzip"})
    records = [r for r in caplog.records if r.name == "gebiedsatlas.access"]
    assert [(r.method, r.path, r.status) for r in records] == [
        ("GET", "/api/areas", 200), ("GET", "/api/areas/XX9999", 404), ("GET", "/kaart", 200)]
    first = records[0]
    assert first.query == "q=Almere" and "geheim" not in first.getMessage()
    assert first.user_agent == user_agent[:USER_AGENT_MAX]
    assert first.client == "testclient"
    assert first.duration_ms >= 0 and first.bytes > 0
    # The size is what went over the wire: the map page gzipped.
    kaart = client.get("/kaart", params={"indicator": "laag_inkomen", "level": "wijk", "scope": "GM0034"},
                       headers={"Accept-Encoding": "identity"})
    assert records[2].bytes < len(kaart.content)


def test_a_failing_request_is_logged_with_status_500(caplog):
    from fastapi.testclient import TestClient

    from gebiedsatlas.web.app import create_app

    app = create_app(Settings(database_url="sqlite://", data_dir=DATA_DIR))

    @app.get("/stuk")
    def broken():
        raise RuntimeError("kapot")

    caplog.set_level(logging.INFO, logger="gebiedsatlas.access")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/stuk").status_code == 500
    [record] = [r for r in caplog.records if r.name == "gebiedsatlas.access"]
    assert (record.path, record.status) == ("/stuk", 500)


def test_json_and_text_formatters():
    record = logging.LogRecord("gebiedsatlas.access", logging.INFO, __file__, 1, '%s "%s"', ("1.2.3.4", "GET /"),
                               None)
    record.status = 200
    record.color_message = "\x1b[32m...\x1b[0m"
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["logger"] == "gebiedsatlas.access" and entry["level"] == "INFO"
    assert entry["message"] == '1.2.3.4 "GET /"' and entry["status"] == 200
    assert entry["time"].endswith("Z") and "T" in entry["time"]
    assert "color_message" not in entry and "args" not in entry and "msg" not in entry
    try:
        raise ValueError("fout")
    except ValueError:
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: fout" in entry["exception"]
    assert TextFormatter().format(record).split(" ", 1)[1].startswith('INFO gebiedsatlas.access: 1.2.3.4 "GET /"')


def test_log_format_setting():
    assert normalise_format(None) == "json" and normalise_format(" TEXT ") == "text"
    with pytest.raises(ValueError, match="json of text"):
        normalise_format("xml")
    config = logging_config("text", "warning")
    assert config["handlers"]["stderr"]["formatter"] == "text"
    assert config["loggers"]["gebiedsatlas"]["level"] == "WARNING"
    assert config["loggers"]["uvicorn.access"]["handlers"] == []  # replaced by gebiedsatlas.access


def output_lines(server: LiveServer, needle: str, count: int) -> list[str]:
    """The server's non-empty output lines once ``count`` of them contain ``needle`` (a request's log
    line is written just after its response went out, so the last one can lag a little)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in server.output().splitlines() if line.strip()]
        if sum(needle in line for line in lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def test_serve_with_two_workers_writes_json_lines(db_url):
    """The real `gebiedsatlas serve --workers 2` behind a (simulated) trusted proxy on 127.0.0.1: every
    line it writes is JSON, uvicorn's own lines included, and there is one access line per request."""
    server = LiveServer(db_url, workers=2)
    try:
        user_agent = "gebiedsatlas-test/1.0"
        with httpx.Client(base_url=server.url, headers={"User-Agent": user_agent}, timeout=30) as http:
            assert http.get("/health").status_code == 200
            assert http.get("/ready").json()["status"] == "gereed"
            for _ in range(20):
                assert http.get("/api/areas", params={"q": "Almere", "password": "geheim"}).status_code == 200
            assert http.get("/api/areas/XX9999", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 404
        lines = output_lines(server, user_agent, 23)
    finally:
        server.stop()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "pid", "message"} <= entry.keys() for entry in entries)
    started = {e["pid"] for e in entries if e["logger"] == "uvicorn.error"
               and e["message"].startswith("Started server process")}
    assert len(started) == 2  # two worker processes, both logging JSON
    access = [e for e in entries if e["logger"] == "gebiedsatlas.access" and e["user_agent"] == user_agent]
    assert len(access) == 23
    assert {e["pid"] for e in access} <= started
    areas = [e for e in access if e["path"] == "/api/areas"]
    assert len(areas) == 20
    assert all(e["query"] == "q=Almere" and e["status"] == 200 and e["method"] == "GET" for e in areas)
    assert all(isinstance(e["duration_ms"], float | int) and e["client"] == "127.0.0.1" for e in areas)
    assert "geheim" not in "\n".join(lines)
    # Behind the trusted proxy (127.0.0.1 by default) the client is the forwarded address.
    [missing] = [e for e in access if e["path"] == "/api/areas/XX9999"]
    assert missing["status"] == 404 and missing["client"] == "203.0.113.7"


def test_serve_text_log_format(db_url):
    server = LiveServer(db_url, env={"GEBIEDSATLAS_LOG_FORMAT": "text"})
    try:
        httpx.get(server.url + "/health?token=x", timeout=30)
        output = "\n".join(output_lines(server, "/health", 1))
    finally:
        server.stop()
    [line] = [line for line in output.splitlines() if "gebiedsatlas.access" in line and "/health" in line]
    assert line.split(" ", 1)[1].startswith('INFO gebiedsatlas.access: 127.0.0.1 "GET /health" 200 ')
    assert "token" not in output


def test_make_client_still_works_with_the_access_log(db_url):
    # The in-process clients of the other tests are unaffected (no handler: nothing printed).
    with make_client(db_url) as client:
        assert client.get("/health").status_code == 200
