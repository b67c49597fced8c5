"""The police crime connector (47018NED via CBS OData) on stored responses: fetch, resume, format checks,
the observations and their status, the import with per-1,000 rates, and how those rates aggregate.

The fixture's structure is the published one; its COUNTS ARE SYNTHETIC (see fixtures/fetch/README.md),
the inhabitants they are divided by are the real CBS 2024 figures of the bundled data.
"""

from __future__ import annotations

import copy
import json
import math
import shutil

import httpx
import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from fetch_support import FakeNetwork
from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import CATALOGUE_PATH, load_catalogue, parse_catalogue
from gebiedsatlas.indicators.values import group_values, netherlands_values
from gebiedsatlas.sources.fetch import politie
from gebiedsatlas.sources.fetch.cache import Fetcher, SourceFormatChanged, SourceUnavailable, page_files, read_meta
from gebiedsatlas.sources.fetch.cached import CacheReport, cached_sources
from gebiedsatlas.sources.importer import import_bundled
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Observation, Source

PAGE_2 = "$skip=60"


def fetcher(tmp_path, network: FakeNetwork) -> Fetcher:
    return Fetcher(tmp_path / "cache", client=network.client(), sleep=lambda _s: None)


def scope_dir(tmp_path, year: int, scope: str = "GM0034-alle"):
    return tmp_path / "cache" / "politie" / "47018NED" / "data" / str(year) / scope


def read(tmp_path, catalogue=None):
    politie.fetch_crime(fetcher(tmp_path, FakeNetwork()), [2023, 2024], ["GM0034"], catalogue=catalogue)
    batch = politie.read_crime_cache(tmp_path / "cache", catalogue or load_catalogue(), {"GM0034": "PV24"})
    return batch, {(o.area_code, o.indicator_id, o.period): (o.value, o.status) for o in batch.observations}


def test_fetch_caches_each_year_page_by_page_with_its_filter(tmp_path):
    network = FakeNetwork()
    scopes = politie.fetch_crime(fetcher(tmp_path, network), [2023, 2024], ["GM0034"])
    assert scopes == [scope_dir(tmp_path, 2023), scope_dir(tmp_path, 2024)]
    for scope in scopes:
        assert [p.name for p in page_files(scope)] == ["page-0001.json", "page-0002.json"]
        assert (scope / "complete.json").exists() and not list(scope.glob("*.part"))
    first = read_meta(page_files(scopes[1])[0])
    assert first["status"] == 200 and first["retrieved_at"]
    assert first["url"].startswith("https://dataderden.cbs.nl/ODataFeed/odata/47018NED/UntypedDataSet")
    query = httpx.URL(first["url"]).params["$filter"]
    assert query.startswith("Perioden eq '2024JJ00' and (SoortMisdrijf eq '0.0.0 ' or ")
    # Only the crime codes the catalogue uses, as published (padded to six characters).
    assert query.count("SoortMisdrijf eq") == 10 and "SoortMisdrijf eq '1.4.7 '" in query
    assert "(substringof('GM0034',WijkenEnBuurten) or substringof('WK0034',WijkenEnBuurten)" in query
    assert read_meta(page_files(scopes[1])[1])["url"].endswith(PAGE_2)
    root = tmp_path / "cache" / "politie" / "47018NED"
    for name in ("TableInfos", "DataProperties", "Perioden", "SoortMisdrijf"):
        url = httpx.URL(read_meta(root / f"{name}.json")["url"])
        assert url.copy_with(query=None) == f"https://dataderden.cbs.nl/ODataApi/odata/47018NED/{name}"
        assert url.params["$format"] == "json"
    assert (root / "WijkenEnBuurten" / "complete.json").exists()


def test_without_a_year_the_latest_published_year_is_fetched(tmp_path):
    network = FakeNetwork()
    with pytest.raises(SourceUnavailable):  # the fixture has no 2025 pages: the request is what counts
        politie.fetch_crime(fetcher(tmp_path, network), None, ["GM0034"])
    assert "Perioden eq '2025JJ00'" in httpx.URL(network.urls("UntypedDataSet")[0]).params["$filter"]


