"""Linear trend of an atlas series, projected to a target year.

Why linear least squares: the atlas series are short and irregular (Leefbaarometer 2002, 2008,
2012, …, 2024; KWB 2022 and 2024). A straight line through all measured points is the simplest
projection that a policy analyst can check by hand, and it does not overreact to one measurement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Trend:
    """``value(year) = intercept + slope * year`` fitted on ``points`` (year, value)."""

    slope: float
    intercept: float
    points: tuple[tuple[int, float], ...]

    def at(self, year: float) -> float:
        """The trend value in ``year``."""
        return self.intercept + self.slope * year

    @property
    def first_year(self) -> int:
        return self.points[0][0]

    @property
    def last_year(self) -> int:
        return self.points[-1][0]


def fit_trend(points: list[tuple[int, float]] | tuple[tuple[int, float], ...]) -> Trend | None:
    """Least-squares line through (year, value) points; None with fewer than two distinct years.

    Points without a number (NaN/None) are ignored: a missing value is never treated as zero.
    """
    clean = sorted((int(y), float(v)) for y, v in points if v is not None and not math.isnan(float(v)))
    if len({y for y, _ in clean}) < 2:
        return None
    years = np.array([y for y, _ in clean], dtype=float)
    values = np.array([v for _, v in clean], dtype=float)
    slope, intercept = np.polyfit(years, values, 1)
    return Trend(float(slope), float(intercept), tuple(clean))


def project(points, year: int) -> float | None:
    """The linear trend of ``points`` evaluated in ``year`` (None without a trend)."""
    trend = fit_trend(points)
    return None if trend is None else trend.at(year)
