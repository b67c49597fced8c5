"""Prestatieafspraken domain: status rules, projection on real atlas trends, SMART check, history and
versioning of realisations, validation, area links and the separation of the fictional demo set."""

from __future__ import annotations

import csv
import shutil
from datetime import date

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gebiedsatlas.accounts import services as accounts
from gebiedsatlas.agreements import demo, history, monitoring, parties, services
from gebiedsatlas.agreements.history import Actor
from gebiedsatlas.agreements.progress import atlas_series, commitment_progress, outcome_progress, output_progress
from gebiedsatlas.agreements.projection import fit_trend
from gebiedsatlas.agreements.smart import is_measurable, smart_check
from gebiedsatlas.config import REPO_DIR
from gebiedsatlas.store import db
from gebiedsatlas.store.accounts import AuditEvent
from gebiedsatlas.store.agreements import Party, Realisation

ACTOR = Actor("tester", "Gemeente Nieuwegein")
LBM_WIJKEN = REPO_DIR / "data" / "leefbaarometer" / "lbm3_wijken_2002_2024_nta7.csv"


@pytest.fixture
def store(template_db, tmp_path):
    """A private store with the real signatories seeded."""
    path = tmp_path / "afspraken.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    with db.session_scope(url) as session:
        parties.seed_signatories(session, REPO_DIR / "data")
    return url


def _party(session, name: str) -> Party:
    return session.scalar(select(Party).where(Party.name == name))


def _new_agreement(session, **overrides):
    gemeente = _party(session, "Gemeente Nieuwegein")
    corporation = _party(session, "Jutphaas Wonen")
    raw = {"title": "Prestatieafspraken Nieuwegein 2026–2029", "gemeente_code": "GM0356",
           "period_start": "2026", "period_end": "2029", "party_ids": [gemeente.id, corporation.id]}
    raw.update(overrides)
    return services.create_agreement(session, services.parse_agreement(session, raw), ACTOR), gemeente, corporation


# ---------------------------------------------------------------- status rules (pure)

def test_output_rule_thresholds():
    planned = {2026: 100, 2027: 120, 2028: 120, 2029: 120}
    assert output_progress(planned, {2026: 95}, 2027).status == "op_koers"  # 95 % of 100 due
    assert output_progress(planned, {2026: 80}, 2027).status == "risico"  # 80 %
    assert output_progress(planned, {2026: 60}, 2027).status == "achter"  # 60 %
    assert output_progress(planned, {}, 2026).status == "op_koers"  # nothing due before 2026
    assert output_progress(planned, {y: v for y, v in planned.items()}, 2027).status == "behaald"
    # A due year without a report counts as 0: 100 realised of 220 due (2026 + 2027).
    missing = output_progress(planned, {2026: 100}, 2028)
    assert missing.status == "achter" and missing.planned_due == 220 and "2027" in missing.explanation
    # All jaarschijven in the past and the total not reached.
    assert output_progress(planned, {2026: 100, 2027: 120, 2028: 120, 2029: 119}, 2031).status == "achter"
    assert output_progress({}, {}, 2027).status == "niet_meetbaar"


def test_outcome_rule_with_projection():
    series = [{"year": 2020, "value": 4.0, "source": "atlas"}, {"year": 2022, "value": 4.02, "source": "atlas"},
              {"year": 2024, "value": 4.04, "source": "atlas"}]
    # Slope 0.01/yr: 4.09 in 2029 = 90 % of the way from 4.0 to 4.10 -> risico.
    p = outcome_progress(series, baseline_value=4.0, target_value=4.10, target_year=2029, reference_year=2026)
    assert p.status == "risico" and p.projected_value == pytest.approx(4.09)
    assert outcome_progress(series, baseline_value=4.0, target_value=4.08, target_year=2029,
                            reference_year=2026).status == "op_koers"
    assert outcome_progress(series, baseline_value=4.0, target_value=4.04, target_year=2029,
                            reference_year=2026).status == "behaald"
    assert outcome_progress(series, baseline_value=4.0, target_value=4.3, target_year=2029,
                            reference_year=2026).status == "achter"
    assert outcome_progress(series, baseline_value=4.0, target_value=4.05, target_year=2025,
                            reference_year=2026).status == "achter"  # target year passed
    assert outcome_progress(series[:1], baseline_value=4.0, target_value=4.1, target_year=2029,
                            reference_year=2026).status == "niet_meetbaar"
    # A downward target (less is better): reaching 35 % or lower.
    down = [{"year": 2020, "value": 40.0, "source": "atlas"}, {"year": 2024, "value": 38.0, "source": "atlas"}]
    assert outcome_progress(down, baseline_value=40, target_value=35, target_year=2030,
                            reference_year=2026).status == "op_koers"  # trend 35 in 2030


