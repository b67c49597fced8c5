"""Who changed what, when: the agreement's history as a view of the audit log, and snapshots of an
agreement at signing (one per signed version).

Every service that changes agreement data calls ``record`` with the acting user and organisation,
which come from the login (``accounts.audit.Actor``). Values are stored as text so any field fits;
``None`` stays NULL (shown as "leeg").
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gebiedsatlas.accounts import audit
from gebiedsatlas.accounts.audit import Actor, as_text, now
from gebiedsatlas.store.accounts import AuditEvent
from gebiedsatlas.store.agreements import Agreement, AgreementSnapshot

__all__ = ["Actor", "as_text", "changes", "now", "record", "record_diff", "signed_versions", "signing_snapshot",
           "take_snapshot"]


def record(session: Session, actor: Actor, *, agreement_id: int | None, entity: str,
           entity_id: int | None, action: str, field: str | None = None, old: object = None,
           new: object = None, at: datetime | None = None) -> AuditEvent:
    """Add one line to the log (flushed with the change itself, in the same transaction)."""
    return audit.record(session, actor, action, object_type=entity, object_id=entity_id, agreement_id=agreement_id,
                        field=field, old=old, new=new, at=at)


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


def changes(session: Session, agreement_id: int) -> list[AuditEvent]:
    """The history of an agreement, newest first (the allowed changes of the audit log)."""
    return audit.for_agreement(session, agreement_id)


def take_snapshot(session: Session, agreement: Agreement, reason: str) -> AgreementSnapshot:
    """Store the agreement as it is now (see ``serialize.agreement_dict``)."""
    from gebiedsatlas.agreements.serialize import agreement_dict

    session.flush()
    snapshot = AgreementSnapshot(agreement_id=agreement.id, reason=reason, taken_at=now(), version=agreement.version,
                                 data=json.loads(json.dumps(agreement_dict(agreement), default=str)))
    session.add(snapshot)
    return snapshot


def signing_snapshot(session: Session, agreement_id: int, version: int | None = None) -> AgreementSnapshot | None:
    """The snapshot taken when the agreement (or the given version of it) was signed."""
    stmt = (select(AgreementSnapshot)
            .where(AgreementSnapshot.agreement_id == agreement_id, AgreementSnapshot.reason == "getekend"))
    if version is not None:
        stmt = stmt.where(AgreementSnapshot.version == version)
    return session.scalars(stmt.order_by(AgreementSnapshot.id.desc())).first()


def signed_versions(session: Session, agreement_id: int) -> list[AgreementSnapshot]:
    """Every signed version, oldest first."""
    return list(session.scalars(select(AgreementSnapshot).where(
        AgreementSnapshot.agreement_id == agreement_id, AgreementSnapshot.reason == "getekend")
        .order_by(AgreementSnapshot.version, AgreementSnapshot.id)))
