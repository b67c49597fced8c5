"""JSON API and server-rendered forms of the prestatieafspraken, in-process on a private store."""

from __future__ import annotations

import io
import shutil

import pytest
from openpyxl import load_workbook

from accounts_support import csrf_of, login, logout, member, token_headers
from gebiedsatlas.agreements import demo, parties
from gebiedsatlas.config import REPO_DIR
from gebiedsatlas.store import db


@pytest.fixture(scope="module")
def api(template_db, tmp_path_factory):
    """One private store for this module (the tests build on each other's agreements)."""
    from conftest import make_client

    path = tmp_path_factory.mktemp("afspraken-api") / "api.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    with db.session_scope(url) as session:
        parties.seed_signatories(session, REPO_DIR / "data")
        demo.load_demo(session)
    with make_client(url) as client:
        client.store_url = url
        yield client


@pytest.fixture(scope="module")
def people(api):
    """Tokens of the people of Helmond's triangle: an editor and a signer per organisation."""
    url = api.store_url
    out = {}
    for org, key in (("Gemeente Helmond", "helmond"), ("Woonpartners", "woonpartners")):
        out[f"{key}-redacteur"] = token_headers(url, member(url, org, "redacteur"))
        out[f"{key}-ondertekenaar"] = token_headers(url, member(url, org, "ondertekenaar"))
    return out


def _party_id(api, name: str) -> int:
    return next(p["id"] for p in api.get("/api/parties").json() if p["name"] == name)


def test_parties_are_the_real_signatories(api):
    real = api.get("/api/parties").json()
    signatories = [p for p in real if not p["name"].endswith("-test")]  # other tests add parties
    assert len(signatories) == 24 and {p["kind"] for p in signatories} == {"gemeente", "woningcorporatie"}
    fictional = api.get("/api/parties", params={"demo": True}).json()
    assert all(p["name"].startswith("Fictief:") for p in fictional)


