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
from gebiedsatlas.indicators import convert as cv
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
    out = cv.convert_values(values(rows), forward, load_catalogue(), indicators)
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
    assert "omgerekend naar grenzen 2021" in row["method"] and "dekking 100%" in row["method"]


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
    # The forward rows say one of the two parts has a value; how much of the area it is they do not say,
    # so no coverage is claimed for a value without a number.
    assert row["method"].endswith("1 gebied(en) van 2020; niet alle deelgebieden hebben een waarde")


def test_recoded_area_and_unchanged_area():
    # SYNTHETIC: BU00010001 keeps its shape under a new code; BU00010002 is unchanged (a 0.5% sliver moves).
    before = areas(BU00010001=(0, 0, 100, 100), BU00010002=(100, 0, 200, 100))
    after = areas(BU00010005=(0, 0, 100.5, 100), BU00010002=(100.5, 0, 200, 100))
    walk = cw.build_crosswalk(before, after, 2020, 2021)
    forward = walk[walk["from_year"] == 2020].set_index("from_code")
    assert forward.loc["BU00010001", ["to_code", "weight", "method"]].tolist() == ["BU00010005", 1.0, "recoded"]
    assert forward.loc["BU00010002", ["to_code", "weight", "method"]].tolist() == ["BU00010002", 1.0, "unchanged"]
    rows = [("BU00010001", "stedelijkheid", 2020, 2.0)]
    out = cv.convert_values(values(rows), walk[walk["from_year"] == 2020],
                            load_catalogue(), ["stedelijkheid"]).set_index("area_code")
    assert out.loc["BU00010005", "value"] == 2.0  # a class moves with a whole area only


def test_an_unchanged_area_does_not_drop_a_part_its_neighbour_moves_into_it():
    # SYNTHETIC (the WK003416 case): T keeps 95 % of its 2021 outline from T (2020), so on its own it would
    # be unchanged backwards, but the other 5 % is 1/6 of the small N, which moves that part into T. T has
    # no WOZ value, N has. By the forward rows (the ones that make the number) T receives all of T's 1
    # dwelling and 1/6 of N's 600: 101 apportioned dwellings, 100 of them valued. The note says 99 %, from
    # those same rows (it said "overlap 5%", the share of T's area in N from the backward rows).
    before = areas(WK000101=(0, 0, 95, 100), WK000102=(95, 0, 125, 100))
    after = areas(WK000101=(0, 0, 100, 100), WK000102=(100, 0, 125, 100))
    walk = cw.build_crosswalk(before, after, 2020, 2021)
    forward, backward = walk[walk["from_year"] == 2020], walk[walk["from_year"] == 2021]
    assert {(f, t) for f, t in zip(forward["from_code"], forward["to_code"], strict=True)} == \
        {(f, t) for t, f in zip(backward["from_code"], backward["to_code"], strict=True)}  # the same pairs
    assert backward[backward["from_code"] == "WK000101"].set_index("to_code")["weight"].to_dict() \
        == pytest.approx({"WK000101": 0.95, "WK000102": 0.05})
    assert set(backward.loc[backward["from_code"] == "WK000101", "method"]) == {"area"}
    rows = [("WK000101", "woningvoorraad", 2020, 1.0), ("WK000102", "woningvoorraad", 2020, 600.0),
            ("WK000102", "woz_waarde", 2020, 514.0)]
    out = cv.convert_values(values(rows), forward, load_catalogue(), ["woz_waarde"])
    out = out.set_index("area_code")
    woz = out.loc["WK000101"]
    assert woz["value"] == 514.0 and woz["status"] == "converted"  # 100 of 101 apportioned dwellings valued
    assert woz["method"].endswith("1 gebied(en) van 2020, dekking 99%")


