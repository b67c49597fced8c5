"""The JSON API over HTTP: areas, values, aggregates, GeoJSON and both CSV dialects."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest


def test_search_by_name_prefix_and_code(client):
    found = client.get("/api/areas", params={"q": "zoeter"}).json()["areas"]
    assert found[0]["code"] == "GM0637" and found[0]["name"] == "Zoetermeer"
    by_code = client.get("/api/areas", params={"q": "WK003401"}).json()["areas"]
    assert by_code[0]["name"] == "Centrum Almere Haven"


def test_search_is_accent_and_case_insensitive(client):
    found = client.get("/api/areas", params={"q": "capelle aan den ijssel", "level": "gemeente"}).json()
    assert [a["code"] for a in found["areas"]] == ["GM0502"]


def test_search_within_parent_and_level(client):
    wijken = client.get("/api/areas", params={"level": "wijk", "parent": "GM0637", "limit": 500}).json()
    assert wijken["count"] > 5
    assert all(a["code"].startswith("WK0637") for a in wijken["areas"])


def test_area_with_parents_and_children(client):
    area = client.get("/api/areas/WK003401").json()
    assert [p["code"] for p in area["parents"]] == ["GM0034", "PV24", "NL01"]
    assert {c["code"] for c in area["children"]} >= {"BU00340101", "BU00340102"}
    assert client.get("/api/areas/GM0034").json()["area_sets"] == ["nta"]
    assert client.get("/api/areas/XX").status_code == 404


def test_area_set_of_the_new_towns(client):
    members = client.get("/api/area-sets/nta").json()["members"]
    assert sorted(m["code"] for m in members) == sorted(
        ["GM0034", "GM0502", "GM0794", "GM0356", "GM1930", "GM0439", "GM0637"])


def test_indicator_catalogue(client):
    body = client.get("/api/indicators").json()
    ids = {i["id"] for i in body["indicators"]}
    assert {"inwoners", "laag_inkomen", "lbm_score"} <= ids
    laag = client.get("/api/indicators/laag_inkomen").json()
    assert laag["direction"] == "higher_is_worse" and laag["periods"] == [2022]
    assert laag["aggregation"] == {"method": "weighted_mean", "weight": "inwoners"}


def test_values_for_areas_sets_and_netherlands(client):
    body = client.get("/api/values", params={
        "areas": "GM0034,WK003401,NL01", "sets": "nta", "indicators": "inwoners", "periods": "2024",
    }).json()
    values = {r["area_code"]: r for r in body["values"]}
    assert values["GM0034"]["value"] == 226_500 and values["GM0034"]["status"] == "observed"
    assert values["WK003401"]["value"] == 1765
    assert values["NL01"]["value"] == 17_942_942 and values["NL01"]["status"] == "derived"
    assert values["nta"]["value"] == 767_511 and "7 van 7" in values["nta"]["method"]
    assert "CBS" in body["attribution"]


def test_values_for_all_wijken_of_a_gemeente(client):
    body = client.get("/api/values", params={
        "level": "wijk", "parent": "GM0034", "indicators": "lbm_score", "periods": "2024"}).json()
    assert body["count"] >= 60
    assert {r["level"] for r in body["values"]} == {"wijk"}


def test_missing_values_are_null_with_status_never_zero(client):
    body = client.get("/api/values", params={
        "areas": "WK003401", "indicators": "lbm_sociale_samenhang", "periods": "2002"}).json()
    (row,) = body["values"]
    assert row["value"] is None and row["status"] == "missing"


def test_bad_requests_are_explained(client):
    assert client.get("/api/values", params={"indicators": "nope", "areas": "GM0034"}).status_code == 404
    response = client.get("/api/values", params={"indicators": "inwoners", "areas": "GM0034",
                                                 "periods": "twintig"})
    assert response.status_code == 400 and "periods" in response.json()["detail"]
    assert client.get("/api/values", params={"indicators": "inwoners"}).status_code == 400


def test_geojson_of_wijken_with_values(client):
    body = client.get("/api/geojson", params={"level": "wijk", "parent": "GM0637",
                                              "indicator": "inwoners", "period": "2022"}).json()
    assert body["type"] == "FeatureCollection"
    wijken = client.get("/api/areas", params={"level": "wijk", "parent": "GM0637", "limit": 500}).json()
    assert len(body["features"]) == wijken["count"]
    props = {f["id"]: f["properties"] for f in body["features"]}
    # Zoetermeer wijk 02 Palenstein has 1 January 2022 figures in the 2022 KWB.
    assert all(p["status"] in {"observed", "missing", "suppressed", "derived"} for p in props.values())
    assert "Kadaster" in body["attribution"]


def test_geojson_of_all_buurten_of_the_new_towns(client):
    body = client.get("/api/geojson", params={"level": "buurt", "area_set": "nta",
                                              "indicator": "lbm_score", "period": "2024"}).json()
    assert len(body["features"]) == 546
    assert body["skipped"] == 0


def _csv(text: str, delimiter: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def test_plain_csv(client):
    response = client.get("/api/values", params={"areas": "WK003401", "indicators": "lbm_score",
                                                 "periods": "2002", "format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    (row,) = _csv(response.text, ",")
    assert row["value"] == "3.909" and row["bron"] == "Bron: Leefbaarometer 3.0, Ministerie van BZK"


def test_dutch_excel_csv(client):
    response = client.get("/api/values", params={"areas": "WK003401,GM0034",
                                                 "indicators": "lbm_score,inwoners",
                                                 "periods": "2002,2022", "format": "csv-nl"})
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    rows = _csv(raw.decode("utf-8-sig"), ";")
    by_key = {(r["area_code"], r["indicator_id"], r["period"]): r for r in rows}
    assert by_key[("WK003401", "lbm_score", "2002")]["value"] == "3,909"
    assert by_key[("GM0034", "inwoners", "2022")]["value"] == "217828"
    assert all(r["bron"] for r in rows)


def test_csv_keeps_missing_values_empty(client):
    response = client.get("/api/values", params={"areas": "WK003401",
                                                 "indicators": "lbm_sociale_samenhang",
                                                 "periods": "2002", "format": "csv-nl"})
    (row,) = _csv(response.content.decode("utf-8-sig"), ";")
    assert row["value"] == "" and row["status"] == "geen gegevens"  # csv-nl: the Dutch status word
    (plain,) = _csv(client.get("/api/values", params={"areas": "WK003401", "indicators": "lbm_sociale_samenhang",
                                                      "periods": "2002", "format": "csv"}).text, ",")
    assert plain["value"] == "" and plain["status"] == "missing"  # csv: the API's code


@pytest.mark.parametrize("path", ["/api/areas?q=almere", "/api/indicators", "/api/area-sets/nta"])
def test_every_table_is_available_as_csv(client, path):
    sep = "&" if "?" in path else "?"
    response = client.get(f"{path}{sep}format=csv")
    assert response.status_code == 200 and response.text.count("\n") >= 2


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/areas", "/api/values", "/api/geojson"} <= set(paths)


def test_real_http_against_a_running_server(live_server):
    response = httpx.get(f"{live_server.url}/api/values",
                         params={"areas": "GM0637", "indicators": "inwoners", "periods": "2022"})
    assert response.json()["values"][0]["value"] == 125_767


def test_readme_documents_every_api_endpoint(client):
    """Like datasette, the docs are checked: every API path appears in the README."""
    from gebiedsatlas.config import REPO_DIR

    readme = (REPO_DIR / "README.md").read_text(encoding="utf-8")
    paths = client.get("/openapi.json").json()["paths"]

    def documented(path: str) -> bool:
        # Path parameters may be named differently in prose: /api/agreements/{id} documents
        # /api/agreements/{agreement_id}. The path must end there (a query string or quote follows).
        pattern = re.sub(r"\\\{[^}]+\\\}", r"\\{[^}]+\\}", re.escape(path))
        return re.search(pattern + r"(?=[`?,\s])", readme) is not None

    undocumented = [p for p in paths if p.startswith("/api/") and not documented(p)]
    assert not undocumented, f"add these endpoints to the README: {undocumented}"
