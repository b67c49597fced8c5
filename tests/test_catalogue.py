"""The indicator catalogue file: valid, complete, and strict about mistakes."""

from __future__ import annotations

import copy

import pytest
import yaml

from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import CATALOGUE_PATH, load_catalogue, parse_catalogue


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))


def test_every_indicator_is_documented_and_sourced():
    catalogue = load_catalogue()
    assert len(catalogue.indicators) >= 30
    for ind in catalogue.indicators.values():
        assert ind.label and ind.description, ind.id
        assert ind.columns or ind.compute or ind.stable_keys, f"{ind.id} has no source column and is not computed"


def test_each_source_column_feeds_one_indicator(raw):
    seen = set()
    for ind in raw["indicators"]:
        for column in ind.get("columns") or []:
            key = (column["source"], column["column"])
            assert key not in seen, key
            seen.add(key)


def test_the_2024_columns_exist_in_the_cbs_table_metadata(data_dir):
    import csv

    with (data_dir / "cbs" / "kwb2024_85984NED_dataproperties.csv").open(encoding="utf-8") as fh:
        keys = {row["Key"] for row in csv.DictReader(fh)}
    stems = {key.rsplit("_", 1)[0] for key in keys}
    catalogue = load_catalogue()
    for column in catalogue.columns_of("cbs-kwb-2024"):
        if column == "MateVanStedelijkheid_122":
            # The redistributed buurt file numbers this column 122; CBS's metadata says 127.
            assert "MateVanStedelijkheid_127" in keys
            continue
        assert column in keys, column
        assert column.rsplit("_", 1)[0] in stems


def test_unknown_theme_names_the_field(raw):
    broken = copy.deepcopy(raw)
    broken["indicators"][0]["theme"] = "sport"
    with pytest.raises(InputError) as excinfo:
        parse_catalogue(broken, file="catalogue.yaml")
    assert excinfo.value.column == "indicators[inwoners].theme"
    assert "sport" in str(excinfo.value)


def test_weighted_mean_without_weight_is_rejected(raw):
    broken = copy.deepcopy(raw)
    ind = next(i for i in broken["indicators"] if i["id"] == "laag_inkomen")
    ind["aggregation"] = {"method": "weighted_mean"}
    with pytest.raises(InputError, match="gewicht"):
        parse_catalogue(broken)


def test_reference_to_unknown_indicator_is_rejected(raw):
    broken = copy.deepcopy(raw)
    ind = next(i for i in broken["indicators"] if i["id"] == "woz_waarde")
    ind["aggregation"] = {"method": "weighted_mean", "weight": "woningen"}
    with pytest.raises(InputError, match="onbekende indicator"):
        parse_catalogue(broken)


# --- the KWB catalogue (issue 12) ----------------------------------------------------------------------

AGREED_KWB_IDS = {
    "wonen": ["koopwoningen", "huurwoningen", "huurwoningen_corporatie", "huurwoningen_overige_verhuurders",
              "eigendom_onbekend", "eengezinswoningen", "meergezinswoningen", "onbewoonde_woningen",
              "bouwjaar_laatste_tien_jaar", "nieuwbouw_woningen", "woz_waarde"],
    "energie_klimaat": ["elektriciteit_gemiddeld", "aardgas_gemiddeld", "stadsverwarming"] + [
        f"{kind}_{t}" for kind in ("aardgas", "elektriciteit")
        for t in ("appartement", "tussenwoning", "hoekwoning", "twee_onder_een_kap", "vrijstaand", "huurwoning",
                  "koopwoning")],
    "bestaanszekerheid": ["inkomen_per_inwoner", "gestandaardiseerd_inkomen", "huishoudens_laag_inkomen",
                          "huishoudens_sociaal_minimum", "huishoudens_tot_110_sociaal_minimum",
                          "huishoudens_tot_120_sociaal_minimum", "vermogen_mediaan", "bijstand", "ao_uitkering",
                          "ww_uitkering", "aow_uitkering", "bijstand_per_1000", "ao_uitkering_per_1000",
                          "ww_uitkering_per_1000", "aow_uitkering_per_1000"],
    "zorg": ["jeugdzorg", "wmo_clienten_per_1000"],
    "voorzieningen": ["afstand_huisarts", "afstand_supermarkt", "afstand_kinderdagverblijf", "afstand_school",
                      "scholen_binnen_3km"],
    None: ["autos_per_huishouden", "opleiding_laag", "opleiding_midden", "opleiding_hoog"],
}

