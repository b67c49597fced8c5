"""The indicator catalogue: a YAML file that a domain expert can read and extend.

``load_catalogue()`` validates the file and returns typed, immutable objects; errors name the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import yaml

from gebiedsatlas.errors import InputError

CATALOGUE_PATH = Path(__file__).resolve().parent / "catalogue.yaml"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    HIGHER_IS_WORSE = "higher_is_worse"
    NEUTRAL = "neutral"

    @property
    def sign(self) -> int:
        """+1 when higher is better, -1 when higher is worse, 0 when neutral."""
        return {"higher_is_better": 1, "higher_is_worse": -1, "neutral": 0}[self.value]

    @property
    def label(self) -> str:
        return {
            "higher_is_better": "hoger is beter",
            "higher_is_worse": "hoger is slechter",
            "neutral": "neutraal",
        }[self.value]


class AggregationMethod(StrEnum):
    SUM = "sum"
    WEIGHTED_MEAN = "weighted_mean"
    RATIO = "ratio"
    NONE = "none"


@dataclass(frozen=True)
class AggregationRule:
    """How the values of several areas combine into the value of their union."""

    method: AggregationMethod
    weight: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 1.0

    @property
    def inputs(self) -> tuple[str, ...]:
        """Indicator ids this rule reads besides the indicator itself."""
        return tuple(i for i in (self.weight, self.numerator, self.denominator) if i)

    def describe(self) -> str:
        """A Dutch sentence for the method page and derived-value notes."""
        if self.method is AggregationMethod.SUM:
            return "som van de deelgebieden"
        if self.method is AggregationMethod.WEIGHTED_MEAN:
            return f"gemiddelde gewogen naar {self.weight}"
        if self.method is AggregationMethod.RATIO:
            return f"{self.numerator} / {self.denominator} × {self.scale:g}, opnieuw berekend uit de sommen"
        return "niet op te tellen"

    def as_dict(self) -> dict:
        return {
            k: v
            for k, v in {
                "method": self.method.value,
                "weight": self.weight,
                "numerator": self.numerator,
                "denominator": self.denominator,
                "scale": self.scale if self.method is AggregationMethod.RATIO else None,
            }.items()
            if v is not None
        }


@dataclass(frozen=True)
class ComputeRule:
    """Derive a value from other indicators of the same area and period.

    Either a share (``numerator / denominator × scale``) or, with ``terms``, the sum of several counts
    (e.g. the inhabitants aged 15 to 65 from three age groups); a sum needs every term.
    """

    numerator: str | None = None
    denominator: str | None = None
    scale: float = 1.0
    terms: tuple[str, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.terms or (self.numerator, self.denominator)

    def describe(self) -> str:
        if self.terms:
            return " + ".join(self.terms)
        return f"{self.numerator} / {self.denominator} × {self.scale:g}"


@dataclass(frozen=True)
class SourceColumn:
    source: str
    column: str
    # Decimals the source publishes in this column (None: the indicator's ``decimals``). The 2022 age
    # shares, for example, are whole numbers: showing them as "59,0 %" claims a precision they lack.
    decimals: int | None = None


# Minimum base per base indicator when the catalogue names none (CBS practice for Kerncijfers wijken
# en buurten: percentages of inhabitants from 50 inhabitants, of households from 25 households).
DEFAULT_MINIMUM_BASE = {"inwoners": 50, "huishoudens": 25}


@dataclass(frozen=True)
class MinimumBase:
    """Below ``minimum`` of ``base`` (same area and period) the value is shown as "te kleine aantallen"."""

    base: str
    minimum: float
    note: str | None = None  # where the rule comes from (e.g. CBS's own publication rule)


@dataclass(frozen=True)
class SourceInfo:
    id: str
    publisher: str
    title: str
    licence: str
    attribution: str
    table_id: str | None = None
    year: int | None = None
    url: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class IndicatorDef:
    id: str
    label: str
    description: str
    theme: str
    unit: str
    direction: Direction
    decimals: int
    aggregation: AggregationRule
    columns: tuple[SourceColumn, ...] = ()
    compute: ComputeRule | None = None
    # The publisher's own rounding and suppression rules for this figure, in Dutch (with the source
    # they are quoted from), shown on the indicator page.
    publication: str = ""
    # KWB column stems (keys without their edition number) this indicator is read from in editions
    # fetched from CBS, for columns no edition listed in ``columns`` has (see sources/fetch/cbs_odata.py).
    stable_keys: tuple[str, ...] = ()
    minimum_base: MinimumBase | None = None
    # Shares that together make 100 % (e.g. the five age groups): checked on import (indicators/quality.py).
    sum_group: str | None = None
    # Differences up to this are "gelijk" in marks and no change in signals (None: half a unit of the
    # shown precision, see ``tolerance``).
    tolerance_value: float | None = None
    # A fixed reference level the source defines (the Leefbaarometer's 4,102265), shown instead of a
    # national value under ``reference_label``.
    reference_level: float | None = None
    reference_label: str | None = None
    # Smallest change between two years worth a signal, beyond rounding noise (analysis/change.py).
    min_change: float = 0.0
    # Interval scale (a score or a deviation without a true zero): only differences are meaningful,
    # never an index or a relative difference.
    interval: bool = False

    def decimals_for(self, source_id: str | None = None, status: str | None = None) -> int:
        """Decimals to show a value with: the source's own precision for a published value."""
        if status in (None, "observed") and source_id is not None:
            for column in self.columns:
                if column.source == source_id and column.decimals is not None:
                    return column.decimals
        return self.decimals

    def source_precision(self, source_id: str | None) -> int:
        """The coarsest precision (fewest decimals) any published column of this indicator has."""
        decimals = [c.decimals for c in self.columns if c.decimals is not None
                    and (source_id is None or c.source == source_id)]
        return min(decimals) if decimals else self.decimals

    @property
    def tolerance(self) -> float:
        """Differences up to this are "gelijk": the catalogue's value, else one unit of the coarsest
        published precision (59 and 60 published as whole numbers may both be 59,5)."""
        if self.tolerance_value is not None:
            return self.tolerance_value
        return 10.0 ** -self.source_precision(None)


