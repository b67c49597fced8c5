"""Bounded path and query parameters, shared by the routers.

A number that reaches the store or numpy must fit: SQLite integers are 64-bit and numpy's are C
longs, so an unbounded ``int`` such as ``?period=18446744073709551616`` or an id of 2**64 ended in
an ``OverflowError`` (HTTP 500). These types let FastAPI answer 422 with a Dutch description
instead, and document the range in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Path, Query

MIN_YEAR = 1900
MAX_YEAR = 2100
MAX_ROW_ID = 2**31 - 1

# The primary key of a stored row (agreement, commitment, party, …).
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="Id: een geheel getal van 1 tot en met 2147483647.")]


def year_query(description: str = "Jaartal.", **kwargs: Any) -> Any:
    """``Query`` for a year from 1900 to 2100 (``alias=`` etc. pass through)."""
    return Query(ge=MIN_YEAR, le=MAX_YEAR, description=f"{description} Van {MIN_YEAR} tot en met {MAX_YEAR}.",
                 **kwargs)


Year = Annotated[int, year_query("Jaartal.")]
OptionalYear = Annotated[int | None, year_query("Jaartal; leeg = het laatste jaar met gegevens.")]
# The two years of a comparison over time (``?from=2020&to=2024``).
YearFrom = Annotated[int | None, year_query("Beginjaar; leeg = het op één na laatste meetjaar.", alias="from")]
YearTo = Annotated[int | None, year_query("Eindjaar; leeg = het laatste meetjaar.", alias="to")]


def parse_year(text: str) -> int:
    """A year from free text (pages that show their own message): ``ValueError`` if it is not a
    whole number from 1900 to 2100."""
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"{year} ligt niet tussen {MIN_YEAR} en {MAX_YEAR}")
    return year


def year_list(text: str | None, field: str) -> list[int] | None:
    """Years from a comma-separated list (``2022,2023``); ``None`` when empty; 400 when a part is not
    a year from 1900 to 2100."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    try:
        return [parse_year(p) for p in parts] or None
    except ValueError:
        raise HTTPException(400, f"{field}: verwacht jaartallen van {MIN_YEAR} tot en met {MAX_YEAR} gescheiden "
                                 f"door komma's, gevonden {text[:100]!r}") from None
