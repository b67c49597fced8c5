"""Excel uploads at scale: how long a 100,000-row Realisaties workbook takes to validate and import,
and how much memory that takes.

Run: ``.venv/bin/python -m bench.upload [--rows 100000] [--commitments 50] [--store PATH]``. It imports
the bundled data into a temporary SQLite store (or copies ``--store``, an already imported SQLite
file, to save the ≈ 15 s), then adds a SYNTHETIC signed agreement (flagged ``is_demo``, parties named
"Synthetisch: …", never written to a user's store) with ``--commitments`` output commitments, writes a
workbook with ``--rows`` realisation rows for them (``#id`` references, years 2025–2029, so most rows
are a new version of an earlier report) and imports it the way an upload job does: as an editor of the
synthetic corporation, every row checked for its permission and validated, all in one savepoint.

Prints the time of each phase and the peak RSS of the import (the high-water mark is reset before it
where the kernel allows, ``/proc/self/clear_refs``).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from gebiedsatlas.config import REPO_DIR

CORPORATION = "Synthetisch: corporatie"


def _peak_rss_mb() -> float:
    """The process's high-water mark of resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def build_synthetic(url: str, commitments: int) -> tuple[int, list[int], int]:
    """A signed synthetic agreement in Nieuwegein; returns (agreement id, commitment ids, corporation id)."""
    from gebiedsatlas.agreements import services
    from gebiedsatlas.agreements.history import Actor
    from gebiedsatlas.store import db

    actor = Actor("benchmark", "synthetisch")
    with db.session_scope(url) as session:
        corporation = services.create_party(session, CORPORATION, "woningcorporatie", actor, is_demo=True)
        gemeente = services.create_party(session, "Synthetisch: gemeente Nieuwegein", "gemeente", actor,
                                         gemeente_code="GM0356", is_demo=True)
        agreement = services.create_agreement(session, services.parse_agreement(session, {
            "title": "Synthetisch: uploadbenchmark Nieuwegein", "gemeente_code": "GM0356", "period_start": 2026,
            "period_end": 2029, "party_ids": [gemeente.id, corporation.id], "is_demo": "1"}), actor)
        ids = []
        for n in range(commitments):
            c = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
                "text": f"Synthetische prestatie {n + 1}", "theme": "beschikbaarheid",
                "party_ids": [corporation.id], "target_kind": "output", "output_unit": "woningen",
                "year_targets": "2026: 10; 2027: 10; 2028: 10; 2029: 10"}), actor)
            ids.append(c.id)
        services.change_status(session, agreement, "bod", actor)
        services.change_status(session, agreement, "getekend", actor, signed_on=date(2025, 12, 15))
        return agreement.id, ids, corporation.id