def test_interrupted_fetch_resumes_without_downloading_finished_pages(tmp_path):
    broken = FakeNetwork(lambda r: httpx.ReadTimeout("timed out") if PAGE_2 in str(r.url) else None)
    with pytest.raises(SourceUnavailable) as info:
        politie.fetch_crime(fetcher(tmp_path, broken), [2024], ["GM0034"])
    assert "Politie open data (via CBS) is niet bereikbaar" in str(info.value)
    assert "vorige import" in str(info.value)
    assert len(broken.urls(PAGE_2)) == 5  # first attempt + 4 retries with backoff
    scope = scope_dir(tmp_path, 2024)
    assert (scope / "page-0001.json").exists() and not (scope / "complete.json").exists()

    healthy = FakeNetwork()
    politie.fetch_crime(fetcher(tmp_path, healthy), [2024], ["GM0034"])
    assert [PAGE_2 in u for u in healthy.urls("UntypedDataSet")] == [True]  # page 2 only
    assert [r.url.path.rsplit("/", 1)[1] for r in healthy.requests] == ["UntypedDataSet"]  # no metadata again
    assert (scope / "complete.json").exists()


def test_a_year_the_table_does_not_have_is_named_with_the_years_it_has(tmp_path):
    network = FakeNetwork()
    with pytest.raises(politie.YearNotPublished) as info:
        politie.fetch_crime(fetcher(tmp_path, network), [2031], ["GM0034"])
    assert str(info.value) == ("Tabel 47018NED van de politie heeft (nog) geen cijfers over 2031; "
                               "beschikbaar: 2012–2025.")
    assert len(network.urls("Perioden")) == 2  # the cached list was refreshed once before giving up
    assert network.urls("UntypedDataSet") == []


def test_another_table_behind_the_id_is_refused(tmp_path):
    title = {"value": [{"ID": 0, "Title": "Kerncijfers wijken en buurten 2024"}]}
    network = FakeNetwork(lambda r: httpx.Response(200, json=title) if "TableInfos" in str(r.url) else None)
    with pytest.raises(SourceFormatChanged) as info:
        politie.fetch_crime(fetcher(tmp_path, network), [2024], ["GM0034"])
    assert "onverwacht formaat" in str(info.value) and "Kerncijfers wijken en buurten 2024" in str(info.value)
    assert "De atlas blijft de gegevens van de vorige import tonen." in str(info.value)
    assert not (tmp_path / "cache" / "politie" / "47018NED" / "TableInfos.json").exists()


def test_a_changed_table_layout_is_refused(tmp_path):
    def renamed(request):
        if "DataProperties" in str(request.url):
            body = json.loads(politie_fixture("DataProperties.json"))
            body["value"][3]["Key"] = "Misdrijven_1"  # the count topic renamed
            return httpx.Response(200, json=body)
        return None

    with pytest.raises(SourceFormatChanged, match="verwacht één onderwerp GeregistreerdeMisdrijven_n"):
        politie.fetch_crime(fetcher(tmp_path, FakeNetwork(renamed)), [2024], ["GM0034"])
    assert not (tmp_path / "cache" / "politie" / "47018NED" / "DataProperties.json").exists()


def test_a_crime_code_the_catalogue_needs_that_the_table_dropped_is_named(tmp_path):
    def dropped(request):
        if request.url.path.endswith("/SoortMisdrijf"):
            body = json.loads(politie_fixture("SoortMisdrijf.json"))
            body["value"] = [t for t in body["value"] if t["Key"] != "1.4.7 "]
            return httpx.Response(200, json=body)
        return None

    with pytest.raises(SourceFormatChanged, match=r"soort misdrijf 1\.4\.7 ontbreekt in tabel 47018NED"):
        politie.fetch_crime(fetcher(tmp_path, FakeNetwork(dropped)), [2024], ["GM0034"])


