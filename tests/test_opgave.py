"""The opgavekaart: layers, the threshold filter with known answers, the API and the exports.

Real values: the Leefbaarometer 3.0 layers (fysieke omgeving, voorzieningen) as bundled in
``data/leefbaarometer``. The other layers have no bundled data; where a test needs them it writes
SYNTHETIC observations through the store (source ``synthetic-opgave-test``), so they are never
mistaken for published figures.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, text

from conftest import make_client
from gebiedsatlas.analysis import opgave
from gebiedsatlas.analysis.opgave import (
    LAYER_IDS,
    Threshold,
    area_opgave,
    filter_opgave,
    opgave_layers,
    parse_number,
    parse_thresholds,
)
from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Indicator, Observation, Source

NIEUWEGEIN = "GM0356"
FYS, VRZ = "lbm_fysieke_omgeving", "lbm_voorzieningen"
BOUW, CORP = "aandeel_bouwperiode_1960_1989", "huurwoningen_corporatie"
SYNTHETIC_SOURCE = "synthetic-opgave-test"


# --- layers ----------------------------------------------------------------------------------------

def test_the_agreed_layers_in_order():
    assert LAYER_IDS == (BOUW, CORP, FYS, VRZ, "huishoudens_sociaal_minimum", "aardgas_gemiddeld",
                         "aandeel_energielabel_efg", "hittestress_gevoelstemperatuur")


def test_leefbaarometer_layers_are_loaded_from_the_bundled_data(db_url):
    catalogue = load_catalogue()
    with db.session_scope(db_url) as session:
        layers = {layer.id: layer for layer in opgave_layers(session)}
    for layer_id in (FYS, VRZ):
        assert layers[layer_id].loaded and layers[layer_id].latest_period == 2024
        assert layers[layer_id].label == catalogue[layer_id].label
    for layer in layers.values():
        # A layer is "in the catalogue" exactly when this version's catalogue (or the store) knows it.
        if layer.id in catalogue:
            assert layer.in_catalogue and layer.unit == catalogue[layer.id].unit
        if not layer.loaded:
            assert layer.as_dict()["load_command"].startswith("gebiedsatlas fetch ")
            assert "nog niet" in layer.absent_text


def test_a_layer_unknown_to_catalogue_and_store_is_listed_not_crashing(db_url, monkeypatch):
    """An agreed id that this version's catalogue lacks (e.g. before the connectors are merged)."""
    spec = opgave.LayerSpec("opgave_test_onbekend", "Onbekende laag", "%", "Alleen voor deze test.",
                            "gebiedsatlas fetch iets")
    monkeypatch.setattr(opgave, "LAYERS", (*opgave.LAYERS, spec))
    monkeypatch.setattr(opgave, "LAYER_IDS", (*opgave.LAYER_IDS, spec.id))
    with db.session_scope(db_url) as session:
        result = filter_opgave(session, NIEUWEGEIN, "wijk",
                               [Threshold(spec.id, "min", 10), Threshold(FYS, "max", 1.0)])
        layer = next(layer for layer in result.layers if layer.id == spec.id)
        assert not layer.in_catalogue and not layer.loaded
        assert layer.absent_text == "nog niet in de catalogus en nog niet geladen"
        # The threshold on the unknown layer is not applied (and said so); the other one is.
        assert result.ignored == ["Onbekende laag"]
        assert [t.layer_id for t in result.thresholds] == [FYS]
        assert len(result.matches) == 22
        assert all(spec.id not in a.values for a in result.areas)  # no value, certainly no 0


# --- known answers on real data --------------------------------------------------------------------

