"""The answer first: the summary block at the top of an area profile, in plain Dutch.

Four parts, each ``None`` where the data do not carry it (never a made-up value):

- **leefbaarometer**: the latest Leefbaarometer score, its class (``analysis.leefbaarometer``) and
  the series of earlier measurement years for a small trend line;
- **vulnerability**: the kwetsbaarheidsscore in words, with its main drivers (``analysis.summary``);
- **type** and **peers**: the area's type (typology) and its similar areas (``peers.find_peers``, the
  same number everywhere: ``peers.DEFAULT_K``);
- **deviations**: the (up to) three figures that differ most from the first reference of the profile
  (the gemeente for a wijk or buurt, otherwise the New Towns or Nederland). "Most" is measured in
  the spread of that figure over all areas of the same level in Nederland (the standard deviation),
  so percentages, incomes and densities can be ranked together; the words say "veel hoger" from one
  standard deviation and "hoger" from half of one. Counts, areas in hectares, classes and the
  Leefbaarometer (shown above it) are not ranked.

The web page and ``/api/profile/{code}/summary`` both render this one dictionary.
"""

from __future__ import annotations

import math

import numpy as np
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.matrix import cached, indicator_matrix, scope_codes
from gebiedsatlas.analysis.peers import DEFAULT_K, find_peers
from gebiedsatlas.analysis.profile import AreaProfile, Figure, Value
from gebiedsatlas.analysis.summary import area_summary
from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import Direction

# Units that are not ranked as "deviating": counts and areas scale with the size of the area; a
# class number is not a quantity; the Leefbaarometer has its own part of the summary.
UNRANKED_UNITS = {"aantal", "ha", "klasse", "score", "afwijking"}
STRONG = 1.0  # standard deviations: "veel hoger / lager"
NOTABLE = 0.5  # "hoger / lager"; below this a figure is not called deviating
MAX_DEVIATIONS = 3


def vulnerability_words(score: float) -> str:
    """The kwetsbaarheidsscore (0 = like Nederland, higher is more vulnerable) in words."""
    if score >= STRONG:
        return "veel kwetsbaarder dan gemiddeld in Nederland"
    if score >= NOTABLE:
        return "kwetsbaarder dan gemiddeld in Nederland"
    if score > -NOTABLE:
        return "ongeveer zo kwetsbaar als gemiddeld in Nederland"
    return "minder kwetsbaar dan gemiddeld in Nederland"


def _value_dict(value: Value | None) -> dict | None:
    if value is None or not value.has_value:
        return None
    return {"period": value.period, "value": value.value, "status": value.status}


def _leefbaarometer(profile: AreaProfile) -> dict | None:
    try:
        score = profile.figure("lbm_score")
    except KeyError:
        return None
    if score.current is None or not score.current.has_value:
        return None
    deviation = None
    try:
        afw = profile.figure("lbm_afwijking").current
        if afw is not None and afw.has_value and afw.period == score.current.period:
            deviation = afw.value
    except KeyError:
        pass
    own = next((s for s in score.trend if s.key == "area"), None)
    trend = [{"period": p.period, "value": p.value, "converted": p.converted}
             for p in (own.points if own else ()) if p.has_value]
    # No class label: the nine Leefbaarometer classes need the class boundaries of its documentation,
    # which the atlas does not hold yet; the deviation from the reference level is what is published.
    position = None
    if deviation is not None:
        shown = round(deviation, score.indicator.decimals or 4)
        position = "boven" if shown > 0 else "onder" if shown < 0 else "op"
    return {
        "indicator": "lbm_score",
        "value": score.current.value,
        "period": score.current.period,
        "status": score.current.status,
        "decimals": score.indicator.decimals,
        "deviation": deviation,
        "position": position,
        "trend": trend,
        "first": {"period": trend[0]["period"], "value": trend[0]["value"]} if len(trend) > 1 else None,
    }


