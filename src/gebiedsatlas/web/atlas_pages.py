"""Atlas pages: the area profile (gebiedsprofiel), the comparison of areas, and the indicator pages,
with their JSON/CSV endpoints.

- ``/gebied/{code}`` (+ ``/gebied/{code}.csv``, ``/api/profile/{code}``)
- ``/vergelijken?areas=GM0034,GM0637`` (+ ``/vergelijken.csv``, ``/api/compare``)
- ``/indicatoren`` and ``/indicator/{id}?level=&period=&scope=`` (+ ``/api/distribution/{id}``)

The pages only render what the domain modules in ``gebiedsatlas.analysis`` compute.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from gebiedsatlas.analysis.availability import available, missing_sources
from gebiedsatlas.analysis.compare import (
    COMPARE_COLUMNS,
    MAX_AREAS,
    MIN_AREAS,
    CompareError,
    compare_areas,
)
from gebiedsatlas.analysis.distribution import DistributionError, indicator_distribution, periods_by_indicator
from gebiedsatlas.analysis.opgave import OPGAVE_LEVELS, area_opgave
from gebiedsatlas.analysis.profile import PROFILE_COLUMNS, AreaProfile, build_profile, profile_references, siblings_of
from gebiedsatlas.analysis.profile_summary import profile_summary
from gebiedsatlas.analysis.wide import compare_wide, profile_wide
from gebiedsatlas.areas.codes import NETHERLANDS_CODE, Level
from gebiedsatlas.areas.geometry import geometry_years
from gebiedsatlas.areas.index import AreaIndex, area_index, fold
from gebiedsatlas.areas.sets import NEW_TOWNS_SET_ID
from gebiedsatlas.housing.summary import area_section as housing_section
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.web import atlas_charts
from gebiedsatlas.web.agreements_access import area_section_context as agreed_section_context
from gebiedsatlas.web.auth import current_principal
from gebiedsatlas.web.deps import get_session
from gebiedsatlas.web.exports import csv_response, round_rows, to_xlsx, xlsx_response
from gebiedsatlas.web.params import OptionalYear, parse_year
from gebiedsatlas.web.templating import templates

router = APIRouter()

SessionDep = Annotated[Session, Depends(get_session)]
FormatQuery = Annotated[str, Query(description="json, csv of csv-nl (Excel NL: ; en decimale komma)",
                                   pattern="^(json|csv|csv-nl)$")]
CsvFormatQuery = Annotated[str, Query(description="csv of csv-nl (Excel NL)", pattern="^(csv|csv-nl)$")]
# The pages' downloads are wide (the table on screen); ``vorm=lang`` gives the long form, which stays the
# API's default (one row per indicator × area × period).
ShapeQuery = Annotated[str, Query(description="breed (de tabel op het scherm) of lang (één rij per waarde)",
                                  pattern="^(breed|lang)$")]
MAP_LEVELS = (Level.GEMEENTE, Level.WIJK, Level.BUURT)


def _message(request: Request, title: str, text: str, status_code: int) -> HTMLResponse:
    return templates.TemplateResponse(request, "atlas_message.html", {"title": title, "text": text},
                                      status_code=status_code)


def _attribution(sources) -> str:
    return "; ".join(sorted({s.attribution for s in sources}))


# --- area profile ----------------------------------------------------------------------------------

def _profile_or_404(session: Session, code: str) -> AreaProfile:
    try:
        return build_profile(session, code.strip().upper())
    except KeyError:
        raise HTTPException(404, f"onbekend gebied {code!r}: verwacht een CBS-code zoals GM0034, "
                                 "WK003401 of BU00340101") from None


def _decimals() -> dict[str, int]:
    return {i.id: i.decimals for i in load_catalogue().indicators.values()}


def _profile_csv(profile: AreaProfile, dialect: str, shape: str = "lang") -> Response:
    if shape == "breed":
        columns, rows = profile_wide(profile)
        return csv_response(rows, columns, dialect=dialect, filename=f"gebiedsprofiel-{profile.area.code}",
                            attribution=_attribution(profile.sources))
    return csv_response(round_rows(profile.rows(), _decimals()), PROFILE_COLUMNS, dialect=dialect,
                        filename=f"gebiedsprofiel-{profile.area.code}-lang",
                        attribution=_attribution(profile.sources))


@router.get("/api/profile/{code}", tags=["api"], summary="Gebiedsprofiel: kerncijfers met vergelijking")
def api_profile(session: SessionDep, code: str, format: FormatQuery = "json"):
    """The area profile: every indicator's latest value with its gemeente, the New Towns and
    Nederland, the better/worse mark, the rank among siblings, trends and child areas."""
    profile = _profile_or_404(session, code)
    if format != "json":
        return _profile_csv(profile, format)
    return profile.as_dict()


@router.get("/api/profile/{code}/summary", tags=["api"], summary="Gebiedsprofiel: de samenvatting bovenaan")
def api_profile_summary(session: SessionDep, code: str):
    """What the profile page shows first: the Leefbaarometer score with its class and trend, the
    kwetsbaarheidsscore in words with its drivers, the type and the similar areas, and the (up to)
    three figures that differ most from the first reference (``null`` / empty where there are no data)."""
    return profile_summary(session, _profile_or_404(session, code))


def _wide_xlsx(columns: list[str], rows: list[dict], *, title: str, filename: str, attribution: str) -> Response:
    """The wide table (the same rows and columns as the wide CSV) as an Excel workbook."""
    decimals = _decimals()
    ranks = [c for c in columns if c in ("rang", "rang_van") or c.endswith(" rang")]
    body = to_xlsx(rows, columns, sheet_title=title, decimals_of=lambda row: decimals.get(row.get("indicator_id")),
                   integer_columns=ranks, attribution=attribution)
    return xlsx_response(body, filename)


@router.get("/gebied/{code}.xlsx", include_in_schema=False)
def profile_xlsx(session: SessionDep, code: str):
    """The profile's table on screen as Excel (wide: one row per indicator)."""
    profile = _profile_or_404(session, code)
    columns, rows = profile_wide(profile)
    return _wide_xlsx(columns, rows, title="Gebiedsprofiel", filename=f"gebiedsprofiel-{profile.area.code}",
                      attribution=_attribution(profile.sources))


