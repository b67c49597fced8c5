"""The derived status of a commitment: behaald, op koers, risico, achter or niet meetbaar.

The rule (also shown to users on /afspraken/statusregels):

**Niet meetbaar** when the SMART check finds a blocking issue (no target, no year, no unit, no
planned amounts, no indicator) or, for an outcome target, when there are too few measurements.

**Output targets** (planned amounts per jaarschijf, realisations per year; the latest version of a
realisation counts):
  1. *behaald* when the realised total reaches the planned total over all jaarschijven;
  2. the amount *due* is the sum planned for every year up to the last completed year
     (``reference_year - 1``) or the last year with a realisation, whichever is later;
     a due year without a realisation counts as 0 (not reported is not realised);
  3. nothing due yet: *op koers*;
  4. realised / due >= 90 %: *op koers*; >= 70 %: *risico*; below: *achter*;
  5. all jaarschijven are in the past and the total is not reached: *achter*.

**Outcome targets** (an atlas indicator for the scope area, from a baseline to a target value in a
target year): the series is the atlas values of the scope area (observed or derived; suppressed and
missing values are skipped), completed with realisations reported for years the atlas does not have.
The atlas values are on one boundary year throughout, the latest of the scope's areas
(``indicators/harmonise.py``): a value published on other boundaries stays as published where the
area did not change and is converted ("omgerekend", marked) where it did; a year without a crosswalk
to that boundary year is shown without a number and does not enter the rule.
  1. *behaald* when the latest value reaches the target (at least the target when the target is
     above the baseline, at most when below);
  2. the target year has passed without reaching it: *achter*;
  3. otherwise a straight least-squares line through the whole series is projected to the target
     year; fewer than two measurements: *niet meetbaar*;
  4. the projected share of the intended change (baseline -> target) >= 100 %: *op koers*;
     >= 50 %: *risico*; below (or moving the wrong way): *achter*.
A target on the worse side of the baseline by the indicator's direction ("Leefbaarometer from 4,067 to
4,050") is a *limit* (``agreements/direction.py``): the value must stay on the good side of it.
  1. the latest value has crossed the limit: *achter*;
  2. the target year has passed within the limit: *behaald*;
  3. fewer than two measurements: *niet meetbaar*;
  4. the trend line projected to the target year stays within the limit: *op koers*; else *risico*.
So an improving indicator is never *achter* on such a target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from gebiedsatlas.agreements.direction import is_limit, limit_word
from gebiedsatlas.agreements.projection import Trend, fit_trend
from gebiedsatlas.agreements.serialize import latest_realisations
from gebiedsatlas.agreements.smart import SmartIssue, is_measurable, smart_check
from gebiedsatlas.indicators.catalogue import Direction, load_catalogue
from gebiedsatlas.indicators.harmonise import harmonised_values, lacks_crosswalk
from gebiedsatlas.status import Status
from gebiedsatlas.store.agreements import Commitment

OUTPUT_ON_TRACK = 0.9
OUTPUT_AT_RISK = 0.7
OUTCOME_AT_RISK = 0.5


@dataclass(frozen=True)
class SeriesBasis:
    """The one boundary year of an outcome target's atlas series, and what that took (``note``)."""

    boundary_year: int
    converted_years: tuple[int, ...] = ()  # values converted through the crosswalk ("omgerekend")
    kept_years: tuple[int, ...] = ()  # published on other boundaries of an area that did not change
    unconvertible_years: tuple[int, ...] = ()  # no crosswalk to the boundary year: no number, not used
    all_published_here: bool = False  # every value was published on this division (known for single areas)

    @property
    def note(self) -> str:
        year = self.boundary_year
        text = f"Atlasreeks op de gebiedsindeling van {year}"
        if self.converted_years:
            text += f"; omgerekende jaren gemarkeerd ({_years(self.converted_years)})."
        elif self.kept_years:
            text += ("; de grenzen van dit gebied waren in de andere jaren gelijk, de waarden staan er zoals "
                     "gepubliceerd.")
        elif self.unconvertible_years:
            text += "."
        elif self.all_published_here:
            text += ": alle waarden zijn op deze indeling gepubliceerd."
        else:
            text += "; waarden van andere indelingen worden omgerekend waar de grenzen veranderden (hier niet nodig)."
        if self.unconvertible_years:
            text += (f" Voor {_years(self.unconvertible_years)} is er geen omrekentabel naar {year}: geen "
                     "gegevens, telt niet mee in de trend.")
        return text

    @property
    def short(self) -> str:
        """One line for a table row: the boundary year and the years that needed a word."""
        text = f"Atlasreeks op de gebiedsindeling van {self.boundary_year}"
        if self.converted_years:
            text += f"; omgerekend: {_years(self.converted_years)}"
        if self.unconvertible_years:
            text += f"; zonder omrekentabel (telt niet mee): {_years(self.unconvertible_years)}"
        return text + "."

    def as_dict(self) -> dict:
        return {"boundary_year": self.boundary_year, "converted_years": list(self.converted_years),
                "kept_years": list(self.kept_years), "unconvertible_years": list(self.unconvertible_years),
                "all_published_here": self.all_published_here, "note": self.note}


