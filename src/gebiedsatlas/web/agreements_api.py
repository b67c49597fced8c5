"""JSON API of the prestatieafspraken under ``/api/agreements`` (and ``/api/commitments``, ``/api/parties``).

Writes take typed JSON bodies (``agreements/schemas.py``: the fields of the forms, with their types and
limits in the OpenAPI document) and answer 422 with ``{"errors": {field: Dutch message}}``, whether a
model or ``services.parse_*`` refused them; a body over 1 MB answers 413.
Every write needs a login: an API token (``Authorization: Bearer ga_…``, made on /account) or the
session cookie of the pages plus the ``X-CSRF-Token`` header. The acting user and organisation come
from that login; each write passes its declared permission (``Permit``, see
``accounts/permissions.py``). Reads show only the agreements the caller may see. Fictional demo data
is only returned with ``demo=true``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from gebiedsatlas.accounts.permissions import Action
from gebiedsatlas.agreements import history, monitoring, schemas, services
from gebiedsatlas.agreements.parties import list_parties
from gebiedsatlas.agreements.progress import Progress
from gebiedsatlas.agreements.serialize import agreement_dict, commitment_dict, party_dict, realisation_dict
from gebiedsatlas.agreements.vocab import PROGRESS_LABELS
from gebiedsatlas.store.agreements import Agreement
from gebiedsatlas.web.agreements_access import (
    PermitStatus,
    agreement_from_path,
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
from gebiedsatlas.web.auth import Guarded, Permit, PrincipalDep
from gebiedsatlas.web.deps import get_session

TOO_LARGE = (f"Het verzoek is te groot: een JSON-bericht mag hoogstens "
             f"{schemas.MAX_JSON_BODY // 1_000_000} MB zijn. Stuur minder of kortere velden.")


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE)


class LimitedRequest(Request):
    """A request whose body is read up to ``schemas.MAX_JSON_BODY`` bytes: a larger Content-Length is
    refused before reading, a stream without one when it passes the limit."""

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            declared = self.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > schemas.MAX_JSON_BODY:
                raise BodyTooLarge()
            chunks, size = [], 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > schemas.MAX_JSON_BODY:
                    raise BodyTooLarge()
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body


class AgreementsRoute(APIRoute):
    """Routes of this API: bodies read with a size limit, and a body the models refuse answered like
    ``services.ValidationFailed``: 422 ``{"errors": {field: Dutch message}}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(LimitedRequest(request.scope, request.receive))
            except RequestValidationError as exc:
                errors = list(exc.errors())
                if errors and all((e.get("loc") or ("",))[0] == "body" for e in errors):
                    return JSONResponse({"errors": schemas.dutch_errors(errors)}, status_code=422)
                raise

        return route_handler


router = APIRouter(prefix="/api", tags=["prestatieafspraken"], route_class=AgreementsRoute)
SessionDep = Annotated[Session, Depends(get_session)]


def _progress_dict(p: Progress) -> dict:
    return {"status": p.status, "label": PROGRESS_LABELS[p.status], "explanation": p.explanation,
            "planned_total": p.planned_total, "planned_due": p.planned_due, "realised_total": p.realised_total,
            "current_value": p.current_value, "current_year": p.current_year, "projected_value": p.projected_value,
            "trend": None if p.trend is None else {"slope": p.trend.slope, "intercept": p.trend.intercept,
                                                   "first_year": p.trend.first_year, "last_year": p.trend.last_year},
            "series": p.series,
            "series_basis": p.basis.as_dict() if p.basis else None,
            "smart": [{"code": i.code, "message": i.message, "blocking": i.blocking} for i in p.issues]}


AgreementId = Annotated[int, Path(ge=1, le=2**31 - 1, description="nummer van de afspraken")]
CommitmentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="nummer van de afspraak")]


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
def create_party(request: Request, session: SessionDep, body: schemas.PartyBody,
                 guard: Annotated[Guarded, Depends(Permit(Action.CREATE_PARTY))]):
    ensure_parties(request, session)
    try:
        party = services.create_party(session, body.name or "", body.kind or "", guard.actor,
                                      gemeente_code=body.gemeente_code or None, note=body.note,
                                      is_demo=guard.principal.is_demo)
    except services.ValidationFailed as exc:
        return _invalid(exc)
    session.commit()
    return party_dict(party)