@router.get("/gebied/{code}.csv", include_in_schema=False)
def profile_csv(session: SessionDep, code: str, format: CsvFormatQuery = "csv", vorm: ShapeQuery = "breed"):
    return _profile_csv(_profile_or_404(session, code), format, vorm)


def _map_query(profile: AreaProfile) -> str | None:
    """The /api/geojson query that draws the area among its siblings (None: no boundary known)."""
    area = profile.area
    if area.level in (Level.LAND, Level.PROVINCIE):
        return "level=provincie"
    if not area.parent_code:
        return f"level={area.level.value}&period={area.last_year}"
    return f"level={area.level.value}&parent={area.parent_code}&period={area.last_year}"


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string, safe inside a <style> element (whose content HTML does not
    unescape): quotes, backslashes and '<' become CSS escapes, line breaks spaces."""
    escaped = (text.replace("\\", "\\5c ").replace('"', "\\22 ").replace("<", "\\3c ")
               .replace("\n", " ").replace("\r", " "))
    return Markup(f'"{escaped}"')


def _data_date(profile: AreaProfile) -> str:
    """The years of the figures shown, for the print footer ("cijfers 2022–2024")."""
    periods = sorted({f.current.period for f in profile.figures if f.current is not None and f.current.has_value})
    if not periods:
        return "geen cijfers"
    return f"cijfers {periods[0]}" if periods[0] == periods[-1] else f"cijfers {periods[0]}–{periods[-1]}"


# ``?vergelijk=vergelijkbaar`` on a profile adds the area's structural peers as a reference.
PEERS_CHOICE = "vergelijkbaar"


@router.get("/gebied/{code}", response_class=HTMLResponse, include_in_schema=False)
def profile_page(request: Request, session: SessionDep, code: str, vergelijk: str | None = None):
    """The gebiedsprofiel of any area (``?vergelijk=vergelijkbaar`` adds its similar areas)."""
    try:
        profile = build_profile(session, code.strip().upper(), references=profile_references(
            session, code.strip().upper(), with_peers=vergelijk == PEERS_CHOICE))
    except KeyError:
        return _message(request, "Gebied niet gevonden",
                        f"Er is geen gebied met de code {code!r}. Zoek een gemeente, wijk of buurt op de "
                        "startpagina of vul een CBS-code in zoals GM0034, WK003401 of BU00340101.", 404)
    index = area_index(session)
    area = profile.area
    siblings = [index.areas[c] for c in siblings_of(index, area.code)]
    has_geometry = area.level is not Level.LAND and bool(geometry_years(session, area.code))
    basis_year = profile.trend_basis.boundary_year if profile.trend_basis else None
    charts = {f.indicator.id: atlas_charts.trend_spec(f, basis_year) for f in profile.figures if f.trend}
    gemeente = index.gemeente_of(area.code)
    summary = profile_summary(session, profile)
    lbm = summary["leefbaarometer"]
    if area.level in (Level.GEMEENTE, Level.WIJK, Level.BUURT) and gemeente is not None:
        map_params = {"level": "wijk" if area.level is Level.GEMEENTE else area.level.value, "scope": gemeente.code}
    else:
        map_params = {"level": "gemeente", "scope": NETHERLANDS_CODE}
    # The layers of the opgavekaart for this area (gemeente, wijk, buurt); the page shows each with year and source.
    opgave_layers, opgave_values = (area_opgave(session, area.code)
                                    if area.level in (Level.GEMEENTE, *OPGAVE_LEVELS) else ([], {}))
    return templates.TemplateResponse(request, "profile.html", {
        "profile": profile,
        "opgave_layers": opgave_layers,
        "opgave_values": opgave_values,
        "area": area,
        "summary": summary,
        "lbm_sparkline": atlas_charts.sparkline(lbm["trend"]) if lbm else None,
        "data_date": _data_date(profile),
        "print_footer_css": css_string(f"Gebiedsprofiel {area.name} ({area.code}) · {_data_date(profile)} · "
                                       "Gebiedsatlas New Town Alliantie"),
        "inw": next((f for f in profile.figures if f.indicator.id == "inwoners"), None),
        "siblings": siblings,
        "parent": index.areas.get(area.parent_code) if area.parent_code else None,
        "map_query": _map_query(profile) if has_geometry else None,
        "map_params": "&".join(f"{k}={v}" for k, v in map_params.items()),
        "tile_url": request.app.state.settings.tile_url,
        "charts": charts,
        "attribution": _attribution(profile.sources),
        "latest_year": max((a.last_year for a in siblings), default=area.last_year),
        # "wat is hier afgesproken": only the agreements this person may see
        **agreed_section_context(session, area.code, current_principal(request)),
        # the woonprogramma of the area (projects, CBS new construction): housing/summary.py
        **housing_section(session, area.code),
        # Type and kwetsbaarheid: the section loads its content from /gebied/{code}/kwetsbaarheid after the
        # page has rendered (the typology and the scores take seconds the first time after an import).
        "analysis_code": area.code, "analysis_level": area.level.value,
    })


# --- compare ---------------------------------------------------------------------------------------

# Names an area set is also known by (typed in the compare form): "New Towns" is what people say.
SET_ALIASES = {NEW_TOWNS_SET_ID: ("new towns", "new town alliantie", "nta", "de new towns")}
_CODE_IN_NAME = re.compile(r"\(([A-Za-z]{2}\d{2,8}|[a-z_]+)\)\s*$")


def _set_by_name(index: AreaIndex, token: str) -> str | None:
    folded = fold(token)
    for set_id, area_set in index.sets.items():
        if folded in (fold(set_id), fold(area_set.name), *SET_ALIASES.get(set_id, ())):
            return set_id
    return None


def resolve_areas(index: AreaIndex, text: str | None) -> tuple[list[str], list[str]]:
    """Codes from a comma-separated list of codes, area-set ids or names (first search hit).

    Names may carry their code in brackets ("Oost (WK020201)"), as the form shows a name that more
    areas share; area sets are also found by name ("New Towns", "New Town Alliantie").
    Returns (codes, tokens that matched nothing).
    """
    codes, unknown = [], []
    for token in (t.strip() for t in (text or "").split(",")):
        if not token:
            continue
        bracket = _CODE_IN_NAME.search(token)
        if bracket and (bracket[1].upper() in index.areas or bracket[1] in index.sets):
            token = bracket[1]
        if token.upper() in index.areas:
            codes.append(token.upper())
        elif token in index.sets:
            codes.append(token)
        elif (set_id := _set_by_name(index, token)) is not None:
            codes.append(set_id)
        else:
            hits = index.search(token, limit=1)
            if hits:
                codes.append(hits[0].code)
            else:
                unknown.append(token)
    return list(dict.fromkeys(codes)), unknown


def names_text(index: AreaIndex, codes: list[str]) -> str:
    """The chosen areas as the form shows them again: names, with the code only where the name alone
    would find another area (so submitting the form again gives the same comparison)."""
    parts = []
    for code in codes:
        name = index.sets[code].name if code in index.sets else index.areas[code].name
        again, _ = resolve_areas(index, name)
        parts.append(name if again == [code] else f"{name} ({code})")
    return ", ".join(parts)


def _labels(comparison) -> list[str]:
    """Area names, with the code added where two areas share a name."""
    names = [a.name for a in comparison.areas]
    return [f"{a.name} ({a.code})" if names.count(a.name) > 1 else a.name for a in comparison.areas]


def _comparison_or_400(session: Session, areas: str):
    codes, unknown = resolve_areas(area_index(session), areas)
    if unknown:
        raise HTTPException(404, f"areas: onbekend gebied {', '.join(unknown)}")
    try:
        return compare_areas(session, codes)
    except CompareError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/api/compare", tags=["api"], summary="Twee tot zes gebieden naast elkaar")
def api_compare(session: SessionDep,
                areas: Annotated[str, Query(description="2 tot 6 gebiedscodes (of nta, NL01), komma-gescheiden")],
                format: FormatQuery = "json"):
    comparison = _comparison_or_400(session, areas)
    if format != "json":
        return _compare_csv(comparison, format)
    return comparison.as_dict()


def _compare_csv(comparison, dialect: str, shape: str = "lang") -> Response:
    sources = [r.source for r in comparison.rows_flat if r.source]
    filename = "vergelijking-" + "-".join(a.code for a in comparison.areas)
    if shape == "breed":
        columns, rows = compare_wide(comparison, _labels(comparison))
        return csv_response(rows, columns, dialect=dialect, filename=filename, attribution=_attribution(sources))
    return csv_response(round_rows(comparison.rows(), _decimals()), COMPARE_COLUMNS, dialect=dialect,
                        filename=filename + "-lang", attribution=_attribution(sources))


@router.get("/vergelijken.csv", include_in_schema=False)
def compare_csv(session: SessionDep, areas: str, format: CsvFormatQuery = "csv", vorm: ShapeQuery = "breed"):
    return _compare_csv(_comparison_or_400(session, areas), format, vorm)


@router.get("/vergelijken.xlsx", include_in_schema=False)
def compare_xlsx(session: SessionDep, areas: str):
    """The compare page's table as Excel (wide: one row per indicator, per area value/status/rank)."""
    comparison = _comparison_or_400(session, areas)
    sources = [r.source for r in comparison.rows_flat if r.source]
    columns, rows = compare_wide(comparison, _labels(comparison))
    return _wide_xlsx(columns, rows, title="Vergelijking",
                      filename="vergelijking-" + "-".join(a.code for a in comparison.areas),
                      attribution=_attribution(sources))


