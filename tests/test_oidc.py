"""OpenID Connect login in Chromium against a real provider started in the test (SQLite here; the same
flow on PostgreSQL is in test_postgres.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts_support import member
from conftest import LiveServer, axe_violations
from gebiedsatlas.accounts.oidc import OidcSettings, claimed_roles
from gebiedsatlas.store import db
from gebiedsatlas.store.accounts import AuditEvent, UserAccount
from oidc_support import login_in_browser, provider, register, settings_env

SETTINGS = OidcSettings(issuer="http://idp.invalid", client_id="x", client_secret="y")


def test_claims_become_organisation_role_pairs():
    assert claimed_roles({"organisatie": "Gemeente Helmond", "rol": "redacteur"}, SETTINGS) == [
        ("Gemeente Helmond", "redacteur")]
    assert claimed_roles({"organisatie": ["Gemeente Helmond", "Woonpartners"], "rol": ["lezer", "ondertekenaar"]},
                         SETTINGS) == [("Gemeente Helmond", "lezer"), ("Woonpartners", "ondertekenaar")]
    assert claimed_roles({"organisatie": ["Gemeente Helmond:beheerder", "Woonpartners"]}, SETTINGS) == [
        ("Gemeente Helmond", "beheerder"), ("Woonpartners", "lezer")]
    assert claimed_roles({"email": "x@y"}, SETTINGS) == []


@pytest.mark.browser
def test_oidc_login_gives_the_roles_of_the_claims(fresh_db_url, page):
    member(fresh_db_url, "Gemeente Helmond", "lezer")  # seeds the organisations
    with provider() as issuer:
        register(issuer, "helmond-001", {"email": "anna@helmond.example", "name": "Anna de Vries",
                                         "organisatie": ["Gemeente Helmond", "Bestaat Niet"], "rol": "redacteur"})
        server = LiveServer(fresh_db_url, env=settings_env(issuer))
        try:
            page.goto(f"{server.url}/inloggen")
            assert axe_violations(page) == []
            login_in_browser(page, server.url, "helmond-001")
            page.goto(f"{server.url}/account")
            assert "Anna de Vries" in page.locator(".atlas-account__link").first.inner_text()
            assert "Gemeente Helmond" in page.content() and "redacteur" in page.content()
            # The session works for writes: the new editor adds a party through the form (CSRF included).
            page.goto(f"{server.url}/afspraken/partijen/nieuw")
            page.fill("#veld-name", "Huurdersvereniging OIDC-test")
            page.select_option("#veld-kind", "huurdersorganisatie")
            page.get_by_role("button", name="Partij opslaan").click()
            page.wait_for_url("**/afspraken/partij/*")
            page.get_by_role("button", name="Uitloggen").click()
            # At the next login the claims say something else: the roles follow.
            register(issuer, "helmond-001", {"email": "anna@helmond.example", "name": "Anna de Vries",
                                             "organisatie": "Woonpartners", "rol": "lezer"})
            login_in_browser(page, server.url, "helmond-001")
            page.goto(f"{server.url}/account")
            assert "Woonpartners" in page.content() and "Gemeente Helmond" not in page.content()
        finally:
            server.stop()
    with db.session_scope(fresh_db_url) as session:
        user = session.scalar(select(UserAccount).where(UserAccount.oidc_subject == "helmond-001"))
        assert user.oidc_issuer == issuer and user.password_hash is None
        memberships = [(m.organisation.name, m.role, m.source) for m in user.memberships]
        assert memberships == [("Woonpartners", "lezer", "oidc")]
        actions = [(line.action, line.result) for line in session.scalars(
            select(AuditEvent).where(AuditEvent.user_id == user.id).order_by(AuditEvent.id))]
        assert ("lidmaatschap.claim", "failed") in actions  # "Bestaat Niet" is no organisation
        assert [a for a in actions if a[0] == "inloggen"] == [("inloggen", "allowed")] * 2
        assert ("lidmaatschap.verwijderen", "allowed") in actions and ("partij.aanmaken", "denied") not in actions
