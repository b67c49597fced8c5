"""Minimum base, plausibility and precision (issue 14, items 1 and 2).

Unit tests use small hand-made frames (synthetic, labelled so) with results worked out by hand; the
store tests run over the whole bundled import; the page test compares profile pages with the API.
"""

from __future__ import annotations

import html
import re
import sqlite3

import pandas as pd
import pytest
from typer.testing import CliRunner

from gebiedsatlas.indicators.catalogue import load_catalogue, parse_catalogue
from gebiedsatlas.indicators.derive import compact, compute_shares, derive_parents
from gebiedsatlas.indicators.quality import (
    apply_minimum_base,
    check_plausibility,
    check_range,
    group_tolerance,
    implausible_shares,
)
from gebiedsatlas.web.formatting import format_value

CAT = load_catalogue()


def _frame(rows: list[tuple]) -> pd.DataFrame:
    """Synthetic observations: (area, indicator, period, value[, status, source])."""
    out = []
    for r in rows:
        area, ind, period, value = r[:4]
        status = r[4] if len(r) > 4 else "observed"
        source = r[5] if len(r) > 5 else "cbs-kwb-2024"
        out.append({"area_code": area, "indicator_id": ind, "period": period, "value": value, "status": status,
                    "source_id": source, "boundary_year": period, "method": None})
    return compact(pd.DataFrame(out))


def _status(obs: pd.DataFrame, area: str, ind: str, period: int = 2024) -> tuple[str, float | None, str | None]:
    row = obs[(obs["area_code"] == area) & (obs["indicator_id"] == ind) & (obs["period"] == period)].iloc[0]
    value = None if pd.isna(row["value"]) else float(row["value"])
    return str(row["status"]), value, None if pd.isna(row["method"]) else str(row["method"])


# --- 1. minimum base -------------------------------------------------------------------------------

def test_share_of_fewer_than_50_inhabitants_is_too_small_and_50_is_enough():
    # synthetic: two buurten, 49 and 50 inhabitants, each 10 aged 0-14 -> 20,4% and 20,0%
    obs = _frame([("BU00000001", "inwoners", 2024, 49), ("BU00000001", "leeftijd_0_14", 2024, 10),
                  ("BU00000002", "inwoners", 2024, 50), ("BU00000002", "leeftijd_0_14", 2024, 10)])
    obs = apply_minimum_base(compute_shares(obs, CAT), CAT)
    status, value, reason = _status(obs, "BU00000001", "aandeel_0_14")
    assert (status, value) == ("too_small", None)
    assert reason == "gebaseerd op 49 inwoners; minder dan 50 inwoners"
    assert _status(obs, "BU00000002", "aandeel_0_14")[:2] == ("derived", 20.0)
    # The counts themselves stay: the rule is for shares, not for the number of inhabitants.
    assert _status(obs, "BU00000001", "inwoners")[:2] == ("observed", 49.0)


def test_household_share_needs_25_households():
    # synthetic: 24 households of which 12 with children -> 50 % hidden; 25 with 10 -> 40 % shown
    obs = _frame([("BU00000001", "huishoudens", 2024, 24), ("BU00000001", "huishoudens_met_kinderen", 2024, 12),
                  ("BU00000002", "huishoudens", 2024, 25), ("BU00000002", "huishoudens_met_kinderen", 2024, 10)])
    obs = apply_minimum_base(compute_shares(obs, CAT), CAT)
    assert _status(obs, "BU00000001", "aandeel_huishoudens_met_kinderen")[:2] == ("too_small", None)
    assert _status(obs, "BU00000002", "aandeel_huishoudens_met_kinderen")[:2] == ("derived", 40.0)


def test_nettoarbeidsparticipatie_follows_cbs_rule_of_150_inhabitants():
    assert CAT["nettoarbeidsparticipatie"].minimum_base.minimum == 150
    obs = _frame([("WK00000101", "inwoners", 2022, 149, "observed", "cbs-kwb-2022"),
                  ("WK00000101", "nettoarbeidsparticipatie", 2022, 61, "observed", "cbs-kwb-2022"),
                  ("WK00000102", "inwoners", 2022, 150, "observed", "cbs-kwb-2022"),
                  ("WK00000102", "nettoarbeidsparticipatie", 2022, 61, "observed", "cbs-kwb-2022")])
    obs = apply_minimum_base(obs, CAT)
    assert _status(obs, "WK00000101", "nettoarbeidsparticipatie", 2022)[:2] == ("too_small", None)
    assert _status(obs, "WK00000102", "nettoarbeidsparticipatie", 2022)[:2] == ("observed", 61.0)


