"""An in-memory index of all areas (about 18,000 rows), rebuilt when a new import lands.

Hierarchy questions (ancestors, descendants at a level, search by name) are answered from memory;
the store stays the single source of truth.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.areas.codes import NETHERLANDS_CODE, Level
from gebiedsatlas.periods import nearest_period
from gebiedsatlas.store.models import Area, AreaSet, AreaSetMember, ImportRun


@dataclass(frozen=True)
class AreaInfo:
    code: str
    level: Level
    name: str
    parent_code: str | None
    first_year: int
    last_year: int

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level.value,
            "parent_code": self.parent_code,
            "first_year": self.first_year,
            "last_year": self.last_year,
        }


@dataclass(frozen=True)
class AreaSetInfo:
    id: str
    name: str
    description: str
    kind: str
    members: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "description": self.description,
                "kind": self.kind, "members": list(self.members)}


def fold(text: str) -> str:
    """Case- and accent-insensitive form for search ('Capelle a/d IJssel' ~ 'capelle')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass
class AreaIndex:
    areas: dict[str, AreaInfo]
    sets: dict[str, AreaSetInfo]
    children: dict[str, list[str]] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)
    by_level: dict[Level, list[str]] = field(default_factory=dict)  # codes per level, sorted by name

    def __post_init__(self) -> None:
        self.names = {code: area.name for code, area in self.areas.items()}
        self.levels = {code: area.level.value for code, area in self.areas.items()}
        for area in self.areas.values():
            if area.parent_code:
                self.children.setdefault(area.parent_code, []).append(area.code)
            self.folded[area.code] = fold(area.name)
        for codes in self.children.values():
            codes.sort(key=lambda c: self.areas[c].name)
        # Sorted once: all 14,574 buurten of the country, sorted per request, cost ~20 ms.
        for code in sorted(self.areas, key=lambda c: self.areas[c].name):
            self.by_level.setdefault(self.areas[code].level, []).append(code)

    def get(self, code: str) -> AreaInfo | None:
        return self.areas.get(code)

    def ancestors(self, code: str) -> list[AreaInfo]:
        """From the direct parent up to Nederland."""
        chain = []
        parent = self.areas[code].parent_code
        while parent and parent in self.areas:
            chain.append(self.areas[parent])
            parent = self.areas[parent].parent_code
        return chain

    def towns(self, scope: str) -> list[tuple[str, str]]:
        """(code, name) of the members of an area-set scope, for maps that show one town at a time (at
        the New Towns scope the seven towns are tiny islands far apart); [] for any other scope."""
        if scope not in self.sets:
            return []
        return [(c, self.areas[c].name) for c in self.sets[scope].members if c in self.areas]

    def gemeente_of(self, code: str) -> AreaInfo | None:
        area = self.areas.get(code)
        if area is None:
            return None
        if area.level is Level.GEMEENTE:
            return area
        return next((a for a in self.ancestors(code) if a.level is Level.GEMEENTE), None)

    def descendants(self, code: str, level: Level) -> list[str]:
        """Codes of all areas at ``level`` below ``code`` (or ``code`` itself at that level)."""
        if code not in self.areas:
            return []
        if self.areas[code].level is level:
            return [code]
        found: list[str] = []
        stack = [code]
        while stack:
            current = stack.pop()
            for child in self.children.get(current, []):
                child_level = self.areas[child].level
                if child_level is level:
                    found.append(child)
                elif child_level.rank < level.rank:
                    stack.append(child)
        return sorted(found, key=lambda c: self.areas[c].name)

    def boundary_year(self, level: Level, year: int) -> int:
        """The year of the area division of ``level`` nearest to ``year`` that the store holds."""
        years = {y for a in self.areas.values() if a.level is level
                 for y in (a.first_year, a.last_year)}
        return nearest_period(years, year) or year

    def at_level(self, level: Level, *, parent: str | None = None,
                 area_set: str | None = None, year: int | None = None) -> list[str]:
        """Areas of ``level`` inside a parent area or an area set (or all of them).

        With ``year``, only the areas of the division nearest to that year (codes change between
        years: a map of 2024 shows the 2024 wijken, not also the ones abolished since 2022).
        """
        if area_set is not None:
            members = self.sets[area_set].members
            codes = [c for m in members for c in self.descendants(m, level)]
        elif parent is not None:
            codes = self.descendants(parent, level)
        else:
            codes = list(self.by_level.get(level, []))
        if year is not None:
            y = self.boundary_year(level, year)
            codes = [c for c in codes
                     if self.areas[c].first_year <= y <= self.areas[c].last_year]
        return codes

    def search(self, q: str | None = None, *, level: Level | None = None,
               parent: str | None = None, limit: int = 50) -> list[AreaInfo]:
        """By code (exact or prefix) or by name (prefix of any word first, then contains)."""
        candidates = self.areas.values()
        if level is not None:
            candidates = [a for a in candidates if a.level is level]
        if parent is not None:
            inside = set(self.at_level(level, parent=parent)) if level else {
                c for lv in Level for c in self.descendants(parent, lv) if c != parent}
            candidates = [a for a in candidates if a.code in inside]
        if not q:
            ranked = sorted(candidates, key=lambda a: (a.level.rank, a.name))
            return ranked[:limit]
        needle = fold(q.strip())
        # Ranking (issue 15): a code match first; then names that equal or start with the query,
        # coarse levels before fine ones (gemeenten, then wijken, then buurten) and exact before
        # prefix within a level; then a later word starting with it; then anywhere in the name.
        # So "Nisse" gives the gemeente Nissewaard before a buurt called "Nisse".
        scored = []
        for a in candidates:
            name = self.folded[a.code]
            code = a.code.casefold()
            if code == needle:
                key: tuple = (0, 0, 0)
            elif code.startswith(needle):
                key = (1, 0, 0)
            elif name == needle:
                key = (2, a.level.rank, 0)
            elif name.startswith(needle):
                key = (2, a.level.rank, 1)
            elif any(word.startswith(needle) for word in name.replace("-", " ").split()):
                key = (3, a.level.rank, 0)
            elif needle in name:
                key = (4, a.level.rank, 0)
            else:
                continue
            scored.append((key, a.name, a))
        scored.sort(key=lambda t: t[:2])
        return [t[2] for t in scored[:limit]]

    def netherlands(self) -> AreaInfo:
        return self.areas[NETHERLANDS_CODE]


_cache: dict[str, tuple[int | None, AreaIndex]] = {}
_lock = threading.Lock()


def area_index(session: Session) -> AreaIndex:
    """The index for this store, rebuilt only after a new import run."""
    url = str(session.get_bind().url)
    version = session.scalar(select(func.max(ImportRun.id)))
    cached = _cache.get(url)
    if cached and cached[0] == version:
        return cached[1]
    with _lock:
        areas = {
            a.code: AreaInfo(a.code, Level(a.level), a.name, a.parent_code, a.first_year,
                             a.last_year)
            for a in session.scalars(select(Area))
        }
        members: dict[str, list[str]] = {}
        for m in session.scalars(select(AreaSetMember)):
            members.setdefault(m.set_id, []).append(m.area_code)
        sets = {
            s.id: AreaSetInfo(s.id, s.name, s.description, s.kind,
                              tuple(sorted(members.get(s.id, []),
                                           key=lambda c: areas[c].name if c in areas else c)))
            for s in session.scalars(select(AreaSet))
        }
        index = AreaIndex(areas, sets)
        _cache[url] = (version, index)
        return index


def invalidate() -> None:
    """Forget cached indexes (after area sets are edited outside an import)."""
    _cache.clear()
