"""The profile's trends on one boundary year, in a real Chromium: the statement, converted points marked
in the chart and in its table, and no accessibility violations."""

from __future__ import annotations

import pytest

from conftest import LiveServer, axe_violations

# Weighted by inhabitants (the imported crosswalk), every inhabited wijk of the New Towns is unchanged
# between 2022 and 2024. Weighted by area (`gebiedsatlas crosswalk --weighting oppervlakte`), 65 % of the
# 2022 outline of Blokhoeve (Nieuwegein) lies in the 2024 Huis de Geer: its trends are converted.
CHANGED = "WK035607"  # Blokhoeve, on the crosswalk by area
UNCHANGED = "WK003401"  # Centrum Almere Haven


def test_profile_html_states_the_boundary_year(client):
    page = client.get(f"/gebied/{UNCHANGED}").text
    assert "Trends op de gebiedsindeling van 2024" in page and "Hier waren de grenzen gelijk" in page
    assert 'data-status="converted"' not in page and "data-converted" not in page
    amsterdam = client.get("/gebied/GM0363").text
    assert "geen omrekentabel van de grenzen van 2022 naar 2024" in amsterdam


@pytest.fixture
def by_area_server(fresh_db_url):
    """A server on a store copy whose wijk crosswalk 2022 <-> 2024 is rebuilt by area."""
    from typer.testing import CliRunner

    from gebiedsatlas.cli import app

    result = CliRunner().invoke(app, ["crosswalk", "--from-year", "2022", "--to-year", "2024", "--area-set", "nta",
                                      "--weighting", "oppervlakte"], env={"GEBIEDSATLAS_DATABASE_URL": fresh_db_url})
    assert result.exit_code == 0, result.output
    server = LiveServer(fresh_db_url)
    yield server
    server.stop()


@pytest.mark.browser
def test_profile_marks_converted_trend_points(page, by_area_server):
    page.goto(f"{by_area_server.url}/gebied/{CHANGED}")
    statement = page.locator("#trend-basis")
    assert statement.inner_text().startswith(
        "Trends op de gebiedsindeling van 2024; waarden van eerdere jaren zijn omgerekend waar de grenzen "
        "veranderden")
    assert statement.get_attribute("data-boundary-year") == "2024"
    trend = page.locator("figure[data-trend='lbm_score']")
    trend.scroll_into_view_if_needed()  # charts are drawn when they scroll into view
    trend.locator(".atlas-chart svg").wait_for(timeout=30_000)
    assert trend.get_attribute("data-converted") is not None
    assert "omgerekend waar de grenzen veranderden" in trend.locator(".atlas-trend-basis").inner_text()
    # In the chart: nine open diamonds (white fill) for the converted Leefbaarometer scores of Blokhoeve.
    diamonds = trend.locator("svg .mark-symbol path[fill='#ffffff']")
    assert diamonds.count() == 9
    # In the table: the same points marked, and the method in words.
    trend.locator("summary").click()
    converted = trend.locator("td[data-status='converted']")
    assert converted.count() == 9
    assert "4,139" in converted.last.inner_text() and "omgerekend" in converted.last.text_content()
    notes = trend.locator(".atlas-trend-notes").inner_text()
    assert "Blokhoeve, 2002, 2008" in notes and "dekking 100%" in notes and "van 2022" in notes
    # Inhabitants: 2022 converted (35 % of the 1,775 by area), 2024 as published.
    inwoners = page.locator("figure[data-trend='inwoners']")
    inwoners.locator("summary").click()
    rows = inwoners.locator("tbody tr").all_inner_texts()
    assert rows[0].startswith("2022") and "622" in rows[0]
    assert rows[1].startswith("2024") and "1.765" in rows[1]
    assert not page.js_errors
    assert axe_violations(page) == []
