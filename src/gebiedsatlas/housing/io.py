"""CSV and Excel in and out for the woonprogramma: the project register and a party's own stock.

Imports are all-or-nothing: every row is checked first, every error is collected (file, sheet, row,
column and what was expected), and only a file without errors is written, in one transaction. Exports
write text through ``safe_cells`` (never a formula) and can be imported again as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gebiedsatlas.accounts import audit
from gebiedsatlas.accounts.audit import Actor
from gebiedsatlas.accounts.permissions import Action, Target, decide
from gebiedsatlas.accounts.principal import Principal
from gebiedsatlas.agreements.excel import ExcelImportError, check_package
from gebiedsatlas.errors import InputError
from gebiedsatlas.housing import projects as register
from gebiedsatlas.housing.vocab import KINDS, PHASES, SEGMENTS
from gebiedsatlas.safe_cells import csv_text, text_cells
from gebiedsatlas.store.agreements import Party
from gebiedsatlas.store.housing import PartyStock, PartyStockUpload, Project
from gebiedsatlas.store.models import Area

PROJECT_SHEET = "Projecten"
STOCK_SHEET = "Voorraad"
PROJECT_COLUMNS = ("id", "naam", "gebied", "partij", "soort", "fase", "opleverjaar", "fase_sinds", "naar_segment",
                   *SEGMENTS, "toelichting")
REQUIRED_PROJECT = ("naam", "gebied", "partij", "soort", "fase", "opleverjaar")
STOCK_COLUMNS = ("buurtcode", "sociale_huur", "middenhuur", "vrije_huur")
MAX_ROWS = 20_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportFailed(ValueError):
    """Every problem found in a file; nothing was imported."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} fout(en), er is niets geïmporteerd:\n" + "\n".join(map(str, errors)))


