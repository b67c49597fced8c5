"""Reading CSV files row by row, so that every error can name its row and column."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from gebiedsatlas.errors import InputError


def read_rows(path: Path, required: list[str] | tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for every data row; check the header has ``required`` columns.

    The line number is the file line the row starts on (the header is line 1), as a spreadsheet
    would show it.
    """
    if not path.exists():
        raise InputError(str(path), "bestand ontbreekt")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(str(path), "kolom ontbreekt in de kopregel", row=1, column=missing[0],
                             expected=", ".join(required), found=",".join(header))
        line = reader.line_num + 1
        for row in reader:
            if None in row:  # more cells than header columns
                raise InputError(str(path), "te veel cellen in de rij", row=line,
                                 expected=f"{len(header)} kolommen")
            yield line, row
            line = reader.line_num + 1


def require_code(value: str, *, file: Path, row: int, column: str, prefix: str, length: int) -> str:
    code = (value or "").strip()
    # Gemeente digits first; wijk and buurt parts may be letters too (Amsterdam: BU0363AA01).
    if not (code.startswith(prefix) and len(code) == length
            and re.fullmatch(rf"\d{{{min(4, length - len(prefix))}}}[0-9A-Z]*", code[len(prefix):])):
        raise InputError(str(file), "ongeldige gebiedscode", row=row, column=column,
                         expected=f"{prefix} gevolgd door {length - len(prefix)} cijfers of letters",
                         found=value)
    return code
