"""Who is asking, and may they: sessions, API tokens, CSRF and the one permission guard of every write.

- Identity comes from the signed session cookie (Starlette's SessionMiddleware, itsdangerous) or an
  ``Authorization: Bearer ga_…`` API token; never from a header such as ``X-Gebruiker`` or a form field.
- Every mutating route declares ``Depends(Permit(Action.X, target_loader))``. The guard checks CSRF
  (cookie-authenticated requests: same-origin ``Origin``/``Referer`` and the session's token in the
  form field ``csrf_token`` or the ``X-CSRF-Token`` header), builds the target, asks
  ``accounts.permissions.decide`` and logs a denial in the audit log. The route-table test
  (tests/test_authorisation_matrix.py) fails for a mutating route without a guard.
- Allowed writes that then fail (4xx/5xx) are logged as "failed" by ``AuditFailures``.
"""

from __future__ import annotations

import hmac
import inspect
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from gebiedsatlas.accounts import audit
from gebiedsatlas.accounts import services as accounts
from gebiedsatlas.accounts.audit import Actor
from gebiedsatlas.accounts.permissions import Action, Decision, Target, decide, open_to_anyone
from gebiedsatlas.accounts.principal import ANONYMOUS, Principal
from gebiedsatlas.store import db
from gebiedsatlas.store.accounts import UserAccount
from gebiedsatlas.store.readonly import is_read_only
from gebiedsatlas.web.deps import get_session

SESSION_COOKIE = "gebiedsatlas_sessie"
SESSION_MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TOKEN_USE_PRECISION = timedelta(minutes=1)


class AuthError(HTTPException):
    """A refused request: 401 (log in first) or 403 (not allowed, or a failed CSRF check)."""


# ---------------------------------------------------------------- who is asking

def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _user_agent(request: Request) -> str | None:
    return (request.headers.get("user-agent") or "")[:300] or None


def actor_for(request: Request, principal: Principal, organisation: str = "") -> Actor:
    """The actor of the audit log: from the login, with the organisation that carries the right."""
    if principal.user_id is None:
        return Actor("anoniem", organisation or "", None, client_ip(request), _user_agent(request))
    default = principal.memberships[0].organisation if len(principal.memberships) == 1 else ""
    return Actor(principal.email or principal.name, organisation or default, principal.user_id,
                 client_ip(request), _user_agent(request))


def _session_data(request: Request) -> dict:
    return request.session if "session" in request.scope else {}


def current_principal(request: Request) -> Principal:
    """The principal of this request (cached on it): API token, else session cookie, else anonymous."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = ANONYMOUS
    url = request.app.state.settings.database_url
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        with db.session_scope(url) as session:
            found = accounts.user_for_token(session, authorization[7:].strip())
            if found is not None:
                user, token = found
                principal = accounts.principal_for(session, user, "token")
                # "Last used" to the minute is enough: no write on every request of a busy script.
                # A read stays a read on a read-only store.
                stale = token.last_used_at is None or audit.now() - token.last_used_at > TOKEN_USE_PRECISION
                if stale and not is_read_only(url):
                    token.last_used_at = audit.now()
        request.state.via_token = True
    else:
        data = _session_data(request)
        user_id = data.get("uid")
        if isinstance(user_id, int):
            with db.session_scope(url) as session:
                user = session.get(UserAccount, user_id)
                if user is not None and user.is_active and user.session_epoch == data.get("epoch"):
                    principal = accounts.principal_for(session, user, "session")
                else:
                    data.clear()  # a reset password or blocked account ends the session
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def start_session(request: Request, user: UserAccount) -> None:
    """Log ``user`` in: a fresh session (no fixation), a new CSRF token."""
    data = request.session
    data.clear()
    data.update({"uid": user.id, "epoch": user.session_epoch, CSRF_FIELD: secrets.token_urlsafe(32)})
    request.state.principal = None


def end_session(request: Request) -> None:
    request.session.clear()


# ---------------------------------------------------------------- CSRF

def csrf_token(request: Request) -> str:
    data = _session_data(request)
    token = data.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        data[CSRF_FIELD] = token
    return token


def csrf_field(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token(request))


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _same_origin(request: Request) -> bool:
    """The Origin (or, without it, the Referer) names this site; a request without either passes
    here and is judged by its token alone (some privacy tools strip both)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        if origin == "null":
            return False
        if not referer:
            return True
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin == _own_origin(request)


CSRF_EXPIRED = ("Het formulier is verlopen of kwam niet van deze website. Laad de pagina opnieuw en probeer het "
                "nog eens.")


