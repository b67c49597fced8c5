"""What the permission rules need to know about an agreement or commitment, and which agreements a
person may see, as one SQL condition (so lists, dashboards, maps and exports filter alike)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from gebiedsatlas.accounts.permissions import Target
from gebiedsatlas.accounts.principal import Principal
from gebiedsatlas.store.agreements import Agreement, AgreementParty, Commitment


def is_public(agreement: Agreement) -> bool:
    """Published by its parties, or part of the fictional example (shown to everyone, labelled)."""
    return agreement.published_at is not None or agreement.is_demo


def agreement_target(agreement: Agreement) -> Target:
    return Target(kind="afspraken", id=agreement.id, state=agreement.status, agreement_id=agreement.id,
                  party_ids=frozenset(ap.party_id for ap in agreement.parties), published=is_public(agreement))


def commitment_target(commitment: Commitment) -> Target:
    agreement = commitment.agreement
    return Target(kind="afspraak", id=commitment.id, state=agreement.status, agreement_id=agreement.id,
                  party_ids=frozenset(ap.party_id for ap in agreement.parties),
                  responsible_party_ids=frozenset(cp.party_id for cp in commitment.parties),
                  published=is_public(agreement))


def visible_clause(viewer: Principal | None) -> ColumnElement[bool]:
    """Agreements ``viewer`` may read (the READ_AGREEMENT rows of the matrix); None: everything
    (the command line and internal callers)."""
    if viewer is None:
        return true()
    clauses = [Agreement.published_at.is_not(None), Agreement.is_demo.is_(True)]
    if viewer.party_ids:
        clauses.append(Agreement.id.in_(select(AgreementParty.agreement_id)
                                        .where(AgreementParty.party_id.in_(sorted(viewer.party_ids)))))
    clauses.append(Agreement.status != "concept" if viewer.in_alliance else false())
    return or_(*clauses)
