"""Periods (years) of values: a core helper that areas and indicators both use."""

from __future__ import annotations


def nearest_period(available: list[int] | set[int], period: int) -> int | None:
    """The available period closest to ``period`` (later wins a tie): used for weights."""
    if not available:
        return None
    return min(available, key=lambda p: (abs(p - period), -p))
