"""``gebiedsatlas import``: read every bundled source and replace its content in the store.

The whole import is one transaction: a bad file raises an InputError before anything is written,
and a failure while writing rolls back, so the previous data keeps being served. Running it twice
gives the same store (areas are upserted, each source's observations replaced).
"""

from __future__ import annotations

import contextlib
import gc
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
from sqlalchemy import Index, delete, insert, select, update
from sqlalchemy.schema import CreateIndex

from gebiedsatlas.areas.codes import NETHERLANDS_CODE, Level, level_of
from gebiedsatlas.areas.crosswalk import build_import_crosswalks
from gebiedsatlas.areas.sets import AreaSetDef, new_town_alliantie
from gebiedsatlas.errors import InputError
from gebiedsatlas.indicators.catalogue import Catalogue, load_catalogue
from gebiedsatlas.indicators.derive import (
    OBSERVATION_COLUMNS,
    compact,
    compute_shares,
    concat_observations,
    derive_parents,
)
from gebiedsatlas.indicators.quality import (
    apply_minimum_base,
    check_plausibility,
    check_range,
    implausible_shares,
)
from gebiedsatlas.sources import stock_changes
from gebiedsatlas.sources.boundaries import read_boundaries
from gebiedsatlas.sources.kwb import (
    read_kwb2022,
    read_kwb2022_buurten,
    read_kwb2024,
    read_kwb_gemeenten,
)
from gebiedsatlas.sources.leefbaarometer import read_leefbaarometer
from gebiedsatlas.sources.records import AreaRecord, SourceBatch
from gebiedsatlas.sources.tables import read_rows, require_code
from gebiedsatlas.store import db
from gebiedsatlas.store.locks import import_lock
from gebiedsatlas.store.models import (
    Area,
    AreaGeometry,
    AreaSet,
    AreaSetMember,
    ImportRun,
    Indicator,
    Observation,
    Source,
)

Report = Callable[[str], None]
# Reads further sources (the fetch cache, a benchmark set) given the bundled batches it may build on.
ExtraSources = Callable[[list[SourceBatch]], list[SourceBatch]]
IMPORT_STEPS = 7  # calls to ``report`` during one import, for progress bars


def read_bundled(data_dir: Path, catalogue: Catalogue, report: Report) -> list[SourceBatch]:
    """Read and validate every bundled source; nothing touches the store here."""
    report("CBS Kerncijfers 2022 lezen")
    kwb2022 = read_kwb2022(data_dir, catalogue)
    names_2022 = {a.code: a.name for a in kwb2022.areas}
    province_of = {a.code: a.parent_code for a in kwb2022.areas if a.level is Level.GEMEENTE}
    supplement = data_dir / "cbs" / "gemeente_provincie_supplement.csv"
    for line, row in read_rows(supplement, ["code", "provincie"]):
        code = require_code(row["code"], file=supplement, row=line, column="code", prefix="GM",
                            length=6)
        province_of[code] = require_code(row["provincie"], file=supplement, row=line,
                                         column="provincie", prefix="PV", length=4)
    report("CBS Kerncijfers 2024 lezen")
    kwb2024 = read_kwb2024(data_dir, catalogue, names_2022, province_of)
    published = {(o[0], o[1], o[2]) for b in (kwb2022, kwb2024) for o in b.observations}
    # Gemeente figures of the other editions wait for their boundary years: without a crosswalk to them,
    # a trend on those boundaries would strand every other year (see indicators/harmonise.py).
    boundary_years = {o[6] for b in (kwb2022, kwb2024) for o in b.observations}
    gemeenten = read_kwb_gemeenten(data_dir, catalogue, province_of, published, boundary_years)
    buurten2022 = read_kwb2022_buurten(data_dir, catalogue)
    report("Leefbaarometer lezen")
    lbm = read_leefbaarometer(data_dir, catalogue)
    report("Grenzen lezen en vereenvoudigen")
    return [kwb2022, kwb2024, gemeenten, buurten2022, lbm, *read_boundaries(data_dir)]


def merge_areas(batches: list[SourceBatch]) -> dict[str, AreaRecord | dict]:
    """One row per code: the latest name and parent, and the span of years it occurs in."""
    merged: dict[str, dict] = {}
    for record in sorted((a for b in batches for a in b.areas), key=lambda a: a.year):
        row = merged.setdefault(record.code, {"code": record.code, "first_year": record.year})
        row.update(level=record.level.value, name=record.name, parent_code=record.parent_code,
                   last_year=record.year)
    years = [r["first_year"] for r in merged.values()] + [r["last_year"] for r in merged.values()]
    merged.setdefault(NETHERLANDS_CODE, {
        "code": NETHERLANDS_CODE, "level": Level.LAND.value, "name": "Nederland",
        "parent_code": None, "first_year": min(years), "last_year": max(years),
    })
    return merged


