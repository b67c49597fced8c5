"""Excel round-trip of prestatieafspraken: template, all-or-nothing import with errors per sheet, row and
column, and the exports."""

from __future__ import annotations

import io
import shutil

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from gebiedsatlas.agreements import demo, excel, parties
from gebiedsatlas.agreements.history import Actor
from gebiedsatlas.cli import app as cli_app
from gebiedsatlas.config import REPO_DIR
from gebiedsatlas.store import db
from gebiedsatlas.store.accounts import AuditEvent
from gebiedsatlas.store.agreements import Agreement, Commitment, Realisation

ACTOR = Actor("importeur", "Woningcorporatie")


@pytest.fixture
def store(template_db, tmp_path):
    path = tmp_path / "excel.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    with db.session_scope(url) as session:
        parties.seed_signatories(session, REPO_DIR / "data")
    return url


def _filled(rows: dict[str, list[list]]) -> bytes:
    wb = load_workbook(io.BytesIO(excel.template_workbook()))
    for sheet, values in rows.items():
        for row in values:
            wb[sheet].append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


GOOD = {
    "Afspraken": [["A1", "Prestatieafspraken Helmond 2026–2029", "GM0794", 2026, 2029,
                   "Gemeente Helmond; Woonpartners", "concept", "01-07-2025", None, "", "", ""]],
    "Toezeggingen": [
        ["A1-1", "A1", "Woonpartners levert 200 sociale huurwoningen op.", "beschikbaarheid", "Woonpartners",
         "gemeente", None, "output", "sociale huurwoningen opgeleverd", None, None, None, None, None],
        ["A1-2", "A1", "Leefbaarometer-score van Helmond naar 4,10 in 2029.", "Leefbaarheid",
         "Gemeente Helmond; Woonpartners", "", None, "outcome", None, "lbm_score", 2024, None, 4.1, 2029],
    ],
    "Jaarschijven": [["A1-1", 2026, 50], ["A1-1", 2027, 50], ["A1-1", 2028, 50], ["A1-1", 2029, 50]],
    "Realisaties": [["A1-1", 2026, 48, "Woonpartners", "Twee woningen schuiven door naar 2027."]],
}


def test_template_has_sheets_headers_and_lists(store):
    with db.session_scope(store) as session:
        wb = load_workbook(io.BytesIO(excel.template_workbook(session)))
    assert wb.sheetnames == ["Toelichting", "Afspraken", "Toezeggingen", "Jaarschijven", "Realisaties", "Lijsten"]
    assert [c.value for c in wb["Jaarschijven"][1]] == ["afspraak", "jaar", "gepland"]
    assert wb["Afspraken"]["F1"].comment is not None
    names = {c.value for c in wb["Lijsten"]["A"]}
    assert {"Gemeente Helmond", "Woonpartners", "Vidomes"} <= names


def test_import_good_workbook(store):
    with db.session_scope(store) as session:
        summary = excel.import_workbook(session, _filled(GOOD), ACTOR, "helmond.xlsx")
        assert (summary.agreements, summary.commitments, summary.year_targets, summary.realisations) == (1, 2, 4, 1)
        agreement = session.scalar(select(Agreement))
        assert agreement.gemeente_code == "GM0794" and agreement.bod_date.isoformat() == "2025-07-01"
        outcome = agreement.commitments[1]
        assert outcome.theme == "leefbaarheid" and outcome.baseline_year == 2024
        assert outcome.baseline_value is not None  # read from the atlas: Helmond's Leefbaarometer 2024
        # The allowed changes: other tests on the shared store may have left denied attempts (logged too).
        changes = session.scalars(select(AuditEvent).where(AuditEvent.result == "allowed")).all()
        assert {c.actor for c in changes} == {"importeur"}


