"""Creating and changing agreements, commitments, jaarschijven and realisations.

Every entry point takes raw values (form strings, JSON or Excel cells), parses and validates them
into Dutch messages per field (``ValidationFailed.errors``), and records each change with the acting
user and organisation (``history``). Callers run these inside one session transaction
(``store.db.session_scope``): a failure leaves nothing half-written. The limits (text lengths,
numbers, list sizes) are those of ``agreements.schemas``, so forms, Excel and the API refuse alike.

Concurrent writers: a new commitment number and a new realisation version are computed while holding
the parent row (``_lock_row``: ``SELECT … FOR UPDATE`` on PostgreSQL, the database's write lock on
SQLite), so parallel requests wait for each other instead of colliding; the unique constraints are the
last line. Edits are optimistic: a form carries the ``lock_version`` it was loaded with, and saving on
an older one raises ``EditConflict`` with the differences per field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gebiedsatlas.accounts import audit
from gebiedsatlas.accounts.services import organisation_for_party
from gebiedsatlas.agreements import history
from gebiedsatlas.agreements.direction import direction_warning
from gebiedsatlas.agreements.history import Actor
from gebiedsatlas.agreements.schemas import (
    CODE_MAX,
    DOCUMENTS_MAX,
    LINK_MAX,
    NAME_MAX,
    NUMBER_MAX,
    PARTIES_MAX,
    SCOPE_CODES_MAX,
    TEXT_MAX,
    TITLE_MAX,
    YEAR_MAX,
    YEAR_MIN,
    formula,
    negative,
    too_big,
    too_long,
    too_many,
    too_small,
)
from gebiedsatlas.agreements.scope import resolve_scope_names, scope_errors, scope_series
from gebiedsatlas.agreements.vocab import (
    AGREEMENT_STATUSES,
    PARTY_KINDS,
    SCOPE_KINDS,
    TARGET_KINDS,
    THEMES,
    TRANSITIONS,
    UNLOCKED_STATUSES,
)
from gebiedsatlas.areas.codes import Level, is_area_code
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.store.accounts import AgreementApproval, AuditEvent, Organisation
from gebiedsatlas.store.agreements import (
    Agreement,
    AgreementParty,
    Commitment,
    CommitmentParty,
    Party,
    Realisation,
    YearTarget,
)


class ValidationFailed(ValueError):
    """Input that cannot be saved: ``errors`` maps each field name to a Dutch message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class NotAllowed(ValueError):
    """A change the rules do not allow (e.g. a status transition); the message is Dutch."""


@dataclass(frozen=True)
class ConflictField:
    """One field of an edit conflict: what the person tried to save and what is stored now."""

    field: str
    label: str
    mine: str
    stored: str


class EditConflict(ValueError):
    """Someone else saved this object after the form was loaded (its ``lock_version`` moved on).

    ``fields``: the fields where the form differs from what is stored now; ``stored_version``: the
    version to save on if the person re-applies their input; ``saved_by``: who saved last, and when."""

    def __init__(self, stored_version: int, fields: list[ConflictField], saved_by: str | None = None) -> None:
        self.stored_version = stored_version
        self.fields = fields
        self.saved_by = saved_by
        super().__init__("Iemand anders heeft dit intussen opgeslagen; uw wijzigingen zijn nog niet opgeslagen.")


# ---------------------------------------------------------------- parsing raw values

def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def parse_int(raw: Mapping, key: str, errors: dict, *, required: bool = False, label: str = "een jaartal",
              lo: int = YEAR_MIN, hi: int = YEAR_MAX) -> int | None:
    value = raw.get(key)
    if _blank(value):
        if required:
            errors[key] = f"Verplicht: vul {label} in."
        return None
    if _is_formula(value):
        errors[key] = formula(label, value)
        return None
    try:
        number = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
        if not number.is_integer():
            raise ValueError
        number = int(number)
    except (TypeError, ValueError):
        errors[key] = f"Verwacht {label} (een geheel getal), gevonden {value!r}."
        return None
    if not lo <= number <= hi:
        errors[key] = f"Verwacht {label} tussen {lo} en {hi}, gevonden {number}."
        return None
    return number


def _is_formula(value: Any) -> bool:
    """An Excel formula where a number is expected (a cell read without its computed value)."""
    return isinstance(value, str) and value.strip().startswith("=")


def parse_float(raw: Mapping, key: str, errors: dict, *, required: bool = False, label: str = "een getal",
                lo: float = -NUMBER_MAX, hi: float = NUMBER_MAX) -> float | None:
    """Dutch (1.234,5) or plain (1234.5) notation, between ``lo`` and ``hi`` (no 1e308)."""
    value = raw.get(key)
    if _blank(value):
        if required:
            errors[key] = f"Verplicht: vul {label} in."
        return None
    if _is_formula(value):
        errors[key] = formula(label, value)
        return None
    number = _number(value)
    if number is None or not math.isfinite(number):
        errors[key] = f"Verwacht {label}, gevonden {value!r}."
        return None
    if number > hi:
        errors[key] = too_big(hi, number)
        return None
    if number < lo:
        errors[key] = negative(number) if lo == 0 else too_small(lo, number)
        return None
    return number


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text):  # 1.234,5
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def parse_text(raw: Mapping, key: str, errors: dict, limit: int) -> str:
    """Text without surrounding spaces, at most ``limit`` characters."""
    value = raw.get(key)
    text = "" if _blank(value) else str(value).strip()
    if len(text) > limit:
        errors[key] = too_long(limit, len(text))
    return text


def parse_date(raw: Mapping, key: str, errors: dict, *, required: bool = False) -> date | None:
    """ISO (2026-12-15) or Dutch (15-12-2026) dates, or a date/datetime cell."""
    value = raw.get(key)
    if _blank(value):
        if required:
            errors[key] = "Verplicht: vul een datum in."
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    errors[key] = f"Verwacht een datum als 15-12-2026 of 2026-12-15, gevonden {value!r}."
    return None


def parse_list(raw: Mapping, key: str) -> list[str]:
    """A list from a list value or a comma/semicolon/space separated string."""
    value = raw.get(key)
    if _blank(value):
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in re.split(r"[,;\s]+", str(value)) if p.strip()]


