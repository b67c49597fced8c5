"""The status of a value: why it is, or is not, a number.

A core module of its own because every layer uses it: the readers of published sources set it, the
store keeps it, indicators, areas, analysis and agreements compute with it, and the web shows it.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Why a value is (or is not) a number. Only observed and derived values carry a number."""

    OBSERVED = "observed"
    SUPPRESSED = "suppressed"  # secret / not published by the source (., x, -99999999)
    MISSING = "missing"  # empty in the source
    DERIVED = "derived"  # computed by Gebiedsatlas from other values
    CONVERTED = "converted"  # moved to the boundaries of another year (areas/crosswalk.py)

    @property
    def label(self) -> str:
        return {
            "observed": "waargenomen",
            "suppressed": "geheim (niet gepubliceerd)",
            "missing": "geen gegevens",
            "derived": "afgeleid",
            "converted": "omgerekend",
        }[self.value]

    @property
    def has_value(self) -> bool:
        return self in (Status.OBSERVED, Status.DERIVED, Status.CONVERTED)