def _years(years: tuple[int, ...]) -> str:
    return ", ".join(map(str, years[:-1])) + " en " + str(years[-1]) if len(years) > 1 else str(years[0])


def series_basis(series: list[dict]) -> SeriesBasis | None:
    """What the atlas points of a series (``series_points``) say about their boundary year."""
    atlas = [p for p in series if p.get("source") == "atlas"]
    if not atlas:
        return None

    def years(test) -> tuple[int, ...]:
        return tuple(sorted({p["year"] for p in atlas if test(p)}))

    return SeriesBasis(
        int(atlas[0]["boundary_year"]),
        converted_years=years(lambda p: p["converted"]),
        kept_years=years(lambda p: p["value"] is not None and not p["converted"]
                         and p["from_year"] not in (None, p["boundary_year"])),
        unconvertible_years=years(lambda p: p["value"] is None),
        all_published_here=all(p["from_year"] == p["boundary_year"] for p in atlas if p["value"] is not None))


@dataclass
class Progress:
    """The derived status with the figures behind it and a Dutch explanation."""

    status: str
    explanation: str
    planned_total: float | None = None
    planned_due: float | None = None
    realised_total: float | None = None
    current_value: float | None = None
    current_year: int | None = None
    projected_value: float | None = None
    trend: Trend | None = None
    # {"year", "value", "source": atlas|gemeld[, "status", "boundary_year", "from_year", "converted", "method"]};
    # value None: an atlas year without a crosswalk to the series' boundary year (shown, not used)
    series: list[dict] = field(default_factory=list)
    issues: list[SmartIssue] = field(default_factory=list)
    basis: SeriesBasis | None = None  # the boundary year of the atlas series (outcome targets)

    @property
    def share(self) -> float | None:
        """Realised / due for output targets (None when nothing is due)."""
        if self.planned_due:
            return (self.realised_total or 0) / self.planned_due
        return None


