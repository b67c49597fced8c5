"""Which indicators of the catalogue have data in this store, and how to load the ones that do not.

The catalogue describes more than the bundled data holds: police crime figures, for example, only
arrive after ``gebiedsatlas fetch politie``. Pickers (map, compare, prestatieafspraken) offer only
indicators with data; the rest are named once on the page, with the command that loads them, instead
of being offered and then showing "geen gegevens" everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gebiedsatlas.analysis.distribution import periods_by_indicator
from gebiedsatlas.indicators.catalogue import Catalogue, IndicatorDef, load_catalogue

_FETCH = re.compile(r"`(gebiedsatlas fetch [a-z-]+)`")


@dataclass(frozen=True)
class MissingSource:
    """Indicators of one source that have no value in the store, and how to load them."""

    source: str  # the publisher, as the page names it
    indicators: tuple[IndicatorDef, ...]
    how: str  # a Dutch sentence with the command(s)

    def as_dict(self) -> dict:
        return {"source": self.source, "indicators": [i.id for i in self.indicators], "how": self.how}


def indicators_with_data(session: Session) -> set[str]:
    """Ids of indicators with at least one stored row (cached per import run)."""
    return set(periods_by_indicator(session))


def available(session: Session, catalogue: Catalogue | None = None) -> list[IndicatorDef]:
    """The catalogue's indicators that have data, in catalogue order."""
    catalogue = catalogue or load_catalogue()
    present = indicators_with_data(session)
    return [i for i in catalogue.indicators.values() if i.id in present]


def _source_of(catalogue: Catalogue, ind: IndicatorDef, depth: int = 0) -> str:
    """The source an indicator is read from; a computed share follows its numerator."""
    found = next((c.source for c in ind.columns if c.source), None)
    if found is None and ind.compute and depth < 3 and ind.compute.numerator in catalogue.indicators:
        return _source_of(catalogue, catalogue.indicators[ind.compute.numerator], depth + 1)
    return found or "onbekend"


def missing_sources(session: Session, catalogue: Catalogue | None = None) -> list[MissingSource]:
    """Indicators without any data, grouped by their source, each group with how to load it."""
    catalogue = catalogue or load_catalogue()
    present = indicators_with_data(session)
    groups: dict[str, list[IndicatorDef]] = {}
    for ind in catalogue.indicators.values():
        if ind.id in present:
            continue
        source_id = _source_of(catalogue, ind)
        groups.setdefault(source_id, []).append(ind)
    out = []
    for source_id, inds in groups.items():
        info = catalogue.sources.get(source_id)
        command = _FETCH.search(info.description or "") if info else None
        if command:
            how = (f"Laad ze met `{command[1]}` en daarna `gebiedsatlas import --cache` "
                   "(docs/live-data.md).")
        else:
            how = "Laad de bron met `gebiedsatlas import` (zie README)."
        out.append(MissingSource(info.publisher if info else source_id, tuple(inds), how))
    return out
