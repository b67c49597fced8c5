"""/account: one's own memberships, password and personal API tokens (shown once, stored hashed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from gebiedsatlas.accounts import services as accounts
from gebiedsatlas.accounts.permissions import Action, Target
from gebiedsatlas.accounts.roles import ROLE_LABELS
from gebiedsatlas.store.accounts import ApiToken, UserAccount
from gebiedsatlas.web.auth import Guarded, Permit, current_principal, start_session
from gebiedsatlas.web.deps import get_or_404, get_session
from gebiedsatlas.web.templating import templates

router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]


def own_account(request: Request, _session: Session) -> Target:
    principal = current_principal(request)
    return Target(kind="gebruiker", id=principal.user_id, user_id=principal.user_id)


OwnAccount = Annotated[Guarded, Depends(Permit(Action.MANAGE_OWN_ACCOUNT, own_account))]


def _page(request: Request, session: Session, *, new_token: str | None = None, errors: dict | None = None,
          status_code: int = 200, message: str | None = None) -> HTMLResponse:
    principal = current_principal(request)
    if principal.user_id is None:
        raise HTTPException(401, "Log in om uw account te zien.")
    user = session.get(UserAccount, principal.user_id)
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))
    return templates.TemplateResponse(request, "account/account.html", {
        "user": user, "who": principal, "tokens": tokens, "new_token": new_token, "errors": errors or {},
        "message": message, "ROLE_LABELS": ROLE_LABELS}, status_code=status_code)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: SessionDep):
    if current_principal(request).user_id is None:
        return RedirectResponse("/inloggen?terug=/account", status_code=303)
    return _page(request, session)


@router.post("/account/wachtwoord", response_class=HTMLResponse)
async def change_password(request: Request, session: SessionDep, guard: OwnAccount):
    form = await request.form()
    user = session.get(UserAccount, guard.principal.user_id)
    if user.password_hash is None or not accounts.verify_password(user, str(form.get("current") or "")):
        return _page(request, session, errors={"current": "Het huidige wachtwoord klopt niet."}, status_code=422)
    if str(form.get("password") or "") != str(form.get("password2") or ""):
        return _page(request, session, errors={"password": "De twee nieuwe wachtwoorden zijn niet gelijk."},
                     status_code=422)
    try:
        accounts.set_password(session, user, str(form.get("password") or ""), guard.actor)
    except accounts.AccountError as exc:
        return _page(request, session, errors=exc.errors, status_code=422)
    session.commit()
    start_session(request, user)  # this session stays; every other one has ended
    return _page(request, session, message="Uw wachtwoord is gewijzigd. Andere sessies zijn uitgelogd.")


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(request: Request, session: SessionDep, guard: OwnAccount):
    form = await request.form()
    user = session.get(UserAccount, guard.principal.user_id)
    try:
        _, secret = accounts.create_token(session, user, str(form.get("name") or ""), guard.actor)
    except accounts.AccountError as exc:
        return _page(request, session, errors=exc.errors, status_code=422)
    session.commit()
    return _page(request, session, new_token=secret)


@router.post("/account/tokens/{token_id:int}/intrekken", response_class=HTMLResponse)
async def revoke_token(request: Request, session: SessionDep, token_id: int, guard: OwnAccount):
    token = get_or_404(session, ApiToken, token_id, "Onbekend token.")
    if token.user_id != guard.principal.user_id:
        raise HTTPException(404, "Onbekend token.")
    accounts.revoke_token(session, token, guard.actor)
    session.commit()
    return RedirectResponse("/account#tokens", status_code=303)
