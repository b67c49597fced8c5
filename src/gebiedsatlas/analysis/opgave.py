"""The opgavekaart: the layers of the New Towns' task side by side per wijk or buurt, and a filter.

The declaration of the New Town Alliantie names the task: stock built in one go in the 1960s–80s,
much of it owned by corporaties, low liveability, households around the social minimum, energy and
heat stress. Each of those is one *layer* here, identified by its indicator id. There is no single
index: every layer keeps its own value, year, status and source.

- ``opgave_layers`` says per layer whether it is in the catalogue and loaded (and if not, how to load
  it: a layer without data is listed once as "nog niet geladen", never as 0).
- ``area_opgave`` gives the latest value of every layer for one area (the profile's "Opgave" section).
- ``filter_opgave`` applies user thresholds (≥ / ≤ per layer) to the wijken or buurten of a scope.
  An area without a value for a filtered layer does not match; it is counted per layer instead.

"Latest value" is per area: the most recent period in which that area has a number for the layer
(so its year is always reported with it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import AreaIndex, area_index
from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.indicators.values import observations
from gebiedsatlas.status import Status
from gebiedsatlas.store.models import Indicator, Observation, Source

NEW_TOWNS_SCOPE = "nta"
OPGAVE_LEVELS = (Level.WIJK, Level.BUURT)
_WHERE = "opgavekaart"


@dataclass(frozen=True)
class LayerSpec:
    """One layer of the opgave as agreed by indicator id, with what to say while it is not loaded."""

    id: str
    label: str  # used until the catalogue (or the store) names the indicator
    unit: str
    question: str  # the part of the task this layer shows, in plain Dutch
    load_command: str


LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec("aandeel_bouwperiode_1960_1989", "Woningen gebouwd 1960–1989", "%",
              "Wijken die in één keer zijn gebouwd en nu samen verouderen.",
              "gebiedsatlas fetch bag"),
    LayerSpec("huurwoningen_corporatie", "Huurwoningen van een woningcorporatie", "%",
              "Waar corporaties de grootste eigenaar zijn (geen oordeel: meer is niet beter of slechter).",
              "gebiedsatlas fetch cbs --area-set nta"),
    LayerSpec("lbm_fysieke_omgeving", "Fysieke omgeving (Leefbaarometer)", "afwijking",
              "Openbare ruimte en bebouwing; negatief is slechter dan het landelijk referentieniveau.",
              "gebiedsatlas fetch leefbaarometer"),
    LayerSpec("lbm_voorzieningen", "Voorzieningen (Leefbaarometer)", "afwijking",
              "Of voorzieningen achterblijven; negatief is slechter dan het landelijk referentieniveau.",
              "gebiedsatlas fetch leefbaarometer"),
    LayerSpec("huishoudens_sociaal_minimum", "Huishoudens rond het sociaal minimum", "%",
              "Waar huishoudens met een inkomen onder of rond het sociaal minimum wonen.",
              "gebiedsatlas fetch cbs --area-set nta"),
    LayerSpec("aardgas_gemiddeld", "Gemiddeld aardgasverbruik per woning", "m³",
              "Waar verduurzaming het meeste gas kan besparen.",
              "gebiedsatlas fetch cbs --area-set nta"),
    LayerSpec("aandeel_energielabel_efg", "Woningen met energielabel E, F of G", "%",
              "Waar veel woningen een slecht energielabel hebben.",
              "gebiedsatlas fetch energielabels"),
    LayerSpec("hittestress_gevoelstemperatuur", "Hittestress (gevoelstemperatuur)", "°C",
              "Waar het op een hete dag het heetst aanvoelt (klimaatadaptatie).",
              "gebiedsatlas fetch klimaat"),
)
LAYER_IDS = tuple(spec.id for spec in LAYERS)


@dataclass(frozen=True)
class Layer:
    """A layer as this store and catalogue know it."""

    spec: LayerSpec
    label: str
    unit: str
    decimals: int
    direction: str  # higher_is_better, higher_is_worse, neutral (from the catalogue)
    description: str
    in_catalogue: bool
    loaded: bool
    latest_period: int | None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def absent_text(self) -> str:
        """Why there are no values, in one Dutch phrase (only for a layer that is not loaded)."""
        if not self.in_catalogue:
            return "nog niet in de catalogus en nog niet geladen"
        return "nog niet geladen"

    def as_dict(self) -> dict:
        return {"id": self.id, "label": self.label, "unit": self.unit, "decimals": self.decimals,
                "direction": self.direction, "description": self.description, "question": self.spec.question,
                "in_catalogue": self.in_catalogue, "loaded": self.loaded, "latest_period": self.latest_period,
                "load_command": None if self.loaded else self.spec.load_command,
                "status_text": "geladen" if self.loaded else self.absent_text}


@dataclass(frozen=True)
class LayerValue:
    """The latest value of one layer for one area: a number only when its status carries one."""

    layer_id: str
    value: float | None
    status: str  # observed, derived, converted, suppressed, missing
    period: int | None
    source_id: str | None
    source: str | None  # "Bron: …" line of the source

    @property
    def has_value(self) -> bool:
        return self.value is not None

    def as_dict(self) -> dict:
        return {"value": self.value, "status": self.status, "period": self.period,
                "source_id": self.source_id, "source": self.source}


@dataclass(frozen=True)
class Threshold:
    """Keep areas whose value of ``layer_id`` is ≥ (``min``) or ≤ (``max``) ``value``."""

    layer_id: str
    op: Literal["min", "max"]
    value: float

    @property
    def symbol(self) -> str:
        return "≥" if self.op == "min" else "≤"

    def accepts(self, value: float) -> bool:
        return value >= self.value if self.op == "min" else value <= self.value

    def as_dict(self) -> dict:
        return {"layer": self.layer_id, "op": self.op, "symbol": self.symbol, "value": self.value}


@dataclass
class AreaRow:
    code: str
    name: str
    gemeente: str | None
    values: dict[str, LayerValue]
    # "voldoet", "voldoet niet", or "onbekend" (no value for a filtered layer, nothing else fails)
    outcome: str = "voldoet"
    missing_for: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return self.outcome == "voldoet"

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "gemeente": self.gemeente, "outcome": self.outcome,
                "missing_for": self.missing_for,
                "values": {k: v.as_dict() for k, v in self.values.items()}}


@dataclass
class OpgaveResult:
    scope: str
    scope_label: str
    level: Level
    period: int | None  # the area division used (the latest year of any loaded layer)
    layers: list[Layer]
    thresholds: list[Threshold]
    areas: list[AreaRow]  # every area of the scope, in name order
    without_value: dict[str, int]  # per filtered layer: areas without a value for it
    ignored: list[str] = field(default_factory=list)  # thresholds on layers that are not loaded
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # min/max per layer in scope

    @property
    def matches(self) -> list[AreaRow]:
        return [a for a in self.areas if a.matches]

    @property
    def not_loaded(self) -> list[Layer]:
        return [layer for layer in self.layers if not layer.loaded]

    def as_dict(self) -> dict:
        return {
            "scope": {"code": self.scope, "name": self.scope_label},
            "level": self.level.value,
            "period": self.period,
            "layers": [layer.as_dict() for layer in self.layers],
            "thresholds": [t.as_dict() for t in self.thresholds],
            "ignored_thresholds": self.ignored,
            "counts": {"areas": len(self.areas), "matching": len(self.matches),
                       "not_matching": sum(a.outcome == "voldoet niet" for a in self.areas),
                       "unknown": sum(a.outcome == "onbekend" for a in self.areas),
                       "without_value": self.without_value},
            "matching": [a.as_dict() for a in self.matches],
        }


# --- layers ----------------------------------------------------------------------------------------

def opgave_layers(session: Session) -> list[Layer]:
    """Every agreed layer with its definition and whether the store holds values for it.

    The catalogue names a layer; if the catalogue of this version lacks it but the store has it (loaded
    by a newer version), the store's copy of the definition is used; otherwise the agreed fallback label.
    """
    catalogue = load_catalogue()
    stored = {i.id: i for i in session.scalars(select(Indicator).where(Indicator.id.in_(LAYER_IDS)))}
    # Latest period with a number per layer: a layer with only "geheim"/"geen gegevens" rows is not loaded.
    latest = dict(session.execute(
        select(Observation.indicator_id, func.max(Observation.period))
        .where(Observation.indicator_id.in_(LAYER_IDS), Observation.value.is_not(None))
        .group_by(Observation.indicator_id)).all())
    layers = []
    for spec in LAYERS:
        if spec.id in catalogue:
            ind = catalogue[spec.id]
            label, unit, decimals, direction, description = (ind.label, ind.unit, ind.decimals,
                                                             ind.direction.value, ind.description)
        elif spec.id in stored:
            ind = stored[spec.id]
            label, unit, decimals, direction, description = (ind.label, ind.unit, ind.decimals, ind.direction,
                                                             ind.description)
        else:
            label, unit, decimals, direction, description = spec.label, spec.unit, 1, "neutral", spec.question
        layers.append(Layer(spec, label, unit, decimals, direction, description,
                            in_catalogue=spec.id in catalogue or spec.id in stored,
                            loaded=spec.id in latest, latest_period=latest.get(spec.id)))
    return layers


def _source_lines(session: Session) -> dict[str, str]:
    """Source id -> "Bron: … (title)" for every source in the store."""
    lines = {}
    for s in session.scalars(select(Source)):
        attribution = s.attribution if s.attribution.lower().startswith("bron") else f"Bron: {s.attribution}"
        lines[s.id] = f"{attribution} — {s.title}"
    return lines


def latest_values(session: Session, codes: list[str], layers: list[Layer]) -> dict[str, dict[str, LayerValue]]:
    """Per area code and loaded layer, the latest value (or, without any, the latest status row)."""
    loaded = [layer.id for layer in layers if layer.loaded]
    result: dict[str, dict[str, LayerValue]] = {c: {} for c in codes}
    if not loaded or not codes:
        return result
    sources = _source_lines(session)
    frame = observations(session, codes, loaded, None)
    # Newest period last, so the last row written per (area, layer) wins; a row with a number beats any
    # later row without one.
    frame = frame.sort_values("period", kind="stable")
    best: dict[tuple[str, str], tuple] = {}
    for row in frame.itertuples(index=False):
        key = (row.area_code, row.indicator_id)
        has_number = Status(row.status).has_value and not math.isnan(row.value)
        current = best.get(key)
        if current is None or has_number or not current[0]:
            best[key] = (has_number, row)
    for (code, layer_id), (has_number, row) in best.items():
        result[code][layer_id] = LayerValue(
            layer_id, float(row.value) if has_number else None,
            row.status if has_number or row.status != Status.OBSERVED.value else Status.MISSING.value,
            int(row.period), row.source_id, sources.get(row.source_id, row.source_id))
    for code in codes:
        for layer_id in loaded:
            result[code].setdefault(layer_id, LayerValue(layer_id, None, Status.MISSING.value, None, None, None))
    return result


def area_opgave(session: Session, code: str) -> tuple[list[Layer], dict[str, LayerValue]]:
    """The layers and their latest values for one area (for the profile's "Opgave" section)."""
    layers = opgave_layers(session)
    return layers, latest_values(session, [code], layers)[code]


# --- the filter ------------------------------------------------------------------------------------

def parse_number(text: str, field_name: str) -> float:
    """A number as a Dutch user types it: ``40``, ``40,5``, ``-0,05`` (a dot works too)."""
    cleaned = text.strip().replace("\u2212", "-").replace(" ", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")  # 1.234,5 -> 1234.5
    try:
        value = float(cleaned)
    except ValueError:
        raise InputError(_WHERE, "geen getal", column=field_name,
                         expected="een getal, bijvoorbeeld 40 of 0,05", found=text[:50]) from None
    if not math.isfinite(value):
        raise InputError(_WHERE, "geen eindig getal", column=field_name, expected="een getal", found=text[:50])
    return value


def parse_thresholds(params: dict[str, str]) -> list[Threshold]:
    """Thresholds from URL parameters ``min_<layer>`` (≥) and ``max_<layer>`` (≤); empty ones are skipped."""
    thresholds = []
    for spec in LAYERS:
        for op in ("min", "max"):
            name = f"{op}_{spec.id}"
            text = (params.get(name) or "").strip()
            if text:
                thresholds.append(Threshold(spec.id, op, parse_number(text, name)))
    return thresholds


def scope_label(index: AreaIndex, scope: str) -> str:
    if scope in index.sets:
        return index.sets[scope].name
    return index.areas[scope].name


def validate_scope(index: AreaIndex, scope: str, level: str) -> Level:
    """Check scope (``nta`` or a gemeente code) and level (wijk, buurt); raises InputError."""
    if scope not in index.sets:
        area = index.areas.get(scope)
        if area is None or area.level is not Level.GEMEENTE:
            raise InputError(_WHERE, "onbekend gebied", column="scope",
                             expected="nta (alle New Towns) of een gemeentecode zoals GM0034", found=scope[:50])
    if level not in {lv.value for lv in OPGAVE_LEVELS}:
        raise InputError(_WHERE, "onbekend niveau", column="level", expected="wijk of buurt", found=level[:50])
    return Level(level)


def filter_opgave(session: Session, scope: str, level: str, thresholds: list[Threshold]) -> OpgaveResult:
    """The areas of ``level`` in ``scope`` with every layer's latest value, judged by the thresholds.

    An area matches when every threshold on a loaded layer is met. An area without a value for a
    filtered layer cannot be judged on it: it does not match, and ``without_value`` counts it per layer.
    Thresholds on layers without data are not applied (listed in ``ignored``).
    """
    index = area_index(session)
    if scope not in index.sets:
        scope = scope.strip().upper()  # gm0356 is GM0356
    lvl = validate_scope(index, scope, level)
    layers = opgave_layers(session)
    by_id = {layer.id: layer for layer in layers}
    applied = [t for t in thresholds if by_id[t.layer_id].loaded]
    ignored = sorted({by_id[t.layer_id].label for t in thresholds if not by_id[t.layer_id].loaded})
    period = max((layer.latest_period for layer in layers if layer.latest_period), default=None)
    if scope in index.sets:
        codes = index.at_level(lvl, area_set=scope, year=period)
    else:
        codes = index.at_level(lvl, parent=scope, year=period)
    codes = sorted(codes, key=lambda c: (index.areas[c].name, c))
    values = latest_values(session, codes, layers)
    without_value = {t.layer_id: 0 for t in applied}
    rows = []
    for code in codes:
        gemeente = index.gemeente_of(code)
        row = AreaRow(code, index.areas[code].name, gemeente.name if gemeente else None, values[code])
        failed = False
        for t in applied:
            v = row.values[t.layer_id]
            if not v.has_value:
                if t.layer_id not in row.missing_for:
                    row.missing_for.append(t.layer_id)
                    without_value[t.layer_id] += 1
            elif not t.accepts(v.value):
                failed = True
        row.outcome = "voldoet niet" if failed else ("onbekend" if row.missing_for else "voldoet")
        rows.append(row)
    ranges = {}
    for layer in layers:
        numbers = [r.values[layer.id].value for r in rows if layer.id in r.values and r.values[layer.id].has_value]
        if numbers:
            ranges[layer.id] = (min(numbers), max(numbers))
    return OpgaveResult(scope, scope_label(index, scope), lvl, period, layers, applied, rows, without_value,
                        ignored, ranges)


EXPORT_COLUMNS_BASE = ["gebied_code", "gebied_naam", "gemeente", "niveau"]


def export_rows(result: OpgaveResult) -> tuple[list[str], list[dict]]:
    """The matching areas as flat rows: per layer its value, status, year and source (for CSV/Excel)."""
    columns = list(EXPORT_COLUMNS_BASE)
    for layer in result.layers:
        columns += [layer.id, f"{layer.id}_status", f"{layer.id}_jaar", f"{layer.id}_bron"]
    rows = []
    for area in result.matches:
        row: dict = {"gebied_code": area.code, "gebied_naam": area.name, "gemeente": area.gemeente,
                     "niveau": result.level.value}
        for layer in result.layers:
            v = area.values.get(layer.id)
            if v is None:  # not loaded: say so in the status column, never a 0
                row[f"{layer.id}_status"] = layer.absent_text
                continue
            row[layer.id] = v.value
            row[f"{layer.id}_status"] = v.status
            row[f"{layer.id}_jaar"] = v.period
            row[f"{layer.id}_bron"] = v.source
        rows.append(row)
    return columns, rows
