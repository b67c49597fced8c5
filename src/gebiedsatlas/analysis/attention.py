"""Aandachtsgebieden: areas whose kwetsbaarheidsscore stands out, with a plain-language explanation.

An area in a scope (the New Towns together, or one gemeente) is an aandachtsgebied when its score
is at or above the configured threshold (``attention.threshold`` in ``vulnerability.yaml``), or when
it is in the worst ``attention.worst_share`` (a decile by default) of the scored areas of the scope.
The explanation is generated from the area's drivers (the components that push its score up) and
says whether the area also does worse than its structural peers (``peers.find_peers``) on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.matrix import cached
from gebiedsatlas.analysis.peers import find_peers
from gebiedsatlas.analysis.reference import NTA_SET
from gebiedsatlas.analysis.vulnerability import VulnerabilityConfig, VulnerabilityResult, load_config, vulnerability
from gebiedsatlas.areas.codes import Level


def join_dutch(parts: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b en c'."""
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " en " + parts[-1]


def explain(drivers: list[str], worse_than_peers: list[str] | None, config: VulnerabilityConfig,
            level: Level, coverage: float, score: float | None = None) -> str:
    """A Dutch sentence from the drivers, e.g. 'Veel inwoners met een laag inkomen en weinig sociale
    samenhang, ook ten opzichte van vergelijkbare wijken.' ``worse_than_peers`` None: peers not checked."""
    plural = level.plural
    if not drivers and score is not None and score <= 0:
        text = "Minder kwetsbaar dan gemiddeld in Nederland; geen onderdeel wijst op een achterstand."
    elif not drivers:
        text = ("Geen enkel onderdeel springt eruit; de score komt door een optelsom van kleinere "
                "achterstanden ten opzichte van Nederland.")
    elif score is not None and score <= 0:
        text = ("Minder kwetsbaar dan gemiddeld in Nederland; wel "
                f"{join_dutch([config.component(d).phrase for d in drivers])}.")
    elif worse_than_peers is None:
        lead = join_dutch([config.component(d).phrase for d in drivers])
        text = f"{lead[0].upper() + lead[1:]} ten opzichte van Nederland."
    else:
        phrases = [config.component(d).phrase for d in drivers]
        lead = join_dutch(phrases)
        lead = lead[0].upper() + lead[1:]
        also = [config.component(d).phrase for d in drivers if d in worse_than_peers]
        if len(also) == len(drivers):
            text = f"{lead}, ook ten opzichte van vergelijkbare {plural}."
        elif also:
            text = (f"{lead} ten opzichte van Nederland; ten opzichte van vergelijkbare {plural} "
                    f"vooral {join_dutch(also)}.")
        else:
            text = (f"{lead} ten opzichte van Nederland; vergelijkbare {plural} laten op deze punten "
                    f"hetzelfde beeld zien.")
    if coverage < 0.999:
        text += f" Let op: de score rust op {round(coverage * 100)}% van het gewicht van de onderdelen."
    return text


@dataclass(frozen=True)
class AttentionArea:
    area_code: str
    area_name: str
    gemeente_code: str | None
    gemeente_name: str | None
    score: float
    rank: int
    rank_low: float
    rank_high: float
    of: int
    coverage: float
    reasons: list[str]
    drivers: list[str]
    driver_labels: list[str]
    worse_than_peers: list[str]
    explanation: str

    def row(self) -> dict:
        return {**self.__dict__}


@dataclass
class AttentionResult:
    level: str
    period: int
    scope: str
    threshold: float
    worst_share: float
    scored: int
    areas: list[AttentionArea] = field(default_factory=list)

    def rows(self) -> list[dict]:
        return [a.row() for a in self.areas]


def _worse_than_peers(session: Session, code: str, drivers: list[str], result: VulnerabilityResult) -> list[str]:
    """Drivers on which the area is more vulnerable than the mean of its structural peers.

    Peers are searched in Nederland; for a component that most of them lack (the Leefbaarometer is
    bundled for the New Towns only) among the New Towns' areas, as in ``reference``.
    """
    if not drivers:
        return []
    raw = result.raw_population if result.raw_population is not None else result.raw
    peer_sets = {}
    try:
        peer_sets["nl"] = find_peers(session, code, period=result.period).codes
    except (KeyError, ValueError):
        return []
    worse = []
    for cid in drivers:
        value = raw.at[code, cid] if code in raw.index else float("nan")
        peer_values = raw[cid].reindex(peer_sets["nl"])
        if peer_values.notna().sum() < len(peer_sets["nl"]) / 2:
            if "nta" not in peer_sets:
                peer_sets["nta"] = find_peers(session, code, period=result.period, scope=NTA_SET).codes
            peer_values = raw[cid].reindex(peer_sets["nta"])
        if pd.isna(value) or not peer_values.notna().any():
            continue
        sign = result.config.component(cid).vulnerable_sign
        if sign * (value - peer_values.mean()) > 0:
            worse.append(cid)
    return worse


def attention_areas(session: Session, level: Level | str = Level.WIJK, period: int | None = None,
                    scope: str = "nta", threshold: float | None = None,
                    worst_share: float | None = None,
                    config: VulnerabilityConfig | None = None) -> AttentionResult:
    """The aandachtsgebieden of a scope, most vulnerable first (see the module doc)."""
    config = config or load_config()
    level = Level(level)
    result = vulnerability(session, level, period, scope, config)
    threshold = config.threshold if threshold is None else threshold
    worst_share = config.worst_share if worst_share is None else worst_share

    def compute() -> AttentionResult:
        table = result.table[result.table["score"].notna()]
        n = len(table)
        worst_n = math.ceil(worst_share * n) if n else 0
        out = AttentionResult(level=level.value, period=result.period, scope=scope, threshold=threshold,
                              worst_share=worst_share, scored=n)
        for code, row in table.iterrows():
            reasons = []
            if row["score"] >= threshold:
                reasons.append(f"score ≥ {threshold:g}".replace(".", ","))
            if row["rank"] <= worst_n:
                reasons.append(f"slechtste {round(worst_share * 100)}%")
            if not reasons:
                continue
            drivers = list(row["drivers"])
            worse = _worse_than_peers(session, code, drivers, result)
            out.areas.append(AttentionArea(
                area_code=code, area_name=row["area_name"], gemeente_code=row["gemeente_code"],
                gemeente_name=row["gemeente_name"], score=float(row["score"]), rank=int(row["rank"]),
                rank_low=float(row["rank_low"]), rank_high=float(row["rank_high"]), of=n,
                coverage=float(row["coverage"]), reasons=reasons, drivers=drivers,
                driver_labels=[config.component(d).label for d in drivers], worse_than_peers=worse,
                explanation=explain(drivers, worse, config, level, float(row["coverage"]), float(row["score"])),
            ))
        return out

    key = ("attention", level.value, result.period, scope, threshold, worst_share, id(config))
    return cached(session, key, compute)
