"""The choropleth map: classification (mapclassify on real values), /api/classify, cached GeoJSON,
and the /kaart page in a real Chromium (one shape per area, tooltip, click, shared URL, axe)."""

from __future__ import annotations

import json
import math
from urllib.parse import urlencode

import httpx
import mapclassify
import numpy as np
import pytest
from shapely.geometry import shape

from conftest import DATA_DIR, axe_violations
from gebiedsatlas.analysis.classify import (
    NO_DATA_COLOUR,
    Method,
    assign_classes,
    classify,
    classify_deviation,
    compute_breaks,
    sequential_colours,
)
from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import Direction
from gebiedsatlas.indicators.values import area_values
from gebiedsatlas.store import db

ALMERE = "GM0034"
ALMERE_HAVEN = "WK003401"  # Centrum Almere Haven: 43,6 % laag inkomen in 2022 (CBS KWB 2022)


@pytest.fixture(scope="module")
def almere_wijken(db_url):
    """Real laag_inkomen values of the wijken of Almere, 2022 (None where CBS gives no number)."""
    with db.session_scope(db_url) as session:
        codes = area_index(session).at_level(Level.WIJK, parent=ALMERE, year=2022)
        frame = area_values(session, codes, ["laag_inkomen"], [2022]).set_index("area_code")
    values = [None if math.isnan(frame.loc[c, "value"]) else float(frame.loc[c, "value"]) for c in codes]
    return codes, values


# --- classification -------------------------------------------------------------------------


def test_quantiles_match_mapclassify_on_real_values(almere_wijken):
    codes, values = almere_wijken
    present = np.array([v for v in values if v is not None])
    assert 20 < present.size < len(values)  # real data: some wijken without a published figure
    result = classify(values, Method.QUANTILES, 5, Direction.HIGHER_IS_WORSE)
    expected = mapclassify.Quantiles(present, k=5)
    assert result.breaks == pytest.approx(list(expected.bins))
    assert [c.count for c in result.classes] == list(expected.counts)
    assert result.no_data_count == len(values) - present.size
    # Missing values are in no class; every present value is in exactly one.
    for value, cls in zip(values, result.assignments, strict=True):
        assert (cls is None) == (value is None)
        if cls is not None:
            assert result.classes[cls].lower <= value <= result.classes[cls].upper
    assert sum(c.count for c in result.classes) == present.size
    # The legend shows the range of the values actually in each class.
    for i, c in enumerate(result.classes):
        inside = [v for v, cls in zip(values, result.assignments, strict=True) if cls == i]
        assert (c.lower, c.upper) == (min(inside), max(inside))


def test_equal_interval_and_natural_breaks_on_real_values(almere_wijken):
    _, values = almere_wijken
    present = np.array([v for v in values if v is not None])
    equal = classify(values, Method.EQUAL_INTERVAL, 4)
    assert equal.breaks == pytest.approx(list(mapclassify.EqualInterval(present, k=4).bins))
    natural = classify(values, "natural_breaks", 4)
    # Fewer values than the sampling threshold: exact Fisher-Jenks.
    assert natural.breaks == pytest.approx(list(mapclassify.FisherJenks(present, k=4).bins))
    assert sum(c.count for c in natural.classes) == present.size


def test_natural_breaks_on_many_values_is_deterministic_and_covers_all():
    # Synthetic edge case (more values than the Fisher-Jenks sample): deterministic, max included.
    data = np.concatenate([np.linspace(0, 10, 500), np.linspace(50, 60, 500)])
    first = compute_breaks(data, Method.NATURAL_BREAKS, 2)
    assert first == compute_breaks(data, Method.NATURAL_BREAKS, 2)
    assert first[0] == pytest.approx(10, abs=0.5) and first[-1] == 60


def test_few_distinct_values_give_fewer_classes():
    result = classify([1.0, 1.0, 1.0, 2.0, None], Method.QUANTILES, 5)
    assert len(result.classes) == 2
    assert result.assignments == [0, 0, 0, 1, None]
    assert result.notes


def test_palette_dark_end_is_always_worse():
    darkest = "#440154"
    assert sequential_colours(5, Direction.HIGHER_IS_WORSE)[-1] == darkest  # high values worse
    assert sequential_colours(5, Direction.HIGHER_IS_BETTER)[0] == darkest  # low values worse
    assert len(set(sequential_colours(9, Direction.NEUTRAL))) == 9