def parse_choice(raw: Mapping, key: str, choices: Mapping[str, str], errors: dict, *,
                 default: str | None = None) -> str | None:
    value = raw.get(key)
    if _blank(value):
        if default is None:
            errors[key] = f"Verplicht: kies uit {', '.join(choices.values())}."
        return default
    text = str(value).strip()
    # Accept the stored value or the Dutch label (Excel users type labels).
    for k, label in choices.items():
        if text.casefold() in (k.casefold(), label.casefold()):
            return k
    # The Dutch labels, not the internal ids (issue 15: "kies uit wonen, leefbaarheid, …").
    errors[key] = f"Onbekende waarde ‘{text[:80]}’; kies uit {', '.join(choices.values())}."
    return None


def parse_year_targets(raw: Mapping, key: str, errors: dict,
                       period: tuple[int, int] | None = None) -> dict[int, float]:
    """Jaarschijven as {year: amount}: a dict, or text like '2026: 100, 2027: 120'; each year within
    ``period`` (the agreement's looptijd), each amount between 0 and the upper bound."""
    value = raw.get(key)
    if _blank(value):
        return {}
    items = value.items() if isinstance(value, Mapping) else [
        part.split(":", 1) if ":" in part else (part, None)
        for part in re.split(r"[;\n]+|,\s*(?=\d{4}\s*:)", str(value)) if part.strip()]
    out: dict[int, float] = {}
    for year_text, amount in items:
        local: dict = {}
        year = parse_int({"y": year_text}, "y", local, required=True)
        planned = parse_float({"a": amount}, "a", local, required=True, label="een aantal", lo=0)
        if local:
            if "y" not in local and "a" in local and (_is_formula(amount) or _number(amount) is not None):
                errors[key] = f"Jaarschijf {year}: {local['a']}"  # a formula, a negative or a too large amount
            else:
                errors[key] = (f"Verwacht 'jaar: aantal' per jaarschijf (bijv. 2026: 100; 2027: 120), "
                               f"gevonden {value!r}.")
            return {}
        if period and not period[0] <= year <= period[1]:
            errors[key] = f"Jaarschijf {year} ligt buiten de looptijd {period[0]}–{period[1]}."
            return {}
        out[year] = planned
    return dict(sorted(out.items()))


def parse_year_target_fields(commitment: Commitment, raw: Mapping) -> dict[int, float]:
    """The jaarschijven table of the commitment page: one field ``jaar_YYYY`` per year of the period;
    an empty field removes that year's jaarschijf."""
    errors: dict[str, str] = {}
    agreement = commitment.agreement
    targets: dict[int, float] = {}
    for key in raw:
        if not (key.startswith("jaar_") and key[5:].isdigit()):
            continue
        year = int(key[5:]) if len(key) <= 9 else 0
        start, end = agreement.period_start, agreement.period_end
        if not start <= year <= end:
            errors[key] = f"Jaarschijf {key[5:]} ligt buiten de looptijd {start}–{end}."
            continue
        amount = parse_float(raw, key, errors, label="een gepland aantal", lo=0)
        if amount is not None:
            targets[year] = amount
    if commitment.target_kind != "output":
        errors["jaarschijven"] = "Jaarschijven horen bij een afspraak met een prestatie (aantallen per jaar)."
    if errors:
        raise ValidationFailed(errors)
    return targets


def parse_lock_version(raw: Mapping) -> int:
    """The ``lock_version`` an edit form was loaded with (a hidden field)."""
    errors: dict[str, str] = {}
    version = parse_int(raw, "lock_version", errors, required=True, label="het versienummer van het formulier",
                        lo=1, hi=2**31 - 1)
    if errors:
        raise ValidationFailed({"lock_version": "Het formulier mist zijn versienummer: laad de pagina opnieuw en "
                                                "vul uw wijziging opnieuw in."})
    return version


# ---------------------------------------------------------------- inputs

@dataclass
class AgreementInput:
    title: str
    gemeente_code: str
    period_start: int
    period_end: int
    party_ids: list[int]
    bod_date: date | None = None
    signed_on: date | None = None
    description: str = ""
    documents: list[dict] = field(default_factory=list)
    is_demo: bool = False


@dataclass
class CommitmentInput:
    text: str
    theme: str
    party_ids: list[int]
    scope_kind: str = "gemeente"
    scope_codes: list[str] = field(default_factory=list)
    target_kind: str = "none"
    output_unit: str | None = None
    indicator_id: str | None = None
    baseline_value: float | None = None
    baseline_year: int | None = None
    target_value: float | None = None
    target_year: int | None = None
    year_targets: dict[int, float] = field(default_factory=dict)


@dataclass
class RealisationInput:
    year: int
    value: float
    explanation: str
    reported_by_party_id: int | None


def parse_party_ids(session: Session, raw: Mapping, key: str, errors: dict) -> list[int]:
    """Party ids from ids or names (Excel users type names, separated by ';')."""
    value = raw.get(key)
    if _blank(value):
        return []
    parts = value if isinstance(value, list | tuple) else [
        p.strip() for p in re.split(r"[;|]" if not str(value).replace(",", "").strip().isdigit() else r"[,;|\s]+",
                                    str(value)) if p.strip()]
    if len(parts) > PARTIES_MAX:
        errors[key] = too_many(PARTIES_MAX, len(parts))
        return []
    ids: list[int] = []
    for part in parts:
        text = str(part).strip()[:NAME_MAX + 1]
        party = session.get(Party, int(text)) if text.isdigit() and len(text) <= 9 else session.scalar(
            select(Party).where(func.lower(Party.name) == text.lower()))
        if party is None:
            errors[key] = f"Onbekende partij {text!r}."
            return []
        if party.id not in ids:
            ids.append(party.id)
    return ids


def _documents(raw: Mapping, key: str, errors: dict) -> list[dict]:
    """Documents as a list of {title, href}; text input: one per line, 'titel | link of bestandsnaam'."""
    value = raw.get(key)
    if _blank(value):
        return []
    if isinstance(value, list):
        docs = [{"title": str(d.get("title", "")).strip() or str(d.get("href", "")),
                 "href": str(d.get("href", "")).strip()} for d in value if isinstance(d, Mapping)]
    else:
        docs = []
        for line in str(value).splitlines():
            if not line.strip():
                continue
            title, _, href = line.partition("|")
            docs.append({"title": title.strip(), "href": (href or title).strip()})
    if len(docs) > DOCUMENTS_MAX:
        errors[key] = too_many(DOCUMENTS_MAX, len(docs))
    for doc in docs:
        for part, limit in (("title", TITLE_MAX), ("href", LINK_MAX)):
            if len(doc[part]) > limit:
                errors[key] = f"Document {doc['title'][:40]!r}: {too_long(limit, len(doc[part]))}"
    return docs