def test_filter_nieuwegein_wijken_on_real_leefbaarometer_values(db_url):
    """Leefbaarometer 3.0, 2024, the 22 wijken of Nieuwegein (data/leefbaarometer, columns fys and vrz).

    By hand from the CSV: vrz <= -0,02 holds for Lekboulevard (-0,0272), Het Klooster (-0,0757),
    Laagraven (-0,0625), De Wiers (-0,0271) and Hoge Landen (-0,0233); of those only Het Klooster
    (fys -0,1446) and De Wiers (-0,2153) also have fys <= -0,01 (Lekboulevard 0,0057, Laagraven -0,0003,
    Hoge Landen 0,0081).
    """
    with db.session_scope(db_url) as session:
        result = filter_opgave(session, NIEUWEGEIN, "wijk",
                               parse_thresholds({f"max_{FYS}": "-0,01", f"max_{VRZ}": "-0,02"}))
    assert len(result.areas) == 22
    assert {(a.code, a.name) for a in result.matches} == {("WK035618", "Het Klooster"), ("WK035622", "De Wiers")}
    klooster = next(a for a in result.matches if a.code == "WK035618")
    assert klooster.values[FYS].value == pytest.approx(-0.1446)
    assert klooster.values[VRZ].value == pytest.approx(-0.0757)
    assert klooster.values[FYS].period == 2024 and klooster.values[FYS].status == "observed"
    assert klooster.values[FYS].source.startswith("Bron: Leefbaarometer 3.0, Ministerie van BZK")
    assert result.without_value == {FYS: 0, VRZ: 0}
    counts = result.as_dict()["counts"]
    assert counts == {"areas": 22, "matching": 2, "not_matching": 20, "unknown": 0,
                      "without_value": {FYS: 0, VRZ: 0}}
    # Each filter bound is inclusive: <= -0,0757 still keeps Het Klooster.
    with db.session_scope(db_url) as session:
        edge = filter_opgave(session, NIEUWEGEIN, "wijk", [Threshold(VRZ, "max", -0.0757)])
    assert [a.code for a in edge.matches] == ["WK035618"]


def test_latest_value_per_area_keeps_its_year(db_url):
    """De Liesbosch (BU03562001) has Leefbaarometer dimensions only for 2014 (later years: no row)."""
    with db.session_scope(db_url) as session:
        layers, values = area_opgave(session, "BU03562001")
    assert values[FYS].value == pytest.approx(-0.1862551527704)
    assert values[FYS].period == 2014
    assert {layer.id for layer in layers} == set(LAYER_IDS)


def test_areas_without_a_value_do_not_match_and_are_counted(db_url):
    """Every buurt of the New Towns with a Leefbaarometer value passes a bound no value reaches; the
    buurten without any value are counted apart, never matched."""
    with db.session_scope(db_url) as session:
        result = filter_opgave(session, "nta", "buurt", [Threshold(FYS, "max", 10.0)])
        with_value = session.scalar(text(
            "SELECT COUNT(DISTINCT area_code) FROM observation WHERE indicator_id = :i AND value IS NOT NULL "
            "AND area_code IN (" + ",".join(f"'{a.code}'" for a in result.areas) + ")"), {"i": FYS})
    assert len(result.matches) == with_value == 486
    unknown = [a for a in result.areas if a.outcome == "onbekend"]
    assert len(unknown) == result.without_value[FYS] == len(result.areas) - with_value == 60
    assert all(a.values[FYS].value is None and a.missing_for == [FYS] for a in unknown)


# --- synthetic values for the layers without bundled data ------------------------------------------

def _ensure_indicator(session, layer_id: str) -> None:
    if session.get(Indicator, layer_id) is None:  # not in this version's catalogue yet
        session.add(Indicator(id=layer_id, label=f"SYNTHETIC {layer_id}", description="synthetic test layer",
                              theme="wonen", unit="%", direction="neutral", decimals=1,
                              aggregation={"method": "none"}))


