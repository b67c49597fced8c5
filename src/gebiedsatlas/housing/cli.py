"""``gebiedsatlas woonprogramma …``: later 81955NED years from the cache, half-yearly snapshots, targets."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gebiedsatlas.config import Settings
from gebiedsatlas.housing import services as _services  # noqa: F401  (registers the realisation hook)

app = typer.Typer(help="Woonprogramma: woningvoorraad en mutaties, peilmomenten, doelen.", no_args_is_help=True)
console = Console()


def _session():
    from gebiedsatlas.store import db

    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    return settings, db.session_scope(settings.database_url)


def _actor():
    from gebiedsatlas.accounts.audit import Actor

    return Actor(f"opdrachtregel ({getpass.getuser()})", "systeembeheer")


@app.command("mutaties")
def stock_changes(cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="map van de cache")] = None
                  ) -> None:
    """Zet de opgehaalde jaren van CBS 81955NED (`gebiedsatlas fetch woningvoorraad`) in de atlas."""
    from gebiedsatlas.sources import stock_changes as reader
    from gebiedsatlas.sources.fetch.cache import default_cache_dir

    records = reader.import_cached(Settings.from_env().database_url, cache_dir or default_cache_dir())
    if not records:
        console.print("Geen opgehaalde gegevens in de cache. Haal ze eerst op met `gebiedsatlas fetch woningvoorraad`.")
        raise typer.Exit(1)
    n = len(records)
    years = sorted({r.year for r in records})
    console.print(f"{n} gemeente-jaren opgeslagen ({years[0]}–{years[-1]}).")


@app.command("peilmoment")
def snapshot(gemeente: Annotated[list[str], typer.Argument(help="gemeentecodes, bv. GM0034")]) -> None:
    """Bevries het projectregister van dit halfjaar (draai het elk halfjaar, bv. uit cron)."""
    from gebiedsatlas.housing import services

    _settings, scope = _session()
    with scope as session:
        for code in gemeente:
            try:
                snap = services.take_snapshot(session, code.strip().upper(), _actor())
                console.print(f"{code}: peilmoment {snap.label} met {len(snap.projects)} projecten.")
            except services.SnapshotExists as exc:
                console.print(f"{code}: {exc}")


@app.command("doelen")
def targets(gemeente: Annotated[str | None, typer.Argument(help="gemeentecode (leeg: alle doelen)")] = None) -> None:
    """Toon de doelen die gelden, met hun versie en bron."""
    from gebiedsatlas.housing.targets import current_targets
    from gebiedsatlas.housing.vocab import TARGET_SOURCES

    _settings, scope = _session()
    with scope as session:
        table = Table(title="Doelen woonprogramma")
        for column in ("sleutel", "doel", "versie", "bron"):
            table.add_column(column)
        for t in current_targets(session, gemeente.upper() if gemeente else None):
            table.add_row(t.key, t.text, str(t.version or "standaard"), TARGET_SOURCES[t.source_kind])
        console.print(table)
