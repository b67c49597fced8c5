"""Excel round-trip (openpyxl): a template to bulk-enter agreements, commitments, jaarschijven and
realisations; an all-or-nothing import with row-level validation; exports of an agreement and of the
monitoring overview.

The import runs every row through the same parsing and validation as the web forms
(``services``) inside a savepoint. Every error is collected with its sheet, row and column; if there
is any, the savepoint is rolled back and nothing is imported.

Keys tie the sheets together: an agreement row has a ``sleutel`` (any text, e.g. ``A1``) that
commitment rows refer to; a commitment row has a ``sleutel`` (e.g. ``A1-1``) that jaarschijf and
realisation rows refer to. ``#12`` refers to an agreement or commitment already stored (id 12), so
realisations for existing commitments can be imported too.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from gebiedsatlas.accounts.permissions import Action, Target, decide
from gebiedsatlas.accounts.principal import Principal
from gebiedsatlas.agreements import services
from gebiedsatlas.agreements.access import agreement_target, commitment_target
from gebiedsatlas.agreements.history import Actor
from gebiedsatlas.agreements.monitoring import commitment_views, monitoring_overview
from gebiedsatlas.agreements.parties import list_parties
from gebiedsatlas.agreements.serialize import latest_realisations
from gebiedsatlas.agreements.vocab import (
    AGREEMENT_STATUSES,
    PARTY_KINDS,
    PROGRESS_LABELS,
    SCOPE_KINDS,
    TARGET_KINDS,
    THEMES,
    TRANSITIONS,
)
from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.safe_cells import text_cells
from gebiedsatlas.store.agreements import Agreement, Commitment, Party

# sheet -> [(header, field, help)]
SHEETS: dict[str, list[tuple[str, str, str]]] = {
    "Afspraken": [
        ("sleutel", "key", "Eigen sleutel van deze afspraken, bijv. A1; bladen hieronder verwijzen ernaar."),
        ("titel", "title", "Bijv. Prestatieafspraken Nieuwegein 2026–2029."),
        ("gemeentecode", "gemeente_code", "CBS-code, bijv. GM0356."),
        ("beginjaar", "period_start", "Eerste jaar van de looptijd, bijv. 2026."),
        ("eindjaar", "period_end", "Laatste jaar van de looptijd, bijv. 2029."),
        ("partijen", "party_ids", "Namen van de partijen gescheiden door ; (zie blad Lijsten)."),
        ("status", "status", "concept, bod, getekend of afgerond (leeg = concept)."),
        ("datum bod", "bod_date", "Bijv. 01-07-2025."),
        ("datum ondertekening", "signed_on", "Verplicht bij status getekend of afgerond."),
        ("omschrijving", "description", "Vrije tekst."),
        ("documenten", "documents", "Eén per regel: titel | link of bestandsnaam."),
        ("fictief", "is_demo", "ja voor een fictief voorbeeld, anders leeg."),
    ],
    "Toezeggingen": [
        ("sleutel", "key", "Eigen sleutel van deze afspraak, bijv. A1-1."),
        ("afspraken", "agreement", "Sleutel van het blad Afspraken, of #id van opgeslagen afspraken."),
        ("tekst", "text", "Wat wordt afgesproken."),
        ("thema", "theme", "Zie blad Lijsten."),
        ("verantwoordelijk", "party_ids", "Namen van de verantwoordelijke partijen gescheiden door ;."),
        ("soort gebied", "scope_kind", "gemeente, wijk, buurt of gebiedsset (leeg = gemeente)."),
        ("gebiedscodes", "scope_codes", "CBS-codes gescheiden door ; (bijv. WK035601) of het id van de gebiedsset."),
        ("soort doel", "target_kind", "output (aantallen per jaar), outcome (atlasindicator) of none."),
        ("eenheid", "output_unit", "Bij output: wat wordt geteld."),
        ("indicator", "indicator_id", "Bij outcome: indicator-id uit de catalogus (blad Lijsten)."),
        ("nulmeting jaar", "baseline_year", "Bij outcome; leeg = laatste jaar in de atlas."),
        ("nulmeting waarde", "baseline_value", "Bij outcome; leeg = waarde uit de atlas."),
        ("streefwaarde", "target_value", "Bij outcome."),
        ("streefjaar", "target_year", "Bij outcome."),
    ],
    "Jaarschijven": [
        ("afspraak", "commitment", "Sleutel van het blad Toezeggingen, of #id van een opgeslagen afspraak."),
        ("jaar", "year", "Bijv. 2027."),
        ("gepland", "planned", "Gepland aantal in dat jaar."),
    ],
    "Realisaties": [
        ("afspraak", "commitment", "Sleutel van het blad Toezeggingen, of #id van een opgeslagen afspraak."),
        ("jaar", "year", "Jaar van de realisatie."),
        ("waarde", "value", "Gerealiseerd aantal of gemeten waarde."),
        ("gemeld door", "reported_by_party_id", "Naam van de verantwoordelijke partij die meldt."),
        ("toelichting", "explanation", "Verklaring van afwijkingen."),
    ],
}
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ImportSummary:
    agreements: int = 0
    commitments: int = 0
    year_targets: int = 0
    realisations: int = 0


class ExcelImportError(ValueError):
    """Every problem found in a workbook; nothing was imported."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} fout(en), er is niets geïmporteerd:\n" + "\n".join(map(str, errors)))


