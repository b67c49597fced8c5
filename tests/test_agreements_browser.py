"""Prestatieafspraken in a real Chromium, logged in through the real login page: an editor creates an
agreement and a commitment with an atlas outcome target, each party's signer signs, the editor reports
a realisation, the status and the area profile change; axe-core on the main pages."""

from __future__ import annotations

import re

import pytest

from accounts_support import login_in_browser, member
from conftest import axe_violations

pytestmark = pytest.mark.browser


def _no_axe_violations(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{where}: {violations}"


def _log_out(page) -> None:
    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_load_state()


def _approve(page, base: str, agreement_url: str, email: str, button: str) -> None:
    login_in_browser(page, base, email)
    page.goto(agreement_url)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    _log_out(page)


def test_agreement_commitment_realisation_and_profile(fresh_db_url, fresh_live_server, page):
    base = fresh_live_server.url
    editor = member(fresh_db_url, "Gemeente Nieuwegein", "redacteur")
    signers = [member(fresh_db_url, "Gemeente Nieuwegein", "ondertekenaar"),
               member(fresh_db_url, "Jutphaas Wonen", "ondertekenaar")]
    login_in_browser(page, base, editor)
    page.goto(f"{base}/afspraken")
    _no_axe_violations(page, "overzicht")
    page.get_by_role("link", name="Nieuwe afspraken vastleggen").click()

    # Submitting an empty form shows the errors next to the fields.
    page.fill("#veld-title", "")
    page.get_by_role("button", name="Opslaan").click()
    assert page.locator("#fout-title").inner_text().startswith("Verplicht")
    assert page.locator("#fout-party_ids").is_visible()
    _no_axe_violations(page, "formulier met fouten")

    page.fill("#veld-title", "Prestatieafspraken Nieuwegein 2026–2029 (browsertest)")
    page.select_option("#veld-gemeente_code", "GM0356")
    page.fill("#veld-period_start", "2026")
    page.fill("#veld-period_end", "2029")
    page.get_by_role("checkbox", name=re.compile("^Gemeente Nieuwegein")).check()
    page.get_by_role("checkbox", name=re.compile("^Jutphaas Wonen")).check()
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/afspraken/\d+$"))
    assert "Concept" in page.locator("#afspraken-status").inner_text()
    _no_axe_violations(page, "afsprakenpagina")

    page.get_by_role("link", name="Afspraak toevoegen").click()
    page.fill("#veld-text", "Leefbaarometer-score van Jutphaas Wijkersloot naar 4,10 in 2029")
    page.select_option("#veld-theme", "leefbaarheid")
    page.get_by_role("checkbox", name=re.compile("^Gemeente Nieuwegein")).check()
    page.select_option("#veld-scope_kind", "wijk")
    page.fill("#veld-scope_codes", "WK035601")
    page.select_option("#veld-target_kind", "outcome")
    page.select_option("#veld-indicator_id", "lbm_score")
    page.fill("#veld-baseline_year", "2024")
    page.fill("#veld-target_value", "4,10")
    page.fill("#veld-target_year", "2029")
    _no_axe_violations(page, "afspraakformulier")
    page.get_by_role("button", name="Afspraak opslaan").click()
    page.wait_for_url(re.compile(r"/afspraken/afspraak/\d+$"))
    before = page.locator("#afspraak-status").inner_text()
    assert before != "Behaald"
    # The baseline was read from the atlas: the published Leefbaarometer score 2024 of the wijk.
    assert "van 4,020 (2024) naar 4,100 in 2029" in page.content()
    _no_axe_violations(page, "afspraakpagina")
    commitment_url = page.url
    agreement_url = page.locator("a", has_text="(browsertest)").first.get_attribute("href")
    agreement_url = f"{base}{agreement_url}"
    # Realisations come after signing: the editor sees why there is no form yet.
    assert "zodra de afspraken getekend zijn" in page.locator("#realisatie-recht").inner_text()
    _log_out(page)

    # Every party's signer agrees to the bod, then signs; the page shows who did and when.
    _approve(page, base, agreement_url, signers[0], "Akkoord met het bod")
    _approve(page, base, agreement_url, signers[1], "Akkoord met het bod")
    _approve(page, base, agreement_url, signers[0], "Ondertekenen")
    login_in_browser(page, base, signers[1])
    page.goto(agreement_url)
    assert signers[0] in page.locator("#akkoorden").inner_text()
    _no_axe_violations(page, "ondertekenen")
    page.get_by_role("button", name="Ondertekenen").click()
    page.wait_for_load_state()
    assert "Getekend" in page.locator("#afspraken-status").inner_text()
    assert all(s in page.locator("#handtekeningen").inner_text() for s in signers)
    assert page.get_by_role("link", name="Afspraak toevoegen").count() == 0  # locked
    _log_out(page)

    login_in_browser(page, base, editor)
    page.goto(commitment_url)
    page.fill("#veld-year", "2026")
    page.fill("#veld-value", "4,12")
    page.fill("#veld-explanation", "Eigen meting van de gemeente")
    page.get_by_role("button", name="Realisatie opslaan").click()
    page.wait_for_url(re.compile(r"#realisaties$"))
    assert page.locator("#afspraak-status").inner_text() == "Behaald"
    assert "4,12" in page.locator("#realisatie-versies").inner_text()

    page.goto(f"{base}/gebied/WK035601")
    section = page.locator("#afgesproken")
    assert "Leefbaarometer-score van Jutphaas Wijkersloot" in section.inner_text()
    assert "Behaald" in section.inner_text()

    page.goto(f"{base}/afspraken/monitoring")
    assert page.locator("#per-gemeente").inner_text().count("Nieuwegein") == 1
    _no_axe_violations(page, "monitoring")

    # The map of commitments per wijk counts the new wijk commitment.
    page.goto(f"{base}/afspraken/kaart?gemeente=GM0356")
    page.wait_for_selector("#afsprakenkaart[data-drawn=true]")
    row = page.locator("#afspraken-per-wijk tr", has_text="WK035601")
    assert row.locator("td").last.inner_text() == "1"
    _no_axe_violations(page, "kaart")
    page.goto(f"{base}/afspraken/cyclus")
    _no_axe_violations(page, "jaarcyclus")
    assert page.js_errors == []


def test_commitment_map_by_keyboard(live_server, page):
    """The map of commitments per wijk has the keyboard access of /kaart (map-keyboard.js): one tab stop,
    arrow keys, Home/End in table order and type-ahead move a link over the wijken of Nieuwegein, its name
    is the tooltip text (wijk and count, as in the table), Enter opens the commitments of that wijk."""
    page.goto(f"{live_server.url}/afspraken/kaart?gemeente=GM0356")
    page.wait_for_selector("#afsprakenkaart[data-drawn=true]")
    rows = [[c.strip() for c in r] for r in page.evaluate("""() => Array.from(
        document.querySelectorAll('#afspraken-per-wijk tbody tr'),
        (tr) => Array.from(tr.cells, (c) => c.textContent))""")]
    label_of = {code: f"{name}: {n} afspra{'ak' if n == '1' else 'ken'}" for name, code, n in rows}
    active = "() => { const a = document.activeElement; return [a.id, a.getAttribute('href'), " \
             "a.getAttribute('aria-label'), a.closest('#afsprakenkaart') !== null]; }"
    page.locator("form.pa-actions button[type=submit]").focus()
    page.keyboard.press("Tab")
    assert page.evaluate(active)[0] == "afsprakenkaart"
    page.keyboard.press("ArrowLeft")
    _, href, label, inside = page.evaluate(active)
    code = href.removeprefix("/afspraken/gebied/")
    assert inside and label == label_of[code]
    page.keyboard.press("End")
    assert page.evaluate(active)[1] == f"/afspraken/gebied/{rows[-1][1]}"
    page.keyboard.type("jutphaas w")
    _, href, label, _ = page.evaluate(active)
    assert href == "/afspraken/gebied/WK035601" and label == label_of["WK035601"]
    assert label.startswith("Jutphaas Wijkersloot: ")
    assert page.locator("#afsprakenkaart path.atlas-map__focus-ring").count() == 2
    _no_axe_violations(page, "kaart met toetsenbordfocus")
    page.keyboard.press("Enter")
    page.wait_for_url("**/afspraken/gebied/WK035601", timeout=15_000, wait_until="commit")
    assert page.js_errors == []


def test_agreement_pages_fit_a_phone(fresh_db_url, page):
    """Every page of the prestatieafspraken on a 390 px phone: no sideways scrolling (wide tables
    scroll inside their own region), no axe violations; logged in as a fictional signer."""
    from conftest import LiveServer
    from gebiedsatlas.agreements import demo
    from gebiedsatlas.store import db
    from gebiedsatlas.store.agreements import Agreement

    with db.session_scope(fresh_db_url) as session:
        demo.load_demo(session)
        commitment_id = session.get(Agreement, 1).commitments[0].id
    server = LiveServer(fresh_db_url)
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{server.url}/inloggen")
        page.get_by_role("button", name="Inloggen als Fictief: ondertekenaar Gemeente Zoetermeer").click()
        page.wait_for_load_state()
        for path in ("/afspraken?voorbeeld=1", "/afspraken/1", "/afspraken/2", f"/afspraken/afspraak/{commitment_id}",
                     "/afspraken/1/geschiedenis", "/afspraken/1/bij-ondertekening", "/afspraken/monitoring?voorbeeld=1",
                     "/afspraken/cyclus?voorbeeld=1", "/afspraken/excel", "/afspraken/nieuw?voorbeeld=1"):
            page.goto(f"{server.url}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            _no_axe_violations(page, path)
    finally:
        server.stop()
