"""The EP-online connector on a stored register ZIP: the key as a setting, labels joined to BAG woningen
by id or address, the latest valid label per woning, counts and the share E/F/G per buurt.

The label rows are SYNTHETIC (see fixtures/fetch/ep-online/build_ep_online_fixture.py), in the layout
of the EP-online v5 Mutatiebestand CSV; they refer to the synthetic BAG fixture.
"""

from __future__ import annotations

import io
import math
import zipfile

import httpx
import pytest
from sqlalchemy import select

from fetch_support import BAG_PAGE_SIZE, FakeNetwork
from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.fetch import bag, energielabels
from gebiedsatlas.sources.fetch.cache import Fetcher, read_meta
from gebiedsatlas.sources.fetch.cached import CacheReport, cached_sources
from gebiedsatlas.sources.importer import import_bundled
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Observation

KEY = "SYNTHETIC-TEST-KEY"


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(bag, "PAGE_SIZE", BAG_PAGE_SIZE)


@pytest.fixture(scope="module")
def buurten(data_dir):
    return bag.bundled_buurten(data_dir)


def fetcher(tmp_path, network) -> Fetcher:
    return Fetcher(tmp_path / "cache", client=network.client(), sleep=lambda _s: None)


def fetch_both(tmp_path, network, buurten):
    f = fetcher(tmp_path, network)
    bag.fetch_bag(f, bag.gemeente_bboxes(buurten, ["GM0034"]))
    return energielabels.fetch_energielabels(f, KEY)


def test_without_a_key_the_setting_is_named_and_nothing_is_requested(tmp_path, monkeypatch):
    monkeypatch.delenv(energielabels.KEY_ENV, raising=False)
    network = FakeNetwork()
    with pytest.raises(energielabels.MissingApiKey) as info:
        energielabels.fetch_energielabels(fetcher(tmp_path, network))
    assert energielabels.KEY_ENV in str(info.value) and "apikey.ep-online.nl" in str(info.value)
    assert network.requests == []


def test_the_key_is_sent_as_header_and_never_stored(tmp_path, buurten):
    network = FakeNetwork()
    path = fetch_both(tmp_path, network, buurten)
    info = next(r for r in network.requests if "DownloadInfo" in str(r.url))
    assert info.headers["Authorization"] == KEY and KEY not in str(info.url)
    assert path.name == "v20260801_v4_csv.zip"
    # The signed download link is not kept: the sidecar names the DownloadInfo endpoint instead.
    assert read_meta(path)["url"] == energielabels.DOWNLOAD_INFO
    for stored in (tmp_path / "cache" / "ep-online").iterdir():
        assert KEY.encode() not in stored.read_bytes() and b"sig=SYNTHETIC" not in stored.read_bytes()


def test_a_refused_key_is_reported_in_dutch_without_the_key(tmp_path):
    network = FakeNetwork(lambda r: httpx.Response(401, json={"status": 401, "title": "Unauthorized"})
                          if r.headers.get("Authorization") == "WRONG-KEY" else None)
    with pytest.raises(energielabels.KeyRefused) as info:
        energielabels.fetch_energielabels(fetcher(tmp_path, network), "WRONG-KEY")
    assert "weigerde de API-sleutel (HTTP 401)" in str(info.value) and "WRONG-KEY" not in str(info.value)
    assert energielabels.cached_files(tmp_path / "cache") == []


def test_labels_per_buurt_counted_by_hand(tmp_path, buurten):
    fetch_both(tmp_path, FakeNetwork(), buurten)
    batch, result = energielabels.read_energielabels_cache(tmp_path / "cache", buurten, 2024)
    # BU00340101: woning 1 (G expired, then C), 2 (F), 3 (A), 4 (E, joined on the address), 5 (A+++)
    # = 5 labelled, 2 E/F/G; woning 6 has only an expired G; the office (14) is no woning.
    assert dict(result.counts["BU00340101"]) == {"energielabel_woningen": 5, "energielabel_efg": 2}
    assert dict(result.counts["BU00340102"]) == {"energielabel_woningen": 1, "energielabel_efg": 1}
    assert dict(result.counts["WK003401"]) == {"energielabel_woningen": 6, "energielabel_efg": 3}
    assert dict(result.counts["GM0034"]) == {"energielabel_woningen": 6, "energielabel_efg": 3}
    assert result.counts["BU00340201"]["energielabel_woningen"] == 0
    assert result.expired == 1 and result.unmatched == 2 and str(result.published) == "2026-08-01"
    assert {o.period for o in batch.observations} == {2026}


def test_import_gives_the_share_of_labelled_woningen_with_e_f_or_g(tmp_path, fresh_db_url, data_dir, buurten):
    fetch_both(tmp_path, FakeNetwork(), buurten)
    report = CacheReport()
    import_bundled(fresh_db_url, data_dir, extra_sources=cached_sources(tmp_path / "cache", report))
    assert any(line.startswith("EP-online: 7 woningen met een label gekoppeld") for line in report.read), report.read
    with db.session_scope(fresh_db_url) as session:
        def value(area, indicator):
            return session.scalar(select(Observation.value).where(
                Observation.area_code == area, Observation.indicator_id == indicator, Observation.period == 2026))

        assert math.isclose(value("BU00340101", "aandeel_energielabel_efg"), 2 / 5 * 100)
        assert math.isclose(value("GM0034", "aandeel_energielabel_efg"), 3 / 6 * 100)
        assert value("BU00340201", "aandeel_energielabel_efg") is None  # 0 labels: no share, not 0 %


def test_an_unknown_energy_class_names_file_line_and_column(tmp_path, buurten):
    path = fetch_both(tmp_path, FakeNetwork(), buurten)
    with zipfile.ZipFile(path) as archive:
        name = archive.namelist()[0]
        text = archive.read(name).decode()
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr(name, text.replace(";F;W;", ";Z;W;"))
    path.write_bytes(broken.getvalue())
    with pytest.raises(InputError) as info:
        energielabels.read_energielabels_cache(tmp_path / "cache", buurten, 2024)
    message = str(info.value)
    assert name in message and "rij 6" in message and "Energieklasse" in message and "Z" in message
