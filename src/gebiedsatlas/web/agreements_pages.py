"""Pages of the prestatieafspraken under ``/afspraken``: overviews per gemeente and per party, an
agreement with its commitments and progress, forms (plain HTML forms, work without JavaScript), the
yearly cycle, the monitoring dashboard, Excel template/import/export and a printable report.

Reading shows only what the person may see (``agreements.access.visible_clause``); every form post
passes its declared permission (``Permit``) and CSRF check, and the acting user and organisation come
from the login. Fictional demo agreements are shown only with ``?voorbeeld=1`` (lists) and always
under a "Fictief voorbeeld" banner.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gebiedsatlas.accounts.permissions import STATUS_APPROVALS, Action, decide
from gebiedsatlas.agreements import excel, history, import_jobs, monitoring, services
from gebiedsatlas.agreements.access import agreement_target, commitment_target
from gebiedsatlas.agreements.direction import is_limit
from gebiedsatlas.agreements.parties import list_parties, party_gemeenten
from gebiedsatlas.agreements.progress import OUTCOME_AT_RISK, OUTPUT_AT_RISK, OUTPUT_ON_TRACK
from gebiedsatlas.agreements.schemas import TITLE_MAX
from gebiedsatlas.agreements.scope import latest_figures
from gebiedsatlas.agreements.serialize import agreement_dict, latest_realisations
from gebiedsatlas.agreements.smart import VAGUE_PHRASES
from gebiedsatlas.agreements.vocab import (
    AGREEMENT_STATUSES,
    PARTY_KINDS,
    PROGRESS_LABELS,
    SCOPE_KINDS,
    STATUS_ACTIONS,
    TARGET_KINDS,
    THEMES,
    TRANSITIONS,
    cycle_dates,
)
from gebiedsatlas.analysis.availability import indicators_with_data, missing_sources
from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.housing import services as housing
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.store.agreements import Agreement, Party
from gebiedsatlas.web import atlas_charts, uploads
from gebiedsatlas.web.agreements_access import (
    PermitStatus,
    agreement_from_path,
    area_section_context,
    commitment_from_path,
    ensure_parties,
    load_agreement,
    load_commitment,
    proposed_agreement,
    reporting_party,
    signing_party,
    visible_agreement,
    visible_commitment,
)
from gebiedsatlas.web.auth import AuthError, Guarded, Permit, current_principal
from gebiedsatlas.web.deps import get_or_404, get_session
from gebiedsatlas.web.params import OptionalYear
from gebiedsatlas.web.templating import NAVIGATION, templates

STATIC_DIR = (Path(__file__).resolve().parent / "static").resolve()

router = APIRouter(prefix="/afspraken", include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]

# The section joins the main navigation of W1's base layout.
if ("/afspraken", "Prestatieafspraken") not in NAVIGATION:
    NAVIGATION.append(("/afspraken", "Prestatieafspraken"))


def _guard(action: Action, loader=None):
    return Annotated[Guarded, Depends(Permit(action, loader))]


def _demo(request: Request) -> bool:
    return request.query_params.get("voorbeeld") in ("1", "ja", "true")


def _render(request: Request, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    base = {"THEMES": THEMES, "AGREEMENT_STATUSES": AGREEMENT_STATUSES, "PROGRESS_LABELS": PROGRESS_LABELS,
            "SCOPE_KINDS": SCOPE_KINDS, "TARGET_KINDS": TARGET_KINDS, "PARTY_KINDS": PARTY_KINDS,
            "TRANSITIONS": TRANSITIONS, "STATUS_ACTIONS": STATUS_ACTIONS}
    return templates.TemplateResponse(request, f"agreements/{name}", {**base, **context}, status_code=status_code)


def _may(request: Request, action: Action, target) -> bool:
    """For showing or hiding a button: the same decision the guard of that button's route makes."""
    return decide(current_principal(request), action, target).allowed


def _gemeenten(session: Session) -> list:
    index = area_index(session)
    return [index.areas[c] for c in index.sets["nta"].members] if "nta" in index.sets else []


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---------------------------------------------------------------- overviews

@router.get("", response_class=HTMLResponse)
def index(request: Request, session: SessionDep):
    ensure_parties(request, session)
    demo = _demo(request)
    viewer = current_principal(request)
    agreements = monitoring.list_agreements(session, demo=demo, viewer=viewer)
    by_gemeente = {g.code: [] for g in _gemeenten(session)}
    for a in agreements:
        by_gemeente.setdefault(a.gemeente_code, []).append(a)
    index_ = area_index(session)
    return _render(request, "index.html", {
        "demo": demo, "agreements": agreements, "by_gemeente": by_gemeente, "areas": index_.areas,
        "parties": monitoring.parties_with_agreements(session, demo=demo, viewer=viewer),
        "corporations": list_parties(session, demo=demo, kind="woningcorporatie"),
    })