def test_broken_rows_import_nothing_and_list_every_error(store):
    broken = {
        "Afspraken": [
            GOOD["Afspraken"][0],
            ["A2", "Fout", "GM9999", 2029, 2026, "Gemeente Helmond; Onbekende BV", "vast", None, None, "", "", ""],
        ],
        "Toezeggingen": [
            GOOD["Toezeggingen"][0],
            ["A1-2", "A1", "In Almere", "wonen", "Woonpartners", "wijk", "WK003401; WKXX", "outcome", None,
             "lbm_score", None, None, None, 2029],
            ["A1-3", "A9", "Verwijst naar niets", "leefbaarheid", "", "", None, "none", None, None, None, None,
             None, None],
        ],
        "Jaarschijven": [["A1-1", "tweeduizend", 50], ["A1-1", 2027, -5]],
        "Realisaties": [["A1-1", 2026, "veel", "Gemeente Helmond", ""], ["ZZ", 2026, 1, "Woonpartners", ""]],
    }
    with db.session_scope(store) as session:
        before = (session.scalar(select(func.count()).select_from(AuditEvent)),)
        with pytest.raises(excel.ExcelImportError) as exc:
            excel.import_workbook(session, _filled(broken), ACTOR, "fout.xlsx")
        found = {(e.file, e.row, e.column) for e in exc.value.errors}
        expected = {
            ("fout.xlsx, blad 'Afspraken'", 3, "C (gemeentecode)"),
            ("fout.xlsx, blad 'Afspraken'", 3, "E (eindjaar)"),
            ("fout.xlsx, blad 'Afspraken'", 3, "F (partijen)"),
            ("fout.xlsx, blad 'Afspraken'", 3, "G (status)"),
            ("fout.xlsx, blad 'Toezeggingen'", 3, "D (thema)"),
            ("fout.xlsx, blad 'Toezeggingen'", 3, "G (gebiedscodes)"),
            ("fout.xlsx, blad 'Toezeggingen'", 3, "M (streefwaarde)"),
            ("fout.xlsx, blad 'Toezeggingen'", 4, "B (afspraken)"),
            ("fout.xlsx, blad 'Jaarschijven'", 2, "B (jaar)"),
            ("fout.xlsx, blad 'Jaarschijven'", 3, "C (gepland)"),
            ("fout.xlsx, blad 'Realisaties'", 2, "C (waarde)"),
            ("fout.xlsx, blad 'Realisaties'", 2, "D (gemeld door)"),
            ("fout.xlsx, blad 'Realisaties'", 3, "A (afspraak)"),
        }
        assert found == expected
        messages = "\n".join(map(str, exc.value.errors))
        assert "WK003401 (Centrum Almere Haven) ligt niet in gemeente Helmond" in messages
        assert "Onbekende partij 'Onbekende BV'" in messages
        assert "rij 3, kolom 'C (gemeentecode)'" in messages
    with db.session_scope(store) as session:  # nothing of the good rows was kept either
        assert session.scalar(select(func.count()).select_from(Agreement)) == 0
        assert session.scalar(select(func.count()).select_from(Commitment)) == 0
        assert (session.scalar(select(func.count()).select_from(AuditEvent)),) == before


def test_missing_sheet_or_column_and_not_excel(store):
    wb = load_workbook(io.BytesIO(excel.template_workbook()))
    del wb["Realisaties"]
    wb["Jaarschijven"]["C1"] = "aantal"
    buffer = io.BytesIO()
    wb.save(buffer)
    with db.session_scope(store) as session:
        with pytest.raises(excel.ExcelImportError) as exc:
            excel.import_workbook(session, buffer.getvalue(), ACTOR, "oud.xlsx")
        assert [(e.column, e.message) for e in exc.value.errors] == [("Realisaties", "blad ontbreekt")]
        wb.create_sheet("Realisaties").append(["afspraak", "jaar", "waarde", "gemeld door", "toelichting"])
        buffer = io.BytesIO()
        wb.save(buffer)
        with pytest.raises(excel.ExcelImportError) as exc:
            excel.import_workbook(session, buffer.getvalue(), ACTOR, "oud.xlsx")
        assert [(e.file, e.row, e.column) for e in exc.value.errors] == [("oud.xlsx, blad 'Jaarschijven'", 1,
                                                                          "gepland")]
        with pytest.raises(excel.ExcelImportError, match="geen leesbaar Excel-bestand"):
            excel.import_workbook(session, b"naam;jaar\n", ACTOR, "lijst.csv")


