"""Organisations, users, memberships, passwords, one-time links and API tokens.

Every change writes a line to the audit log in the same transaction (``audit.record``). Passwords are
hashed with argon2 (argon2-cffi); one-time links and API tokens are random (``secrets``) and only
their SHA-256 is stored, so a copy of the database reveals neither.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gebiedsatlas.accounts import audit
from gebiedsatlas.accounts.audit import Actor, now
from gebiedsatlas.accounts.principal import MembershipView, Principal
from gebiedsatlas.accounts.roles import ALLIANCE_NAME, ORGANISATION_KINDS, Role
from gebiedsatlas.store.accounts import ApiToken, Membership, Organisation, UserAccount
from gebiedsatlas.store.agreements import Party

PASSWORDS = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
LINK_VALID = timedelta(days=3)
TOKEN_PREFIX = "ga_"


class AccountError(ValueError):
    """Input that cannot be saved: ``errors`` maps each field to a Dutch message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------- organisations

def organisation_for_party(session: Session, party: Party) -> Organisation:
    """The organisation of a party, created on first use (same name and kind)."""
    organisation = session.scalar(select(Organisation).where(Organisation.party_id == party.id))
    if organisation is None:
        organisation = Organisation(name=party.name, kind=party.kind, party_id=party.id, is_demo=party.is_demo,
                                    created_at=now())
        session.add(organisation)
        session.flush()
    return organisation


def ensure_organisations(session: Session) -> int:
    """An organisation for every party, and the alliance's own; returns how many were added."""
    added = 0
    linked = set(session.scalars(select(Organisation.party_id).where(Organisation.party_id.is_not(None))))
    for party in session.scalars(select(Party).where(Party.id.not_in(linked) if linked else Party.id.is_not(None))):
        organisation_for_party(session, party)
        added += 1
    if session.scalar(select(Organisation).where(Organisation.kind == "alliantie")) is None:
        session.add(Organisation(name=ALLIANCE_NAME, kind="alliantie", created_at=now()))
        added += 1
    session.flush()
    return added


def organisation_by_name(session: Session, name: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.strip().lower()))


def list_organisations(session: Session, *, demo: bool | None = None) -> list[Organisation]:
    stmt = select(Organisation).options(selectinload(Organisation.memberships).selectinload(Membership.user))
    if demo is not None:
        stmt = stmt.where(Organisation.is_demo == demo)
    order = list(ORGANISATION_KINDS)
    return sorted(session.scalars(stmt), key=lambda o: (o.is_demo, order.index(o.kind) if o.kind in order else 99,
                                                        o.name))


# ---------------------------------------------------------------- users and passwords

def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError({field: f"Kies een wachtwoord van minstens {MIN_PASSWORD_LENGTH} tekens."})


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(session: Session, email: str, name: str, actor: Actor, *, password: str | None = None,
                is_admin: bool = False, is_demo: bool = False) -> UserAccount:
    email = normalise_email(email)
    errors = {}
    if "@" not in email or len(email) > 254 or " " in email:
        errors["email"] = "Vul een geldig e-mailadres in, zoals naam@gemeente.nl."
    elif session.scalar(select(UserAccount).where(UserAccount.email == email)):
        errors["email"] = f"Er is al een account voor {email}."
    if not name.strip():
        errors["name"] = "Vul de naam van de persoon in."
    if errors:
        raise AccountError(errors)
    if password is not None:
        _check_password(password)
    user = UserAccount(email=email, name=name.strip()[:200], is_admin=is_admin, is_demo=is_demo, is_active=True,
                       session_epoch=0, created_at=now(),
                       password_hash=PASSWORDS.hash(password) if password else None)
    session.add(user)
    session.flush()
    audit.record(session, actor, "gebruiker.aanmaken", object_type="gebruiker", object_id=user.id, new=email,
                 detail="systeembeheerder" if is_admin else None)
    return user


def verify_password(user: UserAccount, password: str) -> bool:
    if not user.password_hash or not user.is_active:
        return False
    try:
        return PASSWORDS.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def rehash_if_needed(user: UserAccount, password: str) -> None:
    if user.password_hash and PASSWORDS.check_needs_rehash(user.password_hash):
        user.password_hash = PASSWORDS.hash(password)


def set_password(session: Session, user: UserAccount, password: str, actor: Actor) -> None:
    """A new password; every other session of the user ends (the epoch moves on)."""
    _check_password(password)
    user.password_hash = PASSWORDS.hash(password)
    user.reset_token_hash = None
    user.reset_expires_at = None
    user.session_epoch = (user.session_epoch or 0) + 1
    audit.record(session, actor, "wachtwoord.instellen", object_type="gebruiker", object_id=user.id)


def issue_password_link(session: Session, user: UserAccount, actor: Actor, *, reason: str) -> str:
    """A one-time secret for /wachtwoord-instellen (an invitation or a reset by an administrator).

    Returned once, to show to the administrator; only its hash is kept. A reset also ends the user's
    sessions and blocks the old password."""
    secret = secrets.token_urlsafe(32)
    user.reset_token_hash = sha256(secret)
    user.reset_expires_at = now() + LINK_VALID
    if reason == "reset":
        user.password_hash = None
        user.session_epoch = (user.session_epoch or 0) + 1
    audit.record(session, actor, f"wachtwoord.{reason}", object_type="gebruiker", object_id=user.id,
                 new=user.email, detail=f"eenmalige link, geldig tot {user.reset_expires_at:%Y-%m-%d %H:%M} UTC")
    return secret


