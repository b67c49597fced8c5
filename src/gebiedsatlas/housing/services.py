"""The woonprogramma of one gemeente put together (stock, targets, pipeline, scenarios), and the
changes that are not a project: scenarios, half-yearly snapshots and the links to prestatieafspraken."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gebiedsatlas.accounts import audit
from gebiedsatlas.accounts.audit import Actor
from gebiedsatlas.agreements import services as agreements_services
from gebiedsatlas.errors import InputError
from gebiedsatlas.housing import projects as register
from gebiedsatlas.housing import scenarios as sc
from gebiedsatlas.housing import stock as stock_mod
from gebiedsatlas.housing import targets as targets_mod
from gebiedsatlas.housing.vocab import DEFAULT_RATES, KINDS, PHASE_ORDER, PHASES
from gebiedsatlas.store.agreements import Agreement, AgreementParty, Commitment, Party
from gebiedsatlas.store.housing import CommitmentProject, Project, Scenario, Snapshot, TargetAdoption

HORIZON = 10


class SnapshotExists(ValueError):
    """The half-year is already frozen."""


def gemeente_party(session: Session, gemeente_code: str) -> Party | None:
    return session.scalar(select(Party).where(Party.kind == "gemeente", Party.gemeente_code == gemeente_code))


def gemeente_party_ids(session: Session, gemeente_code: str) -> frozenset[int]:
    """Parties that plan in this gemeente: the gemeente, the parties of its agreements, project owners."""
    ids = {p.id for p in [gemeente_party(session, gemeente_code)] if p is not None}
    ids |= set(session.scalars(select(AgreementParty.party_id).join(Agreement)
                               .where(Agreement.gemeente_code == gemeente_code)))
    ids |= set(session.scalars(select(Project.party_id).where(Project.gemeente_code == gemeente_code)))
    return frozenset(ids)


# ---------------------------------------------------------------- scenarios

def default_specs() -> list[sc.ScenarioSpec]:
    return [sc.ScenarioSpec("Zoals gepland", risk_weighted=False), sc.ScenarioSpec("Risicogewogen")]


def stored_specs(session: Session, gemeente_code: str) -> list[tuple[Scenario, sc.ScenarioSpec]]:
    rows = session.scalars(select(Scenario).where(Scenario.gemeente_code == gemeente_code).order_by(Scenario.id))
    return [(row, sc.ScenarioSpec(row.name, row.risk_weighted, frozenset(row.excluded_kinds or []), row.rates, row.id))
            for row in rows]


def parse_scenario(raw: dict) -> dict:
    name = str(raw.get("name") or "").strip()
    if not 2 <= len(name) <= 200:
        raise InputError("formulier", "naam ontbreekt of is te lang", column="name", expected="2 tot 200 tekens")
    excluded = [k for k in raw.get("excluded_kinds") or [] if k]
    unknown = [k for k in excluded if k not in KINDS]
    if unknown:
        raise InputError("formulier", "onbekende soort", column="excluded_kinds", expected=", ".join(KINDS),
                         found=unknown[0])
    rates = {}
    for phase in PHASES:
        value = str(raw.get(f"rate_{phase}") or "").strip().replace(",", ".")
        if not value:
            continue
        try:
            rate = float(value)
        except ValueError:
            rate = -1
        if not 0 <= rate <= 100:
            raise InputError("formulier", "geen percentage", column=f"rate_{phase}", expected="0 tot 100", found=value)
        rates[phase] = rate / 100
    return {"name": name, "risk_weighted": str(raw.get("mode") or "risico") != "gepland",
            "excluded_kinds": sorted(excluded), "rates": rates or None,
            "description": str(raw.get("description") or "").strip()[:2000]}


def create_scenario(session: Session, gemeente_code: str, values: dict, actor: Actor) -> Scenario:
    if session.scalar(select(Scenario.id).where(Scenario.gemeente_code == gemeente_code,
                                                Scenario.name == values["name"])):
        raise InputError("formulier", "er is al een scenario met deze naam", column="name", found=values["name"])
    row = Scenario(gemeente_code=gemeente_code, created_at=audit.now(), created_by=actor.user, **values)
    session.add(row)
    session.flush()
    audit.record(session, actor, "woonprogramma.scenario", object_type="scenario", object_id=row.id,
                 detail=f"{gemeente_code}: {row.name}")
    return row


@dataclass
class Programme:
    gemeente_code: str
    stock: stock_mod.GemeenteStock
    targets: list[targets_mod.Target]
    projects: list[register.ProjectData]
    projections: list[sc.Projection] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    today: date = field(default_factory=date.today)

    @property
    def slipping(self) -> set[int]:
        return {p.id for p in self.projects if p.id is not None and register.is_slipping(p, self.today)}


def base_mix(stock: stock_mod.GemeenteStock) -> dict[str, dict[str, float]]:
    if stock.level == "gemeente" and stock.gemeente is not None:
        return {stock.gemeente_code: {**stock.gemeente.tenure, "totaal": stock.gemeente.total}}
    return {code: {**w.tenure, "totaal": w.total} for code, w in stock.wijken.items()}


def programme(session: Session, gemeente_code: str, today: date | None = None, horizon: int = HORIZON) -> Programme:
    today = today or audit.now().date()
    stock = stock_mod.cbs_stock(session, gemeente_code)
    stored = stored_specs(session, gemeente_code)
    projects = register.projects_of(session, gemeente_code, [row.id for row, _ in stored])
    out = Programme(gemeente_code, stock, targets_mod.current_targets(session, gemeente_code), projects,
                    scenarios=[row for row, _ in stored], today=today)
    if stock.year is not None:
        base = base_mix(stock)
        for spec in [*default_specs(), *(spec for _, spec in stored)]:
            projection = sc.project(base, stock.year, horizon, projects, spec, today)
            if stock.level == "gemeente":
                # Only the gemeente as a whole: every project counts in ``projection.gemeente``; there is
                # no per-wijk series to show (a wijk row would be the gemeente without its projects).
                projection.wijken = {}
            out.projections.append(projection)
    return out


def target_rows(prog: Programme, projection: sc.Projection) -> list[dict]:
    """Each target against one scenario: value now, at the end, and where it moves."""
    rows = []
    first, last = projection.years[0], projection.years[-1]
    for t in prog.targets:
        row = {"target": t, "wijken": []}
        if t.kind == "aandeel_voorraad":
            group = sc.tenure_group(t.segment)
            if t.per_wijk and t.scope_kind != "wijk" and not projection.wijken:
                # gemeente level only (no tenure per wijk yet): the whole gemeente against the range, labelled
                before, after = projection.share(None, first, group), projection.share(None, last, group)
                row.update(voor=before, na=after, beweging=sc.movement(before, after, t.min_share, t.max_share),
                           op_gemeenteniveau=True)
            elif t.per_wijk or t.scope_kind == "wijk":
                codes = [t.scope_code] if t.scope_kind == "wijk" else list(projection.wijken)
                for code in codes:
                    if code not in projection.wijken:
                        continue
                    before, after = projection.share(code, first, group), projection.share(code, last, group)
                    row["wijken"].append({"code": code, "voor": before, "na": after,
                                          "beweging": sc.movement(before, after, t.min_share, t.max_share)})
            else:
                before, after = projection.share(None, first, group), projection.share(None, last, group)
                row.update(voor=before, na=after, beweging=sc.movement(before, after, t.min_share, t.max_share))
        elif t.kind == "aandeel_nieuwbouw":
            years = [y for y in projection.years[1:] if (t.year_from or 0) <= y <= (t.year_to or 9999)]
            share = sc.affordable_share(projection, years) if t.segment == "betaalbaar" else None
            row.update(na=share, beweging="onbekend" if share is None else
                       ("binnen doel" if share >= (t.share or 0) else "onder doel"))
        else:
            years = [y for y in projection.years[1:] if (t.year_from or 0) <= y <= (t.year_to or 9999)]
            per_year = {y: projection.net.get(y, 0.0) for y in years}
            row.update(per_jaar=per_year, beweging="per jaar")
        rows.append(row)
    return rows


# ---------------------------------------------------------------- snapshots

def half_year(day: date) -> str:
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def _frozen(p: register.ProjectData) -> dict:
    return {"id": p.id, "naam": p.name, "gebied": p.area_code, "partij": p.party_id, "soort": p.kind, "fase": p.phase,
            "opleverjaar": p.planned_year, "woningen": p.lines}


def take_snapshot(session: Session, gemeente_code: str, actor: Actor, today: date | None = None) -> Snapshot:
    label = half_year(today or audit.now().date())
    if session.scalar(select(Snapshot.id).where(Snapshot.gemeente_code == gemeente_code, Snapshot.label == label)):
        raise SnapshotExists(f"Het peilmoment {label} is al vastgelegd; het wordt niet overschreven.")
    row = Snapshot(gemeente_code=gemeente_code, label=label, taken_at=audit.now(), taken_by=actor.user,
                   projects=[_frozen(p) for p in register.projects_of(session, gemeente_code)])
    session.add(row)
    session.flush()
    audit.record(session, actor, "woonprogramma.peilmoment", object_type="peilmoment", object_id=row.id,
                 detail=f"{gemeente_code} {label}: {len(row.projects)} projecten")
    return row


def snapshots(session: Session, gemeente_code: str) -> list[Snapshot]:
    return list(session.scalars(select(Snapshot).where(Snapshot.gemeente_code == gemeente_code)
                                .order_by(Snapshot.label.desc())))


def slippage(snapshot: Snapshot, current: list[register.ProjectData]) -> list[dict]:
    """What changed since the snapshot: later (or earlier) years, phases back, dwellings, projects gone."""
    now = {p.id: p for p in current}
    out = []
    for then in snapshot.projects:
        p = now.get(then["id"])
        if p is None:
            out.append({"naam": then["naam"], "wat": "niet meer in het register", "id": then["id"]})
            continue
        changes = []
        if p.planned_year != then["opleverjaar"]:
            shift = p.planned_year - then["opleverjaar"]
            changes.append(f"opleverjaar {then['opleverjaar']} → {p.planned_year} ({shift:+d} jaar)")
        if p.phase != then["fase"]:
            back = PHASE_ORDER.index(p.phase) < PHASE_ORDER.index(then["fase"])
            changes.append(f"fase {PHASES[then['fase']]} → {PHASES[p.phase]}" + (" (terug)" if back else ""))
        if sum(abs(v) for v in p.lines.values()) != sum(abs(v) for v in then["woningen"].values()):
            changes.append(f"woningen {sum(abs(v) for v in then['woningen'].values())} → "
                           f"{sum(abs(v) for v in p.lines.values())}")
        if changes:
            out.append({"naam": p.name, "wat": "; ".join(changes), "id": p.id,
                        "later": p.planned_year > then["opleverjaar"]})
    return out


# ---------------------------------------------------------------- prestatieafspraken

def linked_projects(session: Session, commitment_id: int) -> list[Project]:
    return list(session.scalars(select(Project).join(CommitmentProject, CommitmentProject.project_id == Project.id)
                                .where(CommitmentProject.commitment_id == commitment_id)
                                .order_by(Project.planned_year)))


def link_projects(session: Session, commitment: Commitment, project_ids: list[int], actor: Actor) -> int:
    """Point an output commitment to pipeline projects of its gemeente (replaces the earlier links)."""
    agreement = session.get(Agreement, commitment.agreement_id)
    if commitment.target_kind != "output":
        raise InputError("formulier", "alleen een afspraak met een aantal (output) kan naar projecten wijzen",
                         column="project_ids")
    for pid in project_ids:
        project = session.get(Project, pid)
        if project is None or project.gemeente_code != agreement.gemeente_code or project.scenario_id is not None:
            raise InputError("formulier", "onbekend project in deze gemeente", column="project_ids", found=pid)
    session.execute(delete(CommitmentProject).where(CommitmentProject.commitment_id == commitment.id))
    session.add_all(CommitmentProject(commitment_id=commitment.id, project_id=pid) for pid in sorted(set(project_ids)))
    session.flush()
    audit.record(session, actor, "woonprogramma.koppeling", object_type="afspraak", object_id=commitment.id,
                 agreement_id=agreement.id, detail="projecten: " + (", ".join(map(str, sorted(set(project_ids))))
                                                                    or "geen"))
    return len(set(project_ids))


def apply_realisation(session: Session, commitment: Commitment, year: int, value: float, actor: Actor) -> list[int]:
    """What a realisation of ``value`` dwellings in ``year`` does to the linked projects (docs/housing.md,
    "Realisatie en projecten"): linked projects already delivered in ``year`` count against the number
    first (so a corrected report never delivers twice); then open linked projects planned up to ``year``,
    earliest first, are marked opgeleverd with ``year`` as their delivery year, as far as the number covers
    all of their dwellings. A lower correction undoes nothing (change the project in the register).
    Returns the ids of the projects marked opgeleverd now."""
    delivered: list[int] = []
    linked = linked_projects(session, commitment.id)
    remaining = value - sum(register.gross_effect(register.data_of(p)) for p in linked
                            if p.phase == "opgeleverd" and p.planned_year == year)
    for project in sorted(linked, key=lambda p: (p.planned_year, p.id)):
        if project.phase == "opgeleverd" or project.planned_year > year:
            continue
        data = register.data_of(project)
        size = register.gross_effect(data)
        if size > remaining:
            break
        remaining -= size
        register.update(session, project, register.ProjectData(**{**data.__dict__, "phase": "opgeleverd",
                                                                    "planned_year": year}), actor)
        delivered.append(project.id)
    if delivered:
        audit.record(session, actor, "woonprogramma.realisatie", object_type="afspraak", object_id=commitment.id,
                     agreement_id=commitment.agreement_id,
                     detail=f"realisatie {year}: {value:g} woningen; opgeleverd: "
                            + ", ".join(map(str, delivered)))
    return delivered


def apply_reported_realisations(session: Session, reported: list[tuple[Commitment, int, float]],
                                actor: Actor) -> None:
    """The hook agreements calls after realisations are reported: update the linked projects of the
    output commitments that have any (one query finds those, so a bulk import of other commitments
    costs nothing more)."""
    ids = {c.id for c, _, _ in reported if c.target_kind == "output"}
    if not ids:
        return
    linked: set[int] = set()
    for chunk in [sorted(ids)[i:i + 500] for i in range(0, len(ids), 500)]:
        linked |= set(session.scalars(select(CommitmentProject.commitment_id)
                                      .where(CommitmentProject.commitment_id.in_(chunk)).distinct()))
    for commitment, year, value in sorted(reported, key=lambda r: (r[0].id, r[1])):
        if commitment.id in linked and value is not None:
            apply_realisation(session, commitment, year, value, actor)


agreements_services.on_realisations(apply_reported_realisations)


def programme_effect(session: Session, commitment: Commitment) -> dict[int, int]:
    """Dwellings of the linked projects per planned year (what the programme says the commitment yields)."""
    out: dict[int, int] = {}
    for project in linked_projects(session, commitment.id):
        out[project.planned_year] = out.get(project.planned_year, 0) + register.gross_effect(register.data_of(project))
    return dict(sorted(out.items()))


def commitment_programme(session: Session, commitment: Commitment) -> dict:
    """What the agreement page shows of the woonprogramma: the linked projects (phase, delivery year,
    dwellings), their dwellings per year, and the target the commitment adopted (if any)."""
    projects = [{"id": p.id, "name": p.name, "phase": PHASES.get(p.phase, p.phase), "year": p.planned_year,
                 "dwellings": register.gross_effect(register.data_of(p))}
                for p in linked_projects(session, commitment.id)]
    return {"projects": projects, "effect": programme_effect(session, commitment),
            "adopted": adopted_target(session, commitment.id)}


def adopt_target(session: Session, target: targets_mod.Target, agreement: Agreement, party_ids: list[int],
                 actor: Actor) -> Commitment:
    """Adopt a woonprogramma target as a commitment of an (unlocked) agreement.

    The link is stored on the commitment side (``housing_target_adoption``): the target itself is not
    touched, so adopting a national default never adds a version of it (only a system administrator may)."""
    agreements = agreements_services
    raw = {"text": f"{target.label} ({target.text}; bron: {target.source_kind}).", "theme": "beschikbaarheid",
           "party_ids": party_ids, "target_kind": "none"}
    if target.kind == "volume" and target.volume:
        years = range(max(agreement.period_start, target.year_from or agreement.period_start),
                      min(agreement.period_end, target.year_to or agreement.period_end) + 1)
        raw.update(target_kind="output", output_unit="woningen",
                   year_targets="; ".join(f"{y}: {target.volume}" for y in years))
    commitment = agreements.add_commitment(session, agreement, agreements.parse_commitment(session, agreement, raw),
                                           actor)
    session.add(TargetAdoption(commitment_id=commitment.id, target_key=target.key, target_version=target.version or 0,
                               adopted_at=audit.now(), adopted_by=actor.user))
    session.flush()
    audit.record(session, actor, "woonprogramma.doel_overgenomen", object_type="afspraak", object_id=commitment.id,
                 agreement_id=agreement.id,
                 detail=f"doel {target.key} (versie {target.version or 0}) overgenomen als afspraak {commitment.id}")
    return commitment


def adopted_target(session: Session, commitment_id: int) -> TargetAdoption | None:
    """The target a commitment adopted, if any."""
    return session.get(TargetAdoption, commitment_id)


def adoptions(session: Session, key: str) -> list[TargetAdoption]:
    """Every commitment that adopted the target ``key`` (a national default may be adopted by many)."""
    return list(session.scalars(select(TargetAdoption).where(TargetAdoption.target_key == key)
                                .order_by(TargetAdoption.commitment_id)))


RATES_DOC = {phase: f"{rate:.0%}".replace(".", ",") for phase, rate in DEFAULT_RATES.items()}