def test_a_small_overlap_an_unchanged_area_drops_is_dropped_both_ways():
    # SYNTHETIC: T is unchanged (95 %); N (2020) is split in two and 5 % of it lay in T's 2021 outline. That
    # part is under 10 % of N as well: noise on both sides, dropped both ways (N's weights rescaled).
    before = areas(WK000101=(0, 0, 95, 100), WK000102=(95, 0, 200, 100))
    after = areas(WK000101=(0, 0, 100, 100), WK000103=(100, 0, 150, 100), WK000104=(150, 0, 200, 100))
    walk = cw.build_crosswalk(before, after, 2020, 2021)
    forward, backward = walk[walk["from_year"] == 2020], walk[walk["from_year"] == 2021]
    assert cw.unchanged_targets(forward, backward) == {"WK000101"}
    assert forward[forward["from_code"] == "WK000102"].set_index("to_code")["weight"].to_dict() == pytest.approx(
        {"WK000103": 0.5, "WK000104": 0.5})
    assert not ((backward["from_code"] == "WK000101") & (backward["to_code"] == "WK000102")).any()


def test_overlap_text_never_rounds_a_real_overlap_to_zero():
    assert [cv.overlap_text(s) for s in (0.0, 0.004, 0.0317, 0.96, 1.0)] == ["0%", "<1%", "3%", "96%", "100%"]


def test_non_additive_value_is_not_split():
    _, out = convert([("BU00010001", "stedelijkheid", 2020, 2.0)], areas(**SPLIT_FROM), areas(**SPLIT_TO),
                     ["stedelijkheid"])
    assert out["value"].isna().all() and set(out["status"]) == {"missing"}


# --- population placed by CBS code or by representative point ----------------------------------------

def buurten(**shapes) -> gpd.GeoDataFrame:
    """SYNTHETIC buurten in RD New: code -> (inhabitants, geometry)."""
    return gpd.GeoDataFrame({"code": list(shapes), "population": [p for p, _ in shapes.values()]},
                            geometry=[g for _, g in shapes.values()], crs=cw.RD)


def walk_by_people(before, units, population=None):
    """Crosswalk 2020 -> 2021 where the 2021 division is dissolved from the 2021 buurten ``units``."""
    level = "wijk" if before["code"].iloc[0].startswith("WK") else "gemeente"
    after = cw.dissolve_buurten(units[["code", "geometry"]], level)
    walk = cw.build_crosswalk(before, after, 2020, 2021, population=units if population is None else population)
    return walk[walk["from_year"] == 2020], walk[walk["from_year"] == 2021]


def test_implied_codes_follow_the_cbs_hierarchy():
    codes = pd.Series(["BU00340503", "WK003405", "GM0034", None])
    assert cw.implied_codes(codes, "WK").tolist() == ["WK003405", "WK003405", None, None]
    assert cw.implied_codes(codes, "GM").tolist() == ["GM0034", "GM0034", "GM0034", None]
    assert cw.implied_codes(codes, "BU").tolist() == ["BU00340503", None, None, None]


# SYNTHETIC generalisation case, like BU00340503 in the real data: the older outlines put the boundary
# at x=90, the buurt BU..02 of the left area reaches to x=89 with a thin tail to x=140. 89 % of its
# area lies in the left area of the older year, but its representative point (95, 50) in the right one.
LEFT_TAIL = box(50, 0, 89, 100).union(box(89, 45, 140, 55))