def add_extra(bundled: list[SourceBatch], extra: list[SourceBatch]) -> list[SourceBatch]:
    """Bundled plus extra batches; a fetched value supersedes the bundled value with the same key.

    The key is (area, indicator, period), so a fetch limited to a few gemeenten updates just those
    and leaves the rest of the bundled edition in place; likewise a fetched boundary supersedes the
    bundled one of the same area and boundary year.
    """
    # Columnar batches (``frame``, e.g. the benchmark) only add keys the bundled data lacks.
    fetched = {(o[0], o[1], o[2]) for b in extra for o in b.observations}
    fetched_shapes = {(g.area_code, g.boundary_year) for b in extra for g in b.geometries}
    for batch in bundled:
        if fetched:
            batch.observations = [o for o in batch.observations if (o[0], o[1], o[2]) not in fetched]
        if fetched_shapes:
            batch.geometries = [g for g in batch.geometries
                                if (g.area_code, g.boundary_year) not in fetched_shapes]
    return [*bundled, *extra]


def build_observations(batches: list[SourceBatch], areas: dict, catalogue: Catalogue) -> pd.DataFrame:
    obs = pd.DataFrame(
        [o for b in batches for o in b.observations], columns=OBSERVATION_COLUMNS
    )
    frames = [b.frame for b in batches if b.frame is not None]
    obs = concat_observations([obs, *(f[OBSERVATION_COLUMNS] for f in frames)])
    for batch in batches:  # columnar batches are consumed: one copy of a national source, not two
        batch.frame = None
    del frames
    unknown = set(obs["area_code"].unique()) - set(areas)
    if unknown:
        raise InputError("data/", "waarden voor onbekende gebieden", column="area_code",
                         expected="codes uit de gebiedsbestanden", found=sorted(unknown)[:5])
    # Published values failing a plausibility check are marked before anything is derived from them.
    obs = check_plausibility(obs, catalogue)
    obs = compute_shares(obs, catalogue)
    parent_of = {code: a["parent_code"] for code, a in areas.items() if a["parent_code"]}
    obs = derive_parents(obs, parent_of, catalogue, "BU")
    obs = derive_parents(obs, parent_of, catalogue, "WK")
    # Derived wijk/gemeente counts give new shares (e.g. the 2024 age mix of a gemeente).
    obs = compute_shares(obs, catalogue)
    obs = implausible_shares(obs, catalogue)
    obs = check_range(obs, catalogue)  # derived shares too
    obs = apply_minimum_base(obs, catalogue)
    return compact(obs)


def _write(session, catalogue: Catalogue, areas: dict, batches: list[SourceBatch],
           obs: pd.DataFrame, sets: list[AreaSetDef]) -> None:
    for info in catalogue.sources.values():
        session.merge(Source(id=info.id, publisher=info.publisher, title=info.title,
                             table_id=info.table_id, year=info.year, licence=info.licence,
                             attribution=info.attribution, url=info.url,
                             description=info.description))
    for batch in batches:
        if batch.source is not None and batch.source.id not in catalogue.sources:
            info = batch.source
            session.merge(Source(id=info.id, publisher=info.publisher, title=info.title,
                                 table_id=info.table_id, year=info.year, licence=info.licence,
                                 attribution=info.attribution, url=info.url,
                                 description=info.description))
    for ind in catalogue.indicators.values():
        session.merge(Indicator(id=ind.id, label=ind.label, description=ind.description,
                                theme=ind.theme, unit=ind.unit, direction=ind.direction.value,
                                decimals=ind.decimals, aggregation=ind.aggregation.as_dict()))
    session.flush()
    existing = set(session.scalars(select(Area.code)))
    # Areas are upserted, never deleted: agreements and area sets may refer to them.
    fresh = [a for c, a in areas.items() if c not in existing]
    if fresh:
        session.execute(insert(Area), fresh)
    known = [a for c, a in areas.items() if c in existing]
    if known:
        session.execute(update(Area), known)
    source_ids = sorted({b.source_id for b in batches})
    session.execute(delete(AreaGeometry).where(AreaGeometry.source_id.in_(source_ids)))
    _replace_observations(session, obs, source_ids)
    session.execute(insert(AreaGeometry), [
        {"area_code": g.area_code, "boundary_year": g.boundary_year, "geojson": g.geojson,
         "geojson_rd": g.geojson_rd, "min_lon": g.bounds[0], "min_lat": g.bounds[1],
         "max_lon": g.bounds[2], "max_lat": g.bounds[3], "source_id": g.source_id}
        for b in batches for g in b.geometries
    ])
    for area_set in sets:
        session.merge(AreaSet(id=area_set.id, name=area_set.name,
                              description=area_set.description, kind=area_set.kind))
        session.execute(delete(AreaSetMember).where(AreaSetMember.set_id == area_set.id))
        session.execute(insert(AreaSetMember),
                        [{"set_id": area_set.id, "area_code": c} for c in area_set.members])


