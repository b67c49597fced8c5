"""The words of the woonprogramma, defined once: segments, project kinds, phases and their default
realisation rates (documented in docs/housing.md)."""

from __future__ import annotations

# Segments of dwellings in projects, party stock and scenarios. "Betaalbaar" in the sense of the
# Nationale Prestatieafspraken (2022) = sociale huur + middenhuur + betaalbare koop.
SEGMENTS: dict[str, str] = {
    "sociale_huur": "sociale huur",
    "middenhuur": "middenhuur",
    "vrije_huur": "vrije-sectorhuur",
    "koop_betaalbaar": "betaalbare koop",
    "koop_overig": "overige koop",
}
AFFORDABLE = ("sociale_huur", "middenhuur", "koop_betaalbaar")
# The three tenure groups the CBS figures give per wijk; the scenario adds project segments to them.
TENURES: dict[str, str] = {
    "koop": "koop",
    "corporatie": "corporatiehuur",
    "particulier": "particuliere huur",
}
SEGMENT_TENURE: dict[str, str] = {
    "sociale_huur": "corporatie",
    "middenhuur": "particulier",
    "vrije_huur": "particulier",
    "koop_betaalbaar": "koop",
    "koop_overig": "koop",
}

KINDS: dict[str, str] = {
    "nieuwbouw": "nieuwbouw",
    "sloop": "sloop",
    "verkoop": "verkoop",
    "liberalisatie": "liberalisatie",
    "transformatie": "transformatie",
    "samenvoegen_splitsen": "samenvoegen/splitsen",
    "renovatie": "renovatie",
}
# Where the dwellings of a move go when the project names no segment.
DEFAULT_TO_SEGMENT = {"verkoop": "koop_betaalbaar", "liberalisatie": "middenhuur"}
MOVES = frozenset(DEFAULT_TO_SEGMENT)

# One set of phase definitions (docs/housing.md "Fasen").
PHASES: dict[str, str] = {
    "initiatief": "initiatief",
    "planvorming": "planvorming",
    "vergund": "vergund",
    "in_aanbouw": "in aanbouw",
    "opgeleverd": "opgeleverd",
}
PHASE_ORDER = tuple(PHASES)

# Default realisation rates per phase: the share of a project's dwellings expected to be delivered.
# Assumptions, not measurements: in line with the common practice of plan capacity monitors to count
# "harde" plans (vergund and later) nearly in full and "zachte" plans with 30–50 % plan loss.
DEFAULT_RATES: dict[str, float] = {
    "initiatief": 0.5,
    "planvorming": 0.7,
    "vergund": 0.9,
    "in_aanbouw": 0.95,
    "opgeleverd": 1.0,
}

TARGET_KINDS: dict[str, str] = {
    "aandeel_voorraad": "aandeel van de voorraad (bandbreedte)",
    "aandeel_nieuwbouw": "aandeel van de nieuwbouw",
    "volume": "aantal woningen per jaar",
}
TARGET_SEGMENTS: dict[str, str] = {**SEGMENTS, "corporatie": "corporatiehuur", "betaalbaar": "betaalbaar",
                                   "koop": "koop", "particulier": "particuliere huur", "totaal": "alle woningen"}
SCOPE_KINDS: dict[str, str] = {
    "elke_gemeente": "elke gemeente",
    "gemeente": "gemeente",
    "wijk": "wijk",
    "gebiedsset": "gebiedsset",
}
TARGET_SOURCES: dict[str, str] = {
    "woonvisie": "woonvisie",
    "woondeal": "woondeal",
    "prestatieafspraak": "prestatieafspraak",
    "npa": "Nationale Prestatieafspraken",
}
