"""The value queries at national scale: the right index for each, method notes still complete."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select, text

from gebiedsatlas.indicators.values import observations, value_queries
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Observation


def _plan(session, query) -> list[str]:
    dialect = session.connection().dialect
    return [row[-1] for row in session.execute(text(
        "EXPLAIN QUERY PLAN " + str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))))]


def test_values_of_one_indicator_and_year_are_one_range_of_the_primary_key(db_url):
    values, notes, _ = value_queries(None, ["inwoners"], [2024])
    with db.session_scope(db_url) as session:
        assert _plan(session, values) == ["SEARCH observation USING PRIMARY KEY (indicator_id=? AND period=?)"]
        assert _plan(session, notes) == ["SEARCH observation USING PRIMARY KEY (indicator_id=? AND period=?)"]


def test_the_figures_of_a_few_areas_come_through_the_area_index(db_url):
    # An area profile: every period of many indicators for a handful of areas. Read through the primary
    # key this would visit every area of the country; the import's planner statistics prevent that.
    values, _, _ = value_queries(["WK003401", "GM0034"], ["inwoners", "lbm_score", "aandeel_0_14"])
    with db.session_scope(db_url) as session:
        plan = _plan(session, values)
    # With a larger catalogue SQLite may also use the index's indicator column: still the area index.
    assert len(plan) == 1 and plan[0].startswith("SEARCH observation USING INDEX ix_observation_area (area_code=?")


def test_observations_carry_every_stored_method_note(db_url):
    # aandeel_0_14 is published for some areas and derived (with a method note) for others.
    ids = ["aandeel_0_14", "inwoners"]
    with db.session_scope(db_url) as session:
        frame = observations(session, None, ids)
        stored = session.execute(select(Observation.area_code, Observation.indicator_id, Observation.period,
                                        Observation.status, Observation.value, Observation.method)
                                 .where(Observation.indicator_id.in_(ids))).all()
    got = {(r.area_code, r.indicator_id, r.period): (r.status, None if pd.isna(r.method) else r.method)
           for r in frame.itertuples()}
    expected = {(r.area_code, r.indicator_id, r.period): (r.status, r.method) for r in stored}
    assert got == expected
    derived = [v for v in expected.values() if v[0] == "derived"]
    assert derived and all(method for _, method in derived)
    assert any(status == "observed" for status, _ in expected.values())