def test_projection_on_real_leefbaarometer_trend(db_url):
    """The trend of Jutphaas Wijkersloot (WK035601) is the least-squares line through the published
    Leefbaarometer 3.0 scores 2002–2024, read here straight from the bundled CSV."""
    with open(LBM_WIJKEN, encoding="utf-8") as fh:
        published = {int(r["jaar"]): float(r["lbm"]) for r in csv.DictReader(fh) if r["wk_code"] == "WK035601"}
    assert published[2002] == 3.999 and published[2024] == 4.0202
    with db.session_scope(db_url) as session:
        from gebiedsatlas.indicators.values import area_values

        frame = area_values(session, ["WK035601"], ["lbm_score"])
        stored = {int(r.period): float(r.value) for r in frame.itertuples()}
    assert stored == pytest.approx(published)
    trend = fit_trend(list(stored.items()))
    years = np.array(sorted(published), dtype=float)
    values = np.array([published[int(y)] for y in years])
    slope = ((years - years.mean()) * (values - values.mean())).sum() / ((years - years.mean()) ** 2).sum()
    assert trend.slope == pytest.approx(slope)
    assert trend.at(2029) == pytest.approx(values.mean() + slope * (2029 - years.mean()))
    assert trend.first_year == 2002 and trend.last_year == 2024
    assert fit_trend([(2022, 1.0), (2022, 2.0)]) is None  # one distinct year: no trend
    assert fit_trend([(2020, 1.0), (2022, float("nan")), (2024, 3.0)]).slope == pytest.approx(0.5)


# ---------------------------------------------------------------- SMART check

def test_smart_check_flags_what_is_not_measurable(store):
    with db.session_scope(store) as session:
        agreement, gemeente, corporation = _new_agreement(session)
        vague = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
            "text": "Partijen spannen zich in om waar mogelijk de leefbaarheid te bevorderen.",
            "theme": "leefbaarheid"}), ACTOR)
        codes = {i.code for i in smart_check(vague, (2026, 2029))}
        assert codes == {"geen_doel", "geen_verantwoordelijke", "vaag"}
        assert not is_measurable(smart_check(vague))
        good = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
            "text": "Jutphaas Wonen levert 120 sociale huurwoningen op in 2027.", "theme": "beschikbaarheid",
            "party_ids": [corporation.id], "target_kind": "output", "output_unit": "sociale huurwoningen opgeleverd",
            "year_targets": "2027: 120"}), ACTOR)
        assert smart_check(good, (2026, 2029)) == []
        outcome = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
            "text": "Betere leefbaarheid in Jutphaas Wijkersloot", "theme": "leefbaarheid",
            "party_ids": [gemeente.id], "scope_kind": "wijk", "scope_codes": "WK035601",
            "target_kind": "outcome", "indicator_id": "lbm_score", "target_value": "4,10", "target_year": "2031"}),
            ACTOR)
        assert {i.code for i in smart_check(outcome, (2026, 2029))} == {"buiten_looptijd"}
        # The commitment without a target is niet meetbaar, with the reason.
        progress = commitment_progress(session, vague, 2027)
        assert progress.status == "niet_meetbaar" and "Geen meetbaar doel" in progress.explanation


# ---------------------------------------------------------------- agreements: validation, transitions, history

