"""Woonprogramma pages, exports and JSON API: per gemeente the stock, targets, pipeline and scenarios
(``/woonprogramma/<gemeente>``), the project register with CSV/Excel import and export, a party's own
stock upload, half-yearly snapshots, the links to prestatieafspraken and a printable scenario comparison.

Every write route declares one ``Permit``; the domain (``gebiedsatlas.housing``) does the work.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gebiedsatlas.accounts.permissions import Action, Target, decide
from gebiedsatlas.agreements.access import agreement_target, commitment_target
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.errors import InputError
from gebiedsatlas.housing import io as housing_io
from gebiedsatlas.housing import projects as register
from gebiedsatlas.housing import services, summary
from gebiedsatlas.housing import stock as stock_mod
from gebiedsatlas.housing import targets as targets_mod
from gebiedsatlas.housing.vocab import (
    DEFAULT_RATES,
    KINDS,
    PHASES,
    SCOPE_KINDS,
    SEGMENTS,
    TARGET_KINDS,
    TARGET_SEGMENTS,
    TARGET_SOURCES,
    TENURES,
)
from gebiedsatlas.store.agreements import Agreement, Commitment, Party
from gebiedsatlas.store.housing import PartyStockUpload, Project, Scenario
from gebiedsatlas.store.models import Area
from gebiedsatlas.web import uploads
from gebiedsatlas.web.auth import Guarded, Permit, current_principal
from gebiedsatlas.web.deps import get_or_404, get_session
from gebiedsatlas.web.exports import csv_response
from gebiedsatlas.web.templating import NAVIGATION, templates

router = APIRouter()
SessionDep = Annotated[Session, Depends(get_session)]
MAX_UPLOAD_BYTES = 10 * 2**20
if ("/woonprogramma", "Woonprogramma") not in NAVIGATION:
    NAVIGATION.append(("/woonprogramma", "Woonprogramma"))

VOCAB = {"SEGMENTS": SEGMENTS, "KINDS": KINDS, "PHASES": PHASES, "TENURES": TENURES, "TARGET_KINDS": TARGET_KINDS,
         "TARGET_SEGMENTS": TARGET_SEGMENTS, "SCOPE_KINDS": SCOPE_KINDS, "TARGET_SOURCES": TARGET_SOURCES,
         "DEFAULT_RATES": DEFAULT_RATES}


def _render(request: Request, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, f"housing/{name}", {**VOCAB, **context}, status_code=status_code)


def _gemeente(session: Session, code: str) -> Area:
    area = session.get(Area, code.strip().upper()[:16])
    if area is None or area.level != "gemeente":
        raise HTTPException(404, f"Er is geen gemeente met de code {code!r}.")
    return area


def _may(request: Request, action: Action, target: Target) -> bool:
    return decide(current_principal(request), action, target).allowed


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _parties(session: Session) -> list[Party]:
    return list(session.scalars(select(Party).where(Party.is_demo.is_(False)).order_by(Party.kind, Party.name)))


def _own_party_ids(request: Request) -> frozenset[int]:
    return current_principal(request).party_ids


# ---------------------------------------------------------------- target loaders

def _path_gemeente(request: Request) -> str:
    return str(request.path_params.get("gemeente_code", "")).strip().upper()[:16]


def gemeente_target(request: Request, session: Session) -> Target:
    code = _path_gemeente(request)
    _gemeente(session, code)
    party = services.gemeente_party(session, code)
    return Target(kind="gemeente", id=code, party_ids=frozenset({party.id}) if party else frozenset())


def planning_target(request: Request, session: Session) -> Target:
    code = _path_gemeente(request)
    _gemeente(session, code)
    return Target(kind="gemeente", id=code, party_ids=services.gemeente_party_ids(session, code))


async def new_project_target(request: Request, session: Session) -> Target:
    _gemeente(session, _path_gemeente(request))
    form = await request.form()
    raw = str(form.get("partij") or "")
    return Target(kind="project", party_ids=frozenset({int(raw)}) if raw.isdigit() and len(raw) < 10 else frozenset())


async def api_project_target(request: Request, session: Session) -> Target:
    _gemeente(session, _path_gemeente(request))
    try:
        body = await request.json()
    except ValueError:
        body = None
    raw = str(body.get("partij") or "") if isinstance(body, dict) else ""
    return Target(kind="project", party_ids=frozenset({int(raw)}) if raw.isdigit() and len(raw) < 10 else frozenset())


def project_target(request: Request, session: Session) -> Target:
    project = get_or_404(session, Project, request.path_params["project_id"], "Onbekend project.")
    return Target(kind="project", id=project.id, party_ids=frozenset({project.party_id}))


def stock_party_target(request: Request, session: Session) -> Target:
    party = get_or_404(session, Party, request.path_params["party_id"], "Onbekende partij.")
    return Target(kind="partij", id=party.id, party_ids=frozenset({party.id}))


async def housing_target_target(request: Request, session: Session) -> Target:
    target = gemeente_target(request, session)
    form = await request.form()
    if str(form.get("scope_kind") or "") == "elke_gemeente":  # a national default: system administrators
        return Target(kind="doel", id=target.id, state="landelijk")
    return Target(kind="doel", id=target.id, state="gemeente", party_ids=target.party_ids)


def scenario_target(request: Request, session: Session) -> Target:
    scenario = get_or_404(session, Scenario, request.path_params["scenario_id"], "Onbekend scenario.")
    return Target(kind="scenario", id=scenario.id,
                  party_ids=services.gemeente_party_ids(session, scenario.gemeente_code))


def commitment_link_target(request: Request, session: Session) -> Target:
    return commitment_target(get_or_404(session, Commitment, request.path_params["commitment_id"],
                                         "Onbekende afspraak."))


async def adopt_target_target(request: Request, session: Session) -> Target:
    form = await request.form()
    raw = str(form.get("agreement_id") or "")
    agreement = session.get(Agreement, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if agreement is None:
        raise HTTPException(404, "Onbekende prestatieafspraken.")
    return agreement_target(agreement)


# ---------------------------------------------------------------- overview pages

@router.get("/woonprogramma", response_class=HTMLResponse, include_in_schema=False)
def index_page(request: Request, session: SessionDep):
    index = area_index(session)
    nta = index.sets.get("nta")
    codes = list(nta.members) if nta else []
    gemeenten = sorted((index.areas[c] for c in codes if c in index.areas), key=lambda a: a.name)
    return _render(request, "index.html", {"gemeenten": gemeenten})


def _programme_context(request: Request, session: Session, area: Area, scenario_index: int = 1) -> dict:
    prog = services.programme(session, area.code)
    projection = prog.projections[min(scenario_index, len(prog.projections) - 1)] if prog.projections else None
    rows, spread, low_id = [], {"beschikbaar": False}, None
    if projection is not None:
        low_id, low = summary.low_income_by_wijk(session, area.code)
        rows = summary.wijk_rows(prog, projection, summary.vulnerability_by_wijk(session, area.code), low)
        spread = summary.spread_of_social_rent(rows, projection)
    parties = {p.id: p.name for p in _parties(session)}
    party_stock = stock_mod.party_stock_per_wijk(session, area.code)
    target = Target(kind="gemeente", id=area.code, party_ids=services.gemeente_party_ids(session, area.code))
    own = services.gemeente_party(session, area.code)
    return {
        "area": area, "prog": prog, "projection": projection, "scenario_index": scenario_index,
        "comparison": summary.comparison(prog), "wijk_rows": rows, "spread": spread, "low_income_id": low_id,
        "target_rows": services.target_rows(prog, projection) if projection else [],
        "changes": stock_mod.stock_changes(session, area.code), "new_builds_wijk":
            stock_mod.new_builds_per_wijk(session, area.code), "parties": parties, "party_stock": party_stock,
        "pipeline": summary.pipeline_totals([p for p in prog.projects if p.scenario_id is None]),
        "slipping": prog.slipping, "may_scenario": _may(request, Action.EDIT_SCENARIO, target),
        "may_snapshot": _may(request, Action.TAKE_SNAPSHOT, Target(
            kind="gemeente", party_ids=frozenset({own.id}) if own else frozenset())),
        "may_target": _may(request, Action.EDIT_HOUSING_TARGET, Target(
            kind="doel", state="gemeente", party_ids=frozenset({own.id}) if own else frozenset())),
        "editable_parties": [p for p in _parties(session) if _may(
            request, Action.EDIT_PROJECT, Target(kind="project", party_ids=frozenset({p.id})))],
        "wijken": stock_mod.wijken_of(session, area.code),
        "corporations": [p for p in _parties(session) if p.kind == "woningcorporatie"],
        "map_data": {"wijken": {r["code"]: _map_entry(r) for r in rows}},
        "tile_url": request.app.state.settings.tile_url,
    }


def _map_entry(row: dict) -> dict:
    """Class and tooltip text of one wijk on the woonprogramma map (the same figures as the table)."""
    def pct(value) -> str:
        return "geen gegevens" if value is None else f"{value:.1f}%".replace(".", ",")

    if row["beweging"] and row["beweging"] != "onbekend":
        klasse = row["beweging"]
    elif row["verschil"] is None:
        klasse = None
    else:
        klasse = "meer" if row["verschil"] > 0.05 else "minder" if row["verschil"] < -0.05 else "gelijk"
    text = f"corporatiebezit {pct(row['sociaal_start'])} → {pct(row['sociaal_eind'])}"
    return {"klasse": klasse, "label": text + (f" ({row['beweging']})" if row["beweging"] else "")}


@router.get("/woonprogramma/{gemeente_code}", response_class=HTMLResponse, include_in_schema=False)
def gemeente_page(request: Request, session: SessionDep, gemeente_code: str, scenario: int = 1):
    area = _gemeente(session, gemeente_code)
    return _render(request, "gemeente.html", {**_programme_context(request, session, area, max(0, min(scenario, 50))),
                                               "message": request.query_params.get("melding")})


@router.get("/woonprogramma/{gemeente_code}/vergelijking", response_class=HTMLResponse, include_in_schema=False)
def comparison_page(request: Request, session: SessionDep, gemeente_code: str):
    """The printable scenario comparison (A4: the print style sheet hides navigation and forms)."""
    area = _gemeente(session, gemeente_code)
    return _render(request, "comparison.html", _programme_context(request, session, area))


@router.get("/woonprogramma/{gemeente_code}/projecten", response_class=HTMLResponse, include_in_schema=False)
def projects_page(request: Request, session: SessionDep, gemeente_code: str):
    area = _gemeente(session, gemeente_code)
    projects = register.projects_of(session, area.code)
    prog_today = services.programme(session, area.code).today
    return _render(request, "projects.html", {
        "area": area, "projects": projects, "parties": {p.id: p.name for p in _parties(session)},
        "slipping": {p.id for p in projects if register.is_slipping(p, prog_today)},
        "errors": [], "result": request.query_params.get("melding"),
        "editable": {p.id for p in projects if _may(request, Action.EDIT_PROJECT,
                                                    Target(kind="project", party_ids=frozenset({p.party_id})))},
        "net": {p.id: register.net_effect(p) for p in projects}, "gross": {p.id: register.gross_effect(p)
                                                                          for p in projects}})


@router.get("/woonprogramma/{gemeente_code}/projecten.csv", include_in_schema=False)
def projects_csv(session: SessionDep, gemeente_code: str):
    area = _gemeente(session, gemeente_code)
    body = housing_io.projects_csv(session, register.projects_of(session, area.code))
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="projecten-{area.code}.csv"'})


@router.get("/woonprogramma/{gemeente_code}/projecten.xlsx", include_in_schema=False)
def projects_xlsx(session: SessionDep, gemeente_code: str):
    area = _gemeente(session, gemeente_code)
    return Response(housing_io.projects_workbook(session, register.projects_of(session, area.code)),
                    media_type=housing_io.XLSX,
                    headers={"Content-Disposition": f'attachment; filename="projecten-{area.code}.xlsx"'})


SCENARIO_COLUMNS = ["scenario", "wijk", "naam", "jaar", "woningen", "koop", "corporatie", "particulier",
                    "aandeel_corporatie"]


def _scenario_rows(prog: services.Programme, names: dict[str, str]) -> list[dict]:
    rows = []
    for projection in prog.projections:
        for code, series in projection.wijken.items():
            for year in projection.years:
                mix = series[year]
                rows.append({"scenario": projection.spec.name, "wijk": code, "naam": names.get(code, code),
                             "jaar": year, "woningen": round(mix["totaal"], 1), "koop": round(mix["koop"], 1),
                             "corporatie": round(mix["corporatie"], 1), "particulier": round(mix["particulier"], 1),
                             "aandeel_corporatie": None if projection.share(code, year) is None
                             else round(projection.share(code, year), 1)})
    return rows


@router.get("/woonprogramma/{gemeente_code}/scenarios.csv", include_in_schema=False)
def scenarios_csv(session: SessionDep, gemeente_code: str, format: str = "csv"):
    area = _gemeente(session, gemeente_code)
    prog = services.programme(session, area.code)
    return csv_response(_scenario_rows(prog, stock_mod.wijken_of(session, area.code)), SCENARIO_COLUMNS,
                        dialect=format if format in ("csv", "csv-nl") else "csv",
                        filename=f"scenarios-{area.code}", attribution="Bron: CBS, CC BY 4.0; projectregister")


@router.get("/woonprogramma/{gemeente_code}/peilmomenten", response_class=HTMLResponse, include_in_schema=False)
def snapshots_page(request: Request, session: SessionDep, gemeente_code: str):
    area = _gemeente(session, gemeente_code)
    current = register.projects_of(session, area.code)
    shots = [(s, services.slippage(s, current)) for s in services.snapshots(session, area.code)]
    return _render(request, "snapshots.html", {"area": area, "shots": shots})


# ---------------------------------------------------------------- project writes

def _project_form(request: Request, session: Session, area: Area, values: dict, errors: list[str],
                  project: Project | None = None, status_code: int = 200,
                  field_errors: dict[str, str] | None = None) -> HTMLResponse:
    parties = [p for p in _parties(session)
               if _may(request, Action.EDIT_PROJECT, Target(kind="project", party_ids=frozenset({p.id})))]
    return _render(request, "project_form.html", {"area": area, "values": values, "errors": errors,
                                                  "project": project, "editable_parties": parties,
                                                  "field_errors": field_errors or {},
                                                  "wijken": stock_mod.wijken_of(session, area.code),
                                                  "buurten": stock_mod.buurten_of(session, area.code)},
                   status_code=status_code)


@router.get("/woonprogramma/{gemeente_code}/projecten/nieuw", response_class=HTMLResponse, include_in_schema=False)
def new_project_page(request: Request, session: SessionDep, gemeente_code: str):
    return _project_form(request, session, _gemeente(session, gemeente_code), {}, [])


def _field_error(exc: InputError) -> dict[str, str]:
    """The problem next to its field as well (the area picker shows it under the field)."""
    return {exc.column: exc.message} if exc.column else {}


def _form_values(form) -> dict:
    return {k: str(v)[:2000] for k, v in form.items() if isinstance(v, str)}


@router.post("/woonprogramma/{gemeente_code}/projecten/nieuw", response_class=HTMLResponse, include_in_schema=False)
async def create_project(request: Request, session: SessionDep, gemeente_code: str,
                         guard: Annotated[Guarded, Depends(Permit(Action.EDIT_PROJECT, new_project_target))]):
    area = _gemeente(session, gemeente_code)
    values = _form_values(await request.form())
    try:
        data = register.parse_project(session, area.code, values, "formulier")
    except InputError as exc:
        return _project_form(request, session, area, values, [str(exc)], status_code=422,
                             field_errors=_field_error(exc))
    project = register.create(session, data, guard.actor)
    return _see_other(f"/woonprogramma/{area.code}/projecten?melding=Project+{project.id}+toegevoegd")


@router.get("/woonprogramma/project/{project_id}", response_class=HTMLResponse, include_in_schema=False)
def edit_project_page(request: Request, session: SessionDep, project_id: int):
    project = get_or_404(session, Project, project_id, "Onbekend project.")
    data = register.data_of(project)
    values = {"naam": data.name, "gebied": data.area_code, "partij": str(data.party_id), "soort": data.kind,
              "fase": data.phase, "opleverjaar": str(data.planned_year), "naar_segment": data.to_segment or "",
              "toelichting": data.note, "lock_version": str(project.lock_version),
              **{s: str(n) for s, n in data.lines.items()}}
    return _project_form(request, session, _gemeente(session, project.gemeente_code), values, [], project)


@router.post("/woonprogramma/project/{project_id}/bewerken", response_class=HTMLResponse, include_in_schema=False)
async def edit_project(request: Request, session: SessionDep, project_id: int,
                       guard: Annotated[Guarded, Depends(Permit(Action.EDIT_PROJECT, project_target))]):
    project = get_or_404(session, Project, project_id, "Onbekend project.")
    area = _gemeente(session, project.gemeente_code)
    values = _form_values(await request.form())
    try:
        data = register.parse_project(session, area.code, values, "formulier")
    except InputError as exc:
        return _project_form(request, session, area, values, [str(exc)], project, 422, _field_error(exc))
    if data.party_id != project.party_id and not decide(guard.principal, Action.EDIT_PROJECT, Target(
            kind="project", party_ids=frozenset({data.party_id}))).allowed:
        return _project_form(request, session, area, values, ["U kunt een project alleen aan uw eigen organisatie "
                                                              "toewijzen."], project, 403)
    lock = values.get("lock_version", "")
    try:
        register.update(session, project, data, guard.actor, int(lock) if lock.isdigit() else None)
    except register.StaleEdit:
        return _project_form(request, session, area, values, ["Iemand anders heeft dit project intussen gewijzigd. "
                                                              "Laad de pagina opnieuw."], project, 409)
    return _see_other(f"/woonprogramma/{area.code}/projecten?melding=Project+{project.id}+opgeslagen")


async def _receive(request: Request) -> tuple[bytes | None, str, dict, str | None]:
    """The uploaded file's bytes (bounded, streamed to a temporary file first), its name and the fields."""
    with tempfile.TemporaryDirectory(prefix="woonprogramma-") as folder:
        try:
            upload = await uploads.receive_upload(request, file_field="bestand", destination=Path(folder) / "upload",
                                                  max_bytes=MAX_UPLOAD_BYTES)
        except uploads.UploadRefused as exc:
            return None, "", {}, exc.message
        if upload is None:
            return None, "", {}, "Kies een CSV- of Excel-bestand."
        return upload.path.read_bytes(), upload.filename, upload.fields, None