def _synthetic(url: str, values: dict[tuple[str, str], float | None]) -> None:
    """Write SYNTHETIC observations (period 2024) for the given (layer, wijk); None = suppressed."""
    with db.session_scope(url) as session:
        if session.get(Source, SYNTHETIC_SOURCE) is None:
            session.add(Source(id=SYNTHETIC_SOURCE, publisher="test", title="SYNTHETIC test data (not published)",
                               licence="n.v.t.", attribution="Bron: synthetische testgegevens"))
        for layer_id in {k[0] for k in values}:
            _ensure_indicator(session, layer_id)
            session.execute(delete(Observation).where(Observation.indicator_id == layer_id))
        session.flush()
        for (layer_id, code), value in values.items():
            session.add(Observation(indicator_id=layer_id, period=2024, area_code=code, value=value,
                                    status="observed" if value is not None else "suppressed",
                                    source_id=SYNTHETIC_SOURCE, boundary_year=2024))


# SYNTHETIC shares for four wijken of Nieuwegein (not published figures).
SYNTHETIC = {
    (BOUW, "WK035601"): 62.0, (CORP, "WK035601"): 41.0,   # both high: matches
    (BOUW, "WK035602"): 40.0, (CORP, "WK035602"): 30.0,   # exactly on both bounds: matches
    (BOUW, "WK035603"): 55.0, (CORP, "WK035603"): 12.0,   # corporatiebezit too low
    (BOUW, "WK035604"): None, (CORP, "WK035604"): 48.0,   # building period suppressed: not judged
}


def test_filter_on_synthetic_building_period_and_corporation_share(fresh_db_url):
    _synthetic(fresh_db_url, SYNTHETIC)
    with db.session_scope(fresh_db_url) as session:
        result = filter_opgave(session, NIEUWEGEIN, "wijk",
                               parse_thresholds({f"min_{BOUW}": "40", f"min_{CORP}": "30"}))
        layers = {layer.id: layer for layer in result.layers}
    assert layers[BOUW].loaded and layers[CORP].loaded
    assert sorted(a.code for a in result.matches) == ["WK035601", "WK035602"]
    outcome = {a.code: a.outcome for a in result.areas}
    assert outcome["WK035603"] == "voldoet niet"
    assert outcome["WK035604"] == "onbekend"
    # 22 wijken: 4 with a building-period row (one suppressed) -> 19 without a value for it; 18 without
    # a corporation share. WK035603 fails on corporatiebezit, so it is "voldoet niet", not "onbekend".
    assert result.without_value == {BOUW: 19, CORP: 18}
    suppressed = next(a for a in result.areas if a.code == "WK035604").values[BOUW]
    assert suppressed.value is None and suppressed.status == "suppressed"


def test_filter_counts_and_outcomes_add_up(fresh_db_url):
    _synthetic(fresh_db_url, SYNTHETIC)
    with db.session_scope(fresh_db_url) as session:
        result = filter_opgave(session, NIEUWEGEIN, "wijk",
                               [Threshold(BOUW, "min", 40), Threshold(FYS, "max", 0)])
    counts = result.as_dict()["counts"]
    assert counts["matching"] + counts["not_matching"] + counts["unknown"] == counts["areas"] == 22
    # WK035601 (fys -0,0105) and WK035602 (fys -0,0098) have both: they match; WK035603 fys -0,0147 too.
    assert sorted(a.code for a in result.matches) == ["WK035601", "WK035602", "WK035603"]


# --- input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value"), [("40", 40.0), ("40,5", 40.5), ("-0,05", -0.05), ("−0,05", -0.05),
                                            ("1.234,5", 1234.5), ("0.25", 0.25)])
def test_dutch_numbers(text, value):
    assert parse_number(text, "min_x") == pytest.approx(value)


@pytest.mark.parametrize("text", ["veertig", "1e999", "nan", "4O"])
def test_bad_numbers_name_the_field(text):
    with pytest.raises(InputError) as exc:
        parse_thresholds({f"min_{BOUW}": text})
    assert f"min_{BOUW}" in str(exc.value) and "verwacht een getal" in str(exc.value)


