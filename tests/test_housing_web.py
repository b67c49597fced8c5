"""Woonprogramma over HTTP: uploads all-or-nothing with every error listed, a corporation cannot upload
for another, the 81955NED API, exports that never become formulas; and in a real Chromium (with axe):
an editor adds a project and builds a scenario, and every page fits a 390 px phone."""

from __future__ import annotations

import re

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
        page.select_option("#project-gebied", "WK003401")
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
