"""Who changed what, when: the change log, and snapshots of an agreement at signing.

Every service that changes agreement data calls ``record`` with the acting user and organisation
(no accounts yet: they come from a form field or request header, default "demo-gebruiker").
Values are stored as text so any field fits; ``None`` stays NULL (shown as "leeg").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gebiedsatlas.agreements.vocab import DEFAULT_ACTOR, DEFAULT_ORGANISATION
from gebiedsatlas.store.agreements import Agreement, AgreementChange, AgreementSnapshot


@dataclass(frozen=True)
class Actor:
    """The person and organisation making a change."""

    user: str = DEFAULT_ACTOR
    organisation: str = DEFAULT_ORGANISATION

    @classmethod
    def of(cls, user: str | None, organisation: str | None) -> Actor:
        """An actor from optional strings (empty values fall back to the defaults)."""
        return cls((user or "").strip()[:200] or DEFAULT_ACTOR,
                   (organisation or "").strip()[:200] or DEFAULT_ORGANISATION)


def now() -> datetime:
    """Naive UTC, as the foundation stores timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_text(value: object) -> str | None:
    """A stored value as text for the change log (lists and dicts as JSON)."""
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def record(session: Session, actor: Actor, *, agreement_id: int | None, entity: str,
           entity_id: int | None, action: str, field: str | None = None, old: object = None,
           new: object = None, at: datetime | None = None) -> AgreementChange:
    """Add one change-log row (flushed with the change itself, in the same transaction)."""
    change = AgreementChange(at=at or now(), actor=actor.user, organisation=actor.organisation,
                             agreement_id=agreement_id, entity=entity, entity_id=entity_id,
                             action=action, field=field, old_value=as_text(old), new_value=as_text(new))
    session.add(change)
    return change


def record_diff(session: Session, actor: Actor, obj, values: dict, *, agreement_id: int, entity: str) -> int:
    """Set ``values`` on ``obj`` and log each field that really changes; returns the number changed."""
    at = now()
    changed = 0
    for field, new in values.items():
        old = getattr(obj, field)
        if as_text(old) == as_text(new):
            continue
        setattr(obj, field, new)
        record(session, actor, agreement_id=agreement_id, entity=entity, entity_id=obj.id,
               action="gewijzigd", field=field, old=old, new=new, at=at)
        changed += 1
    return changed


def changes(session: Session, agreement_id: int) -> list[AgreementChange]:
    """The change log of an agreement, newest first."""
    stmt = (select(AgreementChange).where(AgreementChange.agreement_id == agreement_id)
            .order_by(AgreementChange.at.desc(), AgreementChange.id.desc()))
    return list(session.scalars(stmt))


def take_snapshot(session: Session, agreement: Agreement, reason: str) -> AgreementSnapshot:
    """Store the agreement as it is now (see ``serialize.agreement_dict``)."""
    from gebiedsatlas.agreements.serialize import agreement_dict

    session.flush()
    snapshot = AgreementSnapshot(agreement_id=agreement.id, reason=reason, taken_at=now(),
                                 data=json.loads(json.dumps(agreement_dict(agreement), default=str)))
    session.add(snapshot)
    return snapshot


def signing_snapshot(session: Session, agreement_id: int) -> AgreementSnapshot | None:
    """The snapshot taken when the agreement was (last) signed."""
    stmt = (select(AgreementSnapshot)
            .where(AgreementSnapshot.agreement_id == agreement_id, AgreementSnapshot.reason == "getekend")
            .order_by(AgreementSnapshot.id.desc()))
    return session.scalars(stmt).first()
