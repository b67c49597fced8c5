"""Woonprogramma over HTTP: uploads all-or-nothing with every error listed, a corporation cannot upload
for another, the 81955NED API, exports that never become formulas; and in a real Chromium (with axe):
an editor adds a project and builds a scenario, and every page fits a 390 px phone."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from accounts_support import csrf_of, login, login_in_browser, member
from conftest import axe_violations, make_client
from gebiedsatlas.store import db
from gebiedsatlas.store.agreements import Party
from gebiedsatlas.store.housing import PartyStockUpload, Project
from housing_support import add_synthetic_tenure

BROKEN_STOCK = ("buurtcode,sociale_huur,middenhuur,vrije_huur\nBU00340101,120,10,\nBU99999999,1,1,1\n"
                "BU00340102,veel,0,-3\n")
GOOD_STOCK = "buurtcode,sociale_huur,middenhuur,vrije_huur\nBU00340101,120,10,0\n"


def _party_id(url: str, name: str) -> int:
    with db.session_scope(url) as session:
        return session.scalar(select(Party.id).where(Party.name == name))


def _uploads(url: str) -> int:
    with db.session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(PartyStockUpload))


def _post_file(client, url: str, content: str, **fields):
    token = csrf_of(client.get("/account").text)
    return client.post(url, data={"csrf_token": token, **fields},
                       files={"bestand": ("bezit.csv", content.encode(), "text/csv")}, follow_redirects=False)


def test_stock_upload_is_all_or_nothing_and_only_for_the_own_corporation(fresh_db_url):
    own = member(fresh_db_url, "De Alliantie", "redacteur")
    other = member(fresh_db_url, "Ymere", "redacteur")
    alliantie = _party_id(fresh_db_url, "De Alliantie")
    with make_client(fresh_db_url) as client:
        assert login(client, own).status_code == 303
        refused = _post_file(client, f"/woonprogramma/voorraad/{alliantie}/upload", BROKEN_STOCK, peiljaar="2025")
        assert refused.status_code == 422
        text = refused.text
        assert "Er is niets opgeslagen" in text and "3 fouten" in text
        assert "rij 3, kolom &#39;buurtcode&#39;" in text and "kolom &#39;sociale_huur&#39;" in text
        assert "kolom &#39;vrije_huur&#39;" in text
        assert _uploads(fresh_db_url) == 0
        done = _post_file(client, f"/woonprogramma/voorraad/{alliantie}/upload", GOOD_STOCK, peiljaar="2025")
        assert done.status_code == 303 and _uploads(fresh_db_url) == 1
        page = client.get(f"/woonprogramma/voorraad/{alliantie}").text
        assert "bezit.csv" in page and own in page
    with make_client(fresh_db_url) as client:
        assert login(client, other).status_code == 303
        response = _post_file(client, f"/woonprogramma/voorraad/{alliantie}/upload", GOOD_STOCK, peiljaar="2025")
        assert response.status_code == 403
        assert _uploads(fresh_db_url) == 1
    with make_client(fresh_db_url) as anonymous:  # who uploaded (an e-mail address) is not public
        page = anonymous.get(f"/woonprogramma/voorraad/{alliantie}").text
        assert "bezit.csv" in page and own not in page


def test_project_import_over_http_lists_every_error(fresh_db_url):
    editor = member(fresh_db_url, "Gemeente Almere", "redacteur")
    broken = ("naam,gebied,partij,soort,fase,opleverjaar,sociale_huur\n"
              "Goed,WK003401,Gemeente Almere,nieuwbouw,vergund,2027,40\n"
              "Fout,WK003401,Gemeente Almere,bouwen,vergund,2027,40\n"
              "Ook fout,WK003401,Gemeente Almere,nieuwbouw,klaar,2027,40\n")
    with make_client(fresh_db_url) as client:
        assert login(client, editor).status_code == 303
        response = _post_file(client, "/woonprogramma/GM0034/projecten/import", broken)
        assert response.status_code == 422
        assert "rij 3, kolom &#39;soort&#39;" in response.text and "rij 4, kolom &#39;fase&#39;" in response.text
        with db.session_scope(fresh_db_url) as session:
            assert session.scalar(select(func.count()).select_from(Project)) == 0
        good = broken.splitlines()[:2] + ["=HYPERLINK(\"x\"),WK003402,Gemeente Almere,sloop,planvorming,2028,12"]
        response = _post_file(client, "/woonprogramma/GM0034/projecten/import", "\n".join(good) + "\n")
        assert response.status_code == 303
        exported = client.get("/woonprogramma/GM0034/projecten.csv").text
        assert "'=HYPERLINK" in exported  # text never becomes a formula
        projects = client.get("/api/woonprogramma/GM0034/projecten").json()
        assert {p["naam"]: p["netto"] for p in projects} == {"Goed": {"sociale_huur": 40},
                                                             '=HYPERLINK("x")': {"sociale_huur": -12}}


def test_stock_changes_api_has_the_published_figures(client):
    rows = {r["jaar"]: r for r in client.get("/api/woonprogramma/GM0034/mutaties").json()}
    assert rows[2020]["nieuwbouw"] == 1335 and rows[2020]["eindstand"] == 87259
    page = client.get("/woonprogramma/GM0034").text
    assert "1.335" in page and "87.259" in page


def test_pages_say_when_there_are_no_tenure_figures(client):
    page = client.get("/woonprogramma/GM0034").text
    if "geen CBS-cijfers" in page:  # this branch: no tenure per wijk in the bundled data
        assert "Scenario" in page and "0,0%" not in page


@pytest.mark.browser
def test_editor_builds_a_scenario_in_chromium(fresh_db_url, page):
    from conftest import LiveServer

    add_synthetic_tenure(fresh_db_url, "GM0034")
    editor = member(fresh_db_url, "Gemeente Almere", "redacteur")
    server = LiveServer(fresh_db_url)
    base = server.url
    try:
        login_in_browser(page, base, editor)
        page.goto(f"{base}/woonprogramma/GM0034")
        assert page.locator("#scenarios").is_visible()
        assert "Zoals gepland" in page.locator("#scenarios + p + div table, #scenarios ~ div table").first.inner_text()
        page.wait_for_selector("#woonkaart[data-drawn=true]", timeout=20_000)  # the map of where the mix moves
        assert page.locator("#woonkaart path.leaflet-interactive").count() > 20
        page.focus("#woonkaart")
        page.keyboard.press("ArrowRight")  # keyboard: a wijk of the map takes the focus, named after its figures
        assert "corporatiebezit" in (page.evaluate("document.activeElement.getAttribute('aria-label')") or "")
        assert axe_violations(page) == []

        page.goto(f"{base}/woonprogramma/GM0034/projecten/nieuw")
        page.fill("#project-naam", "Sloop en nieuwbouw Haven")
        page.fill("#project-gebied", "WK003401")  # a code typed in the area picker
        page.select_option("#project-soort", "sloop")
        page.select_option("#project-fase", "vergund")
        page.fill("#project-jaar", "2027")
        page.fill("#project-sociale_huur", "60")
        assert axe_violations(page) == []
        page.get_by_role("button", name="Opslaan").click()
        page.wait_for_url(re.compile(r"/woonprogramma/GM0034/projecten\?melding="))
        page.wait_for_load_state()
        assert "Sloop en nieuwbouw Haven" in page.content()

        page.goto(f"{base}/woonprogramma/GM0034")
        page.locator("summary", has_text="Nieuw scenario").click()
        page.fill("#sc-name", "Zonder sloop")
        page.get_by_role("checkbox", name="sloop", exact=True).check()
        page.get_by_role("button", name="Scenario maken").click()
        page.wait_for_url(re.compile(r"scenario=2"))
        table = page.get_by_role("table", name=re.compile("^Scenario's van Almere")).inner_text()
        assert "Zonder sloop" in table and "Risicogewogen" in table
        rows = page.get_by_role("table", name=re.compile("^Per wijk")).inner_text()
        assert "Zonder sloop" in page.locator("#kies-scenario").inner_text()
        assert rows
        assert axe_violations(page) == []

        page.set_viewport_size({"width": 390, "height": 844})
        ymere = _party_id(fresh_db_url, "Ymere")
        for path in ("/woonprogramma", "/woonprogramma/GM0034", "/woonprogramma/GM0034/projecten",
                     "/woonprogramma/GM0034/vergelijking", "/woonprogramma/GM0034/peilmomenten",
                     "/woonprogramma/GM0034/projecten/nieuw", f"/woonprogramma/voorraad/{ymere}", "/gebied/WK003401"):
            page.goto(f"{base}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            assert axe_violations(page) == [], path
        assert page.js_errors == []
    finally:
        server.stop()


def test_api_creates_a_project_of_the_own_organisation_only(fresh_db_url):
    from accounts_support import token_headers

    headers = token_headers(fresh_db_url, member(fresh_db_url, "Gemeente Almere", "redacteur"))
    almere, ymere = _party_id(fresh_db_url, "Gemeente Almere"), _party_id(fresh_db_url, "Ymere")
    body = {"naam": "Via de API", "gebied": "WK003401", "partij": almere, "soort": "liberalisatie",
            "fase": "vergund", "opleverjaar": 2027, "sociale_huur": 25, "naar_segment": "vrije_huur"}
    with make_client(fresh_db_url) as client:
        created = client.post("/api/woonprogramma/GM0034/projecten", json=body, headers=headers)
        assert created.status_code == 201, created.text
        assert created.json()["netto"] == {"sociale_huur": -25, "vrije_huur": 25} and created.json()["bruto"] == 25
        refused = client.post("/api/woonprogramma/GM0034/projecten", json={**body, "partij": ymere}, headers=headers)
        assert refused.status_code == 403
        invalid = client.post("/api/woonprogramma/GM0034/projecten", json={**body, "opleverjaar": 1850},
                              headers=headers)
        assert invalid.status_code == 422 and "opleverjaar" in invalid.json()["detail"]
        assert [p["naam"] for p in client.get("/api/woonprogramma/GM0034/projecten").json()] == ["Via de API"]


def test_a_national_default_is_changed_by_a_system_administrator_only(fresh_db_url):
    from gebiedsatlas.housing import targets

    admin = member(fresh_db_url, None, None, admin=True)
    editor = member(fresh_db_url, "Gemeente Almere", "redacteur")
    form = {"key": "npa-sociale-huur-30", "label": "Ten minste 33 % sociale huur per gemeente",
            "kind": "aandeel_voorraad", "segment": "sociale_huur", "scope_kind": "elke_gemeente", "min_share": "33",
            "source_kind": "npa", "source_text": "Nationale Prestatieafspraken (test van een wijziging)"}
    with make_client(fresh_db_url) as client:
        assert login(client, editor).status_code == 303
        token = csrf_of(client.get("/account").text)
        assert client.post("/woonprogramma/GM0034/doelen", data={**form, "csrf_token": token},
                           follow_redirects=False).status_code == 403
        taken = client.post("/woonprogramma/GM0034/doelen", data={**form, "scope_kind": "gemeente",
                                                                  "csrf_token": token}, follow_redirects=False)
        assert taken.status_code == 422  # a gemeente cannot take over the key of a national default
    with make_client(fresh_db_url) as client:
        assert login(client, admin).status_code == 303
        token = csrf_of(client.get("/account").text)
        assert client.post("/woonprogramma/GM0034/doelen", data={**form, "csrf_token": token},
                           follow_redirects=False).status_code == 303
    with db.session_scope(fresh_db_url) as session:
        now = targets.target_by_key(session, "npa-sociale-huur-30")
        assert (now.min_share, now.version) == (33, 1)
        assert all(t.min_share == 33 for t in targets.current_targets(session, "GM0637") if t.key == now.key)


def _almere_agreement(url: str, output: bool = False) -> tuple[int, int | None, int]:
    """An unlocked agreement of Almere (and, if asked, an output commitment of 100 dwellings); returns
    (agreement id, commitment id, Almere's party id)."""
    from accounts_support import SETUP
    from gebiedsatlas.agreements import services as agreements
    from gebiedsatlas.agreements.parties import seed_signatories
    from gebiedsatlas.config import REPO_DIR

    with db.session_scope(url) as session:
        seed_signatories(session, REPO_DIR / "data")
        almere = session.scalar(select(Party.id).where(Party.name == "Gemeente Almere"))
        agreement = agreements.create_agreement(session, agreements.parse_agreement(session, {
            "title": "Almere 2026-2029", "gemeente_code": "GM0034", "period_start": 2026, "period_end": 2029,
            "party_ids": [almere]}), SETUP)
        commitment_id = None
        if output:  # signed (with De Alliantie), so realisations can be reported
            alliantie = session.scalar(select(Party.id).where(Party.name == "De Alliantie"))
            agreements.update_agreement(session, agreement, agreements.parse_agreement(session, {
                "title": "Almere 2026-2029", "gemeente_code": "GM0034", "period_start": 2026, "period_end": 2029,
                "party_ids": [almere, alliantie]}), SETUP)
            commitment_id = agreements.add_commitment(session, agreement, agreements.parse_commitment(
                session, agreement, {"text": "100 sociale huurwoningen opleveren.", "theme": "beschikbaarheid",
                                     "party_ids": [almere], "target_kind": "output", "output_unit": "woningen",
                                     "year_targets": "2026: 80; 2028: 20"}), SETUP).id
            agreements.change_status(session, agreement, "bod", SETUP)
            agreements.change_status(session, agreement, "getekend", SETUP, signed_on=date(2026, 1, 15))
        return agreement.id, commitment_id, almere


def test_a_gemeente_editor_adopts_a_national_default_without_changing_it(fresh_db_url):
    from gebiedsatlas.housing import targets
    from gebiedsatlas.store.accounts import AuditEvent
    from gebiedsatlas.store.agreements import Commitment
    from gebiedsatlas.store.housing import HousingTarget, TargetAdoption

    editor = member(fresh_db_url, "Gemeente Almere", "redacteur")
    agreement_id, _, _ = _almere_agreement(fresh_db_url)
    with db.session_scope(fresh_db_url) as session:
        before = [(r.version, r.created_by) for r in targets.versions(session, "npa-sociale-huur-30")]
    with make_client(fresh_db_url) as client:
        assert login(client, editor).status_code == 303
        token = csrf_of(client.get("/account").text)
        response = client.post("/woonprogramma/doel/npa-sociale-huur-30/overnemen", follow_redirects=False,
                               data={"agreement_id": str(agreement_id), "csrf_token": token})
        assert response.status_code == 303, response.text
        commitment_id = int(response.headers["location"].rsplit("/", 1)[1])
        page = client.get(f"/afspraken/afspraak/{commitment_id}").text
        assert "Overgenomen uit het woonprogramma" in page and "npa-sociale-huur-30" in page
    with db.session_scope(fresh_db_url) as session:
        assert session.get(Commitment, commitment_id).agreement_id == agreement_id
        link = session.get(TargetAdoption, commitment_id)
        assert (link.target_key, link.target_version, link.adopted_by) == ("npa-sociale-huur-30", 0, editor)
        # the national default is untouched: no version added, none attributed to the gemeente editor
        assert [(r.version, r.created_by) for r in targets.versions(session, "npa-sociale-huur-30")] == before
        assert not session.scalar(select(func.count()).select_from(HousingTarget)
                                  .where(HousingTarget.created_by == editor))
        assert targets.target_by_key(session, "npa-sociale-huur-30").min_share == 30
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "woonprogramma.doel_overgenomen"))
        assert [(e.actor, e.object_id, e.agreement_id) for e in events] == [
            (editor, str(commitment_id), agreement_id)]


