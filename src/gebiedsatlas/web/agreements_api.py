"""JSON API of the prestatieafspraken under ``/api/agreements`` (and ``/api/commitments``, ``/api/parties``).

Writes take the same raw fields as the forms and answer 422 with ``{"errors": {field: message}}``.
The acting user and organisation come from the ``X-Gebruiker`` and ``X-Organisatie`` headers.
Fictional demo data is only returned with ``demo=true``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from gebiedsatlas.agreements import history, monitoring, services
from gebiedsatlas.agreements.parties import list_parties
from gebiedsatlas.agreements.progress import Progress
from gebiedsatlas.agreements.serialize import agreement_dict, commitment_dict, party_dict, realisation_dict
from gebiedsatlas.agreements.vocab import PROGRESS_LABELS
from gebiedsatlas.store.agreements import Agreement, Commitment
from gebiedsatlas.web.agreements_pages import actor_of, ensure_parties
from gebiedsatlas.web.deps import get_or_404, get_session

router = APIRouter(prefix="/api", tags=["prestatieafspraken"])
SessionDep = Annotated[Session, Depends(get_session)]
RawBody = Annotated[dict[str, Any], Body(description="velden zoals in de formulieren")]


def _progress_dict(p: Progress) -> dict:
    return {"status": p.status, "label": PROGRESS_LABELS[p.status], "explanation": p.explanation,
            "planned_total": p.planned_total, "planned_due": p.planned_due, "realised_total": p.realised_total,
            "current_value": p.current_value, "current_year": p.current_year, "projected_value": p.projected_value,
            "trend": None if p.trend is None else {"slope": p.trend.slope, "intercept": p.trend.intercept,
                                                   "first_year": p.trend.first_year, "last_year": p.trend.last_year},
            "series": p.series,
            "series_basis": p.basis.as_dict() if p.basis else None,
            "smart": [{"code": i.code, "message": i.message, "blocking": i.blocking} for i in p.issues]}


def _agreement_or_404(session: Session, agreement_id: int) -> Agreement:
    return get_or_404(session, Agreement, agreement_id, f"onbekende afspraken {agreement_id}")


def _commitment_or_404(session: Session, commitment_id: int) -> Commitment:
    return get_or_404(session, Commitment, commitment_id, f"onbekende afspraak {commitment_id}")


def _invalid(exc: services.ValidationFailed) -> JSONResponse:
    return JSONResponse({"errors": exc.errors}, status_code=422)


def _full(session: Session, agreement: Agreement) -> dict:
    data = agreement_dict(agreement)
    views = {v.commitment.id: v for v in monitoring.commitment_views(session, agreement)}
    for c in data["commitments"]:
        c["progress"] = _progress_dict(views[c["id"]].progress)
        c["scope_label"] = views[c["id"]].scope
    data["reciprocity"] = [{"party": r["party"].name, "commitments": r["count"], "alone": r["alone"]}
                           for r in monitoring.reciprocity(agreement)]
    return data


@router.get("/parties", summary="Partijen (gemeenten, corporaties, huurdersorganisaties, …)")
def parties(request: Request, session: SessionDep, demo: bool = False, kind: str | None = None):
    ensure_parties(request, session)
    return [party_dict(p) for p in list_parties(session, demo=demo, kind=kind)]


@router.post("/parties", status_code=201, summary="Nieuwe partij (bijv. een huurdersorganisatie)")
def create_party(request: Request, session: SessionDep, body: RawBody):
    ensure_parties(request, session)
    try:
        party = services.create_party(session, str(body.get("name") or ""), str(body.get("kind") or ""),
                                      actor_of(request), gemeente_code=body.get("gemeente_code") or None,
                                      note=str(body.get("note") or ""))
    except services.ValidationFailed as exc:
        return _invalid(exc)
    session.commit()
    return party_dict(party)


@router.get("/agreements", summary="Prestatieafspraken, per gemeente of partij")
def list_agreements(session: SessionDep, gemeente: str | None = None, party: int | None = None, demo: bool = False):
    return [{k: v for k, v in agreement_dict(a).items() if k != "commitments"}
            | {"commitments": len(a.commitments)}
            for a in monitoring.list_agreements(session, demo=demo, gemeente_code=gemeente, party_id=party)]


@router.get("/agreements/counts", summary="Aantal afspraken per wijk (of buurt), voor de kaart")
def counts(session: SessionDep, level: Annotated[str, Query(pattern="^(wijk|buurt)$")] = "wijk",
           gemeente: str | None = None, demo: bool = False):
    return {"level": level, "demo": demo,
            "counts": monitoring.counts_per_area(session, level=level, gemeente_code=gemeente, demo=demo)}


@router.get("/agreements/area/{code}", summary="Wat is in dit gebied afgesproken?")
def for_area(session: SessionDep, code: str, demo: bool = False):
    return monitoring.commitments_for_area(session, code.upper(), demo=demo)


@router.get("/agreements/monitoring", summary="Statusaantallen per thema, partij en gemeente")
def monitoring_overview(session: SessionDep, demo: bool = False, year: int | None = None):
    o = monitoring.monitoring_overview(session, demo=demo, reference_year=year)
    comparison = {corp: {town: {"commitments": cell["commitments"], "output": dict(cell["output"]),
                                "themes": dict(cell["themes"])} for town, cell in towns.items()}
                  for corp, towns in o["comparison"].items()}
    return {k: o[k] for k in ("reference_year", "total", "commitments", "agreements", "per_theme", "per_party",
                              "per_gemeente")} | {
        "comparison": comparison, "series_basis": o["series_basis"].as_dict() if o["series_basis"] else None}


@router.post("/agreements", status_code=201, summary="Nieuwe afspraken (status concept)")
def create_agreement(request: Request, session: SessionDep, body: RawBody):
    ensure_parties(request, session)
    try:
        agreement = services.create_agreement(session, services.parse_agreement(session, body), actor_of(request))
    except services.ValidationFailed as exc:
        return _invalid(exc)
    session.commit()
    return _full(session, agreement)


@router.get("/agreements/{agreement_id}", summary="Eén set afspraken met voortgang en wederkerigheid")
def get_agreement(session: SessionDep, agreement_id: int):
    return _full(session, _agreement_or_404(session, agreement_id))


@router.post("/agreements/{agreement_id}/status", summary="Status wijzigen (concept → bod → getekend → afgerond)")
def change_status(request: Request, session: SessionDep, agreement_id: int, body: RawBody):
    agreement = _agreement_or_404(session, agreement_id)
    errors: dict[str, str] = {}
    signed_on = services.parse_date(body, "signed_on", errors)
    if errors:
        return JSONResponse({"errors": errors}, status_code=422)
    try:
        services.change_status(session, agreement, str(body.get("status", "")), actor_of(request),
                               signed_on=signed_on)
    except services.ValidationFailed as exc:
        return _invalid(exc)
    except services.NotAllowed as exc:
        return JSONResponse({"errors": {"status": str(exc)}}, status_code=409)
    session.commit()
    return _full(session, agreement)


@router.get("/agreements/{agreement_id}/history", summary="Alle wijzigingen: wie, wanneer, oud en nieuw")
def agreement_history(session: SessionDep, agreement_id: int):
    _agreement_or_404(session, agreement_id)
    return [{"at": c.at.isoformat(timespec="seconds"), "actor": c.actor, "organisation": c.organisation,
             "entity": c.entity, "entity_id": c.entity_id, "action": c.action, "field": c.field,
             "old": c.old_value, "new": c.new_value} for c in history.changes(session, agreement_id)]


@router.get("/agreements/{agreement_id}/signed", summary="De afspraken zoals ze getekend zijn")
def signed(session: SessionDep, agreement_id: int):
    _agreement_or_404(session, agreement_id)
    snapshot = history.signing_snapshot(session, agreement_id)
    if snapshot is None:
        raise HTTPException(404, "nog niet getekend")
    return {"taken_at": snapshot.taken_at.isoformat(timespec="seconds"), "agreement": snapshot.data}


@router.post("/agreements/{agreement_id}/commitments", status_code=201, summary="Afspraak toevoegen")
def add_commitment(request: Request, session: SessionDep, agreement_id: int, body: RawBody):
    agreement = _agreement_or_404(session, agreement_id)
    try:
        commitment = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, body),
                                             actor_of(request))
    except services.ValidationFailed as exc:
        return _invalid(exc)
    session.commit()
    return get_commitment(session, commitment.id)


@router.get("/commitments/{commitment_id}", summary="Eén afspraak met status, reeks en alle realisatieversies")
def get_commitment(session: SessionDep, commitment_id: int):
    commitment = _commitment_or_404(session, commitment_id)
    view = next(v for v in monitoring.commitment_views(session, commitment.agreement)
                if v.commitment.id == commitment.id)
    return commitment_dict(commitment) | {
        "agreement_id": commitment.agreement_id, "scope_label": view.scope,
        "progress": _progress_dict(view.progress),
        "versions": [realisation_dict(r) for r in services.realisation_versions(session, commitment.id)]}


@router.post("/commitments/{commitment_id}/realisations", status_code=201,
             summary="Realisatie melden (een tweede melding voor een jaar wordt een nieuwe versie)")
def report_realisation(request: Request, session: SessionDep, commitment_id: int, body: RawBody):
    commitment = _commitment_or_404(session, commitment_id)
    try:
        services.report_realisation(session, commitment, services.parse_realisation(session, commitment, body),
                                    actor_of(request))
    except services.ValidationFailed as exc:
        return _invalid(exc)
    session.commit()
    session.expire(commitment)
    return get_commitment(session, commitment.id)