@router.get("/vergelijken", response_class=HTMLResponse, include_in_schema=False)
def compare_page(request: Request, session: SessionDep, areas: str | None = None):
    """Two to six areas side by side; the form accepts codes or names."""
    index = area_index(session)
    codes, unknown = resolve_areas(index, areas)
    comparison, error = None, None
    if unknown:
        error = (f"Niet gevonden: {', '.join(unknown)}. Gebruik een naam of code van een gemeente, wijk "
                 "of buurt, of nta (New Towns samen) of NL01 (Nederland).")
    elif areas is not None:
        try:
            # Indicators without any data (police before a fetch) are left out and named once below.
            comparison = compare_areas(session, codes, indicator_ids=[i.id for i in available(session)])
        except CompareError:
            error = f"Kies {MIN_AREAS} tot {MAX_AREAS} verschillende gebieden; nu gekozen: {len(codes)}."
    labels = _labels(comparison) if comparison else []
    charts = {}
    if comparison:
        charts = {theme_id: atlas_charts.compare_spec(comparison, rows, labels)
                  for theme_id, _, rows in comparison.themes}
    chosen = [(c, index.sets[c].name if c in index.sets else index.areas[c].name) for c in codes]
    return templates.TemplateResponse(request, "compare.html", {
        "comparison": comparison,
        "labels": labels,
        "charts": charts,
        "error": error,
        "areas_text": names_text(index, codes) if codes and not unknown else (areas or ""),
        "chosen": chosen,
        "codes_param": ",".join(codes),
        "min_areas": MIN_AREAS,
        "max_areas": MAX_AREAS,
        "examples": [
            ("Almere, Zoetermeer en de New Towns samen", "GM0034,GM0637,nta"),
            ("Helmond, Nissewaard en Nederland", "GM0794,GM1930,NL01"),
            ("Centrum Almere Haven en Almere", "WK003401,GM0034"),
        ],
        "attribution": _attribution([r.source for r in comparison.rows_flat if r.source]) if comparison else None,
        "missing": missing_sources(session) if comparison else [],
    }, status_code=400 if error and areas is not None else 200)