def _linked_projects(url: str, commitment_id: int, almere: int) -> dict[str, int]:
    from accounts_support import SETUP
    from gebiedsatlas.accounts.principal import MembershipView, Principal
    from gebiedsatlas.housing import io as housing_io
    from gebiedsatlas.housing import projects as register
    from gebiedsatlas.housing import services
    from gebiedsatlas.store.agreements import Commitment

    with db.session_scope(url) as session:
        principal_party = session.get(Party, almere)
        view = MembershipView(organisation_id=999, organisation=principal_party.name, kind=principal_party.kind,
                              party_id=almere, role="redacteur")
        principal = Principal(user_id=1, name="test", memberships=(view,), via="session")
        housing_io.import_projects(session, "GM0034", (
            b"naam,gebied,partij,soort,fase,opleverjaar,sociale_huur\n"
            b"Eerste,WK003401,Gemeente Almere,nieuwbouw,in_aanbouw,2026,30\n"
            b"Tweede,WK003402,Gemeente Almere,nieuwbouw,vergund,2026,50\n"
            b"Later,WK003402,Gemeente Almere,nieuwbouw,vergund,2028,20\n"), "p.csv", principal, SETUP)
        ids = {p.name: p.id for p in register.projects_of(session, "GM0034")}
        services.link_projects(session, session.get(Commitment, commitment_id), list(ids.values()), SETUP)
        return ids


