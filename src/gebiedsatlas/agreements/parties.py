"""The real parties: the signatories of the New Town Alliantie (``data/parties``).

Only what the file says is stored: seven gemeenten with their CBS code and seventeen corporations
without a gemeente, because which corporation works in which town is not in the published list.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gebiedsatlas.accounts.services import ensure_organisations
from gebiedsatlas.agreements.vocab import PARTY_KINDS
from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.tables import read_rows
from gebiedsatlas.store.agreements import Agreement, AgreementParty, Party

SIGNATORIES = Path("parties") / "nta_signatories_2025.csv"


def seed_signatories(session: Session, data_dir: Path) -> int:
    """Add the NTA signatories that are not yet stored (idempotent), each with its organisation for
    accounts, and the alliance's organisation; returns how many parties were added."""
    path = data_dir / SIGNATORIES
    known = set(session.scalars(select(Party.name)))
    added = 0
    for line, row in read_rows(path, ["organisatie", "soort", "gemeentecode"]):
        kind = row["soort"].strip()
        if kind not in PARTY_KINDS:
            raise InputError(str(path), "onbekende soort organisatie", row=line, column="soort",
                             expected=", ".join(PARTY_KINDS), found=kind)
        name = row["organisatie"].strip()
        if name in known:
            continue
        session.add(Party(name=name, kind=kind, gemeente_code=(row["gemeentecode"] or "").strip() or None,
                          note=(row.get("toelichting") or "").strip(), is_demo=False))
        known.add(name)
        added += 1
    session.flush()
    ensure_organisations(session)
    return added


def list_parties(session: Session, *, demo: bool | None = False, kind: str | None = None) -> list[Party]:
    """Parties by kind then name; ``demo=None`` gives real and fictional ones."""
    stmt = select(Party)
    if demo is not None:
        stmt = stmt.where(Party.is_demo == demo)
    if kind:
        stmt = stmt.where(Party.kind == kind)
    order = list(PARTY_KINDS)
    return sorted(session.scalars(stmt), key=lambda p: (order.index(p.kind) if p.kind in order else 99, p.name))


def party_gemeenten(session: Session) -> dict[int, set[str]]:
    """Per party the gemeenten it is tied to: its own (a gemeente, or a huurdersorganisatie added for
    one) and those of the agreements it signed. Forms use it to suggest the parties of the chosen
    gemeente (which corporation works where is not in the published list, so history is the guide)."""
    tied: dict[int, set[str]] = {}
    own = select(Party.id, Party.gemeente_code).where(Party.gemeente_code.is_not(None))
    for party_id, code in session.execute(own):
        tied.setdefault(party_id, set()).add(code)
    rows = session.execute(select(AgreementParty.party_id, Agreement.gemeente_code)
                           .join(Agreement, Agreement.id == AgreementParty.agreement_id))
    for party_id, code in rows:
        tied.setdefault(party_id, set()).add(code)
    return tied