@router.get("/gemeente/{code}", response_class=HTMLResponse)
def per_gemeente(request: Request, session: SessionDep, code: str):
    demo = _demo(request)
    area = area_index(session).get(code.upper())
    if area is None or area.level.value != "gemeente":
        raise HTTPException(404, f"Onbekende gemeente {code!r}.")
    agreements = monitoring.list_agreements(session, demo=demo, gemeente_code=area.code,
                                            viewer=current_principal(request))
    views = {a.id: monitoring.status_counts(monitoring.commitment_views(session, a)) for a in agreements}
    return _render(request, "gemeente.html", {"demo": demo, "area": area, "agreements": agreements,
                                              "counts": views})


@router.get("/partij/{party_id:int}", response_class=HTMLResponse)
def per_party(request: Request, session: SessionDep, party_id: int):
    party = get_or_404(session, Party, party_id, f"Onbekende partij {party_id}.")
    agreements = monitoring.list_agreements(session, demo=party.is_demo, party_id=party.id,
                                            viewer=current_principal(request))
    carried = []
    for a in agreements:
        for view in monitoring.commitment_views(session, a):
            if any(cp.party_id == party.id for cp in view.commitment.parties):
                carried.append((a, view))
    return _render(request, "party.html", {"demo": party.is_demo, "party": party, "agreements": agreements,
                                           "carried": carried, "areas": area_index(session).areas})


@router.get("/partijen/nieuw", response_class=HTMLResponse)
def new_party_form(request: Request, session: SessionDep, terug: str = ""):
    return _render(request, "party_form.html", {"demo": False, "values": {"kind": "huurdersorganisatie"},
                                                "errors": {}, "terug": _safe_back(terug),
                                                "gemeenten": _gemeenten(session)})


def _safe_back(url: str) -> str:
    """Only local /afspraken URLs (no open redirect)."""
    return url if url.startswith("/afspraken") and "//" not in url else ""


@router.post("/partijen/nieuw", response_class=HTMLResponse)
async def create_party(request: Request, session: SessionDep, guard: _guard(Action.CREATE_PARTY)):
    form = _form_dict(await request.form())
    back = _safe_back(str(form.get("terug") or ""))
    gemeente = str(form.get("gemeente_code") or "").strip().upper() or None
    try:
        party = services.create_party(session, str(form.get("name") or ""), str(form.get("kind") or ""),
                                      guard.actor, gemeente_code=gemeente, note=str(form.get("note") or "").strip(),
                                      is_demo=guard.principal.is_demo)
    except services.ValidationFailed as exc:
        return _render(request, "party_form.html", {"demo": False, "values": form, "errors": exc.errors,
                                                    "terug": back, "gemeenten": _gemeenten(session)},
                       status_code=422)
    session.commit()
    return _redirect(back or f"/afspraken/partij/{party.id}")


@router.post("/partijen/inline", response_class=HTMLResponse)
async def create_party_inline(request: Request, session: SessionDep, guard: _guard(Action.CREATE_PARTY)):
    """A huurdersorganisatie (or other party) added from inside the agreement form: the whole form is
    posted, the party is created for the chosen gemeente, and the form comes back with everything
    typed kept and the new party ticked — no detour via another page (works without JavaScript)."""
    form = _form_dict(await request.form())
    agreement = None
    if str(form.get("agreement_id") or "").isdigit():
        agreement = visible_agreement(request, session, int(form["agreement_id"]))
    demo = agreement.is_demo if agreement else form.get("is_demo") == "1"
    gemeente = str(form.get("gemeente_code") or "").strip().upper()[:16] or None
    kind = str(form.get("new_party_kind") or "huurdersorganisatie")
    values = {**form, "party_ids": list(form.get("party_ids") or [])}
    try:
        party = services.create_party(session, str(form.get("new_party_name") or ""), kind, guard.actor,
                                      gemeente_code=gemeente, is_demo=guard.principal.is_demo)
    except services.ValidationFailed as exc:
        errors = {("new_party_" + k if k in ("name", "kind") else k): v for k, v in exc.errors.items()}
        return _render(request, "agreement_form.html",
                       _agreement_form_context(session, demo, values, errors, agreement), status_code=422)
    session.commit()
    values["party_ids"].append(str(party.id))
    values["new_party_name"] = ""
    context = _agreement_form_context(session, demo, values, {}, agreement)
    context["added_party"] = party
    return _render(request, "agreement_form.html", context)


# ---------------------------------------------------------------- agreement create/edit

def _agreement_form_context(session: Session, demo: bool, values: dict, errors: dict, agreement=None) -> dict:
    ties = party_gemeenten(session)
    return {"demo": demo, "values": values, "errors": errors, "agreement": agreement,
            "gemeenten": _gemeenten(session), "parties": list_parties(session, demo=demo),
            "party_ties": {p: " ".join(sorted(c)) for p, c in ties.items()},
            "title_max": TITLE_MAX, "party_kinds_inline": PARTY_KINDS}