def _phases(url: str) -> dict[str, tuple[str, int]]:
    with db.session_scope(url) as session:
        return {p.name: (p.phase, p.planned_year) for p in session.scalars(
            select(Project).where(Project.gemeente_code == "GM0034", Project.scenario_id.is_(None)))}


def test_reporting_a_realisation_updates_the_linked_projects(fresh_db_url):
    from accounts_support import token_headers

    editor = member(fresh_db_url, "Gemeente Almere", "redacteur")
    _, commitment_id, almere = _almere_agreement(fresh_db_url, output=True)
    _linked_projects(fresh_db_url, commitment_id, almere)
    with make_client(fresh_db_url) as client:
        assert login(client, editor).status_code == 303
        page = client.get(f"/afspraken/afspraak/{commitment_id}").text
        assert "Gekoppelde projecten uit het woonprogramma" in page and "80 woningen in 2026" in page
        token = csrf_of(page)
        # 35 realised in 2026: "Eerste" (30) is delivered, "Tweede" (50) not yet, "Later" (2028) not due
        reported = client.post(f"/afspraken/afspraak/{commitment_id}/realisatie", follow_redirects=False,
                               data={"year": "2026", "value": "35", "csrf_token": token})
        assert reported.status_code == 303, reported.text
        assert _phases(fresh_db_url) == {"Eerste": ("opgeleverd", 2026), "Tweede": ("vergund", 2026),
                                         "Later": ("vergund", 2028)}
        page = client.get(f"/afspraken/afspraak/{commitment_id}").text
        assert re.search(r"Eerste</th><td>opgeleverd</td><td>2026</td>", page)
    with make_client(fresh_db_url) as api:
        # a corrected 2026 report (80) over the API: "Eerste" counts against it first, so "Tweede" follows
        answer = api.post(f"/api/commitments/{commitment_id}/realisations", headers=token_headers(fresh_db_url, editor),
                          json={"year": 2026, "value": 80, "reported_by_party_id": almere})
        assert answer.status_code == 201, answer.text
    assert _phases(fresh_db_url) == {"Eerste": ("opgeleverd", 2026), "Tweede": ("opgeleverd", 2026),
                                     "Later": ("vergund", 2028)}


