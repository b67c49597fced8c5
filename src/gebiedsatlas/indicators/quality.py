"""Data quality on import: plausibility checks and the minimum base of each indicator.

Two rules decide that a value is not shown as a number, each with its own status and a reason in
the value's method note (so API, pages, maps, exports and the quality report all say the same):

- ``check_plausibility`` (status ``implausible``), on the published values before anything is
  derived from them, and again on the derived shares:
  - a share (unit %) outside 0-100;
  - a group of shares that should make 100 % (catalogue ``sum_group``, e.g. the five age groups)
    but adds up to more than rounding allows: each part published with ``d`` decimals may be off by
    half a unit, so ``n`` parts by ``n × 0,5 × 10^-d`` (five whole-number shares: 97,5-102,5);
  - a part larger than its total (the numerator of a ``compute:`` share above its denominator, e.g.
    10 households with children in a buurt of 5 households). CBS rounds both counts the same way,
    and rounding never puts a part above its total, so this is an error, not noise.
- ``apply_minimum_base`` (status ``too_small``): a share or rate whose base (inhabitants,
  households; catalogue ``minimum_base``) is below the minimum: "te kleine aantallen".

``quality_rows`` lists what the store holds with these statuses, for ``gebiedsatlas kwaliteit`` and
the page /kwaliteit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.indicators.catalogue import Catalogue
from gebiedsatlas.status import Status

_VALUED = (Status.OBSERVED.value, Status.DERIVED.value)


def _nl(value: float, decimals: int = 1) -> str:
    text = f"{value:,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def _ensure_categories(obs: pd.DataFrame, column: str, values) -> None:
    new = [v for v in pd.unique(np.asarray(list(values), dtype=object)) if v not in obs[column].cat.categories]
    if new:
        obs[column] = obs[column].cat.add_categories(new)


def _mark(obs: pd.DataFrame, index: pd.Index, status: Status, reasons: pd.Series | str) -> pd.DataFrame:
    """Set ``status`` and the reason (method note) on rows ``index``; the value becomes NaN."""
    if len(index) == 0:
        return obs
    if isinstance(reasons, str):
        reasons = pd.Series(reasons, index=index)
    _ensure_categories(obs, "status", [status.value])
    _ensure_categories(obs, "method", reasons.unique())
    obs.loc[index, "status"] = status.value
    obs.loc[index, "method"] = reasons.loc[index].to_numpy()
    obs.loc[index, "value"] = np.nan
    return obs


def _unique_index(obs: pd.DataFrame) -> pd.DataFrame:
    """Rows are marked by index label (in place: a national frame is not copied per check)."""
    return obs if isinstance(obs.index, pd.RangeIndex) else obs.reset_index(drop=True)


def _valued(obs: pd.DataFrame, indicator_ids) -> pd.DataFrame:
    return obs[obs["indicator_id"].isin(list(indicator_ids)) & obs["status"].isin(_VALUED)
               & obs["value"].notna()]


def check_range(obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Shares (unit %) outside 0-100 become implausible."""
    shares = [i.id for i in catalogue.indicators.values() if i.unit == "%"]
    rows = _valued(obs, shares)
    bad = rows[(rows["value"] < 0) | (rows["value"] > 100)]
    if bad.empty:
        return obs
    reasons = bad["value"].map(lambda v: f"aandeel van {_nl(v)}% ligt buiten 0-100%")
    return _mark(obs, bad.index, Status.IMPLAUSIBLE, reasons)


def group_tolerance(parts: int, decimals: int) -> float:
    """How far ``parts`` shares rounded to ``decimals`` may add up away from 100."""
    return parts * 0.5 * 10.0 ** -decimals


