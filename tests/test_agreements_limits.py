"""Limits and types of the prestatieafspraken: every text has a maximum length, every number a range that
fits what it means, and the forms, the Excel import and the JSON API refuse alike, in Dutch. The API's
write bodies are typed in the OpenAPI document; a JSON body over 1 MB answers 413."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from accounts_support import SETUP, csrf_of, login, member, token_headers
from conftest import make_client
from gebiedsatlas.agreements import excel, parties, schemas, services
from gebiedsatlas.config import REPO_DIR
from gebiedsatlas.store import db
from gebiedsatlas.store.agreements import Party

HELMOND, WOONPARTNERS = "Gemeente Helmond", "Woonpartners"
AGREEMENT = {"title": "Prestatieafspraken Helmond 2026–2029", "gemeente_code": "GM0794", "period_start": 2026,
             "period_end": 2029}
OUTPUT = {"text": "Woonpartners levert 100 woningen op.", "theme": "beschikbaarheid", "target_kind": "output",
          "output_unit": "woningen", "year_targets": "2026: 50; 2027: 50"}


@pytest.fixture(scope="module")
def store(template_db, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("grenzen") / "grenzen.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    with db.session_scope(url) as session:
        parties.seed_signatories(session, REPO_DIR / "data")
    return url


@pytest.fixture(scope="module")
def ids(store) -> dict:
    """A concept agreement, and a signed one with an output and an outcome commitment."""
    with db.session_scope(store) as session:
        helmond = session.scalar(select(Party.id).where(Party.name == HELMOND))
        woonpartners = session.scalar(select(Party.id).where(Party.name == WOONPARTNERS))
        both = {"party_ids": [helmond, woonpartners]}
        concept = services.create_agreement(session, services.parse_agreement(session, {**AGREEMENT, **both}), SETUP)
        signed = services.create_agreement(session, services.parse_agreement(session, {**AGREEMENT, **both}), SETUP)
        output = services.add_commitment(session, signed, services.parse_commitment(
            session, signed, {**OUTPUT, "party_ids": [woonpartners]}), SETUP)
        outcome = services.add_commitment(session, signed, services.parse_commitment(session, signed, {
            "text": "De leefbaarheid gaat omhoog.", "theme": "leefbaarheid", "party_ids": [woonpartners],
            "target_kind": "outcome", "indicator_id": "lbm_score", "baseline_value": 3.9, "baseline_year": 2022,
            "target_value": 4.1, "target_year": 2029}), SETUP)
        services.change_status(session, signed, "bod", SETUP)
        services.change_status(session, signed, "getekend", SETUP, signed_on=date(2025, 12, 15))
        return {"helmond": helmond, "woonpartners": woonpartners, "concept": concept.id, "signed": signed.id,
                "output": output.id, "outcome": outcome.id}


def _errors(call) -> dict[str, str]:
    with pytest.raises(services.ValidationFailed) as exc:
        call()
    return exc.value.errors


# ---------------------------------------------------------------- the parse functions (forms, Excel, API)

def test_every_text_has_a_maximum_length(store, ids):
    from gebiedsatlas.store.agreements import Agreement, Commitment

    both = [ids["helmond"], ids["woonpartners"]]
    with db.session_scope(store) as session:
        errors = _errors(lambda: services.parse_agreement(session, {
            **AGREEMENT, "party_ids": both, "title": "T" * 301, "description": "d" * 32_768,
            "documents": [{"title": f"Bijlage {i}", "href": "bijlage.pdf"} for i in range(51)]}))
        assert errors == {"title": "Te lang: maximaal 300 tekens (nu 301).",
                          "description": "Te lang: maximaal 32.767 tekens (nu 32.768).",
                          "documents": "Te veel: maximaal 50 (nu 51)."}
        errors = _errors(lambda: services.parse_agreement(session, {
            **AGREEMENT, "party_ids": both, "documents": "Raadsbesluit | " + "x" * 2_001}))
        assert errors == {"documents": "Document 'Raadsbesluit': Te lang: maximaal 2.000 tekens (nu 2.001)."}
        assert services.parse_agreement(session, {**AGREEMENT, "party_ids": both, "title": "T" * 300,
                                                  "description": "d" * 32_767}).title == "T" * 300

        agreement = session.get(Agreement, ids["concept"])
        errors = _errors(lambda: services.parse_commitment(session, agreement, {
            **OUTPUT, "text": "t" * 32_768, "output_unit": "u" * 201, "party_ids": list(range(1, 52))}))
        assert errors["text"] == "Te lang: maximaal 32.767 tekens (nu 32.768)."
        assert errors["output_unit"] == "Te lang: maximaal 200 tekens (nu 201)."
        assert errors["party_ids"] == "Te veel: maximaal 50 (nu 51)."
        errors = _errors(lambda: services.parse_commitment(session, agreement, {
            **OUTPUT, "scope_kind": "buurt", "scope_codes": ", ".join(f"BU0794{i:04d}" for i in range(1_001))}))
        assert errors == {"scope_codes": "Te veel: maximaal 1.000 (nu 1.001)."}
        errors = _errors(lambda: services.parse_commitment(session, agreement, {
            "text": "De leefbaarheid gaat omhoog.", "theme": "leefbaarheid", "target_kind": "outcome",
            "indicator_id": "i" * 65, "target_value": 4, "target_year": 2029}))
        assert errors == {"indicator_id": "Te lang: maximaal 64 tekens (nu 65)."}

        output = session.get(Commitment, ids["output"])
        errors = _errors(lambda: services.parse_realisation(session, output, {
            "year": 2026, "value": 10, "explanation": "e" * 32_768, "reported_by_party_id": ids["woonpartners"]}))
        assert errors == {"explanation": "Te lang: maximaal 32.767 tekens (nu 32.768)."}

        errors = _errors(lambda: services.create_party(session, "P" * 201, "welzijn", SETUP, note="n" * 32_768))
        assert errors == {"name": "Te lang: maximaal 200 tekens (nu 201).",
                          "note": "Te lang: maximaal 32.767 tekens (nu 32.768)."}


def test_numbers_are_bounded_by_what_they_mean(store, ids):
    from gebiedsatlas.store.agreements import Agreement, Commitment

    with db.session_scope(store) as session:
        agreement = session.get(Agreement, ids["concept"])

        def commitment(**fields):
            return lambda: services.parse_commitment(session, agreement, {**OUTPUT, **fields})

        # Jaarschijven: within the looptijd, not negative, not absurdly large.
        assert _errors(commitment(year_targets="2026: 50; 2099: 10")) == {
            "year_targets": "Jaarschijf 2099 ligt buiten de looptijd 2026–2029."}
        assert _errors(commitment(year_targets={"2025": 10})) == {
            "year_targets": "Jaarschijf 2025 ligt buiten de looptijd 2026–2029."}
        assert _errors(commitment(year_targets="2026: -5")) == {
            "year_targets": "Jaarschijf 2026: Kan niet negatief zijn (gevonden -5)."}
        assert _errors(commitment(year_targets={"2026": 1e308})) == {
            "year_targets": "Jaarschijf 2026: Te groot: maximaal 1.000.000.000, gevonden 1e+308."}
        assert services.parse_commitment(session, agreement, {**OUTPUT, "year_targets": {"2029": 1e9}}
                                         ).year_targets == {2029: 1e9}
        # Outcome values may be negative, but not beyond the bound.
        outcome = {"target_kind": "outcome", "indicator_id": "lbm_score", "baseline_year": 2022, "target_year": 2029}
        assert _errors(commitment(**outcome, baseline_value=-1, target_value="1e308")) == {
            "target_value": "Te groot: maximaal 1.000.000.000, gevonden 1e+308."}
        assert _errors(commitment(**outcome, baseline_value=-2e9, target_value=1)) == {
            "baseline_value": "Te klein: minimaal -1.000.000.000, gevonden -2e+09."}

        # Realisations: an output count is never negative; an outcome value may be.
        output, measured = session.get(Commitment, ids["output"]), session.get(Commitment, ids["outcome"])
        party = ids["woonpartners"]
        assert _errors(lambda: services.parse_realisation(session, output, {
            "year": 2026, "value": -500, "reported_by_party_id": party})) == {
            "value": "Kan niet negatief zijn (gevonden -500)."}
        assert _errors(lambda: services.parse_realisation(session, output, {
            "year": 2026, "value": "2.000.000.000", "reported_by_party_id": party})) == {
            "value": "Te groot: maximaal 1.000.000.000, gevonden 2e+09."}
        assert _errors(lambda: services.parse_realisation(session, output, {
            "year": 2099, "value": 5, "reported_by_party_id": party})) == {
            "year": "Verwacht een jaar van 2025 tot en met 2029, gevonden 2099."}
        assert services.parse_realisation(session, measured, {
            "year": 2026, "value": "-0,5", "reported_by_party_id": party}).value == -0.5
        assert _errors(lambda: services.parse_realisation(session, measured, {
            "year": 2026, "value": float("inf"), "reported_by_party_id": party})) == {
            "value": "Verwacht de gerealiseerde waarde, gevonden inf."}

        # The jaarschijven table of the commitment page.
        assert services.parse_year_target_fields(output, {"jaar_2026": "60", "jaar_2027": ""}) == {2026: 60.0}
        assert _errors(lambda: services.parse_year_target_fields(output, {"jaar_2099": "5", "jaar_2026": "-1",
                                                                          "jaar_2027": "1e12"})) == {
            "jaar_2099": "Jaarschijf 2099 ligt buiten de looptijd 2026–2029.",
            "jaar_2026": "Kan niet negatief zijn (gevonden -1).",
            "jaar_2027": "Te groot: maximaal 1.000.000.000, gevonden 1e+12."}


def test_a_formula_where_a_number_is_expected_is_named(store, ids):
    from gebiedsatlas.store.agreements import Commitment

    with db.session_scope(store) as session:
        output = session.get(Commitment, ids["output"])
        errors = _errors(lambda: services.parse_realisation(session, output, {
            "year": "=JAAR(VANDAAG())", "value": "=SOM(B2:B4)", "reported_by_party_id": ids["woonpartners"]}))
        assert errors["value"].startswith("Verwacht de gerealiseerde waarde, maar dit is een formule ('=SOM(B2:B4)')")
        assert "een formule ('=JAAR(VANDAAG())')" in errors["year"]
        assert "formule" in _errors(lambda: services.parse_year_target_fields(output, {"jaar_2026": "=B2*2"}))[
            "jaar_2026"]


def test_the_excel_import_refuses_what_the_forms_refuse(store, ids):
    wb = load_workbook(io.BytesIO(excel.template_workbook()))
    wb["Afspraken"].append(["A1", "T" * 301, "GM0794", 2026, 2029, f"{HELMOND}; {WOONPARTNERS}"])
    # (A cell holds at most 32,767 characters, the limit of commitment texts: openpyxl cuts off the rest.)
    wb["Toezeggingen"].append(["A1-1", f"#{ids['concept']}", "Woonpartners levert woningen op.", "overig",
                               WOONPARTNERS, "", "", "output", "u" * 201])
    wb["Jaarschijven"].append([f"#{ids['output']}", 2027, 1e308])
    wb["Realisaties"].append([f"#{ids['output']}", 2026, -500, WOONPARTNERS])
    buffer = io.BytesIO()
    wb.save(buffer)
    with db.session_scope(store) as session, pytest.raises(excel.ExcelImportError) as exc:
        excel.import_workbook(session, buffer.getvalue(), SETUP, "grenzen.xlsx")
    messages = [str(e) for e in exc.value.errors]
    assert any("blad 'Afspraken'" in m and "rij 2" in m and "Te lang: maximaal 300 tekens (nu 301)." in m
               for m in messages), messages
    assert any("blad 'Toezeggingen'" in m and "Te lang: maximaal 200 tekens (nu 201)." in m for m in messages), messages
    assert any("blad 'Jaarschijven'" in m and "Te groot: maximaal 1.000.000.000" in m for m in messages), messages
    assert any("blad 'Realisaties'" in m and "Kan niet negatief zijn (gevonden -500)." in m for m in messages), messages


# ---------------------------------------------------------------- forms and API

def test_the_forms_show_the_limits_next_to_the_fields(store, ids):
    with make_client(store) as client:
        login(client, member(store, HELMOND, "redacteur"))
        token = csrf_of(client.get(f"/afspraken/{ids['concept']}/bewerken").text)
        response = client.post(f"/afspraken/{ids['concept']}/bewerken", data={
            **AGREEMENT, "title": "T" * 301, "party_ids": [str(ids["helmond"]), str(ids["woonpartners"])],
            "lock_version": "1", "csrf_token": token})
        assert response.status_code == 422
        assert '<p class="pa-error" id="fout-title">Te lang: maximaal 300 tekens (nu 301).</p>' in response.text
        response = client.post(f"/afspraken/{ids['concept']}/afspraak/nieuw", data={
            **OUTPUT, "year_targets": "2026: 10; 2099: 10", "party_ids": [str(ids["helmond"])], "csrf_token": token})
        assert response.status_code == 422 and "Jaarschijf 2099 ligt buiten de looptijd 2026–2029." in response.text


@pytest.fixture(scope="module")
def api(store, ids):
    with make_client(store) as client:
        client.headers.update(token_headers(store, member(store, WOONPARTNERS, "redacteur")))
        yield client


def test_the_api_refuses_out_of_limit_bodies_in_dutch(api, ids):
    parties_ = [ids["helmond"], ids["woonpartners"]]
    response = api.post("/api/agreements", json={**AGREEMENT, "title": "T" * 301, "party_ids": parties_})
    assert response.status_code == 422
    assert response.json() == {"errors": {"title": "Te lang: maximaal 300 tekens (nu 301)."}}
    response = api.post("/api/agreements", json={**AGREEMENT, "party_ids": list(range(1, 61)), "period_end": 2999})
    assert response.json() == {"errors": {"party_ids": "Te veel: maximaal 50 (nu 60).",
                                          "period_end": "Te groot: maximaal 2.100, gevonden 2999."}}
    # Types: what clients sent before still works (names as parties, numbers as text, jaarschijven as text) …
    created = api.post(f"/api/agreements/{ids['concept']}/commitments", json={
        **OUTPUT, "party_ids": [WOONPARTNERS], "year_targets": "2026: 10; 2027: 12,5"})
    assert created.status_code == 201, created.text
    assert created.json()["year_targets"] == {"2026": 10.0, "2027": 12.5}
    # … and the business rules answer in the same shape.
    response = api.post(f"/api/agreements/{ids['concept']}/commitments", json={
        **OUTPUT, "party_ids": [ids["woonpartners"]], "year_targets": {"2099": 5}})
    assert response.json() == {"errors": {"year_targets": "Jaarschijf 2099 ligt buiten de looptijd 2026–2029."}}
    response = api.post(f"/api/agreements/{ids['concept']}/commitments", json={
        **OUTPUT, "year_targets": {"2026": -5, "2027": 1e308}, "text": "t" * 32_768})
    assert response.status_code == 422
    assert response.json()["errors"]["text"] == "Te lang: maximaal 32.767 tekens (nu 32.768)."
    assert response.json()["errors"]["year_targets"] in ("Kan niet negatief zijn (gevonden -5).",
                                                         "Te groot: maximaal 1.000.000.000, gevonden 1e+308.")
    url = f"/api/commitments/{ids['output']}/realisations"
    assert api.post(url, json={"year": 2026, "value": 1e308}).json() == {
        "errors": {"value": "Te groot: maximaal 1.000.000.000, gevonden 1e+308."}}
    assert api.post(url, json={"year": 2026, "value": -500}).json() == {
        "errors": {"value": "Kan niet negatief zijn (gevonden -500)."}}
    assert api.post(url, json={"year": 2026, "value": "=SOM(B2:B4)"}).json()["errors"]["value"].startswith(
        "Verwacht de gerealiseerde waarde, maar dit is een formule")
    assert api.post(url, json={"year": 2026, "value": "1.234,5"}).status_code == 201  # Dutch notation
    # Not an object, not JSON.
    assert api.post(url, json=[1, 2]).json() == {
        "errors": {"body": "Verwacht een JSON-object met de velden van deze bewerking (zie /docs)."}}
    response = api.post(url, content=b"{jaar: 2026", headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["errors"]["body"].startswith("Geen geldige JSON")


def test_a_json_body_over_one_megabyte_answers_413(api, ids):
    url = f"/api/agreements/{ids['concept']}/commitments"
    big = json.dumps({**OUTPUT, "text": "t" * 1_000_001}).encode()
    response = api.post(url, content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": "Het verzoek is te groot: een JSON-bericht mag hoogstens 1 MB zijn. "
                                         "Stuur minder of kortere velden."}

    def chunks():  # no Content-Length: the limit counts what arrives
        for _ in range(20):
            yield b" " * 100_000
        yield big

    response = api.post(url, content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "te groot" in response.json()["detail"]
    just_under = json.dumps({**OUTPUT, "party_ids": [WOONPARTNERS], "explanation": "x" * 900_000}).encode()
    assert api.post(url, content=just_under, headers={"Content-Type": "application/json"}).status_code == 201


def _limited(schema: dict, components: dict) -> bool:
    """Whether a property's schema (or each alternative of it) declares a limit."""
    if "$ref" in schema:
        return _typed(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "anyOf" in schema:
        return all(_limited(s, components) for s in schema["anyOf"])
    kind = schema.get("type")
    if kind == "null" or kind == "boolean":
        return True
    if kind == "string":
        return "maxLength" in schema
    if kind in ("number", "integer"):
        return "maximum" in schema and "minimum" in schema
    if kind == "array":
        return "maxItems" in schema and _limited(schema["items"], components)
    if kind == "object":
        return "maxProperties" in schema and _limited(schema["additionalProperties"], components)
    return False


def _typed(schema: dict, components: dict) -> bool:
    return schema.get("type") == "object" and schema.get("properties") and not schema.get("additionalProperties") \
        and all(_limited(p, components) and p.get("description") for p in schema["properties"].values())


def test_every_write_of_the_api_has_a_typed_body_with_limits(api):
    document = api.get("/openapi.json").json()
    components = document["components"]["schemas"]
    writes = {path: operation["post"] for path, operation in document["paths"].items()
              if "post" in operation and "prestatieafspraken" in operation["post"].get("tags", [])}
    assert set(writes) == {"/api/parties", "/api/agreements", "/api/agreements/{agreement_id}/status",
                           "/api/agreements/{agreement_id}/publish", "/api/agreements/{agreement_id}/commitments",
                           "/api/commitments/{commitment_id}/realisations"}
    bodies = {}
    for path, operation in writes.items():
        if path.endswith("/publish"):
            assert "requestBody" not in operation  # publishing is one act: no fields, so no untyped body
            continue
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        bodies[path] = schema = components[ref.rsplit("/", 1)[1]]
        assert operation["requestBody"]["required"] is True
        assert _typed(schema, components), f"{path}: a field without a type, limit or description"
        assert schema["required"], path
    assert bodies["/api/agreements"]["properties"]["title"]["anyOf"][0]["maxLength"] == schemas.TITLE_MAX
    assert bodies["/api/agreements/{agreement_id}/commitments"]["properties"]["text"]["anyOf"][0][
        "maxLength"] == 32_767
    value = bodies["/api/commitments/{commitment_id}/realisations"]["properties"]["value"]["anyOf"][0]
    assert (value["minimum"], value["maximum"]) == (-1e9, 1e9)
    assert "partijen" in bodies["/api/agreements"]["properties"]["party_ids"]["description"]
