"""An area typed or picked by name inside one gemeente: "Oostgaarde", or a picked suggestion
"Oostgaarde Noord (WK050205)" whose name and code must agree.

Shared by the prestatieafspraken (a commitment's wijken or buurten) and the woonprogramma (a project's
wijk or buurt), so both forms accept the same input from the area picker (``static/js/area-picker.js``)
and refuse it with the same Dutch words. Codes typed as codes are returned as they are: each caller
checks them against its own rules (level, gemeente) and says what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gebiedsatlas.areas.codes import Level, is_area_code
from gebiedsatlas.areas.index import AreaIndex, fold

CODE_LIKE = re.compile(r"^[A-Za-z]{2}\d+$")
NAMED_CODE = re.compile(r"^(.*?)\s*\((WK\d{6}|BU\d{8})\)$", re.IGNORECASE)


def looks_like_code(token: str) -> bool:
    """A CBS code, or something typed as one (two letters and digits)."""
    return is_area_code(token.upper()) or CODE_LIKE.match(token) is not None


def _listed(index: AreaIndex, codes: Sequence[str], with_level: bool) -> str:
    return ", ".join(f"{index.areas[c].name} ({c}{', ' + index.areas[c].level.value if with_level else ''})"
                     for c in codes[:6])


def resolve_area_name(index: AreaIndex, gemeente_code: str, levels: Sequence[Level], token: str, noun: str,
                      *, allow_prefix: bool = True) -> tuple[str | None, str | None]:
    """(code, None) for a name or "Naam (CODE)" inside the gemeente, or (None, Dutch problem).

    ``levels`` are the levels a name may stand for (wijk, buurt or both); ``noun`` is how the problem
    names what is asked ("wijk", "wijk of buurt"). A name matches exactly (case and accents ignored)
    or, with ``allow_prefix``, as the start of exactly one name. A code-like token is returned upper-cased
    for the caller to check.
    """
    token = token.strip()
    gemeente = index.get(gemeente_code)
    where = gemeente.name if gemeente else gemeente_code
    named = NAMED_CODE.match(token)
    if named:
        name, code = named[1].strip(), named[2].upper()
        info = index.get(code)
        if info is not None and name and fold(name) != fold(info.name):
            return None, (f"‘{name}’ en {code} horen niet bij elkaar: {code} is {info.name}. "
                          f"Kies de {noun} opnieuw.")
        return code, None
    if looks_like_code(token):
        return token.upper(), None
    inside = [c for level in levels for c in index.at_level(level, parent=gemeente_code)]
    needle = fold(token)
    exact = [c for c in inside if fold(index.areas[c].name) == needle]
    starts = [c for c in inside if fold(index.areas[c].name).startswith(needle)] if allow_prefix else []
    found = exact or starts
    several_levels = len(levels) > 1
    if len(found) == 1:
        return found[0], None
    if found:
        return None, (f"‘{token}’ past bij meer dan één {noun} in {where}: "
                      f"{_listed(index, found, several_levels)}. Kies er één.")
    near = [c for c in inside if needle in fold(index.areas[c].name)]
    hint = (f" Bedoelt u: {_listed(index, near, several_levels)}?" if near
            else f" Kies een {noun} uit de suggesties of van de kaart.")
    return None, f"Geen {noun} ‘{token}’ in {where}.{hint}"
