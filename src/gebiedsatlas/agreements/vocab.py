"""The fixed vocabulary of prestatieafspraken: party kinds, themes, agreement statuses and the
transitions allowed between them, scopes and target kinds. Values are stored; labels are Dutch."""

from __future__ import annotations

from datetime import date

PARTY_KINDS: dict[str, str] = {
    "gemeente": "Gemeente",
    "woningcorporatie": "Woningcorporatie",
    "huurdersorganisatie": "Huurdersorganisatie",
    "zorg": "Zorgorganisatie",
    "welzijn": "Welzijnsorganisatie",
    "politie": "Politie",
    "overig": "Overige organisatie",
}

THEMES: dict[str, str] = {
    "betaalbaarheid": "Betaalbaarheid",
    "beschikbaarheid": "Beschikbaarheid en nieuwbouw",
    "kwaliteit_duurzaamheid": "Kwaliteit en duurzaamheid",
    "leefbaarheid": "Leefbaarheid",
    "wonen_zorg": "Wonen en zorg / kwetsbare groepen",
    "bestaanszekerheid": "Bestaanszekerheid",
    "klimaatadaptatie": "Klimaatadaptatie",
    "overig": "Overig",
}

AGREEMENT_STATUSES: dict[str, str] = {
    "concept": "Concept",
    "bod": "Bod uitgebracht",
    "getekend": "Getekend",
    "wijziging": "Wijziging in voorbereiding",
    "afgerond": "Afgerond",
}

# From -> allowed next statuses. A bod can go back to concept (renegotiation). A signed agreement is
# locked: it moves on to afgerond, or a party starts a wijziging (the next version), which every party
# signs again; the signed version stays readable as it was.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "concept": ("bod",),
    "bod": ("concept", "getekend"),
    "getekend": ("afgerond", "wijziging"),
    "wijziging": ("getekend",),
    "afgerond": (),
}

# States in which the text of the agreement (fields, commitments, jaarschijven) may change.
UNLOCKED_STATUSES = ("concept", "bod", "wijziging")

# The button text of each next status on the agreement page.
STATUS_ACTIONS: dict[str, str] = {
    "bod": "Akkoord met het bod",
    "concept": "Terug naar concept",
    "getekend": "Ondertekenen",
    "afgerond": "Akkoord met afronden",
    "wijziging": "Wijziging starten",
}

SCOPE_KINDS: dict[str, str] = {
    "gemeente": "Hele gemeente",
    "wijk": "Wijk(en)",
    "buurt": "Buurt(en)",
    "gebiedsset": "Gebiedsset",
}

TARGET_KINDS: dict[str, str] = {
    "output": "Prestatie (aantallen per jaar)",
    "outcome": "Effect op een atlasindicator",
    "none": "Geen meetbaar doel",
}

# Derived commitment status, in the order the dashboards show them.
PROGRESS_LABELS: dict[str, str] = {
    "behaald": "Behaald",
    "op_koers": "Op koers",
    "risico": "Risico",
    "achter": "Achter",
    "niet_meetbaar": "Niet meetbaar",
}


def cycle_dates(year: int) -> list[tuple[date, str, str]]:
    """The yearly cycle of prestatieafspraken (Woningwet art. 44): date, step, explanation."""
    return [
        (date(year, 1, 1), "Monitoring vorig jaar",
         "Partijen verzamelen de realisaties van het afgelopen jaar per afspraak."),
        (date(year, 4, 1), "Gezamenlijke evaluatie",
         "De lokale driehoek bespreekt de voortgang; de atlas levert de actuele cijfers per gebied."),
        (date(year, 7, 1), "Bod van de corporatie",
         "De woningcorporatie stuurt uiterlijk 1 juli haar bod: activiteiten en bijdrage aan de woonvisie."),
        (date(year, 9, 1), "Onderhandeling",
         "Gemeente, corporatie en huurdersorganisatie onderhandelen over de afspraken en de jaarschijf."),
        (date(year, 12, 15), "Ondertekening",
         "De prestatieafspraken of de nieuwe jaarschijf worden uiterlijk 15 december getekend."),
    ]
