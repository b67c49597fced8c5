"""The climate connector: zonal statistics on rasters with a known pattern (checked by hand), coverage
choice from WCS GetCapabilities, GetCoverage per gemeente, and a GeoTIFF given by hand.

All rasters here are SYNTHETIC with a known pattern (no climate raster is bundled): the test rasters are
written with rasterio below; the WCS fixtures are built by fixtures/fetch/klimaat/build_klimaat_fixture.py.
"""

from __future__ import annotations

import math

import httpx
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from sqlalchemy import select

from fetch_support import FIXTURES, FakeNetwork
from gebiedsatlas.sources.fetch import bag, klimaat
from gebiedsatlas.sources.fetch.cache import Fetcher, SourceFormatChanged
from gebiedsatlas.sources.fetch.cached import CacheReport, cached_sources
from gebiedsatlas.sources.importer import import_bundled
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Observation

LEFT, TOP, CELL = 150_000.0, 480_100.0, 10.0


def write_pattern(path, nodata_at=(0, 0)):
    """10 × 10 cells of 10 m: columns 0–4 hold 20, columns 5–9 hold 30; one nodata cell (SYNTHETIC)."""
    values = np.where(np.tile(np.arange(10), (10, 1)) < 5, 20.0, 30.0).astype("float32")
    values[nodata_at] = -9999.0
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32", crs="EPSG:28992",
                       transform=from_origin(LEFT, TOP, CELL, CELL), nodata=-9999.0) as dst:
        dst.write(values, 1)
    return path


def box(col_from, col_to):
    """Whole columns col_from … col_to (inclusive), all ten rows."""
    return shapely.box(LEFT + col_from * CELL, TOP - 100, LEFT + (col_to + 1) * CELL, TOP)


def test_zonal_mean_and_share_on_a_known_pattern(tmp_path):
    raster = write_pattern(tmp_path / "pattern.tif")
    polygons = {"A": box(3, 6), "B": box(0, 2), "C": shapely.box(0, 0, 10, 10)}
    mean = klimaat.Layer("t", "x", "test", "", "", "mean")
    share = klimaat.Layer("t", "x", "test", "", "", "share_above", 25.0)
    result = klimaat.zonal(polygons, raster, mean)
    # A: columns 3, 4 (20) and 5, 6 (30), ten rows each: (20 × 20 + 20 × 30) / 40 = 25.
    assert result["A"] == (25.0, 40)
    # B: columns 0–2 hold 20; the nodata cell at row 0, column 0 is left out: 29 cells.
    assert result["B"] == (20.0, 29)
    assert "C" not in result  # far from the raster
    shares = klimaat.zonal(polygons, raster, share)
    assert shares["A"] == (50.0, 40) and shares["B"] == (0.0, 29)


def test_a_polygon_that_covers_only_nodata_gets_no_value(tmp_path):
    raster = write_pattern(tmp_path / "pattern.tif", nodata_at=(slice(0, 10), slice(0, 2)))
    result = klimaat.zonal({"A": box(0, 1)}, raster, klimaat.Layer("t", "x", "test", "", "", "mean"))
    assert result["A"] == (None, 0)


def test_the_newest_matching_coverage_is_chosen(tmp_path):
    ids = klimaat.coverage_ids(FIXTURES / "klimaat" / "capabilities.xml")
    assert len(ids) == 4
    assert klimaat.choose_coverage(klimaat.LAYERS["gevoelstemperatuur"], ids) == \
        "alo__rivm_20220601_gevoelstemperatuur_2022"
    with pytest.raises(klimaat.CoverageNotFound, match="--coverage gevoelstemperatuur=ID"):
        klimaat.choose_coverage(klimaat.LAYERS["gevoelstemperatuur"], ["alo__rivm_nsl_20260401_gm_NO22024"])
    assert klimaat.reference_year("alo__rivm_20220601_gevoelstemperatuur_2022", 2026) == 2022
    assert klimaat.reference_year("alo__rivm_20231101_maximale_waterdiepte", 2026) == 2023


@pytest.fixture(scope="module")
def buurten(data_dir):
    return bag.bundled_buurten(data_dir)


def fetch(tmp_path, network, buurten):
    f = Fetcher(tmp_path / "cache", client=network.client(), sleep=lambda _s: None)
    boxes = bag.gemeente_bboxes(buurten, ["GM0034"])
    return [klimaat.fetch_layer(f, layer, boxes) for layer in klimaat.LAYERS.values()]


def expected(polygon, fixture, value_of):
    """The mean of value_of(row, col) over the 250 m cells whose centre lies in the polygon (by hand)."""
    with rasterio.open(FIXTURES / "klimaat" / fixture) as src:
        data = src.read(1)
        values = [value_of(data[r, c]) for r in range(src.height) for c in range(src.width)
                  if data[r, c] != src.nodata and polygon.contains(shapely.Point(*src.xy(r, c)))]
    return sum(values) / len(values)