def _header_row(ws, columns: list[tuple[str, str, str]]) -> None:
    for i, (header, _field, help_text) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i, value=header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.comment = Comment(help_text, "Gebiedsatlas")
        ws.column_dimensions[get_column_letter(i)].width = max(14, min(48, len(help_text) // 2))
    ws.freeze_panes = "A2"


def _list_validation(ws, columns, field: str, options: Iterable[str]) -> None:
    index = [c[1] for c in columns].index(field) + 1
    letter = get_column_letter(index)
    dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
    dv.error, dv.errorTitle = "Kies een waarde uit de lijst.", "Ongeldige waarde"
    ws.add_data_validation(dv)
    dv.add(f"{letter}2:{letter}1000")


def _workbook(session: Session | None) -> Workbook:
    wb = Workbook()
    info = wb.active
    info.title = "Toelichting"
    lines = [
        "Gebiedsatlas – sjabloon prestatieafspraken",
        "",
        "Vul de bladen Afspraken, Toezeggingen, Jaarschijven en Realisaties; de kopregel blijft staan.",
        "Elke kolom heeft een opmerking met uitleg. Verwijzingen: sleutels uit het blad erboven,",
        "of #id voor afspraken die al in de Gebiedsatlas staan (het id staat in de adresbalk).",
        "Bij het importeren wordt elke rij gecontroleerd. Is er één fout, dan wordt níets",
        "geïmporteerd en krijgt u alle fouten met blad, rij en kolom.",
        "Een realisatie voor een jaar dat al gemeld is, wordt een nieuwe versie (de oude blijft bewaard).",
    ]
    for i, line in enumerate(lines, start=1):
        info.cell(row=i, column=1, value=line)
    info["A1"].font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 100
    for name, columns in SHEETS.items():
        ws = wb.create_sheet(name)
        _header_row(ws, columns)
    _list_validation(wb["Afspraken"], SHEETS["Afspraken"], "status", AGREEMENT_STATUSES)
    _list_validation(wb["Toezeggingen"], SHEETS["Toezeggingen"], "theme", THEMES)
    _list_validation(wb["Toezeggingen"], SHEETS["Toezeggingen"], "scope_kind", SCOPE_KINDS)
    _list_validation(wb["Toezeggingen"], SHEETS["Toezeggingen"], "target_kind", TARGET_KINDS)
    lists = wb.create_sheet("Lijsten")
    blocks = [("thema", "omschrijving", THEMES.items()),
              ("soort gebied", "omschrijving", SCOPE_KINDS.items()),
              ("soort doel", "omschrijving", TARGET_KINDS.items()),
              ("status", "omschrijving", AGREEMENT_STATUSES.items()),
              ("indicator", "omschrijving", ((i.id, f"{i.label} ({i.unit})")
                                             for i in load_catalogue().indicators.values()))]
    if session is not None:
        blocks.insert(0, ("partij", "soort", ((p.name, PARTY_KINDS[p.kind]) for p in list_parties(session))))
    col = 1
    for head, sub, items in blocks:
        lists.cell(row=1, column=col, value=head).font = Font(bold=True)
        lists.cell(row=1, column=col + 1, value=sub).font = Font(bold=True)
        for r, (a, b) in enumerate(items, start=2):
            lists.cell(row=r, column=col, value=a)
            lists.cell(row=r, column=col + 1, value=b)
        lists.column_dimensions[get_column_letter(col)].width = 34
        lists.column_dimensions[get_column_letter(col + 1)].width = 40
        col += 3
    return wb


def template_workbook(session: Session | None = None) -> bytes:
    """The empty template (with the parties, themes and indicators to choose from)."""
    return _save(_workbook(session))


def _save(wb: Workbook) -> bytes:
    """The workbook as xlsx bytes; every text cell is written as text, never as a formula (names and
    texts come from users: ``=HYPERLINK(...)`` must stay text, see ``gebiedsatlas.safe_cells``)."""
    text_cells(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- import

# Limits of an import. A small zip can unpack to gigabytes of sheet XML that openpyxl would read in
# full, so the package is inspected (its central directory only: the sizes every part declares, which
# zipfile never inflates beyond) before openpyxl opens it; rows are counted while they are read.
MAX_ROWS_PER_SHEET = 200_000
MAX_UNPACKED_BYTES = 100 * 2**20  # all parts of the package together, unpacked
MAX_SHARED_STRINGS_BYTES = 40 * 2**20  # the shared strings are held in memory whole
MAX_COMPRESSION_RATIO = 100  # for a part of more than RATIO_FROM_BYTES; real sheets pack 5–30×
RATIO_FROM_BYTES = 2**20
MAX_PARTS = 1_000
MAX_COLUMNS = 100  # header cells looked at per sheet

Source = bytes | str | Path | BinaryIO
# progress(phase, done, total): phase "lezen" (total None), "controleren" or "opslaan".
Progress = Callable[[str, int, int | None], None]


def _number(value: float) -> str:
    """Dutch thousands separator: 200.000."""
    return f"{value:,.0f}".replace(",", ".")


def _megabytes(size: int) -> str:
    return f"{_number(max(1, round(size / 2**20)))} MB"


def _readable(source: Source) -> BinaryIO | str | Path:
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    if hasattr(source, "seek"):
        source.seek(0)
    return source


def _unreadable(filename: str, exc: BaseException | None = None) -> ExcelImportError:
    return ExcelImportError([InputError(filename, "geen leesbaar Excel-bestand (.xlsx)",
                                        found=type(exc).__name__ if exc is not None else None)])


def check_package(source: Source, filename: str) -> None:
    """Refuse a file that is no xlsx package, or that unpacks to more than the limits allow, before any
    XML of it is read (``ExcelImportError`` naming the limit)."""
    try:
        with zipfile.ZipFile(_readable(source)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable(filename, exc) from None
    if not any(p.filename == "[Content_Types].xml" for p in parts):
        raise _unreadable(filename)
    advice = "verdeel de gegevens over meerdere bestanden"
    if len(parts) > MAX_PARTS:
        raise ExcelImportError([InputError(filename, f"het bestand bestaat uit {_number(len(parts))} onderdelen",
                                           expected=f"hoogstens {_number(MAX_PARTS)} onderdelen")])
    total = sum(p.file_size for p in parts)
    if total > MAX_UNPACKED_BYTES:
        raise ExcelImportError([InputError(
            filename, f"te groot om in te lezen: uitgepakt is het {_megabytes(total)}",
            expected=f"hoogstens {_megabytes(MAX_UNPACKED_BYTES)} uitgepakt; {advice}")])
    for part in parts:
        if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_COMPRESSION_RATIO * max(part.compress_size, 1):
            ratio = part.file_size / max(part.compress_size, 1)
            raise ExcelImportError([InputError(
                filename, f"ongewoon sterk ingepakt: onderdeel {part.filename} is uitgepakt {_number(ratio)} keer "
                          "zo groot (bijvoorbeeld een blad met heel veel lege of herhaalde cellen)",
                expected=f"hoogstens {MAX_COMPRESSION_RATIO} keer zo groot uitgepakt")])
        if part.filename.lower().endswith("sharedstrings.xml") and part.file_size > MAX_SHARED_STRINGS_BYTES:
            raise ExcelImportError([InputError(
                filename, f"te veel tekst: de gedeelde teksten zijn uitgepakt {_megabytes(part.file_size)}",
                expected=f"hoogstens {_megabytes(MAX_SHARED_STRINGS_BYTES)}; {advice}")])


def _rows(ws, columns, filename: str, errors: list[InputError], progress: Progress | None = None,
          done: int = 0) -> list[tuple[int, dict]]:
    # Read-only sheets trust the stored dimension, which some programs write wrongly (rows beyond it
    # would be skipped silently): read what is there, up to the columns that are needed.
    ws.reset_dimensions()
    first = next(ws.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
    headers = [str(v).strip().lower() if v is not None else "" for v in first]
    where = {}
    for header, field, _help in columns:
        if header in headers:
            where[field] = headers.index(header)
        else:
            errors.append(InputError(f"{filename}, blad {ws.title!r}", "kolom ontbreekt in de kopregel", row=1,
                                     column=header, expected=", ".join(c[0] for c in columns)))
    if len(where) < len(columns):
        return []
    out = []
    width = max(where.values()) + 1
    for row_number, row in enumerate(ws.iter_rows(min_row=2, max_col=width, values_only=True), start=2):
        if row_number > MAX_ROWS_PER_SHEET + 1:
            errors.append(InputError(f"{filename}, blad {ws.title!r}",
                                     f"meer dan {_number(MAX_ROWS_PER_SHEET)} rijen", row=row_number,
                                     expected=f"hoogstens {_number(MAX_ROWS_PER_SHEET)} rijen per blad; verdeel de "
                                              "gegevens over meerdere bestanden"))
            return []
        if progress is not None and row_number % 5000 == 0:
            progress("lezen", done + row_number, None)
        values = {field: row[i] for field, i in where.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        out.append((row_number, values))
    return out


def read_workbook(source: Source, filename: str = "werkboek.xlsx", progress: Progress | None = None
                  ) -> dict[str, list[tuple[int, dict]]]:
    """The rows of the four sheets as ``{sheet: [(row number, {field: value})]}``, read with openpyxl's
    read-only mode (the sheet XML is streamed, never held whole) after ``check_package``."""
    check_package(source, filename)
    errors: list[InputError] = []
    try:
        wb = load_workbook(_readable(source), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a non-xlsx file
        raise _unreadable(filename, exc) from None
    try:
        missing = [name for name in SHEETS if name not in wb.sheetnames]
        if missing:
            raise ExcelImportError([InputError(filename, "blad ontbreekt", column=name,
                                               expected=", ".join(SHEETS)) for name in missing])
        rows: dict[str, list[tuple[int, dict]]] = {}
        for name, columns in SHEETS.items():
            rows[name] = _rows(wb[name], columns, filename, errors, progress, sum(len(r) for r in rows.values()))
    except ExcelImportError:
        raise
    except Exception as exc:  # a damaged part shows only while it is read
        raise _unreadable(filename, exc) from None
    finally:
        wb.close()
    if errors:
        raise ExcelImportError(errors)
    return rows


def _column(columns, field: str) -> str:
    for i, (header, f, _help) in enumerate(columns, start=1):
        if f == field:
            return f"{get_column_letter(i)} ({header})"
    return field


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def import_workbook(session: Session, source: Source, actor: Actor, filename: str = "werkboek.xlsx", *,
                    principal: Principal | None = None, progress: Progress | None = None) -> ImportSummary:
    """Import a filled-in template (bytes, a path or a binary file): everything, or nothing when any row
    has an error.

    With a ``principal`` (an upload in the web app) every row passes the permission of what it does
    (``accounts.permissions.decide``): a new agreement must have the person's organisation as a party,
    a commitment, jaarschijf or realisation on a stored agreement needs the rights on that agreement,
    and statuses cannot be set (every party signs in the atlas). Without one (the command line, run by
    the operator of the server) statuses of agreements signed elsewhere may be recorded.

    ``progress(phase, done, total)`` is called now and then (the upload job shows it)."""
    rows = read_workbook(source, filename, progress)
    errors: list[InputError] = []
    summary = ImportSummary()
    savepoint = session.begin_nested()
    try:
        _apply(session, rows, actor, filename, errors, summary, principal, progress)
    except BaseException:
        savepoint.rollback()
        raise
    if errors:
        savepoint.rollback()
        raise ExcelImportError(errors)
    savepoint.commit()
    return summary


def _fail(errors, filename, sheet, row, columns, field, message) -> None:
    errors.append(InputError(f"{filename}, blad {sheet!r}", message, row=row, column=_column(columns, field)))


def _validation(errors, filename, sheet, row, columns, exc: services.ValidationFailed, rename=None) -> None:
    for field, message in exc.errors.items():
        _fail(errors, filename, sheet, row, columns, (rename or {}).get(field, field), message)


def _refusal(principal: Principal | None, action: Action, target: Target) -> str | None:
    """Why ``principal`` may not do this row (None: allowed, or no principal: the command line)."""
    if principal is None:
        return None
    decision = decide(principal, action, target)
    return None if decision.allowed else decision.reason


class _Lookups:
    """What many rows of one file refer to, looked up once: stored commitments by ``#id`` and parties
    by name. The objects are kept referenced here: the session holds only weak references, and an
    object it forgets is loaded again (with its agreement and parties) on the next row."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.commitments: dict[int, Commitment | None] = {}
        self.parties: dict[str, list] = {}
        self.refusals: dict[tuple, str | None] = {}

    def stored_commitment(self, commitment_id: int) -> Commitment | None:
        if commitment_id not in self.commitments:
            self.commitments[commitment_id] = self.session.get(Commitment, commitment_id)
        return self.commitments[commitment_id]

    def party_ids(self, text: str) -> list[int]:
        """The parties a cell names (ids or names separated by ;); [] when one is unknown."""
        if text not in self.parties:
            ids = services.parse_party_ids(self.session, {"p": text}, "p", {})
            self.parties[text] = [self.session.get(Party, i) for i in ids]
        return [p.id for p in self.parties[text]]

    def refusal(self, principal: Principal | None, action: Action, commitment: Commitment) -> str | None:
        key = (action, id(commitment))
        if key not in self.refusals:
            self.refusals[key] = _refusal(principal, action, commitment_target(commitment))
        return self.refusals[key]


def _apply(session: Session, rows: dict, actor: Actor, filename: str, errors: list, summary: ImportSummary,
           principal: Principal | None = None, progress: Progress | None = None) -> None:
    lookups = _Lookups(session)
    agreements: dict[str, Agreement | None] = {}
    # Statuses are applied last: signing needs the commitments of the later sheets.
    pending_status: list[tuple[Agreement, int, str]] = []
    cols = SHEETS["Afspraken"]
    for row, values in rows["Afspraken"]:
        key = _text(values["key"])
        if not key:
            _fail(errors, filename, "Afspraken", row, cols, "key", "Verplicht: geef een sleutel (bijv. A1).")
        elif key in agreements:
            _fail(errors, filename, "Afspraken", row, cols, "key", f"Sleutel {key!r} komt twee keer voor.")
        status = _text(values["status"]).lower() or "concept"
        if status not in AGREEMENT_STATUSES:
            _fail(errors, filename, "Afspraken", row, cols, "status",
                  f"Onbekende status {status!r}; kies uit {', '.join(AGREEMENT_STATUSES)}.")
        raw = {**values, "party_ids": _text(values["party_ids"]),
               "is_demo": "1" if _text(values["is_demo"]).lower() in ("ja", "1", "true") else ""}
        if principal is not None and status != "concept":
            _fail(errors, filename, "Afspraken", row, cols, "status",
                  "Bij een upload is de status altijd 'concept': bod, ondertekening en afronding geeft elke "
                  "partij zelf in de atlas.")
        refusal = _refusal(principal, Action.CREATE_AGREEMENT, Target(
            kind="afspraken", state="concept", party_ids=frozenset(services.parse_party_ids(session, raw, "party_ids",
                                                                                          {}))))
        if refusal:
            _fail(errors, filename, "Afspraken", row, cols, "party_ids", refusal)
        try:
            agreement = services.create_agreement(session, services.parse_agreement(session, raw), actor)
            agreements[key] = agreement
            summary.agreements += 1
        except services.ValidationFailed as exc:
            _validation(errors, filename, "Afspraken", row, cols, exc)
            agreements[key] = None
            continue
        pending_status.append((agreement, row, status))
    commitments: dict[str, Commitment | None] = {}
    cols = SHEETS["Toezeggingen"]
    for row, values in rows["Toezeggingen"]:
        key = _text(values["key"])
        if not key:
            _fail(errors, filename, "Toezeggingen", row, cols, "key", "Verplicht: geef een sleutel (bijv. A1-1).")
        elif key in commitments:
            _fail(errors, filename, "Toezeggingen", row, cols, "key", f"Sleutel {key!r} komt twee keer voor.")
        agreement = _agreement_ref(session, _text(values["agreement"]), agreements)
        if agreement is None:
            if _text(values["agreement"]) not in agreements:  # a broken parent row already has its error
                _fail(errors, filename, "Toezeggingen", row, cols, "agreement",
                      f"Onbekende afspraken {_text(values['agreement'])!r}: geef een sleutel van het blad "
                      "Afspraken of #id.")
            commitments[key] = None
            continue
        raw = {**values, "party_ids": _text(values["party_ids"]), "scope_codes": _text(values["scope_codes"])}
        refusal = _refusal(principal, Action.ADD_COMMITMENT, agreement_target(agreement))
        if refusal:
            _fail(errors, filename, "Toezeggingen", row, cols, "agreement", refusal)
            commitments[key] = None
            continue
        try:
            commitment = services.add_commitment(session, agreement,
                                                 services.parse_commitment(session, agreement, raw), actor)
            commitments[key] = commitment
            summary.commitments += 1
        except services.ValidationFailed as exc:
            _validation(errors, filename, "Toezeggingen", row, cols, exc)
            commitments[key] = None
    cols = SHEETS["Jaarschijven"]
    for row, values in rows["Jaarschijven"]:
        commitment = _commitment_ref(lookups, _text(values["commitment"]), commitments, errors, filename,
                                     "Jaarschijven", row, cols)
        local: dict[str, str] = {}
        year = services.parse_int(values, "year", local, required=True, label="een jaar")
        planned = services.parse_float(values, "planned", local, required=True, label="een gepland aantal")
        if planned is not None and planned < 0:
            local["planned"] = "Een gepland aantal kan niet negatief zijn."
        if commitment is not None and commitment.target_kind != "output":
            local["commitment"] = "Jaarschijven horen bij een afspraak met soort doel 'output'."
        stored_before = commitment is not None and all(commitment is not c for c in commitments.values())
        if stored_before and "commitment" not in local:  # new commitments of this file come with theirs
            refusal = lookups.refusal(principal, Action.EDIT_YEAR_TARGETS, commitment)
            if refusal:
                local["commitment"] = refusal
        for field, message in local.items():
            _fail(errors, filename, "Jaarschijven", row, cols, field, message)
        if commitment is not None and not local:
            services.set_year_targets(session, commitment, {year: planned}, actor)
            summary.year_targets += 1
    # Realisations are validated row by row and then stored in bulk (the same versions and history
    # lines as one by one, ``services.report_realisations``): a file may hold a hundred thousand.
    cols = SHEETS["Realisaties"]
    reported: list[tuple[Commitment, services.RealisationInput]] = []
    total = len(rows["Realisaties"])
    for n, (row, values) in enumerate(rows["Realisaties"], start=1):
        if progress is not None and n % 2000 == 0:
            progress("controleren", n, total)
        commitment = _commitment_ref(lookups, _text(values["commitment"]), commitments, errors, filename,
                                     "Realisaties", row, cols)
        if commitment is None:
            continue
        party = _text(values["reported_by_party_id"])
        party_ids = lookups.party_ids(party)
        refusal = lookups.refusal(principal, Action.REPORT_REALISATION, commitment)
        if refusal is None and principal is not None and (not party_ids or party_ids[0] not in principal.party_ids):
            refusal = "U meldt een realisatie namens uw eigen organisatie."
        if refusal:
            _fail(errors, filename, "Realisaties", row, cols, "commitment", refusal)
            continue
        try:
            # A known party goes in by id (found in the session), an unknown one by its text (for the message).
            reported.append((commitment, services.parse_realisation(
                session, commitment, {**values, "reported_by_party_id": party_ids or party})))
        except services.ValidationFailed as exc:
            _validation(errors, filename, "Realisaties", row, cols, exc)
    if progress is not None and total:
        progress("controleren", total, total)
    if reported and not errors:  # with errors nothing is kept: no need to write
        if progress is not None:
            progress("opslaan", 0, len(reported))
        summary.realisations += services.report_realisations(session, reported, actor)
    cols = SHEETS["Afspraken"]
    for agreement, row, status in pending_status:
        path = {"concept": [], "bod": ["bod"], "getekend": ["bod", "getekend"],
                "afgerond": ["bod", "getekend", "afgerond"]}.get(status, [])
        try:
            for step in path:
                if step in TRANSITIONS[agreement.status]:
                    services.change_status(session, agreement, step, actor)
        except services.ValidationFailed as exc:
            _validation(errors, filename, "Afspraken", row, cols, exc)
        except services.NotAllowed as exc:
            _fail(errors, filename, "Afspraken", row, cols, "status", str(exc))


def _agreement_ref(session: Session, ref: str, agreements: dict) -> Agreement | None:
    if ref.startswith("#") and ref[1:].isdigit():
        return session.get(Agreement, int(ref[1:]))
    return agreements.get(ref)


def _commitment_ref(lookups: _Lookups, ref: str, commitments: dict, errors, filename, sheet, row,
                    cols) -> Commitment | None:
    if ref.startswith("#") and ref[1:].isdigit() and len(ref) <= 12:
        found = lookups.stored_commitment(int(ref[1:]))
        if found is None:
            _fail(errors, filename, sheet, row, cols, "commitment", f"Er is geen opgeslagen afspraak {ref}.")
        return found
    if ref not in commitments:
        _fail(errors, filename, sheet, row, cols, "commitment",
              f"Onbekende afspraak {ref!r}: geef een sleutel van het blad Toezeggingen of #id.")
        return None
    return commitments[ref]  # None when that row had errors (already reported there)


# ---------------------------------------------------------------- exports

def _cell_value(value):
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return value


def _append(ws, values) -> None:
    ws.append([_cell_value(v) for v in values])


def agreement_workbook(session: Session, agreement: Agreement, reference_year: int | None = None) -> bytes:
    """One agreement in the template layout (re-importable), plus a sheet with the progress."""
    wb = _workbook(session)
    key = f"A{agreement.id}"
    _append(wb["Afspraken"], [
        key, agreement.title, agreement.gemeente_code, agreement.period_start, agreement.period_end,
        [ap.party.name for ap in agreement.parties], agreement.status, agreement.bod_date, agreement.signed_on,
        agreement.description, "\n".join(f"{d['title']} | {d['href']}" for d in agreement.documents or []),
        "ja" if agreement.is_demo else ""])
    for c in agreement.commitments:
        ckey = f"{key}-{c.number}"
        scope = [] if c.scope_kind == "gemeente" else list(c.scope_codes or [])
        _append(wb["Toezeggingen"], [
            ckey, key, c.text, c.theme, [cp.party.name for cp in c.parties], c.scope_kind, scope, c.target_kind,
            c.output_unit, c.indicator_id, c.baseline_year, c.baseline_value, c.target_value, c.target_year])
        for t in c.year_targets:
            _append(wb["Jaarschijven"], [ckey, t.year, t.planned])
        for r in latest_realisations(c).values():
            _append(wb["Realisaties"], [ckey, r.year, r.value, r.reported_by.name if r.reported_by else None,
                                        r.explanation])
    ws = wb.create_sheet("Voortgang", 1)
    _header_row(ws, [("nr", "", "Nummer van de afspraak"), ("afspraak", "", "Tekst"),
                     ("thema", "", "Thema"), ("status", "", "Afgeleide status"),
                     ("toelichting", "", "Hoe de status is bepaald"), ("SMART-bevindingen", "", "SMART-check"),
                     ("atlasreeks", "", "Effectdoelen: de gebiedsindeling van de atlasreeks en de omgerekende jaren")])
    for view in commitment_views(session, agreement, reference_year):
        c = view.commitment
        _append(ws, [c.number, c.text, THEMES.get(c.theme, c.theme), PROGRESS_LABELS[view.progress.status],
                     view.progress.explanation, "; ".join(i.message for i in view.issues),
                     view.progress.basis.note if view.progress.basis else None])
    for col in "BEG":
        ws.column_dimensions[col].width = 60
        for cell in ws[col]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if agreement.is_demo:
        wb["Toelichting"].insert_rows(1)
        wb["Toelichting"]["A1"] = "FICTIEF VOORBEELD – geen echte afspraken"
        wb["Toelichting"]["A1"].font = Font(bold=True, color="C00000", size=14)
    _open_on(wb, "Voortgang")
    return _save(wb)


def _open_on(wb: Workbook, title: str) -> None:
    """Open the workbook on ``title`` (the data), not on the instructions sheet: Excel opens the active
    sheet, and a sheet left "selected" would be grouped with it (edits would go to both)."""
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == title
    wb.active = wb.worksheets.index(wb[title])


def monitoring_workbook(session: Session, *, demo: bool = False, reference_year: int | None = None,
                        viewer: Principal | None = None) -> bytes:
    """The monitoring overview: status counts per theme, party and gemeente, every commitment, and the
    comparison of what corporations committed in each town."""
    overview = monitoring_overview(session, demo=demo, reference_year=reference_year, viewer=viewer)
    wb = Workbook()
    info = wb.active
    info.title = "Toelichting"
    info["A1"] = ("FICTIEF VOORBEELD – " if demo else "") + "Monitoring prestatieafspraken New Town Alliantie"
    info["A1"].font = Font(bold=True, size=14, color="C00000" if demo else "000000")
    info["A2"] = f"Peiljaar {overview['reference_year']}; {overview['agreements']} afspraken, " \
                 f"{overview['commitments']} toezeggingen. Aangemaakt {datetime.now():%d-%m-%Y %H:%M}."
    info["A3"] = "Statusregel: zie /afspraken/statusregels in de Gebiedsatlas."
    if overview["series_basis"]:
        info["A4"] = overview["series_basis"].note
    labels = list(PROGRESS_LABELS.values())
    for title, key, head in (("Per thema", "per_theme", "thema"), ("Per partij", "per_party", "partij"),
                             ("Per gemeente", "per_gemeente", "gemeente")):
        ws = wb.create_sheet(title)
        _header_row(ws, [(head, "", head)] + [(lab, "", lab) for lab in labels] + [("totaal", "", "totaal")])
        for name, counts in overview[key].items():
            _append(ws, [name, *counts.values(), sum(counts.values())])
    ws = wb.create_sheet("Toezeggingen")
    _header_row(ws, [(h, "", h) for h in ("afspraken", "gemeente", "nr", "afspraak", "thema", "verantwoordelijk",
                                          "status", "toelichting", "atlasreeks")])
    for agreement, view in overview["rows"]:
        c = view.commitment
        _append(ws, [agreement.title, agreement.gemeente_code, c.number, c.text, THEMES.get(c.theme, c.theme),
                     [cp.party.name for cp in c.parties], PROGRESS_LABELS[view.progress.status],
                     view.progress.explanation, view.progress.basis.note if view.progress.basis else None])
    ws = wb.create_sheet("Vergelijking corporaties")
    _header_row(ws, [(h, "", h) for h in ("corporatie", "gemeente", "afspraken", "gepland in de looptijd",
                                          "thema's")])
    for corporation, towns in overview["comparison"].items():
        for town, cell in towns.items():
            _append(ws, [corporation, town, cell["commitments"],
                         "; ".join(f"{unit}: {amount:g}" for unit, amount in cell["output"].items()),
                         "; ".join(f"{t} ({n})" for t, n in cell["themes"].items())])
    return _save(wb)


def write_template(path: Path, session: Session | None = None) -> Path:
    path.write_bytes(template_workbook(session))
    return path

