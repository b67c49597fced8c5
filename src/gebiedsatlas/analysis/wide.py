"""Wide tables for export: one row per indicator and one column per area, like the table on screen.

The long form (one row per indicator × area × period) stays the API's default and an option on the
pages; the wide form is what a policy officer expects when "the table" is downloaded. Values are
rounded to the precision the page shows (the indicator's ``decimals``), and a value without a number
stays an empty cell with its status next to it — never 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gebiedsatlas.analysis.compare import Comparison
from gebiedsatlas.analysis.profile import AreaProfile, Value


def shown(value: float | None, decimals: int) -> float | int | None:
    """The value as the page shows it: rounded to ``decimals`` (None stays None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    number = round(float(value), decimals)
    return int(number) if decimals == 0 else number


def _value(v: Value | None, decimals: int) -> float | int | None:
    return shown(v.value, decimals) if v is not None and v.has_value else None


def _status(v: Value | None) -> str:
    return v.status if v is not None else "missing"


def compare_wide(comparison: Comparison, labels: Sequence[str]) -> tuple[list[str], list[dict]]:
    """(columns, rows) of the compare page's table: per area its value, status and rank."""
    columns = ["thema", "indicator_id", "indicator", "eenheid", "richting", "periode"]
    for label in labels:
        columns += [label, f"{label} status", f"{label} rang"]
    rows = []
    for _, theme_label, theme_rows in comparison.themes:
        for row in theme_rows:
            ind = row.indicator
            out = {"thema": theme_label, "indicator_id": ind.id, "indicator": ind.label, "eenheid": ind.unit,
                   "richting": ind.direction.label, "periode": row.period,
                   "bron": row.source.attribution if row.source else ""}
            for label, value, rank in zip(labels, row.values, row.ranks, strict=True):
                out[label] = _value(value, ind.decimals)
                out[f"{label} status"] = _status(value)
                out[f"{label} rang"] = rank
            rows.append(out)
    return columns, rows


def profile_wide(profile: AreaProfile) -> tuple[list[str], list[dict]]:
    """(columns, rows) of the profile's key table: the area's latest value, its rank among its
    siblings, and each reference's value at that period with the comparison in words."""
    area = profile.area
    columns = ["thema", "indicator_id", "indicator", "eenheid", "richting", "periode", area.name,
               f"{area.name} status", "rang", "rang_van"]
    refs = list(profile.references)
    for ref in refs:
        columns += [ref.label, f"{ref.label} status", f"vergelijking met {ref.label}"]
    rows = []
    for theme in profile.themes:
        for fig in theme.figures:
            ind = fig.indicator
            out = {"thema": theme.label, "indicator_id": ind.id, "indicator": ind.label, "eenheid": ind.unit,
                   "richting": ind.direction.label,
                   "periode": fig.current.period if fig.current else None,
                   area.name: _value(fig.current, ind.decimals), f"{area.name} status": _status(fig.current),
                   "rang": fig.rank.rank if fig.rank else None, "rang_van": fig.rank.of if fig.rank else None,
                   "bron": fig.source.attribution if fig.source else ""}
            by_key = {c.reference.key: c for c in fig.references}
            for ref in refs:
                comp = by_key.get(ref.key)
                out[ref.label] = _value(comp.value if comp else None, ind.decimals)
                out[f"{ref.label} status"] = _status(comp.value if comp else None)
                out[f"vergelijking met {ref.label}"] = (comp.mark or comp.comparison) if comp else None
            rows.append(out)
    return columns, rows
