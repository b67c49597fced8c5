"""What the woonprogramma pages and API show, as plain rows: per-wijk scenario tables with the
kwetsbaarheidsscore and low-income share beside them, the scenario comparison, and the section of the
area profile. The web layer only renders these."""

from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from gebiedsatlas.housing import projects as register
from gebiedsatlas.housing import scenarios as sc
from gebiedsatlas.housing import services
from gebiedsatlas.housing import stock as stock_mod
from gebiedsatlas.housing.vocab import SEGMENTS
from gebiedsatlas.store.models import Area, Observation

log = logging.getLogger(__name__)
LOW_INCOME = ("huishoudens_laag_inkomen", "laag_inkomen")


def vulnerability_by_wijk(session: Session, gemeente_code: str) -> dict[str, float]:
    """Kwetsbaarheidsscore per wijk of the gemeente (empty when the atlas cannot compute it)."""
    try:
        from gebiedsatlas.analysis.vulnerability import vulnerability

        result = vulnerability(session, "wijk", scope=gemeente_code)
    except Exception:  # no data for the components: the pages say "geen score"
        log.info("geen kwetsbaarheidsscore voor %s", gemeente_code, exc_info=True)
        return {}
    return {code: float(score) for code, score in result.table["score"].items() if score == score}


def low_income_by_wijk(session: Session, gemeente_code: str) -> tuple[str | None, dict[str, float]]:
    """The newest low-income share per wijk (the agreed household indicator if present, else persons)."""
    wijken = list(stock_mod.wijken_of(session, gemeente_code))
    for indicator in LOW_INCOME:
        rows = session.execute(select(Observation.area_code, Observation.period, Observation.value).where(
            Observation.indicator_id == indicator, Observation.area_code.in_(wijken),
            Observation.status.in_(stock_mod.WITH_VALUE), Observation.value.is_not(None)))
        latest: dict[str, tuple[int, float]] = {}
        for code, period, value in rows:
            if code not in latest or period > latest[code][0]:
                latest[code] = (period, value)
        if latest:
            return indicator, {c: v for c, (_p, v) in latest.items()}
    return None, {}


def wijk_rows(prog: services.Programme, projection: sc.Projection, vulnerability: dict[str, float],
              low_income: dict[str, float]) -> list[dict]:
    """Per wijk: social-rent (corporation) share at the start and end, the change, the movement against
    the per-wijk targets, one-sidedness, the score and the low-income share."""
    first, last = projection.years[0], projection.years[-1]
    ranges = [t for t in prog.targets if t.kind == "aandeel_voorraad" and t.per_wijk
              and sc.tenure_group(t.segment) == sc.SOCIAL]
    target = ranges[0] if ranges else None
    rows = []
    for code, w in prog.stock.wijken.items():
        before, after = projection.share(code, first), projection.share(code, last)
        koop_after = projection.share(code, last, "koop")
        one_sided = next((g for g in sc.GROUPS if (projection.share(code, last, g) or 0) >= 80), None)
        rows.append({"code": code, "naam": w.name, "woningen_start": projection.wijken[code][first]["totaal"],
                     "woningen_eind": projection.wijken[code][last]["totaal"], "sociaal_start": before,
                     "sociaal_eind": after, "verschil": None if before is None or after is None else after - before,
                     "koop_eind": koop_after, "eenzijdig": one_sided,
                     "beweging": sc.movement(before, after, target.min_share, target.max_share) if target else None,
                     "kwetsbaarheid": vulnerability.get(code), "laag_inkomen": low_income.get(code)})
    return sorted(rows, key=lambda r: r["naam"])


def spread_of_social_rent(rows: list[dict], projection: sc.Projection) -> dict:
    """Where the net change in social rent lands: in the more vulnerable half of the wijken (by score) or not."""
    scored = [r for r in rows if r["kwetsbaarheid"] is not None]
    if len(scored) < 2:
        return {"beschikbaar": False}
    ordered = sorted(scored, key=lambda r: -r["kwetsbaarheid"])
    vulnerable = {r["code"] for r in ordered[: len(ordered) // 2]}
    first, last = projection.years[0], projection.years[-1]
    change = {r["code"]: projection.wijken[r["code"]][last][sc.SOCIAL] - projection.wijken[r["code"]][first][sc.SOCIAL]
              for r in scored}
    return {"beschikbaar": True, "kwetsbare_helft": sum(v for c, v in change.items() if c in vulnerable),
            "andere_helft": sum(v for c, v in change.items() if c not in vulnerable), "wijken": len(scored)}


def comparison(prog: services.Programme) -> list[dict]:
    """One row per scenario: the gemeente's mix at the end, concentration, affordability, dwellings added."""
    out = []
    for projection in prog.projections:
        first, last = projection.years[0], projection.years[-1]
        c0, c1 = sc.concentration(projection, first), sc.concentration(projection, last)
        out.append({"naam": projection.spec.name, "risicogewogen": projection.spec.risk_weighted,
                    "uitgesloten": sorted(projection.spec.excluded_kinds), "jaar_start": first, "jaar_eind": last,
                    "sociaal_start": projection.share(None, first), "sociaal_eind": projection.share(None, last),
                    "koop_eind": projection.share(None, last, "koop"),
                    "particulier_eind": projection.share(None, last, "particulier"),
                    "woningen_erbij": projection.gemeente[last]["totaal"] - projection.gemeente[first]["totaal"],
                    "betaalbaar_nieuwbouw": sc.affordable_share(projection),
                    "dissimilariteit_start": c0["dissimilariteit"], "dissimilariteit_eind": c1["dissimilariteit"],
                    "kwart_start": c0["aandeel_kwart"], "kwart_eind": c1["aandeel_kwart"],
                    "projecten": projection.counted})
    return out


def pipeline_totals(projects: list[register.ProjectData]) -> dict:
    per_year = register.effects_per_year(projects)
    per_kind: dict[str, int] = defaultdict(int)
    for p in projects:
        per_kind[p.kind] += register.gross_effect(p)
    return {"per_jaar": per_year, "per_soort": dict(per_kind), "segmenten": list(SEGMENTS)}


def area_section(session: Session, code: str) -> dict:
    """Context for the "Woonprogramma" section of the area profile (gemeente, wijk or buurt)."""
    area = session.get(Area, code)
    if area is None or area.level not in ("gemeente", "wijk", "buurt"):
        return {"housing": None}
    gemeente = code if area.level == "gemeente" else "GM" + code[2:6]
    projects = register.projects_of(session, gemeente)
    if area.level == "wijk":
        projects = [p for p in projects if p.wijk_code == code]
    elif area.level == "buurt":
        projects = [p for p in projects if p.area_code == code]
    net: dict[str, int] = defaultdict(int)
    for p in projects:
        for segment, n in register.net_effect(p).items():
            net[segment] += n
    changes = stock_mod.stock_changes(session, gemeente) if area.level == "gemeente" else []
    latest = next((c for c in reversed(changes) if c.new_builds is not None), None)
    return {"housing": {"gemeente": gemeente, "level": area.level, "projects": len(projects), "net": dict(net),
                        "gross": sum(register.gross_effect(p) for p in projects), "latest_change": latest,
                        "segments": SEGMENTS}}
