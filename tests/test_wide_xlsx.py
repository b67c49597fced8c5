"""Issue 15 item 11: the profile and compare tables as wide Excel, the same rows and columns as the wide
CSV (values rounded to the shown precision, Dutch status words, the source column), numbers as numbers
with a number format of the shown decimals, and text that never becomes a formula. Real bundled data."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import text

from conftest import make_client
from gebiedsatlas.safe_cells import csv_text
from gebiedsatlas.store import db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HYPERLINK = '=HYPERLINK("http://example.invalid/","klik")'


def _csv_nl(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8").lstrip("\ufeff")), delimiter=";"))


def _as_csv_nl(value: object) -> str:
    """An Excel cell as the Dutch CSV writes it (decimal comma, quoted formula-like text)."""
    if value is None:
        return ""
    if isinstance(value, float):
        text_ = str(int(value)) if value.is_integer() else repr(round(value, 10))
        return text_.replace(".", ",")
    if isinstance(value, str):
        return csv_text(value)
    return str(value)


def _sheet(body: bytes):
    return load_workbook(io.BytesIO(body)).active


def _same_table(client, xlsx_url: str, csv_url: str):
    response = client.get(xlsx_url)
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].endswith('.xlsx"')
    sheet = _sheet(response.content)
    table = [[_as_csv_nl(c.value) for c in row] for row in sheet.iter_rows()]
    expected = _csv_nl(client.get(csv_url).content)
    assert table == expected
    assert table[0][-1] == "bron" and all(r[-1] for r in table[1:])
    return sheet


def _row(sheet, indicator_id: str) -> dict:
    header = [c.value for c in sheet[1]]
    column = header.index("indicator_id")
    for row in sheet.iter_rows(min_row=2):
        if row[column].value == indicator_id:
            return dict(zip(header, row, strict=True))
    raise AssertionError(indicator_id)


def test_profile_excel_is_the_wide_csv_with_numbers_as_numbers(client):
    sheet = _same_table(client, "/gebied/WK050205.xlsx", "/gebied/WK050205.csv?format=csv-nl")
    header = [c.value for c in sheet[1]]
    assert header[:8] == ["thema", "indicator_id", "indicator", "eenheid", "richting", "periode",
                          "Oostgaarde Noord", "Oostgaarde Noord status"]
    inwoners = _row(sheet, "inwoners")
    assert inwoners["Oostgaarde Noord"].data_type == "n" and inwoners["Oostgaarde Noord"].number_format == "0"
    assert inwoners["Oostgaarde Noord status"].value == "waargenomen"
    assert inwoners["rang"].number_format == "0"
    koop = _row(sheet, "koopwoningen")
    cell = koop["Oostgaarde Noord"]
    if cell.value is not None:  # a share with the catalogue's decimals
        assert cell.data_type == "n" and cell.number_format.startswith("0")
    police = _row(sheet, "misdrijven")
    assert police["Oostgaarde Noord"].value is None
    assert police["Oostgaarde Noord status"].value == "geen gegevens"


def test_compare_excel_is_the_wide_csv_rounded_with_dutch_status(client):
    areas = "GM0034,GM0637,nta"
    sheet = _same_table(client, f"/vergelijken.xlsx?areas={areas}", f"/vergelijken.csv?areas={areas}&format=csv-nl")
    laag = _row(sheet, "laag_inkomen")
    assert laag["Almere"].value == 36.7 and laag["Almere"].number_format == "0.0"
    assert laag["Almere status"].value == "waargenomen"
    assert laag["New Town Alliantie status"].value == "afgeleid"
    nta = laag["New Town Alliantie"].value
    assert nta == round(nta, 1)  # the derived share rounded to the one decimal the page shows
    assert laag["Almere rang"].number_format == "0"
    inwoners = _row(sheet, "inwoners")
    assert [inwoners[c].value for c in ("Almere", "Zoetermeer", "New Town Alliantie")] == [226500, 128434, 767511]


def test_formula_looking_area_name_stays_text(fresh_db_url):
    with db.session_scope(fresh_db_url) as session:
        session.execute(text("UPDATE area SET name = :name WHERE code = 'WK050205'"), {"name": HYPERLINK})
    with make_client(fresh_db_url) as client:
        for url in ("/gebied/WK050205.xlsx", "/vergelijken.xlsx?areas=WK050205,GM0502"):
            response = client.get(url)
            assert response.status_code == 200, url
            cells = [c for row in _sheet(response.content).iter_rows() for c in row]
            assert [c.coordinate for c in cells if c.data_type == "f"] == []
            hostile = [c for c in cells if isinstance(c.value, str) and c.value.startswith(HYPERLINK)]
            assert hostile, url
            assert all(c.data_type == "s" and c.quotePrefix for c in hostile)


def test_excel_links_next_to_the_csv_downloads(client):
    profile = client.get("/gebied/WK050205").text
    assert 'href="/gebied/WK050205.xlsx"' in profile
    assert profile.index("/gebied/WK050205.csv") < profile.index("/gebied/WK050205.xlsx")
    compare = client.get("/vergelijken", params={"areas": "GM0034,GM0637"}).text
    assert 'href="/vergelijken.xlsx?areas=GM0034,GM0637"' in compare
    assert client.get("/gebied/XX0000.xlsx").status_code == 404