@router.post("/woonprogramma/{gemeente_code}/projecten/import", response_class=HTMLResponse, include_in_schema=False)
async def import_projects(request: Request, session: SessionDep, gemeente_code: str,
                          guard: Annotated[Guarded, Depends(Permit(Action.IMPORT_PROJECTS, streamed=True))]):
    area = _gemeente(session, gemeente_code)
    data, filename, _fields, problem = await _receive(request)
    if problem:
        return _import_refused(request, session, area, [problem])
    try:
        result = await run_in_threadpool(housing_io.import_projects, session, area.code, data, filename,
                                         guard.principal, guard.actor)
    except housing_io.ImportFailed as exc:
        session.rollback()
        return _import_refused(request, session, area, [str(e) for e in exc.errors])
    return _see_other(f"/woonprogramma/{area.code}/projecten?melding={result.created}+nieuw,+{result.updated}"
                      "+gewijzigd")


def _import_refused(request: Request, session: Session, area: Area, errors: list[str]) -> HTMLResponse:
    projects = register.projects_of(session, area.code)
    return _render(request, "projects.html", {
        "area": area, "projects": projects, "parties": {p.id: p.name for p in _parties(session)}, "slipping": set(),
        "errors": errors, "result": None, "editable": set(), "net": {p.id: register.net_effect(p) for p in projects},
        "gross": {p.id: register.gross_effect(p) for p in projects}}, status_code=422)


