"""Vega-Lite specifications for the charts of the profile, compare and indicator pages.

The specs are plain dicts rendered into the page as JSON and drawn by the vendored vega-embed
(``static/js/atlas-pages.js``, ``{actions: false}``, Dutch number locale). Every chart on a page
also has a table with the same numbers, so the charts never carry information on their own.
"""

from __future__ import annotations

from collections.abc import Sequence

from gebiedsatlas.analysis.compare import Comparison, not_a_count
from gebiedsatlas.analysis.distribution import Distribution
from gebiedsatlas.analysis.profile import Figure
from gebiedsatlas.indicators.catalogue import IndicatorDef

# Colour-blind-safe (Okabe-Ito based, darkened for 3:1 contrast on white) and also told apart by
# dash pattern, so no series depends on colour alone.
SERIES_COLOURS = {"area": "#154273", "gemeente": "#b34700", "nta": "#00704f", "nl": "#5c5c5c"}
EXTRA_COLOURS = ["#8a3ffc", "#a2191f", "#005d5d", "#6f4e00"]
SERIES_DASHES = {"area": [1, 0], "gemeente": [6, 3], "nta": [2, 2], "nl": [8, 3, 2, 3]}
BAR_COLOUR = "#154273"


def number_format(ind: IndicatorDef) -> str:
    """A d3 format for the indicator's decimals (the page passes the Dutch locale)."""
    return f",.{ind.decimals}f"


def axis_title(ind: IndicatorDef) -> str:
    return ind.label if ind.unit in ("aantal", "score") else f"{ind.label} ({ind.unit})"


CONVERTED = "omgerekend"
PUBLISHED = "gepubliceerd of afgeleid"


def trend_spec(figure: Figure, boundary_year: int | None = None) -> dict:
    """A line chart of the area and its references over all periods of the area.

    All points are on one boundary year (``boundary_year``, the profile's ``TrendBasis``). Converted
    points ("omgerekend") are open diamonds instead of filled dots, with the method in the tooltip and
    a legend entry; the table next to the chart says the same in words.
    """
    ind = figure.indicator
    values, domain, colours, dashes = [], [], [], []
    for i, series in enumerate(figure.trend):
        domain.append(series.label)
        colours.append(SERIES_COLOURS.get(series.key, EXTRA_COLOURS[i % len(EXTRA_COLOURS)]))
        dashes.append(SERIES_DASHES.get(series.key, [4, 4]))
        values += [{"periode": p.period, "reeks": series.label, "waarde": p.value,
                    "soort": CONVERTED if p.converted else PUBLISHED,
                    "toelichting": p.method if p.converted and p.method else p.status_label}
                   for p in series.points if p.has_value]
    periods = sorted({v["periode"] for v in values})
    converted = any(v["soort"] == CONVERTED for v in values)
    fmt = number_format(ind)
    colour = {"field": "reeks", "type": "nominal", "title": None, "scale": {"domain": domain, "range": colours}}
    basis = f" Alle punten op de gebiedsindeling van {boundary_year}." if boundary_year else ""
    layers = [
        {"mark": {"type": "line", "strokeWidth": 2.5},
         "encoding": {
             "color": {**colour, "legend": {"orient": "bottom", "columns": 2, "symbolType": "stroke",
                                            "symbolStrokeWidth": 2.5, "symbolSize": 300, "labelLimit": 200}},
             "strokeDash": {"field": "reeks", "type": "nominal", "title": None,
                            "scale": {"domain": domain, "range": dashes}}}},
        {"transform": [{"filter": f"datum.soort !== '{CONVERTED}'"}],
         "mark": {"type": "point", "filled": True, "size": 45, "opacity": 1},
         "encoding": {"color": colour}},
    ]
    if converted:
        # Open diamonds: told apart by shape and fill, not by colour. The key is the line under the chart
        # ("◇ omgerekend"): a Vega legend cannot draw an open symbol for a colour-coded mark.
        layers.append({
            "transform": [{"filter": f"datum.soort === '{CONVERTED}'"}],
            "mark": {"type": "point", "shape": "diamond", "filled": False, "fill": "#ffffff", "fillOpacity": 1,
                     "size": 110, "strokeWidth": 2, "opacity": 1},
            "encoding": {"color": colour},
        })
    return {
        "description": f"Lijngrafiek: {ind.label} per jaar, {', '.join(domain)}.{basis}"
                       + (" Open ruiten zijn omgerekende waarden." if converted else "")
                       + " De tabel eronder bevat dezelfde cijfers.",
        "width": "container",
        "height": 190,
        "data": {"values": values},
        "encoding": {
            "x": {"field": "periode", "type": "quantitative", "title": "Jaar",
                  "scale": {"domain": [periods[0], periods[-1]] if periods else None, "nice": False},
                  "axis": {"format": "d", "values": periods, "labelAngle": 0, "grid": False,
                           "labelOverlap": "greedy"}},
            # The caption names the indicator; the axis gives the unit.
            "y": {"field": "waarde", "type": "quantitative", "title": ind.label if ind.unit == "aantal" else ind.unit,
                  "scale": {"zero": False}, "axis": {"format": fmt, "tickCount": 5}},
            "tooltip": [
                {"field": "reeks", "title": "Gebied"},
                {"field": "periode", "title": "Jaar", "format": "d"},
                {"field": "waarde", "title": ind.label, "format": fmt},
                {"field": "toelichting", "title": "Status"},
            ],
        },
        "layer": layers,
        "config": _config(),
    }