def test_the_bulk_realisation_report_updates_linked_projects_in_its_transaction(fresh_db_url):
    from accounts_support import SETUP
    from gebiedsatlas.agreements import services as agreements
    from gebiedsatlas.store.accounts import AuditEvent
    from gebiedsatlas.store.agreements import Commitment

    _, commitment_id, almere = _almere_agreement(fresh_db_url, output=True)
    _linked_projects(fresh_db_url, commitment_id, almere)
    with pytest.raises(RuntimeError), db.session_scope(fresh_db_url) as session:
        commitment = session.get(Commitment, commitment_id)
        agreements.report_realisations(session, [(commitment, agreements.RealisationInput(
            year=2026, value=30, explanation="", reported_by_party_id=almere))], SETUP)
        raise RuntimeError("the import fails later on")  # rolls back the realisation and the projects
    assert _phases(fresh_db_url)["Eerste"] == ("in_aanbouw", 2026)
    with db.session_scope(fresh_db_url) as session:
        commitment = session.get(Commitment, commitment_id)
        # two rows for 2026 in one file: the last one (85) counts; 2028 is reported too (20 covers "Later")
        assert agreements.report_realisations(session, [
            (commitment, agreements.RealisationInput(year=2026, value=30, explanation="", reported_by_party_id=almere)),
            (commitment, agreements.RealisationInput(year=2026, value=85, explanation="", reported_by_party_id=almere)),
            (commitment, agreements.RealisationInput(year=2028, value=20, explanation="", reported_by_party_id=almere)),
        ], SETUP) == 3
    assert {n: p for n, (p, _) in _phases(fresh_db_url).items()} == {
        "Eerste": "opgeleverd", "Tweede": "opgeleverd", "Later": "opgeleverd"}
    with db.session_scope(fresh_db_url) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "woonprogramma.realisatie")) == 2


