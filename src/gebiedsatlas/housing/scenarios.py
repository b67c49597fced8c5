"""Scenarios: the projected mix per wijk and year from the stock plus the pipeline, against the targets,
with the concentration of social rent (docs/housing.md "Scenario's" gives the method in plain Dutch).

Everything here is arithmetic on plain values (no database), so it can be checked by hand and
benchmarked:
- a project counts in the year it is planned; one that is not delivered and whose year lies at or before
  the base year counts in the first projected year; a delivered project (opgeleverd) of the base year
  or before is already in the stock and is not counted again;
- risk-weighted: its net effect × the realisation rate of its phase; "as planned": × 1;
- project segments add to the CBS tenure groups: sociale huur -> corporatie, middenhuur and vrije huur ->
  particulier, koop -> koop (the CBS figures do not split corporation stock by rent class: the social
  rent share is approximated by the corporation share, and the pages say so).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from gebiedsatlas.housing.projects import ProjectData, gross_effect, is_slipping, net_effect
from gebiedsatlas.housing.vocab import AFFORDABLE, DEFAULT_RATES, SEGMENT_TENURE, TENURES

GROUPS = tuple(TENURES)  # koop, corporatie, particulier
SOCIAL = "corporatie"
BUILDS = ("nieuwbouw", "transformatie")


@dataclass(frozen=True)
class ScenarioSpec:
    """A named scenario: risk-weighted or as planned, kinds left out, own rates per phase."""

    name: str
    risk_weighted: bool = True
    excluded_kinds: frozenset[str] = frozenset()
    rates: Mapping[str, float] | None = None
    scenario_id: int | None = None  # its hypothetical projects carry this id

    def weight(self, phase: str) -> float:
        if not self.risk_weighted:
            return 1.0
        return (self.rates or {}).get(phase, DEFAULT_RATES[phase])


@dataclass
class Projection:
    """Dwellings per wijk, year and group; ``gemeente`` holds the sum including unplaced projects."""

    spec: ScenarioSpec
    base_year: int
    years: list[int]
    wijken: dict[str, dict[int, dict[str, float]]]
    gemeente: dict[int, dict[str, float]]
    new_builds: dict[int, dict[str, float]] = field(default_factory=dict)  # gross new construction by segment
    net: dict[int, float] = field(default_factory=dict)
    counted: int = 0
    slipping: list[int] = field(default_factory=list)

    def share(self, code: str | None, year: int, group: str = SOCIAL) -> float | None:
        mix = self.gemeente[year] if code is None else self.wijken[code][year]
        total = mix.get("totaal", 0.0)
        return None if total <= 0 else 100 * mix.get(group, 0.0) / total


def effective_year(project: ProjectData, base_year: int) -> int | None:
    """The year a project counts in the projection (None: already in the base stock)."""
    if project.planned_year <= base_year:
        return None if project.phase == "opgeleverd" else base_year + 1
    return project.planned_year


def project(base: Mapping[str, Mapping[str, float]], base_year: int, horizon: int, projects: Iterable[ProjectData],
            spec: ScenarioSpec, today: date | None = None) -> Projection:
    """Project ``base`` (wijk -> {group: dwellings, "totaal": dwellings}) ``horizon`` years ahead.

    ``totaal`` may exceed the sum of the groups (eigendom onbekend); it changes by every net effect."""
    years = list(range(base_year + 1, base_year + horizon + 1))
    delta: dict[str | None, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    builds: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    net: dict[int, float] = defaultdict(float)
    counted = 0
    slipping: list[int] = []
    last = years[-1] if years else base_year
    for p in projects:
        if p.kind in spec.excluded_kinds or (p.scenario_id is not None and p.scenario_id != spec.scenario_id):
            continue
        if today is not None and is_slipping(p, today) and p.id is not None:
            slipping.append(p.id)
        year = effective_year(p, base_year)
        if year is None or year > last:
            continue
        w = spec.weight(p.phase)
        target = delta[p.wijk_code if p.wijk_code in base else None][year]
        counted += 1
        for segment, n in net_effect(p).items():
            target[SEGMENT_TENURE[segment]] += w * n
            target["totaal"] += w * n
            net[year] += w * n
        if p.kind in BUILDS:
            for segment, n in p.lines.items():
                builds[year][segment] += w * n
                builds[year]["totaal"] += w * n
    wijken: dict[str, dict[int, dict[str, float]]] = {}
    gemeente: dict[int, dict[str, float]] = {}
    running_total = {k: sum(base[c].get(k, 0.0) for c in base) for k in (*GROUPS, "totaal")}
    gemeente[base_year] = dict(running_total)
    for code, mix in base.items():
        running = {k: float(mix.get(k, 0.0)) for k in (*GROUPS, "totaal")}
        series = {base_year: dict(running)}
        changes = delta.get(code, {})
        for year in years:
            for k, v in changes.get(year, {}).items():
                running[k] += v
            series[year] = dict(running)
        wijken[code] = series
    for year in years:
        for source in delta.values():
            for k, v in source.get(year, {}).items():
                running_total[k] += v
        gemeente[year] = dict(running_total)
    return Projection(spec, base_year, [base_year, *years], wijken, gemeente,
                      {y: dict(v) for y, v in builds.items()}, dict(net), counted, slipping)


# ---------------------------------------------------------------- concentration

def dissimilarity(social: Mapping[str, float], total: Mapping[str, float]) -> float | None:
    """Index of dissimilarity between social rent and all other dwellings across wijken (0–100):
    ½ Σ |s_i/S − o_i/O|, o_i = total_i − s_i. The share of social rent that would have to move to
    spread it like the rest of the stock."""
    s_sum = sum(social.values())
    o_sum = sum(total[c] - social[c] for c in social)
    if s_sum <= 0 or o_sum <= 0:
        return None
    return 50 * sum(abs(social[c] / s_sum - (total[c] - social[c]) / o_sum) for c in social)


def top_quarter_share(social: Mapping[str, float], total: Mapping[str, float]) -> tuple[float | None, list[str]]:
    """Share (%) of the gemeente's social rent in the quarter of its wijken (rounded up) with the highest
    social-rent share, and which wijken those are."""
    with_stock = [c for c in social if total[c] > 0]
    s_sum = sum(social[c] for c in with_stock)
    if not with_stock or s_sum <= 0:
        return None, []
    k = math.ceil(len(with_stock) / 4)
    top = sorted(with_stock, key=lambda c: (-social[c] / total[c], c))[:k]
    return 100 * sum(social[c] for c in top) / s_sum, top


def concentration(projection: Projection, year: int) -> dict:
    social = {c: max(series[year].get(SOCIAL, 0.0), 0.0) for c, series in projection.wijken.items()}
    total = {c: max(series[year].get("totaal", 0.0), 0.0) for c, series in projection.wijken.items()}
    share, top = top_quarter_share(social, total)
    return {"jaar": year, "dissimilariteit": dissimilarity(social, total), "aandeel_kwart": share, "kwart_wijken": top}


# ---------------------------------------------------------------- against the targets

def distance(share: float | None, low: float | None, high: float | None) -> float | None:
    """Percentage points outside the range (0 inside)."""
    if share is None:
        return None
    if low is not None and share < low:
        return low - share
    if high is not None and share > high:
        return share - high
    return 0.0


def movement(before: float | None, after: float | None, low: float | None, high: float | None) -> str:
    """Where the mix moves: 'binnen doel', 'naar doel toe', 'van doel af', 'blijft buiten doel', 'onbekend'."""
    d0, d1 = distance(before, low, high), distance(after, low, high)
    if d0 is None or d1 is None:
        return "onbekend"
    if d1 == 0:
        return "binnen doel"
    if d1 < d0 - 1e-9:
        return "naar doel toe"
    if d1 > d0 + 1e-9:
        return "van doel af"
    return "blijft buiten doel"


def affordable_share(projection: Projection, years: Iterable[int] | None = None) -> float | None:
    """Share (%) of gross new construction (nieuwbouw, transformatie) that is affordable."""
    chosen = list(years) if years is not None else list(projection.new_builds)
    total = sum(projection.new_builds.get(y, {}).get("totaal", 0.0) for y in chosen)
    if total <= 0:
        return None
    return 100 * sum(projection.new_builds.get(y, {}).get(s, 0.0) for y in chosen for s in AFFORDABLE) / total


def tenure_group(segment: str) -> str:
    """The group a target's segment is compared with (sociale huur ≈ corporatie, see module docstring)."""
    return {"sociale_huur": SOCIAL, "corporatie": SOCIAL, "koop": "koop", "particulier": "particulier"}.get(
        segment, SEGMENT_TENURE.get(segment, segment))


def gross(projects: Iterable[ProjectData]) -> int:
    return sum(gross_effect(p) for p in projects)
