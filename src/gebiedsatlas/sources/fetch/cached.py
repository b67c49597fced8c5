"""``gebiedsatlas import --cache``: read every source that ``gebiedsatlas fetch`` put in the cache.

``cached_sources(cache_dir)`` returns the hook for ``import_bundled(..., extra_sources=...)``: it reads
the complete parts of the cache (CBS editions, police crime figures, PDOK boundaries, Leefbaarometer) into
SourceBatches, and the BAG, EP-online and climate caches counted per buurt of the bundled (or fetched)
buurt boundaries in RD New.
A broken or unexpected file raises InputError naming the file, so the import stops before anything
is written and the store keeps its previous data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gebiedsatlas.areas.codes import Level
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.sources.fetch import bag, cbs_odata, energielabels, klimaat, leefbaarometer, pdok, politie
from gebiedsatlas.sources.records import SourceBatch


@dataclass
class CacheReport:
    """What the hook found, for the command line to print."""

    read: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def cached_sources(cache_dir: Path, report: CacheReport | None = None):
    """An ``extra_sources`` hook reading ``cache_dir``."""
    report = report if report is not None else CacheReport()

    def read(bundled: list[SourceBatch]) -> list[SourceBatch]:
        catalogue = load_catalogue()
        province_of = {a.code: a.parent_code for b in bundled for a in b.areas
                       if a.level is Level.GEMEENTE and a.parent_code}
        batches = []
        for year in cbs_odata.cached_years(cache_dir):
            batch, mapping = cbs_odata.read_kwb_cache(cache_dir, year, catalogue, province_of)
            batch.source = cbs_odata.source_info(cache_dir, year, catalogue)
            batches.append(batch)
            report.read.append(f"CBS {cbs_odata.kwb_table(year).table_id} ({year}): "
                               f"{len(batch.areas)} gebieden, {len(batch.observations)} waarden")
            if mapping.unmapped or mapping.ambiguous:
                report.notes.append(
                    f"CBS {year}: {len(mapping.columns)} kolommen gekoppeld, {len(mapping.unmapped)} zonder "
                    f"indicator, {len(mapping.ambiguous)} niet eenduidig (zie `gebiedsatlas fetch cbs "
                    f"--catalogue`)")
        years = politie.cached_years(cache_dir)
        if years:
            batch = politie.read_crime_cache(cache_dir, catalogue, province_of)
            batches.append(batch)
            report.read.append(f"Politie {politie.TABLE_ID} ({', '.join(map(str, years))}): "
                               f"{len(batch.areas)} gebieden, {len(batch.observations)} waarden")
            provisional = politie.provisional_years(cache_dir)
            if provisional:
                report.notes.append(f"Politie: de cijfers over {', '.join(map(str, provisional))} zijn voorlopig")
        for year in pdok.cached_years(cache_dir):
            batch = pdok.read_boundaries_cache(cache_dir, year)
            batch.source = pdok.source_info(cache_dir, year)
            batches.append(batch)
            report.read.append(f"PDOK wijk- en buurtkaart {year}: {len(batch.geometries)} grenzen")
        if leefbaarometer.cached_levels(cache_dir):
            batch = leefbaarometer.read_leefbaarometer_cache(cache_dir, catalogue)
            batches.append(batch)
            report.read.append(f"Leefbaarometer: {len(batch.observations)} waarden")
        batches += _per_buurt(cache_dir, [*bundled, *batches], report)
        return batches

    return read


def _per_buurt(cache_dir: Path, known: list[SourceBatch], report: CacheReport) -> list[SourceBatch]:
    """BAG building periods, energy labels and climate rasters, per buurt of the RD New boundaries."""
    if not (bag.cached_gemeenten(cache_dir) or energielabels.cached_files(cache_dir)
            or klimaat.cached_layers(cache_dir)):
        return []
    buurten, boundary_year = bag.rd_buurten_of([g for b in known for g in b.geometries])
    if not buurten:
        report.notes.append("BAG, energielabels en klimaat: geen buurtgrenzen in RD New; niets geteld")
        return []
    out = []
    if bag.cached_gemeenten(cache_dir):
        batch, counts = bag.read_bag_cache(cache_dir, buurten, boundary_year)
        out.append(batch)
        report.read.append(f"BAG ({', '.join(bag.cached_gemeenten(cache_dir))}): {counts.dwellings:,} woningen, "
                           f"{len(batch.observations)} waarden".replace(",", "."))
        if counts.unassigned:
            report.notes.append(f"BAG: {counts.unassigned:,} woningen in de zoekgebieden liggen buiten de buurten van "
                                f"de gekozen gemeenten en zijn niet meegeteld".replace(",", "."))
    labels = energielabels.read_energielabels_cache(cache_dir, buurten, boundary_year)
    if labels is not None:
        batch, result = labels
        out.append(batch)
        report.read.append(f"EP-online: {result.matched:,} woningen met een label gekoppeld, "
                           f"{len(batch.observations)} waarden".replace(",", "."))
        if result.expired:
            report.notes.append(f"EP-online: {result.expired:,} labels waren verlopen en tellen niet mee"
                                .replace(",", "."))
    elif energielabels.cached_files(cache_dir):
        report.notes.append("EP-online: er is nog geen BAG in de cache om labels aan buurten te koppelen "
                            "(`gebiedsatlas fetch bag`)")
    if klimaat.cached_layers(cache_dir):
        batch = klimaat.read_klimaat_cache(cache_dir, buurten, boundary_year)
        out.append(batch)
        report.read.append(f"Klimaat ({', '.join(klimaat.cached_layers(cache_dir))}): "
                           f"{len(batch.observations)} waarden")
    return out
