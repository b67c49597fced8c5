"""The Leefbaarometer connector on a stored copy of the open-data CSV."""

from __future__ import annotations

import httpx
import pytest

from fetch_support import FakeNetwork
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.sources.fetch import leefbaarometer
from gebiedsatlas.sources.fetch.cache import Fetcher, SourceFormatChanged, read_meta


def test_download_is_cached_and_read_as_lbm3_scores(tmp_path):
    f = Fetcher(tmp_path / "cache", client=FakeNetwork().client(), sleep=lambda _s: None)
    [path] = leefbaarometer.fetch_leefbaarometer(f, ["buurt"])
    assert read_meta(path)["url"].startswith("https://www.leefbaarometer.nl/")
    batch = leefbaarometer.read_leefbaarometer_cache(tmp_path / "cache", load_catalogue(), {"GM0034"})
    values = {(o.area_code, o.indicator_id, o.period): (o.value, o.status) for o in batch.observations}
    # First row of the published buurt file (Centrum Haven Noord, 2002).
    assert values[("BU00340101", "lbm_score", 2002)] == (pytest.approx(3.75752949841581), "observed")
    assert values[("BU00340101", "lbm_fysieke_omgeving", 2002)] == (None, "missing")
    assert all(o.boundary_year == 2024 for o in batch.observations)
    assert leefbaarometer.read_leefbaarometer_cache(tmp_path / "cache", load_catalogue(), {"GM0363"}).observations == []


def test_a_page_instead_of_the_csv_is_refused(tmp_path):
    network = FakeNetwork(lambda r: httpx.Response(200, text="<!doctype html><title>Leefbaarometer</title>"))
    f = Fetcher(tmp_path / "cache", client=network.client(), sleep=lambda _s: None)
    with pytest.raises(SourceFormatChanged, match="bu_code"):
        leefbaarometer.fetch_leefbaarometer(f, ["buurt"])
    assert leefbaarometer.cached_levels(tmp_path / "cache") == []
