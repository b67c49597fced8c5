"""The CBS OData connector on stored responses: cache, resume, broken downloads, column mapping, import."""

from __future__ import annotations

import json
import shutil

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from fetch_support import CBS_DIR, FakeNetwork
from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.sources.fetch import cbs_odata
from gebiedsatlas.sources.fetch.cache import (
    Fetcher,
    SourceFormatChanged,
    SourceUnavailable,
    page_files,
    read_meta,
)
from gebiedsatlas.sources.fetch.cached import CacheReport, cached_sources
from gebiedsatlas.sources.importer import import_bundled
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Observation, Source

PAGE_2 = "$skip=40"


def fetcher(tmp_path, network: FakeNetwork) -> Fetcher:
    return Fetcher(tmp_path / "cache", client=network.client(), sleep=lambda _s: None)


def test_fetch_caches_every_page_with_its_source_url(tmp_path):
    network = FakeNetwork()
    scopes = cbs_odata.fetch_kwb(fetcher(tmp_path, network), 2024, ["GM0034"])
    pages = page_files(scopes[0])
    assert [p.name for p in pages] == ["page-0001.json", "page-0002.json", "page-0003.json"]
    assert (scopes[0] / "complete.json").exists()
    first = read_meta(pages[0])
    assert first["status"] == 200 and first["retrieved_at"]
    assert first["url"].startswith("https://opendata.cbs.nl/ODataFeed/odata/85984NED/UntypedDataSet")
    assert "substringof('GM0034',WijkenEnBuurten)" in httpx.URL(first["url"]).params["$filter"]
    assert read_meta(pages[1])["url"].endswith(PAGE_2)
    assert not list(scopes[0].glob("*.part"))


def test_interrupted_fetch_resumes_without_downloading_finished_pages(tmp_path):
    broken = FakeNetwork(lambda r: httpx.ConnectError("connection reset") if PAGE_2 in str(r.url) else None)
    with pytest.raises(SourceUnavailable) as info:
        cbs_odata.fetch_kwb(fetcher(tmp_path, broken), 2024, ["GM0034"])
    assert "niet bereikbaar" in str(info.value) and "vorige import" in str(info.value)
    assert len(broken.urls(PAGE_2)) == 5  # first attempt + 4 retries with backoff
    scope = tmp_path / "cache" / "cbs" / "85984NED" / "data" / "GM0034-alle"
    assert (scope / "page-0001.json").exists() and not (scope / "page-0002.json").exists()
    assert not (scope / "complete.json").exists()

    healthy = FakeNetwork()
    cbs_odata.fetch_kwb(fetcher(tmp_path, healthy), 2024, ["GM0034"])
    assert healthy.urls("UntypedDataSet") == [u for u in healthy.urls() if PAGE_2 in u or "skip=80" in u]
    assert len(healthy.urls("UntypedDataSet")) == 2  # pages 2 and 3 only
    assert healthy.urls("TableInfos") == []  # metadata was complete after the first run
    assert (scope / "complete.json").exists()


def test_retry_recovers_from_a_temporary_server_error(tmp_path):
    calls = {"n": 0}

    def flaky(request):
        if "TableInfos" in str(request.url) and calls["n"] < 2:
            calls["n"] += 1
            return httpx.Response(503)
        return None

    sleeps: list[float] = []
    f = Fetcher(tmp_path / "cache", client=FakeNetwork(flaky).client(), sleep=sleeps.append)
    cbs_odata.fetch_kwb(f, 2024, ["GM0034"])
    assert sleeps == [1.0, 2.0]  # exponential backoff


def test_malformed_page_is_not_cached_and_says_the_format_changed(tmp_path):
    network = FakeNetwork(lambda r: httpx.Response(200, text='{"value": [{"ID": 0,')
                          if PAGE_2 in str(r.url) else None)
    with pytest.raises(SourceFormatChanged) as info:
        cbs_odata.fetch_kwb(fetcher(tmp_path, network), 2024, ["GM0034"])
    assert "onverwacht formaat" in str(info.value) and "geen geldige JSON" in str(info.value)
    scope = tmp_path / "cache" / "cbs" / "85984NED" / "data" / "GM0034-alle"
    assert sorted(p.name for p in scope.iterdir()) == ["page-0001.json", "page-0001.json.meta.json"]


