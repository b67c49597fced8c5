"""Text in exported spreadsheets stays text: it never becomes a formula (CSV/formula injection).

Following the OWASP guidance on CSV injection, a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return could be read as a formula by Excel or LibreOffice. Area names,
party names and agreement texts come from data and users, so every export passes its text through
here:

- CSV (``csv_text``): such a text gets a leading apostrophe ``'`` (the OWASP recommendation).
- xlsx (``text_cell``): the cell is written as a string (openpyxl would make ``=...`` a formula) and
  gets Excel's "quote prefix" style, so it stays text even when someone edits it; the text itself
  is unchanged, so an exported workbook can be imported again as it is.

Only text is touched: numbers stay numbers, and a text that is just a number (``-3,5`` in a Dutch
CSV, ``+31``) is left alone, because it cannot hold a formula. No web or store imports: the domain
(Excel exports of prestatieafspraken) and the web layer (CSV) both use it.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A sign, digits with decimal/thousands separators (both "," and "."), an optional exponent.
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d.,]*(?:[eE][+-]?\d+)?")


def formula_like(text: str) -> bool:
    """True if a spreadsheet could read ``text`` as a formula (and it is not simply a number)."""
    return text.startswith(FORMULA_TRIGGERS) and _PLAIN_NUMBER.fullmatch(text) is None


def csv_text(text: str) -> str:
    """``text`` for a CSV cell: with a leading ``'`` if it could be read as a formula."""
    return "'" + text if formula_like(text) else text


def text_cell(cell: Any) -> Any:
    """Make an openpyxl cell holding text a plain string cell; returns the cell.

    openpyxl types a string that starts with ``=`` as a formula (``data_type 'f'``) and one like
    ``#N/A`` as an error (``'e'``); both are set back to ``'s'``. Formula-like text also gets
    ``quotePrefix`` (Excel's leading apostrophe), so editing the cell in Excel keeps it text.
    Cells with numbers, dates or nothing are not changed.
    """
    value = cell.value
    if isinstance(value, str):
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True
    return cell


def text_cells(workbook: Any) -> Any:
    """Apply ``text_cell`` to every cell of every worksheet of an openpyxl workbook; returns it."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                text_cell(cell)
    return workbook
