"""``gebiedsatlas fetch cbs|politie|pdok|leefbaarometer``: download published sources into the local cache.

Fetching never changes the store; ``gebiedsatlas import --cache`` loads what was fetched. Run a fetch
again after an interruption: pages already downloaded are kept and not fetched again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from gebiedsatlas.config import Settings
from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.fetch.cache import Fetcher, FetchError, default_cache_dir

fetch_app = typer.Typer(help="Haal actuele gegevens op bij CBS, de politie, PDOK en de Leefbaarometer (naar de cache).",
                        no_args_is_help=True)
console = Console()

YearOption = Annotated[list[int] | None, typer.Option("--year", help="jaar (meerdere keren mogelijk)")]
LevelOption = Annotated[str | None, typer.Option("--level", help="gemeente, wijk of buurt")]
GemeenteOption = Annotated[list[str] | None, typer.Option("--gemeente", help="gemeentecode, bv. GM0034")]
AreaSetOption = Annotated[str | None, typer.Option("--area-set", help="gebiedsset, bv. nta (de New Towns)")]
CacheOption = Annotated[Path | None, typer.Option("--cache-dir", help="map van de cache (standaard var/cache)")]
LEVELS = ("gemeente", "wijk", "buurt")


def gemeenten_of(gemeente: list[str] | None, area_set: str | None) -> list[str] | None:
    """The gemeenten to limit a fetch to, from ``--gemeente`` codes and/or an area set."""
    codes = [g.strip().upper() for g in gemeente or []]
    for code in codes:
        if not (code.startswith("GM") and len(code) == 6 and code[2:].isdigit()):
            raise typer.BadParameter(f"verwacht een gemeentecode als GM0034, gevonden {code!r}",
                                     param_hint="--gemeente")
    if area_set:
        codes += _area_set_gemeenten(area_set)
    return sorted(set(codes)) or None


def _area_set_gemeenten(set_id: str) -> list[str]:
    from gebiedsatlas.areas.sets import NEW_TOWNS_SET_ID, new_town_alliantie

    settings = Settings.from_env()
    if set_id == NEW_TOWNS_SET_ID:
        return list(new_town_alliantie(settings.data_dir).members)
    from sqlalchemy import select

    from gebiedsatlas.store import db
    from gebiedsatlas.store.models import AreaSetMember

    if db.is_initialised(settings.database_url):
        with db.session_scope(settings.database_url) as session:
            members = list(session.scalars(select(AreaSetMember.area_code)
                                           .where(AreaSetMember.set_id == set_id)))
        if members:
            return sorted({f"GM{c[2:6]}" for c in members if c[:2] in ("GM", "WK", "BU")})
    raise typer.BadParameter(f"onbekende gebiedsset {set_id!r}", param_hint="--area-set")


def _level(level: str | None) -> str | None:
    if level is not None and level not in LEVELS:
        raise typer.BadParameter(f"verwacht een van {', '.join(LEVELS)}, gevonden {level!r}",
                                 param_hint="--level")
    return level


def _run(cache_dir: Path | None, job) -> Fetcher:
    progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                        TransferSpeedColumn(), console=console, transient=True)
    fetcher = Fetcher(cache_dir or default_cache_dir(), progress=progress)
    try:
        with progress:
            job(fetcher)
    except (FetchError, InputError) as exc:
        console.print(f"[red]Ophalen mislukt.[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        fetcher.close()
    console.print(f"Klaar: {len(fetcher.downloaded)} bestanden gedownload, {len(fetcher.reused)} al in de cache "
                  f"({fetcher.cache_dir}). Laad ze met `gebiedsatlas import --cache`.")
    return fetcher


@fetch_app.command("cbs")
def fetch_cbs(year: YearOption = None, level: LevelOption = None, gemeente: GemeenteOption = None,
              area_set: AreaSetOption = None, cache_dir: CacheOption = None,
              catalogue: Annotated[bool, typer.Option("--catalogue", help="stel catalogusregels voor "
                                                      "voor kolommen zonder indicator")] = False) -> None:
    """CBS Kerncijfers wijken en buurten (OData) van de gekozen jaren."""
    from gebiedsatlas.indicators.catalogue import load_catalogue
    from gebiedsatlas.sources.fetch import cbs_odata

    years = year or [max(cbs_odata.kwb_tables())]
    limit = gemeenten_of(gemeente, area_set)

    def job(fetcher: Fetcher) -> None:
        for y in years:
            cbs_odata.fetch_kwb(fetcher, y, limit, _level(level))

    fetcher = _run(cache_dir, job)
    if catalogue:
        for y in years:
            table = cbs_odata.kwb_table(y)
            path = fetcher.cache_dir / "cbs" / table.table_id / "DataProperties.json"
            typer.echo(cbs_odata.propose_catalogue(load_catalogue(), y, path))  # plain: YAML must not wrap


@fetch_app.command("politie")
def fetch_politie(year: YearOption = None, level: LevelOption = None, gemeente: GemeenteOption = None,
                  area_set: AreaSetOption = None, cache_dir: CacheOption = None) -> None:
    """Geregistreerde misdrijven per gemeente, wijk en buurt (politie, via CBS), standaard het laatste jaar."""
    from gebiedsatlas.sources.fetch import politie

    limit = gemeenten_of(gemeente, area_set)
    chosen = _level(level)
    _run(cache_dir, lambda f: politie.fetch_crime(f, year or None, limit, chosen))


@fetch_app.command("pdok")
def fetch_pdok(year: YearOption = None, level: LevelOption = None, gemeente: GemeenteOption = None,
               area_set: AreaSetOption = None, cache_dir: CacheOption = None) -> None:
    """De wijk- en buurtkaart (grenzen in RD New) van PDOK."""
    from gebiedsatlas.sources.fetch import pdok

    years = year or [2024]
    limit = gemeenten_of(gemeente, area_set)
    levels = [_level(level)] if level else None
    _run(cache_dir, lambda f: [pdok.fetch_boundaries(f, y, levels, limit) for y in years])


@fetch_app.command("leefbaarometer")
def fetch_leefbaarometer(level: LevelOption = None, cache_dir: CacheOption = None,
                         url: Annotated[str | None, typer.Option(help="downloadlink van de open-datapagina "
                                                                "(alleen met --level)")] = None) -> None:
    """Leefbaarometer-scores per buurt en wijk, alle meetjaren."""
    from gebiedsatlas.sources.fetch import leefbaarometer

    if level not in (None, "wijk", "buurt"):
        raise typer.BadParameter("verwacht wijk of buurt", param_hint="--level")
    if url and not level:
        raise typer.BadParameter("geef bij --url ook --level", param_hint="--url")
    urls = {level: url} if url else None
    _run(cache_dir, lambda f: leefbaarometer.fetch_leefbaarometer(f, [level] if level else None, urls))


@fetch_app.command("woningvoorraad")
def fetch_woningvoorraad(gemeente: GemeenteOption = None, area_set: AreaSetOption = None,
                         cache_dir: CacheOption = None) -> None:
    """CBS 81955NED: woningvoorraad, nieuwbouw en sloop per gemeente en jaar (voor het woonprogramma)."""
    from gebiedsatlas.sources.fetch import stock_changes

    limit = gemeenten_of(gemeente, area_set)
    fetcher = _run(cache_dir, lambda f: stock_changes.fetch_stock_changes(f, limit))
    console.print("Zet ze in de atlas met `gebiedsatlas woonprogramma mutaties` (de cache van "
                  f"{fetcher.cache_dir}).")
