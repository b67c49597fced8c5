"""Woonprogramma at scale: 5,000 projects across all wijken of the seven New Towns, a 10-year projection
of 3 scenarios (target: under 2 s).

Run: ``python -m bench housing [--projects 5000] [--runs 5]``. It imports the bundled data into a
temporary SQLite store and reads the real dwelling stock (``woningvoorraad``) of every NTA wijk. The
tenure split and the projects are SYNTHETIC (seeded random, labelled "Synthetisch"): the bundled data has
no tenure per wijk in this branch, and no real project register exists. Prints:

- the pure projection: 3 scenarios × 10 years × every NTA wijk from the 5,000 projects (median of runs);
- the same through the store: the projects saved in the register, then ``services.programme`` per
  gemeente (load + 2 standard scenarios + 1 stored scenario), summed over the seven gemeenten;
- the concentration indices of every scenario and year.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from gebiedsatlas.config import REPO_DIR

SEGMENTS = ("sociale_huur", "middenhuur", "vrije_huur", "koop_betaalbaar", "koop_overig")
KINDS = ("nieuwbouw",) * 6 + ("sloop", "verkoop", "liberalisatie", "transformatie", "samenvoegen_splitsen",
                              "renovatie")
PHASES = ("initiatief", "planvorming", "vergund", "in_aanbouw", "opgeleverd")


def _median(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def synthetic_projects(wijken: dict[str, str], n: int, seed: int = 13):
    from gebiedsatlas.housing.projects import ProjectData

    rng = random.Random(seed)
    codes = sorted(wijken)
    out = []
    for i in range(n):
        code = codes[i % len(codes)]
        kind = rng.choice(KINDS)
        lines = {s: rng.randint(1, 40) for s in rng.sample(SEGMENTS, rng.randint(1, 3))}
        if kind == "samenvoegen_splitsen":
            lines = {s: rng.choice((-1, 1)) * v for s, v in lines.items()}
        if kind in ("verkoop", "liberalisatie"):
            lines = {"sociale_huur": rng.randint(1, 30)}
        out.append(ProjectData(name=f"Synthetisch {i}", gemeente_code=wijken[code], area_code=code, party_id=1,
                               kind=kind, phase=rng.choice(PHASES), planned_year=rng.randint(2023, 2035),
                               lines=lines, id=i + 1))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench housing")
    parser.add_argument("--projects", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from sqlalchemy import select

    from gebiedsatlas.accounts.audit import Actor
    from gebiedsatlas.areas.codes import Level
    from gebiedsatlas.areas.index import area_index
    from gebiedsatlas.housing import projects as register
    from gebiedsatlas.housing import scenarios as sc
    from gebiedsatlas.housing import services
    from gebiedsatlas.housing.stock import TENURE_INDICATORS as TENURE
    from gebiedsatlas.sources.importer import import_bundled
    from gebiedsatlas.store import db
    from gebiedsatlas.store.agreements import Party
    from gebiedsatlas.store.models import Indicator, Observation, Source

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        start = time.perf_counter()
        import_bundled(url, REPO_DIR / "data")
        print(f"import bundled data: {time.perf_counter() - start:.1f} s")
        with db.session_scope(url) as session:
            index = area_index(session)
            towns = list(index.sets["nta"].members)
            wijken = {w: t for t in towns for w in index.at_level(Level.WIJK, parent=t, year=2024)}
            stock = dict(session.execute(select(Observation.area_code, Observation.value).where(
                Observation.indicator_id == "woningvoorraad", Observation.period == 2024,
                Observation.area_code.in_(list(wijken)), Observation.value.is_not(None))).all())
        rng = random.Random(7)
        base: dict[str, dict[str, float]] = {}
        for code, total in stock.items():  # SYNTHETIC tenure split of the real stock
            if not total:
                continue
            corp = rng.uniform(0.05, 0.6)
            koop = rng.uniform(0.2, 0.9 - corp)
            base[code] = {"koop": total * koop, "corporatie": total * corp,
                          "particulier": total * (1 - koop - corp) * 0.9, "totaal": total}
        wijken = {c: t for c, t in wijken.items() if c in base}
        projects = synthetic_projects(wijken, args.projects)
        specs = [sc.ScenarioSpec("Zoals gepland", risk_weighted=False), sc.ScenarioSpec("Risicogewogen"),
                 sc.ScenarioSpec("Zonder verkoop", excluded_kinds=frozenset({"verkoop"}))]

        def run():
            by_town: dict[str, list] = {}
            for p in projects:
                by_town.setdefault(p.gemeente_code, []).append(p)
            out = []
            for town in towns:
                town_base = {c: v for c, v in base.items() if wijken[c] == town}
                for spec in specs:
                    projection = sc.project(town_base, 2024, 10, by_town.get(town, []), spec)
                    out.append((projection, [sc.concentration(projection, y) for y in projection.years]))
            return out

        seconds, results = _median(run, args.runs)
        print(f"{len(projects):,} projects, {len(base)} NTA wijken with a stock, 7 gemeenten, 3 scenarios, 10 years")
        print(f"pure projection + concentration: median {seconds:.3f} s over {args.runs} runs "
              f"({'under' if seconds < 2 else 'OVER'} the 2 s target)")
        for projection, conc in results[:3]:
            print(f"  {projection.spec.name:15s} {towns[0]}: social share {projection.share(None, 2024):.1f}% -> "
                  f"{projection.share(None, 2034):.1f}%, dissimilarity {conc[0]['dissimilariteit']:.1f} -> "
                  f"{conc[-1]['dissimilariteit']:.1f}")

        actor = Actor("benchmark", "synthetisch")
        start = time.perf_counter()
        with db.session_scope(url) as session:
            party = Party(name="Synthetisch: corporatie", kind="woningcorporatie", is_demo=True)
            session.add(party)
            session.flush()
            for town in towns:
                services.create_scenario(session, town, {"name": "Zonder verkoop", "risk_weighted": True,
                                                         "excluded_kinds": ["verkoop"], "rates": None,
                                                         "description": "synthetisch"}, actor)
            for p in projects:
                register.create(session, register.ProjectData(**{**p.__dict__, "party_id": party.id, "id": None}),
                                actor)
        print(f"store {len(projects):,} projects in the register: {time.perf_counter() - start:.1f} s")
        with db.session_scope(url) as session:  # the SYNTHETIC tenure split as observations, labelled as such
            session.merge(Source(id="synthetisch-bench", publisher="benchmark", title="Synthetisch: eigendom",
                                 licence="-", attribution="synthetisch"))
            for ind in TENURE.values():
                session.merge(Indicator(id=ind, label=ind, theme="wonen", unit="%", direction="neutral",
                                        aggregation={"method": "none"}))
            session.flush()
            for code, mix in base.items():
                for group, ind in TENURE.items():
                    session.merge(Observation(indicator_id=ind, period=2024, area_code=code, status="observed",
                                              value=100 * mix[group] / mix["totaal"], source_id="synthetisch-bench",
                                              boundary_year=2024))

        def through_store():
            with db.session_scope(url) as session:
                return [services.programme(session, town) for town in towns]

        seconds, progs = _median(through_store, args.runs)
        counted = sum(len(p.projects) for p in progs)
        print(f"programme() for the 7 gemeenten from the store (load {counted:,} projects, 3 scenarios each): "
              f"median {seconds:.3f} s; scenarios computed: {sum(len(p.projections) for p in progs)} "
              f"(synthetic tenure shares)")


if __name__ == "__main__":
    main()
