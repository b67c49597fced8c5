"""Every mutating route of the app × every role × own or other organisation × agreement state.

The routes come from the app's route table: a new write route without a case here fails
``test_every_mutating_route_has_a_case``, and one without a declared ``Permit`` fails
``test_every_mutating_route_declares_its_permission``. The expectations below are written from the
rules of the issue (who may do what), not read from ``accounts.permissions``, so the test checks the
matrix rather than repeating it. A refused case must answer 401/403/404 and change nothing; an allowed
case must succeed, so the test fails in both directions.

Forms are posted with the session cookie of a real login and its CSRF token; the JSON API with a
personal API token.
"""

from __future__ import annotations

import io
import re
import shutil
import time
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.routing import APIRoute
from openpyxl import load_workbook
from sqlalchemy import func, select

from accounts_support import PASSWORD, SETUP, csrf_of, login, member, token_headers
from conftest import make_client
from gebiedsatlas.accounts import services as accounts
from gebiedsatlas.agreements import excel, services
from gebiedsatlas.agreements.parties import seed_signatories
from gebiedsatlas.config import REPO_DIR
from gebiedsatlas.housing import projects as housing_projects
from gebiedsatlas.housing import services as housing
from gebiedsatlas.store import db
from gebiedsatlas.store.accounts import AgreementApproval, ApiToken, Membership, Organisation, UserAccount
from gebiedsatlas.store.agreements import Agreement, Commitment, Party, Realisation, YearTarget
from gebiedsatlas.store.housing import (
    CommitmentProject,
    HousingTarget,
    PartyStockUpload,
    Project,
    Scenario,
    Snapshot,
)
from gebiedsatlas.web.auth import Permit

ROLES = ["anoniem", "lezer", "redacteur", "ondertekenaar", "beheerder", "alliantie", "systeembeheerder"]
RELATIONS = ["eigen", "ander"]  # the person's organisation is a party (and responsible), or it is not
STATES = ["concept", "getekend"]
OWN, OTHER, CORPORATION = "Gemeente Helmond", "Gemeente Almere", "Woonpartners"
EDITORS, SIGNERS = {"redacteur", "beheerder"}, {"ondertekenaar", "beheerder"}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Logging in, out and setting a password with a one-time link are open to everyone by design; they are
# tested in test_accounts.py (rate limit, CSRF, sessions).
OPEN_ROUTES = {"/inloggen", "/uitloggen", "/inloggen/voorbeeld", "/wachtwoord-instellen"}


def _flat(routes, prefix: str = ""):
    """Routes of the app, with the routes of included routers (kept as one entry by FastAPI)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _flat(route.original_router.routes, prefix + route.include_context.prefix)
        else:
            yield prefix, route


def _app_routes(app) -> list[APIRoute]:
    routes = []
    for prefix, route in _flat(app.routes):
        if isinstance(route, APIRoute) and route.methods & MUTATING:
            route.full_path = prefix + route.path
            routes.append(route)
    return routes


def _permits(route: APIRoute) -> list[Permit]:
    found, todo = [], list(route.dependant.dependencies)
    while todo:
        dependency = todo.pop()
        if isinstance(dependency.call, Permit):
            found.append(dependency.call)
        todo.extend(dependency.dependencies)
    return found


# ---------------------------------------------------------------- the world each case acts on

@dataclass
class World:
    """Fresh objects for one case: an agreement of Helmond and Woonpartners (both responsible for
    its one commitment) in the case's state, a spare member of Helmond and a spare user."""

    agreement_id: int
    commitment_id: int
    helmond_party: int
    corporation_party: int
    organisation_id: int
    membership_id: int
    user_id: int
    project_id: int = 0  # a woonprogramma project of Helmond in a Helmond wijk
    scenario_id: int = 0  # a scenario of Helmond


HELMOND_WIJK, HELMOND_BUURT = "WK079410", "BU07941000"


