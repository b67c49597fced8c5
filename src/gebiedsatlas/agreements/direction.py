"""Targets that point against the indicator's direction: "from 4,067 to 4,050" on the Leefbaarometer.

Such a target is not necessarily a mistake ("the score may not fall below 4,050" is a fair commitment
in a wijk under pressure), but it must be meant. The rule, used in one place each:

- the form asks for a confirmation, with a warning that names the indicator's direction
  (``direction_warning``);
- the SMART check reports it (non-blocking) for targets that came in through Excel or the API;
- the status rule treats it as a *limit* (``is_limit``; ``progress.outcome_progress``): the target is
  met as long as the value stays on the good side of it, by the indicator's direction, and it is
  *achter* once the value crosses it — never "achter" while the indicator improves.
"""

from __future__ import annotations

from gebiedsatlas.indicators.catalogue import Direction, IndicatorDef


def fmt(value: float, decimals: int = 3) -> str:
    """Dutch notation without trailing zeros: 4.05 -> '4,05', 1200 -> '1.200'."""
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def is_limit(direction: Direction | None, baseline: float | None, target: float | None) -> bool:
    """True when the target lies on the worse side of the baseline (by the indicator's direction)."""
    if direction is None or direction is Direction.NEUTRAL or baseline is None or target is None:
        return False
    if target == baseline:
        return False
    return (target < baseline) == (direction is Direction.HIGHER_IS_BETTER)


def limit_word(direction: Direction) -> str:
    """'ondergrens' when higher is better (the value may not fall below), else 'bovengrens'."""
    return "ondergrens" if direction is Direction.HIGHER_IS_BETTER else "bovengrens"


def direction_warning(indicator: IndicatorDef, baseline: float | None, target: float | None) -> str | None:
    """A Dutch warning naming the indicator's direction, or None when the target points the right way."""
    if not is_limit(indicator.direction, baseline, target):
        return None
    assert baseline is not None and target is not None
    lower = target < baseline
    decimals = max(indicator.decimals, 1)
    return (f"Let op: bij ‘{indicator.label}’ is {indicator.direction.label}, maar de streefwaarde "
            f"{fmt(target, decimals)} ligt {'lager' if lower else 'hoger'} dan de beginwaarde "
            f"{fmt(baseline, decimals)}. Dan telt het doel als {limit_word(indicator.direction)}: de waarde mag "
            f"niet {'onder' if lower else 'boven'} {fmt(target, decimals)} komen.")