def histogram_spec(dist: Distribution, level_plural: str) -> dict:
    """Bars over precomputed bins (the same bins as the table next to it)."""
    ind = dist.indicator
    fmt = number_format(ind) if ind.decimals else ",d"
    step = (dist.bins[0].upper - dist.bins[0].lower) if dist.bins else 1
    values = [{"van": b.lower, "tot": b.upper, "aantal": b.count} for b in dist.bins]
    return {
        "description": f"Histogram: verdeling van {ind.label} over {dist.count} {level_plural} in {dist.period}. "
                       "De tabel ernaast bevat dezelfde aantallen.",
        "width": "container",
        "height": 240,
        "data": {"values": values},
        "mark": {"type": "bar", "color": BAR_COLOUR, "stroke": "#ffffff", "strokeWidth": 0.5},
        "encoding": {
            "x": {"field": "van", "type": "quantitative", "bin": {"binned": True, "step": step},
                  "title": axis_title(ind), "axis": {"format": fmt}},
            "x2": {"field": "tot"},
            "y": {"field": "aantal", "type": "quantitative", "title": f"Aantal {level_plural}",
                  "axis": {"format": ",d", "tickMinStep": 1}},
            "tooltip": [
                {"field": "van", "title": "Van", "format": fmt},
                {"field": "tot", "title": "Tot", "format": fmt},
                {"field": "aantal", "title": "Aantal", "format": ",d"},
            ],
        },
        "config": _config(),
    }


def compare_spec(comparison: Comparison, theme_rows: Sequence, labels: Sequence[str]) -> dict | None:
    """One small horizontal bar chart per indicator of a theme, stacked vertically.

    Indicators without any number for the chosen areas get no chart (the table says "geen gegevens"
    for them); a theme without any number gets none at all (None). Counts (inhabitants, dwellings)
    get no bars: next to Nederland (17.9 million) a town's bar would be invisible, so only shares,
    rates, averages and scores are drawn; the table keeps the counts.
    """
    charts = []
    for row in theme_rows:
        ind = row.indicator
        if not chartable(ind):
            continue
        fmt = number_format(ind)
        values = [{"gebied": label, "waarde": v.value}
                  for label, v in zip(labels, row.values, strict=True) if v is not None and v.has_value]
        if not values:  # an empty chart would be an unlabelled graphic for screen readers
            continue
        title = f"{ind.label}{'' if ind.unit == 'aantal' else f' ({ind.unit})'}, {row.period}"
        charts.append({
            "title": {"text": title, "anchor": "start", "fontSize": 13},
            # "container" is not allowed inside vconcat; compare-charts.js fits this to the page width.
            "width": 460,
            "height": {"step": 22},
            "data": {"values": values},
            "mark": {"type": "bar", "color": BAR_COLOUR},
            "encoding": {
                "y": {"field": "gebied", "type": "nominal", "title": None, "sort": None,
                      "scale": {"domain": list(labels)}, "axis": {"labelLimit": 150}},
                # Few ticks, and labels that would touch are dropped: "226.500" next to "17.942.942"
                # ran together.
                "x": {"field": "waarde", "type": "quantitative", "title": None,
                      "axis": {"format": fmt, "tickCount": 3, "labelOverlap": True, "labelFlush": True}},
                "tooltip": [{"field": "gebied", "title": "Gebied"},
                            {"field": "waarde", "title": ind.label, "format": fmt}],
            },
        })
    if not charts:
        return None
    return {
        "description": "Staafdiagrammen per indicator voor " + ", ".join(labels)
                       + ". De tabel erboven bevat dezelfde cijfers.",
        "vconcat": charts,
        "spacing": 18,
        "config": _config(),
    }