def test_changed_layout_without_value_list_is_refused(tmp_path):
    network = FakeNetwork(lambda r: httpx.Response(200, json={"results": []})
                          if "DataProperties" in str(r.url) else None)
    with pytest.raises(SourceFormatChanged, match="veld 'value' ontbreekt"):
        cbs_odata.fetch_kwb(fetcher(tmp_path, network), 2024)


def test_wrong_table_id_is_caught_by_the_table_title(tmp_path, monkeypatch):
    tables = {**cbs_odata.kwb_tables(), 2023: cbs_odata.KwbTable(2023, "85984NED", "test")}
    monkeypatch.setattr(cbs_odata, "kwb_tables", lambda: tables)
    with pytest.raises(SourceFormatChanged, match="verwacht een titel met 2023"):
        cbs_odata.fetch_kwb(fetcher(tmp_path, FakeNetwork()), 2023)


def test_cached_pages_read_as_real_2024_figures(tmp_path):
    cache = tmp_path / "cache"
    cbs_odata.fetch_kwb(fetcher(tmp_path, FakeNetwork()), 2024, ["GM0034"])
    batch, mapping = cbs_odata.read_kwb_cache(cache, 2024, load_catalogue(), {"GM0034": "PV24"})
    values = {(o.area_code, o.indicator_id): (o.value, o.status) for o in batch.observations}
    assert values[("GM0034", "inwoners")] == (226_500, "observed")  # CBS 85984NED, Almere
    assert values[("WK003401", "inwoners")][1] == "observed"
    assert values[("BU00340101", "inwoners")] == (795, "observed")  # real 85984NED value
    # MateVanStedelijkheid_127 maps through its stable key to the catalogue's stedelijkheid.
    assert mapping.columns["MateVanStedelijkheid_127"] == "stedelijkheid"
    assert "Nederland_17" not in mapping.columns
    gemeente = next(a for a in batch.areas if a.code == "GM0034")
    assert (gemeente.name, gemeente.parent_code) == ("Almere", "PV24")


def test_stable_key_mapping_of_another_edition():
    # SYNTHETIC keys: an edition that numbers the same columns differently.
    mapping = cbs_odata.map_columns(load_catalogue(), 2019,
                                    ["AantalInwoners_7", "Mannen_8", "Nederland_17", "Nederland_20",
                                     "Gehuwd_14"])
    assert mapping.columns == {"AantalInwoners_7": "inwoners", "Mannen_8": "mannen"}
    assert mapping.unmapped == ["Nederland_17", "Nederland_20", "Gehuwd_14"]
    assert cbs_odata.stable_key("k_0Tot15Jaar_8") == "k_0Tot15Jaar"


def test_catalogue_proposal_from_real_data_properties():
    text = cbs_odata.propose_catalogue(load_catalogue(), 2024, CBS_DIR / "DataProperties.json")
    import yaml

    entries = {e["id"]: e for e in yaml.safe_load(text)}
    gehuwd = entries["gehuwd"]
    assert gehuwd["label"] == "Gehuwd" and gehuwd["unit"] == "aantal" and gehuwd["aggregation"] == "sum"
    assert gehuwd["columns"] == [{"source": "cbs-kwb-2024", "column": "Gehuwd_14"}]
    assert gehuwd["theme"] == "bevolking"
    assert "inwoners" not in entries and "aantal_inwoners" not in entries  # already in the catalogue
    assert {"nederland_17", "nederland_20"} <= set(entries)  # same stable key: told apart
    assert "gemeentenaam" not in entries  # names are not indicators


