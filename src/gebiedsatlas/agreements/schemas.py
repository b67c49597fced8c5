"""Limits and the typed request bodies of the agreements API.

One validation for forms, API and Excel: ``services.parse_*`` is the single place of business
validation and enforces the limits below for every entry point (forms, Excel and the API alike). The
API's Pydantic models declare the same limits, so the OpenAPI document shows them and absurd input is
refused before any parsing; a refusal by a model is answered with the same Dutch messages
(``dutch_errors``) in the same shape, ``{"errors": {field: message}}``.

The models keep accepting what clients sent before they were typed: party ids as numbers or names,
jaarschijven as an object or as text, numbers as JSON numbers or as (Dutch) text, dates as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from gebiedsatlas.agreements.vocab import AGREEMENT_STATUSES, PARTY_KINDS, SCOPE_KINDS, TARGET_KINDS, THEMES

# ---------------------------------------------------------------- limits

TITLE_MAX = 300  # titles of agreements and documents
NAME_MAX = 200  # names of parties, units of output targets
TEXT_MAX = 32_767  # commitment text, descriptions, explanations, notes (Excel's limit of one cell)
CODE_MAX = 64  # a CBS code, an area set id, an indicator id
LINK_MAX = 2_000  # a document's link or file name
SHORT_MAX = 40  # a number or a year written as text
DATE_MAX = 20  # a date written as text
LIST_TEXT_MAX = 20_000  # a list written as text ("WK035601, WK035603")
PARTIES_MAX = 50  # parties of an agreement or a commitment
DOCUMENTS_MAX = 50
SCOPE_CODES_MAX = 1_000  # wijken or buurten of one commitment (a large gemeente has a few hundred buurten)
YEAR_TARGETS_MAX = 11  # one jaarschijf per year of a period of at most ten years
YEAR_MIN, YEAR_MAX = 2000, 2100
NUMBER_MAX = 1e9  # planned and realised amounts, baseline and target values: no 1e308
MAX_JSON_BODY = 1_000_000  # bytes of one JSON request


# ---------------------------------------------------------------- Dutch messages (forms, Excel, API)

def nl_number(value: float) -> str:
    """1000000000 -> '1.000.000.000'; 2.5 -> '2,5'."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}".replace(",", ".")
    return f"{value:g}".replace(".", ",")


def too_long(limit: int, found: int) -> str:
    return f"Te lang: maximaal {nl_number(limit)} tekens (nu {nl_number(found)})."


def too_many(limit: int, found: int) -> str:
    return f"Te veel: maximaal {nl_number(limit)} (nu {nl_number(found)})."


def too_big(limit: float, found: object) -> str:
    return f"Te groot: maximaal {nl_number(limit)}, gevonden {_shown(found)}."


def too_small(limit: float, found: object) -> str:
    return f"Te klein: minimaal {nl_number(limit)}, gevonden {_shown(found)}."


def negative(found: object) -> str:
    return f"Kan niet negatief zijn (gevonden {_shown(found)})."


def formula(label: str, text: str) -> str:
    return (f"Verwacht {label}, maar dit is een formule ({text[:60]!r}). Vul de uitkomst als getal in "
            "(in Excel: kopiëren en plakken als waarden).")


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)[:60]


# ---------------------------------------------------------------- field types

Title = Annotated[str, Field(max_length=TITLE_MAX)]
Name = Annotated[str, Field(max_length=NAME_MAX)]
LongText = Annotated[str, Field(max_length=TEXT_MAX)]
Code = Annotated[str, Field(max_length=CODE_MAX)]
Short = Annotated[str, Field(max_length=SHORT_MAX)]
Keyword = Annotated[str, Field(max_length=32)]
DateText = Annotated[str, Field(max_length=DATE_MAX)]
ListText = Annotated[str, Field(max_length=LIST_TEXT_MAX)]
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
Number = Annotated[float, Field(ge=-NUMBER_MAX, le=NUMBER_MAX, allow_inf_nan=False)]
Amount = Annotated[float, Field(ge=0, le=NUMBER_MAX, allow_inf_nan=False)]
PartyRef = Annotated[int, Field(ge=1, le=2**31 - 1)] | Name
PartyRefs = Annotated[list[PartyRef], Field(max_length=PARTIES_MAX)] | ListText
Flag = bool | Annotated[str, Field(max_length=5)]


def _choices(values: dict[str, str]) -> str:
    return ", ".join(values)


def _declare_required(schema: dict, model: type) -> None:
    required = getattr(model, "REQUIRED", ())
    if required:
        schema["required"] = list(required)