# --- indicators ------------------------------------------------------------------------------------

@router.get("/indicatoren", response_class=HTMLResponse, include_in_schema=False)
def indicators_page(request: Request, session: SessionDep):
    """The catalogue by theme."""
    catalogue = load_catalogue()
    found = periods_by_indicator(session)
    periods = {i: found.get(i, []) for i in catalogue.indicators}
    return templates.TemplateResponse(request, "indicators.html", {
        "catalogue": catalogue, "themes": catalogue.by_theme(), "periods": periods,
    })


def _scope(index: AreaIndex, scope: str | None) -> tuple[str | None, str | None, str]:
    """(parent, area_set, label) for a scope parameter: nl, an area-set id or an area code."""
    if not scope or scope.upper() in ("NL", NETHERLANDS_CODE):
        return None, None, "Nederland"
    if scope in index.sets:
        return None, scope, index.sets[scope].name
    if scope.upper() in index.areas:
        return scope.upper(), None, index.areas[scope.upper()].name
    raise DistributionError(f"scope: onbekend gebied of gebiedsset {scope!r}; verwacht NL01, nta of een gemeentecode")


def _level_param(level: str | None) -> Level:
    try:
        lvl = Level(level or "gemeente")
    except ValueError:
        raise DistributionError(f"level: verwacht gemeente, wijk of buurt, gevonden {level!r}") from None
    if lvl not in MAP_LEVELS:
        raise DistributionError(f"level: verwacht gemeente, wijk of buurt, gevonden {level!r}")
    return lvl


