"""Woonprogramma domain: 81955NED against the bundled file, scenario arithmetic and concentration on small
cases worked out by hand (numbers in the comments), targets as versions, imports all-or-nothing."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import func, select

from accounts_support import SETUP
from conftest import DATA_DIR
from gebiedsatlas.accounts.principal import MembershipView, Principal
from gebiedsatlas.agreements.parties import seed_signatories
from gebiedsatlas.config import REPO_DIR
from gebiedsatlas.errors import InputError
from gebiedsatlas.housing import io as housing_io
from gebiedsatlas.housing import projects as register
from gebiedsatlas.housing import scenarios as sc
from gebiedsatlas.housing import services, stock, targets
from gebiedsatlas.sources.stock_changes import BUNDLED_FILE
from gebiedsatlas.store import db
from gebiedsatlas.store.agreements import Party
from gebiedsatlas.store.housing import PartyStock, PartyStockUpload, Project, StockChange
from gebiedsatlas.store.models import Observation

# ---------------------------------------------------------------- 81955NED


def test_81955ned_is_imported_as_published(db_url):
    with db.session_scope(db_url) as session:
        almere = {r.year: r for r in stock.stock_changes(session, "GM0034")}
        assert almere[2020].new_builds == 1335 and almere[2020].end_stock == 87259
        assert almere[2017].new_builds == 1622 and almere[2012].begin_stock == 76755
        assert almere[2020].correction == -143
        nl_2019 = session.scalar(select(func.sum(StockChange.new_builds)).where(StockChange.year == 2019))
        nl_2020 = session.scalar(select(func.sum(StockChange.new_builds)).where(StockChange.year == 2020))
        assert (nl_2019, nl_2020) == (71548, 69985)
        # GM0738 (Aalburg) did not exist in 2019: not published is NULL, never 0
        aalburg = session.get(StockChange, ("GM0738", 2019))
        assert aalburg is not None and aalburg.new_builds is None and aalburg.end_stock is None
        # every row of the file, every column, as the file has it
        with (DATA_DIR / BUNDLED_FILE).open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        stored = {(r.gemeente_code, r.year): r for r in session.scalars(select(StockChange))}
        assert len(stored) == len(rows) == 3933
        for raw in rows[:: 37]:
            row = stored[raw["gm_code"], int(raw["Perioden"][:4])]
            expected = None if raw["Nieuwbouw_2"] == "" else int(float(raw["Nieuwbouw_2"]))
            assert row.new_builds == expected
            expected_end = None if raw["EindstandVoorraad_8"] == "" else int(float(raw["EindstandVoorraad_8"]))
            assert row.end_stock == expected_end


# ---------------------------------------------------------------- arithmetic by hand

A, B = "WK003401", "WK003402"
BASE = {A: {"koop": 60, "corporatie": 30, "particulier": 10, "totaal": 100},
        B: {"koop": 20, "corporatie": 70, "particulier": 10, "totaal": 100}}


def _p(id, area, kind, phase, year, lines, to=None):
    return register.ProjectData(name=f"P{id}", gemeente_code="GM0034", area_code=area, party_id=1, kind=kind,
                                phase=phase, planned_year=year, lines=lines, to_segment=to, id=id,
                                phase_since=date(2024, 1, 1))


PROJECTS = [
    _p(1, A, "nieuwbouw", "vergund", 2025, {"sociale_huur": 20, "koop_overig": 10}),       # weight 0.9
    _p(2, B, "sloop", "planvorming", 2024, {"sociale_huur": 30}),                          # weight 0.7
    _p(3, B, "verkoop", "initiatief", 2026, {"sociale_huur": 10}),                         # 0.5, to koop_betaalbaar
    _p(4, A, "renovatie", "vergund", 2025, {"sociale_huur": 50}),                          # no net effect
    _p(5, A, "nieuwbouw", "opgeleverd", 2022, {"sociale_huur": 99}),                       # already in the stock
    _p(6, A, "nieuwbouw", "in_aanbouw", 2021, {"middenhuur": 20}),                         # late: counts in 2024, 0.95
]


def test_net_and_gross_effects():
    assert register.net_effect(PROJECTS[0]) == {"sociale_huur": 20, "koop_overig": 10}
    assert register.net_effect(PROJECTS[1]) == {"sociale_huur": -30}
    assert register.net_effect(PROJECTS[2]) == {"sociale_huur": -10, "koop_betaalbaar": 10}
    assert register.net_effect(PROJECTS[3]) == {}
    assert [register.gross_effect(p) for p in PROJECTS[:4]] == [30, 30, 10, 50]
    merge = _p(7, A, "samenvoegen_splitsen", "vergund", 2025, {"sociale_huur": -4, "middenhuur": 2})
    assert register.net_effect(merge) == {"sociale_huur": -4, "middenhuur": 2} and register.gross_effect(merge) == 6
    per_year = register.effects_per_year(PROJECTS[:4])
    assert per_year[2025] == {"bruto": 80, "sociale_huur": 20, "koop_overig": 10, "netto": 30}
    assert per_year[2026] == {"bruto": 10, "sociale_huur": -10, "koop_betaalbaar": 10, "netto": 0}


def test_projection_as_planned():
    p = sc.project(BASE, 2023, 3, PROJECTS, sc.ScenarioSpec("gepland", risk_weighted=False))
    # A 2026: koop 60+10, corporatie 30+20, particulier 10+20, total 100+30+20
    assert p.wijken[A][2026] == {"koop": 70, "corporatie": 50, "particulier": 30, "totaal": 150}
    # B 2026: koop 20+10, corporatie 70-30-10, total 100-30
    assert p.wijken[B][2026] == {"koop": 30, "corporatie": 30, "particulier": 10, "totaal": 70}
    assert p.wijken[B][2024]["corporatie"] == 40 and p.wijken[A][2024]["particulier"] == 30
    assert p.gemeente[2026]["totaal"] == 220
    assert p.share(B, 2026) == pytest.approx(100 * 30 / 70)
    assert p.counted == 5  # P5 is already in the stock
    # affordable share of new construction 2024-2026: (20 sociale + 20 midden) / 50
    assert sc.affordable_share(p) == pytest.approx(80.0)


def test_projection_risk_weighted():
    p = sc.project(BASE, 2023, 3, PROJECTS, sc.ScenarioSpec("risico"))
    # A: koop 60+0.9*10, corporatie 30+0.9*20, particulier 10+0.95*20, total 100+27+19
    assert p.wijken[A][2026] == pytest.approx({"koop": 69, "corporatie": 48, "particulier": 29, "totaal": 146})
    # B: koop 20+0.5*10, corporatie 70-0.7*30-0.5*10, total 100-21
    assert p.wijken[B][2026] == pytest.approx({"koop": 25, "corporatie": 44, "particulier": 10, "totaal": 79})
    assert sc.affordable_share(p) == pytest.approx(100 * 37 / 46)
    own = sc.project(BASE, 2023, 3, PROJECTS, sc.ScenarioSpec("streng", rates={"planvorming": 0.5}))
    assert own.wijken[B][2024]["corporatie"] == pytest.approx(70 - 15)
    without_sales = sc.project(BASE, 2023, 3, PROJECTS, sc.ScenarioSpec("zonder verkoop", False,
                                                                       frozenset({"verkoop"})))
    assert without_sales.wijken[B][2026]["corporatie"] == 40


def test_concentration_by_hand():
    base = sc.project(BASE, 2023, 3, PROJECTS, sc.ScenarioSpec("gepland", risk_weighted=False))
    c0 = sc.concentration(base, 2023)
    # social 30/70 of 100, other 70/30: D = 50 * (|0.3-0.7| + |0.7-0.3|) = 40
    assert c0["dissimilariteit"] == pytest.approx(40.0)
    # one wijk in the top quarter (ceil(2/4)): B (70 %) holds 70 of 100 social dwellings
    assert c0["aandeel_kwart"] == pytest.approx(70.0) and c0["kwart_wijken"] == [B]
    c1 = sc.concentration(base, 2026)
    # social A 50, B 30 (S 80); other A 100, B 40 (O 140): D = 50 * (|50/80-100/140| + |30/80-40/140|)
    assert c1["dissimilariteit"] == pytest.approx(50 * (abs(50 / 80 - 100 / 140) + abs(30 / 80 - 40 / 140)))
    assert c1["dissimilariteit"] == pytest.approx(8.92857, abs=1e-4)
    assert c1["aandeel_kwart"] == pytest.approx(37.5) and c1["kwart_wijken"] == [B]
    assert sc.dissimilarity({"x": 0}, {"x": 10}) is None


def test_movement_against_a_range():
    assert sc.movement(70, 100 * 44 / 79, 25, 45) == "naar doel toe"
    assert sc.movement(70, 42.9, 25, 45) == "binnen doel"
    assert sc.movement(30, 20, 25, 45) == "van doel af"
    assert sc.movement(20, 20, 25, 45) == "blijft buiten doel"
    assert sc.movement(None, 20, 25, 45) == "onbekend"


def test_slipping():
    late = _p(9, A, "nieuwbouw", "vergund", 2024, {"sociale_huur": 5})
    assert register.is_slipping(late, date(2026, 3, 1))           # phase since 2024-01-01, year passed
    assert not register.is_slipping(late, date(2024, 12, 1))      # the year has not passed yet
    moved_on = register.ProjectData(**{**late.__dict__, "phase_since": date(2025, 2, 1)})
    assert not register.is_slipping(moved_on, date(2026, 3, 1))  # the phase changed after the year
    done = register.ProjectData(**{**late.__dict__, "phase": "opgeleverd"})
    assert not register.is_slipping(done, date(2026, 3, 1))


# ---------------------------------------------------------------- store: stock, targets, imports

def _seeded(url: str) -> None:
    with db.session_scope(url) as session:
        seed_signatories(session, REPO_DIR / "data")


def _editor_of(session, party_name: str) -> tuple[Principal, int]:
    party = session.scalar(select(Party).where(Party.name == party_name))
    view = MembershipView(organisation_id=999, organisation=party_name, kind=party.kind, party_id=party.id,
                          role="redacteur")
    return Principal(user_id=1, name="test", memberships=(view,), via="session"), party.id


def test_stock_without_cbs_tenure_says_so_and_synthetic_tenure_gives_counts(fresh_db_url):
    with db.session_scope(fresh_db_url) as session:
        s = stock.cbs_stock(session, "GM0034")
        if not session.scalar(select(func.count()).select_from(Observation)
                              .where(Observation.indicator_id == "huurwoningen_corporatie")):
            assert s.year is None and s.note.startswith("geen CBS-cijfers")
        wijken = list(stock.wijken_of(session, "GM0034"))[:2]
        total = {w: session.scalar(select(Observation.value).where(
            Observation.area_code == w, Observation.indicator_id == "woningvoorraad", Observation.period == 2024))
            for w in wijken}
        assert all(v for v in total.values())
        # SYNTHETIC tenure shares (labelled as such in the source id), to check the arithmetic only
        from gebiedsatlas.store.models import Indicator, Source
        session.merge(Source(id="synthetic-test", publisher="test", title="synthetic", licence="-", attribution="-"))
        for ind in ("koopwoningen", "huurwoningen_corporatie", "huurwoningen_overige_verhuurders",
                    "eengezinswoningen", "meergezinswoningen", "bag_bouwperiode_voor_1945"):
            session.merge(Indicator(id=ind, label=ind, theme="wonen", unit="%", direction="neutral",
                                    aggregation={"method": "none"}))
        session.flush()
        for w, shares in zip(wijken, [(50.0, 40.0, 10.0), (20.0, 70.0, 9.0)], strict=True):
            for ind, v in zip(("koopwoningen", "huurwoningen_corporatie", "huurwoningen_overige_verhuurders"), shares,
                              strict=True):
                session.merge(Observation(indicator_id=ind, period=2024, area_code=w, value=v, status="observed",
                                          source_id="synthetic-test", boundary_year=2024))
        for ind, v in (("eengezinswoningen", 60.0), ("meergezinswoningen", 40.0), ("bag_bouwperiode_voor_1945", 12.0)):
            session.merge(Observation(indicator_id=ind, period=2024, area_code=wijken[0], value=v, status="observed",
                                      source_id="synthetic-test", boundary_year=2024))
    with db.session_scope(fresh_db_url) as session:
        s = stock.cbs_stock(session, "GM0034")
        assert s.year == 2024 and set(s.wijken) == set(wijken)
        assert s.dwelling_types == {wijken[0]: {"eengezins": pytest.approx(total[wijken[0]] * 0.6),
                                                "meergezins": pytest.approx(total[wijken[0]] * 0.4)}}
        assert s.building_periods == {wijken[0]: {"voor_1945": 12.0}}
        w0 = s.wijken[wijken[0]]
        assert w0.tenure["corporatie"] == pytest.approx(total[wijken[0]] * 0.40)
        w1 = s.wijken[wijken[1]]
        assert w1.unknown == pytest.approx(total[wijken[1]] * 0.01)
        prog = services.programme(session, "GM0034", today=date(2026, 1, 1))
        assert [p.spec.name for p in prog.projections] == ["Zoals gepland", "Risicogewogen"]
        assert prog.projections[0].years[0] == 2024 and len(prog.projections[0].years) == 11


def test_targets_are_versions(fresh_db_url):
    with db.session_scope(fresh_db_url) as session:
        current = {t.key: t for t in targets.current_targets(session, "GM0034")}
        assert current["npa-sociale-huur-30"].min_share == 30 and current["npa-sociale-huur-30"].version == 0
        assert "twee derde betaalbaar" in current["npa-betaalbaar-nieuwbouw"].source_text
        own = targets.parse_target({"key": "almere-sociaal-wijk", "label": "Sociale huur per wijk",
                                    "kind": "aandeel_voorraad", "segment": "sociale_huur", "scope_kind": "gemeente",
                                    "scope_code": "GM0034", "per_wijk": "ja", "min_share": "25", "max_share": "45",
                                    "source_kind": "woonvisie", "source_text": "Woonvisie Almere (test)"})
        targets.save_target(session, own, SETUP)
        own.max_share = 50
        targets.save_target(session, own, SETUP)
        assert [v.version for v in targets.versions(session, "almere-sociaal-wijk")] == [2, 1]
        now = targets.target_by_key(session, "almere-sociaal-wijk")
        assert now.max_share == 50 and now.text == "sociale huur 25–50 % van de voorraad per wijk"
        assert not any(t.key == "almere-sociaal-wijk" for t in targets.current_targets(session, "GM0794"))
        with pytest.raises(InputError, match="max_share"):
            targets.parse_target({**own.__dict__, "min_share": 60, "max_share": 40})


PROJECT_CSV = """naam,gebied,partij,soort,fase,opleverjaar,sociale_huur,koop_overig
Haven fase 2,WK003401,Gemeente Almere,nieuwbouw,vergund,2027,40,20
Sloop Noord,WK003402,Gemeente Almere,sloop,planvorming,2028,30,
"""
BROKEN_CSV = """naam,gebied,partij,soort,fase,opleverjaar,sociale_huur
Goed project,WK003401,Gemeente Almere,nieuwbouw,vergund,2027,40
,WK003401,Gemeente Almere,nieuwbouw,vergund,2027,40
Fout gebied,WK079401,Gemeente Almere,nieuwbouw,vergund,2027,40
Foute soort,WK003401,Gemeente Almere,bouwen,vergund,2027,40
Fout jaar,WK003401,Gemeente Almere,nieuwbouw,vergund,twintig,40
Min,WK003401,Gemeente Almere,nieuwbouw,vergund,2027,-5
Andere partij,WK003401,Ymere,nieuwbouw,vergund,2027,5
"""


def test_project_import_all_or_nothing(fresh_db_url):
    _seeded(fresh_db_url)
    with db.session_scope(fresh_db_url) as session:
        principal, _ = _editor_of(session, "Gemeente Almere")
        with pytest.raises(housing_io.ImportFailed) as failed:
            housing_io.import_projects(session, "GM0034", BROKEN_CSV.encode(), "projecten.csv", principal, SETUP)
        errors = [(e.row, e.column) for e in failed.value.errors]
        assert errors == [(3, "naam"), (4, "gebied"), (5, "soort"), (6, "opleverjaar"), (7, "sociale_huur"),
                          (8, "partij")]
        assert "u mag geen projecten van Ymere bewerken" in str(failed.value)
    with db.session_scope(fresh_db_url) as session:
        assert session.scalar(select(func.count()).select_from(Project)) == 0
        principal, _ = _editor_of(session, "Gemeente Almere")
        done = housing_io.import_projects(session, "GM0034", PROJECT_CSV.encode(), "projecten.csv", principal, SETUP)
        assert (done.created, done.updated) == (2, 0)
    with db.session_scope(fresh_db_url) as session:
        rows = register.projects_of(session, "GM0034")
        assert [(p.name, p.lines) for p in rows] == [("Haven fase 2", {"koop_overig": 20, "sociale_huur": 40}),
                                                      ("Sloop Noord", {"sociale_huur": 30})]
        # export -> change -> import again updates by id (a round trip through Excel)
        workbook = housing_io.projects_workbook(session, rows)
        from io import BytesIO

        from openpyxl import load_workbook
        wb = load_workbook(BytesIO(workbook))
        wb["Projecten"]["G2"] = 2029
        buffer = BytesIO()
        wb.save(buffer)
        principal, _ = _editor_of(session, "Gemeente Almere")
        done = housing_io.import_projects(session, "GM0034", buffer.getvalue(), "projecten.xlsx", principal, SETUP)
        assert (done.created, done.updated) == (0, 2)
    with db.session_scope(fresh_db_url) as session:
        assert [p.planned_year for p in register.projects_of(session, "GM0034")] == [2028, 2029]


STOCK_CSV = "buurtcode;sociale_huur;middenhuur;vrije_huur\nBU00340101;120;10;\nBU00340102;80;0;5\n"
BROKEN_STOCK = ("buurtcode,sociale_huur,middenhuur,vrije_huur\nBU00340101,120,10,\nBU99999999,1,1,1\n"
                "BU00340101,5,5,5\nBU00340102,veel,0,-3\n")


def test_party_stock_upload_versions_and_errors(fresh_db_url):
    _seeded(fresh_db_url)
    with db.session_scope(fresh_db_url) as session:
        party = session.scalar(select(Party).where(Party.name == "De Alliantie"))
        with pytest.raises(housing_io.ImportFailed) as failed:
            housing_io.import_party_stock(session, party.id, BROKEN_STOCK.encode(), "bezit.csv", 2025, SETUP)
        assert [(e.row, e.column) for e in failed.value.errors] == [
            (3, "buurtcode"), (4, "buurtcode"), (5, "sociale_huur"), (5, "vrije_huur")]
    with db.session_scope(fresh_db_url) as session:
        assert session.scalar(select(func.count()).select_from(PartyStockUpload)) == 0
        party = session.scalar(select(Party).where(Party.name == "De Alliantie"))
        first = housing_io.import_party_stock(session, party.id, STOCK_CSV.encode(), "bezit.csv", 2025, SETUP)
        second = housing_io.import_party_stock(session, party.id, STOCK_CSV.replace("120", "125").encode(),
                                               "bezit.csv", 2026, SETUP)
        assert (first.version, second.version) == (1, 2) and second.uploaded_by == SETUP.user
        assert session.scalar(select(func.count()).select_from(PartyStock)) == 10
        upload, per_wijk = stock.party_stock(session, party.id, "GM0034")
        assert upload.version == 2 and per_wijk == {"WK003401": {"sociale_huur": 205, "middenhuur": 10,
                                                                 "vrije_huur": 5}}


def test_snapshot_is_frozen_and_shows_slippage(fresh_db_url):
    _seeded(fresh_db_url)
    with db.session_scope(fresh_db_url) as session:
        principal, _ = _editor_of(session, "Gemeente Almere")
        housing_io.import_projects(session, "GM0034", PROJECT_CSV.encode(), "p.csv", principal, SETUP)
        snap = services.take_snapshot(session, "GM0034", SETUP, today=date(2026, 3, 1))
        assert snap.label == "2026-H1" and len(snap.projects) == 2
        with pytest.raises(services.SnapshotExists):
            services.take_snapshot(session, "GM0034", SETUP, today=date(2026, 6, 30))
        project = session.scalar(select(Project).where(Project.name == "Haven fase 2"))
        data = register.data_of(project)
        register.update(session, project, register.ProjectData(**{**data.__dict__, "planned_year": 2029}), SETUP)
        changes = services.slippage(snap, register.projects_of(session, "GM0034"))
        assert changes == [{"naam": "Haven fase 2", "wat": "opleverjaar 2027 → 2029 (+2 jaar)", "id": project.id,
                            "later": True}]


def test_commitment_links_projects_realisation_updates_them_and_a_target_becomes_a_commitment(fresh_db_url):
    from gebiedsatlas.agreements import services as agreements
    from gebiedsatlas.store.agreements import Commitment

    _seeded(fresh_db_url)
    with db.session_scope(fresh_db_url) as session:
        principal, almere = _editor_of(session, "Gemeente Almere")
        housing_io.import_projects(session, "GM0034", (
            b"naam,gebied,partij,soort,fase,opleverjaar,sociale_huur\n"
            b"Eerste,WK003401,Gemeente Almere,nieuwbouw,in_aanbouw,2026,30\n"
            b"Tweede,WK003402,Gemeente Almere,nieuwbouw,vergund,2026,50\n"
            b"Later,WK003402,Gemeente Almere,nieuwbouw,vergund,2028,20\n"), "p.csv", principal, SETUP)
        agreement = agreements.create_agreement(session, agreements.parse_agreement(session, {
            "title": "Almere 2026-2029", "gemeente_code": "GM0034", "period_start": 2026, "period_end": 2029,
            "party_ids": [almere]}), SETUP)
        commitment = agreements.add_commitment(session, agreement, agreements.parse_commitment(session, agreement, {
            "text": "100 sociale huurwoningen opleveren.", "theme": "beschikbaarheid", "party_ids": [almere],
            "target_kind": "output", "output_unit": "woningen", "year_targets": "2026: 80; 2028: 20"}), SETUP)
        ids = {p.name: p.id for p in register.projects_of(session, "GM0034")}
        assert services.link_projects(session, commitment, list(ids.values()), SETUP) == 3
        assert services.programme_effect(session, commitment) == {2026: 80, 2028: 20}
        # 35 delivered in 2026 covers "Eerste" (30) but not "Tweede" (50); "Later" is not due
        assert services.apply_realisation(session, commitment, 2026, 35, SETUP) == [ids["Eerste"]]
        phases = {p.name: p.phase for p in register.projects_of(session, "GM0034")}
        assert phases == {"Eerste": "opgeleverd", "Tweede": "vergund", "Later": "vergund"}
        with pytest.raises(InputError, match="onbekend project"):
            services.link_projects(session, commitment, [999_999], SETUP)
        adopted = services.adopt_target(session, targets.target_by_key(session, "npa-sociale-huur-30"), agreement,
                                        [almere], SETUP)
        assert "Ten minste 30 % sociale huur per gemeente" in session.get(Commitment, adopted.id).text
        # the link is kept on the commitment side: the national default gets no new version
        assert services.adopted_target(session, adopted.id).target_key == "npa-sociale-huur-30"
        assert [a.commitment_id for a in services.adoptions(session, "npa-sociale-huur-30")] == [adopted.id]
        assert targets.versions(session, "npa-sociale-huur-30") == []


def test_without_tenure_per_wijk_the_programme_runs_on_the_gemeente_figures(db_url):
    with db.session_scope(db_url) as session:
        prog = services.programme(session, "GM0034")
        if prog.stock.level == "wijk":
            pytest.skip("this store has tenure per wijk")
        # Almere, 1 januari 2024 (CBS KWB, data/cbs/kwb2020_2025_gemeenten_woningen.csv): 92 353 woningen,
        # 62 % koop, 27 % corporatie, 11 % overige verhuurders
        whole = prog.stock.gemeente
        assert (prog.stock.year, whole.total, whole.shares) == (
            2024, 92353, {"koop": 62, "corporatie": 27, "particulier": 11})
        assert prog.stock.wijken == {} and prog.stock.total["corporatie"] == pytest.approx(24935.31)
        assert prog.projections and all(p.wijken == {} for p in prog.projections)
        projection = prog.projections[0]
        assert projection.share(None, 2024) == pytest.approx(27)
        per_wijk = targets.parse_target({
            "key": "test-per-wijk", "label": "Sociale huur 25-45 % per wijk", "kind": "aandeel_voorraad",
            "segment": "sociale_huur", "scope_kind": "gemeente", "scope_code": "GM0034", "per_wijk": "ja",
            "min_share": "25", "max_share": "45", "source_kind": "woonvisie"}, "test", 1)
        prog.targets = [per_wijk]
        row = services.target_rows(prog, projection)[0]
        assert row["op_gemeenteniveau"] and row["voor"] == pytest.approx(27) and row["wijken"] == []
