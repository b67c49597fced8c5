"""A fake network for the connector tests: ``httpx.MockTransport`` serving the stored response files.

Only the network is replaced; the connectors, the cache and the importer run for real. Each source's
responses are trimmed copies in its published format (see ``fixtures/fetch/build_fixtures.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fetch"
CBS_DIR = FIXTURES / "cbs" / "85984NED"
POLITIE_DIR = FIXTURES / "politie" / "47018NED"
STOCK_DIR = FIXTURES / "cbs" / "81955NED"  # woningvoorraad en mutaties (woonprogramma)
POLITIE_PAGE_ROWS = 60
BAG_PAGE_SIZE = 10  # the BAG fixture's pages; tests set bag.PAGE_SIZE to this


def fixture_for(request: httpx.Request) -> Path | None:
    """The stored response file for a request to CBS, the police (via CBS), PDOK, the Leefbaarometer,
    the BAG WFS, EP-online or the RIVM WCS."""
    path, params = request.url.path, request.url.params
    host = request.url.host
    table = re.search(r"/(\d{5}NED)/", path)
    if host == "opendata.cbs.nl" and "/81955NED/" in path:
        name = path.rsplit("/", 1)[1]
        if name == "UntypedDataSet":
            return STOCK_DIR / f"UntypedDataSet-page-{int(params.get('$skip', '0')) // 2 + 1}.json"
        return STOCK_DIR / f"{name}.json"
    if host == "opendata.cbs.nl" and table and (FIXTURES / "cbs" / table.group(1)).is_dir():
        # KWB editions: 85984NED (2024, real), 84799NED (2020) and 86165NED (2025, see build_fixtures.py)
        folder = FIXTURES / "cbs" / table.group(1)
        name = path.rsplit("/", 1)[1]
        if name == "UntypedDataSet":
            page = int(params.get("$skip", "0")) // 40 + 1
            return folder / f"UntypedDataSet-page-{page}.json"
        return folder / f"{name}.json"
    if host == "dataderden.cbs.nl" and "/47018NED/" in path:
        name = path.rsplit("/", 1)[1]
        if name == "UntypedDataSet":
            year = re.search(r"Perioden eq '(\d{4})JJ00'", params.get("$filter", ""))
            page = int(params.get("$skip", "0")) // POLITIE_PAGE_ROWS + 1
            return POLITIE_DIR / f"UntypedDataSet-{year.group(1) if year else 'alle'}-page-{page}.json"
        return POLITIE_DIR / f"{name}.json"
    if host == "api.pdok.nl" and path.endswith("/collections/buurten/items"):
        page = 2 if params.get("cursor") == "page2" else 1
        return FIXTURES / "pdok" / f"buurten-GM0034-page-{page}.json"
    if host == "www.leefbaarometer.nl" and "buurten" in path:
        return FIXTURES / "leefbaarometer" / "buurten.csv"
    if host == "service.pdok.nl" and path == "/lv/bag/wfs/v2_0" and params.get("typeNames") == "bag:verblijfsobject":
        page = int(params.get("startIndex", "0")) // BAG_PAGE_SIZE + 1
        return FIXTURES / "bag" / f"verblijfsobject-GM0034-page-{page}.json"
    if host == "public.ep-online.nl" and path == "/api/v5/Mutatiebestand/DownloadInfo":
        if not request.headers.get("Authorization"):
            return FIXTURES / "ep-online" / "missing-key"
        return FIXTURES / "ep-online" / "DownloadInfo.json"
    if host == "epbdwebservices.rvo.nl":
        return FIXTURES / "ep-online" / path.rsplit("/", 1)[1]
    if host == "data.rivm.nl" and path == "/geo/alo/wcs":
        if params.get("request") == "GetCapabilities":
            return FIXTURES / "klimaat" / "capabilities.xml"
        if params.get("request") == "DescribeCoverage":
            return FIXTURES / "klimaat" / "describe.xml"
        coverage = params.get("coverageId", "")
        name = "gevoelstemperatuur" if "gevoelstemperatuur" in coverage else "waterdiepte"
        return FIXTURES / "klimaat" / f"{name}-synthetic.tif"
    return None


class FakeNetwork:
    """Serves fixtures; ``fail`` decides per request whether to break it (and how)."""

    def __init__(self, fail: Callable[[httpx.Request], httpx.Response | Exception | None] | None = None):
        self.requests: list[httpx.Request] = []
        self.fail = fail

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail is not None:
            outcome = self.fail(request)
            if isinstance(outcome, Exception):
                raise outcome
            if outcome is not None:
                return outcome
        path = fixture_for(request)
        if path is not None and path.name == "missing-key":
            return httpx.Response(401, json={"status": 401, "title": "Unauthorized"})
        if path is None or not path.exists():
            return httpx.Response(404, text="not found")
        kind = {".csv": "text/csv", ".xml": "application/xml", ".tif": "image/tiff",
                ".zip": "application/zip"}.get(path.suffix, "application/json")
        return httpx.Response(200, content=path.read_bytes(), headers={"content-type": kind})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def urls(self, contains: str = "") -> list[str]:
        return [str(r.url) for r in self.requests if contains in str(r.url)]
