"""The same product on PostgreSQL (the alliance's shared deployment): migrations, the import of the real
bundled data, and the API, against a private PostgreSQL 15 cluster started for this module."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import func, select

from gebiedsatlas.sources.importer import import_bundled
from gebiedsatlas.store import db
from gebiedsatlas.store.models import Observation

pytestmark = pytest.mark.postgres
pytest_plugins = ("postgres_support",)  # the fixtures postgres_url and imported: a private cluster


def _count(url: str) -> int:
    with db.session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(Observation))


def test_import_gives_the_published_figures_and_is_idempotent(imported, data_dir):
    with db.session_scope(imported) as session:
        total = session.scalar(select(func.sum(Observation.value)).where(
            Observation.indicator_id == "inwoners", Observation.period == 2024, Observation.area_code.like("GM%")))
    assert total == 17_942_942
    before = _count(imported)
    import_bundled(imported, data_dir)
    assert _count(imported) == before


def test_api_on_postgres(imported):
    from conftest import make_client

    with make_client(imported) as client:
        values = client.get("/api/values", params={"areas": "GM0034,NL01", "sets": "nta",
                                                   "indicators": "inwoners", "periods": "2024"}).json()
        by_code = {r["area_code"]: r["value"] for r in values["values"]}
        assert by_code == {"GM0034": 226_500, "NL01": 17_942_942, "nta": 767_511}
        geo = client.get("/api/geojson", params={"level": "buurt", "area_set": "nta", "indicator": "lbm_score"})
        assert len(geo.json()["features"]) == 546
        profile = client.get("/gebied/WK003401")
        assert profile.status_code == 200 and "Centrum Almere Haven" in profile.text
        attention = client.get("/api/analysis/attention", params={"level": "wijk", "scope": "nta"})
        assert attention.status_code == 200


def test_a_running_server_keeps_answering_across_an_import(imported, data_dir):
    # psycopg prepares statements repeated five times; the import swaps in a new observation table, and
    # the server's pooled connections must go on with it.
    from conftest import make_client

    params = {"areas": "GM0034", "indicators": "inwoners", "periods": "2024"}
    with make_client(imported) as client:
        for _ in range(7):
            assert client.get("/api/values", params=params).json()["values"][0]["value"] == 226_500
        import_bundled(imported, data_dir)
        for _ in range(3):
            assert client.get("/api/values", params=params).json()["values"][0]["value"] == 226_500


def test_agreements_on_postgres(imported):
    from accounts_support import member, token_headers
    from conftest import make_client

    headers = token_headers(imported, member(imported, "Gemeente Zoetermeer", "redacteur", email="pg@test.invalid"))
    with make_client(imported) as client:
        parties = client.get("/api/parties").json()
        zoetermeer = next(p["id"] for p in parties if p["name"] == "Gemeente Zoetermeer")
        vidomes = next(p["id"] for p in parties if p["name"] == "Vidomes")
        spoofed = client.post("/api/agreements", headers={"X-Gebruiker": "pg-test",
                                                          "X-Organisatie": "Gemeente Zoetermeer"},
                              json={"title": "Zonder login", "gemeente_code": "GM0637", "period_start": 2026,
                                    "period_end": 2029, "party_ids": [zoetermeer, vidomes]})
        assert spoofed.status_code == 401
        agreement = client.post("/api/agreements", headers=headers, json={
            "title": "Prestatieafspraken Zoetermeer 2026–2029 (test)", "gemeente_code": "GM0637",
            "period_start": 2026, "period_end": 2029, "party_ids": [zoetermeer, vidomes]})
        assert agreement.status_code == 201, agreement.text
        aid = agreement.json()["id"]
        commitment = client.post(f"/api/agreements/{aid}/commitments", headers=headers, json={
            "text": "Vidomes levert 80 sociale huurwoningen op in 2027.", "theme": "beschikbaarheid",
            "party_ids": [vidomes], "target_kind": "output", "output_unit": "woningen",
            "year_targets": {"2027": 80}})
        assert commitment.status_code == 201, commitment.text
        history = client.get(f"/api/agreements/{aid}/history", headers=headers).json()
        assert history
        assert {(entry["actor"], entry["organisation"]) for entry in history} == {
            ("pg@test.invalid", "Gemeente Zoetermeer")}
    # The audit log is append-only in the database itself.
    plain = imported.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        denied = conn.execute("SELECT count(*) FROM audit_event WHERE result = 'denied'").fetchone()[0]
        assert denied >= 1
        for statement in ("UPDATE audit_event SET actor = 'iemand anders'", "DELETE FROM audit_event",
                          "TRUNCATE audit_event"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)


@pytest.mark.browser
def test_login_and_signing_in_chromium_on_postgres(imported, page):
    """On the shared deployment's engine: a local login and an OIDC login through the real pages, the
    editor drafts, each party's signer agrees to the bod."""
    import re

    from accounts_support import login_in_browser, member
    from conftest import LiveServer
    from oidc_support import login_in_browser as oidc_login
    from oidc_support import provider, register, settings_env

    editor = member(imported, "Gemeente Purmerend", "redacteur", email="pg-redacteur@test.invalid")
    signer = member(imported, "Gemeente Purmerend", "ondertekenaar", email="pg-ondertekenaar@test.invalid")
    with provider() as issuer:
        register(issuer, "wooncompagnie-1", {"email": "piet@wooncompagnie.example", "name": "Piet",
                                             "organisatie": "Wooncompagnie", "rol": "ondertekenaar"})
        server = LiveServer(imported, env=settings_env(issuer))
        try:
            login_in_browser(page, server.url, editor)
            page.goto(f"{server.url}/afspraken/nieuw")
            page.fill("#veld-title", "Prestatieafspraken Purmerend (PostgreSQL)")
            page.select_option("#veld-gemeente_code", "GM0439")
            page.fill("#veld-period_start", "2026")
            page.fill("#veld-period_end", "2029")
            page.get_by_role("checkbox", name=re.compile("^Gemeente Purmerend")).check()
            page.get_by_role("checkbox", name=re.compile("^Wooncompagnie")).check()
            page.get_by_role("button", name="Opslaan").click()
            page.wait_for_url(re.compile(r"/afspraken/\d+$"))
            agreement_url = page.url
            page.get_by_role("link", name="Afspraak toevoegen").click()
            page.fill("#veld-text", "Wooncompagnie levert 50 sociale huurwoningen op in 2027.")
            page.select_option("#veld-theme", "beschikbaarheid")
            page.get_by_role("checkbox", name=re.compile("^Gemeente Purmerend")).check()
            page.select_option("#veld-target_kind", "none")
            page.get_by_role("button", name="Afspraak opslaan").click()
            page.wait_for_url(re.compile(r"/afspraken/afspraak/\d+$"))
            page.get_by_role("button", name="Uitloggen").click()
            for login in (lambda: login_in_browser(page, server.url, signer),
                          lambda: oidc_login(page, server.url, "wooncompagnie-1")):
                login()
                page.goto(agreement_url)
                page.get_by_role("button", name="Akkoord met het bod").click()
                page.wait_for_load_state()
                page.get_by_role("button", name="Uitloggen").click()
        finally:
            server.stop()
    with db.session_scope(imported) as session:
        from gebiedsatlas.store.agreements import Agreement

        agreement = session.scalar(select(Agreement).where(Agreement.title.like("%Purmerend (PostgreSQL)")))
        assert agreement.status == "bod"


