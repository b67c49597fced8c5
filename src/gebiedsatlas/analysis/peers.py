"""Peer areas: the k areas most alike on structural characteristics.

Method (shown on the method page):

1. Candidates are all areas of the same level (and boundary year) in a scope, by default heel
   Nederland, with at least ``MIN_INHABITANTS`` inhabitants (business parks and polders with a
   handful of residents are no meaningful peers).
2. Features are the structural characteristics in ``FEATURES`` that the area itself has a value for
   and that at least ``MIN_FEATURE_COVERAGE`` of the candidates have; candidates lacking one of
   them are left out (nothing is imputed). Skewed features (density, WOZ value) are log-transformed.
3. Each feature is standardised to z-scores over the candidates (mean 0, sd 1), so every feature
   weighs the same whatever its unit. A categorical feature (the urbanity class 1-5) is a category,
   not a number: it becomes one indicator column per class, each × 1/√2, so that two areas in
   different classes differ by exactly 1 (like one standard deviation of a numeric feature) whichever
   the classes (``encode``).
   All features are of one year (``period``; no figure of another year fills a gap, see
   ``matrix.indicator_matrix(exact=True)``), and compositional shares are not all used: the five age
   shares add up to 100, so one of them (25-44, the middle group) is implied by the others and left
   out; otherwise age would weigh in twice.
4. The distance is Euclidean on those z-scores; the k nearest candidates (scikit-learn
   ``NearestNeighbors``) are the peers. A distance of 1 means the areas differ by one standard
   deviation on one feature, or less on several together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.matrix import Matrix, cached, indicator_matrix, scope_codes
from gebiedsatlas.areas.codes import Level, level_of
from gebiedsatlas.areas.index import area_index


@dataclass(frozen=True)
class PeerFeature:
    id: str
    log: bool = False
    categorical: bool = False


FEATURES: tuple[PeerFeature, ...] = (
    PeerFeature("bevolkingsdichtheid", log=True),
    PeerFeature("stedelijkheid", categorical=True),
    PeerFeature("aandeel_0_14"),
    PeerFeature("aandeel_15_24"),
    # aandeel_25_44 is left out: 100 minus the other four age shares.
    PeerFeature("aandeel_45_64"),
    PeerFeature("aandeel_65_plus"),
    PeerFeature("huishoudensgrootte"),
    PeerFeature("aandeel_huishoudens_met_kinderen"),
    PeerFeature("koopwoningen"),
    PeerFeature("woz_waarde", log=True),
)
CATEGORICAL = {f.id for f in FEATURES if f.categorical}
MIN_INHABITANTS = 200
MIN_FEATURE_COVERAGE = 0.8


def encode(pool: pd.DataFrame) -> pd.DataFrame:
    """Numeric features as z-scores; categorical ones as one column per category × 1/√2.

    Two areas in different categories then differ by 1 in the Euclidean distance, as much as one
    standard deviation of a numeric feature; a category is never treated as a number.
    """
    numeric = [c for c in pool.columns if c not in CATEGORICAL]
    parts = [(pool[numeric] - pool[numeric].mean()) / pool[numeric].std(ddof=0).replace(0, 1.0)]
    for column in pool.columns:
        if column in CATEGORICAL:
            dummies = pd.get_dummies(pool[column].round().astype(int), prefix=column, prefix_sep="=",
                                     dtype=float)
            parts.append(dummies / np.sqrt(2))
    return pd.concat(parts, axis=1)
DEFAULT_K = 10
# The boundary year whose figures are richest per level: KWB 2022 (income, tenure, WOZ) and the
# Leefbaarometer use 2022 wijken; buurt figures come from KWB 2024.
DEFAULT_PERIOD = {Level.GEMEENTE: 2022, Level.WIJK: 2022, Level.BUURT: 2024}


def default_period(level: Level) -> int:
    return DEFAULT_PERIOD.get(level, 2022)


@dataclass(frozen=True)
class Peer:
    code: str
    name: str
    gemeente: str | None
    distance: float


@dataclass(frozen=True)
class PeerResult:
    area_code: str
    level: str
    period: int
    scope: str
    features: list[str]
    candidates: int
    peers: list[Peer] = field(default_factory=list)
    # The area's own z-scores and those of each peer, for "why is this a peer" tables.
    area_z: dict[str, float] = field(default_factory=dict)
    peer_z: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.peers]


def structural_matrix(session: Session, level: Level, period: int, scope: str = "nl") -> Matrix:
    """Structural features (log-transformed where noted) of the candidate areas, cached."""
    def compute() -> Matrix:
        index = area_index(session)
        codes = scope_codes(index, level, scope, period)
        ids = [f.id for f in FEATURES] + ["inwoners"]
        matrix = indicator_matrix(session, codes, ids, period, exact=True)  # features of one year
        values = matrix.values.copy()
        values = values[values["inwoners"].fillna(0) >= MIN_INHABITANTS]
        for f in FEATURES:
            if f.log:
                column = values[f.id]
                values[f.id] = np.log(column.where(column > 0))
        return Matrix(values=values.drop(columns="inwoners"),
                      periods=matrix.periods.loc[values.index])
    return cached(session, ("structural", level.value, period, scope), compute)


def find_peers(session: Session, area_code: str, k: int = DEFAULT_K, period: int | None = None,
               scope: str = "nl", features: list[str] | None = None) -> PeerResult:
    """The ``k`` most similar areas of the same level (see the module doc for the method).

    Raises KeyError for an unknown area and ValueError when the area has too few features.
    """
    index = area_index(session)
    if area_code not in index.areas:
        raise KeyError(area_code)
    level = level_of(area_code)
    period = period or default_period(level)
    matrix = structural_matrix(session, level, period, scope)
    values = matrix.values
    if area_code not in values.index:
        # The area itself may be outside the scope or below the inhabitant threshold: add it.
        own = structural_matrix(session, level, period, "nl").values
        if area_code not in own.index:
            raise ValueError(f"{area_code} heeft te weinig inwoners of geen kenmerken voor vergelijking")
        values = pd.concat([values, own.loc[[area_code]]])
    wanted = features or [f.id for f in FEATURES]
    coverage = values[wanted].notna().mean()
    row = values.loc[area_code]
    used = [f for f in wanted if pd.notna(row[f]) and coverage[f] >= MIN_FEATURE_COVERAGE]
    if len(used) < 3:
        raise ValueError(f"{area_code} heeft te weinig kenmerken ({len(used)}) voor vergelijking")

    def fitted() -> tuple[pd.DataFrame, object]:
        from sklearn.neighbors import NearestNeighbors  # imported when needed: ~2 s at server start

        z = encode(values[used].dropna())
        return z, NearestNeighbors(metric="euclidean").fit(z.to_numpy())

    if area_code in matrix.values.index:
        # The same candidates and features give the same model: fit it once per store version.
        z, model = cached(session, ("peer-model", level.value, period, scope, tuple(used)), fitted)
    else:
        z, model = fitted()
    pool = z
    n = min(k + 1, len(z))
    distances, positions = model.kneighbors(z.loc[[area_code]].to_numpy(), n_neighbors=n)
    peers = []
    for dist, pos in zip(distances[0], positions[0], strict=True):
        code = z.index[pos]
        if code == area_code:
            continue
        gemeente = index.gemeente_of(code)
        peers.append(Peer(code=code, name=index.areas[code].name,
                          gemeente=gemeente.name if gemeente else None, distance=float(dist)))
    peers = peers[:k]
    peer_z = z.loc[[p.code for p in peers]].to_dict("index")
    return PeerResult(area_code=area_code, level=level.value, period=period, scope=scope,
                      features=used, candidates=len(pool) - 1, peers=peers,
                      area_z=z.loc[area_code].to_dict(), peer_z=peer_z)
