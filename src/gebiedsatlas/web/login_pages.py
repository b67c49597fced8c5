"""Logging in and out: local accounts (argon2, rate-limited), OpenID Connect (Authlib), one-time
password links, and one-click login as a fictional demo account where the setting allows it."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gebiedsatlas.accounts import audit, oidc
from gebiedsatlas.accounts import services as accounts
from gebiedsatlas.accounts.permissions import Action
from gebiedsatlas.store.accounts import AuditEvent, Membership, UserAccount
from gebiedsatlas.web.auth import Guarded, Permit, actor_for, current_principal, end_session, start_session
from gebiedsatlas.web.deps import get_session
from gebiedsatlas.web.templating import templates

router = APIRouter(include_in_schema=False)
SessionDep = Annotated[Session, Depends(get_session)]

# Login rate limit, counted from the audit log so it holds across workers and restarts.
WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_IP = 20
LOGIN = "inloggen"
# Verifying against a real hash also for unknown accounts keeps the answer time the same.
_DUMMY_HASH = accounts.PASSWORDS.hash("geen-echt-wachtwoord-alleen-voor-gelijke-tijd")


def _spend_equal_time(password: str) -> None:
    with contextlib.suppress(Exception):  # a mismatch is the expected outcome
        accounts.PASSWORDS.verify(_DUMMY_HASH, password)


def safe_next(url: str | None) -> str:
    """Only a local path (no open redirect)."""
    url = url or "/"
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else "/"


def _render(request: Request, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    settings = request.app.state.settings
    base = {"oidc": settings.oidc, "demo_login": settings.demo_login_enabled}
    return templates.TemplateResponse(request, f"account/{name}", {**base, **context}, status_code=status_code)


def _demo_accounts(session: Session) -> list[tuple[str, dict[str, UserAccount]]]:
    """The fictional accounts per fictional organisation: [(organisation, {role: user})]."""
    users = session.scalars(select(UserAccount).where(UserAccount.is_demo.is_(True), UserAccount.is_active.is_(True))
                            .options(selectinload(UserAccount.memberships).selectinload(Membership.organisation)))
    grouped: dict[str, dict[str, UserAccount]] = {}
    for user in users:
        for membership in user.memberships:
            grouped.setdefault(membership.organisation.name, {})[membership.role] = user
    return sorted(grouped.items())


@router.get("/inloggen", response_class=HTMLResponse)
def login_form(request: Request, session: SessionDep, terug: str = "/"):
    settings = request.app.state.settings
    demo = _demo_accounts(session) if settings.demo_login_enabled else []
    return _render(request, "login.html", {"terug": safe_next(terug), "error": None, "email": "",
                                           "demo_accounts": demo})


def recent_failures(session: Session, *, email: str | None = None, ip: str | None = None) -> int:
    since = audit.now() - WINDOW
    stmt = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == LOGIN, AuditEvent.result == audit.DENIED, AuditEvent.at >= since)
    if email is not None:
        stmt = stmt.where(AuditEvent.object_id == email[:64])
    if ip is not None:
        stmt = stmt.where(AuditEvent.ip == ip)
    return session.scalar(stmt) or 0


@router.post("/inloggen", response_class=HTMLResponse)
async def login(request: Request, session: SessionDep, guard: Annotated[Guarded, Depends(Permit(Action.LOG_IN))]):
    form = await request.form()
    email = accounts.normalise_email(str(form.get("email") or ""))[:254]
    password = str(form.get("password") or "")
    back = safe_next(str(form.get("terug") or "/"))
    url = request.app.state.settings.database_url
    actor = audit.Actor(email or "onbekend", "", None, guard.actor.ip, guard.actor.user_agent)
    # object_id carries the address (cut to the column's 64 characters) so the limit can count per account.

    def refuse(message: str, status: int, reason: str) -> HTMLResponse:
        audit.record_separately(url, actor, LOGIN, audit.DENIED, object_type="gebruiker",
                                object_id=email[:64] or None, detail=reason)
        return _render(request, "login.html", {"terug": back, "error": message, "email": email,
                                               "demo_accounts": []}, status_code=status)

    if (recent_failures(session, email=email) >= MAX_FAILURES_PER_ACCOUNT
            or recent_failures(session, ip=guard.actor.ip) >= MAX_FAILURES_PER_IP):
        return refuse("Te veel mislukte pogingen. Wacht een kwartier en probeer het dan opnieuw, of vraag de "
                      "beheerder om een nieuwe inloglink.", 429, "te veel mislukte pogingen (limiet)")
    user = session.scalar(select(UserAccount).where(UserAccount.email == email)) if email else None
    if user is None or user.is_demo:
        _spend_equal_time(password)
        return refuse("Onbekend e-mailadres of onjuist wachtwoord.", 401, "onbekend account of wachtwoord")
    if not accounts.verify_password(user, password):
        return refuse("Onbekend e-mailadres of onjuist wachtwoord.", 401,
                      "geblokkeerd account" if not user.is_active else "onjuist wachtwoord")
    accounts.rehash_if_needed(user, password)
    user.last_login_at = audit.now()
    audit.record(session, audit.Actor(user.email, "", user.id, guard.actor.ip, guard.actor.user_agent), LOGIN,
                 object_type="gebruiker", object_id=email, detail="lokaal account")
    session.commit()
    start_session(request, user)
    return RedirectResponse(back, status_code=303)


@router.post("/uitloggen")
async def logout(request: Request, session: SessionDep,
                 guard: Annotated[Guarded, Depends(Permit(Action.LOG_IN))]):
    if guard.principal.user_id is not None:
        audit.record(session, guard.actor, "uitloggen", object_type="gebruiker", object_id=guard.principal.email)
        session.commit()
    end_session(request)
    return RedirectResponse("/", status_code=303)


@router.post("/inloggen/voorbeeld")
async def demo_login(request: Request, session: SessionDep,
                     guard: Annotated[Guarded, Depends(Permit(Action.LOG_IN))]):
    """One click into a fictional demo account (only where GEBIEDSATLAS_DEMO_LOGIN allows it). Demo
    accounts belong only to fictional organisations, so they can never touch real agreements."""
    if not request.app.state.settings.demo_login_enabled:
        return _render(request, "message.html", {
            "title": "Niet beschikbaar", "message": "Inloggen als voorbeeldgebruiker staat op deze server uit."},
            status_code=404)
    form = await request.form()
    try:
        user_id = int(str(form.get("user_id") or ""))
    except ValueError:
        user_id = 0
    user = session.get(UserAccount, user_id) if 0 < user_id < 2**31 else None
    if user is None or not user.is_demo or not user.is_active:
        return RedirectResponse("/inloggen", status_code=303)
    audit.record(session, audit.Actor(user.email, "", user.id, guard.actor.ip, guard.actor.user_agent), LOGIN,
                 object_type="gebruiker", object_id=user.email, detail="voorbeeldaccount (fictief)")
    session.commit()
    start_session(request, user)
    return RedirectResponse(safe_next(str(form.get("terug") or "/afspraken?voorbeeld=1")), status_code=303)


# ---------------------------------------------------------------- one-time password links

@router.get("/wachtwoord-instellen", response_class=HTMLResponse)
def set_password_form(request: Request, session: SessionDep, code: str = ""):
    user = accounts.user_for_link(session, code[:100])
    if user is None:
        return _render(request, "message.html", {"title": "Link verlopen of ongeldig", "message": (
            "Deze link werkt niet (meer). Vraag de beheerder van uw organisatie om een nieuwe.")}, status_code=404)
    return _render(request, "set_password.html", {"code": code, "user": user, "error": None})


@router.post("/wachtwoord-instellen", response_class=HTMLResponse)
async def set_password(request: Request, session: SessionDep,
                       guard: Annotated[Guarded, Depends(Permit(Action.LOG_IN))]):
    form = await request.form()
    code = str(form.get("code") or "")[:100]
    user = accounts.user_for_link(session, code)
    if user is None:
        audit.record_separately(request.app.state.settings.database_url, guard.actor, "wachtwoord.instellen",
                                audit.DENIED, object_type="gebruiker", detail="ongeldige of verlopen link")
        return _render(request, "message.html", {"title": "Link verlopen of ongeldig", "message": (
            "Deze link werkt niet (meer). Vraag de beheerder van uw organisatie om een nieuwe.")}, status_code=404)
    password, repeat = str(form.get("password") or ""), str(form.get("password2") or "")
    if password != repeat:
        return _render(request, "set_password.html", {"code": code, "user": user,
                                                      "error": "De twee wachtwoorden zijn niet gelijk."}, 422)
    try:
        accounts.set_password(session, user, password,
                              audit.Actor(user.email, "", user.id, guard.actor.ip, guard.actor.user_agent))
    except accounts.AccountError as exc:
        return _render(request, "set_password.html", {"code": code, "user": user,
                                                      "error": exc.errors["password"]}, 422)
    session.commit()
    start_session(request, user)
    return RedirectResponse("/account", status_code=303)


# ---------------------------------------------------------------- OpenID Connect

def _oidc_client(request: Request):
    """Authlib's Starlette client, registered once per app from the settings."""
    from authlib.integrations.starlette_client import OAuth

    settings = request.app.state.settings.oidc
    registry = getattr(request.app.state, "oauth", None)
    if registry is None:
        registry = OAuth()
        registry.register("gebiedsatlas", server_metadata_url=settings.metadata_url, client_id=settings.client_id,
                          client_secret=settings.client_secret, client_kwargs={"scope": settings.scope})
        request.app.state.oauth = registry
    return registry.gebiedsatlas