@dataclass(frozen=True)
class Catalogue:
    themes: dict[str, str]
    sources: dict[str, SourceInfo]
    indicators: dict[str, IndicatorDef] = field(default_factory=dict)

    def __getitem__(self, indicator_id: str) -> IndicatorDef:
        return self.indicators[indicator_id]

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self.indicators

    def columns_of(self, source_id: str) -> dict[str, str]:
        """Source column -> indicator id for one source."""
        return {
            c.column: ind.id
            for ind in self.indicators.values()
            for c in ind.columns
            if c.source == source_id
        }

    def by_theme(self) -> dict[str, list[IndicatorDef]]:
        grouped: dict[str, list[IndicatorDef]] = {t: [] for t in self.themes}
        for ind in self.indicators.values():
            grouped[ind.theme].append(ind)
        return {t: inds for t, inds in grouped.items() if inds}


# Units of scores and deviations: interval scales unless the catalogue says ``scale: ratio``.
INTERVAL_UNITS = frozenset({"score", "afwijking"})

_REQUIRED = ("id", "label", "theme", "unit", "direction", "aggregation")


def _parse_aggregation(raw: object, file: str, where: str) -> AggregationRule:
    if isinstance(raw, str):
        raw = {"method": raw}
    if not isinstance(raw, dict) or "method" not in raw:
        raise InputError(file, "ongeldige aggregatieregel", column=f"{where}.aggregation",
                         expected="sum, none of {method: ...}", found=raw)
    try:
        method = AggregationMethod(raw["method"])
    except ValueError:
        raise InputError(file, "onbekende aggregatiemethode", column=f"{where}.aggregation.method",
                         expected=", ".join(m.value for m in AggregationMethod),
                         found=raw["method"]) from None
    rule = AggregationRule(
        method=method,
        weight=raw.get("weight"),
        numerator=raw.get("numerator"),
        denominator=raw.get("denominator"),
        scale=float(raw.get("scale", 1.0)),
    )
    if method is AggregationMethod.WEIGHTED_MEAN and not rule.weight:
        raise InputError(file, "gewogen gemiddelde zonder gewicht",
                         column=f"{where}.aggregation.weight", expected="een indicator-id")
    if method is AggregationMethod.RATIO and not (rule.numerator and rule.denominator):
        raise InputError(file, "verhouding zonder teller of noemer",
                         column=f"{where}.aggregation", expected="numerator en denominator")
    return rule


def _is_share_or_rate(unit: str) -> bool:
    """Units whose value is a share or rate of a population (so a small base makes it noise)."""
    return unit == "%" or unit.startswith("per ")


def _parse_minimum_base(raw: object, unit: str, aggregation: AggregationRule, compute: ComputeRule | None,
                        file: str, where: str) -> MinimumBase | None:
    """The indicator's minimum base: explicit ``{base, minimum}``, ``none``, or derived by default.

    Default: a share or rate (unit % or "per ...") of inhabitants or households gets the CBS minimum of
    ``DEFAULT_MINIMUM_BASE``, the base being the compute denominator, else the aggregation's denominator
    or weight. So indicators added later inherit the rule without a catalogue field.
    """
    if raw in (None, "none", False):
        return None
    if raw == "default":
        if not _is_share_or_rate(unit):
            return None
        base = (compute.denominator if compute else aggregation.denominator or aggregation.weight)
        if base in DEFAULT_MINIMUM_BASE:
            return MinimumBase(base=base, minimum=DEFAULT_MINIMUM_BASE[base])
        return None
    if not isinstance(raw, dict) or "base" not in raw or "minimum" not in raw:
        raise InputError(file, "ongeldige minimale basis", column=f"{where}.minimum_base",
                         expected="none of {base: indicator-id, minimum: aantal}", found=raw)
    return MinimumBase(base=str(raw["base"]), minimum=float(raw["minimum"]), note=raw.get("note"))