def test_new_indicators_inherit_the_minimum_base_from_unit_and_weight():
    doc = {"themes": {"t": "T"}, "sources": {}, "indicators": [
        {"id": "inwoners", "label": "I", "theme": "t", "unit": "aantal", "direction": "neutral",
         "aggregation": "sum"},
        {"id": "huishoudens", "label": "H", "theme": "t", "unit": "aantal", "direction": "neutral",
         "aggregation": "sum"},
        {"id": "woningvoorraad", "label": "W", "theme": "t", "unit": "aantal", "direction": "neutral",
         "aggregation": "sum"},
        {"id": "a", "label": "A", "theme": "t", "unit": "%", "direction": "neutral",
         "aggregation": {"method": "weighted_mean", "weight": "huishoudens"}},
        {"id": "b", "label": "B", "theme": "t", "unit": "per 1.000 inwoners", "direction": "neutral",
         "aggregation": {"method": "ratio", "numerator": "huishoudens", "denominator": "inwoners", "scale": 1000}},
        {"id": "c", "label": "C", "theme": "t", "unit": "%", "direction": "neutral",
         "aggregation": {"method": "weighted_mean", "weight": "woningvoorraad"}},
        {"id": "d", "label": "D", "theme": "t", "unit": "%", "direction": "neutral", "minimum_base": "none",
         "aggregation": {"method": "weighted_mean", "weight": "inwoners"}},
    ]}
    cat = parse_catalogue(doc)
    assert (cat["a"].minimum_base.base, cat["a"].minimum_base.minimum) == ("huishoudens", 25)
    assert (cat["b"].minimum_base.base, cat["b"].minimum_base.minimum) == ("inwoners", 50)
    assert cat["c"].minimum_base is None  # no CBS rule for dwellings is known: no invented one
    assert cat["d"].minimum_base is None


# --- 2. plausibility -------------------------------------------------------------------------------

def test_share_outside_0_100_is_implausible():
    obs = _frame([("WK00000101", "koopwoningen", 2022, 101.0, "observed", "cbs-kwb-2022"),
                  ("WK00000102", "koopwoningen", 2022, 100.0, "observed", "cbs-kwb-2022")])
    obs = check_range(obs, CAT)
    status, value, reason = _status(obs, "WK00000101", "koopwoningen", 2022)
    assert (status, value) == ("implausible", None)
    assert reason == "aandeel van 101,0% ligt buiten 0-100%"
    assert _status(obs, "WK00000102", "koopwoningen", 2022)[0] == "observed"


def test_age_groups_must_add_up_to_100_within_rounding():
    # Five whole-number shares may be off by 5 × 0,5 = 2,5 together.
    assert group_tolerance(5, 0) == 2.5
    age = ["aandeel_0_14", "aandeel_15_24", "aandeel_25_44", "aandeel_45_64", "aandeel_65_plus"]
    rows = []
    for area, parts in (("WK00000101", (20, 10, 30, 25, 17)),  # 102: rounding, fine
                        ("WK00000102", (20, 10, 30, 25, 18)),  # 103: too far
                        ("WK00000103", (0, 0, 100, 100, 0))):  # the 5-inhabitant wijk of the issue: 200
        rows += [(area, ind, 2022, v, "observed", "cbs-kwb-2022") for ind, v in zip(age, parts, strict=True)]
    obs = check_plausibility(_frame(rows), CAT)
    assert {_status(obs, "WK00000101", i, 2022)[0] for i in age} == {"observed"}
    assert {_status(obs, "WK00000102", i, 2022)[0] for i in age} == {"implausible"}
    assert _status(obs, "WK00000102", "aandeel_0_14", 2022)[2] == \
        "de 5 delen tellen op tot 103,0% (verwacht 100% ± 2,5 door afronding)"
    assert _status(obs, "WK00000103", "aandeel_25_44", 2022)[:2] == ("implausible", None)