def test_without_tenure_per_wijk_the_gemeente_figures_serve(client):
    import csv

    from conftest import DATA_DIR

    with (DATA_DIR / "cbs" / "kwb2020_2025_gemeenten_woningen.csv").open(encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["gwb_code"] == "GM0034" and r["year"] == "2024")
    assert (row["a_woning"], row["p_wcorpw"]) == ("92353", "27")  # Almere, 1 januari 2024 (CBS KWB)
    programme = client.get("/api/woonprogramma/GM0034").json()
    if programme["voorraad_niveau"] == "wijk":
        pytest.skip("this store has tenure per wijk")
    assert programme["voorraad_jaar"] == 2024
    whole = programme["voorraad_gemeente"]
    assert whole["woningen"] == 92353 and whole["aandelen"]["corporatie"] == 27
    assert round(whole["corporatie"]) == round(92353 * 0.27) == 24935
    assert "gebiedsatlas fetch cbs --area-set nta" in programme["voorraad_opmerking"]
    page = client.get("/woonprogramma/GM0034").text
    assert "92.353" in page and "24.935" in page and "CBS Kerncijfers wijken en buurten, 1 januari 2024" in page
    assert "gebiedsatlas fetch cbs --area-set nta" in page
    assert 'id="scenarios-gemeenteniveau"' in page and "Op gemeenteniveau" in page
    assert programme["scenarios"] and programme["scenarios"][0]["sociaal_start"] == pytest.approx(27)