def _spread(session: Session, level: Level, period: int, indicator_ids: tuple[str, ...]) -> dict[str, float]:
    """Standard deviation of each indicator over all areas of ``level`` in Nederland (cached)."""
    def compute() -> dict[str, float]:
        codes = scope_codes(area_index(session), level, "nl", period)
        matrix = indicator_matrix(session, codes, list(indicator_ids), period).values
        out = {}
        for ind in indicator_ids:
            column = matrix[ind].to_numpy(dtype=float)
            column = column[np.isfinite(column)]
            if column.size >= 10:
                sd = float(np.std(column, ddof=1))
                if sd > 0:
                    out[ind] = sd
        return out

    return cached(session, ("profile-summary-spread", level.value, period, indicator_ids), compute)


def _rankable(figure: Figure) -> bool:
    return (figure.indicator.unit not in UNRANKED_UNITS and figure.current is not None
            and figure.current.has_value and bool(figure.references))


def _deviations(session: Session, profile: AreaProfile) -> tuple[list[dict], dict | None]:
    if not profile.references or profile.area.level is Level.LAND:
        return [], None
    reference = profile.references[0]
    figures = [f for f in profile.figures if _rankable(f)]
    by_period: dict[int, list[Figure]] = {}
    for f in figures:
        by_period.setdefault(f.current.period, []).append(f)
    found = []
    for period, group in by_period.items():
        spread = _spread(session, profile.area.level, period, tuple(sorted(f.indicator.id for f in group)))
        for f in group:
            comparison = next((c for c in f.references if c.reference.key == reference.key), None)
            if comparison is None or comparison.value is None or not comparison.value.has_value:
                continue
            sd = spread.get(f.indicator.id)
            if not sd:
                continue
            size = (f.current.value - comparison.value.value) / sd
            if not math.isfinite(size) or abs(size) < NOTABLE:
                continue
            word = ("veel " if abs(size) >= STRONG else "") + ("hoger" if size > 0 else "lager")
            ind = f.indicator
            judgement = None
            if ind.direction is not Direction.NEUTRAL:
                better = (size > 0) == (ind.direction is Direction.HIGHER_IS_BETTER)
                judgement = "beter" if better else "slechter"
            found.append({
                "indicator": ind.id, "label": ind.label, "unit": ind.unit, "decimals": ind.decimals,
                "value": _value_dict(f.current), "reference_value": _value_dict(comparison.value),
                "words": word, "judgement": judgement, "size": round(abs(size), 2),
                "sentence": f"{ind.label}: {word} dan in {reference.label}",
            })
    found.sort(key=lambda d: -d["size"])
    return found[:MAX_DEVIATIONS], reference.as_dict()


def _analysis(session: Session, profile: AreaProfile) -> tuple[dict | None, dict | None, dict | None]:
    """Type, kwetsbaarheid and peers of a wijk or buurt (None elsewhere or without enough data)."""
    area = profile.area
    if area.level not in (Level.WIJK, Level.BUURT):
        return None, None, None
    try:
        summary = area_summary(session, area.code)
    except (KeyError, ValueError):
        return None, None, None
    vulnerability = None
    if summary["vulnerability"]:
        v = summary["vulnerability"]
        gemeente = area_index(session).gemeente_of(area.code)
        vulnerability = {
            "score": v["score"], "words": vulnerability_words(v["score"]), "drivers": v["drivers"],
            "explanation": v["explanation"], "period": v["period"], "coverage": v["coverage"],
            "rank_gemeente": v["rank_gemeente"], "rank_nta": v["rank_nta"],
            "gemeente": gemeente.name if gemeente else None,
        }
    area_type = summary["type"]
    peers = None
    try:
        result = find_peers(session, area.code, k=DEFAULT_K)
        peers = {"count": len(result.peers), "k": DEFAULT_K,
                 "areas": [{"code": p.code, "name": p.name, "gemeente": p.gemeente} for p in result.peers]}
    except (KeyError, ValueError):
        pass
    return area_type, vulnerability, peers


def profile_summary(session: Session, profile: AreaProfile) -> dict:
    """The summary of ``profile`` (see the module doc); JSON-ready."""
    area_type, vulnerability, peers = _analysis(session, profile)
    deviations, reference = _deviations(session, profile)
    return {
        "area": {"code": profile.area.code, "name": profile.area.name, "level": profile.area.level.value},
        "leefbaarometer": _leefbaarometer(profile),
        "vulnerability": vulnerability,
        "type": area_type,
        "peers": peers,
        "deviations": deviations,
        "reference": reference,
    }
