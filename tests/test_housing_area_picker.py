"""Issue 13 item 4: a woonprogramma project's area is picked by name or on the map, with the area picker
of the prestatieafspraken (area-picker.js, areas/names.py), limited to the project's gemeente.
Real bundled boundaries of Capelle aan den IJssel, real HTTP, real Chromium with axe-core."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from accounts_support import csrf_of, login, login_in_browser, member
from conftest import axe_violations, make_client
from gebiedsatlas.store import db
from gebiedsatlas.store.agreements import Party
from gebiedsatlas.store.housing import Project

CAPELLE = "Gemeente Capelle aan den IJssel"
NEW = "/woonprogramma/GM0502/projecten/nieuw"


def _party(url: str, name: str) -> int:
    with db.session_scope(url) as session:
        return session.scalar(select(Party.id).where(Party.name == name))


def _areas(url: str) -> dict[str, str]:
    with db.session_scope(url) as session:
        return {p.name: p.area_code for p in session.scalars(select(Project))}


def test_the_server_resolves_names_and_refuses_ambiguous_or_foreign_areas(fresh_db_url):
    editor = member(fresh_db_url, CAPELLE, "redacteur")
    party = _party(fresh_db_url, CAPELLE)
    with make_client(fresh_db_url) as client:
        assert login(client, editor).status_code == 303

        def post(name: str, area: str):
            form = {"csrf_token": csrf_of(client.get(NEW).text), "naam": name, "gebied": area, "partij": str(party),
                    "soort": "nieuwbouw", "fase": "vergund", "opleverjaar": "2028", "sociale_huur": "40"}
            return client.post(NEW, data=form, follow_redirects=False)

        for name, area in (("Bij naam", "oostgaarde noord"), ("Gekozen", "Schenkel (WK050206)"),
                           ("Begin van de naam", "middelwatering o"), ("Buurt", "Klinkert"), ("Code", "wk050207")):
            assert post(name, area).status_code == 303, area
        assert _areas(fresh_db_url) == {"Bij naam": "WK050205", "Gekozen": "WK050206", "Begin van de naam": "WK050203",
                                        "Buurt": "BU05020659", "Code": "WK050207"}

        refused = {
            "Oostgaarde": "past bij meer dan één wijk of buurt in Capelle aan den IJssel: Oostgaarde Noord "
                          "(WK050205, wijk), Oostgaarde Zuid (WK050204, wijk). Kies er één.",
            "Rivium (WK050206)": "‘Rivium’ en WK050206 horen niet bij elkaar: WK050206 is Schenkel",
            "WK003401": "WK003401 is geen wijk of buurt in Capelle aan den IJssel maar in Almere",
            "Haven": "Geen wijk of buurt ‘Haven’ in Capelle aan den IJssel",
        }
        for area, message in refused.items():
            response = post("Geweigerd", area)
            assert response.status_code == 422, area
            page = response.text
            # The problem at the field (and in the summary), and what was typed is kept.
            field = re.search(r'<p class="pa-error" id="project-gebied-fout">([^<]*)</p>', page)
            assert field and message in field.group(1).replace("&#39;", "'"), area
            assert 'aria-invalid="true"' in page and f'value="{area}"' in page
        assert "Geweigerd" not in _areas(fresh_db_url)

        # The edit form shows the stored area as "Naam (CODE)", which saves unchanged.
        with db.session_scope(fresh_db_url) as session:
            project_id = session.scalar(select(Project.id).where(Project.name == "Bij naam"))
        assert 'value="Oostgaarde Noord (WK050205)"' in client.get(f"/woonprogramma/project/{project_id}").text


@pytest.mark.browser
def test_a_wijk_picked_by_name_in_chromium(fresh_db_url, fresh_live_server, page):
    base = fresh_live_server.url
    login_in_browser(page, base, member(fresh_db_url, CAPELLE, "redacteur"))
    page.goto(f"{base}{NEW}")
    # The small map of Capelle's nine wijken; clicking one chooses it.
    page.wait_for_selector("[data-picker-map][data-ready]")
    assert page.locator("[data-picker-map]").get_attribute("data-ready") == "9"
    page.locator("[data-picker-map] path.leaflet-interactive").first.click(force=True)
    assert re.fullmatch(r".+ \(WK0502\d\d\)", page.locator("#project-gebied").input_value())

    page.fill("#project-naam", "Transformatie Oostgaarde")
    page.fill("#project-gebied", "")
    page.locator("#project-gebied").press_sequentially("Oostgaarde No", delay=30)
    suggestion = page.locator("[data-area-picker] button[data-code='WK050205']")
    suggestion.wait_for()
    assert suggestion.inner_text() == "Oostgaarde Noord — Wijk in Capelle aan den IJssel (WK050205)"
    assert all(b.get_attribute("data-code")[2:6] == "0502"
               for b in page.locator("[data-area-picker] button[data-code]").all())
    assert axe_violations(page) == []
    suggestion.click()
    assert page.locator("#project-gebied").input_value() == "Oostgaarde Noord (WK050205)"
    page.select_option("#project-soort", "transformatie")
    page.select_option("#project-fase", "vergund")
    page.fill("#project-jaar", "2028")
    page.fill("#project-sociale_huur", "30")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/woonprogramma/GM0502/projecten\?melding="))
    assert _areas(fresh_db_url) == {"Transformatie Oostgaarde": "WK050205"}

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}{NEW}")
    page.wait_for_selector("[data-picker-map][data-ready]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    assert page.js_errors == []
