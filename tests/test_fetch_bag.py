"""The BAG connector on stored WFS pages: paging and resume, building periods counted by hand for a
fixture buurt, summed to wijk and gemeente, and the share 1960–1989 after import.

The BAG features are SYNTHETIC (no BAG data is bundled; see fixtures/fetch/bag/build_bag_fixture.py),
in the GeoJSON layout of the PDOK BAG WFS; the buurt polygons are the real bundled ones.
"""

from __future__ import annotations

import json
import math

import httpx
import pytest
import shapely
from sqlalchemy import select
from typer.testing import CliRunner

from fetch_support import BAG_PAGE_SIZE, FakeNetwork
from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.fetch import bag
from gebiedsatlas.sources.fetch.cache import Fetcher, SourceUnavailable, page_files, read_meta
from gebiedsatlas.sources.fetch.cached import CacheReport, cached_sources
from gebiedsatlas.sources.importer import import_bundled
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Observation


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(bag, "PAGE_SIZE", BAG_PAGE_SIZE)


@pytest.fixture(scope="module")
def buurten(data_dir):
    return bag.bundled_buurten(data_dir)


def fetcher(tmp_path, network) -> Fetcher:
    return Fetcher(tmp_path / "cache", client=network.client(), sleep=lambda _s: None)


def fetch(tmp_path, network, buurten):
    return bag.fetch_bag(fetcher(tmp_path, network), bag.gemeente_bboxes(buurten, ["GM0034"]))


def test_pages_are_fetched_by_start_index_in_rd_for_the_gemeente_bbox(tmp_path, buurten):
    network = FakeNetwork()
    scope = fetch(tmp_path, network, buurten)[0]
    assert len(page_files(scope)) == 2 and (scope / "complete.json").exists()
    first, second = (r.url.params for r in network.requests)
    assert first["typeNames"] == "bag:verblijfsobject" and first["srsName"] == "EPSG:28992"
    assert first["startIndex"] == "0" and second["startIndex"] == "10" and first["count"] == "10"
    minx, miny, maxx, maxy = (float(v) for v in first["bbox"].split(",")[:4])
    assert 136_900 < minx < 137_000 and 494_190 < maxy < 494_300  # Almere's buurten plus 50 m
    assert "startIndex=10" in read_meta(page_files(scope)[1])["url"]


def test_an_interrupted_fetch_resumes_at_the_missing_page(tmp_path, buurten):
    broken = FakeNetwork(lambda r: httpx.ConnectError("weg") if r.url.params.get("startIndex") == "10" else None)
    with pytest.raises(SourceUnavailable, match="PDOK BAG"):
        fetch(tmp_path, broken, buurten)
    network = FakeNetwork()
    fetch(tmp_path, network, buurten)
    assert [r.url.params["startIndex"] for r in network.requests] == ["10"]


def test_an_unfinished_fetch_of_another_day_starts_again(tmp_path, buurten):
    broken = FakeNetwork(lambda r: httpx.ConnectError("weg") if r.url.params.get("startIndex") == "10" else None)
    with pytest.raises(SourceUnavailable):
        fetch(tmp_path, broken, buurten)
    first = page_files(tmp_path / "cache" / "bag" / "verblijfsobject" / "GM0034")[0]
    meta_path = Fetcher.meta_path(first)
    meta = json.loads(meta_path.read_text())
    meta["retrieved_at"] = "2020-01-01T10:00:00+00:00"  # the register has changed since
    meta_path.write_text(json.dumps(meta))
    network = FakeNetwork()
    fetch(tmp_path, network, buurten)
    assert [r.url.params["startIndex"] for r in network.requests] == ["0", "10"]


@pytest.mark.parametrize(("bouwjaar", "period"), [
    (1944, "bag_bouwperiode_voor_1945"), (1945, "bag_bouwperiode_1945_1959"), (1960, "bag_bouwperiode_1960_1969"),
    (1989, "bag_bouwperiode_1980_1989"), ("2010", "bag_bouwperiode_2010_plus"),
    ("1971,1968", "bag_bouwperiode_1960_1969"),
    (None, "bag_bouwperiode_onbekend"), (1005, "bag_bouwperiode_onbekend"), (2031, "bag_bouwperiode_onbekend"),
])
def test_building_period_of_a_bouwjaar(bouwjaar, period):
    assert bag.period_of(bouwjaar, 2027) == period