@pytest.mark.parametrize(("left", "right", "codes"), [
    ("WK000101", "WK000102", ("BU00010101", "BU00010102", "BU00010201")),
    ("GM0001", "GM0002", ("BU00010101", "BU00010102", "BU00020101")),  # the gemeente its code implies
])
def test_a_buurt_goes_by_its_code_where_the_older_outline_mostly_agrees(left, right, codes):
    before = areas(**{left: (0, 0, 90, 100), right: (90, 0, 200, 100)})
    units = buurten(**{codes[0]: (500.0, box(0, 0, 50, 100)), codes[1]: (300.0, LEFT_TAIL),
                       codes[2]: (200.0, box(89, 0, 200, 100).difference(LEFT_TAIL))})
    placed = cw.place_population(units, before)
    assert placed["code"].tolist() == [left, left, right] and set(placed["how"]) == {"code"}
    forward, backward = walk_by_people(before, units)
    assert set(forward["method"]) == set(backward["method"]) == {"unchanged"}
    assert cw.unchanged_targets(forward, backward) == {left, right}
    # Without codes, the representative point decides: the right area seems to pass 60 % of its people.
    forward, _ = walk_by_people(before, units, population=units.drop(columns="code"))
    moved = forward[forward["from_code"] == right].set_index("to_code")
    assert moved.loc[left, "weight"] == pytest.approx(0.6) and moved.loc[left, "method"] == "population"


def test_a_buurt_whose_code_says_wijk_a_but_lies_in_wijk_b_goes_by_its_point():
    # SYNTHETIC boundary shift: BU00010102 (300 inhabitants) is coded in WK000101 in 2021 but lies wholly in
    # WK000102 of 2020 (the wijk boundary moved from x=100 to x=150): the point rule places it there.
    before = areas(WK000101=(0, 0, 100, 100), WK000102=(100, 0, 200, 100))
    units = buurten(BU00010101=(600.0, box(0, 0, 100, 100)), BU00010102=(300.0, box(100, 0, 150, 100)),
                    BU00010201=(100.0, box(150, 0, 200, 100)))
    placed = cw.place_population(units, before)
    assert placed["code"].tolist() == ["WK000101", "WK000102", "WK000102"]
    assert placed["how"].tolist() == ["code", "point", "code"]
    forward, backward = walk_by_people(before, units)
    assert forward.set_index("from_code").loc["WK000101", ["to_code", "weight", "method"]].tolist() == [
        "WK000101", 1.0, "unchanged"]
    moved = forward[forward["from_code"] == "WK000102"].set_index("to_code")
    assert moved["weight"].to_dict() == pytest.approx({"WK000101": 0.75, "WK000102": 0.25})
    assert set(moved["method"]) == {"population"}
    back = backward[backward["from_code"] == "WK000101"].set_index("to_code")["weight"]
    assert back.to_dict() == pytest.approx({"WK000101": 2 / 3, "WK000102": 1 / 3})
    rows = [("WK000101", "inwoners", 2020, 600.0), ("WK000102", "inwoners", 2020, 400.0)]
    out = cv.convert_values(values(rows), forward, load_catalogue(), ["inwoners"]).set_index("area_code")
    assert out["value"].to_dict() == pytest.approx({"WK000101": 900.0, "WK000102": 100.0})


def test_a_code_covering_too_little_of_the_buurt_is_not_trusted():
    # SYNTHETIC reused code: BU00010201 says WK000102, but only 40 % of it lies there (< CODE_SHARE).
    before = areas(WK000101=(0, 0, 100, 100), WK000102=(100, 0, 200, 100))
    placed = cw.place_population(buurten(BU00010201=(100.0, box(70, 0, 120, 100))), before)
    assert cw.CODE_SHARE == 0.5
    assert placed.iloc[0].tolist() == ["WK000101", "point"]


def test_a_split_into_a_new_wijk_code_is_found():
    # SYNTHETIC split: WK000101 (2020) becomes WK000101 and the new WK000103; the new wijk's code does not
    # exist in 2020, so its buurt goes by its point, into the old WK000101.
    before = areas(WK000101=(0, 0, 200, 100))
    units = buurten(BU00010101=(700.0, box(0, 0, 100, 100)), BU00010301=(300.0, box(100, 0, 200, 100)))
    assert cw.place_population(units, before)["how"].tolist() == ["code", "point"]
    forward, backward = walk_by_people(before, units)
    split = forward.set_index("to_code")
    assert split["weight"].to_dict() == pytest.approx({"WK000101": 0.7, "WK000103": 0.3})
    assert set(split["method"]) == {"population"}
    back = backward.set_index("from_code")
    # The new wijk goes whole into the old one, which still exists and keeps its own part: a split, so the
    # link back is weighted by inhabitants, not a recoding.
    assert back.loc["WK000103", ["to_code", "weight", "method"]].tolist() == ["WK000101", 1.0, "population"]
    assert back.loc["WK000101", ["to_code", "weight", "method"]].tolist() == ["WK000101", 1.0, "unchanged"]
    assert cw.unchanged_targets(forward, backward) == set()