# ---------------------------------------------------------------- party stock

@router.get("/woonprogramma/voorraad/{party_id}", response_class=HTMLResponse, include_in_schema=False)
def party_stock_page(request: Request, session: SessionDep, party_id: int):
    party = get_or_404(session, Party, party_id, "Onbekende partij.")
    uploads_ = list(session.scalars(select(PartyStockUpload).where(PartyStockUpload.party_id == party.id)
                                    .order_by(PartyStockUpload.version.desc())))
    return _render(request, "party_stock.html", {
        "party": party, "uploads": uploads_, "errors": [], "message": request.query_params.get("melding"),
        "may_upload": _may(request, Action.UPLOAD_PARTY_STOCK, Target(kind="partij", party_ids=frozenset({party.id})))})


@router.post("/woonprogramma/voorraad/{party_id}/upload", response_class=HTMLResponse, include_in_schema=False)
async def upload_party_stock(request: Request, session: SessionDep, party_id: int,
                             guard: Annotated[Guarded, Depends(Permit(Action.UPLOAD_PARTY_STOCK, stock_party_target,
                                                                      streamed=True))]):
    party = get_or_404(session, Party, party_id, "Onbekende partij.")
    data, filename, fields, problem = await _receive(request)
    errors = [problem] if problem else []
    year_text = fields.get("peiljaar", "").strip()
    if not errors and not (year_text.isdigit() and 2000 <= int(year_text) <= 2100):
        errors.append("formulier, veld 'peiljaar': verwacht een jaar van 2000 tot 2100")
    if not errors:
        try:
            upload = await run_in_threadpool(housing_io.import_party_stock, session, party.id, data, filename,
                                             int(year_text), guard.actor)
            return _see_other(f"/woonprogramma/voorraad/{party.id}?melding=Versie+{upload.version}+opgeslagen")
        except housing_io.ImportFailed as exc:
            session.rollback()
            errors = [str(e) for e in exc.errors]
    uploads_ = list(session.scalars(select(PartyStockUpload).where(PartyStockUpload.party_id == party.id)
                                    .order_by(PartyStockUpload.version.desc())))
    return _render(request, "party_stock.html", {"party": party, "uploads": uploads_, "errors": errors,
                                                 "message": None, "may_upload": True}, status_code=422)


