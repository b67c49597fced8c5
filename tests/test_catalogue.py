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