def test_bad_scope_and_level(db_url):
    with db.session_scope(db_url) as session:
        with pytest.raises(InputError, match="scope"):
            filter_opgave(session, "WK035601", "wijk", [])
        with pytest.raises(InputError, match="level"):
            filter_opgave(session, NIEUWEGEIN, "gemeente", [])


# --- API and exports -------------------------------------------------------------------------------

QUERY = {"scope": NIEUWEGEIN, "level": "wijk", f"max_{FYS}": "-0,01", f"max_{VRZ}": "-0,02"}


def test_api_returns_layers_thresholds_and_matching_areas(client):
    response = client.get("/api/opgave", params=QUERY)
    assert response.status_code == 200
    data = response.json()
    assert data["scope"] == {"code": NIEUWEGEIN, "name": "Nieuwegein"}
    assert [layer["id"] for layer in data["layers"]] == list(LAYER_IDS)
    assert {m["code"] for m in data["matching"]} == {"WK035618", "WK035622"}
    assert [t["symbol"] for t in data["thresholds"]] == ["≤", "≤"]
    wiers = next(m for m in data["matching"] if m["code"] == "WK035622")
    assert wiers["values"][FYS] == {"value": pytest.approx(-0.2153), "status": "observed", "period": 2024,
                                    "source_id": "lbm3", "source": wiers["values"][FYS]["source"]}
    for layer in data["layers"]:
        if not layer["loaded"]:  # no value at all, never a 0
            assert layer["id"] not in wiers["values"] and layer["load_command"]


@pytest.mark.parametrize(("params", "field"), [({"scope": "XX"}, "scope"), ({"level": "provincie"}, "level"),
                                               ({f"min_{FYS}": "veel"}, f"min_{FYS}")])
def test_api_bad_input_is_a_dutch_400(client, params, field):
    response = client.get("/api/opgave", params=params)
    assert response.status_code == 400
    assert field in response.json()["detail"] and "verwacht" in response.json()["detail"]


def test_page_shows_matches_and_bad_input_in_dutch(client):
    page = client.get("/opgave", params=QUERY)
    assert page.status_code == 200
    assert "2 van de 22 wijken voldoen" in page.text
    assert 'data-code="WK035618"' in page.text and 'data-code="WK035622"' in page.text
    # Another gemeente than the seven (by URL) is what the form then shows as chosen.
    other = client.get("/opgave", params={"scope": "GM0363", "level": "wijk"})
    assert other.status_code == 200 and '<option value="GM0363" selected>Amsterdam</option>' in other.text
    bad = client.get("/opgave", params={**QUERY, f"min_{VRZ}": "hoog"})
    assert bad.status_code == 400 and "verwacht een getal" in bad.text


def _csv(text_: str, sep: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text_.lstrip("\ufeff")), delimiter=sep))


def test_csv_and_excel_exports_of_the_matching_areas(client):
    for fmt, sep, decimal in (("csv", ",", "."), ("csv-nl", ";", ",")):
        response = client.get("/opgave.csv", params={**QUERY, "format": fmt})
        assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
        table = _csv(response.text, sep)
        header = table[0]
        rows = {r[0]: dict(zip(header, r, strict=True)) for r in table[1:]}
        assert set(rows) == {"WK035618", "WK035622"}
        assert rows["WK035622"][FYS] == f"-0{decimal}2153"
        assert rows["WK035622"][f"{FYS}_jaar"] == "2024"
        assert rows["WK035622"][f"{FYS}_bron"].startswith("Bron: Leefbaarometer")
    xlsx = client.get("/opgave.xlsx", params=QUERY)
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    sheet = wb["Gebieden"]
    header = [c.value for c in sheet[1]]
    found = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(found) == {"WK035618", "WK035622"}
    assert found["WK035618"][FYS] == pytest.approx(-0.1446)
    assert "Lagen en filters" in wb.sheetnames