# ---------------------------------------------------------------- targets, scenarios, snapshots

@router.post("/woonprogramma/{gemeente_code}/doelen", response_class=HTMLResponse, include_in_schema=False)
async def save_target(request: Request, session: SessionDep, gemeente_code: str,
                      guard: Annotated[Guarded, Depends(Permit(Action.EDIT_HOUSING_TARGET, housing_target_target))]):
    area = _gemeente(session, gemeente_code)
    values = _form_values(await request.form())
    if values.get("scope_kind") == "gemeente":
        values["scope_code"] = area.code
    elif values.get("scope_kind") == "wijk" and not values.get("scope_code", "").startswith("WK" + area.code[2:]):
        values["scope_code"] = ""
    try:
        target = targets_mod.parse_target(values, "formulier")
    except InputError as exc:
        context = _programme_context(request, session, area)
        return _render(request, "gemeente.html", {**context, "message": None, "target_error": str(exc),
                                                  "target_values": values}, status_code=422)
    existing = targets_mod.target_by_key(session, target.key)
    if existing is not None and (existing.scope_kind == "elke_gemeente") != (target.scope_kind == "elke_gemeente"):
        # a key names one target: a gemeente cannot take over a national default (or the reverse)
        context = _programme_context(request, session, area)
        return _render(request, "gemeente.html", {**context, "message": None, "target_values": values,
                                                  "target_error": "formulier, veld 'key': deze sleutel hoort bij een "
                                                                  "ander soort doel; kies een nieuwe sleutel"},
                       status_code=422)
    if existing is not None and existing.scope_kind != "elke_gemeente" and existing.scope_code != target.scope_code \
            and not (existing.scope_code or "").startswith(("GM" + area.code[2:], "WK" + area.code[2:])):
        raise HTTPException(403, "Dit doel hoort bij een andere gemeente.")
    targets_mod.save_target(session, target, guard.actor)
    return _see_other(f"/woonprogramma/{area.code}?melding=Doel+opgeslagen#doelen")


