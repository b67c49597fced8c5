"""Accounts, login and the audit log, tried as a hostile user would: anonymous and spoofed writes, a
cross-origin form in Chromium, a password brute force, edits of a signed agreement; plus the
administrator's tools (invitation, reset, blocking, API tokens, the rights review and the log)."""

from __future__ import annotations

import io
import shutil
import sqlite3
import threading
from datetime import date
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from accounts_support import PASSWORD, SETUP, csrf_of, login, login_in_browser, logout, member, token_headers
from conftest import LiveServer, axe_violations, make_client
from gebiedsatlas.accounts import services as accounts
from gebiedsatlas.agreements import demo, services
from gebiedsatlas.agreements.parties import seed_signatories
from gebiedsatlas.config import REPO_DIR, Settings
from gebiedsatlas.store import db
from gebiedsatlas.store.accounts import AgreementApproval, ApiToken, AuditEvent, UserAccount
from gebiedsatlas.store.agreements import Agreement, Party


@pytest.fixture(scope="module")
def store(template_db, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("accounts") / "accounts.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    with db.session_scope(url) as session:
        seed_signatories(session, REPO_DIR / "data")
        demo.load_demo(session)
    return url


def _agreement(url: str, state: str = "concept", title: str = "Afspraken Helmond (test)") -> tuple[int, int]:
    """An agreement of Gemeente Helmond and Woonpartners with one commitment; (agreement, commitment)."""
    with db.session_scope(url) as session:
        helmond = session.scalar(select(Party).where(Party.name == "Gemeente Helmond"))
        woonpartners = session.scalar(select(Party).where(Party.name == "Woonpartners"))
        agreement = services.create_agreement(session, services.parse_agreement(session, {
            "title": title, "gemeente_code": "GM0794", "period_start": 2026, "period_end": 2029,
            "party_ids": [helmond.id, woonpartners.id]}), SETUP)
        commitment = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
            "text": "Woonpartners levert 100 woningen op.", "theme": "beschikbaarheid",
            "party_ids": [woonpartners.id], "target_kind": "output", "output_unit": "woningen",
            "year_targets": "2026: 100"}), SETUP)
        if state in ("bod", "getekend"):
            services.change_status(session, agreement, "bod", SETUP)
        if state == "getekend":
            services.change_status(session, agreement, "getekend", SETUP, signed_on=date(2025, 12, 15))
        return agreement.id, commitment.id


def _denied(url: str) -> int:
    with db.session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.result == "denied"))


# ---------------------------------------------------------------- attacks

def test_anonymous_and_spoofed_writes_are_refused_and_logged(store):
    agreement_id, commitment_id = _agreement(store, "getekend")
    spoof = {"X-Gebruiker": "wethouder", "X-Organisatie": "Gemeente Helmond"}
    before = _denied(store)
    with make_client(store) as client:
        attempts = [
            client.post(f"/api/agreements/{agreement_id}/status", json={"status": "afgerond"}, headers=spoof),
            client.post(f"/api/agreements/{agreement_id}/commitments", headers=spoof,
                        json={"text": "Stiekem toegevoegd", "theme": "overig"}),
            client.post(f"/api/commitments/{commitment_id}/realisations", headers=spoof,
                        json={"year": 2026, "value": 0}),
            client.post("/api/parties", headers=spoof, json={"name": "Nep", "kind": "overig"}),
            client.post(f"/afspraken/{agreement_id}/status", data={"status": "afgerond", "gebruiker": "wethouder",
                                                                  "organisatie": "Gemeente Helmond"}),
        ]
        assert [r.status_code for r in attempts] == [401] * 5
        # A logged-in editor of Almere who claims to be Helmond in the headers is still Almere.
        almere = token_headers(store, member(store, "Gemeente Almere", "redacteur"))
        claimed = client.post(f"/api/commitments/{commitment_id}/realisations", json={"year": 2026, "value": 1},
                              headers={**almere, **spoof})
        assert claimed.status_code == 404  # not a party: the unpublished agreement is not even shown
    with db.session_scope(store) as session:
        assert session.get(Agreement, agreement_id).status == "getekend"
        lines = session.scalars(select(AuditEvent).where(AuditEvent.result == "denied")
                                .order_by(AuditEvent.id.desc()).limit(6)).all()
        assert {line.actor for line in lines[1:]} == {"anoniem"}
        assert lines[0].actor.endswith("@test.invalid") and "wethouder" not in {line.actor for line in lines}
        assert all(line.ip and line.at for line in lines)
    assert _denied(store) == before + 6


