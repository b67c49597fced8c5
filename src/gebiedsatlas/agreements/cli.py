"""``gebiedsatlas afspraken …``: seed parties, load the fictional demo, Excel template/import/export."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gebiedsatlas.config import Settings

app = typer.Typer(help="Prestatieafspraken: partijen, voorbeeld, Excel-sjabloon, import en export.",
                  no_args_is_help=True)
console = Console()


def _session():
    from gebiedsatlas.store import db

    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    return settings, db.session_scope(settings.database_url)


@app.command("partijen")
def seed() -> None:
    """Zet de ondertekenaars van de New Town Alliantie (7 gemeenten, 17 corporaties) in de database."""
    from gebiedsatlas.agreements.parties import seed_signatories

    settings, scope = _session()
    with scope as session:
        added = seed_signatories(session, settings.data_dir)
    console.print(f"{added} partijen toegevoegd.")


@app.command("demo")
def demo() -> None:
    """Laad de FICTIEVE voorbeeldafspraken (gemarkeerd als 'Fictief voorbeeld')."""
    from gebiedsatlas.agreements.demo import load_demo
    from gebiedsatlas.agreements.parties import seed_signatories

    settings, scope = _session()
    with scope as session:
        seed_signatories(session, settings.data_dir)
        agreements = load_demo(session)
        for a in agreements:
            console.print(f"[bold]#{a.id}[/bold] {a.title} ({len(a.commitments)} afspraken, status {a.status})")
    console.print("[yellow]Let op: dit zijn fictieve gegevens, alleen voor demonstratie.[/yellow]")


@app.command("excel-template")
def excel_template(path: Annotated[Path, typer.Argument(help="waar het sjabloon komt")] = Path(
        "prestatieafspraken-sjabloon.xlsx")) -> None:
    """Schrijf het Excel-sjabloon om afspraken, jaarschijven en realisaties in te voeren."""
    from gebiedsatlas.agreements.excel import write_template
    from gebiedsatlas.agreements.parties import seed_signatories

    settings, scope = _session()
    with scope as session:
        seed_signatories(session, settings.data_dir)
        write_template(path, session)
    console.print(f"Sjabloon geschreven: {path}")


@app.command("import-excel")
def import_excel(
    path: Annotated[Path, typer.Argument(help="ingevuld sjabloon (.xlsx)")],
    gebruiker: Annotated[str, typer.Option(help="wie importeert")] = "",
    organisatie: Annotated[str, typer.Option(help="namens welke organisatie")] = "",
) -> None:
    """Importeer een ingevuld sjabloon: alles, of niets als er één fout is."""
    from gebiedsatlas.agreements.excel import ExcelImportError, import_workbook
    from gebiedsatlas.agreements.history import Actor
    from gebiedsatlas.agreements.parties import seed_signatories

    if not path.exists():
        console.print(f"[red]{path}: bestand bestaat niet.[/red]")
        raise typer.Exit(1)
    settings, scope = _session()
    try:
        with scope as session:
            seed_signatories(session, settings.data_dir)
            # The operator of the server; --gebruiker/--organisatie only say on whose behalf.
            operator = f"{gebruiker + ' via ' if gebruiker else ''}opdrachtregel ({getpass.getuser()})"
            summary = import_workbook(session, path.read_bytes(), Actor(operator, organisatie or "systeembeheer"),
                                      path.name)
    except ExcelImportError as exc:
        console.print(f"[red]Niets geïmporteerd: {len(exc.errors)} fout(en).[/red]")
        for error in exc.errors:
            console.print(f"  {error}")
        raise typer.Exit(1) from None
    console.print(f"Geïmporteerd: {summary.agreements} afspraken, {summary.commitments} toezeggingen, "
                  f"{summary.year_targets} jaarschijven, {summary.realisations} realisaties.")


@app.command("export")
def export(agreement_id: int, path: Path) -> None:
    """Exporteer één set afspraken met voortgang naar Excel."""
    from gebiedsatlas.agreements.excel import agreement_workbook
    from gebiedsatlas.store.agreements import Agreement

    _settings, scope = _session()
    with scope as session:
        agreement = session.get(Agreement, agreement_id)
        if agreement is None:
            console.print(f"[red]Geen afspraken met id {agreement_id}.[/red]")
            raise typer.Exit(1)
        path.write_bytes(agreement_workbook(session, agreement))
    console.print(f"Geschreven: {path}")


@app.command("monitoring")
def monitoring(path: Path, demo: Annotated[bool, typer.Option(help="het fictieve voorbeeld")] = False) -> None:
    """Exporteer het monitoringsoverzicht (status per thema, partij en gemeente) naar Excel."""
    from gebiedsatlas.agreements.excel import monitoring_workbook

    _settings, scope = _session()
    with scope as session:
        path.write_bytes(monitoring_workbook(session, demo=demo))
    console.print(f"Geschreven: {path}")
