"""Pages of the analyses: aandachtsgebieden, typologie, signalen and the method page.

Each page is server-rendered (tables work without JavaScript); the Leaflet map is drawn by
``static/js/analysis-map.js`` from the boundaries of ``/api/analysis/geojson`` and the colours that
the page embeds.
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.attention import attention_areas
from gebiedsatlas.analysis.availability import indicators_with_data
from gebiedsatlas.analysis.change import change_signals
from gebiedsatlas.analysis.matrix import cached, scope_codes
from gebiedsatlas.analysis.reference import NTA_SET
from gebiedsatlas.analysis.typology import typology
from gebiedsatlas.analysis.vulnerability import load_config, vulnerability
from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.config import REPO_DIR
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.indicators.values import available_periods
from gebiedsatlas.web.deps import get_session, get_settings
from gebiedsatlas.web.params import parse_year
from gebiedsatlas.web.templating import NAVIGATION, templates

router = APIRouter(include_in_schema=False)
# The analysis pages join the main navigation of the base layout, before "Bronnen en methode".
for _entry in (("/aandachtsgebieden", "Aandachtsgebieden"), ("/signalen", "Signalen")):
    if _entry not in NAVIGATION:
        _at = next((i for i, (href, _) in enumerate(NAVIGATION) if href == "/bronnen"), len(NAVIGATION))
        NAVIGATION.insert(_at, _entry)
SessionDep = Annotated[Session, Depends(get_session)]
METHODS_MD = REPO_DIR / "docs" / "methods.md"

# Vulnerability classes: upper bounds and colours (ColorBrewer RdBu, colour-blind safe).
SCORE_CLASSES = [(-0.5, "#2166ac", "minder kwetsbaar (< −0,5)"), (0.0, "#92c5de", "−0,5 tot 0"),
                 (0.5, "#fddbc7", "0 tot 0,5"), (0.75, "#f4a582", "0,5 tot 0,75"),
                 (math.inf, "#b2182b", "0,75 of hoger (aandachtsdrempel)")]
NO_DATA_COLOUR = "#d9d9d9"
# Okabe–Ito and Tableau-like categorical colours for the types.
TYPE_COLOURS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#999999",
                "#7f3c8d", "#11a579", "#3969ac", "#f2b701"]
SIGNAL_COLOURS = {"achteruit": "#b2182b", "sterker gedaald": "#b2182b", "vooruit": "#2166ac",
                  "sterker gestegen": "#2166ac", "binnen de ruis": "#f0f0f0"}


def _scopes(session: Session) -> list[tuple[str, str]]:
    index = area_index(session)
    members = index.sets[NTA_SET].members if NTA_SET in index.sets else ()
    return [(NTA_SET, "Alle New Towns")] + [(c, index.areas[c].name) for c in members]


def _pick_scope(session: Session, scope: str) -> tuple[str, str | None]:
    options = dict(_scopes(session))
    if scope in options:
        return scope, None
    return NTA_SET, f"Onbekende selectie {scope!r}: de New Towns samen worden getoond."


def _pick_level(level: str) -> tuple[Level, str | None]:
    if level in ("wijk", "buurt"):
        return Level(level), None
    return Level.WIJK, f"Onbekend niveau {level!r}: wijken worden getoond."


def _score_colour(score) -> str:
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return NO_DATA_COLOUR
    return next(colour for bound, colour, _ in SCORE_CLASSES if score < bound)


def _render(request: Request, name: str, context: dict) -> HTMLResponse:
    tile_url = get_settings(request).tile_url
    return templates.TemplateResponse(request, name, {"tile_url": tile_url, **context})


def _number_param(text: str | None, default: float, low: float, high: float, label: str,
                  messages: list[str]) -> float:
    """A number from the query string (decimal comma allowed); out of range or unreadable -> default."""
    if text is None or text.strip() == "":
        return default
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        value = math.nan
    if not low <= value <= high:
        def nl(x: float) -> str:
            return f"{x:g}".replace(".", ",")
        messages.append(f"{label}: verwacht een getal van {nl(low)} tot {nl(high)}, gevonden {text!r}; "
                        f"de standaardwaarde {nl(default)} wordt gebruikt.")
        return default
    return value


@router.get("/aandachtsgebieden", response_class=HTMLResponse)
def attention_page(request: Request, session: SessionDep, scope: str = NTA_SET, level: str = "wijk",
                   drempel: str | None = None, slechtste: str | None = None):
    """List and map of the aandachtsgebieden with their explanations; ``drempel`` (score) and
    ``slechtste`` (percentage) override the configured rule."""
    scope, scope_msg = _pick_scope(session, scope)
    lvl, level_msg = _pick_level(level)
    config = load_config()
    number_msgs: list[str] = []
    threshold = _number_param(drempel, config.threshold, -3, 3, "Drempel", number_msgs)
    worst = _number_param(slechtste, config.worst_share * 100, 0, 100, "Slechtste", number_msgs) / 100
    result = attention_areas(session, lvl, None, scope, threshold, worst)
    scores = vulnerability(session, lvl, None, scope)
    labels, colours = {}, {}
    attention_codes = {a.area_code for a in result.areas}
    for code, row in scores.table.iterrows():
        score = row["score"]
        colours[code] = _score_colour(score)
        suffix = " · aandachtsgebied" if code in attention_codes else ""
        labels[code] = (f"geen score ({row['no_score_reason'] or 'onvoldoende gegevens'})" if math.isnan(score) else
                        f"score {score:.2f}".replace(".", ",") + suffix)
    per_gemeente = []
    if scope == NTA_SET:
        for code, name in _scopes(session)[1:]:
            local = attention_areas(session, lvl, None, code, threshold, worst)
            per_gemeente.append((code, name, local.areas[:3], local.scored))
    return _render(request, "analysis_attention.html", {
        "result": result, "scopes": _scopes(session), "scope": scope, "level": lvl.value,
        "level_plural": lvl.plural, "messages": [m for m in (scope_msg, level_msg) if m] + number_msgs,
        "threshold_text": f"{threshold:g}".replace(".", ","), "worst_text": f"{worst * 100:g}".replace(".", ","),
        "per_gemeente": per_gemeente, "config": config, "classes": SCORE_CLASSES, "no_data": NO_DATA_COLOUR,
        "map_data": {"geojson": f"/api/analysis/geojson?layer=vulnerability&scope={scope}&level={lvl.value}",
                     "colours": colours, "labels": labels},
        "csv": f"/api/analysis/attention?scope={scope}&level={lvl.value}&threshold={threshold}&worst_share={worst}",
        "scores_csv": f"/api/analysis/vulnerability?scope={scope}&level={lvl.value}",
    })


@router.get("/typologie", response_class=HTMLResponse)
def typology_page(request: Request, session: SessionDep, scope: str = NTA_SET, level: str = "wijk"):
    """Map of area types with their descriptions."""
    scope, scope_msg = _pick_scope(session, scope)
    lvl, level_msg = _pick_level(level)
    result = typology(session, lvl)
    index = area_index(session)
    rows, colours, labels, counts = [], {}, {}, {}
    for code in scope_codes(index, lvl, scope, result.period):
        area_type = result.type_of(code)
        gemeente = index.gemeente_of(code)
        rows.append({"code": code, "name": index.areas[code].name,
                     "gemeente": gemeente.name if gemeente else "", "type": area_type})
        colours[code] = TYPE_COLOURS[area_type.id % len(TYPE_COLOURS)] if area_type else NO_DATA_COLOUR
        labels[code] = area_type.name if area_type else "geen type (onvoldoende gegevens)"
        if area_type:
            counts[area_type.id] = counts.get(area_type.id, 0) + 1
    rows.sort(key=lambda r: (r["type"].id if r["type"] else 99, r["name"]))
    return _render(request, "analysis_typology.html", {
        "result": result, "rows": rows, "counts": counts, "scopes": _scopes(session), "scope": scope,
        "level": lvl.value, "level_plural": lvl.plural, "colours": TYPE_COLOURS, "no_data": NO_DATA_COLOUR,
        "messages": [m for m in (scope_msg, level_msg) if m],
        "map_data": {"geojson": f"/api/analysis/geojson?layer=typology&scope={scope}&level={lvl.value}",
                     "colours": colours, "labels": labels},
        "csv": f"/api/analysis/typology?scope={scope}&level={lvl.value}",
    })


def _change_indicators(session: Session) -> list[tuple[str, str, list[int]]]:
    """Indicators with at least two periods (counts and classes left out: their change says little)."""
    def compute() -> list[tuple[str, str, list[int]]]:
        out = []
        for ind in load_catalogue().indicators.values():
            periods = available_periods(session, ind.id)
            if len(periods) >= 2 and ind.unit not in ("aantal", "klasse"):
                out.append((ind.id, ind.label, periods))
        return out
    return cached(session, ("change-indicators",), compute)


@router.get("/signalen", response_class=HTMLResponse)
def signals_page(request: Request, session: SessionDep, indicator: str = "lbm_afwijking",
                 period_from: Annotated[str | None, Query(alias="van")] = None,
                 period_to: Annotated[str | None, Query(alias="tot")] = None,
                 scope: str = NTA_SET, level: str = "wijk"):
    """Where did an indicator change more than plausible noise ("waar gaat het achteruit")."""
    messages = []
    options = _change_indicators(session)
    by_id = {i: (label, periods) for i, label, periods in options}
    if indicator not in by_id:
        messages.append(f"Voor {indicator!r} zijn geen twee meetjaren: de Leefbaarometer wordt getoond.")
        indicator = "lbm_afwijking"
    label, periods = by_id[indicator]
    try:
        start = parse_year(period_from) if period_from else periods[-2]
        end = parse_year(period_to) if period_to else periods[-1]
    except ValueError:
        start, end = periods[-2], periods[-1]
        messages.append("Jaartal niet herkend: de laatste twee meetjaren worden getoond.")
    if start not in periods or end not in periods or start >= end:
        messages.append(f"Kies twee verschillende meetjaren uit {', '.join(map(str, periods))} (van vóór tot).")
        start, end = periods[-2], periods[-1]
    scope, scope_msg = _pick_scope(session, scope)
    lvl, level_msg = _pick_level(level)
    messages += [m for m in (scope_msg, level_msg) if m]
    result = change_signals(session, indicator, start, end, lvl, scope)
    colours, labels = {}, {}
    for row in result.rows():
        colours[row["area_code"]] = SIGNAL_COLOURS.get(row["signal_label"], NO_DATA_COLOUR)
        labels[row["area_code"]] = row["signal_label"]
    ind = load_catalogue()[indicator]
    return _render(request, "analysis_signals.html", {
        "result": result, "signals": result.rows(signals_only=True), "indicator": ind, "options": options,
        "periods": periods, "start": start, "end": end, "scopes": _scopes(session), "scope": scope,
        "level": lvl.value, "level_plural": lvl.plural, "messages": messages, "no_data": NO_DATA_COLOUR,
        "map_data": {"geojson": (f"/api/analysis/geojson?layer=change&indicator={indicator}&from={start}"
                                 f"&to={end}&scope={scope}&level={lvl.value}"),
                     "colours": colours, "labels": labels},
        "csv": f"/api/analysis/change?indicator={indicator}&from={start}&to={end}&scope={scope}&level={lvl.value}",
    })


# Oriented z-score classes for the deviation map: (upper bound, colour, label for directional,
# label for neutral indicators). Dark red = much worse, dark blue = much better (ColorBrewer RdBu).
Z_CLASSES = [(-1.0, "#b2182b", "veel slechter (z < −1)", "veel lager (z < −1)"),
             (-0.5, "#f4a582", "slechter (−1 tot −0,5)", "lager (−1 tot −0,5)"),
             (0.5, "#f7f7f7", "vergelijkbaar (−0,5 tot 0,5)", "vergelijkbaar (−0,5 tot 0,5)"),
             (1.0, "#92c5de", "beter (0,5 tot 1)", "hoger (0,5 tot 1)"),
             (math.inf, "#2166ac", "veel beter (z ≥ 1)", "veel hoger (z ≥ 1)")]


@router.get("/afwijkingen", response_class=HTMLResponse)
def deviations_page(request: Request, session: SessionDep, indicator: str = "laag_inkomen",
                    referentie: str = "peers", scope: str = NTA_SET, level: str = "wijk"):
    """Map and table of every area against a reference the user picks (Nederland, the New Towns, the
    own gemeente, all areas of the level, or each area's own peers)."""
    from gebiedsatlas.analysis.reference import REFERENCE_KINDS, ReferenceKind, scope_deviations

    messages = []
    catalogue = load_catalogue()
    # Indicators without any data (police before a fetch) are not offered (issue 15).
    present = indicators_with_data(session)
    options = [(i.id, i.label) for i in catalogue.indicators.values()
               if i.unit not in ("aantal", "ha") and i.aggregation.method.value != "none" and i.id in present]
    if indicator not in dict(options):
        messages.append(f"Onbekende indicator {indicator!r}: lage inkomens worden getoond.")
        indicator = "laag_inkomen"
    if referentie not in REFERENCE_KINDS:
        messages.append(f"Onbekende referentie {referentie!r}: vergelijkbare gebieden worden gebruikt.")
        referentie = "peers"
    scope, scope_msg = _pick_scope(session, scope)
    lvl, level_msg = _pick_level(level)
    messages += [m for m in (scope_msg, level_msg) if m]
    ind = catalogue[indicator]
    frame = scope_deviations(session, indicator, referentie, lvl, scope)
    neutral = ind.direction.value == "neutral"
    colours, labels = {}, {}
    for row in frame.itertuples():
        z = row.z_score
        if z is None or (isinstance(z, float) and math.isnan(z)):
            colours[row.area_code] = NO_DATA_COLOUR
            labels[row.area_code] = "geen gegevens"
            continue
        cls = next(c for c in Z_CLASSES if z < c[0])
        colours[row.area_code] = cls[1]
        labels[row.area_code] = f"z = {z:.1f}".replace(".", ",") + f" · {row.assessment}"
    rows = frame.sort_values("z_score", na_position="last").to_dict("records")
    kinds = [(k.value, k.label(lvl)) for k in ReferenceKind]
    return _render(request, "analysis_deviations.html", {
        "indicator": ind, "options": options, "referentie": referentie, "kinds": kinds,
        "reference_label": dict(kinds)[referentie], "rows": rows, "neutral": neutral,
        "scopes": _scopes(session), "scope": scope, "level": lvl.value, "level_plural": lvl.plural,
        "messages": messages, "classes": Z_CLASSES, "no_data": NO_DATA_COLOUR,
        "map_data": {"geojson": f"/api/analysis/geojson?layer=boundaries&scope={scope}&level={lvl.value}",
                     "colours": colours, "labels": labels},
        "csv": f"/api/analysis/deviations/map?indicator={indicator}&reference={referentie}&scope={scope}"
               f"&level={lvl.value}",
    })


def method_html(path: Path = METHODS_MD) -> str:
    """docs/methods.md as HTML (CommonMark with tables); raw HTML in the file is not passed through."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    if not path.exists():  # an installation without the repository's docs/ folder
        return ('<h1 class="utrecht-heading-1">Methode</h1><p class="utrecht-paragraph">De methodebeschrijving '
                "(docs/methods.md) is niet meegeleverd bij deze installatie; de instellingen staan hieronder.</p>")
    html = md.render(path.read_text(encoding="utf-8"))

    def heading(match: re.Match) -> str:
        level, text = match.group(1), match.group(2)
        slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", re.sub(r"<[^>]+>", "", text))
                      .encode("ascii", "ignore").decode().lower()).strip("-")
        return f'<h{level} class="utrecht-heading-{level}" id="{slug}">{text}</h{level}>'

    # NL Design System classes and anchors (#typologie, #signalen-van-verandering) for the plain HTML.
    html = re.sub(r"<h([1-4])>(.*?)</h\1>", heading, html)
    html = html.replace("<p>", '<p class="utrecht-paragraph">').replace("<table>", '<table class="utrecht-table">')
    html = html.replace("<th>", '<th class="utrecht-table__header-cell" scope="col">').replace(
        "<td>", '<td class="utrecht-table__cell">')
    return html


@router.get("/methode/kwetsbaarheid", response_class=HTMLResponse)
def method_page(request: Request):
    """The method page: references, deviations, the kwetsbaarheidsscore and its inspirations."""
    return _render(request, "analysis_method.html", {"body": method_html(), "config": load_config()})



def area_analysis_context(session: Session, code: str) -> dict:
    """The area's type, its kwetsbaarheidsscore (rank, coverage, explanation) and similar areas."""
    from gebiedsatlas.analysis.peers import find_peers
    from gebiedsatlas.analysis.summary import area_summary

    index = area_index(session)
    area = index.areas.get(code)
    context: dict = {"area": area, "analysis_level": area.level.value if area else None,
                     "analysis_summary": None, "analysis_peers": [], "analysis_gemeente": None,
                     "analysis_in_nta": False}
    if area is None or area.level not in (Level.GEMEENTE, Level.WIJK, Level.BUURT):
        return context
    gemeente = index.gemeente_of(code)
    nta = index.sets[NTA_SET].members if NTA_SET in index.sets else ()
    context["analysis_gemeente"] = gemeente
    context["analysis_in_nta"] = bool(gemeente and gemeente.code in nta)
    if area.level is Level.GEMEENTE:
        return context
    try:
        context["analysis_summary"] = area_summary(session, code)
        context["analysis_peers"] = find_peers(session, code).peers  # DEFAULT_K, as in the method text
    except (KeyError, ValueError):
        pass  # too few data for this area: the section says so
    return context


@router.get("/gebied/{code}/kwetsbaarheid", response_class=HTMLResponse)
def area_analysis_page(request: Request, session: SessionDep, code: str, fragment: bool = False):
    """Type, kwetsbaarheid and similar areas of one area: a page, or (``fragment=1``) the part that
    the area profile loads into its section."""
    code = code.strip().upper()
    context = area_analysis_context(session, code)
    if context["area"] is None:
        return templates.TemplateResponse(request, "analysis_area_page.html", {**context, "not_found": code},
                                          status_code=404)
    name = "analysis_area_body.html" if fragment else "analysis_area_page.html"
    return _render(request, name, context)
