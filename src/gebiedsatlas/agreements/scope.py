"""The area a commitment applies to: validation against the AreaIndex, labels, atlas values, and
which areas it touches (for the area profile and the map).

Two kinds of atlas values: ``scope_values`` gives the values as published (the current figures,
one period at a time); ``scope_series`` gives the series behind an outcome target on one boundary
year throughout -- the latest of the scope's areas -- through ``indicators/harmonise.py`` (values of
other boundary years kept where the area did not change, converted where it did, without a number
where there is no crosswalk).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from gebiedsatlas.areas.codes import Level, is_area_code
from gebiedsatlas.areas.index import AreaIndex, area_index
from gebiedsatlas.areas.names import resolve_area_name
from gebiedsatlas.indicators.harmonise import (
    HARMONISED_COLUMNS,
    harmonised_group_values,
    harmonised_values,
    latest_boundary_years,
)
from gebiedsatlas.indicators.values import SET_LEVEL, VALUE_COLUMNS, area_set_values, area_values, group_values

SCOPE_LEVEL = {"gemeente": Level.GEMEENTE, "wijk": Level.WIJK, "buurt": Level.BUURT}


def resolve_scope_names(index: AreaIndex, gemeente_code: str, scope_kind: str,
                        tokens: list[str]) -> tuple[list[str], list[str]]:
    """Codes for what was typed or picked: a CBS code, a name inside the agreement's gemeente
    ("Oostgaarde"), or a picked suggestion "Oostgaarde (WK063702)" whose name and code must agree
    (``areas.names``, shared with the woonprogramma's project form).

    Returns (codes, Dutch problems). Codes that look like codes are passed on unchanged (scope_errors
    checks them); a name that fits more than one area, or none, is a problem naming the candidates.
    """
    level = SCOPE_LEVEL.get(scope_kind)
    if level not in (Level.WIJK, Level.BUURT):
        return tokens, []
    codes: list[str] = []
    problems: list[str] = []
    for token in tokens:
        code, problem = resolve_area_name(index, gemeente_code, [level], token, scope_kind)
        if problem:
            problems.append(problem)
        elif code:
            codes.append(code)
    return codes, problems


def scope_errors(index: AreaIndex, gemeente_code: str, scope_kind: str, codes: list[str]) -> list[str]:
    """Dutch messages for codes that are not valid for this scope kind inside this gemeente."""
    errors = []
    if scope_kind == "gebiedsset":
        if len(codes) != 1:
            errors.append("Geef precies één gebiedsset.")
        elif codes[0] not in index.sets:
            errors.append(f"Onbekende gebiedsset {codes[0]!r} (kies uit: {', '.join(sorted(index.sets))}).")
        return errors
    level = SCOPE_LEVEL.get(scope_kind)
    if level is None:
        return [f"Onbekende soort gebied {scope_kind!r}."]
    if scope_kind == "gemeente" and codes and codes != [gemeente_code]:
        errors.append(f"Bij 'hele gemeente' hoort alleen {gemeente_code}.")
    if scope_kind in ("wijk", "buurt") and not codes:
        errors.append(f"Geef minstens één {scope_kind}code.")
    for code in codes:
        if not is_area_code(code):
            errors.append(f"{code!r} is geen geldige CBS-code (verwacht bijvoorbeeld WK003401 of BU00340101).")
            continue
        info = index.get(code)
        if info is None:
            errors.append(f"{code} komt niet voor in de atlas.")
        elif info.level is not level:
            errors.append(f"{code} ({info.name}) is een {info.level.value}, geen {scope_kind}.")
        elif (g := index.gemeente_of(code)) is None or g.code != gemeente_code:
            home = index.get(gemeente_code)
            errors.append(f"{code} ({info.name}) ligt niet in gemeente {home.name if home else gemeente_code}"
                          f"{f' maar in {g.name}' if g else ''}.")
    return errors


def scope_label(index: AreaIndex, gemeente_code: str, scope_kind: str, codes: list[str]) -> str:
    """'Hele gemeente Almere', 'Wijk Haven-Centrum (WK003401)', … for pages and exports."""
    if scope_kind == "gebiedsset" and codes:
        s = index.sets.get(codes[0])
        return f"Gebiedsset {s.name if s else codes[0]}"
    if not codes or scope_kind == "gemeente":
        g = index.get(gemeente_code)
        return f"Hele gemeente {g.name if g else gemeente_code}"
    names = [f"{index.areas[c].name} ({c})" if c in index.areas else c for c in codes]
    return f"{SCOPE_LEVEL[scope_kind].label}: " + ", ".join(names)


def scope_codes_effective(gemeente_code: str, scope_kind: str, codes: list[str]) -> list[str]:
    """The area codes a commitment covers (the gemeente when none are given)."""
    if scope_kind == "gebiedsset":
        return list(codes)
    return list(codes) or [gemeente_code]


def scope_values(session: Session, gemeente_code: str, scope_kind: str, codes: list[str],
                 indicator_id: str | list[str], periods: list[int] | None = None) -> pd.DataFrame:
    """Atlas values of one indicator (or several) for the scope as one series (several areas are
    aggregated by the indicator's own rule, like an area set)."""
    index = area_index(session)
    ids = [indicator_id] if isinstance(indicator_id, str) else list(indicator_id)
    if scope_kind == "gebiedsset":
        if not codes or codes[0] not in index.sets:
            return pd.DataFrame(columns=VALUE_COLUMNS)
        return area_set_values(session, codes[0], ids, periods)
    effective = [c for c in scope_codes_effective(gemeente_code, scope_kind, codes) if c in index.areas]
    if len(effective) == 1:
        return area_values(session, effective, ids, periods)
    if not effective:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    return group_values(session, "afspraakgebied", "Gebied van de afspraak", SET_LEVEL,
                        lambda _period: effective, ids, periods)


def scope_members(index: AreaIndex, gemeente_code: str, scope_kind: str, codes: list[str]) -> list[str]:
    """The stored areas a scope is made of (the members of an area set)."""
    if scope_kind == "gebiedsset":
        return sorted(index.sets[codes[0]].members) if codes and codes[0] in index.sets else []
    return [c for c in scope_codes_effective(gemeente_code, scope_kind, codes) if c in index.areas]


def scope_boundary_year(session: Session, members: list[str]) -> int | None:
    """The boundary year of a scope's series: the latest boundary year of its areas' values."""
    return max(latest_boundary_years(session, members).values(), default=None)


def scope_series(session: Session, gemeente_code: str, scope_kind: str, codes: list[str],
                 indicator_id: str) -> pd.DataFrame:
    """Atlas values of one indicator for the scope on one boundary year, the scope's latest
    (``HARMONISED_COLUMNS``; a scope of several areas or an area set is aggregated from its members'
    harmonised values by the indicator's rule)."""
    index = area_index(session)
    members = scope_members(index, gemeente_code, scope_kind, codes)
    year = scope_boundary_year(session, members) if members else None
    if year is None:
        return pd.DataFrame(columns=HARMONISED_COLUMNS)
    if scope_kind != "gebiedsset" and len(members) == 1:
        return harmonised_values(session, members, [indicator_id], year)
    group = codes[0] if scope_kind == "gebiedsset" else "afspraakgebied"
    return harmonised_group_values(session, group, members, [indicator_id], year)


def latest_figures(session: Session, gemeente_code: str, scope_kind: str, codes: list[str],
                   indicator_ids: list[str]) -> dict[str, dict]:
    """The latest atlas value per indicator for a scope: {id: {"value", "status", "period"}}.

    The latest period with a number wins; if no period has one, the latest status is kept (so a
    suppressed value shows as "geen gegevens", never as 0).
    """
    frame = scope_values(session, gemeente_code, scope_kind, codes, indicator_ids)
    out: dict[str, dict] = {}
    for indicator_id, rows in frame.sort_values("period").groupby("indicator_id"):
        with_value = rows[rows["status"].isin(["observed", "derived"]) & rows["value"].notna()]
        row = (with_value if len(with_value) else rows).iloc[-1]
        out[indicator_id] = {"value": None if pd.isna(row["value"]) else float(row["value"]),
                             "status": row["status"], "period": int(row["period"])}
    return out


def relation(index: AreaIndex, scope_code: str, area_code: str) -> str | None:
    """How a scope area relates to an area: 'hier', 'omliggend' (scope contains the area) or
    'binnen' (scope lies inside the area); None when unrelated."""
    if scope_code == area_code:
        return "hier"
    if scope_code not in index.areas or area_code not in index.areas:
        return None
    if any(a.code == scope_code for a in index.ancestors(area_code)):
        return "omliggend"
    if any(a.code == area_code for a in index.ancestors(scope_code)):
        return "binnen"
    return None