def test_part_larger_than_total_is_implausible_and_so_is_its_share():
    # The issue's buurt: 5 households (rounded), 10 with children -> "200 %" must not be shown.
    obs = _frame([("BU00000001", "huishoudens", 2024, 5), ("BU00000001", "huishoudens_met_kinderen", 2024, 10)])
    obs = check_plausibility(obs, CAT)
    assert _status(obs, "BU00000001", "huishoudens_met_kinderen")[:2] == ("implausible", None)
    assert _status(obs, "BU00000001", "huishoudens_met_kinderen")[2] == "10 is meer dan het totaal (huishoudens: 5)"
    obs = implausible_shares(compute_shares(obs, CAT), CAT)
    status, value, reason = _status(obs, "BU00000001", "aandeel_huishoudens_met_kinderen")
    assert (status, value) == ("implausible", None)
    assert reason.startswith("berekend uit een niet-plausibele telling")


def test_wijk_share_is_computed_from_the_wijk_counts_not_from_buurt_shares():
    # synthetic wijk of 4 buurten; the 4th has households but its share is too small to compute
    # (0 households -> no share), so averaging buurt shares would use "3 van 3 deelgebieden".
    rows = []
    for bu, (hh, kids) in {"BU00000101": (100, 40), "BU00000102": (200, 50), "BU00000103": (100, 10),
                           "BU00000104": (0, 0)}.items():
        rows += [(bu, "huishoudens", 2024, hh), (bu, "huishoudens_met_kinderen", 2024, kids)]
    obs = compute_shares(_frame(rows), CAT)
    parent_of = {f"BU0000010{i}": "WK00000001" for i in range(1, 5)}
    obs = compute_shares(derive_parents(obs, parent_of, CAT, "BU"), CAT)
    assert _status(obs, "WK00000001", "huishoudens")[1] == 400
    assert _status(obs, "WK00000001", "huishoudens_met_kinderen")[1] == 100
    status, value, method = _status(obs, "WK00000001", "aandeel_huishoudens_met_kinderen")
    assert (status, value) == ("derived", 25.0)  # 100 / 400, the counts shown beside it
    assert method == "huishoudens_met_kinderen / huishoudens × 100"


# --- precision --------------------------------------------------------------------------------------

def test_precision_follows_the_source():
    ind = CAT["aandeel_0_14"]
    assert ind.decimals_for("cbs-kwb-2022", "observed") == 0  # CBS 2022 (tmap) publishes whole numbers
    assert ind.decimals_for("cbs-kwb-2024", "derived") == 1  # computed from counts by the atlas
    assert CAT["laag_inkomen"].decimals_for("cbs-kwb-2022", "observed") == 1
    assert format_value(59.0, "observed", ind.decimals_for("cbs-kwb-2022", "observed"), "%") == "59%"


def test_status_words_instead_of_numbers():
    assert format_value(12.0, "too_small", 1, "%") == "te kleine aantallen"
    assert format_value(None, "implausible", 1, "%") == "niet plausibel"


# --- the whole bundled store -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(db_url):
    connection = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    yield connection
    connection.close()


def test_no_derived_share_outside_0_100_in_the_store(store):
    shares = [i.id for i in CAT.indicators.values() if i.unit == "%"]
    marks = ",".join("?" * len(shares))
    bad = store.execute(f"SELECT area_code, indicator_id, period, value FROM observation WHERE indicator_id IN "
                        f"({marks}) AND value IS NOT NULL AND (value < 0 OR value > 100)", shares).fetchall()
    assert bad == []


def test_no_share_on_a_base_below_its_minimum_in_the_store(store):
    checked = 0
    for ind in CAT.indicators.values():
        rule = ind.minimum_base
        if rule is None:
            continue
        rows = store.execute(
            "SELECT s.area_code, s.period, b.value FROM observation s JOIN observation b "
            "ON b.area_code = s.area_code AND b.period = s.period AND b.indicator_id = ? "
            "WHERE s.indicator_id = ? AND s.value IS NOT NULL AND b.value IS NOT NULL",
            (rule.base, ind.id)).fetchall()
        checked += len(rows)
        assert [r for r in rows if r[2] < rule.minimum] == [], ind.id
    assert checked > 50_000  # the check ran over the real store, not over nothing