def test_edits_of_a_signed_agreement_are_refused_and_logged(store):
    agreement_id, commitment_id = _agreement(store, "getekend", "Getekend Helmond (test)")
    editor = member(store, "Gemeente Helmond", "redacteur")
    corporation = token_headers(store, member(store, "Woonpartners", "redacteur"))
    before = _denied(store)
    with make_client(store) as client:
        login(client, editor)
        token = csrf_of(client.get(f"/afspraken/{agreement_id}").text)
        page = client.get(f"/afspraken/{agreement_id}").text
        assert 'id="vergrendeld"' in page and "Gegevens bewerken" not in page
        form = {"title": "Nieuwe titel", "gemeente_code": "GM0794", "period_start": "2026", "period_end": "2029",
                "csrf_token": token}
        assert client.post(f"/afspraken/{agreement_id}/bewerken", data=form).status_code == 403
        assert client.post(f"/afspraken/afspraak/{commitment_id}/jaarschijven",
                           data={"jaar_2026": "0", "csrf_token": token}).status_code == 403
        assert client.post(f"/afspraken/{agreement_id}/afspraak/nieuw", data={
            "text": "Een extra afspraak", "theme": "overig", "csrf_token": token}).status_code == 403
        assert client.post(f"/api/agreements/{agreement_id}/commitments", headers=corporation, json={
            "text": "Een extra afspraak", "theme": "overig"}).status_code == 403
    assert _denied(store) == before + 4
    with db.session_scope(store) as session:
        agreement = session.get(Agreement, agreement_id)
        assert agreement.title == "Getekend Helmond (test)" and len(agreement.commitments) == 1
        assert agreement.commitments[0].year_targets[0].planned == 100


def test_login_brute_force_hits_the_rate_limit(store):
    email = member(store, "Gemeente Helmond", "lezer")
    with make_client(store) as client:
        wrong = [login(client, email, "fout wachtwoord nummer " + str(i)).status_code for i in range(5)]
        assert wrong == [401] * 5
        limited = login(client, email)  # the right password, but too late
        assert limited.status_code == 429 and "Te veel mislukte pogingen" in limited.text
        assert client.get("/account", follow_redirects=False).status_code == 303  # not logged in
        other = member(store, "Gemeente Helmond", "lezer")
        assert login(client, other).status_code == 303  # the limit is per account (and per address)
    with db.session_scope(store) as session:
        lines = session.scalars(select(AuditEvent).where(AuditEvent.action == "inloggen",
                                                         AuditEvent.object_id == email)).all()
        assert [line.result for line in lines] == ["denied"] * 6
        assert lines[-1].detail == "te veel mislukte pogingen (limiet)"
        assert all(PASSWORD not in (line.detail or "") and "fout wachtwoord" not in str(line.__dict__)
                   for line in lines)