def parse_agreement(session: Session, raw: Mapping) -> AgreementInput:
    """Validate raw agreement fields; raises ValidationFailed with a message per field."""
    errors: dict[str, str] = {}
    title = parse_text(raw, "title", errors, TITLE_MAX)
    if len(title) < 3:
        errors["title"] = "Verplicht: geef de afspraken een titel (minstens 3 tekens)."
    gemeente = str(raw.get("gemeente_code") or "").strip().upper()[:CODE_MAX]
    index = area_index(session)
    info = index.get(gemeente)
    if not gemeente:
        errors["gemeente_code"] = "Verplicht: kies een gemeente."
    elif info is None or info.level is not Level.GEMEENTE:
        errors["gemeente_code"] = f"Verwacht een gemeentecode als GM0356, gevonden {gemeente!r}."
    start = parse_int(raw, "period_start", errors, required=True, label="een beginjaar")
    end = parse_int(raw, "period_end", errors, required=True, label="een eindjaar")
    if start and end and end < start:
        errors["period_end"] = f"Het eindjaar ({end}) ligt voor het beginjaar ({start})."
    elif start and end and end - start > 10:
        errors["period_end"] = "Een looptijd van meer dan tien jaar is niet toegestaan."
    party_ids = parse_party_ids(session, raw, "party_ids", errors)
    is_demo = str(raw.get("is_demo", "")).lower() in ("1", "true", "ja", "on")
    if party_ids and "party_ids" not in errors:
        parties = [session.get(Party, i) for i in party_ids]
        if any(p.is_demo != is_demo for p in parties):
            errors["party_ids"] = ("Fictieve voorbeeldpartijen en echte partijen kunnen niet in dezelfde "
                                   "afspraken staan.")
        elif not any(p.kind == "gemeente" for p in parties):
            errors["party_ids"] = "Kies minstens de gemeente als partij."
        elif info is not None and any(p.kind == "gemeente" and p.gemeente_code and p.gemeente_code != gemeente
                                      for p in parties):
            errors["party_ids"] = "Een andere gemeente kan geen partij zijn bij afspraken van deze gemeente."
    elif "party_ids" not in errors:
        errors["party_ids"] = "Kies minstens de gemeente en één andere partij."
    bod_date = parse_date(raw, "bod_date", errors)
    signed_on = parse_date(raw, "signed_on", errors)
    description = parse_text(raw, "description", errors, TEXT_MAX)
    documents = _documents(raw, "documents", errors)
    if errors:
        raise ValidationFailed(errors)
    return AgreementInput(title=title, gemeente_code=gemeente, period_start=start, period_end=end,
                          party_ids=party_ids, bod_date=bod_date, signed_on=signed_on, description=description,
                          documents=documents, is_demo=is_demo)


def parse_commitment(session: Session, agreement: Agreement, raw: Mapping, *,
                     confirm_direction: bool = False) -> CommitmentInput:
    """Validate raw commitment fields against the agreement (parties, gemeente, period).

    ``confirm_direction`` (the web form): an outcome target on the worse side of its baseline needs
    ``direction_ok`` — the person saw the warning that names the indicator's direction. Excel and the
    API take it as given; the SMART check still reports it (``grens``)."""
    errors: dict[str, str] = {}
    catalogue = load_catalogue()
    text = parse_text(raw, "text", errors, TEXT_MAX)
    if len(text) < 5:
        errors["text"] = "Verplicht: beschrijf de afspraak (minstens 5 tekens)."
    theme = parse_choice(raw, "theme", THEMES, errors)
    party_ids = parse_party_ids(session, raw, "party_ids", errors)
    signatories = {ap.party_id for ap in agreement.parties}
    if any(p not in signatories for p in party_ids):
        errors["party_ids"] = "Een verantwoordelijke partij moet een van de partijen van deze afspraken zijn."
    scope_kind = parse_choice(raw, "scope_kind", SCOPE_KINDS, errors, default="gemeente")
    scope_codes = [c.upper() if scope_kind != "gebiedsset" and is_area_code(c.upper()) else c
                   for c in parse_list(raw, "scope_codes")]
    if scope_kind in ("wijk", "buurt") and len(scope_codes) <= SCOPE_CODES_MAX:
        # Names ("Oostgaarde") and picked suggestions ("Oostgaarde (WK063702)") become codes.
        scope_codes, named_problems = resolve_scope_names(area_index(session), agreement.gemeente_code,
                                                          scope_kind, scope_codes)
    else:
        named_problems = []
    if len(scope_codes) > SCOPE_CODES_MAX:
        errors["scope_codes"] = too_many(SCOPE_CODES_MAX, len(scope_codes))
    elif scope_kind and "scope_kind" not in errors:
        problems = named_problems + scope_errors(area_index(session), agreement.gemeente_code, scope_kind,
                                                 scope_codes)
        if problems:
            errors["scope_codes"] = " ".join(problems)
    if scope_kind == "gemeente":
        scope_codes = [agreement.gemeente_code]
    target_kind = parse_choice(raw, "target_kind", TARGET_KINDS, errors, default="none")
    data = CommitmentInput(text=text, theme=theme or "overig", party_ids=party_ids, scope_kind=scope_kind or "",
                           scope_codes=scope_codes, target_kind=target_kind or "none")
    if target_kind == "output":
        data.output_unit = parse_text(raw, "output_unit", errors, NAME_MAX) or None
        if not data.output_unit:
            errors["output_unit"] = ("Verplicht bij een prestatie: wat wordt geteld "
                                     "(bijv. 'sociale huurwoningen opgeleverd')?")
        data.year_targets = parse_year_targets(raw, "year_targets", errors,
                                               period=(agreement.period_start, agreement.period_end))
    elif target_kind == "outcome":
        indicator = parse_text(raw, "indicator_id", errors, CODE_MAX)
        if not indicator:
            errors["indicator_id"] = "Verplicht bij een effectdoel: kies een atlasindicator."
        elif indicator not in catalogue and "indicator_id" not in errors:
            errors["indicator_id"] = f"Onbekende indicator {indicator!r}; zie de indicatorcatalogus."
        data.indicator_id = indicator or None
        data.baseline_year = parse_int(raw, "baseline_year", errors, label="een jaar van de nulmeting")
        data.baseline_value = parse_float(raw, "baseline_value", errors, label="een beginwaarde")
        data.target_value = parse_float(raw, "target_value", errors, required=True, label="een streefwaarde")
        data.target_year = parse_int(raw, "target_year", errors, required=True, label="een streefjaar")
        if data.target_year and data.baseline_year and data.target_year <= data.baseline_year:
            errors["target_year"] = f"Het streefjaar moet na het jaar van de nulmeting ({data.baseline_year}) liggen."
        if not errors and data.baseline_value is None:
            _fill_baseline(session, agreement, data)
        if confirm_direction and not errors and data.indicator_id in catalogue:
            warning = direction_warning(catalogue[data.indicator_id], data.baseline_value, data.target_value)
            if warning and _blank(raw.get("direction_ok")):
                errors["direction_ok"] = (warning + " Bedoelt u dat? Vink dan aan dat dit een grens is, of pas "
                                          "de streefwaarde aan.")
    if errors:
        raise ValidationFailed(errors)
    return data


