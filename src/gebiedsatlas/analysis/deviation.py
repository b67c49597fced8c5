"""Deviation measures of a value from a reference, oriented by the indicator's direction.

For an area value ``v``, a reference value ``r`` and the values ``d`` of the areas in the reference
group, with ``s`` = +1 when higher is better, -1 when higher is worse (and +1 for neutral
indicators, which get no better/worse judgement):

- ``difference``          s·(v − r), in the indicator's unit: positive = better than the reference
- ``relative_difference`` s·(v − r) / |r| × 100 %, none when r = 0
- ``z_score``             s·(v − mean d) / sd d (sample sd), none with fewer than 2 areas or sd 0
- ``percentile_rank``     share of the reference areas that the area does better than, ties
                          counting half (mid-rank), 0–100
- ``index``               100 + relative_difference: the reference = 100 and above 100 is better,
                          as in the Wijkprofiel Rotterdam (where the city's 2014 level = 100)

Relative difference and index only for ratio scales: for scores and deviations (catalogue
``interval``) they are None.

``raw_difference`` (v − r) keeps the sign of the figure itself for readers who want it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from gebiedsatlas.analysis.matrix import finite
from gebiedsatlas.indicators.catalogue import Direction

# Below this |z| an area is "vergelijkbaar" (about the middle 40% of a normal distribution).
SIMILAR_Z = 0.5


@dataclass(frozen=True)
class Deviation:
    value: float | None
    reference_value: float | None
    raw_difference: float | None
    difference: float | None
    relative_difference: float | None
    z_score: float | None
    percentile_rank: float | None
    index: float | None
    reference_count: int
    assessment: str

    def as_dict(self) -> dict:
        return asdict(self)


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def orientation(direction: Direction) -> int:
    """+1 or -1; neutral indicators are read as 'higher' (no judgement is attached)."""
    return -1 if direction is Direction.HIGHER_IS_WORSE else 1


def assess(direction: Direction, difference: float | None, z: float | None) -> str:
    """A Dutch word for the oriented deviation: beter, slechter, vergelijkbaar, hoger, lager."""
    if difference is None:
        return "geen gegevens"
    if z is not None and abs(z) < SIMILAR_Z:
        return "vergelijkbaar"
    if difference == 0:
        return "gelijk"
    if direction is Direction.NEUTRAL:
        return "hoger" if difference > 0 else "lager"
    return "beter" if difference > 0 else "slechter"


def deviation(value: float | None, reference_value: float | None, distribution,
              direction: Direction, interval: bool = False) -> Deviation:
    """All deviation measures of ``value`` against a reference value and group (see module doc).

    On an ``interval`` scale (a score or deviation without a true zero, such as the Leefbaarometer)
    a ratio means nothing (one wijk showed -191,7 %): no relative difference and no index.
    """
    v, r = _num(value), _num(reference_value)
    d = finite(distribution if distribution is not None else [])
    s = orientation(direction)
    raw = diff = rel = z = pct = idx = None
    if v is not None and r is not None:
        raw = v - r
        diff = s * raw
        if r != 0 and not interval:
            rel = 100.0 * diff / abs(r)
            idx = 100.0 + rel
    if v is not None and d.size >= 2:
        sd = float(np.std(d, ddof=1))
        if sd > 0:
            z = s * (v - float(np.mean(d))) / sd
    if v is not None and d.size >= 1:
        below = np.sum(s * d < s * v)
        ties = np.sum(d == v)
        pct = float(100.0 * (below + 0.5 * ties) / d.size)
    return Deviation(value=v, reference_value=r, raw_difference=raw, difference=diff,
                     relative_difference=rel, z_score=z, percentile_rank=pct, index=idx,
                     reference_count=int(d.size), assessment=assess(direction, diff, z))