@pytest.mark.browser
def test_a_realisation_in_the_browser_delivers_linked_projects_and_pages_fit_a_phone(fresh_db_url, page):
    """Over real HTTP in Chromium: the realisation form of the agreement page updates the linked projects,
    and the agreement page (programme effect) and the gemeente page at gemeente level fit 390 px, axe-clean."""
    from conftest import LiveServer

    editor = member(fresh_db_url, "Gemeente Almere", "redacteur")
    _, commitment_id, almere = _almere_agreement(fresh_db_url, output=True)
    _linked_projects(fresh_db_url, commitment_id, almere)
    server = LiveServer(fresh_db_url)
    base = server.url
    try:
        login_in_browser(page, base, editor)
        page.goto(f"{base}/afspraken/afspraak/{commitment_id}")
        page.fill("#veld-year", "2026")
        page.fill("#veld-value", "35")
        page.get_by_role("button", name="Realisatie opslaan").click()
        page.wait_for_url(re.compile(r"#realisaties"))
        table = page.get_by_role("table", name="Gekoppelde projecten uit het woonprogramma").inner_text()
        assert re.search(r"Eerste\s+opgeleverd\s+2026", table) and re.search(r"Tweede\s+vergund\s+2026", table)
        assert _phases(fresh_db_url)["Eerste"] == ("opgeleverd", 2026)
        page.set_viewport_size({"width": 390, "height": 844})
        for path in (f"/afspraken/afspraak/{commitment_id}", "/woonprogramma/GM0034"):
            page.goto(f"{base}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            assert axe_violations(page) == [], path
        assert page.js_errors == []
    finally:
        server.stop()