def _fill_baseline(session: Session, agreement: Agreement, data: CommitmentInput) -> None:
    """Take the baseline from the atlas series the status is measured on (on the scope's latest
    boundary year, ``scope_series``): the value in the baseline year, or the latest value."""
    frame = scope_series(session, agreement.gemeente_code, data.scope_kind, data.scope_codes, data.indicator_id)
    frame = frame[frame["status"].isin(["observed", "derived", "converted"]) & frame["value"].notna()]
    if data.baseline_year is not None:
        frame = frame[frame["period"] == data.baseline_year]
    if len(frame):
        row = frame.sort_values("period").iloc[-1]
        data.baseline_value, data.baseline_year = float(row["value"]), int(row["period"])


def parse_realisation(session: Session, commitment: Commitment, raw: Mapping) -> RealisationInput:
    """Validate a reported realisation: a year of the agreement, a number, the reporting party."""
    errors: dict[str, str] = {}
    agreement = commitment.agreement
    year = parse_int(raw, "year", errors, required=True, label="het jaar van de realisatie")
    last = max(agreement.period_end, commitment.target_year or 0)
    if year is not None and not agreement.period_start - 1 <= year <= last:
        errors["year"] = f"Verwacht een jaar van {agreement.period_start - 1} tot en met {last}, gevonden {year}."
    # An output counts things (woningen, trajecten): never below zero. An outcome value may be.
    value = parse_float(raw, "value", errors, required=True, label="de gerealiseerde waarde",
                        lo=0 if commitment.target_kind == "output" else -NUMBER_MAX)
    explanation = parse_text(raw, "explanation", errors, TEXT_MAX)
    ids = parse_party_ids(session, raw, "reported_by_party_id", errors)
    responsible = {cp.party_id for cp in commitment.parties}
    if ids and responsible and ids[0] not in responsible:
        errors["reported_by_party_id"] = ("De realisatie wordt gemeld door een verantwoordelijke partij "
                                          "van deze afspraak.")
    if not ids and responsible and "reported_by_party_id" not in errors:
        errors["reported_by_party_id"] = "Verplicht: kies de partij die de realisatie meldt."
    if errors:
        raise ValidationFailed(errors)
    return RealisationInput(year=year, value=value, explanation=explanation,
                            reported_by_party_id=ids[0] if ids else None)


# ---------------------------------------------------------------- concurrent writers

def _fresh(session: Session, obj: Any) -> None:
    """Forget what this session read of ``obj`` and the related objects it loaded, so the next access
    reads the stored state (after ``_lock_row`` or ``_claim``: as no one else can change it now)."""
    state = sa_inspect(obj)
    for relationship in state.mapper.relationships:
        loaded = state.dict.get(relationship.key)
        for child in loaded if isinstance(loaded, list) else [loaded]:
            if child is not None and child in session:
                session.expire(child)
    session.expire(obj)


def _lock_row(session: Session, obj: Agreement | Commitment) -> None:
    """Hold ``obj``'s row until the transaction ends; a parallel request for the same row waits here.

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite: a write (a no-op update) takes the database's write
    lock, and a waiting writer waits up to the busy timeout of ``store.db``."""
    session.flush()
    table = type(obj).__table__
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(table.c.id).where(table.c.id == obj.id).with_for_update())
    else:
        session.execute(update(table).where(table.c.id == obj.id).values(lock_version=table.c.lock_version))
    _fresh(session, obj)


def _claim(session: Session, obj: Agreement | Commitment, expected: int | None, differences) -> None:
    """Start an edit of ``obj``: its ``lock_version`` goes up by one, if it still is ``expected``.

    Otherwise someone saved in between: ``EditConflict`` with ``differences()`` (computed on the stored
    state). If the form and the stored state do not differ, nothing would be lost and the edit goes on.
    ``expected=None`` (the Excel import): no check, but the version still goes up, so open forms notice."""
    session.flush()
    table = type(obj).__table__
    bump = update(table).where(table.c.id == obj.id).values(lock_version=table.c.lock_version + 1)
    claimed = session.execute(bump if expected is None else bump.where(table.c.lock_version == expected)).rowcount
    _fresh(session, obj)
    if claimed:
        return
    fields = differences()
    if fields:
        raise EditConflict(obj.lock_version, fields, _last_saved(session, obj))
    session.execute(bump)
    _fresh(session, obj)


def _last_saved(session: Session, obj: Agreement | Commitment) -> str | None:
    """Who saved ``obj`` last and when, from the audit log: 'naam (organisatie), 14-12-2026 10:03'."""
    kinds = ("afspraken",) if isinstance(obj, Agreement) else ("afspraak", "jaarschijf")
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.object_type.in_(kinds), AuditEvent.object_id == str(obj.id), AuditEvent.result == "allowed")
        .order_by(AuditEvent.id.desc()).limit(1)).first()
    if event is None:
        return None
    who = f"{event.actor} ({event.organisation})" if event.organisation else event.actor
    return f"{who}, {event.at:%d-%m-%Y %H:%M}"