def test_getcoverage_per_gemeente_and_values_per_buurt(tmp_path, buurten):
    network = FakeNetwork()
    fetch(tmp_path, network, buurten)
    coverage = [r for r in network.requests if r.url.params.get("request") == "GetCoverage"][0]
    assert coverage.url.params["coverageId"] == "alo__rivm_20220601_gevoelstemperatuur_2022"
    # Axis labels as DescribeCoverage gives them (the fixture: E and N), the bbox of Almere's buurten + 50 m.
    assert coverage.url.params.get_list("subset")[0].startswith("E(1369")
    assert coverage.url.params.get_list("subset")[1].startswith("N(4794")
    assert (tmp_path / "cache" / "klimaat" / "gevoelstemperatuur" / "GM0034.tif").exists()

    batch = klimaat.read_klimaat_cache(tmp_path / "cache", buurten, 2024)
    by = {(o.area_code, o.indicator_id): o for o in batch.observations}
    heat = by[("BU00340101", "hittestress_gevoelstemperatuur")]
    assert math.isclose(heat.value, expected(buurten["BU00340101"], "gevoelstemperatuur-synthetic.tif", float),
                        rel_tol=1e-6)
    assert heat.period == 2022 and heat.status == "derived"
    assert "alo__rivm_20220601_gevoelstemperatuur_2022" in heat.method and "peiljaar 2022" in heat.method
    assert "rasterstats" in heat.method and "middelpunt in de buurt" in heat.method
    flood = by[("BU00340101", "inundatie_aandeel_gt_20cm")]
    assert math.isclose(flood.value, 100 * expected(buurten["BU00340101"], "waterdiepte-synthetic.tif",
                                                    lambda v: float(v > 0.2)), rel_tol=1e-6)
    assert flood.period == 2023
    # The gemeente: the same statistic over the union of its buurten, straight from the raster.
    almere = shapely.union_all([g for c, g in buurten.items() if c.startswith("BU0034")])
    assert math.isclose(by[("GM0034", "hittestress_gevoelstemperatuur")].value,
                        expected(almere, "gevoelstemperatuur-synthetic.tif", float), rel_tol=1e-6)
    assert ("WK003401", "inundatie_aandeel_gt_20cm") in by


def test_import_stores_values_with_raster_year_and_method(tmp_path, fresh_db_url, data_dir, buurten):
    fetch(tmp_path, FakeNetwork(), buurten)
    report = CacheReport()
    import_bundled(fresh_db_url, data_dir, extra_sources=cached_sources(tmp_path / "cache", report))
    assert any(line.startswith("Klimaat (gevoelstemperatuur, inundatie)") for line in report.read), report.read
    with db.session_scope(fresh_db_url) as session:
        row = session.execute(select(Observation.value, Observation.status, Observation.method).where(
            Observation.area_code == "GM0034", Observation.indicator_id == "hittestress_gevoelstemperatuur",
            Observation.period == 2022)).one()
        assert row.status == "derived" and 30 <= row.value <= 34.5
        assert "alo__rivm_20220601_gevoelstemperatuur_2022" in row.method


def test_a_scale_factor_is_asked_of_the_service_and_named_in_the_method(tmp_path, buurten):
    network = FakeNetwork()
    f = Fetcher(tmp_path / "cache", client=network.client(), sleep=lambda _s: None)
    klimaat.fetch_layer(f, klimaat.LAYERS["gevoelstemperatuur"], bag.gemeente_bboxes(buurten, ["GM0034"]),
                        scale_factor=0.1)
    coverage = [r for r in network.requests if r.url.params.get("request") == "GetCoverage"][0]
    assert coverage.url.params["SCALEFACTOR"] == "0.1"
    batch = klimaat.read_klimaat_cache(tmp_path / "cache", buurten, 2024)
    assert "verkleind met factor 0.1" in batch.observations[0].method


def test_a_service_error_page_is_not_taken_for_a_raster(tmp_path, buurten):
    error = "<ServiceExceptionReport>Bad subset</ServiceExceptionReport>"
    network = FakeNetwork(lambda r: httpx.Response(200, text=error)
                          if r.url.params.get("request") == "GetCoverage" else None)
    with pytest.raises(SourceFormatChanged, match="geen GeoTIFF"):
        fetch(tmp_path, network, buurten)
    assert not (tmp_path / "cache" / "klimaat" / "gevoelstemperatuur" / "GM0034.tif").exists()


def test_a_geotiff_given_by_hand_is_used_for_every_buurt_it_covers(tmp_path, buurten):
    f = Fetcher(tmp_path / "cache", client=FakeNetwork().client())
    klimaat.use_file(f, klimaat.LAYERS["gevoelstemperatuur"], FIXTURES / "klimaat" / "gevoelstemperatuur-synthetic.tif")
    batch = klimaat.read_klimaat_cache(tmp_path / "cache", buurten, 2024)
    codes = {o.area_code for o in batch.observations if o.value is not None}
    assert {"BU00340101", "WK003401", "GM0034"} <= codes and all(c[2:6] == "0034" for c in codes)
    assert "GeoTIFF" in batch.observations[0].method