class _EvilSite(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@pytest.mark.browser
def test_a_form_on_another_origin_cannot_change_data(fresh_db_url, page, tmp_path):
    """Logged in as a signer of Helmond, the person visits a page elsewhere that posts a form to the
    atlas. Same site (127.0.0.1), other origin (port): the browser sends the session cookie, the
    Origin check refuses it, and the attempt is logged."""
    with db.session_scope(fresh_db_url) as session:
        seed_signatories(session, REPO_DIR / "data")
    agreement_id, _ = _agreement(fresh_db_url)
    signer = member(fresh_db_url, "Gemeente Helmond", "ondertekenaar")
    server = LiveServer(fresh_db_url)
    (tmp_path / "evil.html").write_text(
        f'<!doctype html><html lang="en"><body><form id="f" method="post" '
        f'action="{server.url}/afspraken/{agreement_id}/status"><input name="status" value="bod">'
        f'<input name="csrf_token" value="geraden"></form><script>document.getElementById("f").submit()</script>'
        f"</body></html>")
    evil = ThreadingHTTPServer(("127.0.0.1", 0), partial(_EvilSite, directory=str(tmp_path)))
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        login_in_browser(page, server.url, signer)
        with page.expect_response(lambda r: r.url.startswith(server.url) and r.request.method == "POST") as info:
            page.goto(f"http://127.0.0.1:{evil.server_address[1]}/evil.html")
        assert info.value.status == 403
        with db.session_scope(fresh_db_url) as session:
            assert session.scalar(select(func.count()).select_from(AgreementApproval)) == 0
            line = session.scalars(select(AuditEvent).where(AuditEvent.result == "denied")
                                   .order_by(AuditEvent.id.desc())).first()
            assert line.actor == signer and "Origin" in line.detail
        # The same button on the atlas itself works.
        page.goto(f"{server.url}/afspraken/{agreement_id}")
        page.get_by_role("button", name="Akkoord met het bod").click()
        page.wait_for_load_state()
        assert signer in page.locator("#akkoorden").inner_text()
    finally:
        evil.shutdown()
        server.stop()


# ---------------------------------------------------------------- sessions, passwords, tokens

def test_session_cookie_is_httponly_samesite_and_logout_ends_it(store):
    email = member(store, "Gemeente Helmond", "lezer")
    with make_client(store) as client:
        response = login(client, email)
        cookie = response.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()
        assert client.get("/account").status_code == 200
        logout(client)
        assert client.get("/account", follow_redirects=False).status_code == 303
    secure_app = Settings(database_url=store, data_dir=REPO_DIR / "data", tls=True)
    from fastapi.testclient import TestClient

    from gebiedsatlas.web.app import create_app

    with TestClient(create_app(secure_app), base_url="https://testserver") as client:
        assert "secure" in login(client, email).headers["set-cookie"].lower()


def test_password_reset_by_an_administrator(store):
    admin = member(store, None, None, admin=True)
    person = member(store, "Gemeente Helmond", "redacteur")
    with make_client(store) as victim, make_client(store) as beheer:
        login(victim, person)
        login(beheer, admin)
        token = csrf_of(beheer.get("/beheer/gebruikers").text)
        with db.session_scope(store) as session:
            user_id = session.scalar(select(UserAccount.id).where(UserAccount.email == person))
        page = beheer.post(f"/beheer/gebruikers/{user_id}/wachtwoord-reset", data={"csrf_token": token})
        link = page.text.split('<code class="pa-token">')[1].split("</code>")[0]
        code = parse_qs(urlsplit(link).query)["code"][0]
        assert victim.get("/account", follow_redirects=False).status_code == 303  # the old session ended
        assert login(victim, person).status_code == 401  # the old password no longer works
        form = victim.get(f"/wachtwoord-instellen?code={code}")
        assert form.status_code == 200
        new = "een heel nieuw wachtwoord"
        done = victim.post("/wachtwoord-instellen", data={"code": code, "password": new, "password2": new,
                                                          "csrf_token": csrf_of(form.text)}, follow_redirects=False)
        assert done.status_code == 303
        assert victim.get(f"/wachtwoord-instellen?code={code}").status_code == 404  # one time only
        logout(victim)
        assert login(victim, person, new).status_code == 303
    with db.session_scope(store) as session:
        assert code not in str(session.scalars(select(UserAccount.reset_token_hash)).all())


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(store):
    email = member(store, "Woonpartners", "redacteur")
    with make_client(store) as client:
        login(client, email)
        page = client.post("/account/tokens", data={"name": "nachtelijke upload",
                                                    "csrf_token": csrf_of(client.get("/account").text)})
        secret = page.text.split('<code class="pa-token">')[1].split("</code>")[0]
        assert secret.startswith("ga_") and secret not in client.get("/account").text
        headers = {"Authorization": f"Bearer {secret}"}
        with db.session_scope(store) as session:
            stored = session.scalars(select(ApiToken.token_hash)).all()
            token_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "nachtelijke upload"))
        assert secret not in stored and accounts.sha256(secret) in stored
        logout(client)
        assert client.post("/api/parties", headers=headers, json={"name": "Huurders token-test",
                                                                  "kind": "huurdersorganisatie"}).status_code == 201
        login(client, email)
        client.post(f"/account/tokens/{token_id}/intrekken", data={"csrf_token": csrf_of(client.get("/account").text)})
        logout(client)
        assert client.post("/api/parties", headers=headers, json={"name": "Na intrekken",
                                                                  "kind": "overig"}).status_code == 401