def _shown(session: Session, field: str, value: Any) -> str:
    """A value as the conflict page shows it."""
    if value is None or value == "" or value == [] or value == {}:
        return "(leeg)"
    if field == "party_ids":
        return "; ".join((p.name if (p := session.get(Party, i)) else str(i)) for i in sorted(value))
    if field == "theme":
        return THEMES.get(value, value)
    if field == "scope_kind":
        return SCOPE_KINDS.get(value, value)
    if field == "target_kind":
        return TARGET_KINDS.get(value, value)
    if field == "documents":
        return "\n".join(f"{d.get('title', '')} | {d.get('href', '')}" for d in value)
    if field == "year_targets":
        return "; ".join(f"{y}: {a:g}" for y, a in sorted(value.items()))
    if isinstance(value, date):
        return f"{value:%d-%m-%Y}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


AGREEMENT_LABELS = {"title": "Titel", "gemeente_code": "Gemeente", "period_start": "Eerste jaar van de looptijd",
                    "period_end": "Laatste jaar van de looptijd", "party_ids": "Partijen",
                    "bod_date": "Datum van het bod", "signed_on": "Datum van ondertekening",
                    "description": "Omschrijving", "documents": "Documenten"}
COMMITMENT_LABELS = {"text": "Wat wordt afgesproken", "theme": "Thema", "party_ids": "Verantwoordelijke partij(en)",
                     "scope_kind": "Gebied", "scope_codes": "Wijk-, buurtcodes of gebiedsset",
                     "target_kind": "Soort doel", "output_unit": "Eenheid", "indicator_id": "Indicator",
                     "baseline_value": "Beginwaarde", "baseline_year": "Jaar van de nulmeting",
                     "target_value": "Streefwaarde", "target_year": "Streefjaar", "year_targets": "Jaarschijven"}


def _differences(session: Session, labels: dict[str, str], mine: dict, stored: dict) -> list[ConflictField]:
    return [ConflictField(f, labels[f], _shown(session, f, mine[f]), _shown(session, f, stored[f]))
            for f in labels if f in mine and history.as_text(mine[f]) != history.as_text(stored[f])]


def agreement_differences(session: Session, agreement: Agreement, data: AgreementInput) -> list[ConflictField]:
    """Per field: what the form says and what is stored now, where they differ."""
    mine = {"title": data.title, "gemeente_code": data.gemeente_code, "period_start": data.period_start,
            "period_end": data.period_end, "party_ids": sorted(data.party_ids), "bod_date": data.bod_date,
            "signed_on": data.signed_on, "description": data.description, "documents": data.documents}
    stored = {k: getattr(agreement, k) for k in mine if k != "party_ids"}
    stored["party_ids"] = sorted(ap.party_id for ap in agreement.parties)
    return _differences(session, AGREEMENT_LABELS, mine, stored)


def commitment_differences(session: Session, commitment: Commitment, data: CommitmentInput) -> list[ConflictField]:
    mine = _commitment_values(data) | {"party_ids": sorted(data.party_ids)}
    stored = {k: getattr(commitment, k) for k in _commitment_values(data)}
    stored["party_ids"] = sorted(cp.party_id for cp in commitment.parties)
    if data.target_kind == "output" and data.year_targets:
        stored_targets = {t.year: t.planned for t in commitment.year_targets}
        # Only the years the form sets (update_commitment keeps the others).
        mine["year_targets"] = data.year_targets
        stored["year_targets"] = {y: stored_targets[y] for y in data.year_targets if y in stored_targets}
    return _differences(session, COMMITMENT_LABELS, mine, stored)


def year_target_differences(commitment: Commitment, targets: dict[int, float]) -> list[ConflictField]:
    """The jaarschijven table: per year of the period, the form's amount and the stored one."""
    stored = {t.year: t.planned for t in commitment.year_targets}
    out = []
    for year in sorted(set(stored) | set(targets)):
        mine, now = targets.get(year), stored.get(year)
        if mine != now:
            out.append(ConflictField(f"jaar_{year}", f"Gepland in {year}", "(leeg)" if mine is None else f"{mine:g}",
                                     "(leeg)" if now is None else f"{now:g}"))
    return out


# ---------------------------------------------------------------- changes

def _name_taken(session: Session, name: str) -> bool:
    """Whether a party or organisation has this name, in any case (compared in Python: SQLite's lower()
    knows only ASCII, so "Één" and "één" would slip past it). There are a few hundred at most."""
    wanted = name.casefold()
    names = session.scalars(select(Party.name).union(select(Organisation.name)))
    return any(existing.casefold() == wanted for existing in names)


def create_party(session: Session, name: str, kind: str, actor: Actor, *, gemeente_code: str | None = None,
                 note: str = "", is_demo: bool = False) -> Party:
    errors: dict[str, str] = {}
    name = name.strip()
    note = note.strip()
    if len(name) > NAME_MAX:
        errors["name"] = too_long(NAME_MAX, len(name))
    elif len(name) < 2:
        errors["name"] = "Verplicht: de naam van de organisatie."
    elif _name_taken(session, name):
        errors["name"] = f"Er is al een partij of organisatie {name!r}."
    if kind not in PARTY_KINDS:
        errors["kind"] = f"Onbekende soort {kind!r}; kies uit {', '.join(PARTY_KINDS)}."
    if len(note) > TEXT_MAX:
        errors["note"] = too_long(TEXT_MAX, len(note))
    if kind == "gemeente":
        info = area_index(session).get((gemeente_code or "")[:CODE_MAX])
        if info is None or info.level is not Level.GEMEENTE:
            errors["gemeente_code"] = "Kies bij een gemeente de CBS-code, bijvoorbeeld GM0356."
    if errors:
        raise ValidationFailed(errors)
    party = Party(name=name, kind=kind, gemeente_code=gemeente_code, note=note, is_demo=is_demo)
    session.add(party)
    session.flush()
    organisation_for_party(session, party)  # so its people can get accounts and roles
    history.record(session, actor, agreement_id=None, entity="partij", entity_id=party.id, action="aangemaakt",
                   new=name)
    return party


def create_agreement(session: Session, data: AgreementInput, actor: Actor) -> Agreement:
    at = history.now()
    agreement = Agreement(title=data.title, gemeente_code=data.gemeente_code, period_start=data.period_start,
                          period_end=data.period_end, status="concept", bod_date=data.bod_date,
                          signed_on=data.signed_on, description=data.description, documents=data.documents,
                          is_demo=data.is_demo, created_at=at, updated_at=at)
    agreement.parties = [AgreementParty(party_id=p) for p in data.party_ids]
    session.add(agreement)
    session.flush()
    history.record(session, actor, agreement_id=agreement.id, entity="afspraken", entity_id=agreement.id,
                   action="aangemaakt", new=data.title, at=at)
    return agreement


