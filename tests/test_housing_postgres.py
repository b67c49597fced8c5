"""The woonprogramma on PostgreSQL: migration 0007, the 81955NED import, a project import, a scenario with
its JSON columns, a snapshot and target versions, against a private PostgreSQL 15 cluster."""

from __future__ import annotations

from datetime import date

import pytest

from accounts_support import SETUP, member
from gebiedsatlas.housing import io as housing_io
from gebiedsatlas.housing import projects as register
from gebiedsatlas.housing import services, targets
from gebiedsatlas.store import db
from gebiedsatlas.store.housing import StockChange
from housing_support import add_synthetic_tenure

pytestmark = pytest.mark.postgres
pytest_plugins = ("postgres_support",)


def test_woonprogramma_on_postgres(imported):
    from test_housing_domain import PROJECT_CSV, _editor_of

    member(imported, "Gemeente Almere", "redacteur", email="pg-housing@test.invalid")  # seeds the parties
    add_synthetic_tenure(imported, "GM0034")
    with db.session_scope(imported) as session:
        assert session.get(StockChange, ("GM0034", 2020)).new_builds == 1335
        principal, _ = _editor_of(session, "Gemeente Almere")
        done = housing_io.import_projects(session, "GM0034", PROJECT_CSV.encode(), "p.csv", principal, SETUP)
        assert done.created == 2
        services.create_scenario(session, "GM0034", services.parse_scenario(
            {"name": "Zonder sloop", "mode": "gepland", "excluded_kinds": ["sloop"], "rate_vergund": "80"}), SETUP)
        snap = services.take_snapshot(session, "GM0034", SETUP, today=date(2026, 9, 1))
        target = targets.parse_target({"key": "pg-doel", "label": "Test", "kind": "volume", "segment": "totaal",
                                       "scope_kind": "gemeente", "scope_code": "GM0034", "volume": "900",
                                       "source_kind": "woondeal"})
        targets.save_target(session, target, SETUP)
        targets.save_target(session, target, SETUP)
    with db.session_scope(imported) as session:
        prog = services.programme(session, "GM0034", today=date(2026, 9, 1))
        names = [p.spec.name for p in prog.projections]
        assert names == ["Zoals gepland", "Risicogewogen", "Zonder sloop"]
        planned, _risk, without = prog.projections
        # the 30 dwellings of "Sloop Noord" (2028) are gone as planned, not in "zonder sloop"
        assert planned.gemeente[2028]["corporatie"] == pytest.approx(without.gemeente[2028]["corporatie"] - 30)
        assert services.snapshots(session, "GM0034")[0].label == snap.label == "2026-H2"
        assert [v.version for v in targets.versions(session, "pg-doel")] == [2, 1]
        assert len(register.projects_of(session, "GM0034")) == 2