def _cell(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_table(data: bytes, filename: str, sheet: str, columns: Iterable[str], required: Iterable[str]
               ) -> tuple[str, list[tuple[int, dict]]]:
    """Rows of a CSV (``,`` or ``;``, UTF-8) or of sheet ``sheet`` of an xlsx file, as (where, rows)."""
    columns, required = tuple(columns), tuple(required)
    if data[:2] == b"PK":
        try:
            check_package(data, filename)
        except ExcelImportError as exc:
            raise ImportFailed(exc.errors) from None
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise ImportFailed([InputError(filename, "geen leesbaar Excel-bestand (.xlsx)",
                                           found=type(exc).__name__)]) from None
        try:
            if sheet not in wb.sheetnames:
                raise ImportFailed([InputError(filename, "blad ontbreekt", column=sheet,
                                               expected=f"een blad {sheet!r}")])
            ws = wb[sheet]
            ws.reset_dimensions()
            raw_rows = [list(r) for r in ws.iter_rows(max_col=len(columns) + 10, max_row=MAX_ROWS + 2,
                                                      values_only=True)]
        finally:
            wb.close()
        where = f"{filename}, blad {sheet!r}"
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFailed([InputError(filename, "geen UTF-8-tekst", expected="een CSV-bestand in UTF-8 of een "
                                                                                   "Excel-bestand (.xlsx)")]) from None
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        raw_rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        where = filename
    if not raw_rows:
        raise ImportFailed([InputError(where, "het bestand is leeg", row=1, expected=", ".join(columns))])
    headers = [str(h or "").strip().lower() for h in raw_rows[0]]
    missing = [c for c in required if c not in headers]
    if missing:
        raise ImportFailed([InputError(where, "kolom ontbreekt in de kopregel", row=1, column=c,
                                       expected=", ".join(columns)) for c in missing])
    if len(raw_rows) > MAX_ROWS + 1:
        raise ImportFailed([InputError(where, f"meer dan {MAX_ROWS} rijen", row=MAX_ROWS + 2,
                                       expected="verdeel de gegevens over meerdere bestanden")])
    index = {c: headers.index(c) for c in columns if c in headers}
    rows = []
    for number, raw in enumerate(raw_rows[1:], start=2):
        values = {c: _cell(raw[i]) if i < len(raw) else None for c, i in index.items()}
        if all(v is None for v in values.values()):
            continue
        rows.append((number, values))
    return where, rows


# ---------------------------------------------------------------- projects

@dataclass
class ProjectImport:
    created: int = 0
    updated: int = 0


def may_edit(principal: Principal, party_id: int) -> bool:
    return decide(principal, Action.EDIT_PROJECT, Target(kind="project", party_ids=frozenset({party_id}))).allowed


def import_projects(session: Session, gemeente_code: str, data: bytes, filename: str, principal: Principal,
                    actor: Actor, today: date | None = None) -> ProjectImport:
    """Create (no id) or change (id of a project of this gemeente) every row, or nothing."""
    where, rows = read_table(data, filename, PROJECT_SHEET, PROJECT_COLUMNS, REQUIRED_PROJECT)
    today = today or audit.now().date()
    errors: list[InputError] = []
    checked: list[tuple[Project | None, register.ProjectData]] = []
    for number, raw in rows:
        existing = None
        if raw.get("id") is not None:
            ref = str(raw["id"]).strip().removesuffix(".0")
            existing = session.get(Project, int(ref)) if ref.isdigit() else None
            if existing is None or existing.gemeente_code != gemeente_code or existing.scenario_id is not None:
                errors.append(InputError(where, "onbekend project in deze gemeente", row=number, column="id",
                                         expected="leeg (nieuw project) of het id uit een export", found=raw["id"]))
                continue
        try:
            data_row = register.parse_project(session, gemeente_code, raw, where, number, today)
        except InputError as exc:
            errors.append(exc)
            continue
        for party_id in {data_row.party_id, *([existing.party_id] if existing else [])}:
            if not may_edit(principal, party_id):
                name = session.get(Party, party_id).name
                errors.append(InputError(where, f"u mag geen projecten van {name} bewerken", row=number,
                                         column="partij" if party_id == data_row.party_id else "id"))
                break
        else:
            checked.append((existing, data_row))
    if errors:
        raise ImportFailed(errors)
    summary = ProjectImport()
    for existing, data_row in checked:
        if existing is None:
            register.create(session, data_row, actor)
            summary.created += 1
        else:
            if data_row.phase_since and data_row.phase == existing.phase:
                data_row = register.ProjectData(**{**data_row.__dict__, "phase_since": existing.phase_since})
            register.update(session, existing, data_row, actor)
            summary.updated += 1
    return summary


def _project_rows(session: Session, projects: list[register.ProjectData]) -> list[list]:
    parties = dict(session.execute(select(Party.id, Party.name)).all())
    return [[p.id, p.name, p.area_code, parties.get(p.party_id, p.party_id), p.kind, p.phase, p.planned_year,
             p.phase_since.isoformat() if p.phase_since else None, p.to_segment or None,
             *[p.lines.get(s) for s in SEGMENTS], p.note or None] for p in projects]


def projects_csv(session: Session, projects: list[register.ProjectData]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PROJECT_COLUMNS)
    for row in _project_rows(session, projects):
        writer.writerow(["" if v is None else csv_text(v) if isinstance(v, str) else v for v in row])
    return buffer.getvalue()


def projects_workbook(session: Session, projects: list[register.ProjectData]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = PROJECT_SHEET
    ws.append(list(PROJECT_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in _project_rows(session, projects):
        ws.append(row)
    help_sheet = wb.create_sheet("Toelichting")
    for line in (["kolom", "betekenis"], ["id", "leeg voor een nieuw project; het id uit een export om te wijzigen"],
                 ["gebied", "wijk- of buurtcode (of de exacte naam) in de gemeente"],
                 ["partij", "naam van de partij (uw eigen organisatie)"],
                 ["soort", ", ".join(KINDS)], ["fase", ", ".join(PHASES)],
                 ["opleverjaar", "gepland jaar van oplevering"], ["fase_sinds", "datum JJJJ-MM-DD (leeg: vandaag)"],
                 ["naar_segment", "bij verkoop/liberalisatie: het segment waar de woningen naartoe gaan"],
                 *[[s, f"aantal woningen {label}"] for s, label in SEGMENTS.items()]):
        help_sheet.append(line)
    text_cells(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- a party's own stock

def import_party_stock(session: Session, party_id: int, data: bytes, filename: str, reference_year: int,
                       actor: Actor) -> PartyStockUpload:
    """A new version of the party's stock per buurt (every row checked; any error: nothing stored)."""
    where, rows = read_table(data, filename, STOCK_SHEET, STOCK_COLUMNS, STOCK_COLUMNS)
    errors: list[InputError] = []
    known = set(session.scalars(select(Area.code).where(Area.level == "buurt")))
    seen: dict[str, int] = {}
    lines: list[tuple[str, str, int]] = []
    for number, raw in rows:
        code = str(raw.get("buurtcode") or "").strip().upper()
        if code not in known:
            errors.append(InputError(where, "onbekende buurtcode", row=number, column="buurtcode",
                                     expected="een CBS-buurtcode zoals BU00340101", found=raw.get("buurtcode")))
            continue
        if code in seen:
            errors.append(InputError(where, f"buurt staat er twee keer in (ook rij {seen[code]})", row=number,
                                     column="buurtcode", found=code))
            continue
        seen[code] = number
        for segment in STOCK_COLUMNS[1:]:
            value = raw.get(segment)
            if value is None:
                continue
            try:
                n = float(str(value).replace(",", "."))
            except ValueError:
                n = -1.0
            if n < 0 or n != int(n) or n > 100_000:
                errors.append(InputError(where, "geen geldig aantal woningen", row=number, column=segment,
                                         expected="een geheel getal van 0 tot 100000 (of leeg)", found=value))
                continue
            lines.append((code, segment, int(n)))
    if not rows:
        errors.append(InputError(where, "geen gegevens onder de kopregel", row=2))
    if errors:
        raise ImportFailed(errors)
    version = (session.scalar(select(func.max(PartyStockUpload.version))
                              .where(PartyStockUpload.party_id == party_id)) or 0) + 1
    upload = PartyStockUpload(party_id=party_id, version=version, reference_year=reference_year,
                              filename=Path(filename).name[:200], row_count=len(rows), uploaded_at=audit.now(),
                              uploaded_by=actor.user, organisation=actor.organisation or "")
    session.add(upload)
    session.flush()
    session.add_all(PartyStock(upload_id=upload.id, area_code=c, segment=s, dwellings=n) for c, s, n in lines)
    audit.record(session, actor, "woonprogramma.voorraad", object_type="partij", object_id=party_id,
                 detail=f"versie {version}, peiljaar {reference_year}, {len(rows)} buurten uit {upload.filename}")
    return upload