def ensure_unlocked(agreement: Agreement) -> None:
    """A signed (or closed) agreement is locked: its text changes only through a new version."""
    if agreement.status not in UNLOCKED_STATUSES:
        raise NotAllowed(f"Deze afspraken zijn {AGREEMENT_STATUSES[agreement.status].lower()} en daarmee "
                         "vergrendeld. Start een wijziging; die tekenen alle partijen opnieuw.")


def update_agreement(session: Session, agreement: Agreement, data: AgreementInput, actor: Actor, *,
                     expected_version: int | None = None) -> int:
    """Apply edited fields (not the status: see ``change_status``); returns the number of changes.

    ``expected_version``: the ``lock_version`` the form was loaded with (``EditConflict`` if it moved on)."""
    _claim(session, agreement, expected_version, lambda: agreement_differences(session, agreement, data))
    ensure_unlocked(agreement)
    if data.is_demo != agreement.is_demo:
        raise NotAllowed("Een fictief voorbeeld kan geen echte afspraak worden (en omgekeerd).")
    changed = history.record_diff(session, actor, agreement, {
        "title": data.title, "gemeente_code": data.gemeente_code, "period_start": data.period_start,
        "period_end": data.period_end, "bod_date": data.bod_date, "signed_on": data.signed_on,
        "description": data.description, "documents": data.documents,
    }, agreement_id=agreement.id, entity="afspraken")
    old_ids = [ap.party_id for ap in agreement.parties]
    if sorted(old_ids) != sorted(data.party_ids):
        in_use = {cp.party_id for c in agreement.commitments for cp in c.parties}
        dropped = in_use - set(data.party_ids)
        if dropped:
            names = ", ".join(session.get(Party, p).name for p in dropped)
            raise ValidationFailed({"party_ids": f"{names} is nog verantwoordelijk voor afspraken."})
        agreement.parties = [ap for ap in agreement.parties if ap.party_id in data.party_ids] + [
            AgreementParty(party_id=p) for p in data.party_ids if p not in old_ids]
        history.record(session, actor, agreement_id=agreement.id, entity="afspraken", entity_id=agreement.id,
                       action="gewijzigd", field="partijen", old=sorted(old_ids), new=sorted(data.party_ids))
        changed += 1
    if changed:
        agreement.updated_at = history.now()
    return changed


def check_transition(agreement: Agreement, new_status: str) -> None:
    """Raise ``NotAllowed`` unless ``TRANSITIONS`` allows ``new_status`` from the current status."""
    if new_status not in AGREEMENT_STATUSES:
        raise NotAllowed(f"Onbekende status {new_status!r}.")
    allowed = TRANSITIONS[agreement.status]
    if new_status not in allowed:
        options = ", ".join(AGREEMENT_STATUSES[s] for s in allowed) or "geen (eindstatus)"
        raise NotAllowed(f"Van '{AGREEMENT_STATUSES[agreement.status]}' naar "
                         f"'{AGREEMENT_STATUSES[new_status]}' is niet toegestaan; mogelijk: {options}.")


# Statuses that need the approval of every party; the others (back to concept, starting a wijziging)
# may be done by any one party.
NEEDS_EVERY_PARTY = ("bod", "getekend", "afgerond")
ALREADY_APPROVED = "Uw organisatie gaf hiervoor al akkoord; de andere partijen zijn nu aan zet."


def approvals(session: Session, agreement: Agreement, target_status: str | None = None,
              status_seq: int | None = None) -> list[AgreementApproval]:
    """Approvals of the current round (or of ``status_seq``), optionally for one target status."""
    stmt = select(AgreementApproval).where(
        AgreementApproval.agreement_id == agreement.id,
        AgreementApproval.status_seq == (agreement.status_seq if status_seq is None else status_seq))
    if target_status:
        stmt = stmt.where(AgreementApproval.target_status == target_status)
    return list(session.scalars(stmt.order_by(AgreementApproval.approved_at, AgreementApproval.id)))


def signatures(session: Session, agreement: Agreement) -> list[AgreementApproval]:
    """Who signed each signed version, and when (the approvals that made it "getekend")."""
    return list(session.scalars(select(AgreementApproval).where(
        AgreementApproval.agreement_id == agreement.id, AgreementApproval.target_status == "getekend")
        .order_by(AgreementApproval.version, AgreementApproval.approved_at, AgreementApproval.id)))


def approve_status(session: Session, agreement: Agreement, new_status: str, party_id: int, actor: Actor, *,
                   signed_on: date | None = None) -> bool:
    """Record that ``party_id`` (through ``actor``, a person of that party) agrees to ``new_status``.

    Bod, getekend and afgerond need every party; back to concept and starting a wijziging need one.
    When the last needed approval arrives the status changes; returns whether it did. An approval
    counts only for the current round (``status_seq``); the rows stay as the record of who signed.
    """
    # One approval at a time per agreement: the last party's approval sees all the others and moves
    # the status; a second click of the same party finds the first.
    _lock_row(session, agreement)
    check_transition(agreement, new_status)
    if party_id not in {ap.party_id for ap in agreement.parties}:
        raise NotAllowed("Alleen een partij van deze afspraken kan akkoord geven of tekenen.")
    if new_status == "getekend":
        _check_signable(agreement, signed_on)
    existing = {a.party_id for a in approvals(session, agreement, new_status)}
    if party_id in existing:
        raise NotAllowed(ALREADY_APPROVED)
    at = history.now()
    try:
        with session.begin_nested():  # the unique constraint is the last line
            session.add(AgreementApproval(agreement_id=agreement.id, version=agreement.version,
                                          status_seq=agreement.status_seq, target_status=new_status,
                                          party_id=party_id, user_id=actor.user_id, user_name=actor.user,
                                          approved_at=at))
    except IntegrityError:
        raise NotAllowed(ALREADY_APPROVED) from None
    party = session.get(Party, party_id)
    history.record(session, actor, agreement_id=agreement.id, entity="afspraken", entity_id=agreement.id,
                   action="akkoord", field=f"status → {new_status}", new=party.name if party else party_id, at=at)
    session.flush()
    needed = {ap.party_id for ap in agreement.parties} if new_status in NEEDS_EVERY_PARTY else {party_id}
    if needed <= existing | {party_id}:
        change_status(session, agreement, new_status, actor, signed_on=signed_on)
        return True
    return False


