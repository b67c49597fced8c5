"""``gebiedsatlas crosswalk``: build the crosswalk between two boundary years from the stored boundaries."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from gebiedsatlas.config import Settings

console = Console()


def crosswalk(
    from_year: Annotated[int, typer.Option("--from-year", help="grenzenjaar van de bronwaarden, bv. 2022")],
    to_year: Annotated[int, typer.Option("--to-year", help="grenzenjaar om naartoe om te rekenen, bv. 2024")],
    level: Annotated[str, typer.Option(help="gemeente, wijk of buurt")] = "wijk",
    gemeente: Annotated[list[str] | None, typer.Option("--gemeente", help="alleen deze gemeente(n)")] = None,
    area_set: Annotated[str | None, typer.Option("--area-set", help="alleen de gemeenten van deze set")] = None,
    weighting: Annotated[str, typer.Option(help="inwoners (buurten als fijnere bron) of oppervlakte")] = "inwoners",
) -> None:
    """Maak de omrekentabel tussen de gebiedsgrenzen van twee jaren (overlay in RD New) en sla die op."""
    from gebiedsatlas.areas import crosswalk as cw
    from gebiedsatlas.sources.fetch.cli import gemeenten_of
    from gebiedsatlas.store import db

    if level not in ("gemeente", "wijk", "buurt"):
        raise typer.BadParameter("verwacht gemeente, wijk of buurt", param_hint="--level")
    if weighting not in ("inwoners", "oppervlakte"):
        raise typer.BadParameter("verwacht inwoners of oppervlakte", param_hint="--weighting")
    settings = Settings.from_env()
    limit = gemeenten_of(gemeente, area_set)
    limit = set(limit) if limit else None
    with db.session_scope(settings.database_url) as session:
        before = cw.areas_from_store(session, level, from_year, limit)
        after = cw.areas_from_store(session, level, to_year, limit)
        for year, frame in ((from_year, before), (to_year, after)):
            if frame.empty:
                console.print(f"[red]Geen grenzen van {level} voor {year} in de database.[/red] Haal ze op met "
                              f"`gebiedsatlas fetch pdok --year {year}` en `gebiedsatlas import --cache`.")
                raise typer.Exit(1)
        people = cw.population_from_store(session, to_year, limit) if weighting == "inwoners" else None
        if people is not None and people.empty:
            people = None
        rows = cw.build_crosswalk(before, after, from_year, to_year, population=people)
        stored = cw.store_crosswalk(session, rows)
    forward = rows[rows["from_year"] == from_year]
    counts = forward.drop_duplicates("from_code")["method"].value_counts()
    summary = ", ".join(f"{n} {cw.Method(m).label}" for m, n in counts.items())
    console.print(f"Omrekentabel {from_year} → {to_year} ({level}): {forward['from_code'].nunique()} gebieden "
                  f"({summary}); {stored} regels opgeslagen in beide richtingen.")
