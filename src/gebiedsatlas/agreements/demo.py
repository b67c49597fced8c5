"""A FICTIONAL example set of prestatieafspraken, for the demo and the tests.

Everything here is invented: the parties are fictional organisations (names start with "Fictief:"),
the commitments and realisations are made up. It is stored with ``is_demo = True`` and every page
that shows it carries a "Fictief voorbeeld" banner; overviews of real agreements never include it.
Only the areas (real CBS codes) and the atlas figures the outcome targets are measured against are
real. Which real corporation works in which town is not known, so no real corporation appears here.

Each fictional organisation has two fictional accounts (a redacteur and an ondertekenaar, e-mail on
the reserved ``.invalid`` domain, no password): the login page offers them with one click where
``GEBIEDSATLAS_DEMO_LOGIN`` allows it, so a newcomer can try the roles. They belong only to fictional
organisations and so can never touch real agreements. The example is signed the way real agreements
are: every party's ondertekenaar agrees.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gebiedsatlas.accounts import services as accounts
from gebiedsatlas.accounts.roles import Role
from gebiedsatlas.agreements import services
from gebiedsatlas.agreements.history import Actor
from gebiedsatlas.store.accounts import UserAccount
from gebiedsatlas.store.agreements import Agreement, Party

DEMO_LABEL = "Fictief voorbeeld"
DEMO_ACTOR = Actor("voorbeeldscript", "Gebiedsatlas (fictief voorbeeld)")

DEMO_PARTIES = [
    ("Fictief: Gemeente Nieuwegein", "gemeente", "GM0356"),
    ("Fictief: Gemeente Zoetermeer", "gemeente", "GM0637"),
    ("Fictief: Woonstichting De Voorbeeldhaven", "woningcorporatie", None),
    ("Fictief: Wooncorporatie Het Proefhuis", "woningcorporatie", None),
    ("Fictief: Huurdersvereniging Samen Sterk", "huurdersorganisatie", None),
    ("Fictief: Huurdersraad Oosterheem-Meerzicht", "huurdersorganisatie", None),
    ("Fictief: Zorgstichting Thuis in de Wijk", "zorg", None),
]

G_NWG, G_ZTM = "Fictief: Gemeente Nieuwegein", "Fictief: Gemeente Zoetermeer"
HAVEN, PROEF = "Fictief: Woonstichting De Voorbeeldhaven", "Fictief: Wooncorporatie Het Proefhuis"
HV_NWG, HV_ZTM = "Fictief: Huurdersvereniging Samen Sterk", "Fictief: Huurdersraad Oosterheem-Meerzicht"
ZORG = "Fictief: Zorgstichting Thuis in de Wijk"

# (agreement fields, commitments, realisations per commitment number [(year, value, party, text)…],
#  status steps)
DEMO_SET = [
    (
        {"title": f"{DEMO_LABEL}: Prestatieafspraken Nieuwegein 2026–2029", "gemeente_code": "GM0356",
         "period_start": 2026, "period_end": 2029, "bod_date": "2025-06-28",
         "parties": [G_NWG, HAVEN, PROEF, HV_NWG, ZORG],
         "description": "Fictieve meerjarige afspraken om de schermen en de monitoring te tonen.",
         "documents": "Bod De Voorbeeldhaven 2026 (fictief) | bod-voorbeeldhaven-2026.pdf\n"
                      "Ondertekende afspraken (fictief) | prestatieafspraken-nieuwegein-2026-2029.pdf"},
        [
            {"text": "De Voorbeeldhaven levert 460 sociale huurwoningen op in de looptijd.",
             "theme": "beschikbaarheid", "party_ids": [HAVEN], "target_kind": "output",
             "output_unit": "sociale huurwoningen opgeleverd",
             "year_targets": "2026: 100; 2027: 120; 2028: 120; 2029: 120"},
            {"text": "Het Proefhuis verbetert 1.200 woningen naar energielabel B of beter.",
             "theme": "kwaliteit_duurzaamheid", "party_ids": [PROEF], "target_kind": "output",
             "output_unit": "woningen naar label B of beter",
             "year_targets": "2026: 300; 2027: 300; 2028: 300; 2029: 300"},
            {"text": "Leefbaarheid in Jutphaas Wijkersloot naar een Leefbaarometer-score van 4,10 in 2029.",
             "theme": "leefbaarheid", "party_ids": [G_NWG, HAVEN, HV_NWG], "scope_kind": "wijk",
             "scope_codes": "WK035601", "target_kind": "outcome", "indicator_id": "lbm_score",
             "baseline_year": 2024, "target_value": 4.10, "target_year": 2029},
            {"text": "De gemeente stelt elk jaar bouwlocaties beschikbaar voor 150 woningen.",
             "theme": "beschikbaarheid", "party_ids": [G_NWG], "target_kind": "output",
             "output_unit": "woningen op beschikbaar gestelde locaties",
             "year_targets": "2026: 150; 2027: 150; 2028: 150; 2029: 150"},
            {"text": "Partijen spannen zich in om waar mogelijk meer woningen voor ouderen te realiseren.",
             "theme": "wonen_zorg", "party_ids": [HAVEN, ZORG], "target_kind": "none"},
            {"text": "De huurdersvereniging organiseert vier bewonersavonden per jaar in Batau Zuid.",
             "theme": "leefbaarheid", "party_ids": [HV_NWG], "scope_kind": "wijk", "scope_codes": "WK035603",
             "target_kind": "output", "output_unit": "bewonersavonden",
             "year_targets": "2026: 4; 2027: 4; 2028: 4; 2029: 4"},
        ],
        {1: [(2026, 90, HAVEN, "Eerste melding."), (2026, 95, HAVEN, "Correctie: vijf woningen later geteld.")],
         2: [(2026, 180, PROEF, "Vertraging door personeelstekort bij de aannemer.")],
         4: [(2026, 150, G_NWG, "")],
         6: [(2026, 4, HV_NWG, "")]},
        [("bod", None), ("getekend", date(2025, 12, 12))],
    ),
    (
        {"title": f"{DEMO_LABEL}: Prestatieafspraken Zoetermeer 2026–2029", "gemeente_code": "GM0637",
         "period_start": 2026, "period_end": 2029, "bod_date": "2025-07-01",
         "parties": [G_ZTM, HAVEN, HV_ZTM],
         "description": "Fictief bod in onderhandeling, om de jaarcyclus te tonen.", "documents": ""},
        [
            {"text": "De Voorbeeldhaven levert 80 sociale huurwoningen op in Oosterheem.",
             "theme": "beschikbaarheid", "party_ids": [HAVEN], "scope_kind": "wijk", "scope_codes": "WK063706",
             "target_kind": "output", "output_unit": "sociale huurwoningen opgeleverd",
             "year_targets": "2027: 40; 2028: 40"},
            {"text": "Leefbaarometer-score in Meerzicht minstens 4,05 in 2029.",
             "theme": "leefbaarheid", "party_ids": [G_ZTM, HAVEN, HV_ZTM], "scope_kind": "wijk",
             "scope_codes": "WK063701", "target_kind": "outcome", "indicator_id": "lbm_score",
             "baseline_year": 2024, "target_value": 4.05, "target_year": 2029},
            {"text": "De gemeente vervangt 5.000 m² verharding door groen in de openbare ruimte.",
             "theme": "klimaatadaptatie", "party_ids": [G_ZTM], "target_kind": "output",
             "output_unit": "m² verharding vervangen door groen",
             "year_targets": "2026: 1000; 2027: 1500; 2028: 1500; 2029: 1000"},
        ],
        {},
        [("bod", None)],
    ),
]


DEMO_ROLES = (Role.EDITOR, Role.APPROVER)
ROLE_NAMES = {Role.EDITOR: "redacteur", Role.APPROVER: "ondertekenaar"}


def demo_email(party_name: str, role: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", party_name.removeprefix("Fictief:").strip().lower()).strip("-")
    return f"{ROLE_NAMES[role]}@{slug}.voorbeeld.invalid"


def ensure_demo_accounts(session: Session) -> list[UserAccount]:
    """A fictional redacteur and ondertekenaar for every fictional organisation (idempotent)."""
    users = []
    for name, _, _ in DEMO_PARTIES:
        party = session.scalar(select(Party).where(Party.name == name))
        if party is None:
            continue
        organisation = accounts.organisation_for_party(session, party)
        for role in DEMO_ROLES:
            email = demo_email(name, role)
            user = session.scalar(select(UserAccount).where(UserAccount.email == email))
            if user is None:
                label = name.removeprefix("Fictief: ")
                user = accounts.create_user(session, email, f"Fictief: {ROLE_NAMES[role]} {label}", DEMO_ACTOR,
                                            is_demo=True)
            accounts.set_membership(session, user, organisation, role, DEMO_ACTOR)
            users.append(user)
    return users


def _acting(session: Session, party_name: str, role: str) -> Actor:
    """The demo account of that party and role, as the actor of the history."""
    user = session.scalar(select(UserAccount).where(UserAccount.email == demo_email(party_name, role)))
    return Actor(user.email, party_name, user.id)


def has_demo(session: Session) -> bool:
    return session.scalar(select(Agreement.id).where(Agreement.is_demo.is_(True)).limit(1)) is not None


def load_demo(session: Session) -> list[Agreement]:
    """Store the fictional set (once; a second call changes nothing) and return its agreements."""
    if has_demo(session):
        ensure_demo_accounts(session)
        return list(session.scalars(select(Agreement).where(Agreement.is_demo.is_(True)).order_by(Agreement.id)))
    ids: dict[str, int] = {}
    for name, kind, code in DEMO_PARTIES:
        party = session.scalar(select(Party).where(Party.name == name))
        if party is None:
            party = services.create_party(session, name, kind, DEMO_ACTOR, gemeente_code=code,
                                          note="Fictieve organisatie voor het voorbeeld.", is_demo=True)
        ids[name] = party.id
    ensure_demo_accounts(session)
    names = {v: k for k, v in ids.items()}
    agreements = []
    for fields, commitments, realisations, steps in DEMO_SET:
        raw = {**fields, "party_ids": [ids[p] for p in fields["parties"]], "is_demo": "1"}
        agreement = services.create_agreement(session, services.parse_agreement(session, raw), DEMO_ACTOR)
        for spec in commitments:
            raw_c = {**spec, "party_ids": [ids[p] for p in spec["party_ids"]]}
            services.add_commitment(session, agreement, services.parse_commitment(session, agreement, raw_c),
                                    DEMO_ACTOR)
        for status, signed_on in steps:
            for ap in list(agreement.parties):
                if agreement.status == status:
                    break
                services.approve_status(session, agreement, status, ap.party_id,
                                        _acting(session, names[ap.party_id], Role.APPROVER), signed_on=signed_on)
        for number, reports in realisations.items():
            commitment = next(c for c in agreement.commitments if c.number == number)
            for year, value, party, text in reports:
                data = services.parse_realisation(session, commitment, {
                    "year": year, "value": value, "explanation": text, "reported_by_party_id": [ids[party]]})
                services.report_realisation(session, commitment, data, _acting(session, party, Role.EDITOR))
        agreements.append(agreement)
    session.flush()
    return agreements
