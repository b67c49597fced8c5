"""Forms that help (issue 15, item 5), in a real Chromium with axe-core, plus the rules behind them.

The example is the issue's own: the Leefbaarometer of Schenkel (Capelle aan den IJssel, WK050206) is
4,0669 in 2024 (bundled Leefbaarometer 3.0); a target "from 4,067 to 4,050" points against the
indicator's direction (higher is better). It must be warned about by name of the direction, need a
confirmation, and then count as a limit: with the published scores rising since 2002 it is "op koers",
not "achter".
"""

from __future__ import annotations

import csv
import re

import httpx
import pytest

from accounts_support import login_in_browser, member
from conftest import ARTIFACTS_DIR, DATA_DIR, axe_violations
from gebiedsatlas.agreements.direction import direction_warning, is_limit
from gebiedsatlas.agreements.progress import outcome_progress
from gebiedsatlas.agreements.scope import resolve_scope_names
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import Direction, load_catalogue
from gebiedsatlas.store import db

LBM_WIJKEN = DATA_DIR / "leefbaarometer" / "lbm3_wijken_2002_2024_nta7.csv"
SCHENKEL = "WK050206"


def _lbm_series(code: str) -> list[dict]:
    with open(LBM_WIJKEN, encoding="utf-8") as fh:
        return [{"year": int(r["jaar"]), "value": float(r["lbm"]), "source": "atlas"}
                for r in csv.DictReader(fh) if r["wk_code"] == code]


# --- rules (no browser) ---------------------------------------------------------------------------

def test_a_target_below_the_baseline_is_a_limit_and_not_achter_while_the_score_rises():
    series = _lbm_series(SCHENKEL)
    assert series[-1] == {"year": 2024, "value": 4.0669, "source": "atlas"}
    lbm = load_catalogue()["lbm_score"]
    assert lbm.direction is Direction.HIGHER_IS_BETTER
    warning = direction_warning(lbm, 4.067, 4.050)
    assert warning is not None and "hoger is beter" in warning and "ondergrens" in warning
    assert "4,05" in warning and "4,067" in warning
    assert direction_warning(lbm, 4.067, 4.10) is None  # the right way: no warning
    assert is_limit(Direction.HIGHER_IS_WORSE, 40.0, 45.0) and not is_limit(Direction.NEUTRAL, 40.0, 45.0)

    limit = outcome_progress(series, baseline_value=4.067, target_value=4.050, target_year=2029,
                             reference_year=2026, higher_is_better=True)
    assert limit.status == "op_koers", limit.explanation
    assert "ondergrens" in limit.explanation and limit.projected_value > 4.05
    # Crossed: a limit of 4,07 lies above the latest score 4,0669.
    crossed = outcome_progress(series, baseline_value=4.09, target_value=4.07, target_year=2029,
                               reference_year=2026, higher_is_better=True)
    assert crossed.status == "achter" and "over de ondergrens" in crossed.explanation
    # Target year passed within the limit: behaald.
    assert outcome_progress(series, baseline_value=4.067, target_value=4.050, target_year=2024,
                            reference_year=2026, higher_is_better=True).status == "behaald"
    # Without a direction the old rule stands (a downward target to reach).
    assert outcome_progress(series, baseline_value=4.067, target_value=4.050, target_year=2029,
                            reference_year=2026).status == "achter"


def test_area_names_become_codes_inside_the_gemeente(db_url):
    with db.session_scope(db_url) as session:
        index = area_index(session)
        codes, problems = resolve_scope_names(index, "GM0356", "wijk", ["Jutphaas Wijkersloot", "zandveld"])
        assert (codes, problems) == (["WK035601", "WK035616"], [])
        # A picked suggestion: name and code must agree.
        assert resolve_scope_names(index, "GM0356", "wijk", ["Zandveld (WK035616)"]) == (["WK035616"], [])
        codes, problems = resolve_scope_names(index, "GM0356", "wijk", ["Oostgaarde (WK035616)"])
        assert codes == [] and problems == [
            "‘Oostgaarde’ en WK035616 horen niet bij elkaar: WK035616 is Zandveld. Kies de wijk opnieuw."]
        # Oostgaarde is a wijk of Capelle aan den IJssel, not of Nieuwegein.
        codes, problems = resolve_scope_names(index, "GM0356", "wijk", ["Oostgaarde"])
        assert codes == [] and problems[0].startswith("Geen wijk ‘Oostgaarde’ in Nieuwegein.")
        # In Capelle aan den IJssel the name fits two wijken: the message names both, with their codes.
        codes, problems = resolve_scope_names(index, "GM0502", "wijk", ["Oostgaarde"])
        assert codes == [] and problems == [
            "‘Oostgaarde’ past bij meer dan één wijk in Capelle aan den IJssel: Oostgaarde Noord (WK050205), "
            "Oostgaarde Zuid (WK050204). Kies er één."]
        assert resolve_scope_names(index, "GM0502", "wijk", ["oostgaarde noord"]) == (["WK050205"], [])