def test_create_agreement_commitment_realisation_and_status(api, people):
    HEADERS = people["helmond-redacteur"]
    helmond, woonpartners = _party_id(api, "Gemeente Helmond"), _party_id(api, "Woonpartners")
    tenants = api.post("/api/parties", json={"name": "Huurdersvereniging Helmond-test", "kind": "huurdersorganisatie"},
                       headers=HEADERS)
    assert tenants.status_code == 201 and tenants.json()["kind"] == "huurdersorganisatie"
    assert api.post("/api/parties", json={"name": "Anoniem-test", "kind": "overig"}).status_code == 401
    duplicate = api.post("/api/parties", json={"name": "woonpartners", "kind": "brandweer"}, headers=HEADERS)
    assert set(duplicate.json()["errors"]) == {"name", "kind"}
    url = api.store_url
    people["huurders-ondertekenaar"] = token_headers(url, member(url, "Huurdersvereniging Helmond-test",
                                                                 "ondertekenaar"))
    bad = api.post("/api/agreements", json={"title": "x", "gemeente_code": "GM0000", "period_start": 2026,
                                            "period_end": 2025}, headers=HEADERS)
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"title", "gemeente_code", "period_end", "party_ids"}
    created = api.post("/api/agreements", headers=HEADERS, json={
        "title": "Prestatieafspraken Helmond 2026–2029", "gemeente_code": "GM0794", "period_start": 2026,
        "period_end": 2029, "party_ids": [helmond, woonpartners, tenants.json()["id"]]})
    assert created.status_code == 201
    agreement = created.json()
    assert agreement["status"] == "concept" and not agreement["is_demo"]
    aid = agreement["id"]
    commitment = api.post(f"/api/agreements/{aid}/commitments", headers=HEADERS, json={
        "text": "Woonpartners levert 100 sociale huurwoningen op in 2026.", "theme": "beschikbaarheid",
        "party_ids": [woonpartners], "target_kind": "output", "output_unit": "woningen",
        "year_targets": {"2026": 100, "2027": 0}})
    assert commitment.status_code == 201
    cid = commitment.json()["id"]
    assert commitment.json()["year_targets"] == {"2026": 100.0, "2027": 0.0}
    signers = [people["helmond-ondertekenaar"], people["woonpartners-ondertekenaar"], people["huurders-ondertekenaar"]]
    # An editor cannot sign; a signer cannot skip a step.
    assert api.post(f"/api/agreements/{aid}/status", json={"status": "bod"}, headers=HEADERS).status_code == 403
    conflict = api.post(f"/api/agreements/{aid}/status", json={"status": "afgerond"}, headers=signers[0])
    assert conflict.status_code == 403  # afronden is not a step from concept
    for i, signer in enumerate(signers):
        step = api.post(f"/api/agreements/{aid}/status", json={"status": "bod"}, headers=signer).json()
        assert step["status"] == ("bod" if i == 2 else "concept")  # every party, the tenants too
    for signer in signers:
        signed = api.post(f"/api/agreements/{aid}/status", json={"status": "getekend", "signed_on": "15-12-2025"},
                          headers=signer)
    assert signed.json()["signed_on"] == "2025-12-15" and signed.json()["status"] == "getekend"
    sigs = api.get(f"/api/agreements/{aid}/signed", headers=HEADERS).json()["signatures"]
    assert sorted(s["party_id"] for s in sigs) == sorted([helmond, woonpartners, tenants.json()["id"]])
    # Signed is locked: a new commitment is refused, also for an editor of a party.
    locked = api.post(f"/api/agreements/{aid}/commitments", headers=HEADERS, json={
        "text": "Nog een afspraak na ondertekening.", "theme": "overig", "party_ids": [helmond]})
    assert locked.status_code == 403 and "vergrendeld" in locked.json()["detail"]
    # Helmond's editor is not responsible for the Woonpartners commitment: no realisation for them.
    assert api.post(f"/api/commitments/{cid}/realisations", headers=HEADERS,
                    json={"year": 2026, "value": 50}).status_code == 403
    HEADERS = people["woonpartners-redacteur"]
    first = api.post(f"/api/commitments/{cid}/realisations", headers=HEADERS,
                     json={"year": 2026, "value": 50, "reported_by_party_id": woonpartners})
    assert first.json()["progress"]["status"] in ("achter", "op_koers")
    corrected = api.post(f"/api/commitments/{cid}/realisations", headers=HEADERS,
                         json={"year": 2026, "value": "100", "explanation": "herteld",
                               "reported_by_party_id": woonpartners}).json()
    assert corrected["progress"]["status"] == "behaald"
    assert [(v["version"], v["value"]) for v in corrected["versions"]] == [(1, 50.0), (2, 100.0)]
    assert corrected["realisations"] == [corrected["versions"][1]]
    invalid = api.post(f"/api/commitments/{cid}/realisations", headers=HEADERS,
                       json={"year": 2040, "value": "veel", "reported_by_party_id": helmond})
    assert set(invalid.json()["errors"]) == {"reported_by_party_id"}  # not one's own organisation
    invalid = api.post(f"/api/commitments/{cid}/realisations", headers=HEADERS, json={"year": 2040, "value": "veel"})
    assert set(invalid.json()["errors"]) == {"year", "value"}
    assert api.get(f"/api/agreements/{aid}/history").status_code == 404  # not public: parties only
    log = api.get(f"/api/agreements/{aid}/history", headers=HEADERS).json()
    assert all(e["actor"].endswith("@test.invalid") for e in log)
    assert {e["organisation"] for e in log} == {"Gemeente Helmond", "Woonpartners", "Huurdersvereniging Helmond-test"}
    assert [e["action"] for e in log if e["entity"] == "realisatie"] == ["gecorrigeerd", "gemeld"]
    snapshot = api.get(f"/api/agreements/{aid}/signed", headers=HEADERS).json()
    assert snapshot["agreement"]["commitments"][0]["realisations"] == []  # signed before any realisation
    full = api.get(f"/api/agreements/{aid}", headers=HEADERS).json()
    assert full["reciprocity"] == [{"party": "Gemeente Helmond", "commitments": 0, "alone": 0},
                                   {"party": "Woonpartners", "commitments": 1, "alone": 1},
                                   {"party": "Huurdersvereniging Helmond-test", "commitments": 0, "alone": 0}]
    assert api.get("/api/agreements", params={"gemeente": "GM0794"}).json() == []  # anonymous: not published
    listed = api.get("/api/agreements", params={"gemeente": "GM0794"}, headers=HEADERS).json()
    assert [a["id"] for a in listed] == [aid] and listed[0]["commitments"] == 1
    assert api.post(f"/api/agreements/{aid}/publish", headers=HEADERS).status_code == 403  # editors don't publish
    assert api.post(f"/api/agreements/{aid}/publish", headers=signers[1]).status_code == 200
    assert [a["id"] for a in api.get("/api/agreements", params={"gemeente": "GM0794"}).json()] == [aid]


