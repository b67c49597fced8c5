"""Parallel writers against a running server, on SQLite (two worker processes) and PostgreSQL.

Real HTTP requests from threads, released together by a barrier: 20 realisation reports for one
commitment and year, 20 new commitments of one agreement, two people saving the same agreement form
on the same version, and the same party approving twice at once. No request may answer 500, no number
or version may repeat or be skipped, and no save may silently undo another one (it answers 409 with
both versions). The totals per engine are printed by ``test_tally``.

In-process: the commitment form and the jaarschijven table answer 409 on a stale version, keep the
person's input and show both versions; saving again re-applies it.
"""

from __future__ import annotations

import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from sqlalchemy import select

from accounts_support import PASSWORD, SETUP, csrf_of, login, member, token_headers
from conftest import LiveServer, make_client
from gebiedsatlas.agreements import services
from gebiedsatlas.store import db
from gebiedsatlas.store.agreements import Agreement, Commitment, Party, Realisation

pytest_plugins = ("postgres_support",)  # postgres_url, imported: a private PostgreSQL cluster

PARALLEL = 20
HELMOND, WOONPARTNERS = "Gemeente Helmond", "Woonpartners"
TALLY: dict[str, dict[str, int]] = {}


def _count(engine: str, **add: int) -> None:
    tally = TALLY.setdefault(engine, {"requests": 0, "errors": 0, "duplicates": 0, "silent_reverts": 0})
    for key, value in add.items():
        tally[key] += value


@dataclass
class World:
    engine: str
    url: str
    signed_id: int  # a signed agreement with one output commitment
    commitment_id: int
    concept_id: int  # a concept agreement: new commitments and edits
    approval_id: int  # a concept agreement to approve
    helmond: int
    woonpartners: int
    editor: dict  # token of an editor of Woonpartners
    signers: dict  # tokens of a signer of each party
    form_editors: tuple[str, str]  # two editors of Helmond who use the forms


