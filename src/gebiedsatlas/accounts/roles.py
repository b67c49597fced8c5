"""The roles a membership can have, the kinds of organisation, and the pseudo-roles of the matrix."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A member's role in one organisation."""

    READER = "lezer"
    EDITOR = "redacteur"
    APPROVER = "ondertekenaar"
    ADMIN = "beheerder"


ROLE_LABELS: dict[str, str] = {
    Role.READER: "Lezer: ziet de afspraken van de eigen organisatie, ook concepten",
    Role.EDITOR: "Redacteur: bewerkt afspraken en meldt realisaties van de eigen organisatie",
    Role.APPROVER: "Ondertekenaar: tekent namens de eigen organisatie (bod, ondertekening, afronding)",
    Role.ADMIN: "Beheerder: beheert de leden van de eigen organisatie, en mag wat redacteur en ondertekenaar mogen",
}

# Pseudo-roles of the matrix: not held through a membership.
ANYONE = "iedereen"
LOGGED_IN = "ingelogd"
SYSTEM_ADMIN = "systeembeheerder"

ORGANISATION_KINDS: dict[str, str] = {
    "gemeente": "Gemeente",
    "woningcorporatie": "Woningcorporatie",
    "huurdersorganisatie": "Huurdersorganisatie",
    "alliantie": "New Town Alliantie",
    "zorg": "Zorgorganisatie",
    "welzijn": "Welzijnsorganisatie",
    "politie": "Politie",
    "overig": "Overige organisatie",
}

ALLIANCE_NAME = "New Town Alliantie"
