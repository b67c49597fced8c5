"""``gebiedsatlas import --cache``: read every source that ``gebiedsatlas fetch`` put in the cache.

``cached_sources(cache_dir)`` returns the hook for ``import_bundled(..., extra_sources=...)``: it reads
the complete parts of the cache (CBS editions, police crime figures, PDOK boundaries, Leefbaarometer) into
SourceBatches.
A broken or unexpected file raises InputError naming the file, so the import stops before anything
is written and the store keeps its previous data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gebiedsatlas.areas.codes import Level
from gebiedsatlas.indicators.catalogue import load_catalogue
from gebiedsatlas.sources.fetch import cbs_odata, leefbaarometer, pdok, politie
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
        return batches

    return read