def test_store_marks_the_issues_cases(store):
    # 2022 wijk age shares that do not add up (a third party's figures, not CBS's) are not numbers.
    n = store.execute("SELECT COUNT(DISTINCT area_code) FROM observation WHERE indicator_id='aandeel_0_14' "
                      "AND period=2022 AND status='implausible'").fetchone()[0]
    assert 150 <= n <= 200
    # Buurten of fewer than 50 inhabitants have no age shares.
    small = store.execute("SELECT COUNT(*) FROM observation WHERE indicator_id='aandeel_0_14' AND "
                          "status='too_small' AND area_code LIKE 'BU%'").fetchone()[0]
    assert small > 700


def test_wijk_shares_match_the_wijk_counts_in_the_store(store):
    rows = store.execute(
        "SELECT s.area_code, s.value, n.value, d.value FROM observation s "
        "JOIN observation n ON n.area_code = s.area_code AND n.period = s.period "
        "AND n.indicator_id = 'huishoudens_met_kinderen' "
        "JOIN observation d ON d.area_code = s.area_code AND d.period = s.period AND d.indicator_id = 'huishoudens' "
        "WHERE s.indicator_id = 'aandeel_huishoudens_met_kinderen' AND s.area_code LIKE 'WK%' "
        "AND s.value IS NOT NULL").fetchall()
    assert len(rows) > 2000
    assert [r for r in rows if abs(r[1] - r[2] / r[3] * 100) > 1e-9] == []


# --- pages, API and report ---------------------------------------------------------------------------

# Ordinary areas, a wijk with implausible 2022 shares, small buurten (te kleine aantallen, niet plausibel).
SAMPLE = ["GM0034", "WK003401", "BU00340101", "WK003457", "GM0363", "BU00342206", "BU00808114"]


def _area_cells(page: str) -> dict[str, str]:
    """Indicator id -> the text of the area's value cell on a profile page."""
    cells = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.S):
        ind = re.search(r'href="/indicator/([a-z0-9_]+)"', row)
        cell = re.search(r'data-role="area"[^>]*>(.*?)</td>', row, flags=re.S)
        if ind and cell:
            text = re.sub(r"<span class=\"atlas-small\">.*?</span>", "", cell.group(1), flags=re.S)
            cells[ind.group(1)] = html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
    return cells


@pytest.mark.parametrize("code", SAMPLE)
def test_profile_figures_equal_the_api_with_status_and_precision(client, code):
    page = client.get(f"/gebied/{code}")
    assert page.status_code == 200
    cells = _area_cells(page.text)
    assert len(cells) > 20
    api = client.get("/api/values", params={"areas": code, "indicators": ",".join(cells)}).json()["values"]
    latest: dict[str, dict] = {}
    for row in api:
        if row["indicator_id"] not in latest or row["period"] > latest[row["indicator_id"]]["period"]:
            latest[row["indicator_id"]] = row
    compared = 0
    for ind_id, text in cells.items():
        row = latest.get(ind_id)
        if row is None:
            continue
        unit = "%" if CAT[ind_id].unit == "%" else None
        expected = format_value(row["value"], row["status"], row["decimals"], unit)
        assert text == expected, (code, ind_id, row)
        compared += 1
    assert compared > 15
    if code == "BU00342206":  # fewer than 50 inhabitants
        assert cells["aandeel_0_14"] == "te kleine aantallen"
    if code == "BU00808114":  # more households with children than households
        assert cells["aandeel_huishoudens_met_kinderen"] == "niet plausibel"


