"""Area sets: named groups of areas, the first of which is the New Town Alliantie."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gebiedsatlas.sources.tables import read_rows, require_code

NEW_TOWNS_SET_ID = "nta"


@dataclass(frozen=True)
class AreaSetDef:
    id: str
    name: str
    description: str
    kind: str
    members: tuple[str, ...]


def new_town_alliantie(data_dir: Path) -> AreaSetDef:
    """The seven gemeenten that signed the New Town Alliantie declaration (21 November 2025)."""
    path = data_dir / "parties" / "nta_signatories_2025.csv"
    members = []
    for line, row in read_rows(path, ["organisatie", "soort", "gemeentecode"]):
        if row["soort"] == "gemeente":
            members.append(require_code(row["gemeentecode"], file=path, row=line,
                                        column="gemeentecode", prefix="GM", length=6))
    return AreaSetDef(
        id=NEW_TOWNS_SET_ID,
        name="New Town Alliantie",
        description=(
            "De zeven New Towns die op 21 november 2025 de intentieverklaring van de New Town "
            "Alliantie tekenden: Almere, Capelle aan den IJssel, Helmond, Nieuwegein, Nissewaard, "
            "Purmerend en Zoetermeer."
        ),
        kind="alliantie",
        members=tuple(members),
    )
