"""The analysis API (/api/analysis/...) and its CSV downloads, on the real data."""

from __future__ import annotations

import csv
import io

import pytest


def test_references_are_listed(client):
    body = client.get("/api/analysis/references").json()
    assert [r["id"] for r in body["references"]] == ["nederland", "nta", "gemeente", "niveau", "peers"]


def test_deviations_for_an_area_against_chosen_references(client):
    r = client.get("/api/analysis/deviations", params={
        "area": "WK003425", "indicators": "lbm_score,laag_inkomen", "references": "nederland,gemeente",
        "period": 2022})
    assert r.status_code == 200
    rows = {(row["indicator_id"], row["reference"]): row for row in r.json()["rows"]}
    assert len(rows) == 4
    lbm = rows[("lbm_score", "nederland")]
    assert lbm["reference_value"] == 4.102265
    assert lbm["difference"] == pytest.approx(3.8629 - 4.102265, abs=1e-9)  # the published 2022 score
    assert rows[("laag_inkomen", "gemeente")]["reference_label"] == "gemeente Almere"
    assert rows[("laag_inkomen", "gemeente")]["assessment"] == "slechter"


def test_deviations_csv_nl_uses_semicolons_and_decimal_commas(client):
    r = client.get("/api/analysis/deviations", params={
        "area": "WK003425", "indicators": "lbm_score", "references": "nederland", "period": 2022,
        "format": "csv-nl"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows[0]["value"] == "3,8629" and rows[0]["reference_value"] == "4,102265"
    assert "Leefbaarometer" in rows[0]["bron"]


def test_bad_analysis_requests_are_explained_in_dutch(client):
    assert client.get("/api/analysis/deviations", params={"area": "XX", "indicators": "lbm_score"}).status_code == 404
    r = client.get("/api/analysis/deviations", params={"area": "WK003425", "indicators": "lbm_score",
                                                       "references": "buren"})
    assert r.status_code == 400 and "references" in r.json()["detail"]
    r = client.get("/api/analysis/vulnerability", params={"scope": "GM9999"})
    assert r.status_code == 404 and "scope" in r.json()["detail"]
    r = client.get("/api/analysis/change", params={"indicator": "laag_inkomen"})
    assert r.status_code == 422 and "periode" in r.json()["detail"]
    assert client.get("/api/analysis/vulnerability", params={"level": "land"}).status_code == 400


def test_peers_endpoint_lists_features_and_distances(client):
    body = client.get("/api/analysis/peers/WK050205", params={"k": 5}).json()
    assert body["count"] == 5 and "woz_waarde" in body["features"]
    distances = [row["distance"] for row in body["rows"]]
    assert distances == sorted(distances) and distances[0] > 0


def test_vulnerability_per_gemeente_with_components_and_csv(client):
    body = client.get("/api/analysis/vulnerability", params={"scope": "GM0794"}).json()
    assert body["method"]["components"][0]["id"] == "laag_inkomen"
    top = body["rows"][0]
    assert top["area_code"] == "WK079411" and top["rank"] == 1 and top["coverage"] == 1.0
    assert top["laag_inkomen"] is not None and top["laag_inkomen_std"] > 0
    r = client.get("/api/analysis/vulnerability", params={"scope": "GM0794", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["area_code"] == "WK079411" and rows[0]["drivers"].startswith("laag_inkomen")


def test_attention_typology_change_and_area_summary(client):
    att = client.get("/api/analysis/attention", params={"scope": "GM0637"}).json()
    assert att["rows"][0]["area_name"] == "Meerzicht" and att["rows"][0]["explanation"]
    typ = client.get("/api/analysis/typology", params={"scope": "GM0439"}).json()
    assert len(typ["types"]) == 6 and all(row["type_name"] for row in typ["rows"][:3])
    change = client.get("/api/analysis/change", params={"signals_only": "true"}).json()
    assert change["from"] == 2022 and change["to"] == 2024
    assert change["rows"][0]["area_name"] == "Oosterwold" and change["rows"][0]["signal_label"] == "achteruit"
    assert change["excluded_small"] == 20
    summary = client.get("/api/analysis/area/WK003425").json()
    assert summary["vulnerability"]["rank_gemeente"]["rank"] == 1
    assert summary["type"]["name"].startswith("Wijken met")


def test_map_layers_are_geojson_with_analysis_properties(client):
    r = client.get("/api/analysis/geojson", params={"layer": "vulnerability", "scope": "GM0502"})
    assert r.headers["content-type"].startswith("application/geo+json")
    features = r.json()["features"]
    assert len(features) >= 9
    assert any(f["properties"]["attention"] for f in features)
    r = client.get("/api/analysis/geojson", params={"layer": "change", "scope": "GM0034"})
    oosterwold = next(f for f in r.json()["features"] if f["id"] == "WK003477")
    assert oosterwold["properties"]["signal"] is True
    # An area left out of the comparison has no change properties (shown as "geen gegevens").
    r = client.get("/api/analysis/geojson", params={"layer": "change", "scope": "GM0356"})
    wiers = next(f for f in r.json()["features"] if f["id"] == "WK035622")
    assert "signal" not in wiers["properties"]


def test_every_area_of_a_scope_against_a_chosen_reference(client):
    body = client.get("/api/analysis/deviations/map", params={
        "indicator": "laag_inkomen", "reference": "gemeente", "scope": "GM0502"}).json()
    rows = {r["area_code"]: r for r in body["rows"]}
    oostgaarde = rows["WK050205"]
    # Against its own gemeente (published 2022 figures: 46.3% vs Capelle as a whole).
    assert oostgaarde["value"] == 46.3 and oostgaarde["reference_label"] == "gemeente Capelle aan den IJssel"
    assert oostgaarde["difference"] < 0 and oostgaarde["assessment"] == "slechter"
    peers = client.get("/api/analysis/deviations/map", params={
        "indicator": "laag_inkomen", "reference": "peers", "scope": "GM0502"}).json()
    assert all(r["reference_label"] == "vergelijkbare wijken" for r in peers["rows"])
    assert {r["reference_count"] for r in peers["rows"] if r["value"] is not None} == {10}
    assert client.get("/api/analysis/deviations/map", params={
        "indicator": "laag_inkomen", "reference": "buren"}).status_code == 400
