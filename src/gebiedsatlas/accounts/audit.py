"""The append-only audit log: every write, every denied attempt, logins and changes of rights.

Each line holds action, object, result (allowed / denied / failed), origin (IP, user agent), actor,
organisation and time, never a secret (no passwords, tokens or session contents). Data changes are
added in the transaction of the change itself (``record``), so a rolled-back change leaves no line;
denied and failed attempts are written in a transaction of their own (``record_separately``), so the
attempt is logged even though its request is rolled back. The database refuses UPDATE and DELETE
on the table (triggers of migration 0005).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gebiedsatlas.store.accounts import AuditEvent

ALLOWED, DENIED, FAILED = "allowed", "denied", "failed"
RESULT_LABELS = {ALLOWED: "toegestaan", DENIED: "geweigerd", FAILED: "mislukt"}


@dataclass(frozen=True)
class Actor:
    """Who acts, for which organisation, from where. Built from the login (``web/auth.py``) or, on
    the command line, from the operator; never from a request header or form field."""

    user: str
    organisation: str
    user_id: int | None = None
    ip: str | None = None
    user_agent: str | None = None

    def acting_for(self, organisation: str) -> Actor:
        return replace(self, organisation=organisation or self.organisation)


def now() -> datetime:
    """Naive UTC, as the store keeps timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_text(value: object) -> str | None:
    """A stored value as text for the log (lists and dicts as JSON)."""
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def event(actor: Actor, action: str, result: str, *, object_type: str | None = None, object_id: object = None,
          agreement_id: int | None = None, field: str | None = None, old: object = None, new: object = None,
          detail: str | None = None, at: datetime | None = None) -> AuditEvent:
    return AuditEvent(at=at or now(), action=action[:64], result=result, object_type=object_type,
                      object_id=None if object_id is None else str(object_id)[:64], agreement_id=agreement_id,
                      user_id=actor.user_id, actor=actor.user[:254], organisation=(actor.organisation or "")[:200],
                      ip=(actor.ip or None) and actor.ip[:64],
                      user_agent=(actor.user_agent or None) and actor.user_agent[:300],
                      field=field, old_value=as_text(old), new_value=as_text(new),
                      detail=None if detail is None else detail[:2000])


def record(session: Session, actor: Actor, action: str, **fields) -> AuditEvent:
    """Add a line in the caller's transaction (for changes that succeed with it)."""
    line = event(actor, action, fields.pop("result", ALLOWED), **fields)
    session.add(line)
    return line


def record_separately(database_url: str, actor: Actor, action: str, result: str, **fields) -> None:
    """Write a line in its own transaction (denied or failed attempts: the request itself rolls back)."""
    from gebiedsatlas.store import db

    with db.session_scope(database_url) as session:
        session.add(event(actor, action, result, **fields))


def for_agreement(session: Session, agreement_id: int) -> list[AuditEvent]:
    """The history of an agreement: the allowed changes of the log, newest first."""
    stmt = (select(AuditEvent).where(AuditEvent.agreement_id == agreement_id, AuditEvent.result == ALLOWED)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    return list(session.scalars(stmt))


def search(session: Session, *, result: str | None = None, actor: str | None = None, action: str | None = None,
           since: datetime | None = None, until: datetime | None = None, limit: int | None = 500,
           offset: int = 0) -> list[AuditEvent]:
    stmt = select(AuditEvent)
    if result:
        stmt = stmt.where(AuditEvent.result == result)
    if actor:
        stmt = stmt.where(AuditEvent.actor.ilike(f"%{actor}%"))
    if action:
        stmt = stmt.where(AuditEvent.action.ilike(f"{action}%"))
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at < until)
    stmt = stmt.order_by(AuditEvent.id.desc()).offset(offset)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


EXPORT_COLUMNS = ["id", "tijd (UTC)", "actie", "resultaat", "object", "object-id", "afspraken-id", "gebruiker",
                  "gebruiker-id", "organisatie", "IP-adres", "browser", "veld", "oud", "nieuw", "toelichting"]


def export_row(line: AuditEvent) -> list:
    return [line.id, line.at.isoformat(timespec="seconds"), line.action, RESULT_LABELS.get(line.result, line.result),
            line.object_type, line.object_id, line.agreement_id, line.actor, line.user_id, line.organisation,
            line.ip, line.user_agent, line.field, line.old_value, line.new_value, line.detail]
