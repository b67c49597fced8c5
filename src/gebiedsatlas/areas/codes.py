"""CBS area codes: levels, validation and the parent implied by a code."""

from __future__ import annotations

import re
from enum import StrEnum

NETHERLANDS_CODE = "NL01"


class Level(StrEnum):
    """Area levels from coarse to fine; the value is the Dutch word the interface shows."""

    LAND = "land"
    PROVINCIE = "provincie"
    GEMEENTE = "gemeente"
    WIJK = "wijk"
    BUURT = "buurt"

    @property
    def rank(self) -> int:
        return list(Level).index(self)

    @property
    def label(self) -> str:
        return {"land": "Nederland"}.get(self.value, self.value.capitalize())

    @property
    def plural(self) -> str:
        return {
            "land": "landen",
            "provincie": "provincies",
            "gemeente": "gemeenten",
            "wijk": "wijken",
            "buurt": "buurten",
        }[self.value]


_PATTERNS = {
    Level.LAND: re.compile(r"^NL\d{2}$"),
    Level.PROVINCIE: re.compile(r"^PV\d{2}$"),
    Level.GEMEENTE: re.compile(r"^GM\d{4}$"),
    Level.WIJK: re.compile(r"^WK\d{4}[0-9A-Z]{2}$"),
    Level.BUURT: re.compile(r"^BU\d{4}[0-9A-Z]{4}$"),
}


def level_of(code: str) -> Level:
    """The level a CBS code belongs to; raises ValueError for anything else."""
    for level, pattern in _PATTERNS.items():
        if pattern.match(code):
            return level
    raise ValueError(f"geen geldige CBS-gebiedscode: {code!r} (verwacht NL01, PVnn, GMnnnn, WKnnnnww of BUnnnnwwbb)")


def is_area_code(code: str) -> bool:
    try:
        level_of(code)
    except ValueError:
        return False
    return True


def parent_code_of(code: str) -> str | None:
    """The parent implied by the code itself: buurt -> wijk -> gemeente.

    A gemeente's provincie is not encoded in its code; it comes from the source data.
    """
    level = level_of(code)
    if level is Level.BUURT:
        return "WK" + code[2:8]
    if level is Level.WIJK:
        return "GM" + code[2:6]
    if level is Level.PROVINCIE:
        return NETHERLANDS_CODE
    return None