def _form_dict(form) -> dict:
    """Form fields as a dict; repeated fields (checkboxes) as lists."""
    out: dict = {}
    for key in form:
        values = form.getlist(key)
        out[key] = values if key in ("party_ids",) else values[-1]
    return out


@router.get("/nieuw", response_class=HTMLResponse)
def new_agreement_form(request: Request, session: SessionDep, gemeente: str = ""):
    ensure_parties(request, session)
    year = date.today().year + 1
    values = {"gemeente_code": gemeente.upper(), "period_start": year, "period_end": year + 3, "party_ids": []}
    return _render(request, "agreement_form.html", _agreement_form_context(session, _demo(request), values, {}))


@router.post("/nieuw", response_class=HTMLResponse)
async def create_agreement(request: Request, session: SessionDep,
                           guard: _guard(Action.CREATE_AGREEMENT, proposed_agreement)):
    form = _form_dict(await request.form())
    demo = form.get("is_demo") == "1"
    try:
        data = services.parse_agreement(session, form)
    except services.ValidationFailed as exc:
        return _render(request, "agreement_form.html",
                       _agreement_form_context(session, demo, form, exc.errors), status_code=422)
    agreement = services.create_agreement(session, data, guard.actor)
    session.commit()
    return _redirect(f"/afspraken/{agreement.id}")


@router.get("/{agreement_id:int}/bewerken", response_class=HTMLResponse)
def edit_agreement_form(request: Request, session: SessionDep, agreement_id: int):
    agreement = visible_agreement(request, session, agreement_id)
    values = agreement_dict(agreement)
    values["party_ids"] = [str(ap.party_id) for ap in agreement.parties]
    values["documents"] = "\n".join(f"{d['title']} | {d['href']}" for d in agreement.documents or [])
    values["is_demo"] = "1" if agreement.is_demo else ""
    values["lock_version"] = agreement.lock_version
    return _render(request, "agreement_form.html",
                   _agreement_form_context(session, agreement.is_demo, values, {}, agreement))


@router.post("/{agreement_id:int}/bewerken", response_class=HTMLResponse)
async def edit_agreement(request: Request, session: SessionDep, agreement_id: int,
                         guard: _guard(Action.EDIT_AGREEMENT, agreement_from_path)):
    agreement = load_agreement(session, agreement_id)
    form = _form_dict(await request.form())
    form["is_demo"] = "1" if agreement.is_demo else ""
    try:
        data = services.parse_agreement(session, form)
        services.update_agreement(session, agreement, data, guard.actor,
                                  expected_version=services.parse_lock_version(form))
    except services.EditConflict as exc:
        session.rollback()  # nothing of this save stays; the form keeps the input, on the stored version
        context = _agreement_form_context(session, agreement.is_demo, {**form, "lock_version": exc.stored_version},
                                          {}, agreement)
        return _render(request, "agreement_form.html", context | {"conflict": exc}, status_code=409)
    except services.NotAllowed as exc:
        session.rollback()  # an error page commits nothing of this save
        return _agreement_response(request, session, agreement.id, status_errors={"status": str(exc)})
    except services.ValidationFailed as exc:
        session.rollback()
        return _render(request, "agreement_form.html",
                       _agreement_form_context(session, agreement.is_demo, form, exc.errors, agreement),
                       status_code=422)
    session.commit()
    return _redirect(f"/afspraken/{agreement.id}")


@router.post("/{agreement_id:int}/status", response_class=HTMLResponse)
async def change_status(request: Request, session: SessionDep, agreement_id: int,
                        guard: Annotated[Guarded, Depends(PermitStatus())]):
    agreement = load_agreement(session, agreement_id)
    form = _form_dict(await request.form())
    errors: dict[str, str] = {}
    signed_on = services.parse_date(form, "signed_on", errors)
    if not errors:
        try:
            services.approve_status(session, agreement, form.get("status", ""), signing_party(guard), guard.actor,
                                    signed_on=signed_on)
            session.commit()
            return _redirect(f"/afspraken/{agreement.id}#kop-status")
        except services.ValidationFailed as exc:
            session.rollback()
            errors = exc.errors
        except services.NotAllowed as exc:  # e.g. a second click: this party already agreed
            session.rollback()
            return _agreement_response(request, session, agreement.id, status_errors={"status": str(exc)},
                                       status_code=409)
    return _agreement_response(request, session, agreement.id, status_errors=errors)


@router.post("/{agreement_id:int}/publiceren", response_class=HTMLResponse)
async def publish(request: Request, session: SessionDep, agreement_id: int,
                  guard: _guard(Action.PUBLISH, agreement_from_path)):
    agreement = load_agreement(session, agreement_id)
    try:
        services.publish(session, agreement, guard.actor)
    except services.NotAllowed as exc:
        return _agreement_response(request, session, agreement.id, status_errors={"status": str(exc)})
    session.commit()
    return _redirect(f"/afspraken/{agreement.id}")


