"""Errors that carry enough context for a user to fix their input."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: names the file, the row and column (or field) and what was expected."""

    def __init__(
        self,
        file: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        found: object = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.expected = expected
        self.found = found
        self.message = message
        where = file
        if row is not None:
            where += f", rij {row}"
        if column is not None:
            where += f", kolom {column!r}"
        text = f"{where}: {message}"
        if expected is not None:
            text += f"; verwacht {expected}"
        if found is not None:
            text += f", gevonden {found!r}"
        super().__init__(text)
