"""Reading agreements for screens: an agreement with progress and reciprocity, what is agreed for an
area, counts per wijk for the map, and the monitoring overview across the seven towns.

Real and fictional (demo) agreements are never mixed: every function takes ``demo`` and returns only
one kind.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gebiedsatlas.accounts.principal import Principal
from gebiedsatlas.agreements.access import visible_clause
from gebiedsatlas.agreements.progress import Progress, commitment_progress, prefetch_series
from gebiedsatlas.agreements.scope import relation, scope_codes_effective, scope_label
from gebiedsatlas.agreements.smart import SmartIssue
from gebiedsatlas.agreements.vocab import AGREEMENT_STATUSES, PROGRESS_LABELS, THEMES
from gebiedsatlas.areas.codes import Level
from gebiedsatlas.areas.index import area_index
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.store.agreements import Agreement, Commitment, CommitmentParty, Party


@dataclass(frozen=True)
class SeriesSummary:
    """The boundary years of the atlas series behind several outcome targets, said in one sentence."""

    series: int  # outcome targets with an atlas series
    boundary_years: tuple[int, ...]
    converted: int  # series with converted years
    unconvertible: int  # series with years without a crosswalk

    @property
    def note(self) -> str:
        years = " of ".join(map(str, self.boundary_years))
        which = ("de laatste van het gebied" if len(self.boundary_years) == 1
                 else "per afspraak de laatste van het gebied")
        text = (f"Effectdoelen: {self.series} atlasreeks{'en' if self.series != 1 else ''} op de gebiedsindeling van "
                f"{years} ({which})")
        if self.converted:
            text += (f"; in {self.converted} daarvan zijn jaren omgerekend waar de grenzen veranderden (gemarkeerd "
                     "bij de afspraak)")
        if self.unconvertible:
            text += (f"; in {self.unconvertible} ontbreken jaren zonder omrekentabel (geen gegevens, tellen niet mee "
                     "in de trend)")
        return text + "."

    def as_dict(self) -> dict:
        return {"series": self.series, "boundary_years": list(self.boundary_years), "converted": self.converted,
                "unconvertible": self.unconvertible, "note": self.note}


def series_summary(progresses: list[Progress]) -> SeriesSummary | None:
    """Which boundary years the atlas series of these outcome targets are on (None without any)."""
    bases = [p.basis for p in progresses if p.basis is not None]
    if not bases:
        return None
    return SeriesSummary(len(bases), tuple(sorted({b.boundary_year for b in bases})),
                         converted=sum(bool(b.converted_years) for b in bases),
                         unconvertible=sum(bool(b.unconvertible_years) for b in bases))


@dataclass
class CommitmentView:
    commitment: Commitment
    progress: Progress
    scope: str

    @property
    def issues(self) -> list[SmartIssue]:
        return self.progress.issues


def _agreements_query(demo: bool, viewer: Principal | None = None):
    return (select(Agreement).where(Agreement.is_demo == demo, visible_clause(viewer))
            .options(selectinload(Agreement.parties), selectinload(Agreement.commitments)
                     .selectinload(Commitment.parties).selectinload(CommitmentParty.party),
                     selectinload(Agreement.commitments).selectinload(Commitment.year_targets),
                     selectinload(Agreement.commitments).selectinload(Commitment.realisations))
            .order_by(Agreement.gemeente_code, Agreement.period_start.desc(), Agreement.id))


def list_agreements(session: Session, *, demo: bool = False, gemeente_code: str | None = None,
                    party_id: int | None = None, viewer: Principal | None = None) -> list[Agreement]:
    """Agreements of one kind (real or demo) that ``viewer`` may see (None: all), optionally of one
    gemeente or with one party."""
    stmt = _agreements_query(demo, viewer)
    if gemeente_code:
        stmt = stmt.where(Agreement.gemeente_code == gemeente_code)
    agreements = list(session.scalars(stmt).unique())
    if party_id is not None:
        agreements = [a for a in agreements if any(ap.party_id == party_id for ap in a.parties)]
    return agreements


def commitment_views(session: Session, agreement: Agreement, reference_year: int | None = None,
                     series_cache: dict | None = None, only: Commitment | None = None) -> list[CommitmentView]:
    """Each commitment of an agreement (or ``only`` that one: its page need not read the others'
    realisations) with its SMART findings, derived status and scope label."""
    index = area_index(session)
    catalogue = load_catalogue()
    commitments = [only] if only is not None else list(agreement.commitments)
    if series_cache is None:
        series_cache = prefetch_series(session, commitments)
    return [CommitmentView(c, commitment_progress(session, c, reference_year, catalogue, series_cache),
                           scope_label(index, agreement.gemeente_code, c.scope_kind, list(c.scope_codes or [])))
            for c in commitments]


def reciprocity(agreement: Agreement) -> list[dict]:
    """Per party of the agreement: how many commitments it carries (alone or shared).

    Reviews find reciprocity weak: gemeenten commit little. This makes it visible.
    """
    carried: Counter = Counter()
    alone: Counter = Counter()
    for c in agreement.commitments:
        for cp in c.parties:
            carried[cp.party_id] += 1
            if len(c.parties) == 1:
                alone[cp.party_id] += 1
    total = len(agreement.commitments)
    return [{"party": ap.party, "count": carried[ap.party_id], "alone": alone[ap.party_id],
             "share": carried[ap.party_id] / total if total else None} for ap in agreement.parties]


def status_counts(views: list[CommitmentView]) -> dict[str, int]:
    counts = Counter(v.progress.status for v in views)
    return {k: counts.get(k, 0) for k in PROGRESS_LABELS}


def commitments_for_area(session: Session, code: str, *, demo: bool = False,
                         reference_year: int | None = None, viewer: Principal | None = None) -> list[dict]:
    """What has been agreed for an area: commitments whose scope is the area itself ('hier'), an
    area around it such as its gemeente ('omliggend'), or lies inside it ('binnen').

    Each item: agreement (id, title, status), commitment (id, number, text, theme), parties, scope
    label, relation and the derived status. For the area profile ("wat is hier afgesproken").
    """
    index = area_index(session)
    gemeente = index.gemeente_of(code)
    if gemeente is None:
        return []
    related: list[tuple[Agreement, Commitment, str]] = []
    for agreement in list_agreements(session, demo=demo, gemeente_code=gemeente.code, viewer=viewer):
        for c in agreement.commitments:
            codes = scope_codes_effective(agreement.gemeente_code, c.scope_kind, list(c.scope_codes or []))
            if c.scope_kind == "gebiedsset":
                members = index.sets[codes[0]].members if codes and codes[0] in index.sets else ()
                codes = list(members)
            relations = {r for s in codes if (r := relation(index, s, code))}
            if relations:
                related.append((agreement, c, next(r for r in ("hier", "binnen", "omliggend") if r in relations)))
    cache = prefetch_series(session, [c for _, c, _ in related])
    out = []
    for agreement, c, rel in related:
        progress = commitment_progress(session, c, reference_year, series_cache=cache)
        out.append({
            "agreement_id": agreement.id, "agreement_title": agreement.title,
            "agreement_status": AGREEMENT_STATUSES[agreement.status], "is_demo": agreement.is_demo,
            "commitment_id": c.id, "number": c.number, "text": c.text, "theme": THEMES.get(c.theme, c.theme),
            "parties": [cp.party.name for cp in c.parties],
            "scope": scope_label(index, agreement.gemeente_code, c.scope_kind, list(c.scope_codes or [])),
            "relation": rel, "status": progress.status, "status_label": PROGRESS_LABELS[progress.status],
            "explanation": progress.explanation,
            "series_basis": progress.basis.note if progress.basis else None,
        })
    order = {"hier": 0, "binnen": 1, "omliggend": 2}
    return sorted(out, key=lambda d: (order[d["relation"]], d["agreement_id"], d["number"]))


def counts_per_area(session: Session, *, level: str = "wijk", gemeente_code: str | None = None,
                    demo: bool = False, viewer: Principal | None = None) -> dict[str, int]:
    """Number of commitments per area code at ``level`` (wijk or buurt), for the map.

    A commitment for a buurt counts for its wijk; gemeente-wide commitments are not spread over the
    wijken (they are counted under the gemeente code).
    """
    index = area_index(session)
    target = Level(level)
    counts: Counter = Counter()
    for agreement in list_agreements(session, demo=demo, gemeente_code=gemeente_code, viewer=viewer):
        for c in agreement.commitments:
            codes = scope_codes_effective(agreement.gemeente_code, c.scope_kind, list(c.scope_codes or []))
            if c.scope_kind == "gebiedsset":
                codes = list(index.sets[codes[0]].members) if codes and codes[0] in index.sets else []
            hit: set[str] = set()
            for code in codes:
                info = index.get(code)
                if info is None:
                    continue
                if info.level is target or info.level is Level.GEMEENTE:
                    hit.add(code)
                elif info.level.rank > target.rank:
                    hit |= {a.code for a in index.ancestors(code) if a.level is target}
            for code in hit:
                counts[code] += 1
    return dict(sorted(counts.items()))


def monitoring_overview(session: Session, *, demo: bool = False, reference_year: int | None = None,
                        viewer: Principal | None = None) -> dict:
    """Status counts per theme, per party (corporations, gemeenten, …) and per gemeente, plus a
    comparison of what each corporation committed in each town (commitments and planned output)."""
    reference_year = reference_year or date.today().year
    index = area_index(session)
    rows = []
    agreements = list_agreements(session, demo=demo, viewer=viewer)
    cache = prefetch_series(session, [c for a in agreements for c in a.commitments])
    for agreement in agreements:
        for view in commitment_views(session, agreement, reference_year, cache):
            rows.append((agreement, view))

    def empty() -> dict[str, int]:
        return dict.fromkeys(PROGRESS_LABELS, 0)

    per_theme: dict[str, dict] = defaultdict(empty)
    per_party: dict[str, dict] = defaultdict(empty)
    per_gemeente: dict[str, dict] = defaultdict(empty)
    for code in index.sets["nta"].members if "nta" in index.sets else ():
        per_gemeente.setdefault(index.areas[code].name, empty())  # all seven towns, also without agreements
    comparison: dict[str, dict[str, dict]] = defaultdict(dict)
    party_kind: dict[str, str] = {}
    for agreement, view in rows:
        c, status = view.commitment, view.progress.status
        gemeente = index.get(agreement.gemeente_code)
        gname = gemeente.name if gemeente else agreement.gemeente_code
        per_theme[THEMES.get(c.theme, c.theme)][status] += 1
        per_gemeente[gname][status] += 1
        for cp in c.parties:
            per_party[cp.party.name][status] += 1
            party_kind[cp.party.name] = cp.party.kind
            if cp.party.kind == "woningcorporatie":
                cell = comparison[cp.party.name].setdefault(gname, {"commitments": 0, "output": Counter(),
                                                                    "themes": Counter()})
                cell["commitments"] += 1
                cell["themes"][THEMES.get(c.theme, c.theme)] += 1
                if c.target_kind == "output" and c.output_unit:
                    cell["output"][c.output_unit] += sum(t.planned for t in c.year_targets)
    total = empty()
    for _, view in rows:
        total[view.progress.status] += 1
    return {
        "reference_year": reference_year,
        "total": total,
        "commitments": len(rows),
        "agreements": len({a.id for a, _ in rows}),
        "per_theme": dict(sorted(per_theme.items())),
        "per_party": dict(sorted(per_party.items(), key=lambda kv: (party_kind[kv[0]] != "woningcorporatie",
                                                                     kv[0]))),
        "party_kind": party_kind,
        "per_gemeente": dict(sorted(per_gemeente.items())),
        "comparison": {k: dict(sorted(v.items())) for k, v in sorted(comparison.items())},
        "series_basis": series_summary([view.progress for _, view in rows]),
        "rows": rows,
    }


def parties_with_agreements(session: Session, *, demo: bool = False,
                            viewer: Principal | None = None) -> list[tuple[Party, int]]:
    """Parties that sign at least one agreement of this kind, with the number of agreements."""
    counts: Counter = Counter()
    for agreement in list_agreements(session, demo=demo, viewer=viewer):
        for ap in agreement.parties:
            counts[ap.party_id] += 1
    parties = {p.id: p for p in session.scalars(select(Party).where(Party.id.in_(list(counts))))}
    return sorted(((parties[i], n) for i, n in counts.items()), key=lambda t: (t[0].kind, t[0].name))
