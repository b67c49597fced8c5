"""Boundary harmonisation: synthetic split/merge cases with known answers, and the real NTA-7 wijken of
2022 and 2024."""

from __future__ import annotations

import csv
import gzip
import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from gebiedsatlas.areas import crosswalk as cw
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.store import db

NTA = {"GM0034", "GM0502", "GM0794", "GM0356", "GM1930", "GM0439", "GM0637"}


def areas(**boxes) -> gpd.GeoDataFrame:
    """SYNTHETIC areas in RD New: code -> (minx, miny, maxx, maxy) in metres."""
    return gpd.GeoDataFrame({"code": list(boxes)}, geometry=[box(*b) for b in boxes.values()], crs=cw.RD)


def values(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["area_code", "indicator_id", "period", "value"]).assign(
        status="observed", source_id="synthetic", boundary_year=2020)


def convert(rows, from_areas, to_areas, indicators, population=None):
    walk = cw.build_crosswalk(from_areas, to_areas, 2020, 2021, population)
    forward = walk[walk["from_year"] == 2020]
    backward = walk[walk["from_year"] == 2021]
    out = cw.convert_values(values(rows), forward, backward, load_catalogue(), indicators)
    return walk, out.set_index(["area_code", "indicator_id"])


# SYNTHETIC: BU00010001 (100 × 100 m) is split 60/40 into BU00010002 and BU00010003.
SPLIT_FROM = dict(BU00010001=(0, 0, 100, 100))
SPLIT_TO = dict(BU00010002=(0, 0, 60, 100), BU00010003=(60, 0, 100, 100))


def test_split_apportions_counts_by_area():
    walk, out = convert([("BU00010001", "inwoners", 2020, 1000.0)], areas(**SPLIT_FROM), areas(**SPLIT_TO),
                        ["inwoners"])
    forward = walk[walk["from_year"] == 2020].set_index("to_code")
    assert forward.loc["BU00010002", "weight"] == pytest.approx(0.6)
    assert set(forward["method"]) == {"area"}
    assert out.loc[("BU00010002", "inwoners"), "value"] == pytest.approx(600)
    assert out.loc[("BU00010003", "inwoners"), "value"] == pytest.approx(400)
    row = out.loc[("BU00010002", "inwoners")]
    assert row["status"] == "converted" and row["boundary_year"] == 2021
    assert "omgerekend naar grenzen 2021" in row["method"] and "overlap 100%" in row["method"]


def test_split_weighted_by_population():
    # SYNTHETIC population: 900 people west of x=60, 100 east.
    people = gpd.GeoDataFrame({"population": [900.0, 100.0]}, geometry=[Point(30, 50), Point(80, 50)], crs=cw.RD)
    walk, out = convert([("BU00010001", "inwoners", 2020, 1000.0)], areas(**SPLIT_FROM), areas(**SPLIT_TO),
                        ["inwoners"], population=people)
    forward = walk[walk["from_year"] == 2020].set_index("to_code")
    assert forward.loc["BU00010002", "weight"] == pytest.approx(0.9)
    assert set(forward["method"]) == {"population"}
    assert out.loc[("BU00010003", "inwoners"), "value"] == pytest.approx(100)


# SYNTHETIC merge: BU00010001 (20 × 100 m) and BU00010002 (80 × 100 m) become BU00010009.
MERGE_FROM = dict(BU00010001=(0, 0, 20, 100), BU00010002=(20, 0, 100, 100))
MERGE_TO = dict(BU00010009=(0, 0, 100, 100))


def test_merge_recomputes_rates_from_numerators_and_denominators():
    rows = [
        ("BU00010001", "inwoners", 2020, 100.0), ("BU00010002", "inwoners", 2020, 300.0),
        ("BU00010001", "oppervlakte_land", 2020, 10.0), ("BU00010002", "oppervlakte_land", 2020, 90.0),
        # densities as published: 100/10 ha and 300/90 ha, per km²
        ("BU00010001", "bevolkingsdichtheid", 2020, 1000.0), ("BU00010002", "bevolkingsdichtheid", 2020, 333.3),
    ]
    walk, out = convert(rows, areas(**MERGE_FROM), areas(**MERGE_TO),
                        ["inwoners", "bevolkingsdichtheid"])
    assert out.loc[("BU00010009", "inwoners"), "value"] == pytest.approx(400)
    # 400 inhabitants on 100 ha = 400 per km²; the mean of the two rates would be 666.7.
    assert out.loc[("BU00010009", "bevolkingsdichtheid"), "value"] == pytest.approx(400)
    assert "2 gebied(en) van 2020" in out.loc[("BU00010009", "inwoners"), "method"]
    backward = walk[walk["from_year"] == 2021].set_index("to_code")
    assert backward.loc["BU00010001", "weight"] == pytest.approx(0.2)  # the reverse direction


