"""OpenID Connect login: the settings, and how a provider's claims become an account and roles.

The flow itself (redirect, code exchange, ID-token check) is Authlib's (``web/auth.py``). Here: the
person is found by issuer + subject (never by e-mail alone, which a provider may let users change),
created on first login, and their memberships from the provider are replaced by what the claims say
at each login; memberships given by an administrator stay. Every change is in the audit log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.accounts import audit
from gebiedsatlas.accounts.audit import Actor, now
from gebiedsatlas.accounts.roles import Role
from gebiedsatlas.accounts.services import normalise_email, remove_membership, set_membership
from gebiedsatlas.store.accounts import Membership, Organisation, UserAccount


@dataclass(frozen=True)
class OidcSettings:
    """``GEBIEDSATLAS_OIDC_ISSUER``, ``_CLIENT_ID``, ``_CLIENT_SECRET``; the claims that carry the
    organisation(s) and role(s) (``_ORG_CLAIM``, default ``organisatie``; ``_ROLE_CLAIM``, default
    ``rol``); ``_LABEL``: the button text; ``_SCOPE``: default ``openid email profile``."""

    issuer: str
    client_id: str
    client_secret: str
    org_claim: str = "organisatie"
    role_claim: str = "rol"
    label: str = "Inloggen met uw organisatie-account"
    scope: str = "openid email profile"

    @classmethod
    def from_env(cls) -> OidcSettings | None:
        issuer = os.environ.get("GEBIEDSATLAS_OIDC_ISSUER", "").strip()
        if not issuer:
            return None
        return cls(issuer=issuer.rstrip("/"), client_id=os.environ.get("GEBIEDSATLAS_OIDC_CLIENT_ID", ""),
                   client_secret=os.environ.get("GEBIEDSATLAS_OIDC_CLIENT_SECRET", ""),
                   org_claim=os.environ.get("GEBIEDSATLAS_OIDC_ORG_CLAIM", "organisatie"),
                   role_claim=os.environ.get("GEBIEDSATLAS_OIDC_ROLE_CLAIM", "rol"),
                   label=os.environ.get("GEBIEDSATLAS_OIDC_LABEL", "Inloggen met uw organisatie-account"),
                   scope=os.environ.get("GEBIEDSATLAS_OIDC_SCOPE", "openid email profile"))

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def claimed_roles(claims: dict, settings: OidcSettings) -> list[tuple[str, str]]:
    """(organisation key, role) pairs from the claims.

    The organisation claim holds one value or a list; the role claim one role for all of them, or a
    list of the same length (pairs), or "organisatie:rol" items in the organisation claim itself.
    Unknown roles are dropped (the caller logs them)."""
    organisations = _as_list(claims.get(settings.org_claim))
    roles = _as_list(claims.get(settings.role_claim))
    pairs: list[tuple[str, str]] = []
    for i, item in enumerate(organisations):
        if ":" in item and item.rsplit(":", 1)[1].strip() in {r.value for r in Role}:
            org, role = item.rsplit(":", 1)
        elif len(roles) == len(organisations):
            org, role = item, roles[i]
        elif len(roles) == 1:
            org, role = item, roles[0]
        else:
            org, role = item, Role.READER.value
        pairs.append((org.strip(), role.strip().lower()))
    return pairs


def _organisation(session: Session, key: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(
        (Organisation.oidc_key == key) | (func.lower(Organisation.name) == key.lower()),
        Organisation.is_demo.is_(False)))


def login(session: Session, settings: OidcSettings, claims: dict, actor: Actor) -> UserAccount:
    """The account of the person the provider vouches for, with memberships as the claims say."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise ValueError("de identiteitsprovider gaf geen 'sub'")
    user = session.scalar(select(UserAccount).where(UserAccount.oidc_issuer == settings.issuer,
                                                    UserAccount.oidc_subject == subject))
    email = normalise_email(str(claims.get("email") or f"{subject}@{settings.issuer.split('//')[-1]}"))
    name = str(claims.get("name") or claims.get("preferred_username") or email)[:200]
    if user is None:
        if session.scalar(select(UserAccount).where(UserAccount.email == email)):
            # The address belongs to a local account: linking it needs an administrator, not a claim.
            email = f"{subject}+oidc@{settings.issuer.split('//')[-1]}"[:254]
        user = UserAccount(email=email, name=name, oidc_issuer=settings.issuer, oidc_subject=subject,
                           is_active=True, is_admin=False, is_demo=False, session_epoch=0, created_at=now())
        session.add(user)
        session.flush()
        audit.record(session, actor, "gebruiker.aanmaken", object_type="gebruiker", object_id=user.id,
                     new=email, detail=f"via OpenID Connect ({settings.issuer})")
    actor = Actor(user.email, actor.organisation, user.id, actor.ip, actor.user_agent)
    wanted: dict[int, str] = {}
    for key, role in claimed_roles(claims, settings):
        organisation = _organisation(session, key)
        if organisation is None or role not in {r.value for r in Role}:
            audit.record(session, actor, "lidmaatschap.claim", result=audit.FAILED, object_type="gebruiker",
                         object_id=user.id, detail=f"onbekende organisatie of rol in de claims: {key}:{role}")
            continue
        wanted[organisation.id] = role
        set_membership(session, user, organisation, role, actor, source="oidc")
    for membership in list(session.scalars(select(Membership).where(Membership.user_id == user.id,
                                                                    Membership.source == "oidc"))):
        if membership.organisation_id not in wanted:
            remove_membership(session, membership, actor)
    user.last_login_at = now()
    return user