def test_import_from_cache_is_one_transaction_with_the_bundled_data(tmp_path, fresh_db_url, data_dir):
    cache = tmp_path / "cache"
    cbs_odata.fetch_kwb(fetcher(tmp_path, FakeNetwork()), 2024, ["GM0034"])
    report = CacheReport()
    summary = import_bundled(fresh_db_url, data_dir, extra_sources=cached_sources(cache, report))
    assert "85984NED" in report.read[0]
    with db.session_scope(fresh_db_url) as session:
        rows = session.execute(select(Observation.value, Observation.source_id).where(
            Observation.area_code == "BU00340101", Observation.indicator_id == "stedelijkheid",
            Observation.period == 2024)).all()
        assert len(rows) == 1 and rows[0].source_id == "cbs-kwb-2024"
        total = session.scalar(select(func.sum(Observation.value)).where(
            Observation.indicator_id == "inwoners", Observation.period == 2024,
            Observation.area_code.like("GM%")))
    assert total == 17_942_942  # the rest of the bundled edition is still there
    assert summary["sources"]["cbs-kwb-2024"]["observations"] > 0


def test_broken_cache_leaves_the_store_untouched(tmp_path, fresh_db_url, data_dir):
    cache = tmp_path / "cache"
    cbs_odata.fetch_kwb(fetcher(tmp_path, FakeNetwork()), 2024, ["GM0034"])
    page = cache / "cbs" / "85984NED" / "data" / "GM0034-alle" / "page-0002.json"
    body = json.loads(page.read_text(encoding="utf-8"))
    body["value"][3]["AantalInwoners_5"] = "veel"
    page.write_text(json.dumps(body), encoding="utf-8")

    def snapshot():
        with db.session_scope(fresh_db_url) as session:
            return (session.scalar(select(func.count()).select_from(Observation)),
                    session.scalar(select(func.count()).select_from(Source)))

    before = snapshot()
    with pytest.raises(InputError) as info:
        import_bundled(fresh_db_url, data_dir, extra_sources=cached_sources(cache))
    assert "page-0002.json" in str(info.value) and "AantalInwoners_5" in str(info.value)
    assert snapshot() == before