def _world(url: str, state: str, n: int) -> World:
    with db.session_scope(url) as session:
        helmond = session.scalar(select(Party).where(Party.name == OWN))
        corporation = session.scalar(select(Party).where(Party.name == CORPORATION))
        agreement = services.create_agreement(session, services.parse_agreement(session, {
            "title": f"Matrix {n}", "gemeente_code": "GM0794", "period_start": 2026, "period_end": 2029,
            "party_ids": [helmond.id, corporation.id]}), SETUP)
        commitment = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
            "text": "Samen 100 woningen opleveren.", "theme": "beschikbaarheid",
            "party_ids": [helmond.id, corporation.id], "target_kind": "output", "output_unit": "woningen",
            "year_targets": "2026: 50; 2027: 50"}), SETUP)
        if state == "getekend":
            services.change_status(session, agreement, "bod", SETUP)
            services.change_status(session, agreement, "getekend", SETUP, signed_on=date(2025, 12, 15))
        organisation = accounts.organisation_by_name(session, OWN)
        spare = accounts.create_user(session, f"spare{n}@test.invalid", f"Spare {n}", SETUP)
        membership = accounts.set_membership(session, spare, organisation, "lezer", SETUP)
        project = housing_projects.create(session, housing_projects.ProjectData(
            name=f"Matrixproject {n}", gemeente_code="GM0794", area_code=HELMOND_WIJK, party_id=helmond.id,
            kind="nieuwbouw", phase="vergund", planned_year=2028, lines={"sociale_huur": 10}), SETUP)
        scenario = housing.create_scenario(session, "GM0794", housing.parse_scenario({"name": f"Matrix {n}"}), SETUP)
        return World(agreement.id, commitment.id, helmond.id, corporation.id, organisation.id, membership.id,
                     spare.id, project.id, scenario.id)


def _fingerprint(url: str, world: World) -> tuple:
    """What a write could change: row counts and the case's own objects."""
    with db.session_scope(url) as session:
        counts = tuple(session.scalar(select(func.count()).select_from(model)) for model in (
            Agreement, Commitment, Realisation, YearTarget, Party, Organisation, Membership, UserAccount, ApiToken,
            AgreementApproval, Project, Scenario, Snapshot, PartyStockUpload, HousingTarget, CommitmentProject))
        project = session.get(Project, world.project_id)
        agreement = session.get(Agreement, world.agreement_id)
        commitment = session.get(Commitment, world.commitment_id)
        membership = session.get(Membership, world.membership_id)
        spare = session.get(UserAccount, world.user_id)
        organisation = session.get(Organisation, world.organisation_id)
        return counts + (agreement.status, agreement.title, agreement.published_at, commitment.text,
                         tuple((t.year, t.planned) for t in commitment.year_targets),
                         membership.role if membership else None, spare.is_active, spare.reset_token_hash,
                         organisation.oidc_key, project.name if project else None,
                         project.planned_year if project else None)


# ---------------------------------------------------------------- requests and expectations

