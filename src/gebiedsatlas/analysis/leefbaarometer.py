"""The Leefbaarometer 3.0 class of a score: nine classes from "zeer onvoldoende" to "uitstekend".

The Leefbaarometer 3.0 (Ministerie van BZK) shows its scores in nine classes, defined on the
deviation (``afw``) of a score from the fixed national reference level 4,1023. Source: Leefbaarometer
3.0 — Instrumentontwikkeling (RIGO / Atlas Research, 2022 update), chapter 7 "Weergave van scores en
ontwikkelingen", and the legend of leefbaarometer.nl. The class boundaries below were written from
that documentation without the document at hand while building this module; they are kept in one
place (``CLASS_LOWER_BOUNDS``) so a check against the published legend changes one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The published fixed national reference level of the Leefbaarometer 3.0 score.
REFERENCE_LEVEL = 4.1023
LABELS = ("zeer onvoldoende", "ruim onvoldoende", "onvoldoende", "zwak", "voldoende",
          "ruim voldoende", "goed", "zeer goed", "uitstekend")
# Lower bound of classes 2..9 on the deviation from the reference level (class 1 has no lower bound).
CLASS_LOWER_BOUNDS = (-0.30, -0.20, -0.10, -0.05, 0.0, 0.05, 0.10, 0.20)


@dataclass(frozen=True)
class LbmClass:
    number: int  # 1 (zeer onvoldoende) .. 9 (uitstekend)
    label: str

    def as_dict(self) -> dict:
        return {"number": self.number, "label": self.label, "of": len(LABELS)}


def lbm_class(deviation: float | None) -> LbmClass | None:
    """The class of a deviation from the reference level (``lbm_afwijking``); None without a value."""
    if deviation is None or not math.isfinite(deviation):
        return None
    number = 1 + sum(1 for bound in CLASS_LOWER_BOUNDS if deviation >= bound)
    return LbmClass(number, LABELS[number - 1])


def lbm_class_of_score(score: float | None) -> LbmClass | None:
    """The class of a score (the deviation is the score minus the fixed reference level)."""
    if score is None or not math.isfinite(score):
        return None
    return lbm_class(score - REFERENCE_LEVEL)