def test_cli_reports_an_unreachable_source_in_dutch(tmp_path, monkeypatch):
    from gebiedsatlas.cli import app
    from gebiedsatlas.sources.fetch import cli as fetch_cli

    real = fetch_cli.Fetcher
    network = FakeNetwork(lambda r: httpx.ConnectTimeout("timed out"))
    monkeypatch.setattr(fetch_cli, "Fetcher", lambda cache_dir, progress=None: real(
        cache_dir, client=network.client(), progress=progress, sleep=lambda _s: None))
    result = CliRunner().invoke(app, ["fetch", "cbs", "--year", "2024", "--gemeente", "GM0034",
                                      "--cache-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "CBS open data is niet bereikbaar" in result.output
    assert "vorige import" in result.output


def test_unknown_year_names_the_tables_file():
    with pytest.raises(InputError, match="cbs_tables.yaml"):
        cbs_odata.kwb_table(1999)


@pytest.mark.online
def test_live_cbs_table_title(tmp_path):
    try:
        httpx.get("https://opendata.cbs.nl/ODataApi/odata/85984NED", timeout=2)
    except httpx.HTTPError:
        pytest.skip("geen netwerk naar opendata.cbs.nl")
    f = Fetcher(tmp_path, retries=0)
    path = f.get("CBS open data", "https://opendata.cbs.nl/ODataApi/odata/85984NED/TableInfos",
                 "TableInfos.json", params={"$format": "json"}, validate=cbs_odata.ODATA_PAGE)
    assert "2024" in json.loads(path.read_text())["value"][0]["Title"]
    shutil.rmtree(tmp_path, ignore_errors=True)


# --- the wider KWB catalogue across editions ---------------------------------------------------------

def test_every_2024_catalogue_column_maps_from_the_real_data_properties():
    # The real 85984NED DataProperties: each key the catalogue lists for 2024 maps to its indicator.
    keys = [t["Key"] for t in json.loads((CBS_DIR / "DataProperties.json").read_text(encoding="utf-8"))["value"]
            if t.get("Type") == "Topic"]
    catalogue = load_catalogue()
    mapping = cbs_odata.map_columns(catalogue, 2024, keys)
    for column, indicator_id in catalogue.columns_of("cbs-kwb-2024").items():
        if column == "MateVanStedelijkheid_122":
            continue  # the bundled file's number; the table says _127 (mapped by stable key)
        assert mapping.columns[column] == indicator_id, column
    assert mapping.columns["InBezitWoningcorporatie_49"] == "huurwoningen_corporatie"
    assert mapping.columns["Appartement_54"] == "elektriciteit_appartement"
    assert mapping.columns["Appartement_62"] == "aardgas_appartement"
    assert mapping.columns["EigenWoning_68"] == "aardgas_koopwoning"
    assert mapping.columns["HuishOnderOfRondSociaalMinimum_90"] == "huishoudens_sociaal_minimum"
    assert mapping.columns["WmoClientenRelatief_101"] == "wmo_clienten_per_1000"
    assert mapping.columns["ScholenBinnen3Km_121"] == "scholen_binnen_3km"


@pytest.mark.parametrize(("year", "table", "koop", "corporatie", "overig", "woz"), [
    (2020, "84799NED", 64, 27, 9, 251),
    (2025, "86165NED", 62, 27, 11, 397),
])
def test_other_editions_map_by_stable_key_to_real_gemeente_figures(tmp_path, year, table, koop, corporatie,
                                                                   overig, woz):
    # Row values are the real gemeente figures of that edition; the codebooks are SYNTHETIC (see
    # fixtures/fetch/build_fixtures.py), numbered as public code numbers these tables.
    cache = tmp_path / "cache"
    scopes = cbs_odata.fetch_kwb(fetcher(tmp_path, FakeNetwork()), year, ["GM0034"])
    assert scopes[0].parent.parent.name == table
    batch, mapping = cbs_odata.read_kwb_cache(cache, year, load_catalogue(), {"GM0034": "PV24"})
    values = {(o.area_code, o.indicator_id): (o.value, o.status) for o in batch.observations}
    assert values[("GM0034", "koopwoningen")] == (koop, "observed")
    assert values[("GM0034", "huurwoningen_corporatie")] == (corporatie, "observed")
    assert values[("GM0034", "huurwoningen_overige_verhuurders")] == (overig, "observed")
    assert values[("GM0034", "woz_waarde")] == (woz, "observed")
    assert values[("GM0637", "huurwoningen")][1] == "observed"
    # A secret cell stays without a number, also for energy, mapped through its stable key.
    assert values[("WK003401", "aardgas_gemiddeld")] == (None, "suppressed")
    assert all(o.period == year and o.source_id == f"cbs-kwb-{year}" for o in batch.observations)
    if year == 2020:
        # No guessing: a renamed key stays unmapped, a stem shared by two indicators is skipped.
        assert "PercentageOnbewoond_39" in mapping.unmapped
        assert {"Appartement_48", "Appartement_56"} <= set(mapping.ambiguous)
        assert mapping.columns["EigendomOnbekend_44"] == "eigendom_onbekend"  # the catalogue's stable key


def test_fetched_edition_is_imported_beside_the_bundled_data(tmp_path, fresh_db_url, data_dir):
    cache = tmp_path / "cache"
    cbs_odata.fetch_kwb(fetcher(tmp_path, FakeNetwork()), 2025, ["GM0034"])
    import_bundled(fresh_db_url, data_dir, extra_sources=cached_sources(cache, CacheReport()))
    with db.session_scope(fresh_db_url) as session:
        stored = dict(session.execute(select(Observation.period, Observation.value).where(
            Observation.area_code == "GM0637", Observation.indicator_id == "huurwoningen_corporatie")).all())
        source = session.get(Source, "cbs-kwb-2025")
    assert stored == {2022: 35, 2024: 34, 2025: 34}  # bundled 2022 and 2024, fetched 2025 (all real)
    assert source is not None and source.table_id == "86165NED"