def _workbook(world: World) -> bytes:
    """A valid upload: a new concept agreement of Helmond and Woonpartners."""
    wb = load_workbook(io.BytesIO(excel.template_workbook()))
    wb["Afspraken"].append(["X1", "Upload matrix", "GM0794", 2026, 2029, f"{OWN}; {CORPORATION}", "concept"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _requests(world: World, token_id: int | None) -> dict[str, tuple[str, dict]]:
    a, c = world.agreement_id, world.commitment_id
    agreement = {"title": "Nieuwe afspraken Helmond", "gemeente_code": "GM0794", "period_start": 2026,
                 "period_end": 2029, "party_ids": [world.helmond_party, world.corporation_party]}
    commitment = {"text": "Nog een afspraak van Helmond.", "theme": "overig", "party_ids": [world.helmond_party]}
    form_agreement = {**agreement, "party_ids": [str(p) for p in agreement["party_ids"]]}
    form_commitment = {**commitment, "party_ids": [str(world.helmond_party)]}
    m, o, u = world.membership_id, world.organisation_id, world.user_id
    housing_project = {"gebied": HELMOND_WIJK, "partij": str(world.helmond_party), "soort": "nieuwbouw",
                       "fase": "planvorming", "opleverjaar": "2029", "sociale_huur": "12"}
    return {
        "/api/parties": ("json", {"name": f"Huurders matrix {a}", "kind": "huurdersorganisatie"}),
        "/api/agreements": ("json", agreement),
        "/api/agreements/{agreement_id}/status": ("json", {}),  # the body follows the state: _status_body
        "/api/agreements/{agreement_id}/publish": ("json", {}),
        "/api/agreements/{agreement_id}/commitments": ("json", commitment),
        "/api/commitments/{commitment_id}/realisations": ("json", {"year": 2026, "value": 40,
                                                                   "reported_by_party_id": world.helmond_party}),
        "/afspraken/partijen/nieuw": ("form", {"name": f"Welzijn matrix {a}", "kind": "welzijn"}),
        "/afspraken/nieuw": ("form", form_agreement),
        # lock_version: the version the edit form was loaded with (a fresh world's objects are at 1).
        "/afspraken/{agreement_id}/bewerken": ("form", {**form_agreement, "title": f"Gewijzigd {a}",
                                                        "lock_version": "1"}),
        "/afspraken/{agreement_id}/status": ("form", {}),
        "/afspraken/{agreement_id}/publiceren": ("form", {}),
        "/afspraken/{agreement_id}/afspraak/nieuw": ("form", form_commitment),
        "/afspraken/afspraak/{commitment_id}/bewerken": ("form", {
            "text": f"Gewijzigde afspraak {c}", "theme": "overig",
            "party_ids": [str(world.helmond_party), str(world.corporation_party)], "lock_version": "1"}),
        "/afspraken/afspraak/{commitment_id}/jaarschijven": ("form", {"jaar_2026": "60", "jaar_2027": "40",
                                                                      "lock_version": "1"}),
        "/afspraken/afspraak/{commitment_id}/realisatie": ("form", {"year": "2026", "value": "40",
                                                                   "reported_by_party_id": str(world.helmond_party)}),
        "/afspraken/excel": ("upload", {}),
        "/account/wachtwoord": ("form", {"current": PASSWORD, "password": PASSWORD, "password2": PASSWORD}),
        "/account/tokens": ("form", {"name": "matrix"}),
        "/account/tokens/{token_id}/intrekken": ("form", {}),
        "/beheer/organisaties/{organisation_id}/leden": ("form", {"email": f"nieuw{m}@test.invalid",
                                                                  "name": "Nieuw lid", "role": "lezer"}),
        "/beheer/organisaties/{organisation_id}/leden/{membership_id}/rol": ("form", {"role": "redacteur"}),
        "/beheer/organisaties/{organisation_id}/leden/{membership_id}/verwijderen": ("form", {}),
        "/beheer/organisaties/{organisation_id}/oidc": ("form", {"oidc_key": f"helmond-{m}"}),
        "/beheer/gebruikers/{user_id}/wachtwoord-reset": ("form", {}),
        "/beheer/gebruikers/{user_id}/blokkeren": ("form", {}),
        "/beheer/gebruikers/{user_id}/activeren": ("form", {}),
        # woonprogramma
        "/api/woonprogramma/{gemeente_code}/projecten": ("json", {**housing_project, "naam": f"API {a}",
                                                                  "partij": world.helmond_party}),
        "/woonprogramma/{gemeente_code}/projecten/nieuw": ("form", {**housing_project, "naam": f"Nieuw {a}"}),
        "/woonprogramma/project/{project_id}/bewerken": ("form", {**housing_project, "naam": f"Gewijzigd {a}",
                                                                  "opleverjaar": "2030"}),
        "/woonprogramma/{gemeente_code}/projecten/import": ("upload-projects", {}),
        "/woonprogramma/voorraad/{party_id}/upload": ("upload-stock", {"peiljaar": "2025"}),
        "/woonprogramma/{gemeente_code}/doelen": ("form", {
            "key": f"helmond-sociaal-{a}", "label": "Sociale huur per wijk", "kind": "aandeel_voorraad",
            "segment": "sociale_huur", "scope_kind": "gemeente", "per_wijk": "ja", "min_share": "25",
            "max_share": "45", "source_kind": "woonvisie"}),
        "/woonprogramma/{gemeente_code}/scenarios": ("form", {"name": f"Zonder verkoop {a}", "mode": "gepland",
                                                            "excluded_kinds": "verkoop"}),
        "/woonprogramma/scenario/{scenario_id}/project": ("form", {**housing_project, "naam": f"Extra sloop {a}",
                                                                   "soort": "sloop"}),
        "/woonprogramma/{gemeente_code}/peilmoment": ("form", {}),
        "/woonprogramma/afspraak/{commitment_id}/projecten": ("form", {"project_ids": str(world.project_id)}),
        "/woonprogramma/doel/{key}/overnemen": ("form", {"agreement_id": str(a)}),
    }, {"agreement_id": a, "commitment_id": c, "organisation_id": o, "membership_id": m, "user_id": u,
        "token_id": token_id or 0, "gemeente_code": "GM0794", "project_id": world.project_id,
        "party_id": world.helmond_party, "scenario_id": world.scenario_id, "key": "npa-sociale-huur-30"}


@dataclass
class _Outcome:
    status_code: int
    text: str


def _finished_upload(client, response):
    """An accepted upload is imported as a job (303 to its page): wait for it; 200 if everything was
    imported, 422 if its rows were refused (as the upload answered before it ran in the background)."""
    job = response.headers.get("location", "")
    if response.status_code != 303 or not job.startswith("/afspraken/excel/taak/"):
        return response
    for _ in range(600):
        status = client.get(f"{job}/status").json()
        if status["finished"]:
            return _Outcome(200 if status["state"] == "klaar" else 422, client.get(job).text)
        time.sleep(0.1)
    raise AssertionError(f"{job} did not finish")


def _status_body(state: str) -> dict:
    """The next step from each state: agree to the bod from concept, to closing from getekend."""
    return {"status": "bod"} if state == "concept" else {"status": "afgerond"}


def expected(path: str, role: str, relation: str, state: str) -> bool:
    """The rules of the issue, per route: who may, on whose objects, in which state."""
    own = relation == "eigen" and role not in ("anoniem", "alliantie", "systeembeheerder")
    editor, signer = role in EDITORS, role in SIGNERS
    unlocked = state == "concept"
    if path == "/woonprogramma/doel/{key}/overnemen":
        return editor and own and unlocked  # a new commitment in the agreement: as adding one
    if path.startswith(("/woonprogramma/", "/api/woonprogramma/")):
        # projects, stock, targets, scenarios and snapshots of one's own organisation (Helmond) only;
        # linking projects: the commitment's responsible parties, in any state
        return editor and own
    if path in ("/api/parties", "/afspraken/partijen/nieuw"):
        return editor or role == "systeembeheerder"
    if path in ("/api/agreements", "/afspraken/nieuw"):
        return editor and own
    if path.endswith("/status"):
        return signer and own  # from concept: agree to the bod; from getekend: agree to close
    if path.endswith(("/publish", "/publiceren")):
        return signer and own and state == "getekend"
    if path.endswith(("/commitments", "/afspraak/nieuw", "/bewerken", "/jaarschijven")):
        return editor and own and unlocked
    if path.endswith(("/realisations", "/realisatie")):
        return editor and own and state == "getekend"
    if path == "/afspraken/excel":
        return editor and own  # any editor may upload; the rows need the rights on what they touch
    if path.startswith("/account/"):
        return role != "anoniem"
    if path.startswith("/beheer/organisaties/") and path.endswith("/oidc"):
        return role == "systeembeheerder"
    if path.startswith("/beheer/organisaties/"):
        return role == "systeembeheerder" or (role == "beheerder" and relation == "eigen")
    if path.startswith("/beheer/gebruikers/"):
        return role == "systeembeheerder"
    raise AssertionError(f"no expectation for {path}")


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def matrix_store(template_db, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("matrix") / "matrix.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    with db.session_scope(url) as session:
        seed_signatories(session, REPO_DIR / "data")
    return url


@dataclass
class Person:
    client: object
    headers: dict
    csrf: str
    user_id: int | None


@pytest.fixture(scope="module")
def people(matrix_store):
    """A logged-in client (session cookie, CSRF token) and an API token per role and relation."""
    out: dict[tuple[str, str], Person] = {}
    for role in ROLES:
        for relation in RELATIONS:
            client = make_client(matrix_store).__enter__()
            if role == "anoniem":
                out[role, relation] = Person(client, {}, csrf_of(client.get("/inloggen").text), None)
                continue
            organisation = {"alliantie": "New Town Alliantie", "systeembeheerder": None}.get(
                role, OWN if relation == "eigen" else OTHER)
            email = member(matrix_store, organisation, None if role in ("systeembeheerder",) else
                           ("lezer" if role == "alliantie" else role), admin=role == "systeembeheerder")
            assert login(client, email).status_code == 303
            with db.session_scope(matrix_store) as session:
                user_id = session.scalar(select(UserAccount.id).where(UserAccount.email == email))
            out[role, relation] = Person(client, token_headers(matrix_store, email),
                                         csrf_of(client.get("/account").text), user_id)
    yield out
    for person in out.values():
        person.client.__exit__(None, None, None)


# ---------------------------------------------------------------- the tests

def test_every_mutating_route_declares_its_permission(matrix_store):
    with make_client(matrix_store) as client:
        routes = _app_routes(client.app)
        missing = [f"{sorted(r.methods)} {r.full_path}" for r in routes if not _permits(r)]
    assert len(routes) >= 30
    assert missing == []


def test_every_mutating_route_has_a_case(matrix_store):
    with make_client(matrix_store) as client:
        paths = {re.sub(r":\w+}", "}", r.full_path) for r in _app_routes(client.app)}  # {id:int} -> {id}
    known = set(_requests(World(1, 1, 1, 1, 1, 1, 1), 1)[0]) | OPEN_ROUTES
    assert paths - known == set(), "a write route without a case in the authorisation matrix test"
    assert known - paths == set(), "a case for a route that no longer exists"


CASES = [(path, role, relation, state)
         for path in sorted(_requests(World(1, 1, 1, 1, 1, 1, 1), 1)[0])
         for role in ROLES for relation in RELATIONS for state in STATES]
_tally = {"cases": 0, "allowed": 0, "refused": 0, "unauthorised_successes": 0}


@pytest.mark.parametrize(("path", "role", "relation", "state"), CASES)
def test_matrix(matrix_store, people, path, role, relation, state):
    person = people[role, relation]
    world = _world(matrix_store, state, len(CASES) + _tally["cases"])
    _tally["cases"] += 1
    token_id = None
    if person.user_id is not None and "{token_id}" in path:
        with db.session_scope(matrix_store) as session:
            _, _secret = accounts.create_token(session, session.get(UserAccount, person.user_id), "weg", SETUP)
            token_id = session.scalar(select(func.max(ApiToken.id)))
    requests, ids = _requests(world, token_id)
    kind, body = requests[path]
    if path.endswith("/status"):
        body = _status_body(state)
    url = path.format(**ids)
    before = _fingerprint(matrix_store, world)
    client = person.client
    if kind == "json":
        response = client.post(url, json=body, headers=person.headers)
    elif kind in ("upload-projects", "upload-stock"):
        content = (f"naam,gebied,partij,soort,fase,opleverjaar,sociale_huur\nGeïmporteerd {world.project_id},"
                   f"{HELMOND_WIJK},{OWN},nieuwbouw,vergund,2029,8\n" if kind == "upload-projects"
                   else f"buurtcode,sociale_huur,middenhuur,vrije_huur\n{HELMOND_BUURT},100,5,0\n")
        response = client.post(url, data={"csrf_token": person.csrf, **body},
                               files={"bestand": ("matrix.csv", content.encode(), "text/csv")}, follow_redirects=False)
    elif kind == "upload":
        response = _finished_upload(client, client.post(
            url, data={"csrf_token": person.csrf},
            files={"bestand": ("matrix.xlsx", _workbook(world), "application/octet-stream")}, follow_redirects=False))
    else:
        response = client.post(url, data={**body, "csrf_token": person.csrf}, follow_redirects=False)
    allowed = expected(path, role, relation, state)
    success = response.status_code < 400
    if success and not allowed:
        _tally["unauthorised_successes"] += 1
    _tally["allowed" if allowed else "refused"] += 1
    if allowed:
        assert success, f"{role}/{relation}/{state} {url}: {response.status_code} {response.text[:300]}"
        if path == "/account/wachtwoord":  # a new password starts a new session, with a new CSRF token
            person.csrf = csrf_of(client.get("/inloggen").text)
    else:
        # 422 only for the upload: it may be sent, but its rows are refused one by one.
        uploads = ("/afspraken/excel", "/woonprogramma/{gemeente_code}/projecten/import")
        refusals = (401, 403, 404, 422) if path in uploads else (401, 403, 404)
        assert response.status_code in refusals, f"{role}/{relation}/{state} {url}: {response.status_code}"
        assert _fingerprint(matrix_store, world) == before, f"{role}/{relation}/{state} {url} changed data"


def test_matrix_tally():
    """Runs after the cases (same module, file order): how many there were, and 0 unauthorised successes."""
    print(f"\nautorisatiematrix: {_tally}")
    if _tally["cases"]:
        assert _tally["cases"] == len(CASES) and _tally["unauthorised_successes"] == 0