def test_a_page_that_is_not_json_is_not_cached(tmp_path):
    network = FakeNetwork(lambda r: httpx.Response(200, text="<html>Onderhoud</html>")
                          if PAGE_2 in str(r.url) else None)
    with pytest.raises(SourceFormatChanged, match="geen geldige JSON"):
        politie.fetch_crime(fetcher(tmp_path, network), [2024], ["GM0034"])
    assert sorted(p.name for p in scope_dir(tmp_path, 2024).iterdir()) == [
        "page-0001.json", "page-0001.json.meta.json", "request.json"]


def politie_fixture(name: str) -> str:
    from fetch_support import POLITIE_DIR

    return (POLITIE_DIR / name).read_text(encoding="utf-8")


def test_cached_pages_read_as_counts_with_their_status(tmp_path):
    batch, values = read(tmp_path)
    assert values[("GM0034", "misdrijven", 2024)] == (11_619, "observed")
    assert values[("BU00340101", "misdrijven", 2024)] == (38, "observed")
    assert values[("BU00340101", "woninginbraken", 2023)] == (2, "observed")
    assert values[("WK003402", "vernielingen", 2024)] == (15, "observed")
    # Violence adds up codes 1.4.1 to 1.4.7: 0 + 0 + 0 + 1 + 2 + 0 + 0.
    assert values[("BU00340101", "geweldsmisdrijven", 2024)] == (3, "observed")
    assert values[("GM0034", "geweldsmisdrijven", 2024)] == (77 + 26 + 77 + 361 + 671 + 52 + 26, "observed")
    # A secret cell ("       .") is suppressed, never a number, and so is a sum it is part of.
    assert values[("BU00340201", "misdrijven", 2023)] == (None, "suppressed")
    assert values[("BU00340205", "geweldsmisdrijven", 2024)] == (None, "suppressed")
    assert values[("BU00340205", "woninginbraken", 2024)] == (1, "observed")
    # A row the feed leaves out is missing.
    assert values[("BU00340102", "vernielingen", 2023)] == (None, "missing")
    assert {o.boundary_year for o in batch.observations} == {2025}  # the table's one wijk/buurt division
    assert {o.source_id for o in batch.observations} == {"politie-misdrijven"}
    areas = {a.code: a for a in batch.areas}
    assert "NL00" not in areas and len(areas) == 10
    assert (areas["BU00340101"].name, areas["BU00340101"].parent_code) == ("Centrum Haven Noord", "WK003401")
    assert (areas["WK003401"].name, areas["GM0034"].parent_code) == ("Centrum Almere Haven", "PV24")
    assert politie.cached_years(tmp_path / "cache") == [2023, 2024]
    assert politie.provisional_years(tmp_path / "cache") == []  # 2025 is the provisional year


def test_codes_fetched_before_the_catalogue_asked_for_them_give_no_values(tmp_path):
    raw = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    narrower = copy.deepcopy(raw)
    narrower["indicators"] = [i for i in narrower["indicators"] if i["id"] not in ("vernielingen",
                                                                                   "vernielingen_per_1000")]
    _, values = read(tmp_path, parse_catalogue(narrower))
    assert not any(k[1] == "vernielingen" for k in values)
    # Read with the full catalogue, the cache has no vernielingen: no value, rather than a "missing" one.
    batch = politie.read_crime_cache(tmp_path / "cache", load_catalogue(), {})
    assert not any(o.indicator_id == "vernielingen" for o in batch.observations)
    # Fetching with the full catalogue replaces those pages.
    network = FakeNetwork()
    politie.fetch_crime(fetcher(tmp_path, network), [2024], ["GM0034"])
    assert "SoortMisdrijf eq '2.2.1 '" in httpx.URL(network.urls("UntypedDataSet")[0]).params["$filter"]
    batch = politie.read_crime_cache(tmp_path / "cache", load_catalogue(), {})
    assert ("WK003402", 2024, 15) in {(o.area_code, o.period, o.value) for o in batch.observations
                                      if o.indicator_id == "vernielingen"}


