"""The printable agreement report: a trend chart (static SVG, so also in the WeasyPrint PDF) for each
afspraak with a series, and a status column of one short word that does not wrap into many lines."""

from __future__ import annotations

import io
import re
import shutil

import pypdf
import pytest

from gebiedsatlas.agreements import demo
from gebiedsatlas.store import db


@pytest.fixture(scope="module")
def demo_client(template_db, tmp_path_factory):
    from conftest import make_client

    path = tmp_path_factory.mktemp("rapport") / "atlas.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    with db.session_scope(url) as session:
        demo.load_demo(session)
    with make_client(url) as client:
        yield client


def test_report_has_trend_charts_and_a_short_status_column(demo_client):
    html = demo_client.get("/afspraken/1/rapport").text
    items = re.findall(r'<tbody class="pa-report__item" data-commitment="(\d+)">(.*?)</tbody>', html, re.S)
    assert len(items) == 6
    for _, item in items:
        status = re.search(r'<td class="pa-report__status">(.*?)</td>', item, re.S).group(1)
        word = re.sub(r"<[^>]+>", "", status).strip()
        assert word in ("Behaald", "Op koers", "Risico", "Achter", "Niet meetbaar", "Nog niet te beoordelen"), word
    # Afspraak 3 (fictional demo): the Leefbaarometer of Jutphaas Wijkersloot, 2002–2024, target 4,10 in 2029.
    chart = re.search(r'<figure class="pa-report__chart" data-report-chart="\d+">(.*?)</figure>', html, re.S).group(1)
    assert "<polyline" in chart and chart.count("<circle") == 9 and ">doel<" in chart
    assert "2024: 4,020" in chart and "doel 2029: 4,100" in chart  # Leefbaarometer 3.0, 2024 (3 decimals)

    pdf = pypdf.PdfReader(io.BytesIO(demo_client.get("/afspraken/1/rapport.pdf").content))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Op koers" in text and "Achter" in text  # one line each, not a word per line
    assert "doel 2029: 4,100" in " ".join(text.split())