def test_the_audit_log_is_append_only_in_the_database(store):
    with db.session_scope(store) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) > 0
    connection = sqlite3.connect(store.removeprefix("sqlite:///"))
    try:
        for statement in ("UPDATE audit_event SET actor = 'iemand anders'", "DELETE FROM audit_event"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                connection.execute(statement)
    finally:
        connection.close()


# ---------------------------------------------------------------- visibility

def test_drafts_only_for_the_parties_signed_for_the_alliance_published_for_everyone(store):
    agreement_id, _ = _agreement(store, "concept", "Concept zichtbaarheid")
    own = token_headers(store, member(store, "Gemeente Helmond", "lezer"))
    other = token_headers(store, member(store, "Gemeente Almere", "beheerder"))
    alliance = token_headers(store, member(store, "New Town Alliantie", "lezer"))
    signers = [token_headers(store, member(store, org, "ondertekenaar")) for org in ("Gemeente Helmond",
                                                                                     "Woonpartners")]
    with make_client(store) as client:
        def visible(headers=None) -> bool:
            return client.get(f"/api/agreements/{agreement_id}", headers=headers or {}).status_code == 200

        assert (visible(own), visible(other), visible(alliance), visible()) == (True, False, False, False)
        for signer in signers:
            client.post(f"/api/agreements/{agreement_id}/status", json={"status": "bod"}, headers=signer)
        assert (visible(own), visible(other), visible(alliance), visible()) == (True, False, True, False)
        listed = {a["id"] for a in client.get("/api/agreements", headers=alliance).json()}
        assert agreement_id in listed and agreement_id not in {a["id"] for a in client.get("/api/agreements").json()}
        for signer in signers:
            client.post(f"/api/agreements/{agreement_id}/status", json={"status": "getekend",
                                                                        "signed_on": "2025-12-15"}, headers=signer)
        assert client.post(f"/api/agreements/{agreement_id}/publish", headers=signers[0]).status_code == 200
        assert (visible(other), visible()) == (True, True)
        assert "Openbaar sinds" in client.get(f"/afspraken/{agreement_id}").text


# ---------------------------------------------------------------- administration

def test_an_organisation_beheerder_invites_and_removes_members_of_their_own_organisation_only(store):
    beheerder = member(store, "Vidomes", "beheerder")
    with make_client(store) as client:
        login(client, beheerder)
        overview = client.get("/beheer").text
        assert "Vidomes" in overview and "Gemeente Helmond" not in overview
        with db.session_scope(store) as session:
            vidomes = accounts.organisation_by_name(session, "Vidomes").id
            helmond = accounts.organisation_by_name(session, "Gemeente Helmond").id
        token = csrf_of(client.get(f"/beheer/organisaties/{vidomes}").text)
        page = client.post(f"/beheer/organisaties/{vidomes}/leden", data={
            "email": "nieuw.lid@vidomes.test", "name": "Nieuw Lid", "role": "redacteur", "csrf_token": token})
        assert page.status_code == 200 and "wachtwoord-instellen?code=" in page.text
        assert client.post(f"/beheer/organisaties/{helmond}/leden", data={
            "email": "x@helmond.test", "name": "X", "role": "beheerder", "csrf_token": token}).status_code == 403
        assert client.get(f"/beheer/organisaties/{helmond}").status_code == 403
        assert client.get("/beheer/logboek").status_code == 403  # the log is for system administrators
        with db.session_scope(store) as session:
            user = session.scalar(select(UserAccount).where(UserAccount.email == "nieuw.lid@vidomes.test"))
            membership_id = user.memberships[0].id
        client.post(f"/beheer/organisaties/{vidomes}/leden/{membership_id}/verwijderen", data={"csrf_token": token})
    with db.session_scope(store) as session:
        user = session.scalar(select(UserAccount).where(UserAccount.email == "nieuw.lid@vidomes.test"))
        assert user.memberships == []
        actions = [line.action for line in session.scalars(select(AuditEvent).where(
            AuditEvent.action.like("lidmaatschap.%"), AuditEvent.actor == beheerder).order_by(AuditEvent.id))]
        assert actions == ["lidmaatschap.toevoegen", "lidmaatschap.verwijderen"]


def test_rights_review_and_audit_log_exports(store):
    admin = member(store, None, None, admin=True)
    with make_client(store) as client:
        assert client.get("/beheer/rechten").status_code == 401
        login(client, admin)
        page = client.get("/beheer/rechten")
        assert page.status_code == 200 and "afspraken.ondertekenen" in page.text and admin in page.text
        workbook = load_workbook(io.BytesIO(client.get("/beheer/rechten.xlsx").content))
        assert workbook.sheetnames == ["Rollen per persoon", "Rechtenmatrix"]
        holders = [row for row in workbook["Rollen per persoon"].iter_rows(values_only=True)]
        assert holders[0][:4] == ("e-mail", "naam", "organisatie", "rol")
        assert (admin, "systeembeheerder") in {(row[0], row[3]) for row in holders}
        csv_text = client.get("/beheer/rechten.csv?format=csv-nl").content.decode("utf-8-sig")
        assert csv_text.startswith("e-mail;naam;organisatie;rol")
        log = client.get("/beheer/logboek?resultaat=denied")
        assert log.status_code == 200 and "geweigerd" in log.text
        sheet = load_workbook(io.BytesIO(client.get("/beheer/logboek.xlsx?resultaat=denied").content))["Logboek"]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:4] == ("id", "tijd (UTC)", "actie", "resultaat") and len(rows) > 1
        assert {row[3] for row in rows[1:]} == {"geweigerd"}
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        assert client.get("/beheer/logboek.csv?format=csv").text.startswith("id,tijd (UTC),actie")


