"""Targets as versioned data with their source.

The national defaults ship as data (``data/housing/national_targets.yaml``). Reading merges them with the
database: a default counts until someone saves a version of it (then the newest saved version counts).
Saving never overwrites: it adds a version and moves ``is_current`` to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gebiedsatlas.accounts import audit
from gebiedsatlas.accounts.audit import Actor
from gebiedsatlas.config import REPO_DIR
from gebiedsatlas.errors import InputError
from gebiedsatlas.housing.vocab import SCOPE_KINDS, TARGET_KINDS, TARGET_SEGMENTS, TARGET_SOURCES
from gebiedsatlas.store.housing import HousingTarget

DEFAULTS_PATH = REPO_DIR / "data" / "housing" / "national_targets.yaml"
KEY_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


@dataclass
class Target:
    """A target as the domain uses it (from the database or from the shipped defaults)."""

    key: str
    label: str
    kind: str
    segment: str
    scope_kind: str
    source_kind: str
    source_text: str = ""
    scope_code: str | None = None
    per_wijk: bool = False
    min_share: float | None = None
    max_share: float | None = None
    share: float | None = None
    volume: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    source_url: str | None = None
    version: int = 0  # 0: the shipped default, not saved in the database
    is_default: bool = False
    commitment_id: int | None = None
    created_by: str = "standaard (data/housing/national_targets.yaml)"
    history: list[dict] = field(default_factory=list)

    def applies_to(self, gemeente_code: str, set_ids: set[str] | None = None) -> bool:
        """Whether the target concerns this gemeente (or one of its wijken, or a set it is part of)."""
        match self.scope_kind:
            case "elke_gemeente":
                return True
            case "gemeente":
                return self.scope_code == gemeente_code
            case "wijk":
                return (self.scope_code or "").startswith("WK" + gemeente_code[2:])
            case _:
                return set_ids is not None and self.scope_code in set_ids

    @property
    def text(self) -> str:
        segment = TARGET_SEGMENTS.get(self.segment, self.segment)
        if self.kind == "aandeel_voorraad":
            where = " per wijk" if self.per_wijk else ""
            if self.min_share is not None and self.max_share is not None:
                return f"{segment} {self.min_share:g}–{self.max_share:g} % van de voorraad{where}"
            if self.min_share is not None:
                return f"ten minste {self.min_share:g} % {segment} in de voorraad{where}"
            return f"ten hoogste {self.max_share:g} % {segment} in de voorraad{where}"
        if self.kind == "aandeel_nieuwbouw":
            return f"ten minste {self.share:g} % van de nieuwbouw {segment}"
        return f"{self.volume} woningen {segment} per jaar"


FIELDS = ("key", "label", "kind", "segment", "scope_kind", "scope_code", "per_wijk", "min_share", "max_share", "share",
          "volume", "year_from", "year_to", "source_kind", "source_text", "source_url")


def _number(raw: dict, name: str, file: str, row: int | None, integer: bool = False, low: float = 0,
            high: float | None = None):
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        raise InputError(file, "geen getal", row=row, column=name, expected="een getal", found=value) from None
    if number < low or (high is not None and number > high):
        raise InputError(file, "buiten het bereik", row=row, column=name,
                         expected=f"{low:g} tot {high:g}" if high is not None else f"ten minste {low:g}", found=value)
    if integer:
        if number != int(number):
            raise InputError(file, "geen geheel getal", row=row, column=name, expected="een geheel getal", found=value)
        return int(number)
    return number


def parse_target(raw: dict, file: str = "doel", row: int | None = None) -> Target:
    """Check one target (from the YAML file or a form); raises ``InputError`` naming the field."""
    def text(name: str, required: bool = True, choices: dict | None = None, limit: int = 300) -> str | None:
        value = str(raw.get(name) or "").strip()
        if not value:
            if required:
                raise InputError(file, "verplicht veld is leeg", row=row, column=name)
            return None
        if choices is not None and value not in choices:
            raise InputError(file, "onbekende waarde", row=row, column=name, expected=", ".join(choices), found=value)
        if len(value) > limit:
            raise InputError(file, "te lang", row=row, column=name, expected=f"ten hoogste {limit} tekens")
        return value

    key = text("key", limit=64)
    if not set(key) <= KEY_CHARS:
        raise InputError(file, "ongeldige sleutel", row=row, column="key",
                         expected="kleine letters, cijfers en streepjes", found=key)
    target = Target(key=key, label=text("label"), kind=text("kind", choices=TARGET_KINDS),
                    segment=text("segment", choices=TARGET_SEGMENTS),
                    scope_kind=text("scope_kind", choices=SCOPE_KINDS),
                    scope_code=text("scope_code", required=False, limit=64),
                    per_wijk=str(raw.get("per_wijk") or "").strip().lower() in ("1", "true", "ja", "on"),
                    source_kind=text("source_kind", choices=TARGET_SOURCES),
                    source_text=text("source_text", required=False, limit=4000) or "",
                    source_url=text("source_url", required=False, limit=500),
                    min_share=_number(raw, "min_share", file, row, high=100),
                    max_share=_number(raw, "max_share", file, row, high=100),
                    share=_number(raw, "share", file, row, high=100),
                    volume=_number(raw, "volume", file, row, integer=True),
                    year_from=_number(raw, "year_from", file, row, integer=True, low=2000, high=2100),
                    year_to=_number(raw, "year_to", file, row, integer=True, low=2000, high=2100))
    if target.scope_kind != "elke_gemeente" and not target.scope_code:
        raise InputError(file, "geen gebied gekozen", row=row, column="scope_code",
                         expected="een gemeente- of wijkcode of een gebiedsset")
    if target.kind == "aandeel_voorraad" and target.min_share is None and target.max_share is None:
        raise InputError(file, "geen bandbreedte", row=row, column="min_share",
                         expected="een minimum en/of maximum (%)")
    if (target.min_share is not None and target.max_share is not None and target.min_share > target.max_share):
        raise InputError(file, "minimum boven maximum", row=row, column="max_share",
                         expected=f"ten minste {target.min_share:g}")
    if target.kind == "aandeel_nieuwbouw" and target.share is None:
        raise InputError(file, "geen aandeel", row=row, column="share", expected="een percentage")
    if target.kind == "volume" and target.volume is None:
        raise InputError(file, "geen aantal", row=row, column="volume", expected="woningen per jaar")
    if target.year_from and target.year_to and target.year_from > target.year_to:
        raise InputError(file, "beginjaar na eindjaar", row=row, column="year_to")
    return target


def load_defaults(path: Path = DEFAULTS_PATH) -> list[Target]:
    with path.open(encoding="utf-8") as fh:
        document = yaml.safe_load(fh) or {}
    targets = [parse_target(raw, path.name, i) for i, raw in enumerate(document.get("targets") or [], start=1)]
    for target in targets:
        target.is_default = True
    return targets


def _from_row(row: HousingTarget) -> Target:
    return Target(**{name: getattr(row, name) for name in FIELDS}, version=row.version, is_default=row.is_default,
                  commitment_id=row.commitment_id, created_by=row.created_by)


def current_targets(session: Session, gemeente_code: str | None = None, defaults_path: Path = DEFAULTS_PATH
                    ) -> list[Target]:
    """Every target that counts now (for one gemeente: the ones that apply to it), defaults included."""
    saved = {row.key: _from_row(row) for row in session.scalars(
        select(HousingTarget).where(HousingTarget.is_current.is_(True)).order_by(HousingTarget.key))}
    out = [saved.pop(t.key, t) for t in load_defaults(defaults_path)] + list(saved.values())
    if gemeente_code is not None:
        out = [t for t in out if t.applies_to(gemeente_code)]
    return out


def versions(session: Session, key: str) -> list[HousingTarget]:
    return list(session.scalars(select(HousingTarget).where(HousingTarget.key == key)
                                .order_by(HousingTarget.version.desc())))


def save_target(session: Session, target: Target, actor: Actor) -> HousingTarget:
    """Add a version of ``target.key`` (the first saved version of a default is version 1)."""
    latest = session.scalar(select(HousingTarget.version).where(HousingTarget.key == target.key)
                            .order_by(HousingTarget.version.desc()).limit(1)) or 0
    session.execute(update(HousingTarget).where(HousingTarget.key == target.key).values(is_current=False))
    row = HousingTarget(**{name: getattr(target, name) for name in FIELDS}, version=latest + 1, is_current=True,
                        is_default=target.scope_kind == "elke_gemeente", commitment_id=target.commitment_id,
                        created_at=audit.now(), created_by=actor.user)
    session.add(row)
    session.flush()
    audit.record(session, actor, "woonprogramma.doel", object_type="doel", object_id=row.id,
                 detail=f"{target.key} versie {row.version}: {target.text}")
    return row


def target_by_key(session: Session, key: str) -> Target | None:
    return next((t for t in current_targets(session) if t.key == key), None)