@router.post("/woonprogramma/{gemeente_code}/scenarios", response_class=HTMLResponse, include_in_schema=False)
async def create_scenario(request: Request, session: SessionDep, gemeente_code: str,
                          guard: Annotated[Guarded, Depends(Permit(Action.EDIT_SCENARIO, planning_target))]):
    area = _gemeente(session, gemeente_code)
    form = await request.form()
    raw = {**_form_values(form), "excluded_kinds": [str(v) for v in form.getlist("excluded_kinds")][:10]}
    try:
        row = services.create_scenario(session, area.code, services.parse_scenario(raw), guard.actor)
    except InputError as exc:
        context = _programme_context(request, session, area)
        return _render(request, "gemeente.html", {**context, "message": None, "scenario_error": str(exc)},
                       status_code=422)
    position = 2 + [r.id for r, _ in services.stored_specs(session, area.code)].index(row.id)
    return _see_other(f"/woonprogramma/{area.code}?scenario={position}#scenarios")


@router.post("/woonprogramma/scenario/{scenario_id}/project", response_class=HTMLResponse, include_in_schema=False)
async def add_scenario_project(request: Request, session: SessionDep, scenario_id: int,
                               guard: Annotated[Guarded, Depends(Permit(Action.EDIT_SCENARIO, scenario_target))]):
    """A hypothetical project that exists only in this scenario (e.g. "extra sloop Oostgaarde")."""
    scenario = get_or_404(session, Scenario, scenario_id, "Onbekend scenario.")
    area = _gemeente(session, scenario.gemeente_code)
    values = _form_values(await request.form())
    try:
        data = register.parse_project(session, area.code, values, "formulier")
    except InputError as exc:
        context = _programme_context(request, session, area)
        return _render(request, "gemeente.html", {**context, "message": None, "scenario_error": str(exc)},
                       status_code=422)
    register.create(session, register.ProjectData(**{**data.__dict__, "scenario_id": scenario.id}), guard.actor)
    return _see_other(f"/woonprogramma/{area.code}?melding=Project+aan+scenario+toegevoegd#scenarios")


