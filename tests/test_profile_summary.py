"""The profile leads with the answer: the summary block agrees with the API and with the bundled
Leefbaarometer file (deviation from the reference level, no class); the sparkline; the CSS string of
the print footer."""

from __future__ import annotations

import re

import pytest

from gebiedsatlas.web.atlas_charts import sparkline
from gebiedsatlas.web.atlas_pages import css_string

WIJK = "WK050205"  # Oostgaarde Noord, Capelle aan den IJssel


def test_sparkline_spans_the_box():
    line = sparkline([{"period": 2002, "value": 3.6}, {"period": 2012, "value": None},
                      {"period": 2024, "value": 3.9}], width=100, height=20, pad=2)
    assert line["first"] == (2.0, 18.0) and line["last"] == (98.0, 2.0)
    assert line["points"] == "2.0,18.0 98.0,2.0"
    assert sparkline([{"period": 2024, "value": 3.9}]) is None


def test_css_string_cannot_leave_the_style_element():
    text = str(css_string('Wijk "A" \\ </style><script>'))
    assert text.startswith('"') and text.endswith('"')
    assert "</style" not in text and '"A"' not in text and "<" not in text


def test_summary_api_matches_the_profile_and_the_published_file(client):
    summary = client.get(f"/api/profile/{WIJK}/summary").json()
    profile = client.get(f"/api/profile/{WIJK}").json()
    figures = {f["indicator"]["id"]: f for t in profile["themes"] for f in t["figures"]}
    lbm = summary["leefbaarometer"]
    # data/leefbaarometer/lbm3_wijken_2002_2024_nta7.csv: WK050205, 2024: lbm 3.9126, afw -0.1896; 2002: 3.676.
    assert (lbm["period"], lbm["value"], lbm["deviation"]) == (2024, 3.9126, -0.1896)
    assert lbm["value"] == figures["lbm_score"]["current"]["value"]
    assert lbm["position"] == "onder" and "class" not in lbm  # no class without its documented boundaries
    assert [p["period"] for p in lbm["trend"]] == [2002, 2008, 2012, 2014, 2016, 2018, 2020, 2022, 2024]
    assert lbm["first"]["value"] == 3.676
    # Kwetsbaarheid and type: the same as the analysis API, in words.
    analysis = client.get(f"/api/analysis/area/{WIJK}").json()
    vulnerability = summary["vulnerability"]
    assert vulnerability["score"] == pytest.approx(analysis["vulnerability"]["score"])
    assert vulnerability["drivers"] == analysis["vulnerability"]["drivers"]
    assert vulnerability["words"] == "veel kwetsbaarder dan gemiddeld in Nederland"  # score 1,14
    assert summary["type"]["name"] == analysis["type"]["name"]
    # Similar areas: the same number and areas as the peers API's default.
    peers = client.get(f"/api/analysis/peers/{WIJK}").json()
    assert [p["code"] for p in summary["peers"]["areas"]] == [p["code"] for p in peers["rows"]]
    assert summary["peers"]["count"] == peers["count"] == 10
    # The most deviating figures: against the gemeente, with the values of the profile API.
    assert summary["reference"]["code"] == "GM0502"
    assert 1 <= len(summary["deviations"]) <= 3
    for d in summary["deviations"]:
        figure = figures[d["indicator"]]
        gemeente = next(r for r in figure["references"] if r["reference"]["key"] == "gemeente")
        assert d["value"]["value"] == figure["current"]["value"]
        assert d["reference_value"]["value"] == gemeente["value"]["value"]
        higher = d["value"]["value"] > d["reference_value"]["value"]
        assert d["words"].endswith("hoger" if higher else "lager")  # the words agree with the numbers
        assert figure["indicator"]["unit"] not in ("aantal", "ha", "klasse")
    sizes = [d["size"] for d in summary["deviations"]]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] >= 0.5
    # KWB 2022: 46,3% low incomes in Oostgaarde Noord against 38,9% in Capelle aan den IJssel.
    low = next(d for d in summary["deviations"] if d["indicator"] == "laag_inkomen")
    assert (round(low["value"]["value"], 1), round(low["reference_value"]["value"], 1)) == (46.3, 38.9)
    assert low["judgement"] == "slechter"


