"""Dutch formatting of numbers, percentages, dates and values with a status, for the web pages.

Every function is registered as a Jinja filter (see ``register_filters``). A value whose status is
suppressed or missing is never rendered as a number: it becomes "geen gegevens".
"""

from __future__ import annotations

import math
from datetime import date, datetime
from numbers import Real

NO_DATA = "geen gegevens"
TOO_SMALL = "te kleine aantallen"
IMPLAUSIBLE = "niet plausibel"
# Statuses without a number that have their own words instead of "geen gegevens".
_NO_NUMBER_WORDS = {"too_small": TOO_SMALL, "implausible": IMPLAUSIBLE}
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")
# Statuses that carry a number; anything else (suppressed, missing, unknown) shows no number.
_STATUSES_WITH_VALUE = frozenset({"observed", "derived", "converted"})
# Units whose values are written with a percent sign rather than the unit word.
_PERCENT_UNITS = frozenset({"%", "procent", "percentage"})


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))


def format_number(value: object, decimals: int = 0) -> str:
    """A number the Dutch way: ``226500`` -> ``226.500``, ``4.1`` -> ``4,1`` (``decimals`` places).

    ``None``/NaN give "geen gegevens"; a negative number keeps its minus sign (U+2212 would confuse
    screen readers and spreadsheets, so a plain hyphen-minus is used).
    """
    if not _is_number(value):
        return NO_DATA
    decimals = max(0, int(decimals or 0))
    text = f"{float(value):,.{decimals}f}"
    # Python gives 226,500.5 -> swap the separators for Dutch 226.500,5.
    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if text.startswith("-") and float(text.replace(".", "").replace(",", ".")) == 0:
        text = text[1:]  # "-0,0" reads as a negative value that is not there
    return text


def format_percent(value: object, decimals: int = 1) -> str:
    """A percentage: ``12.34`` -> ``12,3%`` (the value is already in percent, not a fraction)."""
    if not _is_number(value):
        return NO_DATA
    return f"{format_number(value, decimals)}%"


def format_signed(value: object, decimals: int = 0) -> str:
    """A difference with its sign: ``+1,5``, ``-0,3``, ``0``; None gives "geen gegevens"."""
    text = format_number(value, decimals)
    if text != NO_DATA and float(value) > 0 and text.strip("0,.") != "":
        return "+" + text
    return text


def format_date(value: date | datetime | str | None) -> str:
    """A date written out: ``2024-01-01`` -> ``1 januari 2024``."""
    if value is None or value == "":
        return NO_DATA
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def format_unit(value_text: str, unit: str | None) -> str:
    """Attach a unit to a formatted number (``%`` directly, other units after a space)."""
    if not unit or unit == "aantal" or value_text == NO_DATA:
        return value_text
    if unit in _PERCENT_UNITS:
        return f"{value_text}%"
    return f"{value_text} {unit}"


def format_value(value: object, status: str | None = "observed", decimals: int = 0,
                 unit: str | None = None) -> str:
    """A value or "geen gegevens": only observed, derived or converted values with a number are shown.

    A suppressed (geheim) or missing value is never a number, even if some number was passed.
    """
    if status is not None and str(status) not in _STATUSES_WITH_VALUE:
        return _NO_NUMBER_WORDS.get(str(status), NO_DATA)
    if not _is_number(value):
        return NO_DATA
    return format_unit(format_number(value, decimals), unit)


def format_indicator_value(value: object, status: str | None, indicator) -> str:
    """``format_value`` with the decimals and unit of a catalogue ``IndicatorDef``."""
    return format_value(value, status, indicator.decimals, indicator.unit)


STATUS_LABELS = {
    "observed": "waargenomen",
    "suppressed": "geheim (niet gepubliceerd)",
    "missing": "geen gegevens",
    "derived": "afgeleid",
    "converted": "omgerekend",
    "too_small": TOO_SMALL,
    "implausible": IMPLAUSIBLE,
}


def status_label(status: str | None) -> str:
    """The Dutch word for a value status."""
    return STATUS_LABELS.get(str(status), str(status or ""))


def register_filters(env) -> None:
    """Add the Dutch formatting filters to a Jinja environment."""
    env.filters.update(
        number=format_number,
        percent=format_percent,
        signed=format_signed,
        nl_date=format_date,
        value=format_value,
        indicator_value=format_indicator_value,
        status_label=status_label,
        with_unit=format_unit,
    )
    env.globals["NO_DATA"] = NO_DATA
