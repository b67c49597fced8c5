"""The project register (pipeline): checking a project, its gross and net effects, slippage, and the
changes of the register (each one in the audit log, with the actor from the login).

The arithmetic works on ``ProjectData`` (plain values), so scenarios and the benchmark run without the
database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gebiedsatlas.accounts import audit
from gebiedsatlas.accounts.audit import Actor
from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.areas.names import resolve_area_name
from gebiedsatlas.errors import InputError
from gebiedsatlas.housing.vocab import DEFAULT_TO_SEGMENT, KINDS, MOVES, PHASES, SEGMENTS
from gebiedsatlas.store.agreements import Party
from gebiedsatlas.store.housing import Project, ProjectLine

MAX_DWELLINGS = 100_000  # per segment line: larger is a typing error, not a project
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class ProjectData:
    """A project as plain values. ``lines``: dwellings per segment (signed only for samenvoegen/splitsen)."""

    name: str
    gemeente_code: str
    area_code: str
    party_id: int
    kind: str
    phase: str
    planned_year: int
    lines: dict[str, int] = field(default_factory=dict)
    phase_since: date | None = None
    to_segment: str | None = None
    note: str = ""
    id: int | None = None
    scenario_id: int | None = None

    @property
    def wijk_code(self) -> str | None:
        """The wijk the project lies in (None when it is placed on the whole gemeente)."""
        if self.area_code.startswith("BU"):
            return "WK" + self.area_code[2:8]
        return self.area_code if self.area_code.startswith("WK") else None

    @property
    def target_segment(self) -> str | None:
        return (self.to_segment or DEFAULT_TO_SEGMENT.get(self.kind)) if self.kind in MOVES else None


def net_effect(project: ProjectData) -> dict[str, int]:
    """Change of the stock per segment when the project is delivered in full."""
    out: dict[str, int] = defaultdict(int)
    match project.kind:
        case "nieuwbouw" | "transformatie" | "samenvoegen_splitsen":
            for segment, n in project.lines.items():
                out[segment] += n
        case "sloop":
            for segment, n in project.lines.items():
                out[segment] -= n
        case "verkoop" | "liberalisatie":
            to = project.target_segment
            for segment, n in project.lines.items():
                out[segment] -= n
                out[to] += n
        case _:  # renovatie: the same dwellings, improved
            pass
    return {s: n for s, n in out.items() if n}


def gross_effect(project: ProjectData) -> int:
    """Dwellings the project touches (built, demolished, sold, liberalised, renovated…)."""
    return sum(abs(n) for n in project.lines.values())


def is_slipping(project: ProjectData, today: date) -> bool:
    """The planned year has passed and the phase has not changed since the end of that year."""
    if project.phase == "opgeleverd" or project.planned_year >= today.year:
        return False
    since = project.phase_since or date(MIN_YEAR, 1, 1)
    return since <= date(project.planned_year, 12, 31)


def effects_per_year(projects: Iterable[ProjectData]) -> dict[int, dict[str, int]]:
    """Gross and net effects per planned year: {year: {"bruto": n, "netto": n, <segment>: n}}."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in projects:
        row = out[p.planned_year]
        row["bruto"] += gross_effect(p)
        for segment, n in net_effect(p).items():
            row[segment] += n
            row["netto"] += n
    return {year: dict(out[year]) for year in sorted(out)}


# ---------------------------------------------------------------- checking input

def _int(value, file: str, row: int | None, column: str, low: int, high: int) -> int:
    text = str(value).strip() if value is not None else ""
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        raise InputError(file, "geen getal", row=row, column=column, expected=f"een geheel getal van {low} tot {high}",
                         found=text) from None
    if number != int(number) or not low <= number <= high:
        raise InputError(file, "ongeldig getal", row=row, column=column,
                         expected=f"een geheel getal van {low} tot {high}", found=text)
    return int(number)