def test_agreement_export_round_trips_and_monitoring_export(store):
    with db.session_scope(store) as session:
        original = demo.load_demo(session)[0]
        content = excel.agreement_workbook(session, original, reference_year=2026)
        wb = load_workbook(io.BytesIO(content))
        assert wb["Toelichting"]["A1"].value.startswith("FICTIEF VOORBEELD")
        progress = [[c.value for c in row] for row in wb["Voortgang"].iter_rows(min_row=2)]
        assert [(r[0], r[3]) for r in progress] == [(1, "Op koers"), (2, "Achter"), (3, "Achter"),
                                                    (4, "Op koers"), (5, "Niet meetbaar"), (6, "Op koers")]
        summary = excel.import_workbook(session, content, ACTOR, "export.xlsx")
        assert (summary.agreements, summary.commitments, summary.year_targets, summary.realisations) == (1, 6, 16, 4)
        copy = session.scalars(select(Agreement).order_by(Agreement.id.desc())).first()
        assert copy.is_demo and copy.status == "getekend" and copy.signed_on == original.signed_on
        assert [c.text for c in copy.commitments] == [c.text for c in original.commitments]
        assert session.scalar(select(func.count()).select_from(Realisation)
                              .where(Realisation.commitment_id.in_([c.id for c in copy.commitments]))) == 4
        monitoring = load_workbook(io.BytesIO(excel.monitoring_workbook(session, demo=True, reference_year=2026)))
        rows = {r[0].value: [c.value for c in r] for r in monitoring["Per gemeente"].iter_rows(min_row=2)}
        assert rows["Zoetermeer"][1:] == [0, 2, 0, 1, 0, 3]  # behaald, op koers, risico, achter, niet meetbaar
        corporations = [[c.value for c in r] for r in monitoring["Vergelijking corporaties"].iter_rows(min_row=2)]
        assert corporations[-1][:4] == ["Fictief: Woonstichting De Voorbeeldhaven", "Zoetermeer", 2,
                "sociale huurwoningen opgeleverd: 80"]


def test_realisations_for_stored_commitments_by_id(store):
    with db.session_scope(store) as session:
        nieuwegein = demo.load_demo(session)[0]
        housing = nieuwegein.commitments[0]  # versions 1 and 2 for 2026 in the demo set
        content = _filled({"Realisaties": [[f"#{housing.id}", 2026, 97, "Fictief: Woonstichting De Voorbeeldhaven",
                                            "Tweede correctie"],
                                           [f"#{housing.id}", 2027, 30, "Fictief: Woonstichting De Voorbeeldhaven",
                                            ""]]})
        summary = excel.import_workbook(session, content, ACTOR, "realisaties.xlsx")
        assert summary.realisations == 2
        versions = session.scalars(select(Realisation).where(Realisation.commitment_id == housing.id)
                                   .order_by(Realisation.year, Realisation.version)).all()
        assert [(r.year, r.version, r.value) for r in versions] == [(2026, 1, 90), (2026, 2, 95), (2026, 3, 97),
                                                                    (2027, 1, 30)]
        with pytest.raises(excel.ExcelImportError) as exc:
            excel.import_workbook(session, _filled({"Realisaties": [["#999999", 2026, 1, "", ""]]}), ACTOR, "x.xlsx")
        assert [(e.row, e.column) for e in exc.value.errors] == [(2, "A (afspraak)")]


def test_cli_import_reports_errors(store, tmp_path, monkeypatch):
    monkeypatch.setenv("GEBIEDSATLAS_DATABASE_URL", store)
    bad = tmp_path / "fout.xlsx"
    bad.write_bytes(_filled({"Afspraken": [["A1", "Fout", "GM0000", 2026, 2029, "", "", None, None, "", "", ""]]}))
    result = CliRunner().invoke(cli_app, ["afspraken", "import-excel", str(bad)])
    assert result.exit_code == 1 and "Niets geïmporteerd" in result.output and "rij 2" in result.output