# ---------------------------------------------------------------- agreement page

SCOPE_INDICATORS = ("inwoners", "woningvoorraad", "koopwoningen", "laag_inkomen", "lbm_score")


def _scope_figures(session: Session, agreement: Agreement, views) -> list[dict]:
    """Current atlas figures for every distinct area the commitments are about: a few key
    indicators plus the indicators of the outcome targets."""
    catalogue = load_catalogue()
    scopes: dict[tuple, dict] = {}
    for view in views:
        c = view.commitment
        key = (c.scope_kind, tuple(c.scope_codes or []))
        entry = scopes.setdefault(key, {"label": view.scope, "numbers": [], "indicators": list(SCOPE_INDICATORS)})
        entry["numbers"].append(c.number)
        if c.target_kind == "outcome" and c.indicator_id in catalogue and c.indicator_id not in entry["indicators"]:
            entry["indicators"].append(c.indicator_id)
    out = []
    for (kind, codes), entry in scopes.items():
        ids = [i for i in entry["indicators"] if i in catalogue]
        latest = latest_figures(session, agreement.gemeente_code, kind, list(codes), ids)
        cells = [{"indicator": catalogue[i], **latest.get(i, {"value": None, "status": "missing", "period": None})}
                 for i in ids]
        out.append({"label": entry["label"], "numbers": entry["numbers"], "cells": cells})
    return out


@router.get("/{agreement_id:int}", response_class=HTMLResponse)
def agreement_page(request: Request, session: SessionDep, agreement_id: int):
    return _agreement_response(request, session, agreement_id)


def _agreement_response(request: Request, session: Session, agreement_id: int,
                        status_errors: dict | None = None, status_code: int | None = None) -> HTMLResponse:
    agreement = visible_agreement(request, session, agreement_id)
    views = monitoring.commitment_views(session, agreement)
    index = area_index(session)
    target = agreement_target(agreement)
    pending = services.approvals(session, agreement)
    return _render(request, "agreement.html", {
        "demo": agreement.is_demo, "agreement": agreement, "views": views,
        "gemeente": index.get(agreement.gemeente_code),
        "reciprocity": monitoring.reciprocity(agreement), "counts": monitoring.status_counts(views),
        "series_basis": monitoring.series_summary([v.progress for v in views]),
        "figures": _scope_figures(session, agreement, views), "catalogue": load_catalogue(),
        "snapshot": history.signing_snapshot(session, agreement.id), "status_errors": status_errors or {},
        "today": date.today().isoformat(), "pending": pending,
        "signatures": services.signatures(session, agreement),
        "versions": history.signed_versions(session, agreement.id),
        "may": {"edit": _may(request, Action.EDIT_AGREEMENT, target),
                "add": _may(request, Action.ADD_COMMITMENT, target),
                "publish": _may(request, Action.PUBLISH, target) and agreement.published_at is None,
                "status": {s: _may(request, STATUS_APPROVALS[s], target) for s in TRANSITIONS[agreement.status]}},
    }, status_code=status_code or (422 if status_errors else 200))


@router.get("/{agreement_id:int}/geschiedenis", response_class=HTMLResponse)
def history_page(request: Request, session: SessionDep, agreement_id: int):
    agreement = visible_agreement(request, session, agreement_id)
    return _render(request, "history.html", {"demo": agreement.is_demo, "agreement": agreement,
                                             "changes": history.changes(session, agreement.id)})


@router.get("/{agreement_id:int}/bij-ondertekening", response_class=HTMLResponse)
def signed_version(request: Request, session: SessionDep, agreement_id: int,
                   versie: Annotated[int | None, Query(ge=1, le=1000)] = None):
    agreement = visible_agreement(request, session, agreement_id)
    snapshot = history.signing_snapshot(session, agreement.id, versie)
    if snapshot is None:
        raise HTTPException(404, "Deze afspraken zijn (nog) niet getekend.")
    return _render(request, "snapshot.html", {"demo": agreement.is_demo, "agreement": agreement,
                                              "snapshot": snapshot, "data": snapshot.data,
                                              "areas": area_index(session).areas,
                                              "versions": history.signed_versions(session, agreement.id),
                                              "signatures": [a for a in services.signatures(session, agreement)
                                                             if a.version == snapshot.version]})


@router.get("/{agreement_id:int}/rapport", response_class=HTMLResponse)
def report(request: Request, session: SessionDep, agreement_id: int):
    agreement = visible_agreement(request, session, agreement_id)
    return _render(request, "report.html", _report_context(session, agreement))