def parse_catalogue(data: dict, file: str = "catalogue.yaml") -> Catalogue:
    """Validate a catalogue document; every error names the field that is wrong."""
    themes = {str(k): str(v) for k, v in (data.get("themes") or {}).items()}
    sources = {}
    for source_id, raw in (data.get("sources") or {}).items():
        for key in ("publisher", "title", "licence", "attribution"):
            if not raw.get(key):
                raise InputError(file, "bron mist een verplicht veld",
                                 column=f"sources.{source_id}.{key}", expected="een waarde")
        sources[source_id] = SourceInfo(id=source_id, **raw)
    indicators: dict[str, IndicatorDef] = {}
    for index, raw in enumerate(data.get("indicators") or []):
        where = f"indicators[{index}]"
        for key in _REQUIRED:
            if key not in raw:
                raise InputError(file, "indicator mist een verplicht veld",
                                 column=f"{where}.{key}", expected="een waarde")
        ind_id = raw["id"]
        where = f"indicators[{ind_id}]"
        if ind_id in indicators:
            raise InputError(file, "indicator-id komt twee keer voor", column=f"{where}.id")
        if raw["theme"] not in themes:
            raise InputError(file, "onbekend thema", column=f"{where}.theme",
                             expected=", ".join(themes), found=raw["theme"])
        try:
            direction = Direction(raw["direction"])
        except ValueError:
            raise InputError(file, "onbekende richting", column=f"{where}.direction",
                             expected=", ".join(d.value for d in Direction),
                             found=raw["direction"]) from None
        columns = []
        for c in raw.get("columns") or []:
            if c.get("source") not in sources:
                raise InputError(file, "kolom verwijst naar een onbekende bron",
                                 column=f"{where}.columns", expected=", ".join(sources),
                                 found=c.get("source"))
            columns.append(SourceColumn(source=c["source"], column=c["column"],
                                        decimals=int(c["decimals"]) if "decimals" in c else None))
        compute = None
        if raw.get("compute"):
            rule = raw["compute"]
            if rule.get("sum"):
                if not isinstance(rule["sum"], list) or len(rule["sum"]) < 2:
                    raise InputError(file, "som zonder termen", column=f"{where}.compute.sum",
                                     expected="een lijst van minstens twee indicator-ids", found=rule["sum"])
                compute = ComputeRule(terms=tuple(str(t) for t in rule["sum"]))
            elif rule.get("numerator") and rule.get("denominator"):
                compute = ComputeRule(
                    numerator=rule["numerator"],
                    denominator=rule["denominator"],
                    scale=float(rule.get("scale", 1.0)),
                )
            else:
                raise InputError(file, "berekening zonder teller en noemer of som", column=f"{where}.compute",
                                 expected="{numerator, denominator} of {sum: [...]}", found=rule)
        unit = str(raw["unit"])
        aggregation = _parse_aggregation(raw["aggregation"], file, where)
        indicators[ind_id] = IndicatorDef(
            id=ind_id,
            label=raw["label"],
            description=str(raw.get("description", "")).strip(),
            theme=raw["theme"],
            unit=unit,
            direction=direction,
            decimals=int(raw.get("decimals", 1 if unit == "%" else 0)),
            aggregation=aggregation,
            columns=tuple(columns),
            compute=compute,
            publication=" ".join(str(raw.get("publication", "")).split()),
            stable_keys=tuple(str(k) for k in raw.get("stable_keys") or ()),
            minimum_base=_parse_minimum_base(raw.get("minimum_base", "default"), unit, aggregation,
                                             compute, file, where),
            sum_group=raw.get("sum_group"),
            tolerance_value=float(raw["tolerance"]) if raw.get("tolerance") is not None else None,
            reference_level=float(raw["reference_level"]) if raw.get("reference_level") is not None else None,
            reference_label=raw.get("reference_label"),
            min_change=float(raw.get("min_change", 0.0)),
            interval=raw.get("scale", "interval" if unit in INTERVAL_UNITS else "ratio") == "interval",
        )
    # References between indicators must resolve.
    for ind in indicators.values():
        refs = list(ind.aggregation.inputs)
        if ind.compute:
            refs += list(ind.compute.inputs)
        if ind.minimum_base:
            refs.append(ind.minimum_base.base)
        for ref in refs:
            if ref not in indicators:
                raise InputError(file, "verwijzing naar een onbekende indicator",
                                 column=f"indicators[{ind.id}]", expected="een bestaand indicator-id",
                                 found=ref)
    return Catalogue(themes=themes, sources=sources, indicators=indicators)


def load_catalogue_file(path: Path) -> Catalogue:
    with path.open(encoding="utf-8") as fh:
        try:
            data = yaml.safe_load(fh)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InputError(str(path), f"geen geldige YAML: {getattr(exc, 'problem', exc)}",
                             row=mark.line + 1 if mark else None) from None
    return parse_catalogue(data, file=str(path))


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The catalogue that ships with the package."""
    return load_catalogue_file(CATALOGUE_PATH)
