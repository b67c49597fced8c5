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
    # The base (inhabitants, households) is below the indicator's minimum (indicators/quality.py):
    # a share of a handful of people is noise, and CBS itself does not publish it.
    TOO_SMALL = "too_small"
    # Fails a plausibility check on import (a share over 100 %, parts larger than their total, a
    # group of shares that does not add up to 100); the reason is in the value's method note.
    IMPLAUSIBLE = "implausible"

    @property
    def label(self) -> str:
        return {
            "observed": "waargenomen",
            "suppressed": "geheim (niet gepubliceerd)",
            "missing": "geen gegevens",
            "derived": "afgeleid",
            "converted": "omgerekend",
            "too_small": "te kleine aantallen",
            "implausible": "niet plausibel",
        }[self.value]

    @property
    def has_value(self) -> bool:
        return self in (Status.OBSERVED, Status.DERIVED, Status.CONVERTED)