def resolve_area(session: Session, gemeente_code: str, raw: str, file: str, row: int | None, column: str,
                 *, allow_prefix: bool = False) -> str:
    """A wijk or buurt of the gemeente (or the gemeente itself) by code, by name, or as the area picker
    writes it, "Naam (CODE)" (``areas.names``, shared with the prestatieafspraken).

    ``allow_prefix`` (the form) also takes the start of exactly one name; an import file must name an
    area exactly. A name that fits several areas, or one outside the gemeente, is refused in Dutch.
    """
    text = (raw or "").strip()
    if not text:
        raise InputError(file, "verplicht veld is leeg", row=row, column=column, expected="een wijk of buurt")
    if text.upper() == gemeente_code:
        return gemeente_code
    index = area_index(session)
    code, problem = resolve_area_name(index, gemeente_code, [Level.WIJK, Level.BUURT], text, "wijk of buurt",
                                      allow_prefix=allow_prefix)
    if problem:
        raise InputError(file, problem, row=row, column=column)
    info = index.get(code) if code else None
    gemeente = index.gemeente_of(code) if info else None
    if info is None or info.level not in (Level.WIJK, Level.BUURT) or gemeente is None \
            or gemeente.code != gemeente_code:
        home = index.get(gemeente_code)
        where = f" maar in {gemeente.name}" if gemeente is not None and gemeente.code != gemeente_code else ""
        raise InputError(file, f"{code} is geen wijk of buurt in {home.name if home else gemeente_code}{where}",
                         row=row, column=column, expected="een wijk of buurt van deze gemeente", found=text)
    return info.code


def resolve_party(session: Session, raw, file: str, row: int | None, column: str) -> int:
    text = str(raw or "").strip()
    if not text:
        raise InputError(file, "verplicht veld is leeg", row=row, column=column, expected="een partij")
    party = session.get(Party, int(text)) if text.isdigit() else session.scalar(select(Party).where(Party.name == text))
    if party is None:
        raise InputError(file, "onbekende partij", row=row, column=column, found=text)
    return party.id


def parse_project(session: Session, gemeente_code: str, raw: dict, file: str = "formulier", row: int | None = None,
                  today: date | None = None) -> ProjectData:
    """One project from a form or a spreadsheet row (keys as in ``io.COLUMNS``); ``InputError`` names the field."""
    name = str(raw.get("naam") or "").strip()
    if not name:
        raise InputError(file, "verplicht veld is leeg", row=row, column="naam", expected="de naam van het project")
    if len(name) > 200:
        raise InputError(file, "te lang", row=row, column="naam", expected="ten hoogste 200 tekens")
    kind = str(raw.get("soort") or "").strip().lower().replace("/", "_").replace(" ", "_")
    if kind not in KINDS:
        raise InputError(file, "onbekende soort", row=row, column="soort", expected=", ".join(KINDS.values()),
                         found=raw.get("soort"))
    phase = str(raw.get("fase") or "").strip().lower().replace(" ", "_")
    if phase not in PHASES:
        raise InputError(file, "onbekende fase", row=row, column="fase", expected=", ".join(PHASES.values()),
                         found=raw.get("fase"))
    year = _int(raw.get("opleverjaar"), file, row, "opleverjaar", MIN_YEAR, MAX_YEAR)
    lines: dict[str, int] = {}
    signed = kind == "samenvoegen_splitsen"
    for segment in SEGMENTS:
        value = raw.get(segment)
        if value is None or str(value).strip() == "":
            continue
        n = _int(value, file, row, segment, -MAX_DWELLINGS if signed else 0, MAX_DWELLINGS)
        if n:
            lines[segment] = n
    if not lines:
        raise InputError(file, "geen woningen", row=row, column="sociale_huur",
                         expected="het aantal woningen in ten minste één segment")
    to_segment = str(raw.get("naar_segment") or "").strip() or None
    if to_segment is not None:
        if kind not in MOVES:
            raise InputError(file, "alleen bij verkoop of liberalisatie", row=row, column="naar_segment",
                             found=to_segment)
        if to_segment not in SEGMENTS:
            raise InputError(file, "onbekend segment", row=row, column="naar_segment", expected=", ".join(SEGMENTS),
                             found=to_segment)
    if kind in MOVES and (to_segment or DEFAULT_TO_SEGMENT[kind]) in lines:
        raise InputError(file, "woningen gaan naar hun eigen segment", row=row, column="naar_segment",
                         expected="een ander segment dan dat van de woningen")
    since = raw.get("fase_sinds")
    if isinstance(since, str) and since.strip():
        try:
            since = date.fromisoformat(since.strip()[:10])
        except ValueError:
            raise InputError(file, "geen datum", row=row, column="fase_sinds", expected="JJJJ-MM-DD",
                             found=since) from None
    elif hasattr(since, "date") and not isinstance(since, date):
        since = since.date()
    elif hasattr(since, "year") and isinstance(since, date):
        since = date(since.year, since.month, since.day)
    else:
        since = None
    note = str(raw.get("toelichting") or "").strip()
    if len(note) > 2000:
        raise InputError(file, "te lang", row=row, column="toelichting", expected="ten hoogste 2000 tekens")
    return ProjectData(name=name, gemeente_code=gemeente_code,
                       area_code=resolve_area(session, gemeente_code, str(raw.get("gebied") or ""), file, row,
                                                "gebied", allow_prefix=file == "formulier"),
                       party_id=resolve_party(session, raw.get("partij"), file, row, "partij"), kind=kind,
                       phase=phase, planned_year=year, lines=lines, phase_since=since or today, to_segment=to_segment,
                       note=note)


