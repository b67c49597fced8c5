"""The ``gebiedsatlas`` command: a thin layer over the packages that do the work."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gebiedsatlas.accounts.cli import app as accounts_app
from gebiedsatlas.agreements.cli import app as agreements_app
from gebiedsatlas.analysis.cli import app as analysis_app
from gebiedsatlas.areas.crosswalk_cli import crosswalk
from gebiedsatlas.config import Settings
from gebiedsatlas.errors import InputError
from gebiedsatlas.housing.cli import app as housing_app
from gebiedsatlas.sources.fetch.cli import fetch_app

DEBUG_ENV = "GEBIEDSATLAS_DEBUG"


class _Cli(typer.Typer):
    """The command line; a fault of the store or the disk ends in one Dutch sentence that says what to
    do (``store/faults.py``: busy, disk full, read-only, PostgreSQL unreachable), exit code 1, without
    traceback, SQL or parameters. ``--debug`` (or GEBIEDSATLAS_DEBUG=1) shows the traceback instead."""

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            if _debug():
                raise
            from gebiedsatlas.store import faults

            url = os.environ.get("GEBIEDSATLAS_DATABASE_URL") or Settings.from_env().database_url
            message = faults.describe(exc, url)
            if message is None and faults.is_database_error(exc):
                message = ("De database gaf een onverwachte fout; voer de opdracht opnieuw uit met --debug voor de "
                           "details.")
            if message is None:
                raise
            typer.echo(message, err=True)
            sys.exit(1)


def _debug() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "ja", "yes", "on")


app = _Cli(help="Gebiedsatlas: de gezamenlijke gebiedsatlas van de New Town Alliantie.",
           no_args_is_help=True, pretty_exceptions_enable=False)
console = Console()
app.add_typer(fetch_app, name="fetch")
app.command("crosswalk")(crosswalk)
app.add_typer(agreements_app, name="afspraken")
app.add_typer(housing_app, name="woonprogramma")
app.add_typer(analysis_app, name="analyse")
app.add_typer(accounts_app, name="gebruikers")


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", envvar=DEBUG_ENV,
                                            help="toon bij een fout de volledige traceback")] = False) -> None:
    """Gebiedsatlas: de gezamenlijke gebiedsatlas van de New Town Alliantie."""
    if debug:
        os.environ[DEBUG_ENV] = "1"


@app.command("import")
def import_data(
    data_dir: Annotated[Path | None, typer.Option(help="map met de gebundelde gegevens")] = None,
    cache: Annotated[bool, typer.Option("--cache",
                                        help="ook de opgehaalde bronnen (gebiedsatlas fetch) laden")] = False,
) -> None:
    """Laad de gebundelde gegevens (CBS, Leefbaarometer, grenzen) in de database."""
    from gebiedsatlas.sources.fetch.cache import default_cache_dir
    from gebiedsatlas.sources.fetch.cached import CacheReport, cached_sources
    from gebiedsatlas.sources.importer import IMPORT_STEPS, import_bundled

    cache_report = CacheReport()
    extra = cached_sources(default_cache_dir(), cache_report) if cache else None

    settings = Settings.from_env()
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("Importeren", total=IMPORT_STEPS)

        def report(message: str) -> None:
            progress.update(task, description=message, advance=1)

        try:
            summary = import_bundled(settings.database_url, data_dir or settings.data_dir, report, extra)
        except InputError as exc:
            progress.stop()
            console.print(f"[red]Import afgebroken, er is niets gewijzigd.[/red]\n{exc}")
            raise typer.Exit(1) from None
    if cache:  # the fetched years of 81955NED (woonprogramma) sit beside the KWB, in their own table
        from gebiedsatlas.sources.stock_changes import import_cached

        if changes := import_cached(settings.database_url, default_cache_dir()):
            cache_report.read.append(f"CBS 81955NED: {len(changes)} gemeente-jaren woningvoorraad en mutaties")
    for line in cache_report.read + cache_report.notes:
        console.print(line)
    _print_summary(summary)


def _print_summary(summary: dict) -> None:
    table = Table(title=f"Import klaar in {summary['seconds']} s")
    table.add_column("bron")
    table.add_column("waarden", justify="right")
    table.add_column("status")
    table.add_column("perioden / grenzen")
    for source_id, info in summary["sources"].items():
        status = ", ".join(f"{k} {v:,}".replace(",", ".") for k, v in info.get("status", {}).items())
        extra = ", ".join(map(str, info.get("periods", [])))
        if "geometries" in info:
            extra = f"{info['geometries']} grenzen"
        table.add_row(source_id, f"{info.get('observations', 0):,}".replace(",", "."), status, extra)
    console.print(table)
    areas = ", ".join(f"{v:,} {k}".replace(",", ".") for k, v in summary["areas"].items())
    console.print(f"Gebieden: {areas}. Indicatoren: {summary['indicators']}.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="GEBIEDSATLAS_HOST", help="adres om op te luisteren")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="GEBIEDSATLAS_PORT", help="poort")] = 8000,
    workers: Annotated[int, typer.Option(envvar="GEBIEDSATLAS_WORKERS", help="aantal werkprocessen")] = 1,
    log_format: Annotated[str, typer.Option(envvar="GEBIEDSATLAS_LOG_FORMAT",
                                            help="logregels op stderr: json (één JSON-object per regel) of text")
                          ] = "json",
    log_level: Annotated[str, typer.Option(envvar="GEBIEDSATLAS_LOG_LEVEL",
                                           help="debug, info, warning of error")] = "info",
    forwarded_allow_ips: Annotated[str, typer.Option(
        envvar="GEBIEDSATLAS_FORWARDED_ALLOW_IPS",
        help="adressen van vertrouwde reverse proxies (komma's; * = alle) waarvan X-Forwarded-For en "
             "X-Forwarded-Proto gelden")] = "127.0.0.1",
) -> None:
    """Start de webatlas en de API (http://127.0.0.1:8000). Instellingen ook via GEBIEDSATLAS_*-variabelen."""
    import logging
    import logging.config

    import uvicorn

    from gebiedsatlas.logs import logging_config, normalise_format

    try:
        log_format = normalise_format(log_format)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--log-format") from None
    if log_level.lower() not in ("critical", "error", "warning", "info", "debug"):
        raise typer.BadParameter("kies debug, info, warning of error", param_hint="--log-level")
    # The same configuration here and, through uvicorn, in every worker process: the app's loggers
    # (gebiedsatlas.access: one line per request) and uvicorn's own, to stderr.
    logging.config.dictConfig(logging_config(log_format, log_level))
    logging.getLogger("gebiedsatlas.serve").info(
        "Gebiedsatlas op http://%s:%s (API-documentatie op /docs), %s werkproces(sen)", host, port, workers)
    uvicorn.run("gebiedsatlas.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_config=logging_config(log_format, log_level), log_level=log_level.lower(),
                access_log=False, proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips)


@app.command()
def migrate() -> None:
    """Breng het databaseschema naar de nieuwste versie (Alembic)."""
    from gebiedsatlas.store import db

    settings = Settings.from_env()
    db.upgrade(settings.database_url)
    console.print("Schema bijgewerkt.")


@app.command()
def info() -> None:
    """Toon database, gegevensmap en de laatste import."""
    from sqlalchemy import select
    from sqlalchemy.engine import make_url

    from gebiedsatlas.store import db
    from gebiedsatlas.store.models import ImportRun

    settings = Settings.from_env()
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    console.print(f"Database: {shown}\nGegevens: {settings.data_dir}")
    if not db.is_initialised(settings.database_url):
        console.print("Nog niet geïmporteerd: voer `gebiedsatlas import` uit.")
        return
    with db.session_scope(settings.database_url) as session:
        run = session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
        if run:
            console.print(f"Laatste import: {run.finished_at:%d-%m-%Y %H:%M}")
            _print_summary(run.summary)


@app.command()
def kwaliteit(
    status: Annotated[str, typer.Option(help="implausible (niet plausibel) of too_small (te kleine aantallen)")]
    = "implausible",
    indicator: Annotated[str | None, typer.Option(help="alleen deze indicator")] = None,
    limit: Annotated[int, typer.Option(help="hoogstens zoveel regels (0 = alles)")] = 0,
) -> None:
    """Het kwaliteitsrapport: waarden die niet als getal worden getoond, met de reden."""
    from gebiedsatlas.indicators.quality import quality_counts, quality_rows
    from gebiedsatlas.status import Status
    from gebiedsatlas.store import db

    if status not in (Status.IMPLAUSIBLE.value, Status.TOO_SMALL.value):
        typer.echo(f"Onbekende status {status!r}; kies implausible of too_small.", err=True)
        raise typer.Exit(2)
    settings = Settings.from_env()
    if not db.is_initialised(settings.database_url):
        console.print("Nog niet geïmporteerd: voer `gebiedsatlas import` uit.")
        raise typer.Exit(1)
    with db.session_scope(settings.database_url) as session:
        counts = quality_counts(session)
        rows = quality_rows(session, status, limit or None, indicator)
    for st, per_indicator in counts.items():
        total = sum(per_indicator.values())
        console.print(f"{Status(st).label}: {total} waarden"
                      + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(per_indicator.items())) + ")"
                         if per_indicator else ""))
    table = Table("gebied", "naam", "indicator", "jaar", "reden", title=Status(status).label)
    for row in rows:
        table.add_row(row.area_code, row.area_name, row.indicator_id, str(row.period), row.reason)
    console.print(table)