def test_summary_of_places_without_analysis(client):
    gemeente = client.get("/api/profile/GM0034/summary").json()
    assert gemeente["vulnerability"] is None and gemeente["type"] is None
    assert gemeente["leefbaarometer"]["status"] == "derived"  # from the wijken, weighted by inhabitants
    nederland = client.get("/api/profile/NL01/summary").json()
    assert nederland["leefbaarometer"] is None and nederland["deviations"] == []
    assert client.get("/api/profile/XX99/summary").status_code == 404


def _text(page, selector: str) -> str:
    return re.sub(r"\s+", " ", page.locator(selector).first.inner_text()).strip()


@pytest.mark.browser
def test_profile_page_leads_with_the_summary_of_the_api(page, live_server, client):
    summary = client.get(f"/api/profile/{WIJK}/summary").json()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/gebied/{WIJK}")
    block = page.locator("[data-summary-block]")
    # The summary comes first: its top is on the first screen, above the overview.
    assert block.bounding_box()["y"] < 768
    assert block.bounding_box()["y"] < page.locator("#kop-overzicht").bounding_box()["y"]
    assert _text(page, "[data-summary-value='lbm-score']") == "3,913"
    # -0,1896 from the file, shown at the score's three decimals; no class (boundaries not verified).
    assert _text(page, "[data-summary-value='lbm-position']") == "0,190 onder het Leefbaarometer-referentieniveau"
    assert "2002: 3,676" in _text(page, ".atlas-sparkline figcaption")
    assert page.locator(".atlas-sparkline svg polyline").count() == 1
    assert _text(page, "[data-summary-value='vulnerability-words']") == "Veel kwetsbaarder dan gemiddeld in Nederland"
    drivers = _text(page, "[data-summary-value='vulnerability-drivers']")
    for driver in summary["vulnerability"]["drivers"]:
        assert driver[1:] in drivers
    assert _text(page, "[data-summary-value='type']") == summary["type"]["name"]
    assert _text(page, "[data-summary-value='peer-count']") == str(summary["peers"]["count"])
    shown = page.locator("[data-summary-peer]").evaluate_all("els => els.map(e => e.dataset.summaryPeer)")
    assert shown == [p["code"] for p in summary["peers"]["areas"][:3]]
    listed = page.locator("[data-summary-deviation]").evaluate_all("els => els.map(e => e.dataset.summaryDeviation)")
    assert listed == [d["indicator"] for d in summary["deviations"]]
    low = _text(page, "[data-summary-deviation='laag_inkomen']")
    assert "veel hoger dan in Capelle aan den IJssel" in low and "46,3% tegen 38,9%, 2022" in low and "slechter" in low
    # No chart is drawn (nor the chart library loaded) before a chart scrolls into view.
    assert page.evaluate("typeof vegaEmbed") == "undefined"
    assert page.locator("[data-chart-state]").count() == 0
    chart = page.locator("figure[data-trend='lbm_score'] .atlas-chart")
    chart.scroll_into_view_if_needed()
    chart.locator("svg").wait_for(timeout=30_000)
    assert chart.get_attribute("data-chart-state") == "ready"
    assert page.js_errors == []


def test_plain_dutch_on_the_analysis_pages(client):
    """Words instead of sd and z-scores; the method page in words first; one number of similar areas."""
    method = " ".join(client.get("/methode/kwetsbaarheid").text.split())
    assert method.index("In gewone woorden") < method.index("Technische bijlage")
    for jargon in ("scikit", ".yaml", "random_state", "NearestNeighbors"):
        assert jargon not in method
    assert "de 10 wijken of buurten in Nederland" in method
    fragment = client.get(f"/gebied/{WIJK}/kwetsbaarheid", params={"fragment": 1}).text
    assert " sd)" not in fragment and "1–1" not in fragment
    assert "ook als de onderdelen anders worden gewogen" in " ".join(fragment.split())  # rank 1, 1–1 before
    assert fragment.count('href="/gebied/WK') - fragment.count(f'href="/gebied/{WIJK}') == 10
    typology = client.get("/api/analysis/area/" + WIJK).json()["type"]
    assert "sd" not in typology["description"] and "afwijkend van het landelijk gemiddelde" in typology["description"]
    signals = client.get("/signalen").text
    assert "1,4826" not in signals and "z-score" not in signals and "Robuuste z" not in signals
    assert "k-means" not in client.get("/typologie").text
