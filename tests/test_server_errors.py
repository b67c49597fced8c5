"""The last resort for a bug: an unexpected exception is logged with its traceback and answered with a
Dutch message (JSON under /api, an HTML page elsewhere), status 500, never the traceback itself."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from conftest import DATA_DIR
from gebiedsatlas.config import Settings
from gebiedsatlas.web.app import create_app


def test_unexpected_error_answers_a_dutch_message_without_traceback(db_url, caplog):
    app = create_app(Settings(database_url=db_url, data_dir=DATA_DIR))

    def boom():
        raise RuntimeError("geheime details uit de traceback")

    app.add_api_route("/api/kapot", boom)
    app.add_api_route("/kapot", boom)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        api = client.get("/api/kapot")
        page = client.get("/kapot", headers={"Accept": "text/html"})
    assert api.status_code == 500 and page.status_code == 500
    assert set(api.json()) == {"detail"} and "Er ging iets mis" in api.json()["detail"]
    assert page.headers["content-type"].startswith("text/html")
    assert "Er ging iets mis" in page.text and '<html lang="nl">' in page.text
    for response in (api, page):
        assert "geheime details" not in response.text and "Traceback" not in response.text
        assert "script-src 'self'" in response.headers["content-security-policy"]  # security headers too
        assert response.headers["x-content-type-options"] == "nosniff"
    logged = [r for r in caplog.records if r.name == "gebiedsatlas.web"]
    assert logged and logged[0].exc_info and "geheime details" in str(logged[0].exc_info[1])


def test_error_page_falls_back_to_plain_html(db_url, monkeypatch, caplog):
    from gebiedsatlas.web import errors

    def broken(*args, **kwargs):
        raise RuntimeError("template kapot")

    monkeypatch.setattr(errors.templates, "TemplateResponse", broken)
    app = create_app(Settings(database_url=db_url, data_dir=DATA_DIR))

    def boom():
        raise ValueError("onverwacht")

    app.add_api_route("/kapot", boom)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        page = client.get("/kapot")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "Er ging iets mis" in page.text and "onverwacht" not in page.text
