"""The PDOK OGC API connector on stored GeoJSON pages: paging by next links, RD kept, web copy in WGS84."""

from __future__ import annotations

import json

import httpx
import pytest

from fetch_support import FakeNetwork
from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.fetch import pdok
from gebiedsatlas.sources.fetch.cache import Fetcher, SourceFormatChanged, page_files, read_meta


def fetch(tmp_path, network):
    f = Fetcher(tmp_path / "cache", client=network.client(), sleep=lambda _s: None)
    return pdok.fetch_boundaries(f, 2024, ["buurt"], ["GM0034"])


def test_pages_follow_next_links_and_keep_rd_geometry(tmp_path):
    network = FakeNetwork()
    scopes = fetch(tmp_path, network)
    assert len(page_files(scopes[0])) == 2
    first = network.requests[0].url
    assert first.params["crs"] == pdok.RD_CRS and first.params["gemeentecode"] == "GM0034"
    assert "cursor=page2" in read_meta(page_files(scopes[0])[1])["url"]

    batch = pdok.read_boundaries_cache(tmp_path / "cache", 2024)
    assert len(batch.geometries) == 6
    shape = next(g for g in batch.geometries if g.area_code == "BU00340101")
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    assert 5.1 < min_lon < max_lon < 5.4 and 52.3 < min_lat < max_lat < 52.45  # Almere Haven, WGS84
    assert json.loads(shape.geojson_rd)["coordinates"][0][0] == [143508.0, 483344.0]  # RD New, unchanged
    assert {a.code for a in batch.areas} >= {"BU00340101"}
    assert pdok.cached_years(tmp_path / "cache") == [2024]


def test_html_error_page_is_reported_as_a_format_change(tmp_path):
    network = FakeNetwork(lambda r: httpx.Response(200, text="<html>Onderhoud</html>"))
    with pytest.raises(SourceFormatChanged, match="geen geldige JSON"):
        fetch(tmp_path, network)


def test_feature_without_code_names_page_and_field(tmp_path):
    fetch(tmp_path, FakeNetwork())
    page = page_files(tmp_path / "cache" / "pdok" / "wijkenbuurten-2024" / "buurten" / "GM0034")[0]
    body = json.loads(page.read_text())
    del body["features"][1]["properties"]["buurtcode"]
    page.write_text(json.dumps(body))
    with pytest.raises(InputError) as info:
        pdok.read_boundaries_cache(tmp_path / "cache", 2024)
    assert "page-0001.json" in str(info.value) and "rij 2" in str(info.value) and "buurtcode" in str(info.value)