def _report_context(session: Session, agreement: Agreement) -> dict:
    views = monitoring.commitment_views(session, agreement)
    catalogue = load_catalogue()
    charts = {}
    for v in views:  # a static chart per commitment with a series: readable in the PDF, no script needed
        c = v.commitment
        indicator = catalogue.indicators.get(c.indicator_id or "")
        target = {"year": c.target_year, "value": c.target_value} if c.target_value is not None else None
        chart = atlas_charts.small_line_chart(v.progress.series, target,
                                              decimals=indicator.decimals if indicator else 0)
        if chart:
            charts[c.id] = chart
    return {"demo": agreement.is_demo, "agreement": agreement, "views": views, "charts": charts,
            "gemeente": area_index(session).get(agreement.gemeente_code),
            "reciprocity": monitoring.reciprocity(agreement), "counts": monitoring.status_counts(views),
            "today": date.today()}


def _local_fetcher(url: str, *args, **kwargs):
    """Serve /static/ from the package folder: no network at run time, not even to ourselves."""
    from weasyprint.urls import URLFetcherResponse

    marker = "/static/"
    if marker in url:
        path = (STATIC_DIR / url.split(marker, 1)[1]).resolve()
        if path.is_relative_to(STATIC_DIR) and path.is_file():
            kind = "text/css" if path.suffix == ".css" else "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": kind})
    raise ValueError(f"niet beschikbaar zonder netwerk: {url}")


@router.get("/{agreement_id:int}/rapport.pdf")
def report_pdf(request: Request, session: SessionDep, agreement_id: int):
    """The printable report as PDF (WeasyPrint, fonts and CSS from the local static folder)."""
    from weasyprint import HTML

    agreement = visible_agreement(request, session, agreement_id)
    html = templates.get_template("agreements/report.html").render(
        {"request": request, **_report_context(session, agreement), "pdf": True,
         "PROGRESS_LABELS": PROGRESS_LABELS, "THEMES": THEMES, "AGREEMENT_STATUSES": AGREEMENT_STATUSES})
    pdf = HTML(string=html, base_url="http://gebiedsatlas.invalid/", url_fetcher=_local_fetcher).write_pdf()
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="afspraken-{agreement.id}.pdf"'})


@router.get("/{agreement_id:int}/export.xlsx")
def export_agreement(request: Request, session: SessionDep, agreement_id: int):
    agreement = visible_agreement(request, session, agreement_id)
    return Response(excel.agreement_workbook(session, agreement), media_type=excel.XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="afspraken-{agreement.id}.xlsx"'})


# ---------------------------------------------------------------- commitments

def _commitment_form_context(session: Session, agreement: Agreement, values: dict, errors: dict,
                             commitment=None) -> dict:
    catalogue = load_catalogue()
    index = area_index(session)
    gemeente = index.get(agreement.gemeente_code)
    chosen = values.get("indicator_id")
    # Only indicators with data (and the one already chosen), the others named once with how to load them.
    present = indicators_with_data(session)
    return {"demo": agreement.is_demo, "agreement": agreement, "values": values, "errors": errors,
            "commitment": commitment, "parties": [ap.party for ap in agreement.parties],
            "indicators": [i for i in catalogue.indicators.values() if i.id in present or i.id == chosen],
            "missing": missing_sources(session, catalogue),
            "gemeente_name": gemeente.name if gemeente else agreement.gemeente_code,
            "area_sets": list(index.sets.values())}


@router.get("/{agreement_id:int}/afspraak/nieuw", response_class=HTMLResponse)
def new_commitment_form(request: Request, session: SessionDep, agreement_id: int):
    agreement = visible_agreement(request, session, agreement_id)
    values = {"scope_kind": "gemeente", "target_kind": "output", "party_ids": [], "theme": ""}
    return _render(request, "commitment_form.html", _commitment_form_context(session, agreement, values, {}))


@router.post("/{agreement_id:int}/afspraak/nieuw", response_class=HTMLResponse)
async def create_commitment(request: Request, session: SessionDep, agreement_id: int,
                            guard: _guard(Action.ADD_COMMITMENT, agreement_from_path)):
    agreement = load_agreement(session, agreement_id)
    form = _form_dict(await request.form())
    try:
        data = services.parse_commitment(session, agreement, form, confirm_direction=True)
    except services.ValidationFailed as exc:
        return _render(request, "commitment_form.html",
                       _commitment_form_context(session, agreement, form, exc.errors), status_code=422)
    commitment = services.add_commitment(session, agreement, data, guard.actor)
    session.commit()
    return _redirect(f"/afspraken/afspraak/{commitment.id}")


VERSIONS_PER_PAGE = 50


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) <= 7 and int(text) > 0 else 1