@router.post("/woonprogramma/{gemeente_code}/peilmoment", response_class=HTMLResponse, include_in_schema=False)
def take_snapshot(request: Request, session: SessionDep, gemeente_code: str,
                  guard: Annotated[Guarded, Depends(Permit(Action.TAKE_SNAPSHOT, gemeente_target))]):
    area = _gemeente(session, gemeente_code)
    try:
        snap = services.take_snapshot(session, area.code, guard.actor)
        message = f"Peilmoment {snap.label} vastgelegd"
    except services.SnapshotExists as exc:
        message = str(exc)  # frozen: the existing snapshot stays as it is
    return _see_other(f"/woonprogramma/{area.code}/peilmomenten?melding={message.replace(' ', '+')}")


# ---------------------------------------------------------------- prestatieafspraken

@router.get("/woonprogramma/afspraak/{commitment_id}", response_class=HTMLResponse, include_in_schema=False)
def commitment_link_page(request: Request, session: SessionDep, commitment_id: int):
    commitment = get_or_404(session, Commitment, commitment_id, "Onbekende afspraak.")
    target = commitment_target(commitment)
    if not decide(current_principal(request), Action.READ_AGREEMENT, target).allowed:
        raise HTTPException(404, "Onbekende afspraak.")
    agreement = commitment.agreement
    linked = {p.id for p in services.linked_projects(session, commitment.id)}
    return _render(request, "commitment.html", {
        "commitment": commitment, "agreement": agreement, "linked": linked,
        "projects": register.projects_of(session, agreement.gemeente_code),
        "effect": services.programme_effect(session, commitment),
        "planned": {t.year: t.planned for t in commitment.year_targets},
        "realised": {r.year: r.value for r in commitment.realisations},
        "may_link": _may(request, Action.LINK_PROJECTS, target), "message": request.query_params.get("melding")})