def test_demo_accounts_log_in_with_one_click_and_never_reach_real_agreements(store):
    agreement_id, _ = _agreement(store, "getekend", "Echt, niet voor het voorbeeld")
    with make_client(store) as client:
        page = client.get("/inloggen").text
        assert "Inloggen als Fictief: redacteur Gemeente Nieuwegein" in page
        with db.session_scope(store) as session:
            user = session.scalar(select(UserAccount).where(UserAccount.email.like("redacteur@gemeente-nieuwegein%")))
            demo_id = user.id
        client.post("/inloggen/voorbeeld", data={"user_id": str(demo_id), "csrf_token": csrf_of(page)})
        assert "fictief voorbeeld" in client.get("/account").text.lower()
        token = csrf_of(client.get("/account").text)
        assert client.post(f"/afspraken/{agreement_id}/publiceren", data={"csrf_token": token}).status_code == 404
        assert client.post("/inloggen", data={"email": user.email, "password": "", "csrf_token": token}).status_code \
            == 401  # demo accounts have no password
    off = Settings(database_url=store, data_dir=REPO_DIR / "data", demo_login=False)
    from fastapi.testclient import TestClient

    from gebiedsatlas.web.app import create_app

    with TestClient(create_app(off)) as client:
        page = client.get("/inloggen").text
        assert "Inloggen als Fictief" not in page
        assert client.post("/inloggen/voorbeeld", data={"user_id": str(demo_id),
                                                        "csrf_token": csrf_of(page)}).status_code == 404