def test_validation_errors_name_the_field(store):
    with db.session_scope(store) as session:
        with pytest.raises(services.ValidationFailed) as exc:
            services.parse_agreement(session, {"title": "", "gemeente_code": "WK035601", "period_start": "2029",
                                               "period_end": "2026", "party_ids": ""})
        assert set(exc.value.errors) == {"title", "gemeente_code", "period_end", "party_ids"}
        assert "GM0356" in exc.value.errors["gemeente_code"]
        agreement, gemeente, _ = _new_agreement(session)
        with pytest.raises(services.ValidationFailed) as exc:
            services.parse_commitment(session, agreement, {
                "text": "Iets in Almere", "theme": "onbekend", "scope_kind": "wijk", "scope_codes": "WK003401, XX12",
                "target_kind": "outcome", "indicator_id": "geen_indicator", "target_year": "twintig"})
        errors = exc.value.errors
        assert set(errors) >= {"theme", "scope_codes", "indicator_id", "target_value", "target_year"}
        assert ("WK003401 (Centrum Almere Haven) ligt niet in gemeente Nieuwegein maar in Almere"
                in errors["scope_codes"])
        assert "'XX12' is geen geldige CBS-code" in errors["scope_codes"]
        almere = _party(session, "Gemeente Almere")
        with pytest.raises(services.ValidationFailed) as exc:
            services.parse_commitment(session, agreement, {"text": "Almere doet iets", "theme": "leefbaarheid",
                                                           "party_ids": [almere.id]})
        assert "partijen van deze afspraken" in exc.value.errors["party_ids"]


def test_outcome_baseline_is_read_from_the_atlas(store):
    with db.session_scope(store) as session:
        agreement, gemeente, _ = _new_agreement(session)
        data = services.parse_commitment(session, agreement, {
            "text": "Leefbaarheid Jutphaas Wijkersloot omhoog", "theme": "leefbaarheid", "party_ids": [gemeente.id],
            "scope_kind": "wijk", "scope_codes": "WK035601", "target_kind": "outcome", "indicator_id": "lbm_score",
            "baseline_year": "2024", "target_value": "4.1", "target_year": "2029"})
        assert (data.baseline_value, data.baseline_year) == (4.0202, 2024)  # published score 2024
        latest = services.parse_commitment(session, agreement, {
            "text": "Leefbaarheid Nieuwegein omhoog", "theme": "leefbaarheid", "party_ids": [gemeente.id],
            "target_kind": "outcome", "indicator_id": "lbm_score", "target_value": "4.1", "target_year": "2029"})
        assert latest.baseline_year == 2024 and latest.baseline_value == pytest.approx(4.06845586, abs=1e-6)


def test_status_transitions_and_snapshot_at_signing(store):
    with db.session_scope(store) as session:
        agreement, gemeente, corporation = _new_agreement(session)
        with pytest.raises(services.NotAllowed, match="niet toegestaan"):
            services.change_status(session, agreement, "getekend", ACTOR)
        services.change_status(session, agreement, "bod", ACTOR)
        with pytest.raises(services.NotAllowed, match="minstens één afspraak"):
            services.change_status(session, agreement, "getekend", ACTOR, signed_on=date(2025, 12, 15))
        commitment = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
            "text": "Jutphaas Wonen levert 120 sociale huurwoningen op in 2027.", "theme": "beschikbaarheid",
            "party_ids": [corporation.id], "target_kind": "output", "output_unit": "woningen",
            "year_targets": "2027: 120"}), ACTOR)
        with pytest.raises(services.ValidationFailed):
            services.change_status(session, agreement, "getekend", ACTOR)  # no signing date
        services.change_status(session, agreement, "concept", ACTOR)  # back to negotiation
        services.change_status(session, agreement, "bod", ACTOR)
        services.change_status(session, agreement, "getekend", ACTOR, signed_on=date(2025, 12, 15))
        assert agreement.signed_on == date(2025, 12, 15) and agreement.version == 1
        # A signed agreement is locked: its text changes only through a wijziging, signed again.
        with pytest.raises(services.NotAllowed, match="vergrendeld"):
            services.set_year_targets(session, commitment, {2027: 100}, ACTOR)
        with pytest.raises(services.NotAllowed, match="vergrendeld"):
            services.update_commitment(session, commitment, services.parse_commitment(session, agreement, {
                "text": "Iets anders", "theme": "beschikbaarheid", "party_ids": [corporation.id]}), ACTOR)
        services.change_status(session, agreement, "wijziging", ACTOR)
        assert agreement.version == 2
        services.set_year_targets(session, commitment, {2027: 100, 2028: 20}, ACTOR)
        services.change_status(session, agreement, "getekend", ACTOR)
        services.change_status(session, agreement, "afgerond", ACTOR)
        with pytest.raises(services.NotAllowed, match="eindstatus"):
            services.change_status(session, agreement, "concept", ACTOR)
        first = history.signing_snapshot(session, agreement.id, version=1)
        assert first.data["status"] == "getekend" and first.version == 1
        assert first.data["commitments"][0]["year_targets"] == {"2027": 120.0}
        assert history.signing_snapshot(session, agreement.id).data["commitments"][0]["year_targets"] == {
            "2027": 100.0, "2028": 20.0}
        assert [v.version for v in history.signed_versions(session, agreement.id)] == [1, 2]
        assert {t.year: t.planned for t in commitment.year_targets} == {2027: 100, 2028: 20}
        log = history.changes(session, agreement.id)
        statuses = [(c.old_value, c.new_value) for c in log if c.field == "status"]
        assert statuses[::-1] == [("concept", "bod"), ("bod", "concept"), ("concept", "bod"), ("bod", "getekend"),
                                  ("getekend", "wijziging"), ("wijziging", "getekend"), ("getekend", "afgerond")]
        jaarschijf = [c for c in log if c.object_type == "jaarschijf" and c.field == "2027"]
        assert [(c.old_value, c.new_value) for c in jaarschijf] == [("120", "100"), (None, "120")]
        assert all(c.actor == "tester" and c.organisation == "Gemeente Nieuwegein" for c in log)