async def csrf_problem(request: Request, read_form: bool = True) -> str | None:
    """Why this request fails the CSRF check, or None. Bearer-token requests carry no ambient
    credentials and are exempt.

    ``read_form=False`` (a streamed upload): the body is not read here; a form without the header
    token is marked ``csrf_pending`` and its field is checked by ``check_streamed_csrf`` as the body
    is read (``web/uploads.py``), before any byte of the file is accepted."""
    if request.method not in MUTATING or getattr(request.state, "via_token", False):
        return None
    if not _same_origin(request):
        return "Verzoek van een andere website geweigerd (Origin klopt niet)."
    expected = _session_data(request).get(CSRF_FIELD)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        if not read_form:
            request.state.csrf_pending = True
            return None
        sent = (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        return CSRF_EXPIRED
    return None


def check_streamed_csrf(request: Request, sent: str | None) -> None:
    """The token check a streamed upload's guard left pending (``Permit(..., streamed=True)``): raises
    403, logged as denied, unless ``sent`` (the form's ``csrf_token`` field) is the session's token."""
    if not getattr(request.state, "csrf_pending", False):
        return
    expected = _session_data(request).get(CSRF_FIELD)
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        guarded: Guarded = request.state.guarded
        request.state.guarded = None  # denied, not an allowed write that failed
        raise deny(request, guarded.principal, request.state.guarded_action, CSRF_EXPIRED, guarded.target,
                   status=403)
    request.state.csrf_pending = False


# ---------------------------------------------------------------- the guard

@dataclass(frozen=True)
class Guarded:
    """What a guarded route gets: who, as which actor, about what, and why it was allowed."""

    principal: Principal
    actor: Actor
    target: Target
    decision: Decision


TargetLoader = Callable[[Request, Session], Awaitable[Target] | Target]


def deny(request: Request, principal: Principal, action: str, reason: str, target: Target | None = None,
         status: int | None = None) -> AuthError:
    """Log a denied attempt (in its own transaction) and return the error to raise."""
    target = target or Target()
    audit.record_separately(request.app.state.settings.database_url, actor_for(request, principal), action,
                            audit.DENIED, object_type=target.kind or None, object_id=target.id,
                            agreement_id=target.agreement_id, detail=f"{request.method} {request.url.path}: {reason}")
    code = status or (401 if not principal.is_authenticated else 403)
    return AuthError(code, reason)


class Permit:
    """The declared permission of a route: ``Depends(Permit(Action.X, loader))``.

    ``loader(request, session)`` builds the ``Target`` (may be async, may raise 404).
    ``streamed=True``: the route reads its multipart body as a stream with ``web.uploads.receive_upload``
    (never ``request.form()``, which reads the whole body first); the guard checks the origin and a
    header token, and that function checks the form's token when it arrives.

    The guard runs on the event loop; its database work (who is asking, the target, logging a denial)
    runs in the thread pool, so many parallel writers waiting for a lock or a pooled connection never
    block the loop that the holders need to finish."""

    def __init__(self, action: Action, loader: TargetLoader | None = None, *, streamed: bool = False) -> None:
        self.action = action
        self.loader = loader
        self.streamed = streamed

    async def __call__(self, request: Request, session: Annotated[Session, Depends(get_session)]) -> Guarded:
        principal = await run_in_threadpool(current_principal, request)
        if not principal.is_authenticated and not open_to_anyone(self.action):
            # Before looking anything up: a write needs a login, whatever it is about.
            raise await run_in_threadpool(deny, request, principal, self.action.value, "Log in om dit te doen.",
                                          status=401)
        target = Target()
        if inspect.iscoroutinefunction(self.loader):
            target = await self.loader(request, session)
        elif self.loader is not None:
            target = await run_in_threadpool(self.loader, request, session)
        decision = decide(principal, self.action, target)
        if not decision.allowed:
            raise await run_in_threadpool(deny, request, principal, self.action.value, decision.reason, target)
        # After the rule: a request that may not do this is refused either way; one that may, must
        # also come from this site (its cookie could have been sent along by another one).
        problem = await csrf_problem(request, read_form=not self.streamed)
        if problem:
            raise await run_in_threadpool(deny, request, principal, self.action.value, problem, target, status=403)
        guarded = Guarded(principal, actor_for(request, principal, decision.organisation), target, decision)
        request.state.guarded = guarded
        request.state.guarded_action = self.action.value
        return guarded


def ensure_visible(request: Request, principal: Principal, target: Target, not_found: str) -> None:
    """Reading an agreement the principal may not see answers 404 (its existence is not revealed)."""
    decision = decide(principal, Action.READ_AGREEMENT, target)
    if not decision.allowed:
        raise deny(request, principal, Action.READ_AGREEMENT.value, decision.reason, target, status=404) from None


class AuditFailures:
    """Pure ASGI middleware: a guarded (allowed) write that ends in an error status is logged as failed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING:
            await self.app(scope, receive, send)
            return
        status: dict[str, int] = {}

        async def remember(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            state = scope.get("state") or {}
            guarded = state.get("guarded")
            code = status.get("code", 500)
            if guarded is not None and code >= 400:
                target = guarded.target
                audit.record_separately(scope["app"].state.settings.database_url, guarded.actor,
                                        state.get("guarded_action", "onbekend"), audit.FAILED,
                                        object_type=target.kind or None, object_id=target.id,
                                        agreement_id=target.agreement_id,
                                        detail=f"{scope['method']} {scope['path']}: HTTP {code}")


class LoginRequired:
    """Pure ASGI middleware for ``GEBIEDSATLAS_ATLAS_PUBLIEK=0``: everything but the login pages,
    static files and health checks needs a session or an API token."""

    OPEN = ("/inloggen", "/wachtwoord-instellen", "/static/", "/health", "/ready")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.OPEN):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if current_principal(request).is_authenticated:
            await self.app(scope, receive, send)
            return
        from starlette.responses import JSONResponse, RedirectResponse

        if scope["path"].startswith("/api/"):
            response = JSONResponse({"detail": "Log in (of gebruik een API-token) om de atlas te gebruiken."}, 401)
        else:
            response = RedirectResponse(f"/inloggen?terug={scope['path']}", status_code=303)
        await response(scope, receive, send)