@router.get("/agreements", summary="Prestatieafspraken, per gemeente of partij")
def list_agreements(session: SessionDep, principal: PrincipalDep, gemeente: str | None = None,
                    party: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None, demo: bool = False):
    return [{k: v for k, v in agreement_dict(a).items() if k != "commitments"}
            | {"commitments": len(a.commitments)}
            for a in monitoring.list_agreements(session, demo=demo, gemeente_code=gemeente, party_id=party,
                                                viewer=principal)]


@router.get("/agreements/counts", summary="Aantal afspraken per wijk (of buurt), voor de kaart")
def counts(session: SessionDep, principal: PrincipalDep,
           level: Annotated[str, Query(pattern="^(wijk|buurt)$")] = "wijk", gemeente: str | None = None,
           demo: bool = False):
    return {"level": level, "demo": demo,
            "counts": monitoring.counts_per_area(session, level=level, gemeente_code=gemeente, demo=demo,
                                                 viewer=principal)}


@router.get("/agreements/area/{code}", summary="Wat is in dit gebied afgesproken?")
def for_area(session: SessionDep, principal: PrincipalDep, code: str, demo: bool = False):
    return monitoring.commitments_for_area(session, code.upper(), demo=demo, viewer=principal)


@router.get("/agreements/monitoring", summary="Statusaantallen per thema, partij en gemeente")
def monitoring_overview(session: SessionDep, principal: PrincipalDep, demo: bool = False,
                        year: Annotated[int | None, Query(ge=2000, le=2100)] = None):
    o = monitoring.monitoring_overview(session, demo=demo, reference_year=year, viewer=principal)
    comparison = {corp: {town: {"commitments": cell["commitments"], "output": dict(cell["output"]),
                                "themes": dict(cell["themes"])} for town, cell in towns.items()}
                  for corp, towns in o["comparison"].items()}
    return {k: o[k] for k in ("reference_year", "total", "commitments", "agreements", "per_theme", "per_party",
                              "per_gemeente")} | {
        "comparison": comparison, "series_basis": o["series_basis"].as_dict() if o["series_basis"] else None}


@router.post("/agreements", status_code=201, summary="Nieuwe afspraken (status concept)")
def create_agreement(session: SessionDep, body: schemas.AgreementBody,
                     guard: Annotated[Guarded, Depends(Permit(Action.CREATE_AGREEMENT, proposed_agreement))]):
    try:
        agreement = services.create_agreement(session, services.parse_agreement(session, schemas.raw(body)),
                                              guard.actor)
    except services.ValidationFailed as exc:
        return _invalid(exc)
    session.commit()
    return _full(session, agreement)


@router.get("/agreements/{agreement_id}", summary="Eén set afspraken met voortgang en wederkerigheid")
def get_agreement(request: Request, session: SessionDep, agreement_id: AgreementId):
    return _full(session, visible_agreement(request, session, agreement_id))


@router.post("/agreements/{agreement_id}/status",
             summary="Akkoord geven op een nieuwe status (bod, getekend, afgerond: elke partij; "
                     "terug naar concept of een wijziging starten: één partij)")
def change_status(session: SessionDep, agreement_id: AgreementId, body: schemas.StatusBody,
                  guard: Annotated[Guarded, Depends(PermitStatus())]):
    agreement = load_agreement(session, agreement_id)
    errors: dict[str, str] = {}
    signed_on = services.parse_date(schemas.raw(body), "signed_on", errors)
    if errors:
        return JSONResponse({"errors": errors}, status_code=422)
    try:
        changed = services.approve_status(session, agreement, body.status or "", signing_party(guard),
                                          guard.actor, signed_on=signed_on)
    except services.ValidationFailed as exc:
        session.rollback()  # ends the transaction (and its lock on the agreement) before answering
        return _invalid(exc)
    except services.NotAllowed as exc:  # e.g. this party already agreed (also when two clicks race)
        session.rollback()
        return JSONResponse({"errors": {"status": str(exc)}}, status_code=409)
    session.commit()
    return _full(session, agreement) | {"status_changed": changed, "approvals": _approvals(session, agreement)}


def _approvals(session: Session, agreement: Agreement) -> list[dict]:
    return [{"party_id": a.party_id, "target_status": a.target_status, "user": a.user_name,
             "at": a.approved_at.isoformat(timespec="seconds")} for a in services.approvals(session, agreement)]