@router.post("/woonprogramma/afspraak/{commitment_id}/projecten", response_class=HTMLResponse,
             include_in_schema=False)
async def link_projects(request: Request, session: SessionDep, commitment_id: int,
                        guard: Annotated[Guarded, Depends(Permit(Action.LINK_PROJECTS, commitment_link_target))]):
    commitment = get_or_404(session, Commitment, commitment_id, "Onbekende afspraak.")
    form = await request.form()
    ids = [int(v) for v in form.getlist("project_ids") if str(v).isdigit() and len(str(v)) < 10][:500]
    try:
        services.link_projects(session, commitment, ids, guard.actor)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    message = f"{len(set(ids))} projecten gekoppeld"
    year = str(form.get("realisatie_jaar") or "")
    if year.isdigit() and len(year) == 4:
        latest = max((r for r in commitment.realisations if r.year == int(year)), key=lambda r: r.version,
                     default=None)
        if latest is not None:
            done = services.apply_realisation(session, commitment, int(year), latest.value, guard.actor)
            message += f"; {len(done)} projecten op opgeleverd gezet"
    return _see_other(f"/woonprogramma/afspraak/{commitment.id}?melding={message.replace(' ', '+')}")


@router.post("/woonprogramma/doel/{key}/overnemen", response_class=HTMLResponse, include_in_schema=False)
async def adopt_target(request: Request, session: SessionDep, key: str,
                       guard: Annotated[Guarded, Depends(Permit(Action.ADD_COMMITMENT, adopt_target_target))]):
    target = targets_mod.target_by_key(session, key[:64])
    if target is None:
        raise HTTPException(404, "Onbekend doel.")
    form = await request.form()
    agreement = session.get(Agreement, int(str(form.get("agreement_id"))))
    own = [ap.party_id for ap in agreement.parties if ap.party_id in guard.principal.party_ids]
    from gebiedsatlas.agreements import services as agreements

    try:
        commitment = services.adopt_target(session, target, agreement, own[:1], guard.actor)
    except (agreements.ValidationFailed, agreements.NotAllowed) as exc:
        raise HTTPException(422, str(exc)) from None
    return _see_other(f"/afspraken/afspraak/{commitment.id}")