def test_catalogue_column_must_be_a_crime_code():
    raw = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    broken = copy.deepcopy(raw)
    ind = next(i for i in broken["indicators"] if i["id"] == "woninginbraken")
    ind["columns"] = [{"source": "politie-misdrijven", "column": "Woninginbraak"}]
    with pytest.raises(InputError) as info:
        politie.crime_codes(parse_catalogue(broken))
    assert info.value.column == "indicators[woninginbraken].columns" and "Woninginbraak" in str(info.value)


def test_import_from_cache_adds_counts_and_rates_per_1000_inhabitants(tmp_path, fresh_db_url, data_dir):
    politie.fetch_crime(fetcher(tmp_path, FakeNetwork()), [2023, 2024], ["GM0034"])
    report = CacheReport()
    import_bundled(fresh_db_url, data_dir, extra_sources=cached_sources(tmp_path / "cache", report))
    assert any(line.startswith("Politie 47018NED (2023, 2024): 10 gebieden") for line in report.read)

    with db.session_scope(fresh_db_url) as session:
        def stored(area, indicator, period):
            return session.execute(select(Observation.value, Observation.status, Observation.source_id,
                                          Observation.method).where(
                Observation.area_code == area, Observation.indicator_id == indicator,
                Observation.period == period)).one_or_none()

        assert tuple(stored("BU00340101", "misdrijven", 2024)[:3]) == (38, "observed", "politie-misdrijven")
        # Rates are derived from the count and the real CBS inhabitants on 1 January 2024 (795 and 1,765).
        rate = stored("BU00340101", "misdrijven_per_1000", 2024)
        assert rate.status == "derived" and rate.method == "misdrijven / inwoners × 1000"
        assert math.isclose(rate.value, 38 / 795 * 1000)
        assert math.isclose(stored("WK003401", "woninginbraken_per_1000", 2024).value, 4 / 1765 * 1000)
        # Suppressed stays without a number, and gives no rate.
        assert tuple(stored("BU00340201", "misdrijven", 2023)[:2]) == (None, "suppressed")
        assert stored("BU00340201", "misdrijven_per_1000", 2023) is None
        assert tuple(stored("BU00340205", "geweldsmisdrijven", 2024)[:2]) == (None, "suppressed")
        assert stored("BU00340205", "geweldsmisdrijven_per_1000", 2024) is None
        # No inhabitants of 2023 are bundled: the counts are there, the 2023 rates are not made up.
        assert stored("WK003401", "misdrijven", 2023).value == 86
        assert session.scalar(select(func.count()).select_from(Observation).where(
            Observation.indicator_id == "misdrijven_per_1000", Observation.period == 2023)) == 0
        source = session.get(Source, "politie-misdrijven")
        assert source.table_id == "47018NED" and "Politie" in source.attribution


def test_rates_of_several_areas_are_recomputed_from_the_sums(tmp_path, fresh_db_url, data_dir):
    politie.fetch_crime(fetcher(tmp_path, FakeNetwork()), [2024], ["GM0034"])
    import_bundled(fresh_db_url, data_dir, extra_sources=cached_sources(tmp_path / "cache"))
    with db.session_scope(fresh_db_url) as session:
        both = group_values(session, "test", "Twee wijken van Almere Haven", "set",
                            lambda _p: ["WK003401", "WK003402"], ["misdrijven_per_1000", "misdrijven"], [2024])
        rows = both.set_index("indicator_id")
        # (75 + 129) / (1,765 + 2,880) × 1,000 = 43.9; the mean of the two rates would be 43.6.
        assert math.isclose(rows.loc["misdrijven_per_1000", "value"], (75 + 129) / (1765 + 2880) * 1000)
        assert rows.loc["misdrijven_per_1000", "status"] == "derived"
        assert rows.loc["misdrijven", "value"] == 75 + 129
        # Nederland is not made up from one gemeente: too little of the inhabitants has a count.
        nl = netherlands_values(session, ["misdrijven_per_1000", "misdrijven"], [2024]).set_index("indicator_id")
        assert set(nl["status"]) == {"missing"}
        assert nl["value"].isna().all()


