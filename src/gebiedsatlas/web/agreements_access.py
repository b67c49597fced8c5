"""What the agreement API and pages share: the targets their permission guards check, the party
seeding, and reading with the visibility rules. One web module, so page modules need not import
each other."""

from __future__ import annotations

import threading
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from gebiedsatlas.accounts.permissions import STATUS_APPROVALS, Action, Target
from gebiedsatlas.accounts.principal import Principal
from gebiedsatlas.agreements import monitoring
from gebiedsatlas.agreements.access import agreement_target, commitment_target
from gebiedsatlas.agreements.parties import seed_signatories
from gebiedsatlas.agreements.services import parse_party_ids
from gebiedsatlas.store.agreements import Agreement, Commitment
from gebiedsatlas.store.readonly import is_read_only
from gebiedsatlas.web.auth import Guarded, Permit, current_principal, ensure_visible
from gebiedsatlas.web.deps import get_or_404, get_session

_seeded: set[str] = set()
_seed_lock = threading.Lock()


def ensure_parties(request: Request, session: Session) -> None:
    """Seed the real NTA signatories (and their organisations) once per store (idempotent); not on a
    read-only store (store/readonly.py), which shows the parties it has."""
    url = str(session.get_bind().url)
    with _seed_lock:
        if url in _seeded or is_read_only(request.app.state.settings.database_url):
            return
        seed_signatories(session, request.app.state.settings.data_dir)
        session.commit()
        _seeded.add(url)


def _path_id(request: Request, name: str) -> int:
    raw = request.path_params.get(name)
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise HTTPException(404, "Onbekend nummer.") from None  # a number too large is get_or_404's 404


def load_agreement(session: Session, agreement_id: int, detail: str | None = None) -> Agreement:
    return get_or_404(session, Agreement, agreement_id, detail or f"Er zijn geen afspraken met nummer {agreement_id}.")


def load_commitment(session: Session, commitment_id: int, detail: str | None = None) -> Commitment:
    return get_or_404(session, Commitment, commitment_id, detail or f"Er is geen afspraak met nummer {commitment_id}.")


def visible_agreement(request: Request, session: Session, agreement_id: int,
                      detail: str | None = None) -> Agreement:
    """The agreement, if this person may read it; 404 otherwise (existence is not revealed)."""
    agreement = load_agreement(session, agreement_id, detail)
    ensure_visible(request, current_principal(request), agreement_target(agreement),
                   detail or f"Er zijn geen afspraken met nummer {agreement_id}.")
    return agreement


def visible_commitment(request: Request, session: Session, commitment_id: int,
                       detail: str | None = None) -> Commitment:
    commitment = load_commitment(session, commitment_id, detail)
    ensure_visible(request, current_principal(request), agreement_target(commitment.agreement),
                   detail or f"Er is geen afspraak met nummer {commitment_id}.")
    return commitment


# ---------------------------------------------------------------- targets of the guards

def agreement_from_path(request: Request, session: Session) -> Target:
    return agreement_target(visible_agreement(request, session, _path_id(request, "agreement_id")))


def commitment_from_path(request: Request, session: Session) -> Target:
    return commitment_target(visible_commitment(request, session, _path_id(request, "commitment_id")))


async def proposed_agreement(request: Request, session: Session) -> Target:
    """A new agreement: the parties it will have (from the form or JSON body), so the rule "your
    organisation is one of the parties" can be checked before anything is stored."""
    ensure_parties(request, session)
    if "json" in request.headers.get("content-type", ""):
        try:
            body = await request.json()
        except ValueError:
            body = {}
        raw = body if isinstance(body, dict) else {}
    else:
        form = await request.form()
        raw = {"party_ids": form.getlist("party_ids")}
    errors: dict[str, str] = {}
    ids = parse_party_ids(session, raw, "party_ids", errors)
    if errors or not ids:
        # No valid parties: the request fails validation (422 with the field errors) whatever the
        # rule says, so judge the person by their own organisations and let the form explain.
        ids = list(current_principal(request).party_ids)
    return Target(kind="afspraken", state="concept", party_ids=frozenset(ids))


# ---------------------------------------------------------------- status changes

async def requested_status(request: Request) -> str:
    if "json" in request.headers.get("content-type", ""):
        try:
            body = await request.json()
        except ValueError:
            return ""
        return str(body.get("status", "")) if isinstance(body, dict) else ""
    return str((await request.form()).get("status", ""))


class PermitStatus(Permit):
    """The guard of a status change: the action follows from the requested status (bod, getekend,
    afgerond, back to concept, wijziging), as ``STATUS_APPROVALS`` of the matrix says."""

    def __init__(self) -> None:
        super().__init__(Action.SIGN, agreement_from_path)

    async def __call__(self, request: Request, session: Annotated[Session, Depends(get_session)]) -> Guarded:
        wanted = await requested_status(request)
        action = STATUS_APPROVALS.get(wanted, Action.SIGN)
        return await Permit(action, self.loader).__call__(request, session)


def signing_party(guarded: Guarded) -> int:
    """The party the person signs for: their organisation's party among the agreement's parties."""
    roles = guarded.decision.grant.roles if guarded.decision.grant else frozenset()
    for membership in guarded.principal.memberships:
        if membership.role in roles and membership.party_id in guarded.target.party_ids:
            return membership.party_id
    raise HTTPException(403, "U bent geen ondertekenaar van een van de partijen.")


def reporting_party(guarded: Guarded, raw: dict) -> list[int] | None:
    """The party a realisation is reported for: the one asked for if it is the person's own and
    responsible, else the person's own responsible party. None: the asked party is not theirs."""
    own = [m.party_id for m in guarded.principal.memberships
           if m.party_id in guarded.target.responsible_party_ids]
    asked = raw.get("reported_by_party_id")
    if asked in (None, "", []):
        return own[:1]
    asked_list = asked if isinstance(asked, list) else [asked]
    try:
        asked_ids = [int(a) for a in asked_list if str(a).strip()]
    except (TypeError, ValueError):
        return None
    return asked_ids if asked_ids and all(a in own for a in asked_ids) else None


def area_section_context(session: Session, code: str, viewer: Principal, demo: bool = False) -> dict:
    """Context for ``agreements/_area_section.html`` on the area profile ("wat is hier afgesproken")."""
    return {"agreed_here": monitoring.commitments_for_area(session, code, demo=demo, viewer=viewer),
            "agreed_code": code,
            "agreed_link": f"/afspraken/nieuw?gemeente={quote(code[:6].replace('WK', 'GM').replace('BU', 'GM'))}"}
