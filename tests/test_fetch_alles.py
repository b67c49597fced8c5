"""`gebiedsatlas fetch alles`: every connector with a summary, one Dutch sentence per connector without a
network, the import afterwards; and the home page and /bronnen saying what is bundled, what was
fetched when, and how to update (over real HTTP against a running server).

Only the network is replaced (stored responses, see fetch_support.py); BAG, EP-online and climate
fixtures are SYNTHETIC, the buurt polygons real.
"""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from conftest import LiveServer
from fetch_support import BAG_PAGE_SIZE, FakeNetwork
from gebiedsatlas.sources.fetch import bag
from gebiedsatlas.store import db
from gebiedsatlas.store.fetch_runs import CONNECTORS as TITLES
from gebiedsatlas.store.models import FetchRun, ImportRun, Observation

CONNECTORS = ("cbs", "woningvoorraad", "politie", "pdok", "leefbaarometer", "bag", "energielabels", "klimaat")


@pytest.fixture
def cli(monkeypatch, fresh_db_url):
    """The command line against a private store, with the network replaced by ``network``."""
    from gebiedsatlas.sources.fetch import cli as fetch_cli

    monkeypatch.setenv("GEBIEDSATLAS_DATABASE_URL", fresh_db_url)
    monkeypatch.setattr(bag, "PAGE_SIZE", BAG_PAGE_SIZE)

    def run(network: FakeNetwork, *args: str):
        from gebiedsatlas.cli import app

        real = fetch_cli.Fetcher
        monkeypatch.setattr(fetch_cli, "Fetcher", lambda cache_dir, progress=None: real(
            cache_dir, client=network.client(), progress=progress, sleep=lambda _s: None))
        return CliRunner().invoke(app, ["fetch", "alles", *args])

    return run


def runs(url: str) -> list[tuple[str, str]]:
    with db.session_scope(url) as session:
        return [(r.connector, r.outcome) for r in session.scalars(select(FetchRun).order_by(FetchRun.id))]


def test_without_network_each_connector_says_so_in_one_dutch_sentence(cli, tmp_path, fresh_db_url):
    with db.session_scope(fresh_db_url) as session:
        imports_before = session.scalar(select(ImportRun.id).order_by(ImportRun.id.desc()))
    result = cli(FakeNetwork(lambda r: httpx.ConnectError("no route to host")), "--area-set", "nta",
                 "--cache-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    hosts = {"cbs": "opendata.cbs.nl", "woningvoorraad": "opendata.cbs.nl", "politie": "dataderden.cbs.nl",
             "pdok": "api.pdok.nl",
             "leefbaarometer": "www.leefbaarometer.nl", "bag": "service.pdok.nl",
             "energielabels": "public.ep-online.nl", "klimaat": "data.rivm.nl"}
    for connector, host in hosts.items():  # one sentence each, naming the source and the host
        sentence = (f"{TITLES[connector][0]}: geen verbinding met {host}, dus niets opgehaald; de atlas blijft de "
                    f"meegeleverde gegevens tonen.")
        assert sentence in output, (sentence, output)
    assert output.count("geen verbinding met") == len(CONNECTORS)
    assert "Er is niets nieuws opgehaald" in output
    assert runs(fresh_db_url) == [(c, "offline") for c in CONNECTORS]
    with db.session_scope(fresh_db_url) as session:  # no import ran: the bundled data is still served
        assert session.scalar(select(ImportRun.id).order_by(ImportRun.id.desc())) == imports_before


def test_with_network_it_fetches_summarises_and_imports(cli, tmp_path, fresh_db_url, monkeypatch):
    monkeypatch.setenv("GEBIEDSATLAS_EP_ONLINE_API_KEY", "SYNTHETIC-TEST-KEY")
    result = cli(FakeNetwork(), "--gemeente", "GM0034", "--cache-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "Ophalen: overzicht" in output and "Import klaar" in output
    # The stored fixtures cover BAG, EP-online and the rasters fully; CBS, police, PDOK and the
    # Leefbaarometer only in part, so those say in Dutch what failed and the others go on.
    outcomes = dict(runs(fresh_db_url))
    assert {c: outcomes[c] for c in ("bag", "energielabels", "klimaat")} == dict.fromkeys(
        ("bag", "energielabels", "klimaat"), "ok")
    assert set(outcomes) == set(CONNECTORS)
    with db.session_scope(fresh_db_url) as session:
        assert session.scalar(select(Observation.value).where(
            Observation.area_code == "BU00340101", Observation.indicator_id == "bag_woningen")) == 13
        assert session.scalar(select(Observation.value).where(
            Observation.area_code == "BU00340101", Observation.indicator_id == "energielabel_woningen")) == 5
        assert session.scalar(select(Observation.value).where(
            Observation.area_code == "GM0034", Observation.indicator_id == "hittestress_gevoelstemperatuur")) > 30


def test_home_and_bronnen_say_what_is_bundled_fetched_and_how_to_update(fresh_db_url):
    with db.session_scope(fresh_db_url) as session:
        imported = session.scalar(select(ImportRun.finished_at).order_by(ImportRun.id.desc()))
        session.add_all([
            FetchRun(connector="bag", started_at=datetime(2099, 1, 2, 10, 0), finished_at=datetime(2099, 1, 2, 10, 5),
                     outcome="ok", downloaded=40, reused=0),
            FetchRun(connector="klimaat", started_at=imported, finished_at=imported, outcome="offline",
                     downloaded=0, reused=0, message="geen verbinding"),
        ])
    assert imported < datetime(2099, 1, 2, 10, 5)  # the BAG fetch came after the last import
    server = LiveServer(fresh_db_url)
    try:
        home = " ".join(httpx.get(server.url + "/").text.split())
        bronnen = " ".join(httpx.get(server.url + "/bronnen").text.split())
    finally:
        server.stop()
    assert "meegeleverde gegevens (CBS Kerncijfers wijken en buurten 2022 en 2024" in home
    assert "Woningen per bouwperiode (BAG) (opgehaald op 2 januari 2099, nog niet geïmporteerd)" in home
    assert "<code>gebiedsatlas fetch alles --area-set nta</code>" in home
    assert "Welke gegevens de atlas toont" in bronnen
    assert ("Opgehaald op 2 januari 2099 om 10:05 (UTC), nog niet geïmporteerd "
            "(<code>gebiedsatlas import --cache</code>).") in bronnen
    assert "Niet opgehaald: de meegeleverde gegevens." in bronnen  # CBS
    assert "Niet opgehaald: nog geen gegevens. Laatste poging op" in bronnen and "geen verbinding." in bronnen
    assert "<code>gebiedsatlas fetch energielabels</code>" in bronnen


def test_the_data_status_is_readable_at_390_px_and_axe_clean(live_server, page):
    from conftest import axe_violations

    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(live_server.url + "/bronnen#gegevensstand")
    assert page.locator("#gegevensstand-tabel").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