def chartable(ind: IndicatorDef) -> bool:
    """Whether bars of this indicator can be compared across areas of very different size."""
    return not_a_count(ind) and ind.unit != "aantal"


def _config() -> dict:
    return {"font": "Noto Sans, Arial, sans-serif", "view": {"stroke": None},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": "#222", "titleColor": "#222"},
            "legend": {"labelFontSize": 12, "labelColor": "#222"}}


def sparkline(points: Sequence[dict], width: int = 160, height: int = 40, pad: int = 4) -> dict | None:
    """Coordinates of a small static trend line (inline SVG in the page, no script needed).

    ``points``: ``[{"period", "value"}, ...]`` in period order. Returns the polyline's points, the
    first and last dot, and the view box; None with fewer than two values. The vertical axis spans
    the series' own range, so the line shows the direction, not the size, of the change (the
    numbers are written next to it).
    """
    values = [(p["period"], p["value"]) for p in points if p.get("value") is not None]
    if len(values) < 2:
        return None
    periods = [p for p, _ in values]
    numbers = [v for _, v in values]
    x0, x1 = min(periods), max(periods)
    y0, y1 = min(numbers), max(numbers)
    span_x = (x1 - x0) or 1
    span_y = (y1 - y0) or 1

    def xy(period: int, value: float) -> tuple[float, float]:
        x = pad + (period - x0) / span_x * (width - 2 * pad)
        y = height - pad - (value - y0) / span_y * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    coords = [xy(p, v) for p, v in values]
    return {"points": " ".join(f"{x},{y}" for x, y in coords), "first": coords[0], "last": coords[-1],
            "width": width, "height": height}


def small_line_chart(points: Sequence[dict], target: dict | None = None, width: int = 320, height: int = 110,
                     decimals: int = 0) -> dict | None:
    """A small static line chart (inline SVG, for pages printed without JavaScript, e.g. by WeasyPrint).

    ``points``: ``[{"year", "value"}]`` (values None are skipped); ``target``: ``{"year", "value"}`` or
    None. Returns the polyline, dots, the target mark and the axis labels (Dutch numbers) in a
    ``width`` × ``height`` box; None without at least one value.
    """
    from gebiedsatlas.web.formatting import format_number

    values = [(int(p["year"]), float(p["value"])) for p in points if p.get("value") is not None]
    if not values:
        return None
    marks = list(values)
    if target and target.get("value") is not None and target.get("year") is not None:
        marks.append((int(target["year"]), float(target["value"])))
    left, right, top, bottom = 46, 10, 8, 22
    x0, x1 = min(y for y, _ in marks), max(y for y, _ in marks)
    y0, y1 = min(v for _, v in marks), max(v for _, v in marks)
    if y0 == y1:
        y0, y1 = y0 - 1, y1 + 1
    pad = (y1 - y0) * 0.1
    y0, y1 = y0 - pad, y1 + pad

    def xy(year: int, value: float) -> tuple[float, float]:
        x = left + ((year - x0) / ((x1 - x0) or 1)) * (width - left - right) if x1 != x0 else (left + width - right) / 2
        y = top + (y1 - value) / (y1 - y0) * (height - top - bottom)
        return round(x, 1), round(y, 1)

    dots = [xy(y, v) for y, v in values]
    x_labels = [(xy(x0, y0)[0], str(x0))]
    if x1 != x0:
        x_labels.append((xy(x1, y0)[0], str(x1)))
    chart = {
        "width": width, "height": height, "decimals": decimals, "dots": dots, "target": None,
        "points": " ".join(f"{x},{y}" for x, y in dots),
        "axis": {"x_left": left, "x_right": width - right, "y_top": top, "y_bottom": height - bottom},
        "y_labels": [(round(top + 4), format_number(y1, decimals)),
                     (height - bottom, format_number(y0, decimals))],
        "x_labels": x_labels,
    }
    if len(marks) > len(values):
        chart["target"] = xy(*marks[-1])
    return chart
