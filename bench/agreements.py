"""Prestatieafspraken at scale: how long the monitoring, area lookups, pages and Excel take.

Run: ``.venv/bin/python -m bench.agreements [--per-town 40]``. It imports the bundled data into a
temporary SQLite store, then adds a SYNTHETIC agreement set (flagged ``is_demo``, parties named
"Synthetisch: …", never written to a user's store): for each of the seven New Towns one agreement
with ``--per-town`` commitments (half output targets with four jaarschijven and two realisations,
half Leefbaarometer outcome targets on a wijk). Prints medians of:

- ``monitoring_overview`` (status of every commitment, incl. atlas projections);
- ``commitments_for_area`` for a wijk;
- the agreement page and the monitoring page over HTTP (in-process client);
- the Excel export of one agreement and an Excel import of the same size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from gebiedsatlas.config import REPO_DIR, Settings


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def build_synthetic(url: str, per_town: int) -> list[int]:
    """One synthetic agreement per New Town; returns the agreement ids."""
    from gebiedsatlas.agreements import services
    from gebiedsatlas.agreements.history import Actor
    from gebiedsatlas.areas.codes import Level
    from gebiedsatlas.areas.index import area_index
    from gebiedsatlas.store import db

    actor = Actor("benchmark", "synthetisch")
    ids = []
    with db.session_scope(url) as session:
        index = area_index(session)
        corporation = services.create_party(session, "Synthetisch: corporatie", "woningcorporatie", actor,
                                            is_demo=True)
        for town in index.sets["nta"].members:
            gemeente = services.create_party(session, f"Synthetisch: gemeente {town}", "gemeente", actor,
                                             gemeente_code=town, is_demo=True)
            agreement = services.create_agreement(session, services.parse_agreement(session, {
                "title": f"Synthetisch {town}", "gemeente_code": town, "period_start": 2026, "period_end": 2029,
                "party_ids": [gemeente.id, corporation.id], "is_demo": "1"}), actor)
            wijken = index.at_level(Level.WIJK, parent=town, year=2024)
            for n in range(per_town):
                if n % 2:
                    raw = {"text": f"Synthetische prestatie {n}", "theme": "beschikbaarheid",
                           "party_ids": [corporation.id], "target_kind": "output", "output_unit": "woningen",
                           "year_targets": "2026: 10; 2027: 10; 2028: 10; 2029: 10"}
                else:
                    raw = {"text": f"Synthetisch effectdoel {n}", "theme": "leefbaarheid",
                           "party_ids": [gemeente.id], "scope_kind": "wijk",
                           "scope_codes": wijken[n % len(wijken)], "target_kind": "outcome",
                           "indicator_id": "lbm_score", "target_value": 4.2, "target_year": 2029}
                c = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, raw),
                                            actor)
                if c.target_kind == "output":
                    for value in (8, 9):
                        services.report_realisation(session, c, services.RealisationInput(
                            2026, value, "", corporation.id), actor)
            ids.append(agreement.id)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-town", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from gebiedsatlas.agreements import excel, monitoring
    from gebiedsatlas.agreements.history import Actor
    from gebiedsatlas.sources.importer import import_bundled
    from gebiedsatlas.store import db
    from gebiedsatlas.store.agreements import Agreement
    from gebiedsatlas.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        start = time.perf_counter()
        import_bundled(url, REPO_DIR / "data")
        print(f"import of the bundled data: {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        ids = build_synthetic(url, args.per_town)
        total = 7 * args.per_town
        print(f"synthetic set: 7 agreements, {total} commitments, written in {time.perf_counter() - start:.1f} s")
        with db.session_scope(url) as session:
            ms = _median_ms(lambda: monitoring.monitoring_overview(session, demo=True, reference_year=2026), args.runs)
            print(f"monitoring_overview ({total} commitments): {ms:.0f} ms median")
            ms = _median_ms(lambda: monitoring.commitments_for_area(session, "WK035601", demo=True), args.runs)
            print(f"commitments_for_area(WK035601): {ms:.0f} ms median")
            agreement = session.get(Agreement, ids[0])
            ms = _median_ms(lambda: excel.agreement_workbook(session, agreement), args.runs)
            print(f"Excel export of one agreement ({args.per_town} commitments): {ms:.0f} ms median")
            content = excel.agreement_workbook(session, agreement)

            def import_once() -> None:
                savepoint = session.begin_nested()
                excel.import_workbook(session, content, Actor("bench", "bench"), "bench.xlsx")
                savepoint.rollback()

            ms = _median_ms(import_once, args.runs)
            print(f"Excel import of the same agreement (validated, rolled back): {ms:.0f} ms median")
        client = TestClient(create_app(Settings(database_url=url, data_dir=REPO_DIR / "data")))
        for path in (f"/afspraken/{ids[0]}", "/afspraken/monitoring?voorbeeld=1"):
            client.get(path)
            ms = _median_ms(lambda p=path: client.get(p).raise_for_status(), args.runs)
            print(f"GET {path}: {ms:.0f} ms median")
        # A guarded write through the API: token -> principal, permission (matrix), CSRF exemption,
        # the realisation itself and its audit lines. The synthetic corporation gets an editor.
        from datetime import date

        from gebiedsatlas.accounts import services as accounts
        from gebiedsatlas.agreements import services
        from gebiedsatlas.store.agreements import Party

        with db.session_scope(url) as session:
            corporation = session.query(Party).filter_by(name="Synthetisch: corporatie").one()
            organisation = accounts.organisation_for_party(session, corporation)
            user = accounts.create_user(session, "bench@synthetisch.invalid", "Benchmark", Actor("bench", "bench"),
                                        is_demo=True)
            accounts.set_membership(session, user, organisation, "redacteur", Actor("bench", "bench"))
            _, secret = accounts.create_token(session, user, "bench", Actor("bench", "bench"))
            signed = session.get(Agreement, ids[0])
            for status in ("bod", "getekend"):  # realisations are reported on signed agreements
                services.change_status(session, signed, status, Actor("bench", "bench"), signed_on=date(2025, 12, 15))
            commitment_id = next(c.id for c in signed.commitments if c.target_kind == "output")
        headers = {"Authorization": f"Bearer {secret}"}
        years = iter(range(10_000))

        def report() -> None:
            client.post(f"/api/commitments/{commitment_id}/realisations", headers=headers,
                        json={"year": 2026 + next(years) % 4, "value": 5}).raise_for_status()

        ms = _median_ms(report, args.runs)
        print(f"POST a realisation with an API token (login, permission, write, audit): {ms:.0f} ms median")
        refused = {"Authorization": "Bearer ga_onbekend"}
        ms = _median_ms(lambda: client.post(f"/api/commitments/{commitment_id}/realisations", headers=refused,
                                            json={"year": 2026, "value": 5}), args.runs)
        print(f"POST refused (unknown token, logged as denied): {ms:.0f} ms median")


if __name__ == "__main__":
    main()
