"""``gebiedsatlas fetch alles``: every connector for the chosen gemeenten, a summary, then the import.

Each connector first checks in one quick request whether its host answers at all; without a network
it says so in one Dutch sentence and the next connector runs (no retries, no waiting). A connector
that fails for another reason says why in Dutch and the others go on. Nothing in the store changes
until the import at the end, which only runs when something was fetched; the bundled data keeps
being served in any case.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from rich.console import Console
from rich.table import Table

from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.fetch import runs
from gebiedsatlas.sources.fetch.cache import Fetcher, FetchError

PROBE_TIMEOUT = httpx.Timeout(5.0, connect=5.0)


@dataclass
class Result:
    connector: str
    title: str
    outcome: str  # ok, offline, mislukt, overgeslagen
    sentence: str
    downloaded: int = 0
    reused: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def _jobs(gemeenten: list[str], buurten: dict) -> list[tuple[str, str, Callable[[Fetcher], object]]]:
    """(connector, URL to probe, job) in the order they run: BAG before the energy labels that need it."""
    from gebiedsatlas.sources.fetch import (
        bag,
        cbs_odata,
        energielabels,
        klimaat,
        leefbaarometer,
        pdok,
        politie,
        stock_changes,
    )

    boxes = {}

    def bboxes():
        if not boxes:
            boxes.update(bag.gemeente_bboxes(buurten, gemeenten))
        return boxes

    def kwb(fetcher):
        return cbs_odata.fetch_kwb(fetcher, max(cbs_odata.kwb_tables()), gemeenten)

    def labels(fetcher):
        if not energielabels.api_key():
            raise energielabels.MissingApiKey()
        return energielabels.fetch_energielabels(fetcher)

    def climate(fetcher):
        return [klimaat.fetch_layer(fetcher, layer, bboxes()) for layer in klimaat.LAYERS.values()]

    return [
        ("cbs", "https://opendata.cbs.nl/ODataApi/odata/", kwb),
        ("woningvoorraad", "https://opendata.cbs.nl/ODataApi/odata/",
         lambda f: stock_changes.fetch_stock_changes(f, gemeenten)),
        ("politie", "https://dataderden.cbs.nl/ODataApi/odata/", lambda f: politie.fetch_crime(f, None, gemeenten)),
        ("pdok", pdok.OGC_API.format(year=2024), lambda f: pdok.fetch_boundaries(f, 2024, None, gemeenten)),
        ("leefbaarometer", "https://www.leefbaarometer.nl/", leefbaarometer.fetch_leefbaarometer),
        ("bag", bag.WFS, lambda f: bag.fetch_bag(f, bboxes())),
        ("energielabels", energielabels.API, labels),
        ("klimaat", klimaat.ALO_WCS, climate),
    ]


def reachable(fetcher: Fetcher, url: str) -> bool:
    try:
        fetcher.client.head(url, timeout=PROBE_TIMEOUT)
    except httpx.TransportError:
        return False
    return True


def run_all(fetcher: Fetcher, gemeenten: list[str], buurten: dict, console: Console) -> list[Result]:
    results = []
    for connector, probe, job in _jobs(gemeenten, buurten):
        title = runs.CONNECTORS[connector][0]
        started, clock = runs.now(), time.monotonic()
        before = (len(fetcher.downloaded), len(fetcher.reused))
        host = httpx.URL(probe).host
        if not reachable(fetcher, probe):
            result = Result(connector, title, "offline",
                            f"{title}: geen verbinding met {host}, dus niets opgehaald; de atlas blijft de "
                            f"meegeleverde gegevens tonen.")
        else:
            try:
                job(fetcher)
                result = Result(connector, title, "ok", f"{title}: opgehaald.")
            except FetchError as exc:
                outcome = runs.outcome_of(exc)
                if connector == "energielabels" and not _has_key():
                    outcome = "overgeslagen"
                result = Result(connector, title, outcome, f"{title}: {exc}")
            except InputError as exc:
                result = Result(connector, title, "mislukt", f"{title}: {exc}")
        result.downloaded = len(fetcher.downloaded) - before[0]
        result.reused = len(fetcher.reused) - before[1]
        result.seconds = time.monotonic() - clock
        console.print(result.sentence, highlight=False)
        runs.record(connector, started, result.outcome if result.outcome != "overgeslagen" else "mislukt",
                    fetcher, None if result.ok else result.sentence)
        results.append(result)
    return results


def _has_key() -> bool:
    from gebiedsatlas.sources.fetch import energielabels

    return energielabels.api_key() is not None


def print_summary(results: list[Result], console: Console) -> None:
    table = Table(title="Ophalen: overzicht")
    table.add_column("bron")
    table.add_column("resultaat")
    table.add_column("gedownload", justify="right")
    table.add_column("uit de cache", justify="right")
    table.add_column("tijd", justify="right")
    for r in results:
        table.add_row(r.title, r.outcome, str(r.downloaded), str(r.reused), f"{r.seconds:.1f} s")
    console.print(table)