def test_the_new_part_of_a_split_by_area_is_not_recoded():
    # SYNTHETIC split by area: WK000101 (2020) keeps its west half; the east half becomes the new WK000103.
    before = areas(WK000101=(0, 0, 200, 100))
    after = areas(WK000101=(0, 0, 100, 100), WK000103=(100, 0, 200, 100))
    walk = cw.build_crosswalk(before, after, 2020, 2021)
    forward, backward = walk[walk["from_year"] == 2020], walk[walk["from_year"] == 2021]
    assert set(forward["method"]) == {"area"}
    assert backward.set_index("from_code")["method"].to_dict() == {"WK000101": "unchanged", "WK000103": "area"}
    # Conversions both ways: counts split by area, and put back together.
    out = cv.convert_values(values([("WK000101", "inwoners", 2020, 1000.0)]), forward, load_catalogue(),
                            ["inwoners"]).set_index("area_code")
    assert out["value"].to_dict() == pytest.approx({"WK000101": 500.0, "WK000103": 500.0})
    assert out["method"].str.endswith("dekking 100%").all()
    back = cv.convert_values(values([("WK000101", "inwoners", 2021, 400.0), ("WK000103", "inwoners", 2021, 600.0)]),
                             backward, load_catalogue(), ["inwoners"]).set_index("area_code")
    assert back.loc["WK000101", "value"] == pytest.approx(1000.0)
    assert back.loc["WK000101", "method"].endswith("2 gebied(en) van 2021, dekking 100%")


def test_a_merge_with_a_recoded_buurt_is_found():
    # SYNTHETIC merge: WK000101 and WK000102 (2020) become WK000101; the buurt of the old WK000102 is recoded
    # BU00010105. Its code implies WK000101, which did exist in 2020 but elsewhere: the point rule applies.
    before = areas(WK000101=(0, 0, 100, 100), WK000102=(100, 0, 200, 100))
    units = buurten(BU00010101=(400.0, box(0, 0, 100, 100)), BU00010105=(100.0, box(100, 0, 200, 100)))
    assert cw.place_population(units, before)["how"].tolist() == ["code", "point"]
    forward, backward = walk_by_people(before, units)
    assert forward.set_index("from_code")["to_code"].to_dict() == {"WK000101": "WK000101", "WK000102": "WK000101"}
    merged = backward.set_index("to_code")["weight"]
    assert merged.to_dict() == pytest.approx({"WK000101": 0.8, "WK000102": 0.2})
    rows = [("WK000101", "inwoners", 2020, 400.0), ("WK000102", "inwoners", 2020, 100.0)]
    out = cv.convert_values(values(rows), forward, load_catalogue(), ["inwoners"]).set_index("area_code")
    assert out.loc["WK000101", "value"] == pytest.approx(500.0)
    assert cw.unchanged_targets(forward, backward) == set()


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
    return w22, w24, buurten.rename(columns={"bu_code": "code"})[["code", "population", "geometry"]]


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
    # Same codes; every 2024 buurt is placed by its code (its code's wijk covers 58-100 % of it in the
    # 2022 outlines), so by where people live 153 of 154 wijken are unchanged. Only WK003473 (Lagekant, no
    # inhabitants, so weighted by area) overlaps WK003474 for 22 % -- the two editions' outlines differ.
    assert len(unchanged) == 153
    moved = forward[forward["method"] != "unchanged"].set_index(["from_code", "to_code"])
    assert set(moved.index.get_level_values(0)) == {"WK003473"}
    assert moved.loc[("WK003473", "WK003474"), "weight"] == pytest.approx(0.222, abs=0.001)
    assert moved.loc[("WK003473", "WK003474"), "method"] == "area"
    assert not (forward["from_code"].str[:6].str.replace("WK", "GM") != forward["to_code"].str[:6]
                .str.replace("WK", "GM")).any()  # no weight leaks into another gemeente


