"""Nieuwegein's buurten with their KWB 2022 housing figures (data/cbs/kwb2022_85318NED_buurten_nieuwegein.csv).

The file is checked against the independently redistributed KWB 2022 wijk figures (tmap copy) and the
published figures are asserted in the store; CBS's secret cells stay secret, never 0.
"""

from __future__ import annotations

import csv
from collections import defaultdict

from sqlalchemy import func, select

from gebiedsatlas.store import db
from gebiedsatlas.store.models import Observation

SOURCE = "cbs-kwb-2022-buurten"


def _rows(data_dir) -> list[dict[str, str]]:
    with (data_dir / "cbs" / "kwb2022_85318NED_buurten_nieuwegein.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_buurt_file_agrees_with_the_published_wijk_figures(data_dir):
    rows = _rows(data_dir)
    assert len(rows) == 39 and {r["gwb_code_10"][:6] for r in rows} == {"BU0356"}
    with (data_dir / "cbs" / "kwb2024_85984NED_buurtcodes_namen.csv").open(encoding="utf-8") as fh:
        names_2024 = {r["buurtcode"]: r["buurtnaam"] for r in csv.DictReader(fh) if r["buurtcode"][:6] == "BU0356"}
    assert {r["gwb_code_10"]: r["regio"] for r in rows} == names_2024  # same 39 buurten in 2024
    with (data_dir / "cbs" / "kwb2022_wijken_nl.csv").open(encoding="utf-8") as fh:
        wijken = {r["code"]: r for r in csv.DictReader(fh) if r["code"].startswith("WK0356")}
    inhabitants, homes, owned = defaultdict(int), defaultdict(int), defaultdict(float)
    for r in rows:
        wijk = "WK" + r["gwb_code_10"][2:8]
        inhabitants[wijk] += int(r["a_inw"])
        homes[wijk] += int(r["a_woning"])
        if r["p_koopw"] != ".":
            owned[wijk] += float(r["p_koopw"]) * int(r["a_woning"])
    assert set(inhabitants) == set(wijken)
    for code, wijk in wijken.items():
        # CBS rounds inhabitants to fives, so buurt sums may differ from the wijk by a few.
        assert abs(inhabitants[code] - int(wijk["population"])) <= 5, code
        assert homes[code] == int(wijk["dwelling_total"]), code
        if wijk["dwelling_ownership"]:
            assert abs(owned[code] / homes[code] - float(wijk["dwelling_ownership"])) <= 1, code
    # Jutphaas Wijkersloot: 6,355 inhabitants in both files; 48 % owner-occupied published for the wijk.
    assert inhabitants["WK035601"] == int(wijken["WK035601"]["population"]) == 6355


def test_secret_cells_are_exactly_those_below_twenty_homes(data_dir):
    for r in _rows(data_dir):
        small = int(r["a_woning"]) < 20
        for column in ("g_woz", "p_koopw", "p_mgezw"):
            assert (r[column] == ".") == small, (r["gwb_code_10"], column)
            if not small:
                assert 0 <= float(r[column]) <= (100 if column != "g_woz" else 5000)


def test_nieuwegein_buurt_figures_are_in_the_store(db_url):
    with db.session_scope(db_url) as session:
        def value(code, indicator):
            return session.execute(select(Observation.value, Observation.status, Observation.source_id).where(
                Observation.area_code == code, Observation.indicator_id == indicator,
                Observation.period == 2022)).one()

        assert value("BU03560101", "koopwoningen") == (57, "observed", SOURCE)  # Jutphaas
        assert value("BU03560101", "meergezinswoningen") == (36, "observed", SOURCE)
        assert value("BU03560101", "woz_waarde") == (283, "observed", SOURCE)
        assert value("BU03560101", "inwoners") == (1970, "observed", SOURCE)
        assert value("BU03561400", "koopwoningen") == (25, "observed", SOURCE)  # Merwestein
        assert value("BU03560600", "meergezinswoningen") == (0, "observed", SOURCE)  # Huis de Geer, 266 homes
        assert value("BU03561500", "koopwoningen") == (None, "suppressed", SOURCE)  # Park Oudegein, 13 homes
        counts = dict(session.execute(
            select(Observation.indicator_id, func.count()).where(
                Observation.source_id == SOURCE, Observation.status == "observed")
            .group_by(Observation.indicator_id)).all())
    assert counts == {"inwoners": 39, "woningvoorraad": 39, "woz_waarde": 32, "koopwoningen": 32,
                      "meergezinswoningen": 32}
