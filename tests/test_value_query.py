"""The value query at national scale: answered from the covering index, method notes still complete."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select, text

from gebiedsatlas.indicators.values import observations, value_queries
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Observation


def test_values_of_one_indicator_and_year_come_from_the_covering_index(db_url):
    values, notes, _ = value_queries(None, ["inwoners"], [2024])
    with db.session_scope(db_url) as session:
        dialect = session.connection().dialect
        plan = [row[-1] for row in session.execute(text(
            "EXPLAIN QUERY PLAN " + str(values.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))))]
        notes_plan = [row[-1] for row in session.execute(text(
            "EXPLAIN QUERY PLAN " + str(notes.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))))]
    assert plan == ["SEARCH observation USING COVERING INDEX ix_observation_indicator_period_area "
                    "(indicator_id=? AND period=?)"]
    assert "ix_observation_indicator_period_area" in notes_plan[0]


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