def test_import_by_an_ordinary_role_swaps_in_a_complete_table(postgres_url, data_dir):
    """A role without superuser rights (owner of its database) imports; the swapped-in observation table has
    the migration's primary key, area index and foreign keys, and the foreign keys hold for later changes."""
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE ROLE atlas_plain LOGIN NOSUPERUSER")
        conn.execute("CREATE DATABASE atlas_plain OWNER atlas_plain")
    url = postgres_url.replace("postgres@", "atlas_plain@").rsplit("/", 1)[0] + "/atlas_plain"
    try:
        summary = import_bundled(url, data_dir)
        summary_again = import_bundled(url, data_dir)  # a second swap replaces the first
        assert summary_again["observations"] == summary["observations"]
        with db.session_scope(url) as session:
            assert session.scalar(select(func.count()).select_from(Observation)) == summary["observations"]
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            indexes = {name for (name,) in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'observation'")}
            assert indexes == {"pk_observation", "ix_observation_area"}
            constraints = {name for (name,) in conn.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'observation'::regclass")}
            assert constraints == {"pk_observation", "fk_observation_indicator", "fk_observation_area",
                                   "fk_observation_source"}
            assert not {name for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE tablename LIKE 'observation%'")} - {"observation"}
            with pytest.raises(psycopg.errors.ForeignKeyViolation):
                conn.execute("INSERT INTO observation (indicator_id, period, area_code, value, status, source_id, "
                             "boundary_year) VALUES ('inwoners', 2024, 'BU99999999', 1, 'observed', 'cbs-kwb-2024', "
                             "2024)")
    finally:
        db.get_engine(url).dispose()
