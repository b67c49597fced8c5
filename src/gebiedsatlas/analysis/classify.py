"""Choropleth classification: class breaks (mapclassify), colours and the legend.

Small composable steps:

- ``compute_breaks(values, method, k)``: upper class bounds from mapclassify on the values that exist;
- ``assign_classes(values, breaks)``: the class of every value (``None`` for a missing one);
- ``sequential_colours(k, direction)`` / ``diverging_colours(n_low, n_high, direction)``: palettes whose
  "worse" end is always dark (sequential) or red (diverging), whatever the indicator's direction;
- ``classify(values, ...)`` and ``classify_deviation(values, reference, ...)`` put them together into a
  ``Classification`` with a legend (bounds, colours, counts).

Missing, suppressed or non-finite values are never put in a class: they are counted apart as
"geen gegevens".
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import mapclassify
import numpy as np

from gebiedsatlas.indicators.catalogue import Direction


class Method(StrEnum):
    QUANTILES = "quantiles"
    NATURAL_BREAKS = "natural_breaks"
    EQUAL_INTERVAL = "equal_interval"

    @property
    def label(self) -> str:
        return {
            "quantiles": "Kwantielen (even veel gebieden per klasse)",
            "natural_breaks": "Natuurlijke grenzen (Fisher-Jenks)",
            "equal_interval": "Gelijke intervallen",
        }[self.value]


MIN_K, MAX_K = 2, 9
# Fisher-Jenks is exact but O(k·n²) in pure Python (mapclassify without numba: ~40 s for 3,340 values).
# Above this many values the breaks are computed on evenly spaced quantiles of the data: deterministic
# (a shared link gives the same map) and close to the exact breaks.
FISHER_JENKS_SAMPLE = 400

# Colour-blind-safe ramps, light -> dark. Sequential: viridis (perceptually uniform, readable in grey).
_VIRIDIS = ["#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89", "#26828e", "#31688e", "#3e4989",
            "#482878", "#440154"]
# Diverging: ColorBrewer RdBu (marked colour-blind safe), red = worse, blue = better.
_WORSE = ["#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"]   # light -> dark red
_BETTER = ["#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061"]  # light -> dark blue
NO_DATA_COLOUR = "#d9d9d9"
# "Te kleine aantallen" (status too_small): white with a dashed outline, apart from grey "geen gegevens" --
# the source may well have a figure, but its base is too small to show one.
TOO_SMALL_COLOUR = "#ffffff"


@dataclass(frozen=True)
class ClassInfo:
    """One legend entry: the class holds the values in (previous break, ``bound``]; ``lower`` and
    ``upper`` are the smallest and largest value actually in it (what the legend shows)."""

    lower: float
    upper: float
    colour: str
    count: int
    bound: float

    def as_dict(self) -> dict:
        return {"lower": self.lower, "upper": self.upper, "colour": self.colour, "count": self.count,
                "bound": self.bound}


@dataclass(frozen=True)
class Classification:
    method: Method
    k: int
    classes: list[ClassInfo]
    assignments: list[int | None]  # class index per input value, None = geen gegevens
    no_data_count: int
    diverging: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def breaks(self) -> list[float]:
        """Upper class bounds, as computed by mapclassify."""
        return [c.bound for c in self.classes]

    def as_dict(self) -> dict:
        return {
            "method": self.method.value, "method_label": self.method.label, "k": self.k,
            "diverging": self.diverging, "breaks": self.breaks,
            "classes": [c.as_dict() for c in self.classes],
            "no_data": {"count": self.no_data_count, "colour": NO_DATA_COLOUR},
            "notes": self.notes,
        }


def finite_values(values: Sequence[float | None]) -> np.ndarray:
    """The values that are real numbers (None, NaN and infinities dropped)."""
    return np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)


def compute_breaks(data: np.ndarray, method: Method, k: int) -> list[float]:
    """Upper class bounds (ascending, unique, last = max) from mapclassify.

    Fewer than ``k`` classes come back when the data have fewer distinct values than ``k`` or when
    quantiles coincide (many equal values).
    """
    if data.size == 0:
        return []
    distinct = np.unique(data)
    k = max(1, min(k, distinct.size))
    if k == 1:
        return [float(distinct[-1])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not enough unique values": handled by de-duplicating below
        if method is Method.QUANTILES:
            bins = mapclassify.Quantiles(data, k=k).bins
        elif method is Method.EQUAL_INTERVAL:
            bins = mapclassify.EqualInterval(data, k=k).bins
        else:
            sample = data
            if data.size > FISHER_JENKS_SAMPLE:
                sample = np.quantile(data, np.linspace(0, 1, FISHER_JENKS_SAMPLE))
            bins = mapclassify.FisherJenks(sample, k=k).bins
    bins = sorted({float(b) for b in bins})
    bins[-1] = float(data.max())  # the sample or float rounding must not leave the maximum out
    return bins


def assign_classes(values: Sequence[float | None], breaks: Sequence[float]) -> list[int | None]:
    """Class index per value: the first class whose upper bound is >= the value; None if no number."""
    upper = np.asarray(breaks, dtype=float)
    out: list[int | None] = []
    for v in values:
        if v is None or not math.isfinite(v) or upper.size == 0:
            out.append(None)
        else:
            out.append(int(min(np.searchsorted(upper, v, side="left"), upper.size - 1)))
    return out


def _ramp(colours: list[str], n: int) -> list[str]:
    """``n`` colours spread evenly over a light -> dark ramp."""
    if n <= 0:
        return []
    if n == 1:
        return [colours[len(colours) // 2]]
    return [colours[round(i * (len(colours) - 1) / (n - 1))] for i in range(n)]


def sequential_colours(k: int, direction: Direction) -> list[str]:
    """Colours for classes ordered low -> high values. Dark is always the worse end.

    Higher is worse (or neutral): high values dark. Higher is better: low values dark.
    """
    colours = _ramp(_VIRIDIS, k)
    return colours[::-1] if direction is Direction.HIGHER_IS_BETTER else colours


def _side(ramp: list[str], n: int) -> list[str]:
    """``n`` colours of one side of a diverging palette; with few classes the darkest is skipped
    so that neighbouring classes do not jump from nearly white to nearly black."""
    return _ramp(ramp if n >= 4 else ramp[:4], n)


def diverging_colours(n_low: int, n_high: int, direction: Direction) -> list[str]:
    """Colours for ``n_low`` classes below and ``n_high`` above the reference (low -> high values).

    Red is the worse side, blue the better side; neutral indicators show above-reference values
    in red as well (the same direction as a neutral sequential map: more = darker/warmer).
    """
    low_is_worse = direction is Direction.HIGHER_IS_BETTER
    low_ramp, high_ramp = (_WORSE, _BETTER) if low_is_worse else (_BETTER, _WORSE)
    low = _side(low_ramp, n_low)[::-1]  # the lowest values are the farthest from the reference
    high = _side(high_ramp, n_high)
    return low + high


def _legend(values: Sequence[float | None], breaks: list[float], colours: list[str],
            assignments: list[int | None]) -> list[ClassInfo]:
    """Legend entries with the range of the values in each class (an empty class shows its bounds)."""
    members: list[list[float]] = [[] for _ in breaks]
    for value, cls in zip(values, assignments, strict=True):
        if cls is not None:
            members[cls].append(float(value))
    out = []
    for i, (bound, colour) in enumerate(zip(breaks, colours, strict=True)):
        inside = members[i]
        lower = min(inside) if inside else (breaks[i - 1] if i else bound)
        upper = max(inside) if inside else bound
        out.append(ClassInfo(lower, upper, colour, len(inside), bound))
    return out


def classify(values: Sequence[float | None], method: Method | str = Method.QUANTILES, k: int = 5,
             direction: Direction = Direction.NEUTRAL) -> Classification:
    """Classes for a sequential choropleth of ``values`` (None/NaN = geen gegevens)."""
    method = Method(method)
    k = max(MIN_K, min(MAX_K, int(k)))
    data = finite_values(values)
    breaks = compute_breaks(data, method, k)
    assignments = assign_classes(values, breaks)
    colours = sequential_colours(len(breaks), direction)
    notes = []
    if 0 < len(breaks) < k:
        notes.append(f"{len(breaks)} in plaats van {k} klassen: te weinig verschillende waarden.")
    return Classification(method, k, _legend(values, breaks, colours, assignments) if data.size else [],
                          assignments, sum(a is None for a in assignments), notes=notes)


def deviations(values: Sequence[float | None], reference: float) -> list[float | None]:
    """Each value minus the reference (None stays None)."""
    return [None if v is None or not math.isfinite(v) else v - reference for v in values]


def classify_deviation(values: Sequence[float | None], reference: float,
                       method: Method | str = Method.QUANTILES, k: int = 6,
                       direction: Direction = Direction.NEUTRAL) -> Classification:
    """Diverging classes of value − reference, with 0 always a class bound.

    The classes below and above the reference are computed separately (about half of ``k`` each, in
    proportion to how many areas lie on each side) so no class straddles the reference.
    """
    method = Method(method)
    k = max(MIN_K, min(MAX_K, int(k)))
    diffs = deviations(values, reference)
    data = finite_values(diffs)
    below, above = data[data <= 0], data[data > 0]
    if below.size and above.size:
        k_low = min(max(1, round(k * below.size / data.size)), k - 1)
        k_low = min(k_low, 5)
        k_high = min(k - k_low, 5)
    else:
        k_low, k_high = (min(k, 5), 0) if below.size else (0, min(k, 5))
    low_breaks = compute_breaks(below, method, k_low) if k_low else []
    if low_breaks:
        low_breaks[-1] = 0.0 if above.size else low_breaks[-1]
    high_breaks = compute_breaks(above, method, k_high) if k_high else []
    breaks = low_breaks + high_breaks
    assignments = assign_classes(diffs, breaks)
    colours = diverging_colours(len(low_breaks), len(high_breaks), direction)
    classes = _legend(diffs, breaks, colours, assignments) if data.size else []
    return Classification(method, k, classes, assignments, sum(a is None for a in assignments),
                          diverging=True)
