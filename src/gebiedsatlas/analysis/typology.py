"""Typology: areas grouped into types by k-means on standardised indicators, each type in words.

Method: the features are the structural characteristics of ``peers.FEATURES`` plus income,
education and employment (where the level has them), all of one year (no other year fills a gap);
skewed features are log-transformed; of the five age shares, which add up to 100, one is left out;
the urbanity class is a category (one column per class × 1/√2, ``peers.encode``), not a number. The
model is fitted on all areas of the level in Nederland with a value for every feature (a feature
that fewer than 80% of the areas have is left out), after standardising each numeric feature to
z-scores. Types are described by their numeric features only.
scikit-learn ``KMeans`` with a fixed ``random_state`` makes the types reproducible. A type is
described by the (up to three) features on which its average z-score departs most from the
national mean (|z| ≥ 0.5), e.g. "wijken met veel gezinnen met kinderen, veel koopwoningen en een
lage dichtheid".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.matrix import cached, indicator_matrix, scope_codes
from gebiedsatlas.analysis.peers import (
    FEATURES,
    MIN_FEATURE_COVERAGE,
    MIN_INHABITANTS,
    default_period,
    encode,
)
from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import area_index

DEFAULT_K = 6
RANDOM_STATE = 20251121
EXTRA_FEATURES = ("laag_inkomen", "hbo_wo", "nettoarbeidsparticipatie")
LOG_FEATURES = {f.id for f in FEATURES if f.log}
# Words for a type that is high / low on a feature (noun phrases after "met").
PHRASES: dict[str, tuple[str, str]] = {
    "bevolkingsdichtheid": ("een hoge dichtheid", "een lage dichtheid"),
    "stedelijkheid": ("een landelijk karakter", "een sterk stedelijk karakter"),
    "aandeel_0_14": ("veel kinderen", "weinig kinderen"),
    "aandeel_15_24": ("veel jongeren", "weinig jongeren"),
    "aandeel_25_44": ("veel 25- tot 45-jarigen", "weinig 25- tot 45-jarigen"),
    "aandeel_45_64": ("veel 45- tot 65-jarigen", "weinig 45- tot 65-jarigen"),
    "aandeel_65_plus": ("veel ouderen", "weinig ouderen"),
    "huishoudensgrootte": ("grote huishoudens", "kleine huishoudens"),
    "aandeel_huishoudens_met_kinderen": ("veel gezinnen met kinderen", "weinig gezinnen met kinderen"),
    "koopwoningen": ("veel koopwoningen", "veel huurwoningen"),
    "woz_waarde": ("dure woningen", "goedkope woningen"),
    "laag_inkomen": ("veel lage inkomens", "weinig lage inkomens"),
    "hbo_wo": ("veel hoger opgeleiden", "weinig hoger opgeleiden"),
    "nettoarbeidsparticipatie": ("veel werkenden", "weinig werkenden"),
}
MIN_DESCRIBE_Z = 0.5


@dataclass(frozen=True)
class AreaType:
    id: int
    name: str
    description: str
    size: int
    centroid_z: dict[str, float]
    distinctive: list[tuple[str, float]]


@dataclass
class Typology:
    level: str
    period: int
    k: int
    features: list[str]
    fitted_on: int
    types: list[AreaType] = field(default_factory=list)
    assignment: pd.Series = field(default_factory=lambda: pd.Series(dtype="Int64"))  # code -> type id

    def type_of(self, code: str) -> AreaType | None:
        if code not in self.assignment.index or pd.isna(self.assignment[code]):
            return None
        return self.types[int(self.assignment[code])]


def strength_words(z: float) -> str:
    """How far a type's average lies from the national mean, in words (no 'sd', no sign: the phrase
    before it already says which way, e.g. "veel huurwoningen (sterk afwijkend van het gemiddelde)")."""
    size = abs(z)
    if size >= 1.5:
        return "zeer sterk afwijkend van het landelijk gemiddelde"
    if size >= 1.0:
        return "sterk afwijkend van het landelijk gemiddelde"
    return "duidelijk afwijkend van het landelijk gemiddelde"


def describe(centroid_z: pd.Series, level: Level, limit: int = 3) -> tuple[str, list[tuple[str, float]]]:
    """A name for a type from its most distinctive features (largest |z| ≥ 0.5)."""
    ordered = centroid_z.reindex(centroid_z.abs().sort_values(ascending=False).index)
    distinctive = [(f, float(z)) for f, z in ordered.items() if abs(z) >= MIN_DESCRIBE_Z][:limit]
    if not distinctive:
        return f"Gemiddelde {level.plural}", []
    words = [PHRASES.get(f, (f"veel {f}", f"weinig {f}"))[0 if z > 0 else 1] for f, z in distinctive]
    from gebiedsatlas.analysis.attention import join_dutch

    return f"{level.plural.capitalize()} met {join_dutch(words)}", distinctive


def fit_typology(values: pd.DataFrame, level: Level, k: int = DEFAULT_K,
                 random_state: int = RANDOM_STATE) -> tuple[list[AreaType], pd.Series, list[str]]:
    """K-means on z-scores of the complete rows of ``values``; returns types, assignment, features."""
    from sklearn.cluster import KMeans  # imported when needed: ~2 s at server start

    coverage = values.notna().mean()
    features = [f for f in values.columns if coverage[f] >= MIN_FEATURE_COVERAGE]
    complete = values[features].dropna()
    if not features or len(complete) < k:
        # Too few complete areas in this year to form k types (a year without data): no typology.
        return [], pd.Series(dtype=int), features
    z = encode(complete)
    model = KMeans(n_clusters=k, random_state=random_state, n_init=4).fit(z.to_numpy())
    labels = pd.Series(model.labels_, index=z.index)
    # Number types by size (largest first) so ids are stable and readable.
    order = labels.value_counts().index.tolist()
    renumber = {old: new for new, old in enumerate(order)}
    labels = labels.map(renumber)
    types = []
    names: dict[str, int] = {}
    for type_id in range(k):
        members = z[labels == type_id]
        centroid = members[[c for c in z.columns if c in features]].mean()  # numeric features: z-scores
        name, distinctive = describe(centroid, level)
        names[name] = names.get(name, 0) + 1
        if names[name] > 1:
            name = f"{name} ({names[name]})"
        description = "; ".join(
            f"{PHRASES.get(f, (f, f))[0 if zz > 0 else 1]} ({strength_words(zz)})"
            for f, zz in distinctive) or "geen kenmerk wijkt sterk af van het landelijk gemiddelde"
        types.append(AreaType(id=type_id, name=name, description=description, size=int(len(members)),
                              centroid_z={f: float(v) for f, v in centroid.items()}, distinctive=distinctive))
    return types, labels, features


def typology(session: Session, level: Level | str = Level.WIJK, period: int | None = None,
             k: int = DEFAULT_K) -> Typology:
    """The typology of all areas of ``level`` in Nederland (cached per store)."""
    level = Level(level)
    period = period or default_period(level)

    def compute() -> Typology:
        index = area_index(session)
        codes = scope_codes(index, level, "nl", period)
        ids = [f.id for f in FEATURES] + list(EXTRA_FEATURES) + ["inwoners"]
        values = indicator_matrix(session, codes, ids, period, exact=True).values  # one year
        values = values[values["inwoners"].fillna(0) >= MIN_INHABITANTS].drop(columns="inwoners")
        for f in LOG_FEATURES:
            values[f] = np.log(values[f].where(values[f] > 0))
        types, labels, features = fit_typology(values, level, k)
        return Typology(level=level.value, period=period, k=k, features=features, fitted_on=len(labels),
                        types=types, assignment=labels)

    return cached(session, ("typology", level.value, period, k), compute)