# CBS's unit (DataProperties) -> the catalogue's unit for the same figure.
CBS_UNITS = {"%": "%", "aantal": "aantal", "kWh": "kWh", "m³": "m³", "km": "km", "x 1 000 euro": "× € 1.000",
             "per 1 000 inwoners": "per 1.000 inwoners", "per huishouden": "per huishouden", "ha": "ha",
             "aantal inwoners per km²": "inwoners per km²"}


def _codebook_2024(data_dir) -> dict[str, dict]:
    import csv

    with (data_dir / "cbs" / "kwb2024_85984NED_dataproperties.csv").open(encoding="utf-8") as fh:
        return {row["Key"]: row for row in csv.DictReader(fh) if row["Key"]}


def test_the_agreed_kwb_ids_exist_under_their_theme():
    catalogue = load_catalogue()
    assert {"energie_klimaat", "zorg"} <= set(catalogue.themes)
    assert catalogue.themes["energie_klimaat"] == "Energie en klimaat" and catalogue.themes["zorg"] == "Zorg"
    assert not {"duurzaamheid", "klimaat"} & set(catalogue.themes)  # replaced by energie_klimaat
    for theme, ids in AGREED_KWB_IDS.items():
        for indicator_id in ids:
            assert indicator_id in catalogue, indicator_id
            if theme:
                assert catalogue[indicator_id].theme == theme, indicator_id


def test_kwb_2024_columns_carry_cbs_unit_and_decimals(data_dir):
    # Every explicitly mapped 2024 column: the catalogue's unit and precision follow CBS's own metadata.
    codebook = _codebook_2024(data_dir)
    catalogue = load_catalogue()
    checked = 0
    for column, indicator_id in catalogue.columns_of("cbs-kwb-2024").items():
        if column not in codebook or codebook[column]["Unit"] in ("code",):
            continue  # stedelijkheid is a class; the bundled file numbers it _122
        ind, cbs = catalogue[indicator_id], codebook[column]
        expected = CBS_UNITS[cbs["Unit"]]
        # An average household size is a count of persons: the catalogue says so.
        assert ind.unit == expected or (indicator_id, ind.unit) == ("huishoudensgrootte", "personen"), \
            (indicator_id, cbs["Unit"])
        assert ind.decimals == int(float(cbs["Decimals"] or 0)), (indicator_id, cbs["Decimals"])
        checked += 1
    assert checked >= 65


def test_new_kwb_figures_state_cbs_rounding_and_suppression():
    catalogue = load_catalogue()
    for theme in ("energie_klimaat", "bestaanszekerheid", "zorg", "voorzieningen"):
        for ind in catalogue.by_theme()[theme]:
            if any(c.source == "cbs-kwb-2024" for c in ind.columns) or ind.id.endswith("_per_1000"):
                if ind.id.startswith(("bijstand", "ao_", "ww_", "aow_")) and ind.compute:
                    continue  # computed by the atlas: the counts carry CBS's rules
                assert "85984NED" in ind.publication, ind.id
    # The actual rules, as CBS words them in its table information.
    assert "20 woningen" in catalogue["huurwoningen_corporatie"].publication
    assert "50 procent" in catalogue["koopwoningen"].publication
    assert "tientallen" in catalogue["aardgas_gemiddeld"].publication
    assert "zes of meer" in catalogue["elektriciteit_tussenwoning"].publication
    assert "tien of meer" in catalogue["stadsverwarming"].publication
    assert "100 particuliere huishoudens" in catalogue["huishoudens_sociaal_minimum"].publication
    assert "2.500 personen" in catalogue["inkomen_per_inwoner"].publication
    assert "0 tot en met 7" in catalogue["jeugdzorg"].publication
    assert "veelvouden van 5" in catalogue["inwoners"].publication