@router.get("/inloggen/oidc")
async def oidc_start(request: Request, terug: str = "/"):
    if request.app.state.settings.oidc is None:
        return RedirectResponse("/inloggen", status_code=303)
    request.session["na_inloggen"] = safe_next(terug)
    redirect_uri = str(request.url_for("oidc_callback"))
    return await _oidc_client(request).authorize_redirect(request, redirect_uri)


@router.get("/inloggen/oidc/terug", name="oidc_callback")
async def oidc_callback(request: Request, session: SessionDep):
    settings = request.app.state.settings.oidc
    if settings is None:
        return RedirectResponse("/inloggen", status_code=303)
    actor = actor_for(request, current_principal(request))
    try:
        token = await _oidc_client(request).authorize_access_token(request)
    except Exception as exc:  # Authlib raises OAuthError, MismatchingStateError, JOSE errors, HTTP errors
        audit.record_separately(request.app.state.settings.database_url, actor, LOGIN, audit.DENIED,
                                object_type="gebruiker", detail=f"OpenID Connect: {type(exc).__name__}")
        return _render(request, "message.html", {"title": "Inloggen mislukt", "message": (
            "De identiteitsprovider bevestigde de inlog niet. Probeer het opnieuw.")}, status_code=401)
    claims = dict(token.get("userinfo") or {})
    with contextlib.suppress(Exception):  # the ID token's claims suffice when userinfo fails
        claims |= await _oidc_client(request).userinfo(token=token)
    user = oidc.login(session, settings, claims, actor)
    if not user.is_active:
        session.rollback()
        audit.record_separately(request.app.state.settings.database_url, actor, LOGIN, audit.DENIED,
                                object_type="gebruiker", object_id=user.email, detail="geblokkeerd account")
        return _render(request, "message.html", {"title": "Account geblokkeerd", "message": (
            "Uw account is geblokkeerd. Neem contact op met de beheerder.")}, status_code=403)
    audit.record(session, audit.Actor(user.email, "", user.id, actor.ip, actor.user_agent), LOGIN,
                 object_type="gebruiker", object_id=user.email, detail=f"OpenID Connect ({settings.issuer})")
    session.commit()
    back = request.session.get("na_inloggen", "/")
    start_session(request, user)
    return RedirectResponse(safe_next(back), status_code=303)