def test_nta_crosswalk_by_area_holds_the_same_pairs_both_ways(nta_wijken):
    # By area every overlap has a share on both sides: each forward row has its backward row (the overlap of
    # a converted value) and the other way round. Real case: 3.3 % of the 2024 outline of WK003416 (Overig
    # Almere Haven) lies in the 2022 outline of WK003409, and that is 29 % of WK003409, so
    # WK003416 is not unchanged backwards: the row back to WK003409 is kept.
    w22, w24, _ = nta_wijken
    walk = cw.build_crosswalk(w22, w24, 2022, 2024)
    forward, backward = walk[walk["from_year"] == 2022], walk[walk["from_year"] == 2024]
    assert set(zip(forward["from_code"], forward["to_code"], strict=True)) == \
        set(zip(backward["to_code"], backward["from_code"], strict=True))
    into = forward[forward["to_code"] == "WK003416"].set_index("from_code")["weight"]
    assert into.to_dict() == pytest.approx({"WK003416": 1.0, "WK003409": 0.289}, abs=0.001)
    back = backward[backward["from_code"] == "WK003416"].set_index("to_code")
    assert back["weight"].to_dict() == pytest.approx({"WK003416": 0.967, "WK003409": 0.033}, abs=0.001)
    assert set(back["method"]) == {"area"}


def test_nta_buurten_are_placed_by_code_not_by_the_generalised_outlines(nta_wijken):
    w22, w24, people = nta_wijken
    placed = cw.place_population(people, w22).assign(bu=people["code"]).set_index("bu")
    assert len(placed) == 546 and set(placed["how"]) == {"code"}
    # BU00340503 (555 inhabitants in 2024) is coded in WK003405 and 69 % of it lies in the tmap 2022
    # outline of WK003405, but its representative point falls in that of WK003406.
    assert placed.loc["BU00340503", "code"] == "WK003405"
    by_point = cw.place_population(people.drop(columns="code"), w22).assign(bu=people["code"]).set_index("bu")
    assert by_point.loc["BU00340503", ["code", "how"]].tolist() == ["WK003406", "point"]
    # By the point alone, WK003406 would seem to pass 16 % of its inhabitants to WK003405 (the artefact
    # the code rule removes; CBS counted 2,285 and 2,310 in WK003405, 3,000 and 2,995 in WK003406).
    walk = cw.build_crosswalk(w22, w24, 2022, 2024, population=people.drop(columns="code"))
    moved = walk[(walk["from_year"] == 2022) & (walk["from_code"] == "WK003406")].set_index("to_code")
    assert moved.loc["WK003405", "weight"] == pytest.approx(0.157, abs=0.001)
    walk = cw.build_crosswalk(w22, w24, 2022, 2024, population=people)
    forward, backward = walk[walk["from_year"] == 2022], walk[walk["from_year"] == 2024]
    assert {"WK003405", "WK003406"} <= cw.unchanged_targets(forward, backward)
    # Wijken without inhabitants are weighted by area. Slivers under SLIVER_SHARE (5 %) of both areas are
    # the two editions' different generalisation (issue 14): WK003440 gets 1-2 % pieces from four
    # neighbours and WK003479 4 % of itself goes to WK003477, so both stay unchanged; WK003473 and
    # WK003474 really differ (22 % of WK003474 lies in WK003473's 2022 outline).
    assert set(w24["code"]) - cw.unchanged_targets(forward, backward) == {"WK003473", "WK003474"}