@app.command()
def backup(file: Annotated[Path, typer.Argument(help="het back-upbestand; het manifest komt ernaast")]) -> None:
    """Maak een consistente back-up van de database (ook terwijl de server draait), met een manifest."""
    from gebiedsatlas.store import backup as store_backup

    settings = Settings.from_env()
    try:
        manifest = store_backup.backup(settings.database_url, file)
    except store_backup.BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    console.print(f"Back-up geschreven: {file} ({store_backup.describe(manifest)}), met "
                  f"{store_backup.manifest_path(file).name}.", soft_wrap=True)


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="een back-up van gebiedsatlas backup (met zijn manifest)")],
    yes: Annotated[bool, typer.Option("--ja", help="niet om bevestiging vragen")] = False,
) -> None:
    """Zet een back-up terug (vervangt alle gegevens) en controleer dat de inhoud gelijk is aan de back-up."""
    from gebiedsatlas.store import backup as store_backup

    settings = Settings.from_env()
    if not yes:
        typer.confirm(f"Alle gegevens in de database worden vervangen door {file}. Doorgaan?", abort=True)
    try:
        manifest = store_backup.restore(settings.database_url, file)
    except store_backup.BackupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    console.print(f"Hersteld uit {file} en gecontroleerd: {store_backup.describe(manifest)}, inhoud gelijk aan "
                  "de back-up. Herstart de server.", soft_wrap=True)


if __name__ == "__main__":
    app()