def user_for_link(session: Session, secret: str) -> UserAccount | None:
    if not secret:
        return None
    user = session.scalar(select(UserAccount).where(UserAccount.reset_token_hash == sha256(secret)))
    if user is None or not user.is_active or user.reset_expires_at is None or user.reset_expires_at < now():
        return None
    return user


def set_active(session: Session, user: UserAccount, active: bool, actor: Actor) -> None:
    if user.is_active == active:
        return
    user.is_active = active
    user.session_epoch = (user.session_epoch or 0) + 1
    audit.record(session, actor, "gebruiker.activeren" if active else "gebruiker.blokkeren",
                 object_type="gebruiker", object_id=user.id, old=not active, new=active)


# ---------------------------------------------------------------- memberships

def set_membership(session: Session, user: UserAccount, organisation: Organisation, role: str, actor: Actor, *,
                   source: str = "lokaal") -> Membership:
    """Give ``user`` ``role`` in ``organisation`` (a new membership, or a changed role)."""
    if role not in {r.value for r in Role}:
        raise AccountError({"role": f"Onbekende rol {role!r}; kies uit {', '.join(r.value for r in Role)}."})
    if user.is_demo != organisation.is_demo:
        raise AccountError({"organisation_id": "Voorbeeldaccounts horen alleen bij fictieve organisaties."})
    membership = session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                         Membership.organisation_id == organisation.id))
    old = membership.role if membership else None
    if membership is None:
        membership = Membership(user_id=user.id, organisation_id=organisation.id, role=role, source=source,
                                created_at=now())
        session.add(membership)
    else:
        membership.role = role
        membership.source = source
    if old != role:
        audit.record(session, actor, "lidmaatschap.wijzigen" if old else "lidmaatschap.toevoegen",
                     object_type="lidmaatschap", object_id=f"{user.id}@{organisation.id}",
                     field=organisation.name, old=old, new=role, detail=f"{user.email} ({source})")
    session.flush()
    return membership


def remove_membership(session: Session, membership: Membership, actor: Actor) -> None:
    audit.record(session, actor, "lidmaatschap.verwijderen", object_type="lidmaatschap",
                 object_id=f"{membership.user_id}@{membership.organisation_id}",
                 field=membership.organisation.name, old=membership.role, detail=membership.user.email)
    session.delete(membership)
    session.flush()


@dataclass(frozen=True)
class Invitation:
    user: UserAccount
    secret: str | None  # None when the person already had an account (or logs in through OIDC)


def invite(session: Session, organisation: Organisation, email: str, name: str, role: str,
           actor: Actor) -> Invitation:
    """Add a member; a new person gets an account and a one-time link to choose a password."""
    user = session.scalar(select(UserAccount).where(UserAccount.email == normalise_email(email)))
    secret = None
    if user is None:
        user = create_user(session, email, name, actor, is_demo=organisation.is_demo)
        secret = issue_password_link(session, user, actor, reason="uitnodiging")
    set_membership(session, user, organisation, role, actor)
    return Invitation(user, secret)


# ---------------------------------------------------------------- principals

def principal_for(session: Session, user: UserAccount, via: str) -> Principal:
    memberships = session.scalars(select(Membership).where(Membership.user_id == user.id)
                                  .options(selectinload(Membership.organisation)))
    return Principal(user_id=user.id, name=user.name, email=user.email, is_admin=user.is_admin,
                     is_demo=user.is_demo, via=via,
                     memberships=tuple(sorted(
                         (MembershipView(m.organisation_id, m.organisation.name, m.organisation.kind,
                                         m.organisation.party_id, m.role, m.organisation.is_demo)
                          for m in memberships), key=lambda m: m.organisation)))


# ---------------------------------------------------------------- API tokens

def create_token(session: Session, user: UserAccount, name: str, actor: Actor) -> tuple[ApiToken, str]:
    """A new personal API token; the secret is returned once and only its hash is stored."""
    name = name.strip()[:100]
    if not name:
        raise AccountError({"name": "Geef het token een naam, bijvoorbeeld 'nachtelijke upload'."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=sha256(secret), prefix=secret[:10], created_at=now())
    session.add(token)
    session.flush()
    audit.record(session, actor, "token.aanmaken", object_type="token", object_id=token.id, new=name)
    return token, secret


def revoke_token(session: Session, token: ApiToken, actor: Actor) -> None:
    if token.revoked_at is None:
        token.revoked_at = now()
        audit.record(session, actor, "token.intrekken", object_type="token", object_id=token.id, old=token.name)


def user_for_token(session: Session, secret: str) -> tuple[UserAccount, ApiToken] | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256(secret)))
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(UserAccount, token.user_id)
    if user is None or not user.is_active:
        return None
    return user, token
