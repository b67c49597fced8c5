"""Reference groups: what an area is compared with.

Every comparison in the atlas names its reference. Each reference has a *value* (the figure the
area is compared with, for differences and the index) and a *group* of areas of the same level
(for the z-score and the percentile rank):

| kind        | reference value                                         | group (same level)        |
|-------------|---------------------------------------------------------|---------------------------|
| nederland   | Nederland, aggregated by the indicator's rule; for the  | all areas in Nederland    |
|             | Leefbaarometer the published national reference level   | that have a value         |
| nta         | the seven New Towns together (area set ``nta``)         | the areas in the New Towns |
| gemeente    | the area's own gemeente                                 | the areas in that gemeente |
| niveau      | unweighted mean of all areas of the level ("gemiddelde  | all areas of the level    |
|             | wijk"), not weighted by inhabitants                     |                           |
| peers       | unweighted mean of the k most similar areas             | those k areas             |
|             | (``peers.find_peers``)                                   |                           |

A missing reference value (e.g. Nederland for an indicator that is not aggregable, or a group
without data) is ``None``; it never becomes 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.deviation import Deviation, deviation
from gebiedsatlas.analysis.matrix import cached, indicator_matrix, scope_codes
from gebiedsatlas.analysis.peers import DEFAULT_K, find_peers
from gebiedsatlas.areas.codes import Level, level_of
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.indicators.values import (
    area_set_values,
    area_values,
    available_periods,
    netherlands_values,
)
from gebiedsatlas.periods import nearest_period

NTA_SET = "nta"
# The Leefbaarometer 3.0 expresses every score against one fixed national reference level
# (score 4.1023; the deviation and its dimensions are 0 there by definition). Only the New Towns'
# Leefbaarometer figures are bundled, so Nederland cannot be aggregated: the published level is used.
# The level and its name come from the catalogue (``reference_level``, ``reference_label``).
PUBLISHED_NATIONAL_REFERENCE = {i.id: i.reference_level for i in load_catalogue().indicators.values()
                                if i.reference_level is not None}


class ReferenceKind(StrEnum):
    NEDERLAND = "nederland"
    NTA = "nta"
    GEMEENTE = "gemeente"
    NIVEAU = "niveau"
    PEERS = "peers"

    def label(self, level: Level) -> str:
        """Dutch name of the reference for an area of ``level``."""
        return {
            "nederland": "Nederland",
            "nta": "de New Towns samen",
            "gemeente": "de eigen gemeente",
            "niveau": f"gemiddelde van alle {level.plural}",
            "peers": f"vergelijkbare {level.plural}",
        }[self.value]

    @property
    def description(self) -> str:
        return {
            "nederland": "Nederland als geheel; groep: alle gebieden van hetzelfde niveau in Nederland.",
            "nta": "De zeven New Towns samen; groep: hun gebieden van hetzelfde niveau.",
            "gemeente": "De gemeente waarin het gebied ligt; groep: de gebieden van dat niveau erin.",
            "niveau": "Het ongewogen gemiddelde van alle gebieden van hetzelfde niveau in Nederland.",
            "peers": "De gebieden die qua structuur (dichtheid, leeftijd, huishoudens, woningen) "
                     "het meest op dit gebied lijken.",
        }[self.value]


REFERENCE_KINDS = [k.value for k in ReferenceKind]


@dataclass(frozen=True)
class Reference:
    kind: ReferenceKind
    label: str
    indicator_id: str
    period: int | None
    value: float | None
    note: str
    group: pd.Series = field(repr=False)  # area code -> value (NaN where missing)

    @property
    def group_size(self) -> int:
        return int(self.group.notna().sum())


def _period_for(session: Session, indicator_id: str, period: int | None) -> int | None:
    periods = cached(session, ("periods", indicator_id), lambda: available_periods(session, indicator_id))
    if not periods:
        return None
    return nearest_period(periods, period) if period else periods[-1]


def _value_of(frame: pd.DataFrame) -> float | None:
    usable = frame[frame["status"].isin(["observed", "derived"])]["value"].dropna()
    return float(usable.iloc[0]) if len(usable) else None


def level_values(session: Session, level: Level, scope: str, indicator_id: str,
                 period: int) -> pd.Series:
    """Values of one indicator for every area of ``level`` in a scope (cached per store)."""
    def compute() -> pd.Series:
        codes = scope_codes(area_index(session), level, scope, period)
        return indicator_matrix(session, codes, [indicator_id], period).values[indicator_id]
    return cached(session, ("level_values", level.value, scope, indicator_id, period), compute)


def reference(session: Session, area_code: str, indicator_id: str, kind: ReferenceKind | str,
              period: int | None = None, k: int = DEFAULT_K) -> Reference:
    """The reference value and group for comparing ``area_code`` on one indicator."""
    kind = ReferenceKind(kind)
    index = area_index(session)
    level = level_of(area_code)
    period = _period_for(session, indicator_id, period)
    label = kind.label(level)
    empty = pd.Series(dtype=float)
    if period is None:
        return Reference(kind, label, indicator_id, None, None, "geen gegevens voor deze indicator", empty)
    note = ""
    if kind is ReferenceKind.NEDERLAND:
        group = level_values(session, level, "nl", indicator_id, period)
        if indicator_id in PUBLISHED_NATIONAL_REFERENCE:
            value = PUBLISHED_NATIONAL_REFERENCE[indicator_id]
            label = load_catalogue()[indicator_id].reference_label or label
            note = ("vast referentieniveau van de Leefbaarometer 3.0, in elk meetjaar hetzelfde "
                    "(geen landelijk gemiddelde van dat jaar)")
        else:
            frame = cached(session, ("nl-value", indicator_id, period),
                           lambda: netherlands_values(session, [indicator_id], [period]))
            value = _value_of(frame)
            note = frame["method"].iloc[0] if len(frame) else "niet te berekenen"
    elif kind is ReferenceKind.NTA:
        group = level_values(session, level, NTA_SET, indicator_id, period)
        frame = cached(session, ("set-value", NTA_SET, indicator_id, period),
                       lambda: area_set_values(session, NTA_SET, [indicator_id], [period]))
        value = _value_of(frame)
        note = frame["method"].iloc[0] if len(frame) else "niet te berekenen"
    elif kind is ReferenceKind.GEMEENTE:
        gemeente = index.gemeente_of(area_code)
        if gemeente is None or gemeente.code == area_code:
            return Reference(kind, label, indicator_id, period, None,
                             "niet van toepassing: het gebied is zelf een gemeente", empty)
        group = level_values(session, level, gemeente.code, indicator_id, period)
        value = _value_of(area_values(session, [gemeente.code], [indicator_id], [period]))
        label = f"gemeente {gemeente.name}"
        note = gemeente.code
    elif kind is ReferenceKind.NIVEAU:
        group = level_values(session, level, "nl", indicator_id, period)
        value = float(group.mean()) if group.notna().any() else None
        note = f"ongewogen gemiddelde van {int(group.notna().sum())} {level.plural}"
    else:
        try:
            everywhere = level_values(session, level, "nl", indicator_id, period)
            peers = find_peers(session, area_code, k=k, period=period)
            group = everywhere.reindex(peers.codes)
            if group.notna().sum() < len(peers.codes) / 2:
                # Indicators bundled only for the New Towns (the Leefbaarometer): look for peers there.
                peers = find_peers(session, area_code, k=k, period=period, scope=NTA_SET)
                group = everywhere.reindex(peers.codes)
        except ValueError as exc:
            return Reference(kind, label, indicator_id, period, None, str(exc), empty)
        value = float(group.mean()) if group.notna().any() else None
        where = "in de New Towns" if peers.scope == NTA_SET else "in Nederland"
        note = (f"ongewogen gemiddelde van {int(group.notna().sum())} van {len(peers.codes)} "
                f"vergelijkbare gebieden {where}")
    return Reference(kind, label, indicator_id, period, value, note, group)


@dataclass(frozen=True)
class Comparison:
    area_code: str
    area_name: str
    indicator_id: str
    period: int | None
    value_period: int | None
    reference: Reference
    deviation: Deviation

    def row(self) -> dict:
        """A flat table row for the API and CSV."""
        return {
            "area_code": self.area_code, "area_name": self.area_name,
            "indicator_id": self.indicator_id, "period": self.value_period,
            "reference": self.reference.kind.value, "reference_label": self.reference.label,
            "reference_note": self.reference.note, "reference_period": self.reference.period,
            **self.deviation.as_dict(),
        }


def compare(session: Session, area_code: str, indicator_id: str, kind: ReferenceKind | str,
            period: int | None = None, k: int = DEFAULT_K) -> Comparison:
    """An area's value on one indicator against one reference, with all deviation measures."""
    index = area_index(session)
    ind = load_catalogue()[indicator_id]
    ref = reference(session, area_code, indicator_id, kind, period, k)
    value = None
    value_period = None
    if ref.period is not None:
        matrix = indicator_matrix(session, [area_code], [indicator_id], ref.period)
        raw = matrix.values.at[area_code, indicator_id]
        if pd.notna(raw):
            value = float(raw)
            value_period = int(matrix.periods.at[area_code, indicator_id])
    group = ref.group.drop(labels=[area_code], errors="ignore") if ref.kind is ReferenceKind.PEERS else ref.group
    dev = deviation(value, ref.value, group.to_numpy(dtype=float) if len(group) else np.array([]),
                    ind.direction, ind.interval)
    return Comparison(area_code, index.areas[area_code].name, indicator_id, ref.period, value_period,
                      ref, dev)


