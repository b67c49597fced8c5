"""The profile's trends on one boundary year, in a real Chromium: the statement, converted points marked
in the chart and in its table, and no accessibility violations."""

from __future__ import annotations

import pytest

from conftest import axe_violations

CHANGED = "WK003406"  # De Marken (Almere Haven): 16 % of its 2022 inhabitants now live in WK003405
UNCHANGED = "WK003401"  # Centrum Almere Haven


def test_profile_html_states_the_boundary_year(client):
    page = client.get(f"/gebied/{UNCHANGED}").text
    assert "Trends op de gebiedsindeling van 2024" in page and "Hier waren de grenzen gelijk" in page
    assert 'data-status="converted"' not in page and "data-converted" not in page
    amsterdam = client.get("/gebied/GM0363").text
    assert "geen omrekentabel van de grenzen van 2022 naar 2024" in amsterdam


@pytest.mark.browser
def test_profile_marks_converted_trend_points(page, live_server):
    page.goto(f"{live_server.url}/gebied/{CHANGED}")
    statement = page.locator("#trend-basis")
    assert statement.inner_text().startswith(
        "Trends op de gebiedsindeling van 2024; waarden van eerdere jaren zijn omgerekend waar de grenzen "
        "veranderden")
    assert statement.get_attribute("data-boundary-year") == "2024"
    trend = page.locator("figure[data-trend='lbm_score']")
    trend.locator(".atlas-chart svg").wait_for(timeout=30_000)
    assert trend.get_attribute("data-converted") is not None
    assert "omgerekend waar de grenzen veranderden" in trend.locator(".atlas-trend-basis").inner_text()
    # In the chart: nine open diamonds (white fill) for the converted Leefbaarometer scores of De Marken.
    diamonds = trend.locator("svg .mark-symbol path[fill='#ffffff']")
    assert diamonds.count() == 9
    # In the table: the same points marked, and the method in words.
    trend.locator("summary").click()
    converted = trend.locator("td[data-status='converted']")
    assert converted.count() == 9
    assert "4,023" in converted.last.inner_text() and "omgerekend" in converted.last.text_content()
    notes = trend.locator(".atlas-trend-notes").inner_text()
    assert "De Marken, 2002, 2008" in notes and "overlap 100%" in notes and "van 2022" in notes
    # Inhabitants: 2022 converted (84 % of 3,000 stayed), 2024 as published.
    inwoners = page.locator("figure[data-trend='inwoners']")
    inwoners.locator("summary").click()
    rows = inwoners.locator("tbody tr").all_inner_texts()
    assert rows[0].startswith("2022") and "2.530" in rows[0]
    assert rows[1].startswith("2024") and "2.995" in rows[1]
    assert not page.js_errors
    assert axe_violations(page) == []