def test_merge_weighted_mean_uses_apportioned_weights():
    catalogue = load_catalogue()
    rate = next(i.id for i in catalogue.indicators.values()
                if i.aggregation.method.value == "weighted_mean" and i.aggregation.weight == "inwoners")
    rows = [("BU00010001", "inwoners", 2020, 100.0), ("BU00010002", "inwoners", 2020, 300.0),
            ("BU00010001", rate, 2020, 10.0), ("BU00010002", rate, 2020, 30.0)]
    _, out = convert(rows, areas(**MERGE_FROM), areas(**MERGE_TO), [rate])
    assert out.loc[("BU00010009", rate), "value"] == pytest.approx(25.0)  # not (10 + 30) / 2


def test_merge_with_a_missing_part_gives_no_count_and_says_why():
    rows = [("BU00010001", "inwoners", 2020, 100.0)]
    _, out = convert(rows, areas(**MERGE_FROM), areas(**MERGE_TO), ["inwoners"])
    row = out.loc[("BU00010009", "inwoners")]
    assert pd.isna(row["value"]) and row["status"] == "missing"
    assert "overlap 20%" in row["method"] and "niet alle deelgebieden" in row["method"]


def test_recoded_area_and_unchanged_area():
    # SYNTHETIC: BU00010001 keeps its shape under a new code; BU00010002 is unchanged (a 0.5% sliver moves).
    before = areas(BU00010001=(0, 0, 100, 100), BU00010002=(100, 0, 200, 100))
    after = areas(BU00010005=(0, 0, 100.5, 100), BU00010002=(100.5, 0, 200, 100))
    walk = cw.build_crosswalk(before, after, 2020, 2021)
    forward = walk[walk["from_year"] == 2020].set_index("from_code")
    assert forward.loc["BU00010001", ["to_code", "weight", "method"]].tolist() == ["BU00010005", 1.0, "recoded"]
    assert forward.loc["BU00010002", ["to_code", "weight", "method"]].tolist() == ["BU00010002", 1.0, "unchanged"]
    rows = [("BU00010001", "stedelijkheid", 2020, 2.0)]
    out = cw.convert_values(values(rows), walk[walk["from_year"] == 2020], walk[walk["from_year"] == 2021],
                            load_catalogue(), ["stedelijkheid"]).set_index("area_code")
    assert out.loc["BU00010005", "value"] == 2.0  # a class moves with a whole area only


def test_non_additive_value_is_not_split():
    _, out = convert([("BU00010001", "stedelijkheid", 2020, 2.0)], areas(**SPLIT_FROM), areas(**SPLIT_TO),
                     ["stedelijkheid"])
    assert out["value"].isna().all() and set(out["status"]) == {"missing"}


# --- real data: the wijken of the seven New Towns, 2022 (tmap) and 2024 (buurten dissolved) -------------

@pytest.fixture(scope="module")
def nta_wijken(data_dir):
    with gzip.open(data_dir / "geo" / "wijken_2022_nl_wgs84.geojson.gz", "rt", encoding="utf-8") as fh:
        w22 = gpd.GeoDataFrame.from_features(json.load(fh), crs="EPSG:4326")
    w22 = w22[("GM" + w22["code"].str[2:6]).isin(NTA)][["code", "geometry", "population"]]
    buurten = gpd.read_file(data_dir / "geo" / "buurten_nta7_rd.geojson")
    w24 = buurten.dissolve("wk_code").reset_index().rename(columns={"wk_code": "code"})[["code", "geometry"]]
    with (data_dir / "cbs" / "kwb2024_85984NED_buurten_nl.csv").open(encoding="utf-8") as fh:
        people = {r["WijkenEnBuurten"]: float(r["AantalInwoners_5"] or 0) for r in csv.DictReader(fh)}
    buurten["population"] = buurten["bu_code"].map(people).fillna(0.0)
    return w22, w24, buurten[["population", "geometry"]]


def test_nta_wijk_codes_2022_and_2024_are_the_same_154(nta_wijken):
    w22, w24, _ = nta_wijken
    assert len(w22) == len(w24) == 154 and set(w22["code"]) == set(w24["code"])


