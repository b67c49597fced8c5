"""Who may do what: one declared matrix of role × action × object state, and the one function that
applies it (``decide``).

Every write of the web app passes ``decide`` exactly once (the route guard in ``web/auth.py``; the
Excel import calls it for each row, because one upload touches many objects). The administrator page
``/beheer/rechten`` prints ``MATRIX`` as it is, so what users read is what the code enforces.

Relations say how the actor must be tied to the object:
- ``partij``: a member of an organisation that is a party of the agreement;
- ``verantwoordelijk``: a member of an organisation responsible for the commitment;
- ``alliantie``: a member of the alliance's organisation;
- ``eigen organisatie``: a member of the organisation concerned (member management);
- ``eigen account``: the object is the actor's own account (tokens, password);
- ``—``: no tie needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from gebiedsatlas.accounts.principal import Principal
from gebiedsatlas.accounts.roles import ANYONE, LOGGED_IN, SYSTEM_ADMIN, Role


class Action(StrEnum):
    """Every action the matrix knows. Reads first, then writes."""

    READ_ATLAS = "atlas.lezen"
    READ_AGREEMENT = "afspraken.lezen"
    CREATE_PARTY = "partij.aanmaken"
    CREATE_AGREEMENT = "afspraken.aanmaken"
    EDIT_AGREEMENT = "afspraken.bewerken"
    APPROVE_BOD = "afspraken.bod-akkoord"
    SIGN = "afspraken.ondertekenen"
    CLOSE = "afspraken.afronden"
    REOPEN = "afspraken.terug-naar-concept"
    AMEND = "afspraken.wijziging-starten"
    PUBLISH = "afspraken.publiceren"
    ADD_COMMITMENT = "afspraak.toevoegen"
    EDIT_COMMITMENT = "afspraak.bewerken"
    EDIT_YEAR_TARGETS = "jaarschijven.bewerken"
    REPORT_REALISATION = "realisatie.melden"
    IMPORT_EXCEL = "excel.importeren"
    MANAGE_MEMBERS = "leden.beheren"
    MANAGE_ORGANISATIONS = "organisaties.beheren"
    MANAGE_USERS = "gebruikers.beheren"
    READ_AUDIT = "logboek.lezen"
    READ_ACCESS_REVIEW = "rechten.lezen"
    MANAGE_OWN_ACCOUNT = "eigen-account.beheren"
    LOG_IN = "inloggen"
    # woonprogramma (docs/housing.md)
    EDIT_PROJECT = "woonprogramma.project-bewerken"
    IMPORT_PROJECTS = "woonprogramma.projecten-importeren"
    UPLOAD_PARTY_STOCK = "woonprogramma.voorraad-uploaden"
    EDIT_HOUSING_TARGET = "woonprogramma.doel-bewerken"
    EDIT_SCENARIO = "woonprogramma.scenario-bewerken"
    TAKE_SNAPSHOT = "woonprogramma.peilmoment-vastleggen"
    LINK_PROJECTS = "woonprogramma.afspraak-koppelen"


class Relation(StrEnum):
    NONE = "—"
    PARTY = "partij"
    RESPONSIBLE = "verantwoordelijk"
    ALLIANCE = "alliantie"
    OWN_ORGANISATION = "eigen organisatie"
    OWN_ACCOUNT = "eigen account"


# Agreement states: concept, bod, getekend, wijziging (an amendment of a signed agreement being
# drafted), afgerond. Unlocked: the text may change. A signed agreement is locked; changing it
# means starting a wijziging that every party signs again.
UNLOCKED = frozenset({"concept", "bod", "wijziging"})
ALL_STATES = frozenset({"concept", "bod", "getekend", "wijziging", "afgerond"})
NOT_DRAFT = ALL_STATES - {"concept"}

EDITORS = frozenset({Role.EDITOR, Role.ADMIN})
SIGNERS = frozenset({Role.APPROVER, Role.ADMIN})
MEMBERS = frozenset(Role)


@dataclass(frozen=True)
class Grant:
    """One row of the matrix: these roles, tied to the object this way, may do this in these states."""

    action: Action
    roles: frozenset[str]
    relation: Relation = Relation.NONE
    states: frozenset[str] | None = None  # None: any state, or the object has none
    published_only: bool = False
    note: str = ""


MATRIX: tuple[Grant, ...] = (
    Grant(Action.READ_ATLAS, frozenset({ANYONE}), note="of alleen ingelogd, als GEBIEDSATLAS_ATLAS_PUBLIEK=0"),
    Grant(Action.READ_AGREEMENT, frozenset({ANYONE}), published_only=True,
          note="gepubliceerde afspraken en het fictieve voorbeeld"),
    Grant(Action.READ_AGREEMENT, MEMBERS, Relation.PARTY, note="ook concepten"),
    Grant(Action.READ_AGREEMENT, MEMBERS, Relation.ALLIANCE, NOT_DRAFT, note="geen concepten"),
    Grant(Action.CREATE_PARTY, EDITORS, Relation.NONE, note="bijv. een huurdersorganisatie toevoegen"),
    Grant(Action.CREATE_PARTY, frozenset({SYSTEM_ADMIN})),
    Grant(Action.CREATE_AGREEMENT, EDITORS, Relation.PARTY, note="de eigen organisatie is een van de partijen"),
    Grant(Action.EDIT_AGREEMENT, EDITORS, Relation.PARTY, UNLOCKED),
    Grant(Action.ADD_COMMITMENT, EDITORS, Relation.PARTY, UNLOCKED),
    Grant(Action.EDIT_COMMITMENT, EDITORS, Relation.RESPONSIBLE, UNLOCKED),
    Grant(Action.EDIT_YEAR_TARGETS, EDITORS, Relation.RESPONSIBLE, UNLOCKED),
    Grant(Action.REPORT_REALISATION, EDITORS, Relation.RESPONSIBLE, frozenset({"getekend", "wijziging"}),
          note="realisaties van getekende afspraken"),
    Grant(Action.APPROVE_BOD, SIGNERS, Relation.PARTY, frozenset({"concept"}),
          note="het bod gaat uit als elke partij akkoord gaf"),
    Grant(Action.SIGN, SIGNERS, Relation.PARTY, frozenset({"bod", "wijziging"}),
          note="getekend als elke partij tekende"),
    Grant(Action.CLOSE, SIGNERS, Relation.PARTY, frozenset({"getekend"}),
          note="afgerond als elke partij akkoord gaf"),
    Grant(Action.REOPEN, SIGNERS, Relation.PARTY, frozenset({"bod"}), note="één partij is genoeg"),
    Grant(Action.AMEND, SIGNERS, Relation.PARTY, frozenset({"getekend"}),
          note="één partij start een wijziging; de getekende versie blijft leesbaar"),
    Grant(Action.PUBLISH, SIGNERS, Relation.PARTY, frozenset({"getekend", "afgerond"})),
    Grant(Action.IMPORT_EXCEL, EDITORS, Relation.NONE, note="daarna per regel de rechten van die regel"),
    Grant(Action.MANAGE_MEMBERS, frozenset({Role.ADMIN}), Relation.OWN_ORGANISATION),
    Grant(Action.MANAGE_MEMBERS, frozenset({SYSTEM_ADMIN})),
    Grant(Action.MANAGE_ORGANISATIONS, frozenset({SYSTEM_ADMIN})),
    Grant(Action.MANAGE_USERS, frozenset({SYSTEM_ADMIN})),
    Grant(Action.READ_AUDIT, frozenset({SYSTEM_ADMIN})),
    Grant(Action.READ_ACCESS_REVIEW, frozenset({SYSTEM_ADMIN})),
    Grant(Action.MANAGE_OWN_ACCOUNT, frozenset({LOGGED_IN}), Relation.OWN_ACCOUNT),
    Grant(Action.LOG_IN, frozenset({ANYONE})),
    # woonprogramma: the party is the project's party, the party whose stock is uploaded, or the
    # gemeente (party) whose targets, scenarios and snapshots they are.
    Grant(Action.EDIT_PROJECT, EDITORS, Relation.PARTY, note="alleen projecten van de eigen organisatie"),
    Grant(Action.IMPORT_PROJECTS, EDITORS, Relation.NONE, note="daarna per regel de rechten op dat project"),
    Grant(Action.UPLOAD_PARTY_STOCK, EDITORS, Relation.PARTY, note="alleen de eigen voorraad (corporatie)"),
    Grant(Action.EDIT_HOUSING_TARGET, EDITORS, Relation.PARTY, frozenset({"gemeente"}),
          note="doelen van de eigen gemeente en haar wijken"),
    Grant(Action.EDIT_HOUSING_TARGET, frozenset({SYSTEM_ADMIN}), states=frozenset({"landelijk"}),
          note="de landelijke standaarddoelen"),
    Grant(Action.EDIT_SCENARIO, EDITORS, Relation.PARTY, note="scenario's van de eigen gemeente"),
    Grant(Action.TAKE_SNAPSHOT, EDITORS, Relation.PARTY, note="peilmoment van de eigen gemeente"),
    Grant(Action.LINK_PROJECTS, EDITORS, Relation.RESPONSIBLE, note="de verantwoordelijke partijen van de afspraak"),
)

# The action of each requested status (whether one party or every party must agree is the domain's
# rule: agreements.services.NEEDS_EVERY_PARTY).
STATUS_APPROVALS: dict[str, Action] = {
    "bod": Action.APPROVE_BOD,
    "getekend": Action.SIGN,
    "afgerond": Action.CLOSE,
    "concept": Action.REOPEN,
    "wijziging": Action.AMEND,
}


@dataclass(frozen=True)
class Target:
    """What a decision is about: the object's state and the parties it is tied to.

    ``party_ids``: the agreement's parties (or the proposed parties of a new agreement);
    ``responsible_party_ids``: a commitment's responsible parties; ``organisation_id``: for member
    management; ``user_id``: for one's own account.
    """

    kind: str = ""
    id: object = None
    state: str | None = None
    party_ids: frozenset[int] = frozenset()
    responsible_party_ids: frozenset[int] = frozenset()
    organisation_id: int | None = None
    user_id: int | None = None
    published: bool = False
    agreement_id: int | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    # The membership's organisation that carries the right (recorded as the actor's organisation).
    organisation: str = ""
    grant: Grant | None = None
    checked: tuple[Grant, ...] = field(default=(), repr=False)


def grants_for(action: Action) -> tuple[Grant, ...]:
    return tuple(g for g in MATRIX if g.action is action)


def open_to_anyone(action: Action) -> bool:
    """Whether some grant admits people who are not logged in."""
    return any(ANYONE in g.roles for g in grants_for(action))


def _related_organisations(principal: Principal, grant: Grant, target: Target) -> list[str] | None:
    """Organisation names through which the principal meets the grant's relation (None: not met).

    An empty list means "met, without an organisation" (relation none, or own account)."""
    roles = grant.roles
    if grant.relation is Relation.OWN_ACCOUNT:
        return [] if principal.user_id is not None and principal.user_id == target.user_id else None
    if ANYONE in roles or (LOGGED_IN in roles and principal.is_authenticated):
        return []
    if SYSTEM_ADMIN in roles and principal.is_admin:
        return ["systeembeheer"]
    memberships = [m for m in principal.memberships if m.role in roles]
    match grant.relation:
        case Relation.NONE:
            found = memberships
        case Relation.PARTY:
            found = [m for m in memberships if m.party_id is not None and m.party_id in target.party_ids]
        case Relation.RESPONSIBLE:
            found = [m for m in memberships if m.party_id is not None and m.party_id in target.responsible_party_ids]
        case Relation.ALLIANCE:
            found = [m for m in memberships if m.kind == "alliantie"]
        case Relation.OWN_ORGANISATION:
            found = [m for m in memberships if m.organisation_id == target.organisation_id]
        case _:
            found = []
    return [m.organisation for m in found] or None


def decide(principal: Principal, action: Action, target: Target | None = None) -> Decision:
    """Allowed if any grant of ``action`` admits the principal for this target and its state."""
    target = target or Target()
    checked = grants_for(action)
    state_refused: Grant | None = None
    for grant in checked:
        if grant.published_only and not target.published:
            continue
        organisations = _related_organisations(principal, grant, target)
        if organisations is None:
            continue
        if grant.states is not None and target.state not in grant.states:
            state_refused = grant
            continue
        return Decision(True, "toegestaan", organisations[0] if organisations else "", grant, checked)
    if not principal.is_authenticated and any(g.roles - {ANYONE} for g in checked):
        return Decision(False, "Log in om dit te doen.", checked=checked)
    if state_refused is not None:
        return Decision(False, state_message(action, target.state), checked=checked)
    return Decision(False, "U hebt geen recht om dit te doen: daarvoor is een andere rol of organisatie nodig.",
                    checked=checked)


def state_message(action: Action, state: str | None) -> str:
    if state in ("getekend", "afgerond") and action in (Action.EDIT_AGREEMENT, Action.ADD_COMMITMENT,
                                                          Action.EDIT_COMMITMENT, Action.EDIT_YEAR_TARGETS):
        return ("Deze afspraken zijn getekend en daarmee vergrendeld. Start een wijziging; die tekenen alle "
                "partijen opnieuw.")
    return f"Dit kan niet in de status '{state}'."


ROLE_ORDER = (ANYONE, LOGGED_IN, *[r.value for r in Role], SYSTEM_ADMIN)


def matrix_rows(roles: Iterable[str] | None = None) -> list[dict]:
    """The matrix as rows for the administrator page and its export (roles in a fixed order)."""
    return [{"actie": g.action.value, "rollen": ", ".join(sorted(g.roles, key=ROLE_ORDER.index)),
             "relatie": g.relation.value,
             "statussen": "alle" if g.states is None else ", ".join(sorted(g.states)),
             "alleen gepubliceerd": "ja" if g.published_only else "", "toelichting": g.note}
            for g in MATRIX if roles is None or g.roles & set(roles)]