# ---------------------------------------------------------------- JSON API

@router.get("/api/woonprogramma/{gemeente_code}", tags=["woonprogramma"])
def api_programme(session: SessionDep, gemeente_code: str):
    """Stock (CBS, by tenure), targets, scenario comparison and pipeline totals of one gemeente."""
    area = _gemeente(session, gemeente_code)
    prog = services.programme(session, area.code)
    return JSONResponse({
        "gemeente": area.code, "naam": area.name, "voorraad_jaar": prog.stock.year,
        "voorraad_opmerking": prog.stock.note, "voorraad_niveau": prog.stock.level,
        "voorraad_gemeente": {"woningen": prog.stock.gemeente.total, **prog.stock.gemeente.tenure,
                              "aandelen": prog.stock.gemeente.shares, "bron": "CBS Kerncijfers wijken en buurten"}
        if prog.stock.gemeente is not None else None,
        "voorraad": {c: {"naam": w.name, "woningen": w.total, **w.tenure} for c, w in prog.stock.wijken.items()},
        "doelen": [{"key": t.key, "tekst": t.text, "label": t.label, "bron": t.source_kind, "brontekst": t.source_text,
                    "versie": t.version} for t in prog.targets],
        "scenarios": summary.comparison(prog),
        "projecten": summary.pipeline_totals([p for p in prog.projects if p.scenario_id is None])["per_jaar"],
        "achter_op_schema": sorted(prog.slipping),
    })


@router.get("/api/woonprogramma/{gemeente_code}/projecten", tags=["woonprogramma"])
def api_projects(session: SessionDep, gemeente_code: str):
    area = _gemeente(session, gemeente_code)
    projects = register.projects_of(session, area.code)
    today = services.programme(session, area.code).today
    return [{"id": p.id, "naam": p.name, "gebied": p.area_code, "partij_id": p.party_id, "soort": p.kind,
             "fase": p.phase, "opleverjaar": p.planned_year, "woningen": p.lines, "netto": register.net_effect(p),
             "bruto": register.gross_effect(p), "achter_op_schema": register.is_slipping(p, today)} for p in projects]


@router.post("/api/woonprogramma/{gemeente_code}/projecten", tags=["woonprogramma"], status_code=201)
async def api_create_project(request: Request, session: SessionDep, gemeente_code: str,
                             guard: Annotated[Guarded, Depends(Permit(Action.EDIT_PROJECT, api_project_target))]):
    """Add a project of the caller's own organisation: the fields of the import (``naam``, ``gebied``,
    ``partij`` (id or name), ``soort``, ``fase``, ``opleverjaar``, dwellings per segment, …)."""
    area = _gemeente(session, gemeente_code)
    body = await request.json()
    if not isinstance(body, dict):
        raise HTTPException(422, "Verwacht een JSON-object met de velden van een project.")
    values = {k: (v if isinstance(v, int | float) and not isinstance(v, bool) else str(v)[:2000])
              for k, v in body.items() if v is not None}
    try:
        data = register.parse_project(session, area.code, values, "verzoek")
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    project = register.create(session, data, guard.actor)
    return {"id": project.id, "naam": data.name, "netto": register.net_effect(data),
            "bruto": register.gross_effect(data)}


@router.get("/api/woonprogramma/{gemeente_code}/mutaties", tags=["woonprogramma"])
def api_stock_changes(session: SessionDep, gemeente_code: str):
    """CBS 81955NED: the dwelling stock and its changes per year (null = not published)."""
    area = _gemeente(session, gemeente_code)
    return [{"jaar": c.year, "beginstand": c.begin_stock, "nieuwbouw": c.new_builds, "overige_toevoeging":
             c.other_additions, "sloop": c.demolitions, "overige_onttrekking": c.other_removals,
             "correctie": c.correction, "eindstand": c.end_stock, "bron": "CBS 81955NED, CC BY 4.0"}
            for c in stock_mod.stock_changes(session, area.code)]


@router.get("/api/woonprogramma/{gemeente_code}/scenarios", tags=["woonprogramma"])
def api_scenarios(session: SessionDep, gemeente_code: str):
    area = _gemeente(session, gemeente_code)
    prog = services.programme(session, area.code)
    return _scenario_rows(prog, stock_mod.wijken_of(session, area.code))
