"""The printed profile (Chromium's print to PDF, the same CSS a person gets with Ctrl+P): A4, at most
four pages, the summary first, the data years and page numbers in every page's footer (CSS @page margin
boxes), and a location map with the names of the surrounding areas."""

from __future__ import annotations

import io
import re
import unicodedata

import pypdf
import pytest

pytestmark = pytest.mark.browser

A4_POINTS = (595, 842)


def _text(sheet) -> str:
    # NFKC: the PDF writes "fi" as one ligature glyph.
    return " ".join(unicodedata.normalize("NFKC", sheet.extract_text()).split())


def _print(page, url: str, has_map: bool = True) -> pypdf.PdfReader:
    page.goto(url)
    if has_map:
        page.locator("[data-area-map][data-ready]").wait_for(state="attached", timeout=30_000)
    return pypdf.PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))


@pytest.mark.parametrize("code,name,has_map", [
    ("WK050205", "Oostgaarde Noord", True),
    ("BU05020555", "Amerikaansebuurt", True),
    ("GM0034", "Almere", True),
    ("NL01", "Nederland", False),
])
def test_profile_prints_on_at_most_four_a4_pages(page, live_server, code, name, has_map):
    pdf = _print(page, f"{live_server.url}/gebied/{code}", has_map)
    pages = len(pdf.pages)
    assert 1 <= pages <= 4, pages
    for number, sheet in enumerate(pdf.pages, start=1):
        width, height = float(sheet.mediabox.width), float(sheet.mediabox.height)
        assert (round(width), round(height)) == A4_POINTS
        text = _text(sheet)
        assert f"Pagina {number} van {pages}" in text
        assert re.search(rf"Gebiedsprofiel {name} \({code}\) · cijfers 20\d\d(–20\d\d)?", text), text[:200]
    first = _text(pdf.pages[0])
    assert first.index("In het kort") < first.index("Overzicht")
    if code == "WK050205":
        assert "onder het" in first and "referentieniveau" in first and "3,913" in first
        assert "Veel kwetsbaarder dan gemiddeld" in first


def test_printed_location_map_names_the_surrounding_areas(page, live_server):
    page.goto(f"{live_server.url}/gebied/WK050205")
    page.locator("[data-area-map][data-ready]").wait_for(state="attached", timeout=30_000)
    labels = page.locator(".atlas-map-label")
    assert labels.count() == 9  # the 9 wijken of Capelle aan den IJssel
    assert page.locator(".atlas-map-label:visible").all_inner_texts() == ["Oostgaarde Noord"]
    page.emulate_media(media="print")
    visible = page.locator(".atlas-map-label:visible").all_inner_texts()
    assert len(visible) == 9 and "Schollevaar Zuid" in visible
    assert "tussen de andere wijken van Capelle aan den IJssel" in page.locator(".atlas-map-caption").inner_text()