def test_api_gives_status_and_decimals(client):
    rows = client.get("/api/values", params={"areas": "WK003457", "indicators": "aandeel_0_14,inwoners",
                                             "periods": "2022"}).json()["values"]
    by = {r["indicator_id"]: r for r in rows}
    assert by["aandeel_0_14"]["status"] == "implausible" and by["aandeel_0_14"]["value"] is None
    assert "tellen op tot" in by["aandeel_0_14"]["method"]
    rows = client.get("/api/values", params={"areas": "GM0034", "indicators": "aandeel_0_14",
                                             "periods": "2022"}).json()["values"]
    assert rows[0]["value"] == 18.0 and rows[0]["decimals"] == 0  # Almere 2022, as CBS published it


def test_quality_page_lists_values_with_reasons(client):
    page = client.get("/kwaliteit")
    assert page.status_code == 200
    assert "tellen op tot" in page.text and "WK003457" in page.text
    small = client.get("/kwaliteit", params={"status": "too_small"})
    assert "minder dan 50 inwoners" in small.text
    assert client.get("/kwaliteit", params={"status": "x"}).status_code == 400


def test_kwaliteit_cli(db_url, monkeypatch):
    from gebiedsatlas.cli import app

    monkeypatch.setenv("GEBIEDSATLAS_DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["kwaliteit", "--limit", "3"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    # The reasons sit in a table whose column may wrap them: compare without spaces and borders.
    flat = re.sub(r"[\s│┃|]+", "", result.output)
    assert "niet plausibel:" in result.output and "tellenoptot" in flat


# --- 6. time-consistent aggregation -----------------------------------------------------------------

def test_past_aggregates_use_that_years_inhabitants_or_say_which_they_used():
    # synthetic wijk of two buurten; Leefbaarometer 2002 and 2022, inhabitants 2002 (10 and 990: the
    # second buurt was still being built) and 2022 (500 and 500).
    rows = [("BU00000101", "lbm_score", 2002, 4.0, "observed", "lbm3"),
            ("BU00000102", "lbm_score", 2002, 3.0, "observed", "lbm3"),
            ("BU00000101", "lbm_score", 2022, 4.0, "observed", "lbm3"),
            ("BU00000102", "lbm_score", 2022, 3.0, "observed", "lbm3"),
            ("BU00000101", "inwoners", 2002, 990), ("BU00000102", "inwoners", 2002, 10),
            ("BU00000101", "inwoners", 2022, 500), ("BU00000102", "inwoners", 2022, 500)]
    parent_of = {"BU00000101": "WK00000001", "BU00000102": "WK00000001"}
    obs = derive_parents(_frame(rows), parent_of, CAT, "BU")
    # 2002 weighted by 2002's inhabitants: (4 × 990 + 3 × 10) / 1000 = 3,99, not 3,5.
    assert _status(obs, "WK00000001", "lbm_score", 2002)[1] == pytest.approx(3.99)
    assert "gewogen met" not in _status(obs, "WK00000001", "lbm_score", 2002)[2]
    # Without inhabitants of 2002 the 2022 weights are used, and the note says so.
    no_2002 = derive_parents(_frame([r for r in rows if not (r[1] == "inwoners" and r[2] == 2002)]),
                             parent_of, CAT, "BU")
    status, value, note = _status(no_2002, "WK00000001", "lbm_score", 2002)
    assert value == pytest.approx(3.5)
    assert note.endswith("gewogen met inwoners van 2022 (geen cijfer van 2002 beschikbaar)")
    assert "gewogen met" not in _status(no_2002, "WK00000001", "lbm_score", 2022)[2]


def test_new_towns_past_leefbaarometer_says_which_weights(client):
    rows = client.get("/api/values", params={"sets": "nta", "indicators": "lbm_score", "periods": "2002,2022"}
                      ).json()["values"]
    notes = {r["period"]: r["method"] for r in rows}
    assert "gewogen met inwoners van 2022 (geen cijfer van 2002 beschikbaar)" in notes[2002]
    assert "gewogen met" not in notes[2022]


@pytest.mark.browser
def test_quality_page_axe_and_phone_width(page, live_server):
    from conftest import axe_violations

    for path in ("/kwaliteit", "/kwaliteit?status=too_small"):
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 844})
            page.goto(live_server.url + path)
            assert page.locator("#kwaliteit-lijst tbody tr").count() > 10
            assert axe_violations(page) == [], (path, width)
            # No sideways scrolling of the page: wide tables scroll inside their own box.
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