def _agreement(session, title: str, helmond: int, woonpartners: int) -> Agreement:
    return services.create_agreement(session, services.parse_agreement(session, {
        "title": title, "gemeente_code": "GM0794", "period_start": 2026, "period_end": 2029,
        "party_ids": [helmond, woonpartners], "description": "Zoals afgesproken in de driehoek."}), SETUP)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, template_db, tmp_path_factory) -> World:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("parallel") / "parallel.sqlite"
        shutil.copy(template_db, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("imported")
    editor = token_headers(url, member(url, WOONPARTNERS, "redacteur"))
    signers = {HELMOND: token_headers(url, member(url, HELMOND, "ondertekenaar")),
               WOONPARTNERS: token_headers(url, member(url, WOONPARTNERS, "ondertekenaar"))}
    form_editors = (member(url, HELMOND, "redacteur"), member(url, HELMOND, "redacteur"))
    with db.session_scope(url) as session:
        helmond = session.scalar(select(Party.id).where(Party.name == HELMOND))
        woonpartners = session.scalar(select(Party.id).where(Party.name == WOONPARTNERS))
        signed = _agreement(session, "Parallel: getekend", helmond, woonpartners)
        commitment = services.add_commitment(session, signed, services.parse_commitment(session, signed, {
            "text": "Woonpartners levert 100 woningen op.", "theme": "beschikbaarheid", "party_ids": [woonpartners],
            "target_kind": "output", "output_unit": "woningen", "year_targets": "2026: 50; 2027: 50"}), SETUP)
        services.change_status(session, signed, "bod", SETUP)
        services.change_status(session, signed, "getekend", SETUP, signed_on=date(2025, 12, 15))
        concept = _agreement(session, "Parallel: concept", helmond, woonpartners)
        approval = _agreement(session, "Parallel: akkoord", helmond, woonpartners)
        ids = signed.id, commitment.id, concept.id, approval.id
    return World(request.param, url, *ids, helmond, woonpartners, editor, signers, form_editors)


@pytest.fixture(scope="module")
def server(world):
    live = LiveServer(world.url, workers=2)
    yield live
    live.stop()


def _together(calls: list) -> list[httpx.Response]:
    """Run the calls in parallel threads, released at the same moment."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _server_errors(server: LiveServer) -> list[str]:
    return [line for line in server.output().splitlines() if "Traceback" in line]


def test_parallel_realisations_get_versions_one_to_twenty(world, server):
    url = f"{server.url}/api/commitments/{world.commitment_id}/realisations"
    responses = _together([
        lambda i=i: httpx.post(url, headers=world.editor, timeout=120, json={
            "year": 2026, "value": 10 + i, "explanation": f"melding {i}", "reported_by_party_id": world.woonpartners})
        for i in range(PARALLEL)])
    errors = [(r.status_code, r.text[:200]) for r in responses if r.status_code != 201]
    with db.session_scope(world.url) as session:
        rows = session.execute(select(Realisation.version, Realisation.value).where(
            Realisation.commitment_id == world.commitment_id, Realisation.year == 2026)).all()
    versions = sorted(v for v, _ in rows)
    _count(world.engine, requests=PARALLEL, errors=len(errors), duplicates=len(versions) - len(set(versions)))
    assert errors == []
    assert versions == list(range(1, PARALLEL + 1))  # no gaps, no duplicates
    assert sorted(value for _, value in rows) == [10.0 + i for i in range(PARALLEL)]  # every report kept
    assert not _server_errors(server)


def test_parallel_new_commitments_get_unique_numbers(world, server):
    url = f"{server.url}/api/agreements/{world.concept_id}/commitments"
    responses = _together([
        lambda i=i: httpx.post(url, headers=world.editor, timeout=120, json={
            "text": f"Parallelle afspraak nummer {i}.", "theme": "overig", "party_ids": [world.woonpartners]})
        for i in range(PARALLEL)])
    errors = [(r.status_code, r.text[:200]) for r in responses if r.status_code != 201]
    with db.session_scope(world.url) as session:
        numbers = sorted(session.scalars(select(Commitment.number).where(Commitment.agreement_id == world.concept_id)))
    _count(world.engine, requests=PARALLEL, errors=len(errors), duplicates=len(numbers) - len(set(numbers)))
    assert errors == []
    assert sorted(r.json()["number"] for r in responses) == numbers == list(range(1, PARALLEL + 1))


def _form_client(server: LiveServer, email: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=120)
    token = csrf_of(client.get("/inloggen").text)
    response = client.post("/inloggen", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.text[:300]
    return client


def _edit_form(client: httpx.Client, world: World) -> dict:
    """What a browser sends back from the edit form as loaded now."""
    html = client.get(f"/afspraken/{world.concept_id}/bewerken").text
    return {"csrf_token": csrf_of(html), "lock_version": re.search(r'name="lock_version" value="(\d+)"', html)[1],
            "title": re.search(r'id="veld-title" name="title" value="([^"]*)"', html)[1], "gemeente_code": "GM0794",
            "period_start": "2026", "period_end": "2029", "party_ids": [str(world.helmond), str(world.woonpartners)],
            "description": re.search(r'name="description" rows="3">([^<]*)</textarea>', html)[1], "documents": ""}


def _stored(world: World) -> tuple[str, str]:
    with db.session_scope(world.url) as session:
        agreement = session.get(Agreement, world.concept_id)
        return agreement.title, agreement.description


def test_stale_edits_of_one_agreement_answer_409_and_never_undo_each_other(world, server):
    anna, bert = (_form_client(server, email) for email in world.form_editors)
    try:
        # One after the other: both opened the form, Anna saves a new title, then Bert his description.
        anna_form, bert_form = _edit_form(anna, world), _edit_form(bert, world)
        old_title = anna_form["title"]
        saved = anna.post(f"/afspraken/{world.concept_id}/bewerken", data={**anna_form, "title": "Titel van Anna"})
        late = bert.post(f"/afspraken/{world.concept_id}/bewerken",
                         data={**bert_form, "description": "Omschrijving van Bert"})
        stored = _stored(world)
        reverts = int(stored[0] != "Titel van Anna")
        assert saved.status_code == 303 and late.status_code == 409
        assert "iemand anders heeft dit intussen gewijzigd" in late.text
        table = late.text[late.text.index('id="conflict-velden"'):]
        # Both versions, per field: Bert's (unsaved) title and description next to the stored ones.
        assert re.search(rf'<th scope="row">Titel</th><td class="pa-conflict-mine">{re.escape(old_title)}</td>'
                         r'<td class="pa-conflict-stored">Titel van Anna</td>', table)
        assert re.search(r'<th scope="row">Omschrijving</th><td class="pa-conflict-mine">Omschrijving van Bert</td>'
                         r'<td class="pa-conflict-stored">Zoals afgesproken in de driehoek.</td>', table)
        assert "Omschrijving van Bert</textarea>" in late.text  # his input is still in the form
        assert stored == ("Titel van Anna", "Zoals afgesproken in de driehoek.")
        # Re-applying from the conflict page (it carries the stored version) saves Bert's input.
        again = {**bert_form, "description": "Omschrijving van Bert", "title": "Titel van Anna",
                 "lock_version": re.search(r'name="lock_version" value="(\d+)"', late.text)[1]}
        assert bert.post(f"/afspraken/{world.concept_id}/bewerken", data=again).status_code == 303
        assert _stored(world) == ("Titel van Anna", "Omschrijving van Bert")

        # At the same moment, on the same version: one is saved, the other gets 409.
        anna_form, bert_form = _edit_form(anna, world), _edit_form(bert, world)
        posts = _together([
            lambda: anna.post(f"/afspraken/{world.concept_id}/bewerken", data={**anna_form, "title": "Anna tegelijk"}),
            lambda: bert.post(f"/afspraken/{world.concept_id}/bewerken", data={**bert_form, "title": "Bert tegelijk"})])
        codes = [r.status_code for r in posts]
        winner = "Anna tegelijk" if codes[0] == 303 else "Bert tegelijk"
        reverts += int(_stored(world)[0] != winner)
        _count(world.engine, requests=5, errors=sum(c >= 500 for c in codes), silent_reverts=reverts)
        assert sorted(codes) == [303, 409]
        assert reverts == 0
    finally:
        anna.close()
        bert.close()


def test_a_double_approval_answers_409_and_the_last_party_moves_the_status(world, server):
    url = f"{server.url}/api/agreements/{world.approval_id}/status"
    calls = [lambda party=party: httpx.post(url, headers=world.signers[party], json={"status": "bod"}, timeout=120)
             for party in (HELMOND, WOONPARTNERS) for _ in range(3)]
    codes = [r.status_code for r in _together(calls)]
    _count(world.engine, requests=len(calls), errors=sum(c >= 500 for c in codes))
    # One approval per party. The others: 409 "al akkoord" (or, once the bod is out, 403: approving the
    # bod is a step from concept only, and the guard may already see the new status).
    # Which refusal each duplicate gets depends on the timing (all may be 403 once the bod is out early).
    assert codes.count(200) == 2 and set(codes) - {200} and set(codes) - {200} <= {403, 409}, codes
    with db.session_scope(world.url) as session:
        assert session.get(Agreement, world.approval_id).status == "bod"  # the last approval saw the first


def test_tally(world):
    """Runs after the cases of this engine: what was sent and what went wrong (printed for the record)."""
    tally = TALLY.get(world.engine, {})
    print(f"\nparallel ({world.engine}): {tally}")
    if tally:
        assert tally["errors"] == tally["duplicates"] == tally["silent_reverts"] == 0


# ---------------------------------------------------------------- the other edit forms, in-process

def test_stale_commitment_form_and_jaarschijven_answer_409_with_both_versions(fresh_db_url):
    url = fresh_db_url
    anna, bert = member(url, HELMOND, "redacteur"), member(url, HELMOND, "redacteur")
    with db.session_scope(url) as session:
        helmond = session.scalar(select(Party.id).where(Party.name == HELMOND))
        woonpartners = session.scalar(select(Party.id).where(Party.name == WOONPARTNERS))
        agreement = _agreement(session, "Formulieren", helmond, woonpartners)
        commitment = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
            "text": "De gemeente levert 40 woningen op.", "theme": "beschikbaarheid", "party_ids": [helmond],
            "target_kind": "output", "output_unit": "woningen", "year_targets": "2026: 20; 2027: 20"}), SETUP)
        cid = commitment.id
    with make_client(url) as first, make_client(url) as second:
        login(first, anna)
        login(second, bert)
        form = {"text": "De gemeente levert 40 woningen op.", "theme": "beschikbaarheid", "party_ids": [str(helmond)],
                "target_kind": "output", "output_unit": "woningen", "scope_kind": "gemeente"}
        token = {c: csrf_of(c.get(f"/afspraken/afspraak/{cid}/bewerken").text) for c in (first, second)}
        assert 'name="lock_version" value="1"' in first.get(f"/afspraken/afspraak/{cid}/bewerken").text
        saved = first.post(f"/afspraken/afspraak/{cid}/bewerken", follow_redirects=False, data={
            **form, "text": "De gemeente levert 50 woningen op.", "lock_version": "1", "csrf_token": token[first]})
        assert saved.status_code == 303
        late = second.post(f"/afspraken/afspraak/{cid}/bewerken", data={
            **form, "output_unit": "sociale huurwoningen", "lock_version": "1", "csrf_token": token[second]})
        assert late.status_code == 409 and 'id="conflict-velden"' in late.text
        assert "De gemeente levert 40 woningen op.</td><td" in late.text  # Bert's text next to …
        assert "De gemeente levert 50 woningen op.</td></tr>" in late.text  # … the stored one
        assert 'value="sociale huurwoningen"' in late.text and 'name="lock_version" value="2"' in late.text
        missing = second.post(f"/afspraken/afspraak/{cid}/bewerken", data={**form, "csrf_token": token[second]})
        assert missing.status_code == 422 and "versienummer" in missing.text

        # The jaarschijven table: Anna saves 2026 on version 2; Bert's table, loaded before, is stale.
        page = second.get(f"/afspraken/afspraak/{cid}").text
        assert 'name="lock_version" value="2"' in page
        assert first.post(f"/afspraken/afspraak/{cid}/jaarschijven", follow_redirects=False, data={
            "jaar_2026": "25", "jaar_2027": "20", "lock_version": "2", "csrf_token": token[first]}).status_code == 303
        late = second.post(f"/afspraken/afspraak/{cid}/jaarschijven", data={
            "jaar_2026": "20", "jaar_2027": "30", "lock_version": "2", "csrf_token": token[second]})
        assert late.status_code == 409
        rows = dict(re.findall(r'<th scope="row">(Gepland in \d{4})</th><td class="pa-conflict-mine">([^<]*)</td>'
                               r'<td class="pa-conflict-stored">[^<]*</td>', late.text))
        assert rows == {"Gepland in 2026": "20", "Gepland in 2027": "30"}
        assert 'id="veld-jaar_2027" name="jaar_2027" value="30"' in late.text  # the input is kept
        with db.session_scope(url) as session:
            stored = {t.year: t.planned for t in session.get(Commitment, cid).year_targets}
        assert stored == {2026: 25.0, 2027: 20.0}  # Anna's save stands
        version = re.search(r'name="lock_version" value="(\d+)"', late.text)[1]
        assert second.post(f"/afspraken/afspraak/{cid}/jaarschijven", follow_redirects=False, data={
            "jaar_2026": "20", "jaar_2027": "30", "lock_version": version,
            "csrf_token": token[second]}).status_code == 303
        with db.session_scope(url) as session:
            assert {t.year: t.planned for t in session.get(Commitment, cid).year_targets} == {2026: 20.0, 2027: 30.0}