def _check_signable(agreement: Agreement, signed_on: date | None) -> None:
    if signed_on is None and agreement.signed_on is None:
        raise ValidationFailed({"signed_on": "Vul de datum van ondertekening in."})
    if len(agreement.parties) < 2:
        raise NotAllowed("Ondertekenen kan pas met minstens twee partijen.")
    if not agreement.commitments:
        raise NotAllowed("Ondertekenen kan pas als er minstens één afspraak is.")


def publish(session: Session, agreement: Agreement, actor: Actor) -> None:
    """Make a signed agreement visible to everyone (an explicit act, recorded)."""
    if agreement.status not in ("getekend", "afgerond"):
        raise NotAllowed("Alleen getekende of afgeronde afspraken kunnen openbaar worden gemaakt.")
    if agreement.published_at is None:
        history.record_diff(session, actor, agreement, {"published_at": history.now()},
                            agreement_id=agreement.id, entity="afspraken")


def change_status(session: Session, agreement: Agreement, new_status: str, actor: Actor, *,
                  signed_on: date | None = None) -> None:
    """Move the agreement to ``new_status`` if ``TRANSITIONS`` allows it.

    Called by ``approve_status`` once the needed parties agreed (and by the command-line import of
    agreements signed elsewhere). Signing needs a signing date (given or already stored), two parties
    and a commitment; it stores a snapshot so the version can be shown as it was at signing. Starting
    a wijziging opens the next version.
    """
    check_transition(agreement, new_status)
    if new_status == "getekend":
        _check_signable(agreement, signed_on)
        if signed_on is not None:
            history.record_diff(session, actor, agreement, {"signed_on": signed_on}, agreement_id=agreement.id,
                                entity="afspraken")
    old = agreement.status
    agreement.status = new_status
    agreement.status_seq = (agreement.status_seq or 0) + 1
    if new_status == "wijziging":
        agreement.version = (agreement.version or 1) + 1
        history.record(session, actor, agreement_id=agreement.id, entity="afspraken", entity_id=agreement.id,
                       action="gewijzigd", field="versie", old=agreement.version - 1, new=agreement.version)
    agreement.updated_at = history.now()
    history.record(session, actor, agreement_id=agreement.id, entity="afspraken", entity_id=agreement.id,
                   action="status", field="status", old=old, new=new_status)
    if new_status == "getekend":
        history.take_snapshot(session, agreement, "getekend")


def _commitment_values(data: CommitmentInput) -> dict:
    return {"text": data.text, "theme": data.theme, "scope_kind": data.scope_kind,
            "scope_codes": data.scope_codes, "target_kind": data.target_kind, "output_unit": data.output_unit,
            "indicator_id": data.indicator_id, "baseline_value": data.baseline_value,
            "baseline_year": data.baseline_year, "target_value": data.target_value,
            "target_year": data.target_year}


def add_commitment(session: Session, agreement: Agreement, data: CommitmentInput, actor: Actor) -> Commitment:
    """Add a commitment with the next number of the agreement (numbered one at a time: ``_lock_row``)."""
    _lock_row(session, agreement)
    ensure_unlocked(agreement)
    at = history.now()
    number = 1 + (session.scalar(select(func.max(Commitment.number)).where(
        Commitment.agreement_id == agreement.id)) or 0)
    commitment = Commitment(agreement=agreement, number=number, created_at=at, updated_at=at,
                            **_commitment_values(data))
    commitment.parties = [CommitmentParty(party_id=p) for p in data.party_ids]
    session.add(commitment)
    session.flush()
    history.record(session, actor, agreement_id=agreement.id, entity="afspraak", entity_id=commitment.id,
                   action="aangemaakt", new=data.text, at=at)
    if data.year_targets:
        _apply_year_targets(session, commitment, data.year_targets, actor)
    agreement.updated_at = at
    return commitment


def update_commitment(session: Session, commitment: Commitment, data: CommitmentInput, actor: Actor, *,
                      expected_version: int | None = None) -> int:
    """Apply the edit form (``expected_version``: the ``lock_version`` it was loaded with)."""
    _claim(session, commitment, expected_version, lambda: commitment_differences(session, commitment, data))
    ensure_unlocked(commitment.agreement)
    agreement_id = commitment.agreement_id
    changed = history.record_diff(session, actor, commitment, _commitment_values(data),
                                  agreement_id=agreement_id, entity="afspraak")
    old_ids = sorted(cp.party_id for cp in commitment.parties)
    if old_ids != sorted(data.party_ids):
        commitment.parties = [cp for cp in commitment.parties if cp.party_id in data.party_ids] + [
            CommitmentParty(party_id=p) for p in data.party_ids if p not in old_ids]
        history.record(session, actor, agreement_id=agreement_id, entity="afspraak", entity_id=commitment.id,
                       action="gewijzigd", field="verantwoordelijke partijen", old=old_ids,
                       new=sorted(data.party_ids))
        changed += 1
    if data.target_kind == "output" and data.year_targets:
        changed += _apply_year_targets(session, commitment, data.year_targets, actor)
    if changed:
        commitment.updated_at = history.now()
    return changed


def set_year_targets(session: Session, commitment: Commitment, targets: dict[int, float], actor: Actor, *,
                     replace: bool = False, expected_version: int | None = None) -> int:
    """Set planned amounts per year (jaarschijven); with ``replace`` years not given are removed.

    ``expected_version``: the commitment's ``lock_version`` the jaarschijven form was loaded with."""
    _claim(session, commitment, expected_version,
           lambda: year_target_differences(commitment, targets if replace else
                                           {t.year: t.planned for t in commitment.year_targets} | targets))
    return _apply_year_targets(session, commitment, targets, actor, replace=replace)


def _apply_year_targets(session: Session, commitment: Commitment, targets: dict[int, float], actor: Actor, *,
                        replace: bool = False) -> int:
    ensure_unlocked(commitment.agreement)
    existing = {t.year: t for t in commitment.year_targets}
    changed = 0
    for year, planned in sorted(targets.items()):
        old = existing.get(year)
        if old is not None and old.planned == planned:
            continue
        old_planned = None if old is None else old.planned
        if old is None:
            commitment.year_targets.append(YearTarget(year=year, planned=planned))
        else:
            old.planned = planned
        history.record(session, actor, agreement_id=commitment.agreement_id, entity="jaarschijf",
                       entity_id=commitment.id, action="gewijzigd" if old else "aangemaakt", field=str(year),
                       old=old_planned, new=planned)
        changed += 1
    if replace:
        for year, target in existing.items():
            if year not in targets:
                commitment.year_targets.remove(target)
                history.record(session, actor, agreement_id=commitment.agreement_id, entity="jaarschijf",
                               entity_id=commitment.id, action="verwijderd", field=str(year), old=target.planned)
                changed += 1
    session.flush()
    return changed