def test_nta_inhabitants_2022_on_2024_wijken_keep_the_gemeente_totals(nta_wijken):
    w22, w24, people = nta_wijken
    walk = cw.build_crosswalk(w22, w24, 2022, 2024, population=people)
    rows = [(c, "inwoners", 2022, float(p)) for c, p in zip(w22["code"], w22["population"], strict=True)]
    out = cv.convert_values(values(rows).assign(boundary_year=2022), walk[walk["from_year"] == 2022],
                            load_catalogue(), ["inwoners"])
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
    # WK003474 (Overig Almere Poort, no inhabitants) gets 22 % of Lagekant's area: its 2022 figure is converted.
    converted = by_key[("WK003474", 2022)]
    assert converted["status"] == "converted" and converted["status_label"] == "omgerekend"
    assert converted["value"] == 0
    assert "omgerekend naar grenzen 2024" in converted["method"] and "dekking" in converted["method"]
    # De Marken kept its buurten (by their codes): its published 2022 figure stands.
    assert (by_key[("WK003406", 2022)]["status"], by_key[("WK003406", 2022)]["value"]) == ("observed", 3000)
    # WK003401 did not change: its published 2022 figure stands, with a note.
    same = by_key[("WK003401", 2022)]
    assert (same["status"], same["value"]) == ("observed", 1635)
    assert same["method"] == "gebied ongewijzigd tussen de indelingen van 2022 en 2024"
    assert by_key[("WK003401", 2024)]["status"] == "observed"  # already on 2024 boundaries
    total_2022 = sum(v["value"] for (c, p), v in by_key.items() if p == 2022 and v["value"] is not None)
    assert total_2022 == pytest.approx(217_790)


def test_the_note_and_the_number_come_from_the_same_forward_rows():
    # HAND-MADE crosswalk rows (synthetic): A (2020) goes wholly into T (2021); half of B goes into T. The
    # WOZ value is a mean per dwelling: A has 300 dwellings and WOZ 200, B 100 dwellings and no WOZ value.
    # T receives 300 + 0.5 * 100 = 350 apportioned dwellings, 300 of them valued: WOZ 200 on 300/350 of
    # the weight, "dekking 86%". A backward direction that disagrees (say A covers 10 % of T) is not used:
    # convert_values reads only the forward rows.
    forward = pd.DataFrame({"from_code": ["WK000001", "WK000002", "WK000002"],
                            "to_code": ["WK000009", "WK000009", "WK000008"], "weight": [1.0, 0.5, 0.5],
                            "method": "area", "from_year": 2020, "to_year": 2021})
    rows = [("WK000001", "woningvoorraad", 2020, 300.0), ("WK000002", "woningvoorraad", 2020, 100.0),
            ("WK000001", "woz_waarde", 2020, 200.0)]
    out = cv.convert_values(values(rows), forward, load_catalogue(), ["woz_waarde", "woningvoorraad"])
    at = out.set_index(["area_code", "indicator_id"])
    t = at.loc[("WK000009", "woz_waarde")]
    assert t["value"] == pytest.approx(200.0) and t["status"] == "converted"
    assert t["method"].endswith("1 gebied(en) van 2020, dekking 86%")
    # The counts beside it come from the same rows: 350 dwellings in T, 50 in the other half of B.
    assert at.loc[("WK000009", "woningvoorraad"), "value"] == pytest.approx(350.0)
    assert at.loc[("WK000009", "woningvoorraad"), "method"].endswith("2 gebied(en) van 2020, dekking 100%")
    assert at.loc[("WK000008", "woningvoorraad"), "value"] == pytest.approx(50.0)
    # WK000008 rests on B only, which has no WOZ value: no number, and no coverage claimed.
    none = at.loc[("WK000008", "woz_waarde")]
    assert pd.isna(none["value"]) and none["status"] == "missing" and "dekking" not in none["method"]