def _distribution(session: Session, indicator_id: str, level: str | None, period: int | None,
                  scope: str | None):
    """The distribution, defaulting to the New Towns when the indicator barely covers the country."""
    index = area_index(session)
    lvl = _level_param(level)
    parent, area_set, label = _scope(index, scope)
    dist = indicator_distribution(session, indicator_id, lvl, period=period, parent=parent, area_set=area_set)
    note = None
    if scope is None and dist.count < dist.without_value and NEW_TOWNS_SET_ID in index.sets:
        # E.g. the Leefbaarometer is bundled for the New Towns only: show where the data is.
        nta = indicator_distribution(session, indicator_id, lvl, period=period, area_set=NEW_TOWNS_SET_ID)
        if nta.count:
            note = (f"Voor de meeste {lvl.plural} van Nederland zijn er geen gegevens; getoond worden de "
                    f"{lvl.plural} van de New Towns.")
            dist, label, scope = nta, index.sets[NEW_TOWNS_SET_ID].name, NEW_TOWNS_SET_ID
    return dist, lvl, label, scope or NETHERLANDS_CODE, note


@router.get("/api/distribution/{indicator_id}", tags=["api"],
            summary="Verdeling van een indicator over alle gebieden van een niveau")
def api_distribution(session: SessionDep, indicator_id: str,
                     level: Annotated[str, Query(description="gemeente, wijk of buurt")] = "gemeente",
                     period: OptionalYear = None,
                     scope: Annotated[str | None, Query(description="NL01, nta of een gemeentecode")] = None,
                     format: FormatQuery = "json"):
    if indicator_id not in load_catalogue():
        raise HTTPException(404, f"onbekende indicator {indicator_id!r}")
    try:
        dist, lvl, label, scope, _ = _distribution(session, indicator_id, level, period, scope)
    except DistributionError as exc:
        raise HTTPException(400, str(exc)) from None
    if format != "json":
        catalogue = load_catalogue()
        rows = [{"gebied_code": v.code, "gebied_naam": v.name, "niveau": lvl.value, "indicator_id": indicator_id,
                 "periode": dist.period, "waarde": v.value, "rang": i + 1} for i, v in enumerate(dist.values)]
        sources = [catalogue.sources[s] for s in dist.source_ids if s in catalogue.sources]
        return csv_response(rows, ["gebied_code", "gebied_naam", "niveau", "indicator_id", "periode", "waarde",
                                   "rang"], dialect=format, filename=f"verdeling-{indicator_id}-{lvl.value}",
                            attribution=_attribution(sources))
    return {**dist.as_dict(), "scope": scope, "scope_label": label}