def test_a_private_atlas_asks_for_a_login(store):
    from fastapi.testclient import TestClient

    from gebiedsatlas.web.app import create_app

    private = Settings(database_url=store, data_dir=REPO_DIR / "data", atlas_public=False)
    with TestClient(create_app(private)) as client:
        assert client.get("/", follow_redirects=False).headers["location"] == "/inloggen?terug=/"
        assert client.get("/api/areas?q=Almere").status_code == 401
        assert client.get("/inloggen").status_code == 200
        assert client.get("/static/css/atlas.css").status_code == 200
        login(client, member(store, "Gemeente Almere", "lezer"))
        assert client.get("/api/areas?q=Almere").status_code == 200


@pytest.mark.browser
def test_login_account_and_admin_pages_in_chromium(fresh_db_url, fresh_live_server, page):
    """Every new page passes axe and fits a 390 px phone; the admin invites a member by keyboard."""
    admin = member(fresh_db_url, None, None, admin=True)
    base = fresh_live_server.url
    page.goto(f"{base}/inloggen")
    assert axe_violations(page) == []
    login_in_browser(page, base, admin)
    with db.session_scope(fresh_db_url) as session:
        helmond = accounts.organisation_by_name(session, "Gemeente Helmond").id
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/account", "/beheer", f"/beheer/organisaties/{helmond}", "/beheer/gebruikers",
                     "/beheer/rechten", "/beheer/logboek"):
            page.goto(f"{base}{path}")
            assert axe_violations(page) == [], path
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
    page.goto(f"{base}/beheer/organisaties/{helmond}")
    page.focus("#veld-email")
    page.keyboard.type("lid@helmond.test")
    page.keyboard.press("Tab")
    page.keyboard.type("Lid Helmond")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#uitnodigingslink")
    assert "lid@helmond.test" in page.locator("#leden").inner_text()
    assert page.js_errors == []


def test_the_first_administrator_and_members_from_the_command_line(fresh_db_url, monkeypatch):
    from typer.testing import CliRunner

    from gebiedsatlas.cli import app

    monkeypatch.setenv("GEBIEDSATLAS_DATABASE_URL", fresh_db_url)
    runner = CliRunner()
    made = runner.invoke(app, ["gebruikers", "beheerder", "eerste@alliantie.test", "--naam", "Eerste Beheerder"])
    assert made.exit_code == 0, made.output
    assert "Systeembeheerder: eerste@alliantie.test" in made.output and "/wachtwoord-instellen?code=" in made.output
    joined = runner.invoke(app, ["gebruikers", "lid", "anna@almere.test", "Gemeente Almere", "ondertekenaar",
                                 "--naam", "Anna"])
    assert joined.exit_code == 0 and "is ondertekenaar bij Gemeente Almere" in joined.output
    wrong = runner.invoke(app, ["gebruikers", "lid", "x@y.test", "Gemeente Nergens", "lezer"])
    assert wrong.exit_code == 1 and "onbekende organisatie" in wrong.output
    listed = runner.invoke(app, ["gebruikers", "lijst"])
    assert "eerste@alliantie.test" in listed.output and "systeembeheerder" in listed.output
    with db.session_scope(fresh_db_url) as session:
        operator = session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "gebruiker.aanmaken")).all()
        assert operator and all(actor.startswith("opdrachtregel (") for actor in operator)