# Other domains that follow realisations (the woonprogramma: linked pipeline projects) register a hook
# here. Agreements does not import them (they import agreements); the hook runs in the caller's
# transaction, so a failing hook rolls the realisation back with it.
RealisationHook = Callable[[Session, "list[tuple[Commitment, int, float]]", Actor], None]
_realisation_hooks: list[RealisationHook] = []


def on_realisations(hook: RealisationHook) -> RealisationHook:
    """Register ``hook(session, [(commitment, year, latest value), …], actor)``, called after realisations
    are added (once per commitment and year, with the value of the newest version). Idempotent."""
    if hook not in _realisation_hooks:
        _realisation_hooks.append(hook)
    return hook


def _after_realisations(session: Session, reported: list[tuple[Commitment, int, float]], actor: Actor) -> None:
    for hook in list(_realisation_hooks):
        hook(session, reported, actor)


def report_realisation(session: Session, commitment: Commitment, data: RealisationInput, actor: Actor) -> Realisation:
    """Add a realisation; a second report for the same year becomes a new version (never an overwrite).

    Versions are numbered one at a time per commitment (``_lock_row``): parallel reports get 1, 2, 3, …"""
    _lock_row(session, commitment)
    previous = session.scalar(select(func.max(Realisation.version)).where(
        Realisation.commitment_id == commitment.id, Realisation.year == data.year))
    old_value = None
    if previous:
        old_value = session.scalar(select(Realisation.value).where(
            Realisation.commitment_id == commitment.id, Realisation.year == data.year,
            Realisation.version == previous))
    at = history.now()
    realisation = Realisation(commitment=commitment, year=data.year, version=(previous or 0) + 1, value=data.value,
                              explanation=data.explanation, reported_by_party_id=data.reported_by_party_id,
                              recorded_by=actor.user, recorded_org=actor.organisation, recorded_at=at)
    session.add(realisation)
    session.flush()
    history.record(session, actor, agreement_id=commitment.agreement_id, entity="realisatie",
                   entity_id=realisation.id, action="gecorrigeerd" if previous else "gemeld",
                   field=f"{data.year} (versie {realisation.version})", old=old_value, new=data.value, at=at)
    _after_realisations(session, [(commitment, data.year, data.value)], actor)
    return realisation


def realisation_versions(session: Session, commitment_id: int) -> list[Realisation]:
    """Every version of every realisation of a commitment, by year then version."""
    return list(session.scalars(select(Realisation).where(Realisation.commitment_id == commitment_id)
                                .order_by(Realisation.year, Realisation.version)))


def report_realisations(session: Session, items: list[tuple[Commitment, RealisationInput]], actor: Actor, *,
                        batch: int = 5000) -> int:
    """Add many realisations at once (the Excel import), in their order: the same versions and history
    lines as ``report_realisation`` row by row, without its two queries and flush per row. The latest
    version (and value) of every commitment and year is read in one query; rows and history lines are
    inserted in batches. Returns the number added."""
    if not items:
        return 0
    commitments = {c.id: c for c, _ in items}
    latest: dict[tuple[int, int], tuple[int, float | None]] = {}
    for ids in _chunks(sorted(commitments), 500):
        newest = (select(Realisation.commitment_id, Realisation.year, func.max(Realisation.version).label("version"))
                  .where(Realisation.commitment_id.in_(ids))
                  .group_by(Realisation.commitment_id, Realisation.year).subquery())
        for commitment_id, year, version, value in session.execute(
                select(Realisation.commitment_id, Realisation.year, Realisation.version, Realisation.value)
                .join(newest, (Realisation.commitment_id == newest.c.commitment_id)
                      & (Realisation.year == newest.c.year) & (Realisation.version == newest.c.version))):
            latest[commitment_id, year] = (version, value)
    at = history.now()
    line = audit_row(audit.event(actor, "gemeld", audit.ALLOWED, object_type="realisatie", at=at))
    for chunk in _chunks(items, batch):
        rows, lines = [], []
        for commitment, data in chunk:
            previous, old_value = latest.get((commitment.id, data.year), (0, None))
            version = previous + 1
            latest[commitment.id, data.year] = (version, data.value)
            rows.append({"commitment_id": commitment.id, "year": data.year, "version": version, "value": data.value,
                         "explanation": data.explanation, "reported_by_party_id": data.reported_by_party_id,
                         "recorded_by": actor.user, "recorded_org": actor.organisation, "recorded_at": at})
            lines.append({**line, "action": "gecorrigeerd" if previous else "gemeld",
                          "agreement_id": commitment.agreement_id, "field": f"{data.year} (versie {version})",
                          "old_value": audit.as_text(old_value), "new_value": audit.as_text(data.value)})
        ids = session.scalars(insert(Realisation).returning(Realisation.id, sort_by_parameter_order=True), rows).all()
        for entry, realisation_id in zip(lines, ids, strict=True):
            entry["object_id"] = str(realisation_id)
        session.execute(insert(AuditEvent), lines)
    for commitment in commitments.values():  # their loaded lists lack the new rows
        session.expire(commitment, ["realisations"])
    newest = {(c.id, d.year): (c, d.year, d.value) for c, d in items}  # the last report of a year wins
    _after_realisations(session, list(newest.values()), actor)
    return len(items)


def audit_row(line: AuditEvent) -> dict:
    """An audit line (``accounts.audit.event``) as the values of a bulk insert."""
    return {c.key: getattr(line, c.key) for c in AuditEvent.__table__.columns if c.key != "id"}


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def realisation_page(session: Session, commitment_id: int, page: int, size: int) -> tuple[list[Realisation], int]:
    """One page of ``realisation_versions`` (by year then version) and the number of versions in all."""
    total = session.scalar(select(func.count()).select_from(Realisation)
                           .where(Realisation.commitment_id == commitment_id)) or 0
    rows = session.scalars(select(Realisation).where(Realisation.commitment_id == commitment_id)
                           .order_by(Realisation.year, Realisation.version, Realisation.id)
                           .offset(max(0, page - 1) * size).limit(size))
    return list(rows), total