def test_geojson_export_has_boundaries_and_every_layer(client):
    response = client.get("/opgave.geojson", params=QUERY)
    assert response.status_code == 200
    geo = json.loads(response.text)
    assert {f["id"] for f in geo["features"]} == {"WK035618", "WK035622"}
    props = next(f for f in geo["features"] if f["id"] == "WK035622")["properties"]
    assert props["naam"] == "De Wiers" and props[FYS] == pytest.approx(-0.2153)
    assert geo["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


HYPERLINK = '=HYPERLINK("http://example.invalid","klik")'


def test_exports_never_turn_area_names_into_formulas(fresh_db_url):
    with db.session_scope(fresh_db_url) as session:
        session.execute(text("UPDATE area SET name = :name WHERE code = 'WK035622'"), {"name": HYPERLINK})
    with make_client(fresh_db_url) as client:
        for fmt, sep in (("csv", ","), ("csv-nl", ";")):
            table = _csv(client.get("/opgave.csv", params={**QUERY, "format": fmt}).text, sep)
            row = next(r for r in table[1:] if r[0] == "WK035622")
            assert row[1] == "'" + HYPERLINK
        api_csv = _csv(client.get("/api/opgave", params={**QUERY, "format": "csv"}).text, ",")
        assert next(r for r in api_csv[1:] if r[0] == "WK035622")[1] == "'" + HYPERLINK
        wb = load_workbook(io.BytesIO(client.get("/opgave.xlsx", params=QUERY).content))
        cell = next(r[1] for r in wb["Gebieden"].iter_rows(min_row=2) if r[0].value == "WK035622")
        assert cell.value == HYPERLINK and cell.data_type == "s" and cell.quotePrefix


# --- the profile -----------------------------------------------------------------------------------

def test_profile_has_an_opgave_section(client):
    page = client.get("/gebied/WK035622")
    assert page.status_code == 200
    section = page.text.split('id="kop-opgave"', 1)[1].split("</section>", 1)[0]
    assert "Fysieke omgeving (Leefbaarometer)" in section and "-0,215" in section and "2024" in section
    assert "Bron: Leefbaarometer 3.0" in section


HEAT = "hittestress_gevoelstemperatuur"


def test_a_layer_without_data_is_listed_once_with_its_command(fresh_db_url):
    """Whatever the store holds for the heat-stress layer is removed: the page and the profile say once
    that it is not loaded and how to load it; it has no column, no input and no value (never 0)."""
    with db.session_scope(fresh_db_url) as session:
        session.execute(delete(Observation).where(Observation.indicator_id == HEAT))
    with make_client(fresh_db_url) as client, db.session_scope(fresh_db_url) as session:
        layer = next(layer for layer in opgave_layers(session) if layer.id == HEAT)
        assert not layer.loaded
        for url in ("/opgave?scope=GM0356&level=wijk", "/gebied/WK035622"):
            page = client.get(url).text
            if url.startswith("/gebied/"):  # the profile's other sections may name the indicator too
                page = page.split('id="kop-opgave"', 1)[1].split("</section>", 1)[0]
            assert page.count(layer.label) == 1, url
            assert page.count("gebiedsatlas fetch klimaat") == 1, url
        assert f'name="min_{HEAT}"' not in client.get("/opgave").text
        data = client.get("/api/opgave", params={"scope": NIEUWEGEIN, "level": "wijk"}).json()
        assert all(HEAT not in m["values"] for m in data["matching"])
        entry = next(e for e in data["layers"] if e["id"] == HEAT)
        assert entry["loaded"] is False and entry["load_command"] == "gebiedsatlas fetch klimaat"
        # A threshold on it is not applied, and the page says so.
        page = client.get("/opgave", params={"scope": NIEUWEGEIN, "level": "wijk", f"min_{HEAT}": "30"})
        assert "Niet toegepast, want nog niet geladen" in page.text and "Alle 22 wijken" in page.text
