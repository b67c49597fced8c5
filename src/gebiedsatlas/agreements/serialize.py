"""Agreements as plain dicts: for the JSON API, the snapshots at signing and the Excel export."""

from __future__ import annotations

from gebiedsatlas.agreements.vocab import AGREEMENT_STATUSES, SCOPE_KINDS, TARGET_KINDS, THEMES
from gebiedsatlas.store.agreements import Agreement, Commitment, Party, Realisation


def party_dict(party: Party) -> dict:
    return {"id": party.id, "name": party.name, "kind": party.kind, "gemeente_code": party.gemeente_code,
            "is_demo": party.is_demo}


def latest_realisations(commitment: Commitment) -> dict[int, Realisation]:
    """The current (highest) version per year; older versions stay in the history."""
    latest: dict[int, Realisation] = {}
    for r in commitment.realisations:
        if r.year not in latest or r.version > latest[r.year].version:
            latest[r.year] = r
    return dict(sorted(latest.items()))


def realisation_dict(r: Realisation) -> dict:
    return {"id": r.id, "year": r.year, "version": r.version, "value": r.value, "explanation": r.explanation,
            "reported_by": r.reported_by.name if r.reported_by else None, "recorded_by": r.recorded_by,
            "recorded_org": r.recorded_org, "recorded_at": r.recorded_at.isoformat(timespec="seconds")}


def commitment_dict(c: Commitment) -> dict:
    return {
        "id": c.id, "number": c.number, "text": c.text, "theme": c.theme,
        "theme_label": THEMES.get(c.theme, c.theme),
        "parties": [party_dict(cp.party) for cp in c.parties],
        "scope_kind": c.scope_kind, "scope_kind_label": SCOPE_KINDS.get(c.scope_kind, c.scope_kind),
        "scope_codes": list(c.scope_codes or []),
        "target_kind": c.target_kind, "target_kind_label": TARGET_KINDS.get(c.target_kind, c.target_kind),
        "output_unit": c.output_unit, "indicator_id": c.indicator_id,
        "baseline_value": c.baseline_value, "baseline_year": c.baseline_year,
        "target_value": c.target_value, "target_year": c.target_year,
        "year_targets": {str(t.year): t.planned for t in c.year_targets},
        "realisations": [realisation_dict(r) for r in latest_realisations(c).values()],
    }


def agreement_dict(a: Agreement) -> dict:
    return {
        "id": a.id, "title": a.title, "gemeente_code": a.gemeente_code,
        "period_start": a.period_start, "period_end": a.period_end,
        "status": a.status, "status_label": AGREEMENT_STATUSES.get(a.status, a.status),
        "bod_date": a.bod_date.isoformat() if a.bod_date else None,
        "signed_on": a.signed_on.isoformat() if a.signed_on else None,
        "description": a.description, "documents": list(a.documents or []), "is_demo": a.is_demo,
        "parties": [party_dict(ap.party) for ap in a.parties],
        "commitments": [commitment_dict(c) for c in a.commitments],
    }
