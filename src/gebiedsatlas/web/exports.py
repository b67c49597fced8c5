"""Tables as CSV: plain CSV and the Dutch-Excel dialect, always with the source attribution.

- ``csv``: comma-separated, decimal point, UTF-8.
- ``csv-nl``: semicolon-separated, decimal comma, UTF-8 with a byte-order mark so Excel in a Dutch
  locale opens it correctly.

A value without a number stays an empty cell next to its status; it never becomes 0. Text that a
spreadsheet could read as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a leading
``'`` (``gebiedsatlas.safe_cells``); numbers are never changed except for rounding to the precision the
page shows (``rounded``). In ``csv-nl`` the status of a value is the Dutch word the page shows
("waargenomen", "geheim (niet gepubliceerd)", …); plain ``csv`` keeps the API's codes.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Sequence

from fastapi import HTTPException
from fastapi.responses import Response

from gebiedsatlas.analysis.wide import shown
from gebiedsatlas.safe_cells import csv_text, text_cell
from gebiedsatlas.status import Status

FORMATS = ("json", "csv", "csv-nl")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_STATUS_WORDS = {s.value: s.label for s in Status}


def _is_status(column: str) -> bool:
    return column == "status" or column.endswith(" status")


def round_rows(rows: Iterable[dict], decimals_of: dict[str, int], *, value_keys: Sequence[str] = ("waarde",),
               id_key: str = "indicator_id") -> list[dict]:
    """Rows with their values rounded to each indicator's shown precision (unknown indicators kept)."""
    out = []
    for row in rows:
        decimals = decimals_of.get(row.get(id_key))
        if decimals is not None:
            row = {**row, **{k: shown(row.get(k), decimals) for k in value_keys if k in row}}
        out.append(row)
    return out


def _cell(value: object, decimal_comma: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        text = repr(round(value, 10)) if not value.is_integer() else str(int(value))
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, list | tuple):
        return csv_text("|".join(str(v) for v in value))
    return str(value)


def to_csv(rows: Iterable[dict], columns: Sequence[str], *, dialect: str,
           attribution: str | None = None) -> str:
    """Render rows as CSV text; ``attribution`` adds a ``bron`` column to every row."""
    decimal_comma = dialect == "csv-nl"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if decimal_comma else ",", lineterminator="\r\n")
    header = list(columns) + (["bron"] if attribution is not None else [])
    writer.writerow(header)
    for row in rows:
        cells = [_cell(_STATUS_WORDS.get(row.get(c), row.get(c)) if decimal_comma and _is_status(c)
                       else row.get(c), decimal_comma) for c in columns]
        if attribution is not None:
            cells.append(csv_text(row.get("bron") or attribution))
        writer.writerow(cells)
    text = buffer.getvalue()
    return ("\ufeff" + text) if decimal_comma else text


def csv_response(rows: list[dict], columns: Sequence[str], *, dialect: str, filename: str,
                 attribution: str | None = None) -> Response:
    if dialect not in ("csv", "csv-nl"):
        raise HTTPException(400, f"onbekend formaat {dialect!r}; kies uit {', '.join(FORMATS)}")
    body = to_csv(rows, columns, dialect=dialect, attribution=attribution)
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def number_format(decimals: int) -> str:
    """Excel's number format for ``decimals`` places (Excel shows it with the reader's own separators)."""
    return "0" if decimals <= 0 else "0." + "0" * decimals


def to_xlsx(rows: Iterable[dict], columns: Sequence[str], *, sheet_title: str,
            decimals_of: Callable[[dict], int | None], integer_columns: Sequence[str] = (),
            attribution: str | None = None) -> bytes:
    """The same table as ``to_csv(..., dialect="csv-nl")`` as an Excel workbook.

    Numbers stay numbers, with a number format of the row's shown precision (``decimals_of(row)``;
    ``integer_columns`` such as ranks always get ``0``); a missing value is an empty cell next to its
    Dutch status word; every text cell goes through ``safe_cells.text_cell`` so it never becomes a
    formula. ``attribution`` adds the ``bron`` column, as in the CSV.
    """
    from openpyxl import Workbook  # imported here: only the xlsx routes need it
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31]
    header = list(columns) + (["bron"] if attribution is not None else [])
    sheet.append(header)
    for cell in sheet[1]:
        text_cell(cell)
        cell.font = Font(bold=True)
    for row in rows:
        decimals = decimals_of(row)
        values: list[object] = []
        for c in columns:
            value = row.get(c)
            if _is_status(c):
                value = _STATUS_WORDS.get(value, value)
            if isinstance(value, float) and math.isnan(value):
                value = None
            if isinstance(value, list | tuple):
                value = "|".join(str(v) for v in value)
            values.append(value)
        if attribution is not None:
            values.append(row.get("bron") or attribution)
        sheet.append(values)
        for column, cell in zip(header, sheet[sheet.max_row], strict=True):
            if isinstance(cell.value, str):
                text_cell(cell)
            elif isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                places = 0 if column in integer_columns else decimals
                if places is not None:
                    cell.number_format = number_format(places)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(body: bytes, filename: str) -> Response:
    return Response(body, media_type=XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'})