def test_directions_only_where_defensible():
    catalogue = load_catalogue()
    neutral = ["koopwoningen", "huurwoningen", "huurwoningen_corporatie", "huurwoningen_overige_verhuurders",
               "eengezinswoningen", "meergezinswoningen", "stadsverwarming", "elektriciteit_gemiddeld",
               "vermogen_mediaan", "jeugdzorg", "wmo_clienten_per_1000", "bijstand", "aow_uitkering_per_1000",
               "autos_per_huishouden", "opleiding_hoog"]
    for indicator_id in neutral:
        assert catalogue[indicator_id].direction.value == "neutral", indicator_id
    assert catalogue["huishoudens_sociaal_minimum"].direction.value == "higher_is_worse"
    assert catalogue["bijstand_per_1000"].direction.value == "higher_is_worse"
    assert catalogue["afstand_huisarts"].direction.value == "higher_is_worse"
    assert catalogue["scholen_binnen_3km"].direction.value == "higher_is_better"


def test_aggregation_rules_combine_counts_not_shares():
    catalogue = load_catalogue()
    for ind in catalogue.indicators.values():
        rule = ind.aggregation
        if rule.weight:
            # Weights are extensive: counts, or land area for raster means such as heat stress.
            assert catalogue[rule.weight].unit in ("aantal", "ha"), (ind.id, rule.weight)
        if rule.numerator:
            assert catalogue[rule.denominator].unit in ("aantal", "ha"), (ind.id, rule.denominator)
            assert catalogue[rule.numerator].aggregation.method.value == "sum", (ind.id, rule.numerator)
    # Means of a type of dwelling and medians do not add up without their own counts.
    assert catalogue["aardgas_appartement"].aggregation.method.value == "none"
    assert catalogue["vermogen_mediaan"].aggregation.method.value == "none"
    assert catalogue["bijstand_per_1000"].aggregation.as_dict() == {
        "method": "ratio", "numerator": "bijstand", "denominator": "leeftijd_15_64", "scale": 1000.0}
    assert catalogue["leeftijd_15_64"].compute.terms == ("leeftijd_15_24", "leeftijd_25_44", "leeftijd_45_64")


def test_a_sum_without_terms_is_rejected(raw):
    broken = copy.deepcopy(raw)
    ind = next(i for i in broken["indicators"] if i["id"] == "leeftijd_15_64")
    ind["compute"] = {"sum": ["leeftijd_15_24"]}
    with pytest.raises(InputError) as excinfo:
        parse_catalogue(broken)
    assert excinfo.value.column == "indicators[leeftijd_15_64].compute.sum"
    ind["compute"] = {"sum": ["leeftijd_15_24", "bestaat_niet"]}
    with pytest.raises(InputError, match="onbekende indicator"):
        parse_catalogue(broken)


def test_fetched_editions_map_only_through_real_codebooks(data_dir):
    # Only the 2024 keys are written out: checked against the bundled 85984NED codebook. No key is listed
    # for an edition whose codebook the project has not seen (the other editions map by stable key at
    # fetch time, against the DataProperties CBS returns with them).
    catalogue = load_catalogue()
    kwb_sources = {c.source for ind in catalogue.indicators.values() for c in ind.columns
                   if c.source.startswith("cbs-kwb-")}
    # cbs-kwb-gemeenten and cbs-kwb-2022-buurten use CBS download names (p_koopw …), never OData keys.
    assert kwb_sources == {"cbs-kwb-2022", "cbs-kwb-2024", "cbs-kwb-gemeenten", "cbs-kwb-2022-buurten"}
    codebook = _codebook_2024(data_dir)
    stems = {key.rsplit("_", 1)[0] for key in codebook}
    for ind in catalogue.indicators.values():
        for stem in ind.stable_keys:
            assert stem not in stems, (ind.id, stem)  # a stable key is only for columns 2024 lacks
