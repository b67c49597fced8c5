"""The SMART check: which commitments cannot be measured, and which are weakly formulated.

Reviews (visitaties) find about half of all prestatieafspraken not SMART. The check looks at the
stored fields, not at the meaning of the text, so every finding is explainable:

blocking (the commitment is *niet meetbaar*, no progress status can be derived):
  - ``geen_doel``: no measurable target at all (target kind "geen");
  - ``geen_eenheid`` / ``geen_jaarschijven``: an output target without a unit or planned amounts;
  - ``geen_indicator`` / ``onbekende_indicator``: an outcome target without a (known) atlas indicator;
  - ``geen_streefwaarde`` / ``geen_streefjaar``: an outcome target without target value or year.
warnings (measurable, but not SMART):
  - ``geen_verantwoordelijke``: no responsible party (who does it?);
  - ``vaag``: vague wording ("zich inspannen", "waar mogelijk", …) without any number in the text;
  - ``te_kort``: a text under 20 characters says too little to check;
  - ``buiten_looptijd``: target year or jaarschijf outside the agreement period;
  - ``geen_gebied``: no area given (the scope defaults to the whole gemeente);
  - ``geen_nulmeting``: an outcome target without a baseline (value and year);
  - ``grens``: an outcome target on the worse side of its baseline, by the indicator's direction: it
    counts as a limit (``agreements/direction.py``); the message names the direction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gebiedsatlas.agreements.direction import direction_warning
from gebiedsatlas.indicators.catalogue import Catalogue, load_catalogue

VAGUE_PHRASES = (
    "inspannen", "inspanning", "streven", "zo veel mogelijk", "zoveel mogelijk", "waar mogelijk",
    "indien mogelijk", "waar nodig", "in overleg", "onderzoeken", "verkennen", "bevorderen",
    "stimuleren", "aandacht voor", "aandacht besteden", "bezien", "mogelijkheden", "zo spoedig",
    "ambitie", "inzetten op",
)
_NUMBER = re.compile(r"\d")


@dataclass(frozen=True)
class SmartIssue:
    code: str
    message: str
    blocking: bool


def smart_check(commitment, period: tuple[int, int] | None = None,
                catalogue: Catalogue | None = None) -> list[SmartIssue]:
    """Findings for one commitment (an ORM ``Commitment`` or any object with the same fields).

    ``period`` is the agreement's (first, last) year, to flag targets outside it.
    """
    catalogue = catalogue or load_catalogue()
    issues: list[SmartIssue] = []
    kind = commitment.target_kind or "none"
    if kind == "none":
        issues.append(SmartIssue("geen_doel", "Geen meetbaar doel: geef een prestatie met aantallen per "
                                              "jaar of een streefwaarde op een atlasindicator.", True))
    elif kind == "output":
        if not (commitment.output_unit or "").strip():
            issues.append(SmartIssue("geen_eenheid", "Prestatie zonder eenheid (bijvoorbeeld "
                                                     "'sociale huurwoningen opgeleverd').", True))
        planned = [t for t in commitment.year_targets if t.planned is not None]
        if not planned:
            issues.append(SmartIssue("geen_jaarschijven", "Geen geplande aantallen per jaar (jaarschijven).",
                                     True))
        elif period and any(not period[0] <= t.year <= period[1] for t in planned):
            issues.append(SmartIssue("buiten_looptijd", "Een jaarschijf valt buiten de looptijd van de "
                                                        "afspraken.", False))
    elif kind == "outcome":
        if not commitment.indicator_id:
            issues.append(SmartIssue("geen_indicator", "Effectdoel zonder atlasindicator.", True))
        elif commitment.indicator_id not in catalogue:
            issues.append(SmartIssue("onbekende_indicator",
                                     f"Onbekende indicator {commitment.indicator_id!r}.", True))
        if commitment.target_value is None:
            issues.append(SmartIssue("geen_streefwaarde", "Effectdoel zonder streefwaarde.", True))
        if commitment.target_year is None:
            issues.append(SmartIssue("geen_streefjaar", "Effectdoel zonder streefjaar.", True))
        elif period and not period[0] <= commitment.target_year <= period[1] + 1:
            issues.append(SmartIssue("buiten_looptijd", "Het streefjaar valt buiten de looptijd van de "
                                                        "afspraken.", False))
        if commitment.baseline_value is None or commitment.baseline_year is None:
            issues.append(SmartIssue("geen_nulmeting", "Geen nulmeting (beginwaarde en jaar).", False))
        elif commitment.indicator_id in catalogue and commitment.target_value is not None:
            warning = direction_warning(catalogue[commitment.indicator_id], commitment.baseline_value,
                                        commitment.target_value)
            if warning:
                issues.append(SmartIssue("grens", warning, False))
    if not commitment.parties:
        issues.append(SmartIssue("geen_verantwoordelijke", "Geen verantwoordelijke partij: wie voert dit uit?",
                                 False))
    text = (commitment.text or "").strip()
    lowered = text.lower()
    if len(text) < 20:
        issues.append(SmartIssue("te_kort", "De tekst is te kort om te toetsen (minder dan 20 tekens).", False))
    vague = [p for p in VAGUE_PHRASES if p in lowered]
    if vague and not _NUMBER.search(text):
        issues.append(SmartIssue("vaag", f"Vage formulering zonder getal ({', '.join(vague)}).", False))
    if not commitment.scope_codes:
        issues.append(SmartIssue("geen_gebied", "Geen gebied opgegeven; de hele gemeente wordt aangenomen.",
                                 False))
    return issues


def is_measurable(issues: list[SmartIssue]) -> bool:
    """True when no finding blocks measuring progress."""
    return not any(i.blocking for i in issues)