class _Body(BaseModel):
    """A request body. Fields a client sends that are not listed are ignored, as before.

    ``REQUIRED`` fields are declared required in the OpenAPI document but may be null or missing in the
    model: ``services.parse_*`` then refuses them ("Verplicht: …") together with every other problem
    of the request, as the forms do."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_declare_required)
    REQUIRED: ClassVar[tuple[str, ...]] = ()


class Document(_Body):
    """A document of an agreement: title and link (or file name)."""

    title: Title = Field("", description="titel")
    href: Annotated[str, Field(max_length=LINK_MAX)] = Field("", description="link of bestandsnaam")


class PartyBody(_Body):
    """Nieuwe partij."""

    REQUIRED = ("name", "kind")
    name: Name | None = Field(None, description="naam van de organisatie (uniek)",
                              examples=["Huurdersvereniging Helmond"])
    kind: Keyword | None = Field(None, description=f"soort: {_choices(PARTY_KINDS)}", examples=["huurdersorganisatie"])
    gemeente_code: Keyword | None = Field(None, description="bij een gemeente: de CBS-code, bijv. GM0794")
    note: LongText = Field("", description="toelichting")


class AgreementBody(_Body):
    """Nieuwe prestatieafspraken (status concept)."""

    REQUIRED = ("title", "gemeente_code", "period_start", "period_end", "party_ids")
    title: Title | None = Field(None, description="titel (minstens 3 tekens)",
                                examples=["Prestatieafspraken Helmond 2026–2029"])
    gemeente_code: Keyword | None = Field(None, description="CBS-code van de gemeente", examples=["GM0794"])
    period_start: Year | Short | None = Field(None, description=f"eerste jaar van de looptijd ({YEAR_MIN}–{YEAR_MAX})",
                                              examples=[2026])
    period_end: Year | Short | None = Field(None, description="laatste jaar van de looptijd (hoogstens tien jaar na "
                                                              "het eerste)", examples=[2029])
    party_ids: PartyRefs | None = Field(None, description="partijen: nummers of namen (de gemeente en minstens één "
                                                          "andere partij); ook als tekst gescheiden door ';'",
                                        examples=[[12, 31]])
    bod_date: DateText | None = Field(None, description="datum van het bod, bijv. 01-07-2025 of 2025-07-01")
    signed_on: DateText | None = Field(None, description="datum van ondertekening")
    description: LongText = Field("", description="omschrijving")
    documents: Annotated[list[Document], Field(max_length=DOCUMENTS_MAX)] | ListText | None = Field(
        None, description="documenten: lijst van {title, href}, of tekst met één 'titel | link' per regel")
    is_demo: Flag = Field(False, description="fictief voorbeeld (alleen met fictieve partijen)")


class StatusBody(_Body):
    """Akkoord op een nieuwe status."""

    REQUIRED = ("status",)
    status: Keyword | None = Field(None, description=f"de nieuwe status: {_choices(AGREEMENT_STATUSES)}",
                                   examples=["getekend"])
    signed_on: DateText | None = Field(None, description="bij ondertekenen: de datum, bijv. 15-12-2025",
                                       examples=["15-12-2025"])


class CommitmentBody(_Body):
    """Nieuwe afspraak (toezegging) binnen prestatieafspraken."""

    REQUIRED = ("text", "theme")
    text: LongText | None = Field(None, description="wat wordt afgesproken (minstens 5 tekens)",
                                  examples=["Woonpartners levert 100 sociale huurwoningen op in 2027."])
    theme: Code | None = Field(None, description=f"thema: {_choices(THEMES)} (of het Nederlandse label)",
                               examples=["beschikbaarheid"])
    party_ids: PartyRefs = Field([], description="verantwoordelijke partijen (nummers of namen), partijen van de "
                                                 "afspraken")
    scope_kind: Keyword | None = Field(None, description=f"gebied: {_choices(SCOPE_KINDS)} (standaard gemeente)")
    scope_codes: Annotated[list[Code], Field(max_length=SCOPE_CODES_MAX)] | ListText | None = Field(
        None, description="CBS-codes van wijken of buurten in de gemeente, of het id van één gebiedsset")
    target_kind: Keyword | None = Field(None, description=f"soort doel: {_choices(TARGET_KINDS)}")
    output_unit: Name | None = Field(None, description="bij een prestatie: wat wordt geteld, bijv. 'sociale "
                                                       "huurwoningen opgeleverd'")
    indicator_id: Code | None = Field(None, description="bij een effectdoel: een indicator uit de catalogus, "
                                                        "bijv. lbm_score")
    baseline_value: Number | Short | None = Field(None, description="beginwaarde (leeg: de atlaswaarde)")
    baseline_year: Year | Short | None = Field(None, description="jaar van de nulmeting")
    target_value: Number | Short | None = Field(None, description="streefwaarde")
    target_year: Year | Short | None = Field(None, description="streefjaar")
    year_targets: Annotated[dict[Short, Amount | Short], Field(max_length=YEAR_TARGETS_MAX)] | ListText | None = Field(
        None, description="jaarschijven: gepland aantal (niet negatief) per jaar van de looptijd, als object "
                          "{\"2026\": 100} of als tekst '2026: 100; 2027: 120'", examples=[{"2026": 100, "2027": 120}])


class RealisationBody(_Body):
    """Melding van een realisatie (een tweede melding voor een jaar wordt een nieuwe versie)."""

    REQUIRED = ("year", "value")
    year: Year | Short | None = Field(None, description="jaar van de realisatie, binnen de looptijd",
                                      examples=[2026])
    value: Number | Short | None = Field(None, description="gerealiseerde waarde; bij een prestatie niet negatief",
                                         examples=[95])
    explanation: LongText = Field("", description="toelichting")
    reported_by_party_id: PartyRef | Annotated[list[PartyRef], Field(max_length=5)] | None = Field(
        None, description="de partij die meldt (standaard uw eigen verantwoordelijke partij)")


def raw(body: BaseModel) -> dict[str, Any]:
    """The body as the raw mapping ``services.parse_*`` reads (nested models as dicts)."""
    return body.model_dump()


# ---------------------------------------------------------------- Pydantic errors in Dutch

_BOUND_TYPES = ("string_too_long", "too_long", "less_than_equal", "less_than", "greater_than_equal",
                "greater_than", "finite_number")
_KINDS = {"int": "een geheel getal", "float": "een getal", "str": "tekst", "string": "tekst", "list": "een lijst",
          "dict": "een object", "bool": "ja of nee (true/false)", "model": "een object", "none": "leeg (null)"}


def _kind(error_type: str) -> str | None:
    for prefix, label in _KINDS.items():
        if error_type.startswith(prefix):
            return label
    return None


def _one(error: dict) -> str:
    kind, ctx, found = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "string_too_long":
        return too_long(ctx["max_length"], len(found) if isinstance(found, str) else ctx["max_length"] + 1)
    if kind == "too_long":
        return too_many(ctx["max_length"], ctx.get("actual_length") or ctx["max_length"] + 1)
    if kind in ("less_than_equal", "less_than"):
        return too_big(ctx.get("le", ctx.get("lt")), found)
    if kind in ("greater_than_equal", "greater_than"):
        limit = ctx.get("ge", ctx.get("gt"))
        return negative(found) if limit == 0 else too_small(limit, found)
    if kind == "finite_number":
        return f"Verwacht een eindig getal, gevonden {_shown(found)}."
    if kind == "missing":
        return "Verplicht: dit veld ontbreekt."
    if kind == "json_invalid":
        return f"Geen geldige JSON: {ctx.get('error', '')}".rstrip(": ") + "."
    return ""


def _message(errors: list[dict]) -> str:
    for error in errors:  # a limit says most: a too long text, a too large number
        if error["type"] in _BOUND_TYPES:
            return _one(error)
    for error in errors:
        text = _one(error)
        if text:
            return text
    kinds = list(dict.fromkeys(k for k in (_kind(e["type"]) for e in errors) if k))
    found = errors[0].get("input")
    expected = " of ".join(kinds) if kinds else "een andere waarde"
    return f"Verwacht {expected}, gevonden {_shown(found) if found is not None else 'niets'}."


def dutch_errors(errors: Iterable[dict]) -> dict[str, str]:
    """Pydantic's errors of a request body as ``{field: Dutch message}`` (one message per field)."""
    by_field: dict[str, list[dict]] = {}
    for error in errors:
        loc = tuple(error.get("loc") or ())
        field = loc[1] if len(loc) > 1 and loc[0] == "body" and isinstance(loc[1], str) else "body"
        by_field.setdefault(field, []).append(error)
    out = {field: _message(errs) for field, errs in by_field.items()}
    if "body" in out and any(e["type"] in ("missing", "model_attributes_type", "dict_type", "model_type")
                             for e in by_field["body"]):
        out["body"] = "Verwacht een JSON-object met de velden van deze bewerking (zie /docs)."
    return out
