"""The live sources, where a network is available: every documented endpoint answers in the format the
connectors expect. Run `pytest -m online -v` on a machine with internet access to verify the table ids
of every KWB year, the PDOK collections, the Leefbaarometer download links, the BAG WFS, EP-online (with a key
in GEBIEDSATLAS_EP_ONLINE_API_KEY) and the RIVM WCS coverages of the climate layers; without a network these
tests are skipped (the offline fixtures in tests/fixtures/ cover the connectors' logic)."""

from __future__ import annotations

import json

import httpx
import pytest

from gebiedsatlas.sources.fetch import cbs_odata, leefbaarometer, pdok
from gebiedsatlas.sources.fetch.cache import Fetcher

pytestmark = pytest.mark.online


def _reachable(url: str) -> None:
    try:
        httpx.head(url, timeout=3, follow_redirects=True)
    except httpx.HTTPError:
        pytest.skip(f"geen netwerk naar {httpx.URL(url).host}")


@pytest.mark.parametrize("year", sorted(cbs_odata.kwb_tables()))
def test_every_kwb_table_id_names_its_year(tmp_path, year):
    table = cbs_odata.kwb_table(year)
    base = f"https://opendata.cbs.nl/ODataApi/odata/{table.table_id}"
    _reachable("https://opendata.cbs.nl/ODataApi/odata/")
    path = Fetcher(tmp_path, retries=1).get("CBS open data", f"{base}/TableInfos", "TableInfos.json",
                                            params={"$format": "json"}, validate=cbs_odata.ODATA_PAGE)
    title = json.loads(path.read_text(encoding="utf-8"))["value"][0]["Title"]
    assert "wijken en buurten" in title.lower() and str(year) in title, title


def test_pdok_wijken_of_almere_in_rd_new(tmp_path):
    year = 2024
    url = f"{pdok.OGC_API.format(year=year)}/collections/wijken/items"
    _reachable(pdok.OGC_API.format(year=year))
    path = Fetcher(tmp_path, retries=1).get("PDOK", url, "wijken.json", params={
        "f": "json", "crs": pdok.RD_CRS, "gemeentecode": "GM0034", "limit": 100})
    page = json.loads(path.read_text(encoding="utf-8"))
    codes = {f["properties"].get("wijkcode") for f in page["features"]}
    assert "WK003401" in codes
    point = page["features"][0]["geometry"]["coordinates"]
    while isinstance(point[0], list):  # Polygon or MultiPolygon: down to the first vertex
        point = point[0]
    x, y = point[:2]  # RD New metres, not degrees
    assert 100_000 < x < 200_000 and 450_000 < y < 550_000


@pytest.mark.parametrize("level", sorted(leefbaarometer.DOWNLOADS))
def test_leefbaarometer_download_links(tmp_path, level):
    url = leefbaarometer.DOWNLOADS[level][0]
    _reachable("https://www.leefbaarometer.nl/")
    fetcher = Fetcher(tmp_path, retries=1)
    path = leefbaarometer.fetch_leefbaarometer(fetcher, [level])[0]
    assert path.stat().st_size > 100_000, url


@pytest.mark.parametrize("year", sorted(cbs_odata.kwb_tables()))
def test_every_kwb_edition_maps_the_tenure_columns_through_its_own_codebook(tmp_path, year):
    # The catalogue writes out only the 2024 keys; other editions map by stable key against the
    # DataProperties CBS serves for them (docs/live-data.md). Tenure exists in every edition 2013-2025.
    from gebiedsatlas.indicators.catalogue import load_catalogue

    table = cbs_odata.kwb_table(year)
    base = f"https://opendata.cbs.nl/ODataApi/odata/{table.table_id}"
    _reachable("https://opendata.cbs.nl/ODataApi/odata/")
    path = Fetcher(tmp_path, retries=1).get("CBS open data", f"{base}/DataProperties", "DataProperties.json",
                                            params={"$format": "json"}, validate=cbs_odata.ODATA_PAGE)
    keys = [t["Key"] for t in json.loads(path.read_text(encoding="utf-8"))["value"] if t.get("Type") == "Topic"]
    catalogue = load_catalogue()
    mapped = set(cbs_odata.map_columns(catalogue, year, keys).columns.values())
    assert {"koopwoningen", "huurwoningen_corporatie", "inwoners"} <= mapped, sorted(mapped)
    if year == 2024:
        assert set(catalogue.columns_of("cbs-kwb-2024")) - {"MateVanStedelijkheid_122"} <= set(keys)


# --- BAG, EP-online and the climate rasters (gebiedsatlas fetch bag|energielabels|klimaat) --------------

def test_bag_wfs_gives_woningen_with_bouwjaar_in_rd_new(tmp_path):
    from gebiedsatlas.sources.fetch import bag

    _reachable(bag.WFS)
    box = (143300.0, 483000.0, 143800.0, 483400.0)  # Almere Haven, around BU00340101
    path = Fetcher(tmp_path, retries=1).get("PDOK BAG", bag.page_url(box, 0), "bag.json",
                                            validate=bag.GEOJSON_PAGE)
    page = json.loads(path.read_text(encoding="utf-8"))
    assert page["features"], "no verblijfsobjecten in a built-up box"
    props = page["features"][0]["properties"]
    assert {"identificatie", "gebruiksdoel", "status", "bouwjaar", "pandidentificatie"} <= set(props), props
    x, y = page["features"][0]["geometry"]["coordinates"][:2]
    assert 100_000 < x < 200_000 and 450_000 < y < 550_000
    assert any(bag.is_dwelling(f["properties"]) for f in page["features"])


def test_ep_online_download_info_names_the_monthly_csv(tmp_path):
    from gebiedsatlas.sources.fetch import energielabels

    _reachable(energielabels.API)
    if not energielabels.api_key():
        pytest.skip(f"geen API-sleutel in {energielabels.KEY_ENV}")
    path = Fetcher(tmp_path, retries=1).get("EP-online", energielabels.DOWNLOAD_INFO, "info.json",
                                            params={"fileType": "csv"},
                                            headers={"Authorization": energielabels.api_key()})
    info = json.loads(path.read_text(encoding="utf-8"))
    assert info["bestandsnaam"].endswith(".zip") and info["downloadUrl"].startswith("https://")


@pytest.mark.parametrize("layer", sorted(["gevoelstemperatuur", "inundatie"]))
def test_rivm_wcs_offers_a_coverage_for_each_climate_layer(tmp_path, layer):
    from gebiedsatlas.sources.fetch import klimaat

    chosen = klimaat.LAYERS[layer]
    _reachable(chosen.service)
    caps = Fetcher(tmp_path, retries=1).get("RIVM WCS", chosen.service, "caps.xml", params={
        "service": "WCS", "version": "2.0.1", "request": "GetCapabilities"})
    coverage = klimaat.choose_coverage(chosen, klimaat.coverage_ids(caps))  # CoverageNotFound names the fix
    fetcher = Fetcher(tmp_path, retries=1)
    tif = klimaat.fetch_layer(fetcher, chosen, {"GM0034": (143300.0, 483000.0, 144300.0, 484000.0)}, coverage)[0]
    assert tif.read_bytes()[:2] in (b"II", b"MM")
