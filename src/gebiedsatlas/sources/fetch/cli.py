"""``gebiedsatlas fetch cbs|politie|pdok|leefbaarometer|bag|energielabels|klimaat|alles``: download published
sources into the local cache (``alles``: every connector, then the import).

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

fetch_app = typer.Typer(help="Haal actuele gegevens op bij CBS, de politie, PDOK, de Leefbaarometer, de BAG, EP-online "
                             "en de klimaatrasters (naar de cache).",
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


def _run(cache_dir: Path | None, job, connector: str | None = None) -> Fetcher:
    from gebiedsatlas.sources.fetch import runs

    progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                        TransferSpeedColumn(), console=console, transient=True)
    fetcher = Fetcher(cache_dir or default_cache_dir(), progress=progress)
    started = runs.now()
    try:
        with progress:
            job(fetcher)
    except (FetchError, InputError) as exc:
        if connector:
            runs.record(connector, started, runs.outcome_of(exc), fetcher, str(exc))
        if runs.is_offline(exc):  # no network: one sentence, the store untouched
            console.print(f"[red]{exc.source} is niet bereikbaar ({exc.reason}), dus niets opgehaald; de atlas blijft "
                          f"de gegevens van de vorige import tonen.[/red]")
            raise typer.Exit(1) from None
        console.print(f"[red]Ophalen mislukt.[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        fetcher.close()
    if connector:
        runs.record(connector, started, "ok", fetcher)
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

    fetcher = _run(cache_dir, job, "cbs")
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
    _run(cache_dir, lambda f: politie.fetch_crime(f, year or None, limit, chosen), "politie")


@fetch_app.command("pdok")
def fetch_pdok(year: YearOption = None, level: LevelOption = None, gemeente: GemeenteOption = None,
               area_set: AreaSetOption = None, cache_dir: CacheOption = None) -> None:
    """De wijk- en buurtkaart (grenzen in RD New) van PDOK."""
    from gebiedsatlas.sources.fetch import pdok

    years = year or [2024]
    limit = gemeenten_of(gemeente, area_set)
    levels = [_level(level)] if level else None
    _run(cache_dir, lambda f: [pdok.fetch_boundaries(f, y, levels, limit) for y in years], "pdok")


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
    _run(cache_dir, lambda f: leefbaarometer.fetch_leefbaarometer(f, [level] if level else None, urls),
         "leefbaarometer")


def _gemeenten_or_nta(gemeente: list[str] | None, area_set: str | None) -> list[str]:
    """The chosen gemeenten; without a choice the seven New Towns."""
    from gebiedsatlas.areas.sets import NEW_TOWNS_SET_ID

    return gemeenten_of(gemeente, area_set) or gemeenten_of(None, NEW_TOWNS_SET_ID) or []


def _rd_buurten() -> dict:
    """Buurt polygons in RD New: the bundled NTA buurten, overlaid by those in the store (fetched)."""
    from gebiedsatlas.sources.fetch import bag

    settings = Settings.from_env()
    return bag.bundled_buurten(settings.data_dir) | bag.stored_buurten(settings.database_url)


def _bboxes(gemeenten: list[str]) -> dict:
    from gebiedsatlas.sources.fetch import bag

    try:
        return bag.gemeente_bboxes(_rd_buurten(), gemeenten)
    except InputError as exc:
        console.print(f"[red]Ophalen mislukt.[/red] {exc}")
        raise typer.Exit(1) from None


@fetch_app.command("bag")
def fetch_bag(gemeente: GemeenteOption = None, area_set: AreaSetOption = None, cache_dir: CacheOption = None) -> None:
    """Woningen (BAG-verblijfsobjecten met woonfunctie) met het bouwjaar van hun pand; standaard de New Towns."""
    from gebiedsatlas.sources.fetch import bag

    boxes = _bboxes(_gemeenten_or_nta(gemeente, area_set))
    _run(cache_dir, lambda f: bag.fetch_bag(f, boxes), "bag")


@fetch_app.command("energielabels")
def fetch_energielabels(cache_dir: CacheOption = None) -> None:
    """Het maandelijkse totaalbestand van EP-online (RVO); API-sleutel in GEBIEDSATLAS_EP_ONLINE_API_KEY."""
    from gebiedsatlas.sources.fetch import energielabels

    _run(cache_dir, energielabels.fetch_energielabels, "energielabels")


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    from gebiedsatlas.sources.fetch.klimaat import LAYERS

    out = {}
    for value in values or []:
        key, _, rest = value.partition("=")
        if key not in LAYERS or not rest:
            raise typer.BadParameter(f"verwacht LAAG=WAARDE met LAAG een van {', '.join(LAYERS)}, gevonden {value!r}",
                                     param_hint=option)
        out[key] = rest
    return out


@fetch_app.command("klimaat")
def fetch_klimaat(gemeente: GemeenteOption = None, area_set: AreaSetOption = None, cache_dir: CacheOption = None,
                  coverage: Annotated[list[str] | None, typer.Option(
                      "--coverage", help="LAAG=ID: de dekking van de WCS, bv. gevoelstemperatuur=alo__…")] = None,
                  bestand: Annotated[list[str] | None, typer.Option(
                      "--bestand", help="LAAG=PAD: een zelf gedownloade GeoTIFF in RD New")] = None,
                  schaal: Annotated[float | None, typer.Option(
                      "--schaal", min=0.01, max=1.0,
                      help="laat de WCS het raster verkleinen (0,1 = cellen 10× zo groot)")] = None) -> None:
    """Hittestress (gevoelstemperatuur) en overstroming (waterdiepte) per buurt; standaard de New Towns."""
    from gebiedsatlas.sources.fetch import klimaat

    coverages, files = _pairs(coverage, "--coverage"), _pairs(bestand, "--bestand")
    boxes = _bboxes(_gemeenten_or_nta(gemeente, area_set))

    def job(fetcher: Fetcher) -> None:
        for key, layer in klimaat.LAYERS.items():
            if key in files:
                klimaat.use_file(fetcher, layer, Path(files[key]))
            else:
                klimaat.fetch_layer(fetcher, layer, boxes, coverages.get(key), schaal)

    _run(cache_dir, job, "klimaat")


@fetch_app.command("alles")
def fetch_alles(gemeente: GemeenteOption = None, area_set: AreaSetOption = None, cache_dir: CacheOption = None,
                importeren: Annotated[bool, typer.Option("--import/--geen-import",
                                                         help="na het ophalen importeren")] = True) -> None:
    """Alle bronnen voor de gekozen gemeenten (standaard de New Towns), met voortgang en overzicht; daarna import."""
    from gebiedsatlas.sources.fetch import alles

    gemeenten = _gemeenten_or_nta(gemeente, area_set)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                        TransferSpeedColumn(), console=console, transient=True)
    fetcher = Fetcher(cache_dir or default_cache_dir(), progress=progress)
    try:
        with progress:
            results = alles.run_all(fetcher, gemeenten, _rd_buurten(), console)
    finally:
        fetcher.close()
    alles.print_summary(results, console)
    if not any(r.ok for r in results):
        console.print("Er is niets nieuws opgehaald; de atlas blijft de meegeleverde en eerder geïmporteerde "
                      "gegevens tonen.")
        return
    if importeren:
        import os

        from gebiedsatlas.cli import import_data

        # The import reads the cache this run filled (``--cache-dir``), through the usual setting.
        previous = os.environ.get("GEBIEDSATLAS_CACHE_DIR")
        os.environ["GEBIEDSATLAS_CACHE_DIR"] = str(fetcher.cache_dir)
        try:
            import_data(data_dir=None, cache=True)
        finally:
            if previous is None:
                os.environ.pop("GEBIEDSATLAS_CACHE_DIR", None)
            else:
                os.environ["GEBIEDSATLAS_CACHE_DIR"] = previous


@fetch_app.command("woningvoorraad")
def fetch_woningvoorraad(gemeente: GemeenteOption = None, area_set: AreaSetOption = None,
                         cache_dir: CacheOption = None) -> None:
    """CBS 81955NED: woningvoorraad, nieuwbouw en sloop per gemeente en jaar (voor het woonprogramma)."""
    from gebiedsatlas.sources.fetch import stock_changes

    limit = gemeenten_of(gemeente, area_set)
    fetcher = _run(cache_dir, lambda f: stock_changes.fetch_stock_changes(f, limit), "woningvoorraad")
    console.print("Zet ze in de atlas met `gebiedsatlas woonprogramma mutaties` (de cache van "
                  f"{fetcher.cache_dir}).")