def _pages(page: int, total: int, size: int) -> dict:
    """Pagination of a long table: this page, the number of pages, the rows shown and the page links
    (first, last and the neighbours of this one; None marks a gap)."""
    count = max(1, -(-total // size))
    page = min(page, count)
    near = sorted({1, count, *range(max(1, page - 2), min(count, page + 2) + 1)})
    links: list[int | None] = []
    for n in near:
        if links and n - links[-1] > 1:
            links.append(None)
        links.append(n)
    return {"page": page, "count": count, "total": total, "first": (page - 1) * size + 1 if total else 0,
            "last": min(total, page * size), "links": links}


@router.get("/afspraak/{commitment_id:int}", response_class=HTMLResponse)
def commitment_page(request: Request, session: SessionDep, commitment_id: int):
    commitment = visible_commitment(request, session, commitment_id)
    agreement = commitment.agreement
    view = monitoring.commitment_views(session, agreement, only=commitment)[0]
    catalogue = load_catalogue()
    chart = None
    if view.progress.series:
        trend = view.progress.trend
        # Years without a number (no crosswalk to the series' boundary year) are in the table only.
        chart = {"points": [{**p, "markering": "omgerekend" if p.get("converted") else "gepubliceerd"}
                            for p in view.progress.series if p["value"] is not None],
                 "trend": [{"year": y, "value": trend.at(y)} for y in (trend.first_year, commitment.target_year)]
                 if trend else [],
                 "target": {"year": commitment.target_year, "value": commitment.target_value}}
    page = _page_number(request.query_params.get("versies"))
    versions, total = services.realisation_page(session, commitment.id, page, VERSIONS_PER_PAGE)
    return _render(request, "commitment.html", {
        "demo": agreement.is_demo, "agreement": agreement, "c": commitment, "view": view,
        "indicator": catalogue.indicators.get(commitment.indicator_id or ""),
        "latest": latest_realisations(commitment), "versions": versions, "chart": chart,
        "versions_page": _pages(page, total, VERSIONS_PER_PAGE),
        "planned": {t.year: t.planned for t in commitment.year_targets},
        "years": list(range(agreement.period_start, agreement.period_end + 1)),
        "woonprogramma": housing.commitment_programme(session, commitment),
        "may": {"edit": _may(request, Action.EDIT_COMMITMENT, commitment_target(commitment)),
                "year_targets": _may(request, Action.EDIT_YEAR_TARGETS, commitment_target(commitment)),
                "report": _may(request, Action.REPORT_REALISATION, commitment_target(commitment))},
    })


@router.get("/afspraak/{commitment_id:int}/bewerken", response_class=HTMLResponse)
def edit_commitment_form(request: Request, session: SessionDep, commitment_id: int):
    commitment = visible_commitment(request, session, commitment_id)
    values = {k: getattr(commitment, k) for k in (
        "text", "theme", "scope_kind", "target_kind", "output_unit", "indicator_id", "baseline_value",
        "baseline_year", "target_value", "target_year")}
    values["party_ids"] = [str(cp.party_id) for cp in commitment.parties]
    index = area_index(session)
    # Names with their code, as the area picker writes them ("Oostgaarde (WK063702)").
    values["scope_codes"] = "" if commitment.scope_kind == "gemeente" else ", ".join(
        f"{index.areas[c].name} ({c})" if commitment.scope_kind in ("wijk", "buurt") and c in index.areas else c
        for c in commitment.scope_codes or [])
    values["year_targets"] = "; ".join(f"{t.year}: {t.planned:g}" for t in commitment.year_targets)
    values["lock_version"] = commitment.lock_version
    indicator = load_catalogue().indicators.get(commitment.indicator_id or "")
    if indicator and is_limit(indicator.direction, commitment.baseline_value, commitment.target_value):
        values["direction_ok"] = "1"  # stored as a limit: it was confirmed when saved
    return _render(request, "commitment_form.html",
                   _commitment_form_context(session, commitment.agreement, values, {}, commitment))


@router.post("/afspraak/{commitment_id:int}/bewerken", response_class=HTMLResponse)
async def edit_commitment(request: Request, session: SessionDep, commitment_id: int,
                          guard: _guard(Action.EDIT_COMMITMENT, commitment_from_path)):
    commitment = load_commitment(session, commitment_id)
    form = _form_dict(await request.form())
    try:
        data = services.parse_commitment(session, commitment.agreement, form, confirm_direction=True)
        services.update_commitment(session, commitment, data, guard.actor,
                                   expected_version=services.parse_lock_version(form))
    except services.EditConflict as exc:
        session.rollback()
        context = _commitment_form_context(session, commitment.agreement, {**form, "lock_version": exc.stored_version},
                                           {}, commitment)
        return _render(request, "commitment_form.html", context | {"conflict": exc}, status_code=409)
    except services.NotAllowed as exc:
        session.rollback()
        return _commitment_with_errors(request, session, commitment, form, {"status": str(exc)})
    except services.ValidationFailed as exc:
        session.rollback()
        return _render(request, "commitment_form.html",
                       _commitment_form_context(session, commitment.agreement, form, exc.errors, commitment),
                       status_code=422)
    session.commit()
    return _redirect(f"/afspraken/afspraak/{commitment.id}")


@router.post("/afspraak/{commitment_id:int}/jaarschijven", response_class=HTMLResponse)
async def save_year_targets(request: Request, session: SessionDep, commitment_id: int,
                            guard: _guard(Action.EDIT_YEAR_TARGETS, commitment_from_path)):
    """The jaarschijven table on the commitment page: one number field per year of the period."""
    commitment = load_commitment(session, commitment_id)
    form = _form_dict(await request.form())
    try:
        targets = services.parse_year_target_fields(commitment, form)
        services.set_year_targets(session, commitment, targets, guard.actor, replace=True,
                                  expected_version=services.parse_lock_version(form))
    except services.ValidationFailed as exc:
        return _commitment_with_errors(request, session, commitment, form, exc.errors)
    except services.EditConflict as exc:
        session.rollback()
        return _commitment_with_errors(request, session, commitment, {**form, "lock_version": exc.stored_version},
                                       {}, conflict=exc)
    except services.NotAllowed as exc:
        session.rollback()
        return _commitment_with_errors(request, session, commitment, form, {"jaarschijven": str(exc)})
    session.commit()
    return _redirect(f"/afspraken/afspraak/{commitment.id}#jaarschijven")


def _commitment_with_errors(request, session, commitment, form, errors, conflict=None) -> HTMLResponse:
    response = commitment_page(request, session, commitment.id)
    response.context.update({"errors": errors, "values": form, "conflict": conflict})
    return _render(request, "commitment.html", response.context, status_code=409 if conflict else 422)


@router.post("/afspraak/{commitment_id:int}/realisatie", response_class=HTMLResponse)
async def report_realisation(request: Request, session: SessionDep, commitment_id: int,
                             guard: _guard(Action.REPORT_REALISATION, commitment_from_path)):
    commitment = load_commitment(session, commitment_id)
    form = _form_dict(await request.form())
    party = reporting_party(guard, form)
    if party is None:
        return _commitment_with_errors(request, session, commitment, form, {"reported_by_party_id": (
            "U meldt een realisatie namens uw eigen organisatie, als die verantwoordelijk is voor deze afspraak.")})
    try:
        data = services.parse_realisation(session, commitment, {**form, "reported_by_party_id": party})
    except services.ValidationFailed as exc:
        return _commitment_with_errors(request, session, commitment, form, exc.errors)
    services.report_realisation(session, commitment, data, guard.actor)
    session.commit()
    return _redirect(f"/afspraken/afspraak/{commitment.id}#realisaties")


# ---------------------------------------------------------------- cycle, monitoring, rules, excel

@router.get("/cyclus", response_class=HTMLResponse)
def cycle(request: Request, session: SessionDep, jaar: OptionalYear = None):
    demo = _demo(request)
    year = jaar or date.today().year
    today = date.today()
    steps = [{"date": d, "title": t, "text": x, "past": d < today} for d, t, x in cycle_dates(year)]
    agreements = monitoring.list_agreements(session, demo=demo, viewer=current_principal(request))
    return _render(request, "cycle.html", {"demo": demo, "year": year, "steps": steps, "agreements": agreements,
                                           "areas": area_index(session).areas, "today": today})


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring_page(request: Request, session: SessionDep):
    demo = _demo(request)
    overview = monitoring.monitoring_overview(session, demo=demo, viewer=current_principal(request))
    return _render(request, "monitoring.html", {"demo": demo, "o": overview})


@router.get("/monitoring.xlsx")
def monitoring_export(request: Request, session: SessionDep):
    demo = _demo(request)
    name = "monitoring-fictief-voorbeeld" if demo else "monitoring-prestatieafspraken"
    content = excel.monitoring_workbook(session, demo=demo, viewer=current_principal(request))
    return Response(content, media_type=excel.XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@router.get("/statusregels", response_class=HTMLResponse)
def rules(request: Request):
    return _render(request, "rules.html", {"demo": False, "on_track": OUTPUT_ON_TRACK, "at_risk": OUTPUT_AT_RISK,
                                           "outcome_at_risk": OUTCOME_AT_RISK, "vague": VAGUE_PHRASES})


@router.get("/excel", response_class=HTMLResponse)
def excel_page(request: Request, session: SessionDep):
    ensure_parties(request, session)
    return _render(request, "excel.html", {"demo": False, "errors": [], "summary": None,
                                           "max_rows": excel.MAX_ROWS_PER_SHEET})


@router.get("/excel/sjabloon.xlsx")
def excel_template(request: Request, session: SessionDep):
    ensure_parties(request, session)
    return Response(excel.template_workbook(session), media_type=excel.XLSX_MEDIA_TYPE,
                    headers={"Content-Disposition": 'attachment; filename="prestatieafspraken-sjabloon.xlsx"'})


def _excel_refused(request: Request, errors: list, status_code: int, unread: bool = False) -> HTMLResponse:
    response = _render(request, "excel.html", {"demo": False, "summary": None, "errors": errors,
                                               "max_rows": excel.MAX_ROWS_PER_SHEET}, status_code=status_code)
    if unread:  # (the rest of) the body was not read: end the connection after this answer
        response.headers["Connection"] = "close"
    return response


@router.post("/excel", response_class=HTMLResponse)
async def excel_import(request: Request, session: SessionDep,
                       guard: Annotated[Guarded, Depends(Permit(Action.IMPORT_EXCEL, streamed=True))]):
    """Stream the upload to disk (capped at GEBIEDSATLAS_MAX_UPLOAD_MB, CSRF token checked on the way:
    ``web/uploads.py``), check the package, and import it as a background job (``import_jobs``)."""
    ensure_parties(request, session)
    settings = request.app.state.settings
    store = import_jobs.JobStore.for_store(settings.database_url)
    if store.open_jobs(guard.principal.user_id) >= import_jobs.MAX_OPEN_PER_USER:
        return _excel_refused(request, [f"U hebt al {import_jobs.MAX_OPEN_PER_USER} imports lopen. Wacht tot die "
                                        "klaar zijn en probeer het dan opnieuw."], 429, unread=True)
    job_id = store.new_id()
    try:
        upload = await uploads.receive_upload(request, file_field="bestand", destination=store.upload_path(job_id),
                                              max_bytes=settings.max_upload_mb * 2**20)
    except uploads.UploadRefused as exc:
        return _excel_refused(request, [exc.message], exc.status, unread=True)
    except AuthError as exc:  # the form's token was wrong: the file is not read
        exc.headers = {**(exc.headers or {}), "Connection": "close"}
        raise
    if upload is None:
        return _excel_refused(request, ["Kies een ingevuld sjabloon (.xlsx)."], 422)
    try:
        await run_in_threadpool(excel.check_package, upload.path, upload.filename)
    except excel.ExcelImportError as exc:
        upload.path.unlink(missing_ok=True)
        return _excel_refused(request, exc.errors, 422)
    import_jobs.submit(store, job_id, upload.path, upload.filename, guard.principal.user_id, guard.actor,
                       guard.principal, settings.database_url)
    return _redirect(f"/afspraken/excel/taak/{job_id}")


def _own_job(request: Request, job_id: str) -> import_jobs.Job:
    """The job, for the person who started it only (anyone else: 404, its existence is not revealed)."""
    user_id = current_principal(request).user_id
    job = None
    if user_id is not None:
        job = import_jobs.JobStore.for_store(request.app.state.settings.database_url).load(job_id, user_id)
    if job is None:
        raise HTTPException(404, "Onbekende import.")
    return job


@router.get("/excel/taak/{job_id}", response_class=HTMLResponse)
def excel_job_page(request: Request, job_id: str):
    """Progress of an import (a script polls the status; without it the page has a link to refresh),
    then the result or every error."""
    job = _own_job(request, job_id)
    response = _render(request, "excel_job.html", {"demo": False, "job": job, "summary": job.summary,
                                                   "errors": job.errors, "error_count": job.error_count})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/excel/taak/{job_id}/status")
def excel_job_status(request: Request, job_id: str):
    return JSONResponse(_own_job(request, job_id).status(), headers={"Cache-Control": "no-store"})


@router.get("/kaart", response_class=HTMLResponse)
def map_page(request: Request, session: SessionDep, gemeente: str = "GM0356"):
    """Commitments per wijk of one gemeente: a table (works without JavaScript) and a Leaflet map."""
    demo = _demo(request)
    index = area_index(session)
    area = index.get(gemeente.upper())
    if area is None or area.level.value != "gemeente":
        raise HTTPException(404, f"Onbekende gemeente {gemeente!r}.")
    counts = monitoring.counts_per_area(session, level="wijk", gemeente_code=area.code, demo=demo,
                                        viewer=current_principal(request))
    year = index.boundary_year(Level.WIJK, date.today().year)
    wijken = [index.areas[c] for c in index.at_level(Level.WIJK, parent=area.code, year=year)]
    return _render(request, "map.html", {"demo": demo, "area": area, "gemeenten": _gemeenten(session),
                                         "wijken": wijken, "counts": counts, "year": year,
                                         "gemeentebreed": counts.get(area.code, 0),
                                         "tile_url": request.app.state.settings.tile_url})


@router.get("/gebied/{code}", response_class=HTMLResponse)
def area_page(request: Request, session: SessionDep, code: str):
    """What has been agreed for one area (with ?voorbeeld=1: in the fictional set)."""
    demo = _demo(request)
    area = area_index(session).get(code.upper())
    if area is None:
        raise HTTPException(404, f"Onbekend gebied {code!r}.")
    context = area_section_context(session, area.code, current_principal(request), demo=demo)
    return _render(request, "area.html", {"demo": demo, "area": area, **context})
