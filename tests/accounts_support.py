"""Test helpers for accounts: make a member of an organisation (through the domain services, like an
administrator would), and log in through the real login page (in-process client or Chromium) or make
an API token the way /account does."""

from __future__ import annotations

import re
from itertools import count

from gebiedsatlas.accounts import services as accounts
from gebiedsatlas.accounts.audit import Actor
from gebiedsatlas.agreements.parties import seed_signatories
from gebiedsatlas.config import REPO_DIR
from gebiedsatlas.store import db
from gebiedsatlas.store.accounts import UserAccount

PASSWORD = "een lang genoeg testwachtwoord"
SETUP = Actor("testopzet", "systeembeheer")
_numbers = count(1)


def member(url: str, organisation: str | None, role: str | None, *, email: str | None = None,
           admin: bool = False) -> str:
    """A new user with ``role`` in ``organisation`` (None: no membership); returns the e-mail address."""
    email = email or f"gebruiker{next(_numbers)}-{(role or 'geen')}@test.invalid"
    with db.session_scope(url) as session:
        seed_signatories(session, REPO_DIR / "data")
        user = accounts.create_user(session, email, email.split("@")[0], SETUP, password=PASSWORD, is_admin=admin)
        if organisation:
            org = accounts.organisation_by_name(session, organisation)
            assert org is not None, organisation
            accounts.set_membership(session, user, org, role, SETUP)
    return email


def token_headers(url: str, email: str) -> dict[str, str]:
    """An API token of this user, as the Authorization header."""
    with db.session_scope(url) as session:
        user = session.query(UserAccount).filter_by(email=email).one()
        _, secret = accounts.create_token(session, user, "test", SETUP)
    return {"Authorization": f"Bearer {secret}"}


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, email: str, password: str = PASSWORD):
    """Log the in-process client in through the login form; returns the response."""
    token = csrf_of(client.get("/inloggen").text)
    return client.post("/inloggen", data={"email": email, "password": password, "csrf_token": token},
                       follow_redirects=False)


def logout(client) -> None:
    client.post("/uitloggen", data={"csrf_token": csrf_of(client.get("/inloggen").text)})
    client.cookies.clear()


def login_in_browser(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/inloggen")
    page.fill("#veld-email", email)
    page.fill("#veld-password", password)
    page.click("form[action='/inloggen'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".atlas-account__link").first.inner_text()