def write_workbook(path: Path, commitment_ids: list[int], rows: int) -> None:
    """The template's sheets and headers, with ``rows`` realisation rows (openpyxl write-only mode)."""
    from openpyxl import Workbook

    from gebiedsatlas.agreements.excel import SHEETS

    wb = Workbook(write_only=True)
    wb.create_sheet("Toelichting").append(["SYNTHETISCH – benchmark van de Excel-upload, geen echte gegevens"])
    sheets = {name: wb.create_sheet(name) for name in SHEETS}
    for name, columns in SHEETS.items():
        sheets[name].append([header for header, _field, _help in columns])
    realisations = sheets["Realisaties"]
    years = (2025, 2026, 2027, 2028, 2029)
    for n in range(rows):
        realisations.append([f"#{commitment_ids[n % len(commitment_ids)]}", years[(n // len(commitment_ids)) % 5],
                             n % 97, CORPORATION, f"synthetische melding {n + 1}"])
    wb.save(path)


def bench_principal(user_id: int, corporation_id: int):
    """An editor of the synthetic corporation, as the upload job gets it from the login."""
    from gebiedsatlas.accounts.principal import MembershipView, Principal

    return Principal(user_id=user_id, name="benchmark", email="benchmark@synthetisch.invalid", is_demo=True,
                     memberships=(MembershipView(0, CORPORATION, "woningcorporatie", corporation_id,
                                                 "redacteur", True),), via="session")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--commitments", type=int, default=50)
    parser.add_argument("--store", type=Path, help="an imported SQLite store to copy (saves the import)")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from gebiedsatlas.agreements import excel
    from gebiedsatlas.agreements.history import Actor
    from gebiedsatlas.sources.importer import import_bundled
    from gebiedsatlas.store import db
    from gebiedsatlas.store.agreements import Realisation

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.sqlite"
        url = f"sqlite:///{store}"
        start = time.perf_counter()
        if args.store:
            shutil.copy(args.store, store)
            print(f"store copied from {args.store}: {time.perf_counter() - start:.1f} s")
        else:
            import_bundled(url, REPO_DIR / "data")
            print(f"import of the bundled data: {time.perf_counter() - start:.1f} s")
        _agreement_id, ids, corporation_id = build_synthetic(url, args.commitments)
        workbook = Path(tmp) / "realisaties.xlsx"
        start = time.perf_counter()
        write_workbook(workbook, ids, args.rows)
        print(f"workbook: {args.rows:,} realisation rows for {len(ids)} commitments, "
              f"{workbook.stat().st_size / 2**20:.1f} MB, written in {time.perf_counter() - start:.1f} s")
        principal = bench_principal(1, corporation_id)
        actor = Actor(principal.email, CORPORATION, principal.user_id)
        reset = _reset_peak_rss()
        before = _peak_rss_mb()
        phases: dict[str, float] = {}

        def progress(phase: str, _done: int, _total: int | None) -> None:
            phases.setdefault(phase, time.perf_counter())

        start = time.perf_counter()
        with db.session_scope(url) as session:
            summary = excel.import_workbook(session, workbook, actor, workbook.name, principal=principal,
                                            progress=progress)
            phases["vastleggen"] = time.perf_counter()
        elapsed = time.perf_counter() - start
        marks = [("lezen", start), *((p, t) for p, t in phases.items() if p != "lezen"), ("klaar", start + elapsed)]
        print("phases: " + ", ".join(f"{name} {(marks[i + 1][1] - at):.1f} s"
                                     for i, (name, at) in enumerate(marks[:-1])))
        print(f"validate + import: {summary.realisations:,} realisations in {elapsed:.1f} s "
              f"({summary.realisations / elapsed:,.0f} rows/s)")
        print(f"peak RSS during the import: {_peak_rss_mb():.0f} MB"
              + ("" if reset else f" (process peak; {before:.0f} MB before the import)"))
        with db.session_scope(url) as session:
            stored = session.scalar(select(func.count()).select_from(Realisation)
                                    .where(Realisation.commitment_id.in_(ids)))
            versions = session.scalar(select(func.max(Realisation.version)).where(Realisation.commitment_id.in_(ids)))
        print(f"stored: {stored:,} realisation rows, up to version {versions}")
        pages(url, _agreement_id, ids[0])


def pages(url: str, agreement_id: int, commitment_id: int, runs: int = 3) -> None:
    """The pages that show these realisations, over HTTP (in-process client): medians."""
    import statistics

    from fastapi.testclient import TestClient

    from gebiedsatlas.config import Settings
    from gebiedsatlas.web.app import create_app

    client = TestClient(create_app(Settings(database_url=url, data_dir=REPO_DIR / "data")))
    for path in (f"/afspraken/afspraak/{commitment_id}", f"/afspraken/afspraak/{commitment_id}?versies=20",
                 f"/afspraken/{agreement_id}", f"/afspraken/{agreement_id}/export.xlsx",
                 "/afspraken/monitoring?voorbeeld=1", f"/api/commitments/{commitment_id}"):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(path).raise_for_status()
            times.append(time.perf_counter() - start)
        print(f"GET {path}: {statistics.median(times) * 1000:.0f} ms median")


if __name__ == "__main__":
    main()