def test_status_needs_every_party_and_records_who_signed(store):
    """Bod, getekend and afgerond move only when every party agreed; back to concept needs one."""
    with db.session_scope(store) as session:
        agreement, gemeente, corporation = _new_agreement(session)
        services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
            "text": "Jutphaas Wonen levert 120 sociale huurwoningen op in 2027.", "theme": "beschikbaarheid",
            "party_ids": [corporation.id], "target_kind": "output", "output_unit": "woningen",
            "year_targets": "2027: 120"}), ACTOR)
        users = [accounts.create_user(session, email, email, ACTOR) for email in ("anna@nieuwegein.nl",
                                                                                    "bram@jutphaas.nl")]
        anna = Actor("anna@nieuwegein.nl", "Gemeente Nieuwegein", users[0].id)
        bram = Actor("bram@jutphaas.nl", "Jutphaas Wonen", users[1].id)
        assert services.approve_status(session, agreement, "bod", gemeente.id, anna) is False
        assert agreement.status == "concept"
        with pytest.raises(services.NotAllowed, match="al akkoord"):
            services.approve_status(session, agreement, "bod", gemeente.id, anna)
        assert services.approve_status(session, agreement, "bod", corporation.id, bram) is True
        assert agreement.status == "bod"
        assert services.approve_status(session, agreement, "concept", corporation.id, bram) is True  # one suffices
        services.approve_status(session, agreement, "bod", gemeente.id, anna)
        services.approve_status(session, agreement, "bod", corporation.id, bram)
        with pytest.raises(services.NotAllowed, match="Alleen een partij"):
            services.approve_status(session, agreement, "getekend", 999_999, anna, signed_on=date(2025, 12, 15))
        services.approve_status(session, agreement, "getekend", corporation.id, bram, signed_on=date(2025, 12, 15))
        assert agreement.status == "bod"
        services.approve_status(session, agreement, "getekend", gemeente.id, anna, signed_on=date(2025, 12, 15))
        assert agreement.status == "getekend"
        signed = [(a.party_id, a.user_name, a.version) for a in services.signatures(session, agreement)]
        assert signed == [(corporation.id, "bram@jutphaas.nl", 1), (gemeente.id, "anna@nieuwegein.nl", 1)]