def check_sum_groups(obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Published shares of one ``sum_group`` must add up to 100 within rounding; else all are implausible.

    Only groups whose every part is published (observed) by one source are checked: derived shares are
    checked through their counts (``check_parts``).
    """
    groups: dict[str, list[str]] = {}
    for ind in catalogue.indicators.values():
        if ind.sum_group:
            groups.setdefault(ind.sum_group, []).append(ind.id)
    for members in groups.values():
        rows = obs[obs["indicator_id"].isin(members) & (obs["status"] == Status.OBSERVED.value)
                   & obs["value"].notna()]
        if rows.empty:
            continue
        keys = ["area_code", "period", "source_id"]
        grouped = rows.groupby(keys, observed=True)["value"].agg(["sum", "size"]).reset_index()
        grouped = grouped[grouped["size"] == len(members)]
        precision = {s: min(catalogue[m].decimals_for(s, "observed") for m in members)
                     for s in grouped["source_id"].astype(str).unique()}
        decimals = grouped["source_id"].astype(str).map(precision).astype(int)
        tolerance = group_tolerance(len(members), 0) * 10.0 ** -decimals
        bad = grouped[(grouped["sum"] - 100).abs() > tolerance + 1e-9]
        if bad.empty:
            continue
        reason = {(r.area_code, r.period, r.source_id):
                  f"de {len(members)} delen tellen op tot {_nl(r.sum)}% "
                  f"(verwacht 100% ± {_nl(t)} door afronding)"
                  for r, t in zip(bad.itertuples(), tolerance.loc[bad.index], strict=True)}
        key = pd.Series(list(zip(rows["area_code"].astype(str), rows["period"], rows["source_id"].astype(str),
                                 strict=True)), index=rows.index)
        hit = key[key.isin(list(reason))]
        obs = _mark(obs, hit.index, Status.IMPLAUSIBLE, hit.map(reason))
    return obs


def check_parts(obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """A count larger than the total it is a part of (``compute:`` numerator > denominator, for
    shares of 100) is implausible; so is the share computed from it."""
    for ind in catalogue.indicators.values():
        rule = ind.compute
        if rule is None or rule.scale != 100:
            continue
        num = _valued(obs, [rule.numerator])
        den = _valued(obs, [rule.denominator])
        pair = num.reset_index().merge(den[["area_code", "period", "value"]], on=["area_code", "period"],
                                       suffixes=("", "_den"))
        bad = pair[pair["value"] > pair["value_den"]]
        if bad.empty:
            continue
        label = catalogue[rule.denominator].label.lower()
        reasons = pd.Series([f"{_nl(v, 0)} is meer dan het totaal ({label}: {_nl(d, 0)})"
                             for v, d in zip(bad["value"], bad["value_den"], strict=True)],
                            index=pd.Index(bad["index"]))
        obs = _mark(obs, reasons.index, Status.IMPLAUSIBLE, reasons)
    return obs


def check_plausibility(obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """All plausibility checks; returns the frame with failing values marked implausible."""
    obs = _unique_index(obs)
    obs = check_parts(obs, catalogue)
    obs = check_sum_groups(obs, catalogue)
    return check_range(obs, catalogue)


def implausible_shares(obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Rows for ``compute:`` shares whose numerator or denominator is implausible, so the share says
    why it has no number (instead of silently missing)."""
    frames = []
    bad = obs[obs["status"] == Status.IMPLAUSIBLE.value]
    if bad.empty:
        return obs
    for ind in catalogue.indicators.values():
        rule = ind.compute
        if rule is None:
            continue
        inputs = bad[bad["indicator_id"].isin([rule.numerator, rule.denominator])]
        if inputs.empty:
            continue
        own = obs[obs["indicator_id"] == ind.id]
        taken = set(zip(own["area_code"].astype(str), own["period"], strict=True))
        inputs = inputs.drop_duplicates(["area_code", "period"])
        keep = [(a, p) not in taken for a, p in zip(inputs["area_code"].astype(str), inputs["period"],
                                                    strict=True)]
        inputs = inputs[keep]
        if inputs.empty:
            continue
        frames.append(pd.DataFrame({
            "area_code": inputs["area_code"].astype(str).to_numpy(), "indicator_id": ind.id,
            "period": inputs["period"].to_numpy(), "value": np.nan, "status": Status.IMPLAUSIBLE.value,
            "source_id": inputs["source_id"].astype(str).to_numpy(),
            "boundary_year": inputs["boundary_year"].to_numpy(),
            "method": ("berekend uit een niet-plausibele telling: "
                       + inputs["method"].astype(str)).to_numpy(),
        }))
    if not frames:
        return obs
    from gebiedsatlas.indicators.derive import concat_observations
    return concat_observations([obs, *frames])


def apply_minimum_base(obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Values whose base is below the indicator's minimum become ``too_small`` ("te kleine aantallen").

    The base is the base indicator of the same area and period; where that period has none, the
    nearest period of the same area (the 2012-2024 crime rates use the inhabitants of 2022 or 2024).
    """
    obs = _unique_index(obs)
    rules = {i.id: i.minimum_base for i in catalogue.indicators.values() if i.minimum_base}
    if not rules:
        return obs
    bases = {r.base for r in rules.values()}
    base_rows = _valued(obs, bases)[["area_code", "indicator_id", "period", "value"]].copy()
    base_rows["area_code"] = base_rows["area_code"].astype(str)
    base_rows["indicator_id"] = base_rows["indicator_id"].astype(str)
    marks: list[pd.Series] = []
    for indicator_id, rule in rules.items():
        rows = _valued(obs, [indicator_id])
        if rows.empty:
            continue
        base = base_rows[base_rows["indicator_id"] == rule.base]
        left = pd.DataFrame({"row": rows.index, "area_code": rows["area_code"].astype(str).to_numpy(),
                             "period": rows["period"].to_numpy().astype(np.int64)})
        right = pd.DataFrame({"area_code": base["area_code"].to_numpy(),
                              "period": base["period"].to_numpy().astype(np.int64),
                              "base": base["value"].to_numpy()})
        joined = pd.merge_asof(left.sort_values("period"), right.sort_values("period"), on="period",
                               by="area_code", direction="nearest")
        small = joined[joined["base"] < rule.minimum]
        if small.empty:
            continue
        label = catalogue[rule.base].label.lower()
        marks.append(pd.Series(
            [f"gebaseerd op {_nl(b, 0)} {label}; minder dan {_nl(rule.minimum, 0)} {label}"
             for b in small["base"]], index=pd.Index(small["row"])))
    if not marks:
        return obs
    reasons = pd.concat(marks)
    return _mark(obs, reasons.index, Status.TOO_SMALL, reasons)


# --- the quality report (from the store) -------------------------------------------------------------

@dataclass(frozen=True)
class QualityRow:
    area_code: str
    area_name: str
    indicator_id: str
    indicator_label: str
    period: int
    status: str
    reason: str

    def as_dict(self) -> dict:
        return {"area_code": self.area_code, "area_name": self.area_name, "indicator_id": self.indicator_id,
                "indicator_label": self.indicator_label, "period": self.period, "status": self.status,
                "reason": self.reason}


def quality_counts(session: Session) -> dict[str, dict[str, int]]:
    """Per status (implausible, too_small): the number of values per indicator."""
    from gebiedsatlas.store.models import Observation

    out: dict[str, dict[str, int]] = {Status.IMPLAUSIBLE.value: {}, Status.TOO_SMALL.value: {}}
    query = (select(Observation.status, Observation.indicator_id, func.count())
             .where(Observation.status.in_(list(out)))
             .group_by(Observation.status, Observation.indicator_id))
    for status, indicator_id, count in session.execute(query):
        out[status][indicator_id] = int(count)
    return out


def quality_rows(session: Session, status: str = Status.IMPLAUSIBLE.value, limit: int | None = None,
                 indicator_id: str | None = None) -> list[QualityRow]:
    """The values with ``status`` (implausible by default), each with the reason, sorted."""
    from gebiedsatlas.indicators.catalogue import load_catalogue
    from gebiedsatlas.store.models import Area, Observation

    catalogue = load_catalogue()
    query = (select(Observation.area_code, Area.name, Observation.indicator_id, Observation.period,
                    Observation.status, Observation.method)
             .join(Area, Area.code == Observation.area_code)
             .where(Observation.status == status)
             .order_by(Observation.indicator_id, Observation.period, Observation.area_code))
    if indicator_id:
        query = query.where(Observation.indicator_id == indicator_id)
    if limit:
        query = query.limit(limit)
    return [QualityRow(code, name, ind, catalogue[ind].label if ind in catalogue else ind, int(period), st,
                       method or "")
            for code, name, ind, period, st, method in session.execute(query)]
