"""/beheer: organisations and their members, users, the rights matrix with who holds which role
(the yearly access review) and the audit log, with CSV and Excel exports.

System administrators see and manage everything; a ``beheerder`` of an organisation manages the
members of that organisation only. Every route passes its declared permission (``Permit`` for
writes, ``require`` for reads).
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gebiedsatlas.accounts import audit
from gebiedsatlas.accounts import services as accounts
from gebiedsatlas.accounts.permissions import MATRIX, Action, Target, decide, matrix_rows
from gebiedsatlas.accounts.roles import ORGANISATION_KINDS, ROLE_LABELS, Role
from gebiedsatlas.safe_cells import text_cells
from gebiedsatlas.store.accounts import Membership, Organisation, UserAccount
from gebiedsatlas.web.auth import Guarded, Permit, current_principal, deny
from gebiedsatlas.web.deps import get_or_404, get_session
from gebiedsatlas.web.exports import csv_response
from gebiedsatlas.web.templating import templates

router = APIRouter(prefix="/beheer", include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def require(request: Request, action: Action, target: Target | None = None) -> None:
    """The read check of an administrator page (writes use ``Permit``)."""
    principal = current_principal(request)
    decision = decide(principal, action, target)
    if not decision.allowed:
        raise deny(request, principal, action.value, decision.reason, target)


def _organisation(session: Session, organisation_id: int) -> Organisation:
    return get_or_404(session, Organisation, organisation_id, "Onbekende organisatie.")


def organisation_from_path(request: Request, session: Session) -> Target:
    organisation = _organisation(session, int(request.path_params["organisation_id"]))
    return Target(kind="organisatie", id=organisation.id, organisation_id=organisation.id)


def user_from_path(request: Request, session: Session) -> Target:
    user = get_or_404(session, UserAccount, int(request.path_params["user_id"]), "Onbekende gebruiker.")
    return Target(kind="gebruiker", id=user.id, user_id=user.id)


def _render(request: Request, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    base = {"ROLE_LABELS": ROLE_LABELS, "ROLES": [r.value for r in Role], "KINDS": ORGANISATION_KINDS,
            "who": current_principal(request)}
    return templates.TemplateResponse(request, f"admin/{name}", {**base, **context}, status_code=status_code)


# ---------------------------------------------------------------- overview and organisations

@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep):
    principal = current_principal(request)
    if principal.user_id is None:
        return RedirectResponse("/inloggen?terug=/beheer", status_code=303)
    organisations = [o for o in accounts.list_organisations(session)
                     if decide(principal, Action.MANAGE_MEMBERS,
                               Target(kind="organisatie", organisation_id=o.id)).allowed]
    if not organisations and not principal.is_admin:
        raise deny(request, principal, Action.MANAGE_MEMBERS.value,
                   "Alleen beheerders van een organisatie en systeembeheerders kunnen hier iets doen.")
    return _render(request, "index.html", {"organisations": organisations})


@router.get("/organisaties/{organisation_id:int}", response_class=HTMLResponse)
def organisation_page(request: Request, session: SessionDep, organisation_id: int, invited: str | None = None):
    organisation = _organisation(session, organisation_id)
    require(request, Action.MANAGE_MEMBERS, Target(kind="organisatie", id=organisation.id,
                                                   organisation_id=organisation.id))
    return _render(request, "organisation.html", {"organisation": organisation, "errors": {}, "values": {},
                                                  "link": None})


OrganisationGuard = Annotated[Guarded, Depends(Permit(Action.MANAGE_MEMBERS, organisation_from_path))]


@router.post("/organisaties/{organisation_id:int}/leden", response_class=HTMLResponse)
async def invite(request: Request, session: SessionDep, organisation_id: int, guard: OrganisationGuard):
    organisation = _organisation(session, organisation_id)
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("email", "name", "role")}
    try:
        invitation = accounts.invite(session, organisation, values["email"], values["name"], values["role"],
                                     guard.actor)
    except accounts.AccountError as exc:
        return _render(request, "organisation.html", {"organisation": organisation, "errors": exc.errors,
                                                      "values": values, "link": None}, status_code=422)
    session.commit()
    link = None
    if invitation.secret:
        link = f"{request.base_url}wachtwoord-instellen?code={invitation.secret}"
    session.refresh(organisation)
    return _render(request, "organisation.html", {"organisation": organisation, "errors": {}, "values": {},
                                                  "link": link, "invited": invitation.user})


def _membership(session: Session, organisation_id: int, membership_id: int) -> Membership:
    membership = get_or_404(session, Membership, membership_id, "Onbekend lidmaatschap.")
    if membership.organisation_id != organisation_id:
        raise HTTPException(404, "Onbekend lidmaatschap.")
    return membership


@router.post("/organisaties/{organisation_id:int}/leden/{membership_id:int}/rol")
async def change_role(request: Request, session: SessionDep, organisation_id: int, membership_id: int,
                      guard: OrganisationGuard):
    membership = _membership(session, organisation_id, membership_id)
    form = await request.form()
    try:
        accounts.set_membership(session, membership.user, membership.organisation, str(form.get("role") or ""),
                                guard.actor)
    except accounts.AccountError as exc:
        raise HTTPException(422, "; ".join(exc.errors.values())) from None
    session.commit()
    return RedirectResponse(f"/beheer/organisaties/{organisation_id}", status_code=303)


@router.post("/organisaties/{organisation_id:int}/leden/{membership_id:int}/verwijderen")
async def remove_member(request: Request, session: SessionDep, organisation_id: int, membership_id: int,
                        guard: OrganisationGuard):
    accounts.remove_membership(session, _membership(session, organisation_id, membership_id), guard.actor)
    session.commit()
    return RedirectResponse(f"/beheer/organisaties/{organisation_id}", status_code=303)


@router.post("/organisaties/{organisation_id:int}/oidc")
async def set_oidc_key(request: Request, session: SessionDep, organisation_id: int,
                       guard: Annotated[Guarded, Depends(Permit(Action.MANAGE_ORGANISATIONS, organisation_from_path))]):
    """The value the identity provider sends in the organisation claim for this organisation."""
    organisation = _organisation(session, organisation_id)
    key = str((await request.form()).get("oidc_key") or "").strip()[:200] or None
    if key and session.scalar(select(Organisation).where(Organisation.oidc_key == key,
                                                         Organisation.id != organisation.id)):
        raise HTTPException(422, f"De sleutel {key!r} hoort al bij een andere organisatie.")
    audit.record(session, guard.actor, "organisatie.oidc-sleutel", object_type="organisatie",
                 object_id=organisation.id, old=organisation.oidc_key, new=key)
    organisation.oidc_key = key
    session.commit()
    return RedirectResponse(f"/beheer/organisaties/{organisation_id}", status_code=303)


# ---------------------------------------------------------------- users

@router.get("/gebruikers", response_class=HTMLResponse)
def users(request: Request, session: SessionDep):
    require(request, Action.MANAGE_USERS)
    rows = list(session.scalars(select(UserAccount).options(
        selectinload(UserAccount.memberships).selectinload(Membership.organisation)).order_by(UserAccount.email)))
    return _render(request, "users.html", {"users": rows, "link": None})


UserGuard = Annotated[Guarded, Depends(Permit(Action.MANAGE_USERS, user_from_path))]


@router.post("/gebruikers/{user_id:int}/wachtwoord-reset", response_class=HTMLResponse)
async def reset_password(request: Request, session: SessionDep, user_id: int, guard: UserGuard):
    user = session.get(UserAccount, user_id)
    secret = accounts.issue_password_link(session, user, guard.actor, reason="reset")
    session.commit()
    rows = list(session.scalars(select(UserAccount).order_by(UserAccount.email)))
    return _render(request, "users.html", {"users": rows, "reset_user": user,
                                           "link": f"{request.base_url}wachtwoord-instellen?code={secret}"})


@router.post("/gebruikers/{user_id:int}/blokkeren")
async def block(request: Request, session: SessionDep, user_id: int, guard: UserGuard):
    user = session.get(UserAccount, user_id)
    if user.id == guard.principal.user_id:
        raise HTTPException(422, "U kunt uw eigen account niet blokkeren.")
    accounts.set_active(session, user, False, guard.actor)
    session.commit()
    return RedirectResponse("/beheer/gebruikers", status_code=303)


@router.post("/gebruikers/{user_id:int}/activeren")
async def unblock(request: Request, session: SessionDep, user_id: int, guard: UserGuard):
    accounts.set_active(session, session.get(UserAccount, user_id), True, guard.actor)
    session.commit()
    return RedirectResponse("/beheer/gebruikers", status_code=303)


# ---------------------------------------------------------------- rights matrix and access review

def holders(session: Session) -> list[dict]:
    """Who holds which role where: the list for the yearly access review."""
    rows = []
    for user in session.scalars(select(UserAccount).options(
            selectinload(UserAccount.memberships).selectinload(Membership.organisation)).order_by(UserAccount.email)):
        base = {"e-mail": user.email, "naam": user.name, "actief": "ja" if user.is_active else "nee",
                "fictief": "ja" if user.is_demo else "",
                "laatst ingelogd": user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else ""}
        if user.is_admin:
            rows.append(base | {"organisatie": "—", "rol": "systeembeheerder", "bron": "opdrachtregel", "sinds": ""})
        for m in sorted(user.memberships, key=lambda m: m.organisation.name):
            rows.append(base | {"organisatie": m.organisation.name, "rol": m.role, "bron": m.source,
                                "sinds": m.created_at.isoformat(timespec="minutes")})
    return rows


HOLDER_COLUMNS = ["e-mail", "naam", "organisatie", "rol", "bron", "sinds", "actief", "fictief", "laatst ingelogd"]
MATRIX_COLUMNS = ["actie", "rollen", "relatie", "statussen", "alleen gepubliceerd", "toelichting"]


def _workbook(sheets: dict[str, tuple[list[str], list[dict]]]) -> bytes:
    """Sheets of text and numbers; text is written as text (never a formula)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, (columns, rows) in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(columns)
        for row in rows:
            ws.append([row.get(c) for c in columns])
    text_cells(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@router.get("/rechten", response_class=HTMLResponse)
def rights(request: Request, session: SessionDep):
    require(request, Action.READ_ACCESS_REVIEW)
    return _render(request, "rights.html", {"matrix": MATRIX, "rows": matrix_rows(), "holders": holders(session),
                                            "generated": audit.now()})


@router.get("/rechten.xlsx")
def rights_xlsx(request: Request, session: SessionDep):
    require(request, Action.READ_ACCESS_REVIEW)
    content = _workbook({"Rollen per persoon": (HOLDER_COLUMNS, holders(session)),
                         "Rechtenmatrix": (MATRIX_COLUMNS, matrix_rows())})
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="toegangsreview-{audit.now():%Y-%m-%d}.xlsx"'})


@router.get("/rechten.csv")
def rights_csv(request: Request, session: SessionDep, format: str = "csv-nl"):
    require(request, Action.READ_ACCESS_REVIEW)
    return csv_response(holders(session), HOLDER_COLUMNS, dialect=format,
                        filename=f"toegangsreview-{audit.now():%Y-%m-%d}")


# ---------------------------------------------------------------- audit log

def _log_filter(result: str | None, actor: str | None, action: str | None, days: int | None) -> dict:
    since = audit.now() - timedelta(days=days) if days else None
    return {"result": result or None, "actor": actor or None, "action": action or None, "since": since}


LogResult = Annotated[str | None, Query(pattern="^(allowed|denied|failed)?$")]
LogDays = Annotated[int | None, Query(ge=1, le=3660)]
LogText = Annotated[str | None, Query(max_length=100)]


@router.get("/logboek", response_class=HTMLResponse)
def log(request: Request, session: SessionDep, resultaat: LogResult = None, gebruiker: LogText = None,
        actie: LogText = None, dagen: LogDays = None, pagina: Annotated[int, Query(ge=1, le=100000)] = 1):
    require(request, Action.READ_AUDIT)
    size = 100
    lines = audit.search(session, **_log_filter(resultaat, gebruiker, actie, dagen), limit=size + 1,
                         offset=(pagina - 1) * size)
    query = "&".join(f"{k}={v}" for k, v in {"resultaat": resultaat, "gebruiker": gebruiker, "actie": actie,
                                            "dagen": dagen}.items() if v)
    return _render(request, "log.html", {"lines": lines[:size], "more": len(lines) > size, "page": pagina,
                                         "query": query, "RESULT_LABELS": audit.RESULT_LABELS,
                                         "filters": {"resultaat": resultaat or "", "gebruiker": gebruiker or "",
                                                     "actie": actie or "", "dagen": dagen or ""}})


def _log_rows(session: Session, **filters) -> list[dict]:
    return [dict(zip(audit.EXPORT_COLUMNS, audit.export_row(line), strict=True))
            for line in audit.search(session, **filters, limit=None)]


@router.get("/logboek.csv")
def log_csv(request: Request, session: SessionDep, resultaat: LogResult = None, gebruiker: LogText = None,
            actie: LogText = None, dagen: LogDays = None, format: str = "csv-nl"):
    require(request, Action.READ_AUDIT)
    rows = _log_rows(session, **_log_filter(resultaat, gebruiker, actie, dagen))
    return csv_response(rows, audit.EXPORT_COLUMNS, dialect=format, filename=f"logboek-{audit.now():%Y-%m-%d}")


@router.get("/logboek.xlsx")
def log_xlsx(request: Request, session: SessionDep, resultaat: LogResult = None, gebruiker: LogText = None,
             actie: LogText = None, dagen: LogDays = None):
    require(request, Action.READ_AUDIT)
    rows = _log_rows(session, **_log_filter(resultaat, gebruiker, actie, dagen))
    return Response(_workbook({"Logboek": (audit.EXPORT_COLUMNS, rows)}), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="logboek-{audit.now():%Y-%m-%d}.xlsx"'})