@router.post("/agreements/{agreement_id}/publish", summary="Openbaar maken (een getekende afspraak, voor iedereen)")
def publish(session: SessionDep, agreement_id: AgreementId,
            guard: Annotated[Guarded, Depends(Permit(Action.PUBLISH, agreement_from_path))]):
    agreement = load_agreement(session, agreement_id)
    try:
        services.publish(session, agreement, guard.actor)
    except services.NotAllowed as exc:
        return JSONResponse({"errors": {"status": str(exc)}}, status_code=409)
    session.commit()
    return _full(session, agreement)


@router.get("/agreements/{agreement_id}/history", summary="Alle wijzigingen: wie, wanneer, oud en nieuw")
def agreement_history(request: Request, session: SessionDep, agreement_id: AgreementId):
    visible_agreement(request, session, agreement_id)
    return [{"at": c.at.isoformat(timespec="seconds"), "actor": c.actor, "organisation": c.organisation,
             "entity": c.object_type, "entity_id": c.object_id, "action": c.action, "field": c.field,
             "old": c.old_value, "new": c.new_value} for c in history.changes(session, agreement_id)]


@router.get("/agreements/{agreement_id}/signed", summary="De afspraken zoals ze getekend zijn")
def signed(request: Request, session: SessionDep, agreement_id: AgreementId,
           version: Annotated[int | None, Query(ge=1, le=1000, description="versie (standaard de laatste)")] = None):
    agreement = visible_agreement(request, session, agreement_id)
    snapshot = history.signing_snapshot(session, agreement_id, version)
    if snapshot is None:
        raise HTTPException(404, "nog niet getekend")
    return {"taken_at": snapshot.taken_at.isoformat(timespec="seconds"), "version": snapshot.version,
            "agreement": snapshot.data,
            "signatures": [{"party_id": a.party_id, "user": a.user_name, "version": a.version,
                            "at": a.approved_at.isoformat(timespec="seconds")}
                           for a in services.signatures(session, agreement) if a.version == snapshot.version]}


@router.post("/agreements/{agreement_id}/commitments", status_code=201, summary="Afspraak toevoegen")
def add_commitment(session: SessionDep, agreement_id: AgreementId, body: schemas.CommitmentBody,
                   guard: Annotated[Guarded, Depends(Permit(Action.ADD_COMMITMENT, agreement_from_path))]):
    agreement = load_agreement(session, agreement_id)
    try:
        commitment = services.add_commitment(
            session, agreement, services.parse_commitment(session, agreement, schemas.raw(body)), guard.actor)
    except services.ValidationFailed as exc:
        return _invalid(exc)
    except services.NotAllowed as exc:
        session.rollback()
        return JSONResponse({"errors": {"status": str(exc)}}, status_code=409)
    session.commit()
    return _commitment_json(session, commitment.id)


@router.get("/commitments/{commitment_id}", summary="Eén afspraak met status, reeks en alle realisatieversies")
def get_commitment(request: Request, session: SessionDep, commitment_id: CommitmentId):
    visible_commitment(request, session, commitment_id)
    return _commitment_json(session, commitment_id)


def _commitment_json(session: Session, commitment_id: int) -> dict:
    commitment = load_commitment(session, commitment_id)
    view = next(v for v in monitoring.commitment_views(session, commitment.agreement)
                if v.commitment.id == commitment.id)
    return commitment_dict(commitment) | {
        "agreement_id": commitment.agreement_id, "scope_label": view.scope,
        "progress": _progress_dict(view.progress),
        "versions": [realisation_dict(r) for r in services.realisation_versions(session, commitment.id)]}


@router.post("/commitments/{commitment_id}/realisations", status_code=201,
             summary="Realisatie melden (een tweede melding voor een jaar wordt een nieuwe versie)")
def report_realisation(session: SessionDep, commitment_id: CommitmentId, body: schemas.RealisationBody,
                       guard: Annotated[Guarded, Depends(Permit(Action.REPORT_REALISATION, commitment_from_path))]):
    commitment = load_commitment(session, commitment_id)
    raw = schemas.raw(body)
    party = reporting_party(guard, raw)
    if party is None:
        return _invalid(services.ValidationFailed({"reported_by_party_id": (
            "U meldt een realisatie namens uw eigen organisatie, als die verantwoordelijk is voor deze afspraak.")}))
    try:
        services.report_realisation(session, commitment, services.parse_realisation(
            session, commitment, {**raw, "reported_by_party_id": party}), guard.actor)
    except services.ValidationFailed as exc:
        return _invalid(exc)
    session.commit()
    session.expire(commitment)
    return _commitment_json(session, commitment.id)