def test_deviation_classes_split_at_the_reference(almere_wijken):
    _, values = almere_wijken
    reference = 36.7  # Almere as a whole, laag inkomen 2022
    result = classify_deviation(values, reference, Method.QUANTILES, 6, Direction.HIGHER_IS_WORSE)
    assert result.diverging
    assert 0.0 in result.breaks
    below = [c for c in result.classes if c.upper <= 0]
    above = [c for c in result.classes if c.lower >= 0]
    assert len(below) + len(above) == len(result.classes)
    # Higher is worse: above the reference is red (worse), below is blue.
    assert all(c.colour.startswith(("#f", "#d", "#b", "#6")) for c in above)
    assert all(c.colour in ("#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061") for c in below)
    assert sum(c.count for c in result.classes) == sum(v is not None for v in values)


def test_assign_classes_bounds():
    assert assign_classes([0, 1, 1.5, 3, None, float("nan")], [1, 2, 3]) == [0, 0, 1, 2, None, None]


# --- API ------------------------------------------------------------------------------------


def test_classify_api_matches_geojson_areas(client):
    params = {"indicator": "laag_inkomen", "level": "wijk", "scope": ALMERE, "period": 2022}
    data = client.get("/api/classify", params=params).json()
    geo = client.get("/api/geojson", params={"level": "wijk", "parent": ALMERE, "period": 2022}).json()
    assert {a["code"] for a in data["areas"]} == {f["id"] for f in geo["features"]}
    haven = next(a for a in data["areas"] if a["code"] == ALMERE_HAVEN)
    assert haven["value"] == pytest.approx(43.6) and haven["class"] is not None
    missing = [a for a in data["areas"] if a["value"] is None]
    assert missing and all(a["class"] is None and a["status"] in ("missing", "suppressed") for a in missing)
    assert data["classification"]["no_data"] == {"count": len(missing), "colour": NO_DATA_COLOUR}


def test_classify_api_rejects_bad_input_in_dutch(client):
    response = client.get("/api/classify", params={"k": 12})
    assert response.status_code == 400
    assert "'k'" in response.json()["detail"] and "2 tot en met 9" in response.json()["detail"]
    response = client.get("/api/classify", params={"indicator": "bestaat_niet"})
    assert response.status_code == 400 and "onbekende indicator" in response.json()["detail"]
    # A deviation of a count (inwoners minus all inwoners of Nederland) means nothing: refused.
    response = client.get("/api/classify", params={"indicator": "inwoners", "ref": "NL01"})
    assert response.status_code == 400 and "'ref'" in response.json()["detail"]


def test_geojson_is_cached_gzipped_with_etag(client):
    url = "/api/geojson?level=wijk&parent=GM0034&period=2022"
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    etag = first.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert len(first.json()["features"]) == 71


# --- browser --------------------------------------------------------------------------------


def _open_map(page, base: str, **params) -> None:
    page.goto(f"{base}/kaart?{urlencode(params)}")
    # A function, not an expression: polling an expression uses eval(), which the page's CSP refuses.
    page.wait_for_function("() => window.atlasMap && window.atlasMap.drawn", timeout=30_000)


