"""The acting person as the rules see them: who, with which memberships, logged in how."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MembershipView:
    """One membership, detached from the database session."""

    organisation_id: int
    organisation: str
    kind: str
    party_id: int | None
    role: str
    is_demo: bool = False


@dataclass(frozen=True)
class Principal:
    """Anonymous (``user_id`` None), a user (from a session or API token) or the system (command line).

    ``via``: anonymous, session, token, system.
    """

    user_id: int | None = None
    name: str = "anoniem"
    email: str = ""
    is_admin: bool = False
    is_demo: bool = False
    memberships: tuple[MembershipView, ...] = field(default=())
    via: str = "anonymous"

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.via == "system"

    @property
    def party_ids(self) -> frozenset[int]:
        return frozenset(m.party_id for m in self.memberships if m.party_id is not None)

    @property
    def in_alliance(self) -> bool:
        return any(m.kind == "alliantie" for m in self.memberships)

    def roles_in(self, organisation_id: int) -> set[str]:
        return {m.role for m in self.memberships if m.organisation_id == organisation_id}

    @property
    def label(self) -> str:
        return self.email or self.name


ANONYMOUS = Principal()