def _fmt(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if not float(value).is_integer() else f"{int(value):,}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def output_progress(planned: dict[int, float], realised: dict[int, float], reference_year: int) -> Progress:
    """Status of an output target from planned and realised amounts per year (rule above)."""
    planned_total = float(sum(planned.values()))
    realised_total = float(sum(realised.values()))
    if planned_total <= 0:
        return Progress("niet_meetbaar", "Er zijn geen geplande aantallen.", planned_total, None, realised_total)
    if realised_total >= planned_total:
        return Progress("behaald", f"Gerealiseerd {_fmt(realised_total)} van {_fmt(planned_total)} gepland.",
                        planned_total, planned_total, realised_total)
    due_until = max([reference_year - 1, *realised])
    due_years = [y for y in sorted(planned) if y <= due_until]
    planned_due = float(sum(planned[y] for y in due_years))
    missing = [y for y in due_years if planned[y] > 0 and y not in realised]
    note = f" Geen realisatie gemeld voor {', '.join(map(str, missing))} (telt als 0)." if missing else ""
    if max(planned) <= due_until and max(planned) < reference_year:
        return Progress("achter", f"Alle jaarschijven zijn voorbij; gerealiseerd {_fmt(realised_total)} van "
                                  f"{_fmt(planned_total)} gepland.{note}", planned_total, planned_due, realised_total)
    if planned_due <= 0:
        return Progress("op_koers", f"Tot en met {due_until} was nog niets gepland.", planned_total, 0.0,
                        realised_total)
    share = realised_total / planned_due
    status = "op_koers" if share >= OUTPUT_ON_TRACK else "risico" if share >= OUTPUT_AT_RISK else "achter"
    return Progress(status, f"Gerealiseerd {_fmt(realised_total)} van {_fmt(planned_due)} gepland tot en met "
                            f"{due_until} ({share:.0%}).{note}",
                    planned_total, planned_due, realised_total)


def outcome_progress(series: list[dict], *, baseline_value: float | None, target_value: float,
                     target_year: int, reference_year: int, higher_is_better: bool | None = None) -> Progress:
    """Status of an outcome target from a series of {"year", "value", "source"} (rule above).

    ``higher_is_better`` is the indicator's direction (None: neutral or not known); with it, a target
    on the worse side of the baseline is a limit."""
    shown = sorted(series, key=lambda s: (s["year"], s["source"] != "atlas"))
    points = [s for s in shown if s["value"] is not None and not math.isnan(s["value"])]
    start = baseline_value if baseline_value is not None else (points[0]["value"] if points else None)
    direction = (None if higher_is_better is None
                 else Direction.HIGHER_IS_BETTER if higher_is_better else Direction.HIGHER_IS_WORSE)
    if direction is not None and is_limit(direction, start, target_value):
        return _limit_progress(shown, points, direction, start, target_value, target_year, reference_year)
    if higher_is_better is None:
        higher_is_better = True
    upward = target_value > start if start is not None and start != target_value else higher_is_better

    def reached(v: float) -> bool:
        return v >= target_value if upward else v <= target_value

    base = Progress("niet_meetbaar", "", series=shown)
    if not points:
        base.explanation = "Geen meetwaarden voor dit gebied en deze indicator."
        return base
    latest = points[-1]
    base.current_value, base.current_year = latest["value"], latest["year"]
    if reached(latest["value"]):
        base.status = "behaald"
        base.explanation = (f"De waarde {_fmt(latest['value'])} ({latest['year']}) haalt de streefwaarde "
                            f"{_fmt(target_value)}.")
        return base
    if reference_year > target_year:
        base.status = "achter"
        base.explanation = f"Het streefjaar {target_year} is voorbij en de streefwaarde is niet gehaald."
        return base
    trend = fit_trend([(p["year"], p["value"]) for p in points])
    if trend is None:
        base.explanation = "Te weinig metingen (minder dan twee jaren) voor een trend."
        return base
    projected = trend.at(target_year)
    base.trend, base.projected_value = trend, projected
    if start is None or start == target_value:
        share = 1.0 if reached(projected) else 0.0
    else:
        # Rounded so a line that lands exactly on the target is not "risico" by a rounding error.
        share = round((projected - start) / (target_value - start), 6)
    base.status = "op_koers" if share >= 1 else "risico" if share >= OUTCOME_AT_RISK else "achter"
    base.explanation = (f"De trend {trend.first_year}–{trend.last_year} komt in {target_year} uit op "
                        f"{_fmt(round(projected, 3))}; streefwaarde {_fmt(target_value)} "
                        f"({max(share, 0):.0%} van de beoogde verandering).")
    return base


def series_key(commitment: Commitment) -> tuple:
    """What an atlas series depends on: gemeente, scope and indicator."""
    return (commitment.agreement.gemeente_code, commitment.scope_kind, tuple(commitment.scope_codes or []),
            commitment.indicator_id)


def points_by_series(frame: pd.DataFrame) -> dict[tuple[str, str], list[dict]]:
    """Harmonised rows (``indicators/harmonise.py``) as series points per (area, indicator), by year:
    the values with a number, and the years that lost theirs for want of a crosswalk (value None,
    with the reason). Suppressed and missing published values are left out."""
    with_number = {Status.OBSERVED.value, Status.DERIVED.value, Status.CONVERTED.value}
    out: dict[tuple[str, str], list[dict]] = {}
    if frame.empty:
        return out
    frame = frame.sort_values("period")
    columns = [frame[c].tolist() for c in ("area_code", "indicator_id", "period", "value", "status",
                                            "boundary_year", "from_year", "method")]
    for area, indicator, period, value, status, boundary, origin, method in zip(*columns, strict=True):
        method = method if isinstance(method, str) else None
        has_number = status in with_number and not pd.isna(value)
        if not has_number and not (status == Status.MISSING.value and lacks_crosswalk(method)):
            continue
        out.setdefault((area, indicator), []).append({
            "year": int(period), "value": float(value) if has_number else None, "source": "atlas",
            "status": status, "boundary_year": int(boundary), "from_year": None if pd.isna(origin) else int(origin),
            "converted": status == Status.CONVERTED.value, "method": method})
    return out


def series_points(frame: pd.DataFrame) -> list[dict]:
    """The series points (``points_by_series``) of harmonised rows of one area and indicator."""
    return [p for points in points_by_series(frame).values() for p in points]


def atlas_series(session: Session, commitment: Commitment) -> list[dict]:
    """Atlas values of the commitment's indicator for its scope, on the scope's latest boundary year
    (``series_points``)."""
    from gebiedsatlas.agreements.scope import scope_series

    return series_points(scope_series(session, commitment.agreement.gemeente_code, commitment.scope_kind,
                                      list(commitment.scope_codes or []), commitment.indicator_id))


def prefetch_series(session: Session, commitments: list[Commitment]) -> dict[tuple, list[dict]]:
    """Atlas series of many single-area outcome targets at once (dashboards show hundreds): one query
    for the areas' boundary years, then one ``harmonised_values`` per boundary year.

    Scopes of several areas or an area set are aggregated per commitment later (``atlas_series``).
    """
    from gebiedsatlas.agreements.scope import scope_codes_effective
    from gebiedsatlas.indicators.harmonise import latest_boundary_years

    wanted: dict[tuple, tuple[str, str]] = {}
    for c in commitments:
        if c.target_kind != "outcome" or not c.indicator_id or c.scope_kind == "gebiedsset":
            continue
        codes = scope_codes_effective(c.agreement.gemeente_code, c.scope_kind, list(c.scope_codes or []))
        if len(codes) == 1:
            wanted[series_key(c)] = (codes[0], c.indicator_id)
    if not wanted:
        return {}
    years = latest_boundary_years(session, [a for a, _ in wanted.values()])
    grouped: dict[tuple[str, str], list[dict]] = {}
    for year in sorted(set(years.values())):
        pairs = {pair for pair in wanted.values() if years.get(pair[0]) == year}
        frame = harmonised_values(session, sorted({a for a, _ in pairs}), sorted({i for _, i in pairs}), year)
        grouped |= {key: points for key, points in points_by_series(frame).items() if key in pairs}
    return {key: grouped.get(pair, []) for key, pair in wanted.items()}


def _limit_progress(shown: list[dict], points: list[dict], direction: Direction, start: float,
                    limit: float, target_year: int, reference_year: int) -> Progress:
    """The status of a target on the worse side of the baseline: a limit to stay within."""
    word = limit_word(direction)
    up = direction is Direction.HIGHER_IS_BETTER

    def within(v: float) -> bool:
        return v >= limit if up else v <= limit

    intro = (f"Dit doel is een {word} ({'hoger' if up else 'lager'} is beter; streefwaarde {_fmt(limit)} "
             f"{'onder' if up else 'boven'} de beginwaarde {_fmt(start)}): de waarde moet "
             f"{'op of boven' if up else 'op of onder'} {_fmt(limit)} blijven. ")
    base = Progress("niet_meetbaar", "", series=shown)
    if not points:
        base.explanation = intro + "Geen meetwaarden voor dit gebied en deze indicator."
        return base
    latest = points[-1]
    base.current_value, base.current_year = latest["value"], latest["year"]
    if not within(latest["value"]):
        base.status = "achter"
        base.explanation = intro + f"De waarde {_fmt(latest['value'])} ({latest['year']}) is over de {word} heen."
        return base
    if reference_year > target_year:
        base.status = "behaald"
        base.explanation = intro + f"De waarde is tot en met het streefjaar {target_year} binnen de {word} gebleven."
        return base
    trend = fit_trend([(p["year"], p["value"]) for p in points])
    if trend is None:
        base.explanation = intro + "Te weinig metingen (minder dan twee jaren) voor een trend."
        return base
    projected = trend.at(target_year)
    base.trend, base.projected_value = trend, projected
    base.status = "op_koers" if within(round(projected, 6)) else "risico"
    base.explanation = intro + (f"De trend {trend.first_year}–{trend.last_year} komt in {target_year} uit op "
                                f"{_fmt(round(projected, 3))}"
                                + (f", binnen de {word}." if base.status == "op_koers" else f", over de {word}."))
    return base


def commitment_progress(session: Session, commitment: Commitment, reference_year: int | None = None,
                        catalogue=None, series_cache: dict | None = None) -> Progress:
    """The derived status of one stored commitment (see the module docstring for the rule)."""
    catalogue = catalogue or load_catalogue()
    reference_year = reference_year or date.today().year
    agreement = commitment.agreement
    issues = smart_check(commitment, (agreement.period_start, agreement.period_end), catalogue)
    if not is_measurable(issues):
        blocking = "; ".join(i.message for i in issues if i.blocking)
        return Progress("niet_meetbaar", f"Niet meetbaar: {blocking}", issues=issues)
    reported = {y: r.value for y, r in latest_realisations(commitment).items()}
    if commitment.target_kind == "output":
        result = output_progress({t.year: t.planned for t in commitment.year_targets}, reported,
                                 reference_year)
    else:
        key = series_key(commitment)
        if series_cache is not None and key in series_cache:
            series = list(series_cache[key])
        else:
            series = atlas_series(session, commitment)
            if series_cache is not None:
                series_cache[key] = list(series)
        atlas_years = {s["year"] for s in series if s["value"] is not None}
        series += [{"year": y, "value": v, "source": "gemeld"} for y, v in reported.items()
                   if y not in atlas_years]
        indicator = catalogue[commitment.indicator_id]
        result = outcome_progress(series, baseline_value=commitment.baseline_value,
                                  target_value=commitment.target_value, target_year=commitment.target_year,
                                  reference_year=reference_year,
                                  higher_is_better=None if indicator.direction.sign == 0
                                  else indicator.direction.sign > 0)
        result.basis = series_basis(series)
    result.issues = issues
    return result