DEVIATION_MEASURES = ("z_score", "index", "percentile_rank", "difference", "relative_difference")


def scope_deviations(session: Session, indicator_id: str, kind: ReferenceKind | str, level: Level | str,
                     scope: str, period: int | None = None, k: int = DEFAULT_K) -> pd.DataFrame:
    """Every area of ``level`` in a scope against the chosen reference (its own gemeente, its own
    peers, …): one row per area with the measures of ``deviation``. For maps and tables."""
    kind = ReferenceKind(kind)
    level = Level(level)
    ind = load_catalogue()[indicator_id]
    period = _period_for(session, indicator_id, period)
    columns = ["area_code", "area_name", "gemeente_name", "reference_label", *Deviation.__dataclass_fields__]
    if period is None:
        return pd.DataFrame(columns=columns)

    def compute() -> pd.DataFrame:
        index = area_index(session)
        values = level_values(session, level, scope, indicator_id, period)
        shared: dict[str, Reference] = {}
        rows = []
        for code in values.index:
            gemeente = index.gemeente_of(code)
            if kind in (ReferenceKind.NEDERLAND, ReferenceKind.NTA, ReferenceKind.NIVEAU):
                key = kind.value  # the same reference for every area of the level
            elif kind is ReferenceKind.GEMEENTE:
                key = gemeente.code if gemeente else code
            else:
                key = code
            if key not in shared:
                shared[key] = reference(session, code, indicator_id, kind, period, k)
            ref = shared[key]
            group = ref.group.drop(labels=[code], errors="ignore") if kind is ReferenceKind.PEERS else ref.group
            dev = deviation(values[code], ref.value, group.to_numpy(dtype=float), ind.direction, ind.interval)
            rows.append({"area_code": code, "area_name": index.areas[code].name,
                         "gemeente_name": gemeente.name if gemeente else None,
                         "reference_label": ref.label, **dev.as_dict()})
        return pd.DataFrame(rows, columns=columns)

    return cached(session, ("scope-deviations", indicator_id, kind.value, level.value, scope, period, k), compute)