def test_nta_crosswalk_2022_to_2024_by_inhabitants_is_nearly_the_identity(nta_wijken):
    w22, w24, people = nta_wijken
    walk = cw.build_crosswalk(w22, w24, 2022, 2024, population=people)
    forward = walk[walk["from_year"] == 2022]
    assert forward.groupby("from_code")["weight"].sum().round(9).eq(1.0).all()
    unchanged = forward[forward["method"] == "unchanged"]
    assert (unchanged["from_code"] == unchanged["to_code"]).all()
    # Same codes, but the two editions' outlines differ: by where people live 152 of 154 wijken are
    # unchanged. The 2022 outline of WK003406 holds 16% of its people in a 2024 buurt of WK003405, and
    # WK003473 (no inhabitants in 2024, so weighted by area) overlaps WK003474 for 22%.
    assert len(unchanged) == 152
    moved = forward[forward["method"] != "unchanged"].set_index(["from_code", "to_code"])
    assert set(moved.index.get_level_values(0)) == {"WK003406", "WK003473"}
    assert moved.loc[("WK003406", "WK003405"), "weight"] == pytest.approx(0.157, abs=0.001)
    assert moved.loc[("WK003406", "WK003405"), "method"] == "population"
    assert moved.loc[("WK003473", "WK003474"), "method"] == "area"
    assert not (forward["from_code"].str[:6].str.replace("WK", "GM") != forward["to_code"].str[:6]
                .str.replace("WK", "GM")).any()  # no weight leaks into another gemeente


def test_nta_inhabitants_2022_on_2024_wijken_keep_the_gemeente_totals(nta_wijken):
    w22, w24, people = nta_wijken
    walk = cw.build_crosswalk(w22, w24, 2022, 2024, population=people)
    rows = [(c, "inwoners", 2022, float(p)) for c, p in zip(w22["code"], w22["population"], strict=True)]
    out = cw.convert_values(values(rows).assign(boundary_year=2022), walk[walk["from_year"] == 2022],
                            walk[walk["from_year"] == 2024], load_catalogue(), ["inwoners"])
    assert out["status"].eq("converted").all() and len(out) == 154
    before = pd.Series(w22["population"].values, index="GM" + w22["code"].str[2:6]).groupby(level=0).sum()
    after = out.groupby("GM" + out["area_code"].str[2:6])["value"].sum()
    # The real 2022 wijk figures (CBS 85318NED via tmap; Almere's wijken add up to 217,790) are
    # conserved on the 2024 wijken.
    assert before["GM0034"] == 217_790
    pd.testing.assert_series_equal(after.sort_index(), before.sort_index().astype(float), check_names=False)


def test_crosswalk_from_the_store_and_the_api(fresh_db_url, monkeypatch):
    from typer.testing import CliRunner

    from conftest import make_client
    from gebiedsatlas.cli import app

    with db.session_scope(fresh_db_url) as session:
        w22 = cw.areas_from_store(session, "wijk", 2022, NTA)
        w24 = cw.areas_from_store(session, "wijk", 2024, NTA)  # dissolved from the 2024 buurten
        people = cw.population_from_store(session, 2024, NTA)
    assert len(w22) == len(w24) == 154 and people["population"].sum() > 700_000
    monkeypatch.setenv("GEBIEDSATLAS_DATABASE_URL", fresh_db_url)
    result = CliRunner().invoke(app, ["crosswalk", "--from-year", "2022", "--to-year", "2024",
                                      "--area-set", "nta"])
    assert result.exit_code == 0, result.output
    assert "154 gebieden" in result.output and "ongewijzigd" in result.output
    with make_client(fresh_db_url) as client:
        response = client.get("/api/harmonised", params={
            "indicators": "inwoners", "level": "wijk", "parent": "GM0034", "boundary_year": 2024})
        assert response.status_code == 200, response.text
        body = response.json()
    assert body["boundary_year"] == 2024
    by_key = {(v["area_code"], v["period"]): v for v in body["values"]}
    # WK003406 lost 16% of its inhabitants to WK003405: its 2022 figure is converted.
    converted = by_key[("WK003406", 2022)]
    assert converted["status"] == "converted" and converted["status_label"] == "omgerekend"
    assert "omgerekend naar grenzen 2024" in converted["method"] and "overlap" in converted["method"]
    # WK003401 did not change: its published 2022 figure stands, with a note.
    same = by_key[("WK003401", 2022)]
    assert (same["status"], same["value"]) == ("observed", 1635)
    assert same["method"] == "gebied ongewijzigd tussen de indelingen van 2022 en 2024"
    assert by_key[("WK003401", 2024)]["status"] == "observed"  # already on 2024 boundaries
    total_2022 = sum(v["value"] for (c, p), v in by_key.items() if p == 2022 and v["value"] is not None)
    assert total_2022 == pytest.approx(217_790)