def test_area_links_counts_and_monitoring_keep_demo_apart(api):
    assert api.get("/api/agreements/counts").json()["counts"].get("WK035601") is None
    counts = api.get("/api/agreements/counts", params={"demo": True, "gemeente": "GM0356"}).json()["counts"]
    assert counts == {"GM0356": 4, "WK035601": 1, "WK035603": 1}
    here = api.get("/api/agreements/area/wk035601", params={"demo": True}).json()
    assert here[0]["relation"] == "hier" and here[0]["text"].startswith("Leefbaarheid in Jutphaas")
    assert api.get("/api/agreements/area/WK035601").json() == []
    overview = api.get("/api/agreements/monitoring", params={"demo": True, "year": 2026}).json()
    assert overview["per_gemeente"]["Nieuwegein"] == {"behaald": 0, "op_koers": 3, "risico": 0, "achter": 2,
                                                      "niet_meetbaar": 1}
    commitment = api.get("/api/commitments/3").json()
    assert commitment["progress"]["trend"]["first_year"] == 2002 and len(commitment["progress"]["series"]) == 9
    assert api.get("/api/agreements/999").status_code == 404
    table = api.get("/afspraken/kaart", params={"gemeente": "GM0356", "voorbeeld": "1"}).text
    assert '<td>WK035601</td><td class="pa-num">1</td>' in table and "4 afspraken gelden voor de hele gemeente" in table
    assert '<td>WK035602</td><td class="pa-num">0</td>' in table
    assert "Fictief voorbeeld" not in api.get("/afspraken/gebied/WK035601").text
    assert "Leefbaarheid in Jutphaas" in api.get("/afspraken/gebied/WK035601?voorbeeld=1").text