def test_broken_cache_leaves_the_store_untouched(tmp_path, fresh_db_url, data_dir):
    politie.fetch_crime(fetcher(tmp_path, FakeNetwork()), [2024], ["GM0034"])
    page = scope_dir(tmp_path, 2024) / "page-0002.json"
    body = json.loads(page.read_text(encoding="utf-8"))
    body["value"][3]["GeregistreerdeMisdrijven_1"] = "veel"
    page.write_text(json.dumps(body), encoding="utf-8")

    def snapshot():
        with db.session_scope(fresh_db_url) as session:
            return (session.scalar(select(func.count()).select_from(Observation)),
                    session.scalar(select(func.count()).select_from(Observation).where(
                        Observation.source_id == "politie-misdrijven")))

    before = snapshot()
    with pytest.raises(InputError) as info:
        import_bundled(fresh_db_url, data_dir, extra_sources=cached_sources(tmp_path / "cache"))
    assert "page-0002.json" in str(info.value) and "rij 4" in str(info.value)
    assert "GeregistreerdeMisdrijven_1" in str(info.value)
    assert snapshot() == before


def test_a_row_of_another_year_is_an_error(tmp_path):
    politie.fetch_crime(fetcher(tmp_path, FakeNetwork()), [2024], ["GM0034"])
    page = scope_dir(tmp_path, 2024) / "page-0001.json"
    body = json.loads(page.read_text(encoding="utf-8"))
    body["value"][0]["Perioden"] = "2024MM01"
    page.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(InputError, match="rij van een ander jaar.*verwacht 2024JJ00, gevonden '2024MM01'"):
        politie.read_crime_cache(tmp_path / "cache", load_catalogue(), {})


def cli_with(network: FakeNetwork, monkeypatch):
    from gebiedsatlas.sources.fetch import cli as fetch_cli

    real = fetch_cli.Fetcher
    monkeypatch.setattr(fetch_cli, "Fetcher", lambda cache_dir, progress=None: real(
        cache_dir, client=network.client(), progress=progress, sleep=lambda _s: None))


def test_cli_fetches_a_gemeente_and_reports_in_dutch(tmp_path, monkeypatch):
    from gebiedsatlas.cli import app

    cli_with(FakeNetwork(), monkeypatch)
    result = CliRunner().invoke(app, ["fetch", "politie", "--year", "2024", "--gemeente", "GM0034",
                                      "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Laad ze met `gebiedsatlas import --cache`" in " ".join(result.output.split())
    assert (tmp_path / "politie" / "47018NED" / "data" / "2024" / "GM0034-alle" / "complete.json").exists()

    result = CliRunner().invoke(app, ["fetch", "politie", "--year", "2031", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 1 and "geen cijfers over 2031" in " ".join(result.output.split())


def test_cli_reports_an_unreachable_source_in_dutch(tmp_path, monkeypatch):
    from gebiedsatlas.cli import app

    cli_with(FakeNetwork(lambda r: httpx.ConnectError("refused")), monkeypatch)
    result = CliRunner().invoke(app, ["fetch", "politie", "--gemeente", "GM0034", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "Politie open data (via CBS) is niet bereikbaar" in output and "vorige import" in output


@pytest.mark.online
def test_live_police_table_title_and_structure(tmp_path):
    try:
        httpx.get("https://dataderden.cbs.nl/ODataApi/odata/47018NED", timeout=2)
    except httpx.HTTPError:
        pytest.skip("geen netwerk naar dataderden.cbs.nl")
    f = Fetcher(tmp_path, retries=0)
    table = politie.TABLE
    infos = table.metadata(f, "TableInfos")
    assert politie._is_crime_table(json.loads(infos.read_text())["value"][0]["Title"])
    key, problem = politie.structure_problem(table.metadata(f, "DataProperties"))
    assert problem is None and key == "GeregistreerdeMisdrijven_1"
    assert 2024 in politie.published_years(table.metadata(f, "Perioden"))
    shutil.rmtree(tmp_path, ignore_errors=True)