def test_realisations_are_versioned_never_overwritten(store):
    with db.session_scope(store) as session:
        agreement, gemeente, corporation = _new_agreement(session)
        commitment = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
            "text": "Jutphaas Wonen levert 100 sociale huurwoningen op in 2026.", "theme": "beschikbaarheid",
            "party_ids": [corporation.id], "target_kind": "output", "output_unit": "woningen",
            "year_targets": "2026: 100"}), ACTOR)
        with pytest.raises(services.ValidationFailed) as exc:
            services.parse_realisation(session, commitment, {"year": "2026", "value": "60",
                                                             "reported_by_party_id": [gemeente.id]})
        assert "verantwoordelijke partij" in exc.value.errors["reported_by_party_id"]
        first = services.parse_realisation(session, commitment, {"year": "2026", "value": "60",
                                                                 "reported_by_party_id": [corporation.id]})
        services.report_realisation(session, commitment, first, ACTOR)
        session.expire(commitment)
        assert commitment_progress(session, commitment, 2027).status == "achter"
        correction = services.parse_realisation(session, commitment, {
            "year": "2026", "value": "1.000,0", "explanation": "Telfout hersteld",
            "reported_by_party_id": str(corporation.id)})
        services.report_realisation(session, commitment, correction, Actor("controller", "Jutphaas Wonen"))
        session.expire(commitment)
        rows = services.realisation_versions(session, commitment.id)
        assert [(r.version, r.value) for r in rows] == [(1, 60.0), (2, 1000.0)]
        assert rows[1].recorded_by == "controller" and rows[1].explanation == "Telfout hersteld"
        assert commitment_progress(session, commitment, 2027).status == "behaald"
        log = [c for c in history.changes(session, agreement.id) if c.object_type == "realisatie"]
        assert [(c.action, c.old_value, c.new_value) for c in log] == [("gecorrigeerd", "60", "1000"),
                                                                        ("gemeld", None, "60")]
        assert session.scalar(select(func.count()).select_from(Realisation)) == 2


def test_outcome_status_uses_atlas_series_and_reported_years(store):
    with db.session_scope(store) as session:
        agreement, gemeente, _ = _new_agreement(session)
        commitment = services.add_commitment(session, agreement, services.parse_commitment(session, agreement, {
            "text": "Leefbaarometer-score Jutphaas Wijkersloot naar 4,10 in 2029", "theme": "leefbaarheid",
            "party_ids": [gemeente.id], "scope_kind": "wijk", "scope_codes": "WK035601",
            "target_kind": "outcome", "indicator_id": "lbm_score", "baseline_year": "2024",
            "target_value": "4.10", "target_year": "2029"}), ACTOR)
        series = atlas_series(session, commitment)
        assert [s["year"] for s in series] == [2002, 2008, 2012, 2014, 2016, 2018, 2020, 2022, 2024]
        before = commitment_progress(session, commitment, 2026)
        assert before.status == "achter" and before.current_value == 4.0202
        services.report_realisation(session, commitment, services.parse_realisation(session, commitment, {
            "year": "2026", "value": "4,12", "reported_by_party_id": [gemeente.id]}), ACTOR)
        session.expire(commitment)
        after = commitment_progress(session, commitment, 2026)
        assert after.status == "behaald" and (after.current_year, after.current_value) == (2026, 4.12)
        assert after.series[-1]["source"] == "gemeld"


# ---------------------------------------------------------------- parties, demo, area links

def test_real_signatories_are_seeded_without_invented_links(store):
    with db.session_scope(store) as session:
        real = parties.list_parties(session)
        assert sum(p.kind == "gemeente" for p in real) == 7
        assert sum(p.kind == "woningcorporatie" for p in real) == 17
        assert {p.gemeente_code for p in real if p.kind == "woningcorporatie"} == {None}
        assert _party(session, "Gemeente Purmerend").gemeente_code == "GM0439"
        assert parties.seed_signatories(session, REPO_DIR / "data") == 0  # idempotent


def test_demo_set_is_fictional_and_never_mixed_with_real(store):
    with db.session_scope(store) as session:
        agreements = demo.load_demo(session)
        assert len(agreements) == 2 and all(a.is_demo and a.title.startswith("Fictief voorbeeld") for a in agreements)
        assert demo.load_demo(session)[0].id == agreements[0].id  # loading twice adds nothing
        assert all(ap.party.is_demo and ap.party.name.startswith("Fictief:") for a in agreements for ap in a.parties)
        assert monitoring.list_agreements(session, demo=False) == []
        real, gemeente, _ = _new_agreement(session)
        assert [a.id for a in monitoring.list_agreements(session)] == [real.id]
        fictional = _party(session, "Fictief: Woonstichting De Voorbeeldhaven")
        with pytest.raises(services.ValidationFailed, match="Fictieve"):
            services.parse_agreement(session, {"title": "Echt", "gemeente_code": "GM0356", "period_start": 2026,
                                               "period_end": 2029, "party_ids": [gemeente.id, fictional.id]})
        nieuwegein = agreements[0]
        views = monitoring.commitment_views(session, nieuwegein, 2026)
        statuses = {v.commitment.number: v.progress.status for v in views}
        assert statuses == {1: "op_koers", 2: "achter", 3: "achter", 4: "op_koers", 5: "niet_meetbaar", 6: "op_koers"}
        recip = {r["party"].name: r["count"] for r in monitoring.reciprocity(nieuwegein)}
        assert recip["Fictief: Gemeente Nieuwegein"] == 2 and recip["Fictief: Woonstichting De Voorbeeldhaven"] == 3