def test_forms_show_dutch_errors_next_to_fields(api):
    editor = member(api.store_url, "Gemeente Helmond", "redacteur")
    login(api, editor)
    token = csrf_of(api.get("/afspraken/nieuw").text)
    party = api.post("/afspraken/partijen/nieuw", data={"name": "", "kind": "gemeente", "csrf_token": token})
    assert party.status_code == 422 and 'id="fout-name"' in party.text and 'id="fout-gemeente_code"' in party.text
    party = api.post("/afspraken/partijen/nieuw", data={"name": "Stichting Welzijn-test", "kind": "welzijn",
                                                        "terug": "https://elders.example/", "csrf_token": token},
                     follow_redirects=False)
    assert party.status_code == 303 and party.headers["location"].startswith("/afspraken/partij/")
    page = api.get("/afspraken/nieuw")
    assert page.status_code == 200 and 'name="party_ids"' in page.text
    response = api.post("/afspraken/nieuw", data={"title": "", "gemeente_code": "GM0794", "period_start": "2029",
                                                  "period_end": "2026", "csrf_token": token,
                                                  "party_ids": [str(_party_id(api, "Gemeente Helmond"))]},
                        follow_redirects=False)
    assert response.status_code == 422
    assert 'id="fout-title"' in response.text and "Verplicht: geef de afspraken een titel" in response.text
    assert 'id="fout-period_end"' in response.text and 'aria-invalid="true"' in response.text
    helmond, woonpartners = _party_id(api, "Gemeente Helmond"), _party_id(api, "Woonpartners")
    ok = api.post("/afspraken/nieuw", data={"title": "Afspraken Helmond via formulier", "gemeente_code": "GM0794",
                                            "period_start": "2026", "period_end": "2029",
                                            "party_ids": [str(helmond), str(woonpartners)],
                                            "gebruiker": "Anna", "organisatie": "Woonpartners", "csrf_token": token},
                  follow_redirects=False)
    assert ok.status_code == 303
    url = ok.headers["location"]
    aid = int(url.rsplit("/", 1)[1])
    bad_commitment = api.post(f"/afspraken/{aid}/afspraak/nieuw", data={
        "text": "Iets in Almere", "theme": "leefbaarheid", "scope_kind": "wijk", "scope_codes": "WK003401",
        "target_kind": "outcome", "indicator_id": "lbm_score", "csrf_token": token})
    assert bad_commitment.status_code == 422 and "ligt niet in gemeente Helmond" in bad_commitment.text
    page = api.get(url)
    assert "Afspraken Helmond via formulier" in page.text and "Fictief voorbeeld" not in page.text
    # Who acted comes from the login; the form fields "gebruiker"/"organisatie" are ignored.
    history = api.get(f"/afspraken/{aid}/geschiedenis").text
    assert f"{editor} (Gemeente Helmond)" in history and "Anna" not in history
    assert 'name="gebruiker"' not in api.get(f"/afspraken/{aid}/afspraak/nieuw").text
    logout(api)
    assert api.get(url).status_code == 404  # a concept is visible to its parties only


def test_demo_pages_carry_the_banner_and_exports_work(api, caplog):
    for url in ("/afspraken/1", "/afspraken/afspraak/1", "/afspraken/monitoring?voorbeeld=1",
                "/afspraken?voorbeeld=1", "/afspraken/1/bij-ondertekening", "/afspraken/1/rapport"):
        assert "Fictief voorbeeld" in api.get(url).text, url
    assert "pa-demo-banner" not in api.get("/afspraken/monitoring").text
    # The agreement shows the current atlas figures of its areas (real published values).
    page = api.get("/afspraken/1").text
    figures = page[page.index('id="atlascijfers"'):]
    jutphaas = figures[figures.index("Jutphaas Wijkersloot (WK035601)"):figures.index("Batau Zuid (WK035603)")]
    assert '<td class="pa-num">41,3%</td><td>2022</td>' in jutphaas  # personen met een laag inkomen, KWB 2022
    assert '<td class="pa-num">4,020 score</td><td>2024</td>' in jutphaas  # Leefbaarometer 3.0, 2024
    workbook = load_workbook(io.BytesIO(api.get("/afspraken/1/export.xlsx").content))
    assert "Voortgang" in workbook.sheetnames
    pdf = api.get("/afspraken/1/rapport.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # The stylesheet comes from the package folder, never over the network.
    assert not [r for r in caplog.records if r.name == "weasyprint" and r.levelname == "ERROR"]
    upload = api.post("/afspraken/excel", files={"bestand": ("leeg.xlsx", b"geen excel", "application/octet-stream")})
    assert upload.status_code == 401  # uploads need a login
    login(api, member(api.store_url, "Woonpartners", "redacteur"))
    token = csrf_of(api.get("/afspraken/excel").text)
    upload = api.post("/afspraken/excel", data={"csrf_token": token},
                      files={"bestand": ("leeg.xlsx", b"geen excel", "application/octet-stream")})
    assert upload.status_code == 422 and "geen leesbaar Excel-bestand" in upload.text
    logout(api)