@pytest.mark.browser
def test_map_draws_one_shape_per_area_and_tooltip_and_click(live_server, page):
    params = {"indicator": "laag_inkomen", "level": "wijk", "scope": ALMERE, "period": 2022, "renderer": "svg"}
    geo = json.loads(httpx.get(
        f"{live_server.url}/api/geojson?level=wijk&parent={ALMERE}&period=2022").text)
    _open_map(page, live_server.url, **params)
    assert page.evaluate("atlasMap.featureCount") == len(geo["features"]) == 71
    # SVG renderer: exactly one path per area.
    assert page.locator("#atlas-map path.leaflet-interactive").count() == 71
    # Missing values are drawn in the no-data grey, never in a class colour.
    fills = page.evaluate("""() => atlasMap.layer.getLayers().map(l => [l.feature.id, l.options.fillColor])""")
    classes = json.loads(page.locator("#atlas-map-data").text_content())
    for code, fill in fills:
        cls = classes["areas"][code][0]
        assert fill == (NO_DATA_COLOUR if cls is None else classes["colours"][cls])
    # Hover a point inside Centrum Almere Haven: tooltip with its real value, unit and period.
    feature = next(f for f in geo["features"] if f["id"] == ALMERE_HAVEN)
    point = shape(feature["geometry"]).representative_point()
    xy = page.evaluate("([lat, lng]) => atlasMap.map.latLngToContainerPoint([lat, lng])", [point.y, point.x])
    # The map sits below the form, town buttons and legend: bring it to the top so the point is on screen.
    page.evaluate("document.getElementById('atlas-map').scrollIntoView()")
    box = page.locator("#atlas-map").bounding_box()
    page.mouse.move(box["x"] + xy["x"], box["y"] + xy["y"])
    tooltip = page.locator(".atlas-tooltip")
    tooltip.wait_for(timeout=5_000)
    text = tooltip.text_content()
    assert "Centrum Almere Haven" in text and "43,6%" in text and "2022" in text
    page.mouse.click(box["x"] + xy["x"], box["y"] + xy["y"])
    page.wait_for_url(f"**/gebied/{ALMERE_HAVEN}", timeout=15_000, wait_until="commit")
    assert not page.js_errors


@pytest.mark.browser
def test_map_shapes_by_keyboard_one_tab_stop(live_server, page):
    _open_map(page, live_server.url, indicator="laag_inkomen", level="wijk", scope=ALMERE, period=2022)
    active = "() => { const a = document.activeElement; return [a.id, a.getAttribute('href'), " \
             "a.getAttribute('aria-label'), a.closest('#atlas-map') !== null]; }"
    rows = {r["code"]: r for r in page.evaluate("""() => Array.from(
        document.querySelectorAll('#atlas-map-table tbody tr'), (tr) => ({code: tr.dataset.code,
        cells: Array.from(tr.cells, (td) => td.textContent.trim())}))""")}
    # The map is one tab stop right after the form.
    page.locator("form.atlas-map-form button[type=submit]").focus()
    page.keyboard.press("Tab")
    assert page.evaluate(active)[0] == "atlas-map"
    # An arrow key picks the area in the middle of the view; the next one moves to a neighbour east of it.
    page.keyboard.press("ArrowRight")
    first = page.evaluate(active)
    page.keyboard.press("ArrowRight")
    _, href, label, inside = page.evaluate(active)
    assert inside and href != first[1] and href.startswith("/gebied/WK0034")
    name, _, value, klasse = rows[href.removeprefix("/gebied/")]["cells"]
    measure = "Personen met een laag inkomen"
    assert label == (f"{name}, {measure}: geen gegevens, klasse: geen gegevens, 2022" if value == "geen gegevens"
                     else f"{name}, {measure}: {value}%, klasse {klasse} (5 = slechtst), 2022")
    # Home: the first area of the table.
    page.keyboard.press("Home")
    assert page.evaluate(active)[1] == f"/gebied/{next(iter(rows))}"
    # Typing the start of a name: Centrum Almere Haven, with its published figure (CBS KWB 2022).
    page.keyboard.type("centrum almere h")
    _, href, label, _ = page.evaluate(active)
    assert href == f"/gebied/{ALMERE_HAVEN}"
    assert label.startswith(f"Centrum Almere Haven, {measure}: 43,6%, klasse ")
    assert label.endswith(" van 5 (5 = slechtst), 2022")
    # Visible focus: a ring around the shape and the same tooltip as on hover.
    assert page.locator("#atlas-map path.atlas-map__focus-ring").count() == 2
    tooltip = page.locator(".atlas-tooltip")
    assert tooltip.inner_text().replace("\n", ", ") == label
    assert axe_violations(page) == []
    # Tab leaves the map (no trap); Shift+Tab comes back to the same area.
    page.keyboard.press("Tab")
    assert page.evaluate(active)[3] is False
    assert page.locator("#atlas-map path.atlas-map__focus-ring").count() == 0
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(active)[1] == f"/gebied/{ALMERE_HAVEN}"
    # Escape goes back to the container, the next arrow key resumes at the same area.
    page.keyboard.press("Escape")
    assert page.evaluate(active)[0] == "atlas-map"
    page.keyboard.press("ArrowDown")
    assert page.evaluate(active)[1] == f"/gebied/{ALMERE_HAVEN}"
    # Enter opens the profile, as a click does.
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/gebied/{ALMERE_HAVEN}", timeout=15_000, wait_until="commit")
    assert not page.js_errors


