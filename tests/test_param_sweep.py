"""No 500 on bad parameters: every GET route of the atlas and the analyses, each path and query
parameter in turn set to a hostile value (huge, negative, zero, not a number, empty, very long,
a path, a NUL byte, NaN/inf), answers with a 2xx, 3xx or 4xx status, never 5xx.

The routes come from the app's own route table, so a new route is swept without changing this
test. The prestatieafspraken routes (/afspraken, /api/agreements, /api/commitments, /api/parties)
are left out: their write paths are being rewritten for accounts and roles.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute

EXCLUDED_PREFIXES = ()
# Pages behind a login (or that start one), and the prestatieafspraken (the shared store has none, or
# only drafts this anonymous client may not see): swept for server errors like every route, but their
# valid request is a redirect, 401 or 404 here (tests/test_accounts.py and the agreements tests log in).
NOT_PUBLIC_PREFIXES = ("/beheer", "/account", "/inloggen", "/wachtwoord-instellen", "/afspraken",
                       "/api/agreements", "/api/commitments",
                       # a woonprogramma project and a commitment's project page need objects this store lacks
                       "/woonprogramma/project/", "/woonprogramma/afspraak/")
HOSTILE = [2**64, 2**63, 99999999999, -1, 0, 10**20, "abc", "", "x" * 5000, "../..", "\x00", "%00", "nan", "inf"]
# Values for required parameters (and a few optional ones that take a route past its first check),
# so that each hostile value is tried on a request that is otherwise valid.
GOOD = {"code": "GM0034", "set_id": "nta", "indicator_id": "inwoners", "indicators": "inwoners",
        "indicator": "inwoners", "area": "WK003401", "areas": "GM0034,GM0356", "boundary_year": "2024",
        "layer": "vulnerability", "level": "gemeente", "agreement_id": 1, "commitment_id": 1, "party_id": 1,
        "organisation_id": 1, "project_id": 1}
CONTEXT = {  # route -> optional parameters for the valid base request
    "/api/values": {"areas": "GM0034"},
    "/api/harmonised": {"areas": "GM0034"},
    "/api/geojson": {"indicator": "inwoners"},
    "/api/analysis/peers/{code}": {"code": "WK003401"},
    "/api/analysis/area/{code}": {"code": "WK003401"},
}


def _params(dependant, kind: str) -> list:
    found = list(getattr(dependant, kind))
    for sub in dependant.dependencies:
        found += _params(sub, kind)
    return found


def _get_routes(app) -> list[tuple[str, APIRoute]]:
    """(path, route) of every GET API route, also when routers are included lazily."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI versions that copy included routes into app.routes
        return [(r.path, r) for r in app.routes if isinstance(r, APIRoute) and "GET" in r.methods]
    return [(c.path, c.original_route) for c in iter_route_contexts(app.routes)
            if isinstance(c.original_route, APIRoute) and "GET" in (c.methods or ())]


def _swept_routes(app) -> list[tuple[str, list[str], list[str], list[str]]]:
    """(path, path params, query params, required query params) of the routes to sweep."""
    out = []
    for path, route in _get_routes(app):
        if path.startswith(EXCLUDED_PREFIXES):
            continue
        path_params = [p.name for p in _params(route.dependant, "path_params")]
        query = _params(route.dependant, "query_params")
        out.append((path, path_params, [p.alias for p in query],
                    [p.alias for p in query if p.field_info.is_required()]))
    return out


def _url(path: str, values: dict[str, object]) -> str:
    for name, value in values.items():  # also "{name:int}", Starlette's convertor syntax
        path = re.sub(r"\{" + name + r"(:\w+)?\}", lambda _m, v=value: quote(str(v), safe=""), path)
    return path


def test_route_table_is_found(client):
    paths = {path for path, *_ in _swept_routes(client.app)}
    assert {"/api/areas/{code}", "/api/analysis/vulnerability", "/gebied/{code}", "/kaart",
            "/indicator/{indicator_id}"} <= paths
    assert {"/afspraken/{agreement_id:int}", "/api/agreements/{agreement_id}", "/beheer/logboek"} <= paths


def test_no_server_error_on_hostile_parameters(client):
    failures: list[str] = []
    requests = 0
    for path, path_params, query_params, required in _swept_routes(client.app):
        context = CONTEXT.get(path, {})
        base_path = {p: context.get(p, GOOD.get(p, "GM0034")) for p in path_params}
        base_query = {q: context.get(q) or GOOD[q] for q in required}
        base_query |= {q: v for q, v in context.items() if q not in path_params}
        cases = [("(geldig)", None)] + [(p, v) for p in path_params + query_params for v in HOSTILE]
        for name, value in cases:
            path_values, query = dict(base_path), dict(base_query)
            if name in path_values:
                path_values[name] = value
            elif value is not None:
                query[name] = value
            url = _url(path, path_values)
            requests += 1
            try:
                status = client.get(url, params={k: str(v) for k, v in query.items()},
                                    follow_redirects=False).status_code
            except Exception as exc:  # the TestClient re-raises what the server did not handle
                failures.append(f"{url} {name}={str(value)[:20]!r}: {type(exc).__name__}: {str(exc)[:120]}")
                continue
            if name == "(geldig)" and status != 200 and not path.startswith(NOT_PUBLIC_PREFIXES):
                # else the sweep would not reach the code behind it
                failures.append(f"{url} {query}: the valid request answers HTTP {status}")
            elif status >= 500:
                failures.append(f"{url} {name}={str(value)[:20]!r}: HTTP {status}")
    assert not failures, f"{len(failures)} of {requests} requests failed:\n" + "\n".join(failures)
    assert requests > 500


@pytest.mark.parametrize(("url", "status"), [
    ("/api/analysis/vulnerability?period=-1", 422),
    ("/api/analysis/vulnerability?period=99999999999", 422),
    (f"/api/analysis/change?from={2**64}", 422),
    (f"/api/geojson?level=gemeente&period={2**64}", 422),
    (f"/api/values?indicators=inwoners&areas=GM0034&periods=2023,{2**64}", 400),
    (f"/kaart/tabel?period={2**63}", 422),
])
def test_years_out_of_range_are_refused(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert "1900" in response.text or "2100" in response.text  # the answer names the range


@pytest.mark.parametrize("jaar", ["-1", "0", "10000", str(2**64), "abc"])
def test_cycle_page_rejects_impossible_years(client, jaar):
    response = client.get("/afspraken/cyclus", params={"jaar": jaar})
    assert response.status_code == 422


def test_cycle_page_accepts_a_year(client):
    assert client.get("/afspraken/cyclus", params={"jaar": "2027"}).status_code == 200