# ---------------------------------------------------------------- the register

def data_of(project: Project) -> ProjectData:
    return ProjectData(name=project.name, gemeente_code=project.gemeente_code, area_code=project.area_code,
                       party_id=project.party_id, kind=project.kind, phase=project.phase,
                       planned_year=project.planned_year, lines={ln.segment: ln.dwellings for ln in project.lines},
                       phase_since=project.phase_since, to_segment=project.to_segment, note=project.note,
                       id=project.id, scenario_id=project.scenario_id)


def projects_of(session: Session, gemeente_code: str | None = None, scenario_ids: Iterable[int] = ()
                ) -> list[ProjectData]:
    """The register (and the hypothetical projects of the given scenarios), read as plain rows: two
    queries, no ORM objects (a gemeente may hold thousands of projects)."""
    ids = list(scenario_ids)
    columns = (Project.id, Project.name, Project.gemeente_code, Project.area_code, Project.party_id, Project.kind,
               Project.phase, Project.planned_year, Project.phase_since, Project.to_segment, Project.note,
               Project.scenario_id)
    where = [Project.scenario_id.is_(None) | Project.scenario_id.in_(ids) if ids else Project.scenario_id.is_(None)]
    if gemeente_code:
        where.append(Project.gemeente_code == gemeente_code)
    rows = session.execute(select(*columns).where(*where).order_by(Project.planned_year, Project.name, Project.id))
    lines: dict[int, dict[str, int]] = defaultdict(dict)
    line_rows = session.execute(select(ProjectLine.project_id, ProjectLine.segment, ProjectLine.dwellings)
                                .join(Project, Project.id == ProjectLine.project_id).where(*where))
    for project_id, segment, dwellings in line_rows:
        lines[project_id][segment] = dwellings
    return [ProjectData(name=name, gemeente_code=gm, area_code=area, party_id=party, kind=kind, phase=phase,
                        planned_year=year, lines=dict(sorted(lines[pid].items())), phase_since=since,
                        to_segment=to, note=note or "", id=pid, scenario_id=scenario)
            for pid, name, gm, area, party, kind, phase, year, since, to, note, scenario in rows]


def _describe(data: ProjectData) -> str:
    lines = ", ".join(f"{SEGMENTS[s]} {n}" for s, n in data.lines.items())
    return f"{data.name}: {KINDS[data.kind]}, {PHASES[data.phase]}, {data.planned_year} ({lines})"


def create(session: Session, data: ProjectData, actor: Actor) -> Project:
    now = audit.now()
    project = Project(name=data.name, gemeente_code=data.gemeente_code, area_code=data.area_code,
                      party_id=data.party_id, kind=data.kind, phase=data.phase, planned_year=data.planned_year,
                      phase_since=data.phase_since or now.date(), to_segment=data.to_segment, note=data.note,
                      scenario_id=data.scenario_id, created_at=now, updated_at=now, lock_version=1,
                      lines=[ProjectLine(segment=s, dwellings=n) for s, n in data.lines.items()])
    session.add(project)
    session.flush()
    audit.record(session, actor, "woonprogramma.project", object_type="project", object_id=project.id,
                 detail="nieuw: " + _describe(data))
    return project


class StaleEdit(Exception):
    """Someone else saved the project after this form was loaded."""


def update(session: Session, project: Project, data: ProjectData, actor: Actor, lock_version: int | None = None
           ) -> Project:
    """Change a project; a new phase restarts its ``phase_since`` (what slippage is measured from)."""
    if lock_version is not None and lock_version != project.lock_version:
        raise StaleEdit
    old = _describe(data_of(project))
    if data.phase != project.phase:
        project.phase_since = audit.now().date()
    for name in ("name", "area_code", "party_id", "kind", "phase", "planned_year", "to_segment", "note"):
        setattr(project, name, getattr(data, name))
    project.lines = [ProjectLine(segment=s, dwellings=n) for s, n in data.lines.items()]
    project.updated_at = audit.now()
    project.lock_version += 1
    session.flush()
    audit.record(session, actor, "woonprogramma.project", object_type="project", object_id=project.id,
                 old=old, new=_describe(data_of(project)))
    return project


def with_year(project: ProjectData, year: int) -> ProjectData:
    return replace(project, planned_year=year)