@pytest.mark.browser
def test_shared_url_restores_the_same_map(live_server, page, browser):
    _open_map(page, live_server.url, indicator="lbm_score", level="buurt", scope=ALMERE, period=2024,
              method="equal_interval", k=4)
    legend = page.locator("#atlas-legend").inner_text()
    assert legend.count("–") == 4  # four classes, plus geen gegevens
    share = page.locator("#atlas-share").get_attribute("href")
    state = page.evaluate("document.getElementById('atlas-map-data').textContent")
    other = browser.new_context().new_page()
    try:
        other.goto(live_server.url + share)
        other.wait_for_function("() => window.atlasMap && window.atlasMap.drawn", timeout=30_000)
        assert other.locator("#atlas-legend").inner_text() == legend
        assert other.evaluate("document.getElementById('atlas-map-data').textContent") == state
        for field, expected in [("indicator", "lbm_score"), ("level", "buurt"), ("scope", ALMERE),
                                ("period", "2024"), ("method", "equal_interval"), ("k", "4")]:
            assert other.locator(f"select[name={field}]").input_value() == expected
        assert other.evaluate("atlasMap.featureCount") == page.evaluate("atlasMap.featureCount") > 0
    finally:
        other.context.close()


@pytest.mark.browser
def test_map_of_all_wijken_with_lazy_table(live_server, browser):
    # Its own context (no full-page screenshot of a 3,340-row page; the other map tests keep theirs).
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _open_map(page, live_server.url, indicator="laag_inkomen", level="wijk", scope="NL01", period=2022)
        count = page.evaluate("atlasMap.featureCount")
        assert count == 3340
        page.wait_for_selector("#atlas-table-slot[data-state=loaded]", timeout=30_000)
        assert page.locator("#atlas-map-table tbody tr").count() == count
        # Sorting by value: after two clicks (descending) the first row has the highest value.
        header = page.locator("#atlas-map-table thead th").nth(2).locator("button")
        header.click()
        header.click()
        assert page.locator("#atlas-map-table thead th").nth(2).get_attribute("aria-sort") == "descending"
        first = page.locator("#atlas-map-table tbody tr").first.get_attribute("data-code")
        classify_data = httpx.get(f"{live_server.url}/api/classify?indicator=laag_inkomen&level=wijk"
                                  "&scope=NL01&period=2022", timeout=30).json()
        top = max((a for a in classify_data["areas"] if a["value"] is not None), key=lambda a: a["value"])
        assert first == top["code"]
    finally:
        context.close()


@pytest.mark.browser
def test_map_page_deviation_and_axe(live_server, page):
    _open_map(page, live_server.url, indicator="lbm_score", level="wijk", scope="nta", ref="nta")
    assert "afwijking t.o.v. New Town Alliantie" in page.locator("h2#kaart-kop").inner_text()
    assert page.locator("#atlas-map-table tbody tr").count() == page.evaluate("atlasMap.featureCount")
    assert axe_violations(page) == []
    assert not page.js_errors


@pytest.mark.browser
def test_map_page_bad_parameter_shows_dutch_error(live_server, page):
    response = page.goto(f"{live_server.url}/kaart?indicator=laag_inkomen&period=1990")
    assert response.status == 400
    assert "periode" in page.locator("[role=alert]").inner_text()


def test_basemap_is_off_by_default_and_comes_from_settings(client, db_url):
    assert 'data-tile-url=""' in client.get("/kaart").text
    tiles = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"
    with make_client_with_tiles(db_url, tiles) as other:
        assert f'data-tile-url="{tiles}"' in other.get("/kaart").text


def make_client_with_tiles(db_url: str, tile_url: str):
    from fastapi.testclient import TestClient

    from gebiedsatlas.config import Settings
    from gebiedsatlas.web.app import create_app

    return TestClient(create_app(Settings(database_url=db_url, data_dir=DATA_DIR, tile_url=tile_url)))