# SQLite bulk path: one statement per run of rows sharing indicator, period, source and boundary year,
# its rows ([area, value, status] or [area, value, status, method id]) as one JSON array unpacked by
# json_each. Method notes (long, few distinct) go in as ids into a temporary table. Binding eight Python
# values per row through executemany cost about twice as much for a national load.
_METHOD_TABLE = "temp.import_method"
_OBSERVATION_INSERT_JSON = (
    "INSERT INTO observation (indicator_id, period, source_id, boundary_year, area_code, value, status) "
    "SELECT ?, ?, ?, ?, r.value ->> 0, r.value ->> 1, r.value ->> 2 FROM json_each(?) AS r"
)
_OBSERVATION_INSERT_JSON_METHOD = (
    "INSERT INTO observation (indicator_id, period, source_id, boundary_year, area_code, value, status, method) "
    "SELECT ?, ?, ?, ?, r.value ->> 0, r.value ->> 1, r.value ->> 2, m.note FROM json_each(?) AS r "
    f"LEFT JOIN {_METHOD_TABLE} AS m ON m.id = r.value ->> 3"
)
_CHUNK = 200_000
_RUN_COLUMNS = ("indicator_id", "period", "source_id", "boundary_year")


def _observation_arrays(obs: pd.DataFrame) -> dict[str, tuple[np.ndarray | None, np.ndarray]]:
    """Per column: (category names with None appended, codes) for categoricals, (None, values) otherwise.

    Code -1 (no value) picks the appended None.
    """
    arrays = {}
    for column in OBSERVATION_COLUMNS:
        series = obs[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            names = np.append(np.asarray(series.cat.categories, dtype=object), None)
            arrays[column] = (names, series.cat.codes.to_numpy())
        else:
            arrays[column] = (None, series.to_numpy())
    return arrays


def _key_order(arrays: dict[str, tuple[np.ndarray | None, np.ndarray]]) -> np.ndarray:
    """Row order of the primary key (indicator, period, area): every insert appends to the table's B-tree.

    One int64 sort key (indicator rank, period, area rank) instead of a lexsort of three int64 keys: a
    third of the memory at national scale.
    """
    rank = {c: np.argsort(np.argsort(arrays[c][0][:-1].astype(str))).astype(np.int64)
            for c in ("area_code", "indicator_id")}
    periods = arrays["period"][1]
    first, span = (int(periods.min()), int(periods.max()) - int(periods.min()) + 1) if len(periods) else (0, 1)
    key = rank["indicator_id"][arrays["indicator_id"][1]]
    key *= span
    key += periods - first
    key *= len(rank["area_code"])
    key += rank["area_code"][arrays["area_code"][1]]
    return np.argsort(key, kind="stable")


def _observation_chunks(obs: pd.DataFrame):
    """Rows as tuples in ``OBSERVATION_COLUMNS`` order, chunk by chunk, sorted by the primary key."""
    arrays = _observation_arrays(obs)
    order = _key_order(arrays)
    for start in range(0, len(order), _CHUNK):
        index = order[start:start + _CHUNK]
        columns = []
        for column in OBSERVATION_COLUMNS:
            names, values = arrays[column]
            if names is not None:
                columns.append(names[values[index]].tolist())
            elif column == "value":
                part = values[index]
                columns.append(np.where(np.isnan(part), None, part).tolist())
            else:
                columns.append(values[index].tolist())
        yield list(zip(*columns, strict=True))


def _observation_runs(obs: pd.DataFrame):
    """The method notes as (id, note), then per run of rows sharing indicator, period, source and boundary
    year, in key order: (indicator, period, source, boundary year, rows as JSON, whether rows have a method).

    A row is [area, value, status] or, in a run with method notes, [area, value, status, method id]
    (NaN becomes null; method id -1 matches no note, so NULL).
    """
    arrays = _observation_arrays(obs)
    order = _key_order(arrays)
    area_names, area_codes = arrays["area_code"]
    status_names, status_codes = arrays["status"]
    method_names, method_codes = arrays["method"]
    values = arrays["value"][1]
    yield list(enumerate(method_names[:-1].tolist()))
    for start in range(0, len(order), _CHUNK):
        index = order[start:start + _CHUNK]
        run_codes = [arrays[c][1][index] for c in _RUN_COLUMNS]
        changes = np.flatnonzero(np.any([codes[1:] != codes[:-1] for codes in run_codes], axis=0)) + 1
        bounds = [0, *changes.tolist(), len(index)]
        for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
            rows = index[begin:end]
            constants = tuple(
                names[codes[rows[0]]] if names is not None else int(codes[rows[0]])
                for names, codes in (arrays[c] for c in _RUN_COLUMNS))
            columns = [area_names[area_codes[rows]].tolist(), values[rows].tolist(),  # NaN becomes JSON null
                       status_names[status_codes[rows]].tolist()]
            methods = method_codes[rows]
            with_method = bool((methods >= 0).any())
            if with_method:
                columns.append(methods.tolist())
            yield (*constants, orjson.dumps(list(zip(*columns, strict=True))), with_method)


def _area_index() -> Index:
    """The secondary index by area (see migration 0004), rebuilt after a SQLite load."""
    return next(i for i in Observation.__table__.indexes if i.name == "ix_observation_area")


@contextlib.contextmanager
def _cyclic_gc_paused():
    """No cyclic garbage collection while millions of short-lived row tuples are made.

    They hold only strings and numbers (no cycles; reference counting frees them), but each allocation
    burst triggers collections that walk every live object: measured, three quarters of the time spent
    preparing a national load.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _replace_observations(session, obs: pd.DataFrame, source_ids: list[str]) -> None:
    """Replace the observations of ``source_ids`` by ``obs``, in the import transaction.

    SQLite: the table emptied at once (other sources' rows kept aside), then a bulk insert in primary key
    order with the area index rebuilt after the load.
    PostgreSQL: a table swap (``_swap_observations_postgres``). Anything else: plain inserts.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        _swap_observations_postgres(connection, obs, source_ids)
        return
    if connection.dialect.name == "sqlite":
        _load_observations_sqlite(connection, obs, source_ids)
        return
    session.execute(delete(Observation).where(Observation.source_id.in_(source_ids)))
    table = Observation.__table__
    for rows in _observation_chunks(obs):
        connection.execute(table.insert(), [dict(zip(OBSERVATION_COLUMNS, r, strict=True)) for r in rows])


def _clear_sources_sqlite(cursor, source_ids: list[str]) -> None:
    """Remove the observations of ``source_ids``, keeping every other source's rows.

    A ``DELETE … WHERE source_id IN (…)`` on a national table takes minutes (measured: 212 s for 18.7
    million rows: every row leaves the B-tree one by one); a ``DELETE`` without ``WHERE`` frees the
    table's pages at once (3.6 s). So the rows to keep go to a temporary table and come back after.
    """
    marks = ", ".join("?" * len(source_ids))
    columns = ", ".join(OBSERVATION_COLUMNS)
    cursor.execute(f"CREATE TEMP TABLE import_kept AS SELECT {columns} FROM observation "
                   f"WHERE source_id NOT IN ({marks})", source_ids)
    cursor.execute("DELETE FROM observation")
    cursor.execute(f"INSERT INTO observation ({columns}) SELECT {columns} FROM temp.import_kept "
                   "ORDER BY indicator_id, period, area_code")
    cursor.execute("DROP TABLE temp.import_kept")


def _load_observations_sqlite(connection, obs: pd.DataFrame, source_ids: list[str]) -> None:
    cursor = connection.connection.dbapi_connection.cursor()
    cursor.execute("PRAGMA cache_size = -65536")  # 64 MB page cache for the load
    index = _area_index()
    cursor.execute(f"DROP INDEX IF EXISTS {index.name}")
    _clear_sources_sqlite(cursor, source_ids)
    runs = _observation_runs(obs)
    cursor.execute(f"CREATE TABLE {_METHOD_TABLE} (id INTEGER PRIMARY KEY, note TEXT NOT NULL)")
    cursor.executemany(f"INSERT INTO {_METHOD_TABLE} (id, note) VALUES (?, ?)", next(runs))
    with _cyclic_gc_paused():
        for *run, with_method in runs:
            cursor.execute(_OBSERVATION_INSERT_JSON_METHOD if with_method else _OBSERVATION_INSERT_JSON, run)
    cursor.execute(f"DROP TABLE {_METHOD_TABLE}")
    cursor.execute("PRAGMA threads = 2")  # the index sort may use a helper thread (measured: -1/3 wall)
    cursor.execute(str(CreateIndex(index).compile(dialect=connection.dialect)))
    cursor.execute("PRAGMA threads = 0")
    # Statistics for the planner (sampled, milliseconds): without them it may read a profile's areas
    # through the primary key (every area of an indicator) instead of the area index.
    cursor.execute("PRAGMA analysis_limit = 1000")
    cursor.execute("ANALYZE observation")
    cursor.close()


def _swap_observations_postgres(connection, obs: pd.DataFrame, source_ids: list[str]) -> None:
    """Build the new observation table beside the old one and swap them at the end of the import.

    A fresh table without indexes or constraints takes the other sources' rows and a COPY of the new ones;
    its primary key and area index are then built by sorting, which is several times faster than keeping
    two large indexes up to date row by row (the area index in random order). Readers keep using the old
    table until the swap: only its last statements (DROP and RENAME) take an exclusive lock, held for the
    few seconds until the import commits. The foreign keys are added ``NOT VALID``: ``_check_references``
    has checked every reference of the load, and PostgreSQL enforces them on every later change.
    """
    columns = ", ".join(OBSERVATION_COLUMNS)
    run = connection.exec_driver_sql
    run("CREATE TABLE observation_load (LIKE observation INCLUDING DEFAULTS)")
    run(f"INSERT INTO observation_load ({columns}) SELECT {columns} FROM observation "
        "WHERE NOT (source_id = ANY(%(sources)s))", {"sources": list(source_ids)})
    with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(
        f"COPY observation_load ({columns}) FROM STDIN"
    ) as copy, _cyclic_gc_paused():
        for rows in _observation_chunks(obs):
            for row in rows:
                copy.write_row(row)
    run("SET LOCAL maintenance_work_mem = '256MB'")  # index builds sort in memory
    # Key, index and foreign keys as the model (and migration 0004) define them, built under temporary
    # names and renamed after the old table is gone.
    table, index = Observation.__table__, _area_index()
    key_columns = ", ".join(c.name for c in table.primary_key.columns)
    run(f"ALTER TABLE observation_load ADD CONSTRAINT pk_observation_load PRIMARY KEY ({key_columns})")
    run(f"CREATE INDEX {index.name}_load ON observation_load ({', '.join(c.name for c in index.columns)})")
    foreign_keys = sorted(table.foreign_keys, key=lambda fk: fk.name)
    for fk in foreign_keys:
        run(f"ALTER TABLE observation_load ADD CONSTRAINT {fk.name}_load FOREIGN KEY ({fk.parent.name}) "
            f"REFERENCES {fk.column.table.name} ({fk.column.name}) NOT VALID")
    run("DROP TABLE observation")
    run("ALTER TABLE observation_load RENAME TO observation")
    run("ALTER INDEX pk_observation_load RENAME TO pk_observation")
    run(f"ALTER INDEX {index.name}_load RENAME TO {index.name}")
    for fk in foreign_keys:
        run(f"ALTER TABLE observation RENAME CONSTRAINT {fk.name}_load TO {fk.name}")
    run("ANALYZE observation")  # a sample of 30,000 rows: fresh planner statistics


def _check_references(catalogue: Catalogue, areas: dict, batches: list[SourceBatch], obs: pd.DataFrame,
                      sets: list[AreaSetDef]) -> None:
    """Every reference the store's foreign keys would check, checked once on the whole load."""
    sources = set(catalogue.sources) | {b.source.id for b in batches if b.source is not None}
    for column, known, what in (("indicator_id", set(catalogue.indicators), "indicator-id's uit de catalogus"),
                                ("source_id", sources, "bronnen uit de catalogus")):
        unknown = set(obs[column].unique()) - known
        if unknown:
            raise InputError("data/", f"waarden met een onbekende {column}", column=column, expected=what,
                             found=sorted(map(str, unknown))[:5])
    members = {c for s in sets for c in s.members} - set(areas)
    if members:
        raise InputError("data/parties", "gebiedsset met onbekende gebieden", expected="bekende codes",
                         found=sorted(members)[:5])


def _without_foreign_key_checks(session):
    """On SQLite, switch off per-row foreign key lookups for this import (a third of the load time).

    ``_check_references`` has checked every reference on the whole load beforehand. The pragma only
    works outside a transaction, so it is the session's first statement; the caller switches it
    back on. Returns the DBAPI connection to restore, or None.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    dbapi = connection.connection.dbapi_connection
    dbapi.execute("PRAGMA foreign_keys = OFF")
    return dbapi


def import_bundled(database_url: str, data_dir: Path, report: Report | None = None,
                   extra_sources: ExtraSources | None = None) -> dict:
    """Import everything in ``data_dir`` into the store at ``database_url``; returns a summary.

    ``extra_sources`` reads further sources (``gebiedsatlas import --cache``: the fetched CBS, PDOK
    and Leefbaarometer files); they are validated with the bundled ones and written in the same
    transaction. One import at a time: a second one is refused at once with ``StoreBusy``
    ("er loopt al een import", ``store/locks.py``).
    """
    with import_lock(database_url):
        return _import_locked(database_url, data_dir, report, extra_sources)


def _import_locked(database_url: str, data_dir: Path, report: Report | None,
                   extra_sources: ExtraSources | None) -> dict:
    report = report or (lambda _msg: None)
    started = time.perf_counter()
    started_at = datetime.now(UTC).replace(tzinfo=None)
    catalogue = load_catalogue()
    db.upgrade(database_url)

    batches = read_bundled(data_dir, catalogue, report)
    if extra_sources is not None:
        report("Opgehaalde bronnen lezen")
        batches = add_extra(batches, extra_sources(batches))
    areas = merge_areas(batches)
    for batch in batches:
        for g in batch.geometries:
            if g.area_code not in areas:
                raise InputError(batch.files[0], "grens voor een onbekend gebied",
                                 column="code", found=g.area_code)
    sets = [new_town_alliantie(data_dir)]
    report("Afgeleide waarden berekenen")
    obs = build_observations(batches, areas, catalogue)

    report("Opslaan")
    _check_references(catalogue, areas, batches, obs, sets)
    sqlite_connection = None
    try:
        with db.session_scope(database_url) as session:
            sqlite_connection = _without_foreign_key_checks(session)
            _write(session, catalogue, areas, batches, obs, sets)
            summary = _summary(batches, areas, obs, catalogue)
            summary["woningvoorraad_mutaties"] = stock_changes.import_bundled(session, data_dir)
            summary["crosswalks"] = build_import_crosswalks(session)
            summary["seconds"] = round(time.perf_counter() - started, 2)
            session.add(ImportRun(started_at=started_at,
                                  finished_at=datetime.now(UTC).replace(tzinfo=None),
                                  status="ok", summary=summary))
    finally:
        if sqlite_connection is not None:  # back to the engine's default for every later use
            with contextlib.suppress(sqlite3.Error):
                sqlite_connection.execute("PRAGMA foreign_keys = ON")
    report("Klaar")
    return summary


def _summary(batches, areas, obs: pd.DataFrame, catalogue: Catalogue) -> dict:
    by_level = Counter(level_of(code).value for code in areas)
    per_source: dict[str, dict] = {}
    # Counted per (source, status) and (source, period): no copy of a national-size frame per source.
    for (source_id, status), n in obs.groupby(["source_id", "status"], observed=True).size().items():
        entry = per_source.setdefault(str(source_id), {"observations": 0, "status": {}, "periods": []})
        entry["observations"] += int(n)
        entry["status"][str(status)] = int(n)
    for (source_id, period), _n in obs.groupby(["source_id", "period"], observed=True).size().items():
        per_source[str(source_id)]["periods"].append(int(period))
    for entry in per_source.values():
        entry["status"] = dict(sorted(entry["status"].items(), key=lambda kv: -kv[1]))
        entry["periods"] = sorted(entry["periods"])
    for batch in batches:
        if batch.geometries:
            per_source.setdefault(batch.source_id, {})["geometries"] = len(batch.geometries)
    return {
        "areas": dict(sorted(by_level.items())),
        "indicators": len(catalogue.indicators),
        "observations": int(len(obs)),
        "sources": per_source,
    }
