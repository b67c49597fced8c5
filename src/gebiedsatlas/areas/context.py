"""The light reference layer under and over the maps: gemeente outlines and place names.

Built from the bundled boundaries only (no tile server, no external request): the gemeenten around
the areas a map shows, each with a point to put its name on (inside the outline, also for odd
shapes). The bundled boundaries carry no separate water areas, so there is no water layer; an
optional tile basemap stays a setting (``GEBIEDSATLAS_TILE_URL``, off by default).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.geometry import geometry_text
from gebiedsatlas.areas.index import AreaIndex
from gebiedsatlas.store.models import AreaGeometry

PAD = 0.35  # share of the focus box's size added on each side: enough to see the neighbours


def _boxes(session: Session, codes: Iterable[str]) -> dict[str, tuple[float, float, float, float]]:
    """The latest bounding box per area code."""
    wanted = list(codes)
    out: dict[str, tuple[int, tuple[float, float, float, float]]] = {}
    for chunk in (wanted[i:i + 500] for i in range(0, len(wanted), 500)):
        rows = session.execute(select(AreaGeometry.area_code, AreaGeometry.boundary_year, AreaGeometry.min_lon,
                                      AreaGeometry.min_lat, AreaGeometry.max_lon, AreaGeometry.max_lat)
                               .where(AreaGeometry.area_code.in_(chunk)))
        for code, year, *box in rows:
            if code not in out or year > out[code][0]:
                out[code] = (year, tuple(box))
    return {code: box for code, (_, box) in out.items()}


def reference_layer(session: Session, index: AreaIndex, focus: Iterable[str] | None) -> str:
    """GeoJSON of the gemeenten around ``focus`` (gemeente codes; None: all of Nederland).

    Each feature has ``code``, ``name``, ``focus`` (one of the gemeenten the map is about) and
    ``label`` ([lon, lat], a point inside the outline for the place name).
    """
    gemeenten = index.at_level(Level.GEMEENTE)
    boxes = _boxes(session, gemeenten)
    focus_set = set(focus) if focus is not None else set(gemeenten)
    chosen = [c for c in gemeenten if c in boxes]
    if focus is not None:
        inner = [boxes[c] for c in focus_set if c in boxes]
        if inner:
            x0, y0 = min(b[0] for b in inner), min(b[1] for b in inner)
            x1, y1 = max(b[2] for b in inner), max(b[3] for b in inner)
            dx, dy = (x1 - x0) * PAD + 0.05, (y1 - y0) * PAD + 0.05
            x0, y0, x1, y1 = x0 - dx, y0 - dy, x1 + dx, y1 + dy
            chosen = [c for c in chosen
                      if boxes[c][0] <= x1 and boxes[c][2] >= x0 and boxes[c][1] <= y1 and boxes[c][3] >= y0]
    parts = []
    for code in chosen:
        text = geometry_text(session, code)
        if text is None:
            continue
        point = shape(json.loads(text)).representative_point()
        props = {"code": code, "name": index.areas[code].name, "focus": code in focus_set,
                 "label": [round(point.x, 5), round(point.y, 5)]}
        parts.append('{"type":"Feature","id":' + json.dumps(code) + ',"properties":'
                     + json.dumps(props, ensure_ascii=False, separators=(",", ":")) + ',"geometry":' + text + "}")
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


def focus_gemeenten(index: AreaIndex, scope: str | None) -> list[str] | None:
    """The gemeenten a map scope is about: an area set's members, a gemeente (of a wijk or buurt), or
    None for Nederland."""
    if not scope or scope.upper() in ("NL", "NL01"):
        return None
    if scope in index.sets:
        return [c for m in index.sets[scope].members for c in index.descendants(m, Level.GEMEENTE)]
    gemeente = index.gemeente_of(scope.upper())
    return [gemeente.code] if gemeente else None
