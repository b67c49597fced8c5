"""Parsing published cell values, with CBS's special values kept apart from numbers."""

from __future__ import annotations

import math

from gebiedsatlas.errors import InputError
from gebiedsatlas.status import Status

# CBS marks secret, unknown or not applicable values with these; they are never zero.
SUPPRESSED_MARKERS = frozenset({".", "x", "X", "-99999999", "-99999999.0", "-99999997", "?"})
MISSING_MARKERS = frozenset({"", "NA", "NaN", "nan", "None"})


def parse_value(raw: str | None, *, file: str, row: int, column: str) -> tuple[float | None, Status]:
    """Read one published cell: a number, or a special value with its status.

    Raises InputError (naming file, row, column) for anything that is neither.
    """
    text = "" if raw is None else raw.strip()
    if text in MISSING_MARKERS:
        return None, Status.MISSING
    if text in SUPPRESSED_MARKERS:
        return None, Status.SUPPRESSED
    try:
        value = float(text)
    except ValueError:
        raise InputError(file, "geen getal", row=row, column=column,
                         expected="een getal of een CBS-speciale waarde (leeg, '.', 'x', -99999999)",
                         found=raw) from None
    if math.isnan(value):
        return None, Status.MISSING
    if value == -99999999:
        return None, Status.SUPPRESSED
    return value, Status.OBSERVED