def test_theme_errors_name_the_dutch_labels_not_the_ids(client):
    from gebiedsatlas.agreements.services import parse_choice
    from gebiedsatlas.agreements.vocab import THEMES

    errors: dict = {}
    parse_choice({"theme": "onbekend"}, "theme", THEMES, errors)
    assert "Leefbaarheid" in errors["theme"] and "leefbaarheid," not in errors["theme"]
    assert "klimaatadaptatie" not in errors["theme"]


# --- browser --------------------------------------------------------------------------------------

def _wait_for_focus(page, element_id: str) -> None:
    """Polls with evaluate (wait_for_function evaluates a string, which the page's CSP forbids)."""
    for _ in range(50):
        if page.evaluate("() => document.activeElement ? document.activeElement.id : null") == element_id:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"focus is on {page.evaluate('() => document.activeElement.outerHTML.slice(0, 120)')}")


def _axe(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{where}: {violations}"


@pytest.mark.browser
def test_agreement_form_parties_inline_party_and_title_counter(fresh_db_url, fresh_live_server, page):
    base = fresh_live_server.url
    editor = member(fresh_db_url, "Gemeente Capelle aan den IJssel", "redacteur")
    login_in_browser(page, base, editor)
    page.goto(f"{base}/afspraken/nieuw")
    assert "demo-gebruiker" not in page.content()
    # The actor comes from the login, not from a field.
    assert page.locator("input[name=actor], input[name=user], input[name=reported_by]").count() == 0
    assert editor.split("@")[0] in page.locator(".pa-actor").inner_text()

    title = page.locator("#veld-title")
    assert title.get_attribute("maxlength") == "300"
    title.fill("Prestatieafspraken Capelle 2026–2029")
    assert page.locator("#teller-title").inner_text() == "36 van 300 tekens"

    # Parties of other gemeenten fold away once a gemeente is chosen.
    almere = page.get_by_role("checkbox", name=re.compile("^Gemeente Almere"))
    assert almere.is_visible()
    page.select_option("#veld-gemeente_code", "GM0502")
    assert not almere.is_visible()
    assert page.get_by_role("checkbox", name=re.compile("^Gemeente Capelle aan den IJssel")).is_visible()
    page.get_by_role("button", name=re.compile("^Toon alle partijen")).click()
    assert almere.is_visible()
    page.get_by_role("button", name="Toon alleen partijen van deze gemeente").click()
    page.get_by_role("checkbox", name=re.compile("^Gemeente Capelle aan den IJssel")).check()
    page.fill("#veld-period_start", "2026")
    page.fill("#veld-period_end", "2029")

    # A huurdersorganisatie added inline: the form comes back with everything kept and it ticked.
    page.fill("#veld-new_party_name", "Huurdersvereniging Schenkel (test)")
    page.get_by_role("button", name="Toevoegen").click()
    page.wait_for_load_state()
    assert page.locator("#veld-title").input_value() == "Prestatieafspraken Capelle 2026–2029"
    assert page.locator("#veld-gemeente_code").input_value() == "GM0502"
    added = page.get_by_role("checkbox", name=re.compile("^Huurdersvereniging Schenkel \\(test\\)"))
    assert added.is_checked() and added.is_visible()
    assert "(huurdersorganisatie)" in page.locator("label[for^=partij-]", has_text="Huurdersvereniging").inner_text()
    _axe(page, "afsprakenformulier na partij toevoegen")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS_DIR / "ux-afspraken-formulier-390.png"), full_page=False)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/afspraken/\d+$"))
    assert "Huurdersvereniging Schenkel (test)" in page.content()


