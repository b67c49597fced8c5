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
  1. *behaald* when the latest value reaches the target (at least the target when the target is
     above the baseline, at most when below);
  2. the target year has passed without reaching it: *achter*;
  3. otherwise a straight least-squares line through the whole series is projected to the target
     year; fewer than two measurements: *niet meetbaar*;
  4. the projected share of the intended change (baseline -> target) >= 100 %: *op koers*;
     >= 50 %: *risico*; below (or moving the wrong way): *achter*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from gebiedsatlas.agreements.projection import Trend, fit_trend
from gebiedsatlas.agreements.serialize import latest_realisations
from gebiedsatlas.agreements.smart import SmartIssue, is_measurable, smart_check
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.store.agreements import Commitment

OUTPUT_ON_TRACK = 0.9
OUTPUT_AT_RISK = 0.7
OUTCOME_AT_RISK = 0.5


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
    series: list[dict] = field(default_factory=list)  # {"year", "value", "source": atlas|gemeld[, "status"]}
    issues: list[SmartIssue] = field(default_factory=list)

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
                     target_year: int, reference_year: int, higher_is_better: bool = True) -> Progress:
    """Status of an outcome target from a series of {"year", "value", "source"} (rule above)."""
    points = sorted((s for s in series if s["value"] is not None and not math.isnan(s["value"])),
                    key=lambda s: s["year"])
    start = baseline_value if baseline_value is not None else (points[0]["value"] if points else None)
    upward = target_value > start if start is not None and start != target_value else higher_is_better

    def reached(v: float) -> bool:
        return v >= target_value if upward else v <= target_value

    base = Progress("niet_meetbaar", "", series=points)
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


def atlas_series(session: Session, commitment: Commitment) -> list[dict]:
    """Atlas values of the commitment's indicator for its scope, as {"year", "value", "source"}."""
    from gebiedsatlas.agreements.scope import scope_values

    frame = scope_values(session, commitment.agreement.gemeente_code, commitment.scope_kind,
                         list(commitment.scope_codes or []), commitment.indicator_id)
    return [{"year": int(r.period), "value": float(r.value), "source": "atlas", "status": r.status}
            for r in frame.itertuples() if r.status in ("observed", "derived") and not math.isnan(r.value)]


def prefetch_series(session: Session, commitments: list[Commitment]) -> dict[tuple, list[dict]]:
    """Atlas series of many single-area outcome targets in one query (dashboards show hundreds).

    Scopes of several areas or an area set are aggregated per commitment later (``atlas_series``).
    """
    from gebiedsatlas.agreements.scope import scope_codes_effective
    from gebiedsatlas.indicators.values import observations

    wanted: dict[tuple, tuple[str, str]] = {}
    for c in commitments:
        if c.target_kind != "outcome" or not c.indicator_id or c.scope_kind == "gebiedsset":
            continue
        codes = scope_codes_effective(c.agreement.gemeente_code, c.scope_kind, list(c.scope_codes or []))
        if len(codes) == 1:
            wanted[series_key(c)] = (codes[0], c.indicator_id)
    if not wanted:
        return {}
    frame = observations(session, sorted({a for a, _ in wanted.values()}), sorted({i for _, i in wanted.values()}))
    frame = frame[frame["status"].isin(["observed", "derived"]) & frame["value"].notna()].sort_values("period")
    grouped = {k: [{"year": int(p), "value": float(v), "source": "atlas", "status": st}
                   for p, v, st in zip(g["period"], g["value"], g["status"], strict=True)]
               for k, g in frame.groupby(["area_code", "indicator_id"])}
    return {key: grouped.get(pair, []) for key, pair in wanted.items()}


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
        atlas_years = {s["year"] for s in series}
        series += [{"year": y, "value": v, "source": "gemeld"} for y, v in reported.items()
                   if y not in atlas_years]
        indicator = catalogue[commitment.indicator_id]
        result = outcome_progress(series, baseline_value=commitment.baseline_value,
                                  target_value=commitment.target_value, target_year=commitment.target_year,
                                  reference_year=reference_year,
                                  higher_is_better=indicator.direction.sign >= 0)
    result.issues = issues
    return result
