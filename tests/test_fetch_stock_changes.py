"""The 81955NED connector (later years of the woningvoorraad and its changes) on stored responses in the
published OData format: the rows are real ones copied from the bundled file, so reading them back must
give the same figures as the file; the CLI writes them into the store."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from fetch_support import STOCK_DIR, FakeNetwork
from gebiedsatlas.sources.fetch.cache import Fetcher, SourceFormatChanged, page_files, read_meta
from gebiedsatlas.sources.fetch.stock_changes import fetch_stock_changes, read_stock_change_cache
from gebiedsatlas.store import db
from gebiedsatlas.store.housing import StockChange


def _fetcher(tmp_path, network: FakeNetwork) -> Fetcher:
    return Fetcher(tmp_path / "cache", client=network.client(), sleep=lambda _s: None)


def test_fetch_and_read_give_the_published_figures(tmp_path):
    network = FakeNetwork()
    scope = fetch_stock_changes(_fetcher(tmp_path, network), ["GM0034", "GM0637", "GM0738"])
    assert [p.name for p in page_files(scope)] == ["page-0001.json", "page-0002.json"]
    query = httpx.URL(read_meta(page_files(scope)[0])["url"]).params["$filter"]
    assert query.startswith("Gebruiksfunctie eq 'A045364' and (substringof('GM0034',RegioS)")
    records = {(r.gemeente_code, r.year): r.values for r in read_stock_change_cache(tmp_path / "cache")}
    assert records["GM0034", 2020]["new_builds"] == 1335 and records["GM0034", 2020]["end_stock"] == 87259
    assert records["GM0034", 2019]["new_builds"] == 1653 and records["GM0034", 2020]["correction"] == -143
    assert records["GM0637", 2020]["new_builds"] == 168
    assert records["GM0738", 2019] == dict.fromkeys(records["GM0738", 2019])  # "." is no number: all None
    # a second fetch comes from the cache
    again = FakeNetwork()
    fetch_stock_changes(_fetcher(tmp_path, again), ["GM0034", "GM0637", "GM0738"])
    assert again.requests == []


def test_a_table_without_the_count_columns_is_refused(tmp_path):
    properties = json.loads((STOCK_DIR / "DataProperties.json").read_text())
    properties["value"] = [p for p in properties["value"] if p["Key"] != "Nieuwbouw_2"]

    def broken(request: httpx.Request):
        if request.url.path.endswith("/DataProperties"):
            return httpx.Response(200, json=properties)
        return None

    with pytest.raises(SourceFormatChanged, match="Nieuwbouw"):
        fetch_stock_changes(_fetcher(tmp_path, FakeNetwork(broken)), ["GM0034"])


def test_cli_writes_the_cached_years_into_the_store(tmp_path, fresh_db_url, monkeypatch):
    from gebiedsatlas.cli import app

    fetch_stock_changes(_fetcher(tmp_path, FakeNetwork()), ["GM0034", "GM0637", "GM0738"])
    monkeypatch.setenv("GEBIEDSATLAS_DATABASE_URL", fresh_db_url)
    with db.session_scope(fresh_db_url) as session:
        session.get(StockChange, ("GM0034", 2020)).new_builds = 1  # the cache must overwrite this year
    result = CliRunner().invoke(app, ["woonprogramma", "mutaties", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    with db.session_scope(fresh_db_url) as session:
        assert session.get(StockChange, ("GM0034", 2020)).new_builds == 1335
        assert session.get(StockChange, ("GM0637", 2020)).end_stock is not None