@pytest.mark.browser
def test_area_picker_and_direction_warning(fresh_db_url, fresh_live_server, page):
    base = fresh_live_server.url
    editor = member(fresh_db_url, "Gemeente Capelle aan den IJssel", "redacteur")
    login_in_browser(page, base, editor)
    page.goto(f"{base}/afspraken/nieuw")
    page.fill("#veld-title", "Capelle browsertest")
    page.select_option("#veld-gemeente_code", "GM0502")
    page.fill("#veld-period_start", "2026")
    page.fill("#veld-period_end", "2029")
    page.get_by_role("checkbox", name=re.compile("^Gemeente Capelle aan den IJssel")).check()
    page.fill("#veld-new_party_name", "Huurdersraad Capelle (test)")
    page.get_by_role("button", name="Toevoegen").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_url(re.compile(r"/afspraken/\d+$"))
    page.get_by_role("link", name="Afspraak toevoegen").click()

    page.fill("#veld-text", "De Leefbaarometer-score van Schenkel zakt niet onder 4,050 in 2029")
    page.select_option("#veld-theme", "leefbaarheid")
    page.get_by_role("checkbox", name=re.compile("^Gemeente Capelle aan den IJssel")).check()
    page.select_option("#veld-scope_kind", "wijk")
    # The small map of Capelle's wijken appears.
    page.wait_for_selector("[data-picker-map][data-ready]")
    wijken = httpx.get(f"{base}/api/geojson?level=wijk&parent=GM0502").json()["features"]
    assert int(page.locator("[data-picker-map]").get_attribute("data-ready")) == len(wijken) == 9

    # Suggestions by name, with the gemeente, only inside Capelle aan den IJssel.
    page.locator("#veld-scope_codes").press_sequentially("Schen", delay=30)
    suggestion = page.locator("#suggesties-scope_codes button[data-code='WK050206']")
    suggestion.wait_for()
    assert suggestion.inner_text() == "Schenkel — Wijk in Capelle aan den IJssel (WK050206)"
    assert all(b.get_attribute("data-code").startswith("WK0502")
               for b in page.locator("#suggesties-scope_codes button").all())
    _axe(page, "afspraakformulier met suggesties")
    suggestion.click()
    assert page.locator("#veld-scope_codes").input_value().startswith("Schenkel (WK050206)")
    assert page.evaluate("document.activeElement.id") == "veld-scope_codes"
    # Clicking the wijk on the map removes it again, clicking once more adds it.
    shape = page.locator("[data-picker-map] path.leaflet-interactive")
    count = shape.count()
    assert count == int(page.locator("[data-picker-map]").get_attribute("data-ready"))

    page.select_option("#veld-target_kind", "outcome")
    page.select_option("#veld-indicator_id", "lbm_score")
    page.fill("#veld-baseline_year", "2024")
    page.fill("#veld-baseline_value", "4,067")
    page.fill("#veld-target_value", "4,050")
    page.fill("#veld-target_year", "2029")
    warning = page.locator("#richting-waarschuwing")
    assert "is hoger is beter" in warning.inner_text() and "ondergrens" in warning.inner_text()
    assert "4,05" in warning.inner_text() and "4,067" in warning.inner_text()
    assert page.locator("#richting-bevestiging").is_visible()
    _axe(page, "afspraakformulier met richtingwaarschuwing")
    page.screenshot(path=str(ARTIFACTS_DIR / "ux-afspraak-richting-1366.png"), full_page=True)

    # Saved without confirming: refused, and the page opens at the error summary (focused).
    page.get_by_role("button", name="Afspraak opslaan").click()
    page.wait_for_load_state()
    summary = page.locator(".pa-errors-summary")
    assert "hoger is beter" in summary.inner_text()
    _wait_for_focus(page, "foutmeldingen")
    assert page.locator("#veld-scope_codes").input_value().startswith("Schenkel (WK050206)")
    _axe(page, "afspraakformulier met fout")
    page.check("#veld-direction_ok")
    page.get_by_role("button", name="Afspraak opslaan").click()
    page.wait_for_url(re.compile(r"/afspraken/afspraak/\d+$"))
    status = page.locator("#afspraak-status").inner_text()
    assert status == "Op koers", status
    assert "ondergrens" in page.content()
    _axe(page, "afspraakpagina")


@pytest.mark.browser
def test_refused_realisation_opens_at_its_errors_and_chart_numbers_are_dutch(fresh_db_url, fresh_live_server, page):
    """The demo's signed Nieuwegein agreement: a realisation without a number is refused; the page comes
    back at the form with the error summary focused, not at the top. The Leefbaarometer chart of the
    outcome target uses Dutch decimal commas, like the tables."""
    from sqlalchemy import select

    from gebiedsatlas.agreements.demo import HAVEN, load_demo
    from gebiedsatlas.store.agreements import Commitment

    with db.session_scope(fresh_db_url) as session:
        agreements = load_demo(session)
        nieuwegein = next(a for a in agreements if a.gemeente_code == "GM0356")
        rows = session.scalars(select(Commitment).where(Commitment.agreement_id == nieuwegein.id))
        ids = {c.number: c.id for c in rows}
        outcome = next(c.id for c in nieuwegein.commitments if c.target_kind == "outcome")
    base = fresh_live_server.url
    # One click into the fictional redacteur of the fictional corporation (demo accounts only belong to
    # fictional organisations).
    page.goto(f"{base}/inloggen")
    page.get_by_role("button", name=f"Inloggen als Fictief: redacteur {HAVEN.removeprefix('Fictief: ')}").click()
    page.wait_for_load_state()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/afspraken/afspraak/{ids[1]}")
    page.fill("#veld-year", "2027")
    page.get_by_role("button", name="Realisatie opslaan").click()
    page.wait_for_load_state()
    assert page.url.endswith("#realisaties")
    _wait_for_focus(page, "realisatie-fouten")
    assert page.evaluate("window.scrollY") > 400  # not at the top of the page
    assert "gerealiseerde waarde" in page.locator("#realisatie-fouten").inner_text()
    assert page.locator("#foutmeldingen").count() == 0  # one summary, next to the form
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _axe(page, "realisatie met fout")
    page.screenshot(path=str(ARTIFACTS_DIR / "ux-realisatie-fout-390.png"), full_page=False)

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{base}/afspraken/afspraak/{outcome}")
    page.wait_for_selector("#grafiek svg")
    ticks = page.locator("#grafiek svg .role-axis-label text").all_text_contents()
    decimals = [t for t in ticks if re.fullmatch(r"\d+[.,]\d+", t)]
    assert decimals and all("," in t for t in decimals), ticks