def test_commitments_for_area_and_counts_per_wijk(store):
    with db.session_scope(store) as session:
        demo.load_demo(session)
        assert monitoring.commitments_for_area(session, "WK035601") == []  # real only by default
        items = monitoring.commitments_for_area(session, "WK035601", demo=True, reference_year=2026)
        assert items[0]["relation"] == "hier" and items[0]["number"] == 3
        assert {i["relation"] for i in items[1:]} == {"omliggend"}
        assert all(i["agreement_title"].startswith("Fictief voorbeeld") for i in items)
        buurt = monitoring.commitments_for_area(session, "BU03560301", demo=True)
        # Driften-Zuid lies in Batau Zuid (commitment 6) and in Nieuwegein (the gemeente-wide ones).
        assert [(i["number"], i["relation"]) for i in buurt] == [(n, "omliggend") for n in (1, 2, 4, 5, 6)]
        gemeente = monitoring.commitments_for_area(session, "GM0356", demo=True)
        assert {i["relation"] for i in gemeente} == {"hier", "binnen"} and len(gemeente) == 6
        counts = monitoring.counts_per_area(session, level="wijk", demo=True)
        assert counts == {"GM0356": 4, "GM0637": 1, "WK035601": 1, "WK035603": 1, "WK063701": 1, "WK063706": 1}
        overview = monitoring.monitoring_overview(session, demo=True, reference_year=2026)
        assert overview["commitments"] == 9 and overview["agreements"] == 2
        assert overview["comparison"]["Fictief: Woonstichting De Voorbeeldhaven"]["Nieuwegein"]["output"][
            "sociale huurwoningen opgeleverd"] == 460
        assert overview["comparison"]["Fictief: Woonstichting De Voorbeeldhaven"]["Zoetermeer"]["output"][
            "sociale huurwoningen opgeleverd"] == 80
        assert sum(overview["total"].values()) == 9
        assert session.scalar(select(func.count()).select_from(AuditEvent)) > 20


# ---------------------------------------------------------------- properties of the rules

RANK = {"achter": 0, "risico": 1, "op_koers": 2, "behaald": 3}


@settings(max_examples=150, deadline=None)
@given(planned=st.dictionaries(st.integers(2026, 2029), st.integers(0, 300), min_size=1),
       realised=st.dictionaries(st.integers(2026, 2029), st.integers(0, 300)),
       extra=st.integers(1, 200), reference=st.integers(2025, 2031))
def test_output_status_never_worsens_when_more_is_realised(planned, realised, extra, reference):
    assume(sum(planned.values()) > 0 and realised)
    year = sorted(realised)[0]
    before = output_progress(planned, realised, reference)
    after = output_progress(planned, {**realised, year: realised[year] + extra}, reference)
    assert RANK[after.status] >= RANK[before.status]


@settings(max_examples=100, deadline=None)
@given(slope=st.floats(-0.05, 0.05), intercept=st.floats(-10, 10),
       years=st.lists(st.integers(2002, 2024), min_size=2, max_size=9, unique=True))
def test_trend_recovers_a_straight_line(slope, intercept, years):
    points = [(y, intercept + slope * (y - 2000)) for y in years]
    trend = fit_trend(points)
    assert trend.at(2029) == pytest.approx(intercept + slope * 29, abs=1e-6)


def test_party_names_are_unique_in_any_case_and_script(store):
    """SQLite's lower() knows only ASCII: a second "Één Huurdersraad" or "één huurdersraad", or a party
    named like the alliance's organisation, must be a field error, not a database error."""
    with db.session_scope(store) as session:
        services.create_party(session, "Één Huurdersraad", "huurdersorganisatie", ACTOR)
        for name in ("Één Huurdersraad", "één huurdersraad", "ÉÉN HUURDERSRAAD", "New Town Alliantie"):
            with pytest.raises(services.ValidationFailed, match="Er is al een partij of organisatie"):
                services.create_party(session, name, "huurdersorganisatie", ACTOR)
