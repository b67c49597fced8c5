"""``gebiedsatlas analyse``: aandachtsgebieden, kwetsbaarheidsscores and change signals in the terminal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gebiedsatlas.config import Settings

app = typer.Typer(help="Vergelijken en signaleren: aandachtsgebieden, kwetsbaarheid, signalen.",
                  no_args_is_help=True)
console = Console()

ScopeOption = Annotated[str, typer.Option(help="nta (alle New Towns), nl of een gemeentecode GMnnnn")]
LevelOption = Annotated[str, typer.Option(help="wijk of buurt")]


def _nl(value: float, decimals: int = 2) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


@app.command("aandacht")
def attention(scope: ScopeOption = "nta", level: LevelOption = "wijk",
              per_gemeente: Annotated[bool, typer.Option(help="per New Town de top")] = False,
              top: Annotated[int, typer.Option(help="hoeveel gebieden per lijst")] = 10) -> None:
    """Aandachtsgebieden met hun uitleg."""
    from gebiedsatlas.analysis.attention import attention_areas
    from gebiedsatlas.areas.index import area_index
    from gebiedsatlas.store import db

    with db.session_scope(Settings.from_env().database_url) as session:
        index = area_index(session)
        scopes = list(index.sets["nta"].members) if per_gemeente else [scope]
        for s in scopes:
            result = attention_areas(session, level, None, s)
            name = index.areas[s].name if s in index.areas else ("New Towns" if s == "nta" else s)
            table = Table(title=f"Aandachtsgebieden {name} ({result.level}, {result.period}): "
                                f"{len(result.areas)} van {result.scored}")
            for column in ("rang", "gebied", "gemeente", "score", "rangbereik", "dekking", "uitleg"):
                table.add_column(column, overflow="fold")
            for a in result.areas[:top]:
                table.add_row(str(a.rank), a.area_name, a.gemeente_name or "", _nl(a.score),
                              f"{a.rank_low:.0f}–{a.rank_high:.0f}", f"{a.coverage:.0%}", a.explanation)
            console.print(table)


@app.command("signalen")
def signals(indicator: str = "lbm_afwijking", van: int | None = None, tot: int | None = None,
            scope: ScopeOption = "nta", level: LevelOption = "wijk") -> None:
    """Gebieden die meer veranderden dan de ruis."""
    from gebiedsatlas.analysis.change import change_signals
    from gebiedsatlas.store import db

    with db.session_scope(Settings.from_env().database_url) as session:
        try:
            result = change_signals(session, indicator, van, tot, level, scope)
        except ValueError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        table = Table(title=f"Signalen {indicator} {result.period_from}–{result.period_to}: mediane verandering "
                            f"{_nl(result.median_change, 3)}, ruis {_nl(result.noise_scale, 3)}")
        for column in ("gebied", "gemeente", "verandering", "robuuste z", "signaal"):
            table.add_column(column)
        for row in result.rows(signals_only=True):
            table.add_row(row["area_name"], row["gemeente_name"] or "", _nl(row["change"], 3),
                          _nl(row["robust_z"], 1), row["signal_label"])
        console.print(table)