def test_areas_without_boundary_are_counted_not_classified(client):
    data = client.get("/api/classify", params={"indicator": "inwoners", "level": "wijk", "scope": "NL01",
                                               "period": 2024}).json()
    geo = client.get("/api/geojson", params={"level": "wijk", "period": 2024}).json()
    assert len(data["areas"]) == len(geo["features"])
    assert data["without_geometry"] == geo["skipped"] > 0


def test_static_assets_are_served_gzipped_from_memory(client):
    from gebiedsatlas.web.app import STATIC_DIR

    path = "vendor/utrecht/component-library.css"
    response = client.get(f"/static/{path}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    assert response.content == (STATIC_DIR / path).read_bytes()  # httpx decompressed it
    assert "max-age" in response.headers["cache-control"]
    again = client.get(f"/static/{path}", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/static/js/map.js").headers["cache-control"] == "no-cache"


def test_table_page_and_long_tables_loaded_after_the_map(client):
    # A small map carries its table inline; every area one row, linked to its profile.
    small = client.get("/kaart", params={"indicator": "laag_inkomen", "level": "wijk", "scope": ALMERE,
                                         "period": 2022}).text
    assert small.count('<tr data-code="WK0034') == 71 and 'href="/gebied/WK003401"' in small
    # All NL wijken: the page links to the table (no JavaScript needed) and loads it after the map.
    params = {"indicator": "laag_inkomen", "level": "wijk", "scope": "NL01", "period": 2022}
    big = client.get("/kaart", params=params).text
    assert 'id="atlas-table-slot"' in big and '<tr data-code="WK' not in big
    table = client.get("/kaart/tabel", params=params).text
    assert table.count('<tr data-code="WK') == 3340
    assert "<h1" in table and "<h1" not in client.get("/kaart/tabel", params={**params, "fragment": 1}).text


# --- "te kleine aantallen" apart from "geen gegevens" (issue 14) --------------------------------------

def test_too_small_is_counted_apart_from_no_data_by_hand():
    from gebiedsatlas.analysis.choropleth import split_no_data
    from gebiedsatlas.analysis.classify import TOO_SMALL_COLOUR

    # HAND-MADE: five areas, two classed, one too small, one secret, one missing: the classifier counts
    # three without a class; the legend shows 2 "geen gegevens" and 1 "te kleine aantallen".
    areas = [{"class": 0, "status": "observed"}, {"class": 1, "status": "derived"},
             {"class": None, "status": "too_small"}, {"class": None, "status": "suppressed"},
             {"class": None, "status": "missing"}]
    assert split_no_data(areas, 3) == {
        "no_data": {"count": 2, "colour": NO_DATA_COLOUR},
        "too_small": {"count": 1, "colour": TOO_SMALL_COLOUR, "label": "te kleine aantallen"}}


def test_map_legend_and_table_count_too_small_apart(client):
    # Real data: the 2024 share of 0-14 year olds in the buurten of Almere. Buurten of fewer than 50
    # inhabitants have no share (status too_small, "te kleine aantallen"); they are not "geen gegevens".
    params = {"indicator": "aandeel_0_14", "level": "buurt", "scope": ALMERE, "period": 2024}
    data = client.get("/api/classify", params=params).json()
    statuses = [a["status"] for a in data["areas"] if a["class"] is None]
    small, other = statuses.count("too_small"), len(statuses) - statuses.count("too_small")
    assert small > 0 and other > 0
    assert data["classification"]["too_small"]["count"] == small
    assert data["classification"]["no_data"]["count"] == other
    page = client.get("/kaart", params=params)
    assert page.status_code == 200
    legend = page.text[page.text.index('id="atlas-legend"'):page.text.index("</aside>")]
    assert f'geen gegevens</span>\n        <span class="atlas-legend__count">({other})' in legend
    assert f'te kleine aantallen</span>\n        <span class="atlas-legend__count">({small})' in legend
    table = client.get("/kaart/tabel", params=params).text
    code = next(a["code"] for a in data["areas"] if a["status"] == "too_small")
    row = table[table.index(f'<tr data-code="{code}">'):]
    row = row[:row.index("<tr", 5)]
    assert row.count("te kleine aantallen") == 2 and "geen gegevens" not in row
    # The map script gets the mark that draws these buurten apart.
    assert f'"{code}":[null,"te kleine aantallen",1]' in page.text