def test_periods_per_buurt_counted_by_hand_and_summed_to_wijk_and_gemeente(tmp_path, buurten):
    fetch(tmp_path, FakeNetwork(), buurten)
    batch, result = bag.read_bag_cache(tmp_path / "cache", buurten, 2024)
    counts = result.counts
    # BU00340101 by hand (fixture rows 1–13): 1930 | 1950 | 1965, "1971,1968" | 1972, 1975 (buiten gebruik),
    # 1978 (winkel+woon) | 1985 | 1995 | 2005 | 2015 | none, 1005 = 13 woningen. Not counted: the office,
    # the planned (gevormd) and the withdrawn object, and the repeated feature.
    assert dict(counts["BU00340101"]) == {
        "bag_bouwperiode_voor_1945": 1, "bag_bouwperiode_1945_1959": 1, "bag_bouwperiode_1960_1969": 2,
        "bag_bouwperiode_1970_1979": 3, "bag_bouwperiode_1980_1989": 1, "bag_bouwperiode_1990_1999": 1,
        "bag_bouwperiode_2000_2009": 1, "bag_bouwperiode_2010_plus": 1, "bag_bouwperiode_onbekend": 2,
        "bag_woningen": 13, "bag_bouwperiode_1960_1989": 6}
    assert counts["BU00340102"]["bag_woningen"] == 1 and counts["BU00340102"]["bag_bouwperiode_1980_1989"] == 1
    assert counts["WK003401"]["bag_woningen"] == 14 and counts["WK003401"]["bag_bouwperiode_1960_1989"] == 7
    assert counts["GM0034"]["bag_woningen"] == 14 and counts["GM0034"]["bag_bouwperiode_voor_1945"] == 1
    assert counts["BU00340201"]["bag_woningen"] == 0  # a buurt without woningen in the fixture: 0, not missing
    assert result.unassigned == 1 and result.dwellings == 15
    statuses = {(o.area_code[:2], o.status) for o in batch.observations}
    assert statuses == {("BU", "observed"), ("WK", "derived"), ("GM", "derived")}
    note = next(o.method for o in batch.observations if o.area_code == "BU00340101")
    assert "PDOK BAG-WFS" in note and "buurtgrens 2024" in note


def test_a_point_just_outside_the_generalised_buurt_is_snapped_only_when_close(buurten):
    polygon = buurten["BU00340101"]
    centre = polygon.centroid
    vx, vy = polygon.exterior.coords[0]
    length = math.hypot(vx - centre.x, vy - centre.y)

    def outward(metres):  # a point on the line from the centre through a vertex, beyond the vertex
        return (vx + (vx - centre.x) / length * metres, vy + (vy - centre.y) / length * metres)

    near, far = outward(5), outward(500)
    assert not polygon.contains(shapely.Point(near)) and polygon.distance(shapely.Point(near)) <= 5.001
    assert bag.assign_buurten([near, far], {"BU00340101": polygon}) == ["BU00340101", None]


def test_feature_without_identificatie_names_page_row_and_field(tmp_path, buurten):
    fetch(tmp_path, FakeNetwork(), buurten)
    page = page_files(tmp_path / "cache" / "bag" / "verblijfsobject" / "GM0034")[1]
    body = json.loads(page.read_text())
    del body["features"][2]["properties"]["identificatie"]
    page.write_text(json.dumps(body))
    with pytest.raises(InputError) as info:
        bag.read_bag_cache(tmp_path / "cache", buurten, 2024)
    assert "page-0002.json" in str(info.value) and "rij 3" in str(info.value) and "identificatie" in str(info.value)


def test_import_stores_counts_and_the_share_built_1960_1989(tmp_path, fresh_db_url, data_dir, buurten):
    fetch(tmp_path, FakeNetwork(), buurten)
    report = CacheReport()
    import_bundled(fresh_db_url, data_dir, extra_sources=cached_sources(tmp_path / "cache", report))
    assert any(line.startswith("BAG (GM0034): 15 woningen") for line in report.read), report.read
    assert any("1 woningen" in note for note in report.notes)
    year = int(read_meta(page_files(tmp_path / "cache" / "bag" / "verblijfsobject" / "GM0034")[0])["retrieved_at"][:4])
    with db.session_scope(fresh_db_url) as session:
        def stored(area, indicator):
            return session.execute(select(Observation.value, Observation.status, Observation.method).where(
                Observation.area_code == area, Observation.indicator_id == indicator,
                Observation.period == year)).one()

        assert stored("BU00340101", "bag_bouwperiode_1970_1979")[:2] == (3, "observed")
        share = stored("BU00340101", "aandeel_bouwperiode_1960_1989")
        assert math.isclose(share.value, 6 / 13 * 100) and share.status == "derived"
        assert share.method == "bag_bouwperiode_1960_1989 / bag_woningen × 100"
        assert math.isclose(stored("GM0034", "aandeel_bouwperiode_1960_1989").value, 7 / 14 * 100)
        assert stored("GM0034", "bag_woningen")[:2] == (14, "derived")


def test_cli_fetches_the_chosen_gemeente_and_says_how_to_load_it(tmp_path, monkeypatch):
    from gebiedsatlas.cli import app
    from gebiedsatlas.sources.fetch import cli as fetch_cli

    network = FakeNetwork()
    real = fetch_cli.Fetcher
    monkeypatch.setattr(fetch_cli, "Fetcher", lambda cache_dir, progress=None: real(
        cache_dir, client=network.client(), progress=progress, sleep=lambda _s: None))
    result = CliRunner().invoke(app, ["fetch", "bag", "--gemeente", "GM0034", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "gebiedsatlas import --cache" in " ".join(result.output.split())
    assert (tmp_path / "bag" / "verblijfsobject" / "GM0034" / "complete.json").exists()
    result = CliRunner().invoke(app, ["fetch", "bag", "--gemeente", "GM0363", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 1 and "geen buurtgrenzen in RD New" in " ".join(result.output.split())