def peer_group_values(session: Session, area_code: str, indicator_ids: list[str],
                      k: int = DEFAULT_K) -> pd.DataFrame:
    """The peers of an area as one pseudo-area (unweighted mean per indicator and period), long-form.

    Used as the ``loader`` of ``analysis.profile.Reference`` (see ``peers_profile_reference``);
    columns as ``indicators.values``.
    Periods come from the indicator's own data; peers are searched as in ``reference`` (in the New
    Towns for indicators that only they have).
    """
    from gebiedsatlas.indicators.values import VALUE_COLUMNS, observations

    level = level_of(area_code)
    label = f"vergelijkbare {level.plural}"
    rows = []
    try:
        national = find_peers(session, area_code, k=k)
    except ValueError:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    local = None
    for indicator_id in indicator_ids:
        stored = observations(session, national.codes, [indicator_id], None)
        peers = national
        if stored["value"].notna().sum() < len(national.codes) / 2 * max(1, stored["period"].nunique()):
            local = local or find_peers(session, area_code, k=k, scope=NTA_SET)
            stored = observations(session, local.codes, [indicator_id], None)
            peers = local
        stored = stored[stored["status"].isin(["observed", "derived"])]
        for period, frame in stored.groupby("period"):
            values = frame["value"].dropna()
            if values.empty:
                continue
            rows.append({
                "area_code": f"peers:{area_code}", "area_name": label, "level": "gebiedsset",
                "indicator_id": indicator_id, "period": int(period), "value": float(values.mean()),
                "status": "derived", "source_id": frame["source_id"].iloc[0], "boundary_year": int(period),
                "method": f"ongewogen gemiddelde van {len(values)} van {len(peers.codes)} vergelijkbare gebieden",
            })
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)


def peers_profile_reference(session: Session, area_code: str, k: int = DEFAULT_K):
    """The area's peers as an ``analysis.profile.Reference`` (its ``loader`` hook), so the area
    profile can show a "vergelijkbare wijken" column next to gemeente, New Towns and Nederland."""
    from gebiedsatlas.analysis.profile import Reference as ProfileReference

    def loader(session: Session, indicator_ids: list[str]) -> pd.DataFrame:
        return peer_group_values(session, area_code, indicator_ids, k)

    level = level_of(area_code)
    return ProfileReference("peers", f"Vergelijkbare {level.plural}", f"peers:{area_code}", kind="set",
                            loader=loader)