@router.get("/indicator/{indicator_id}", response_class=HTMLResponse, include_in_schema=False)
def indicator_page(request: Request, session: SessionDep, indicator_id: str, level: str | None = None,
                   period: str | None = None, scope: str | None = None):
    """Definition, source, distribution (histogram), top and bottom lists, links to the map."""
    catalogue = load_catalogue()
    if indicator_id not in catalogue:
        return _message(request, "Indicator niet gevonden",
                        f"Er is geen indicator {indicator_id!r}. Zie de lijst van indicatoren.", 404)
    ind = catalogue[indicator_id]
    index = area_index(session)
    error = None
    try:
        period_int = parse_year(period) if period else None
    except ValueError:
        period_int, error = None, f"period: verwacht een jaartal van 1900 tot en met 2100, gevonden {period[:100]!r}"
    dist = lvl = None
    scope_label, note = "Nederland", None
    if error is None:
        try:
            dist, lvl, scope_label, scope, note = _distribution(session, indicator_id, level, period_int, scope)
        except DistributionError as exc:
            error = str(exc)
    chart = atlas_charts.histogram_spec(dist, lvl.plural) if dist and dist.bins else None
    sources = [catalogue.sources[c.source] for c in ind.columns if c.source in catalogue.sources]
    if dist:
        sources += [catalogue.sources[s] for s in dist.source_ids
                    if s in catalogue.sources and catalogue.sources[s] not in sources]
    scopes = [(NETHERLANDS_CODE, "Nederland")]
    if NEW_TOWNS_SET_ID in index.sets:
        scopes.append((NEW_TOWNS_SET_ID, index.sets[NEW_TOWNS_SET_ID].name))
        scopes += [(c, index.areas[c].name) for c in index.sets[NEW_TOWNS_SET_ID].members if c in index.areas]
    return templates.TemplateResponse(request, "indicator.html", {
        "ind": ind,
        "theme_label": catalogue.themes.get(ind.theme, ind.theme),
        "dist": dist,
        "level": lvl,
        "levels": MAP_LEVELS,
        "scope": scope or NETHERLANDS_CODE,
        "scope_label": scope_label,
        "scopes": scopes,
        "note": note,
        "error": error,
        "chart": chart,
        "stats": dist.stats() if dist else None,
        "sources": sources,
        "attribution": _attribution(sources),
        "index": index,
    }, status_code=400 if error else 200)

