"""EP-online (RVO): registered energy labels of dwellings, counted per buurt, wijk and gemeente.

EP-online publishes the whole register once a month as a ZIP with one CSV (``;``-separated, about
5 million rows, ~1 GB unpacked). The public API (``https://public.ep-online.nl/api/v5``) needs a
free key (request it at https://apikey.ep-online.nl), sent as the ``Authorization`` header; the key is
the setting ``GEBIEDSATLAS_EP_ONLINE_API_KEY`` and is never written to the cache or the logs.

1. ``GET /api/v5/Mutatiebestand/DownloadInfo?fileType=csv`` answers ``{"bestandsnaam":
   "v20260801_v4_csv.zip", "downloadUrl": "<signed, temporary>", ...}``;
2. the ZIP is downloaded once per ``bestandsnaam`` (the signed link is not stored).

The CSV starts with two lines ``PublicatieDatum;<date>`` and ``LaatstVerwerkteMutatievolgnummer;…``,
then the header. Columns used: ``BAGVerblijfsobjectID``, ``Postcode``, ``Huisnummer``,
``Huisletter``, ``Huisnummertoevoeging``, ``Energieklasse``, ``Registratiedatum``, ``GeldigTot``.

How a label reaches a buurt: labels are per address. A row is joined to a woning of the BAG cache
(``gebiedsatlas fetch bag``) by its ``BAGVerblijfsobjectID``; a row without that id by its address
(postcode, huisnummer, huisletter, toevoeging). The woning's buurt is the one the BAG connector put
its point in. Per woning the label with the latest ``Registratiedatum`` counts, and only while it is
valid on the publication date (``GeldigTot``). Counted: woningen with a valid label
(``energielabel_woningen``) and those with class E, F or G (``energielabel_efg``). EP-online has no
tenure (huur/koop), so no split by tenure is made.

Cache: ``<cache>/ep-online/downloadinfo-<date>.json`` and ``<cache>/ep-online/<bestandsnaam>``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from gebiedsatlas.errors import InputError
from gebiedsatlas.sources.fetch import bag
from gebiedsatlas.sources.fetch.cache import (
    Fetcher,
    FetchError,
    SourceUnavailable,
    read_json,
    read_meta,
    validate_json,
)
from gebiedsatlas.sources.records import ObservationRecord, SourceBatch
from gebiedsatlas.status import Status

SOURCE = "EP-online (RVO)"
SOURCE_ID = "ep-online-energielabels"
API = "https://public.ep-online.nl/api/v5"
DOWNLOAD_INFO = f"{API}/Mutatiebestand/DownloadInfo"
KEY_ENV = "GEBIEDSATLAS_EP_ONLINE_API_KEY"
LABELLED = "energielabel_woningen"
EFG = "energielabel_efg"
POOR = frozenset({"E", "F", "G"})
REQUIRED = ("Energieklasse",)


class MissingApiKey(FetchError):
    def __init__(self) -> None:
        super().__init__(
            f"Voor EP-online is een (gratis) API-sleutel nodig: vraag die aan op https://apikey.ep-online.nl en "
            f"zet hem in de omgevingsvariabele {KEY_ENV}. De atlas blijft de gegevens van de vorige import tonen.")


class KeyRefused(FetchError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            f"EP-online weigerde de API-sleutel ({reason}): controleer {KEY_ENV} of vraag een nieuwe sleutel aan "
            f"op https://apikey.ep-online.nl. De atlas blijft de gegevens van de vorige import tonen.")


def api_key() -> str | None:
    return (os.environ.get(KEY_ENV) or "").strip() or None


def _zip_ok(body: bytes) -> None:
    if body[:2] != b"PK":
        raise ValueError("geen ZIP-bestand")


def fetch_energielabels(fetcher: Fetcher, key: str | None = None) -> Path:
    """Download the current monthly register (once per file name); returns the cached ZIP."""
    key = key or api_key()
    if not key:
        raise MissingApiKey()
    today = datetime.now(UTC).date().isoformat()
    try:
        info_path = fetcher.get(SOURCE, DOWNLOAD_INFO, f"ep-online/downloadinfo-{today}.json",
                                params={"fileType": "csv"}, headers={"Authorization": key},
                                validate=validate_json(("bestandsnaam", "downloadUrl")),
                                label="EP-online: welk bestand")
    except SourceUnavailable as exc:
        if exc.reason in ("HTTP 401", "HTTP 403"):
            raise KeyRefused(exc.reason) from None
        raise
    info = read_json(info_path)
    name = Path(str(info["bestandsnaam"])).name
    url = str(info["downloadUrl"])
    # The signed link is temporary: once the ZIP is stored it is not kept anywhere.
    path = fetcher.get(SOURCE, url, f"ep-online/{name}", validate=_zip_ok, label=f"EP-online {name}",
                       record_url=DOWNLOAD_INFO)
    info_path.write_text(json.dumps({"bestandsnaam": name}), encoding="utf-8")
    return path


def cached_files(cache_dir: Path) -> list[Path]:
    root = cache_dir / "ep-online"
    if not root.exists():
        return []
    return sorted(p for p in root.glob("*.zip") if Fetcher.meta_path(p).exists())


def _date(text: str) -> date | None:
    text = (text or "").strip()
    for fmt in ("%Y%m%d", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    return None


@dataclass
class LabelRow:
    vbo_id: str
    address: tuple[str, int | None, str, str]
    klasse: str
    registered: date | None
    valid_until: date | None


def _number(text: str) -> int | None:
    digits = "".join(ch for ch in (text or "").strip().split(" ")[0] if ch.isdigit())
    return int(digits) if digits else None


def read_rows(path: Path, ids: set[str] | None = None, addresses: set[tuple] | None = None):
    """(publication date, rows, tally of skipped rows) of the register ZIP; InputError naming file, line
    and column.

    With ``ids``/``addresses`` only rows of those woningen are parsed (the national file has ~5 million
    rows; a few New Towns need a tenth of them), which keeps the join fast.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(str(path), f"geen geldig ZIP-bestand: {exc}") from None
    names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
    if not names:
        raise InputError(str(path), "het ZIP-bestand bevat geen CSV", expected="één .csv van EP-online")
    label = f"{path.name}/{names[0]}"
    handle = io.TextIOWrapper(archive.open(names[0]), encoding="utf-8-sig", newline="")
    reader = csv.reader(handle, delimiter=";")
    published = None
    header: list[str] | None = None
    line = 0
    for row in reader:
        line += 1
        cells = [c.strip() for c in row]
        if cells and cells[0] == "PublicatieDatum" and len(cells) > 1:
            published = _date(cells[1])
        if "Energieklasse" in cells and ("BAGVerblijfsobjectID" in cells or "Postcode" in cells):
            header = cells
            break
        if line > 10:
            break
    if header is None:
        raise InputError(label, "kopregel met Energieklasse en BAGVerblijfsobjectID/Postcode niet gevonden",
                         row=line, expected="het CSV-formaat van het EP-online mutatiebestand")
    col = {name: i for i, name in enumerate(header)}

    def get(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    filtered = ids is not None or addresses is not None
    tally = {"skipped": 0}
    i_vbo = col.get("BAGVerblijfsobjectID")

    def address(row: list[str]) -> tuple:
        return ("".join(get(row, "Postcode").split()).upper(), _number(get(row, "Huisnummer")),
                get(row, "Huisletter").upper(), get(row, "Huisnummertoevoeging").upper())

    def rows():
        number = line
        for row in reader:
            number += 1
            if not row:
                continue
            if filtered:
                vbo_id = row[i_vbo].strip() if i_vbo is not None and i_vbo < len(row) else ""
                if (vbo_id and vbo_id not in (ids or ())) or (not vbo_id and address(row) not in (addresses or ())):
                    tally["skipped"] += 1
                    continue
            klasse = get(row, "Energieklasse").upper()
            if not klasse:
                continue
            if klasse.rstrip("+") not in {"A", "B", "C", "D", "E", "F", "G"}:
                raise InputError(label, "onbekende energieklasse", row=number, column="Energieklasse",
                                 expected="A++++ … G", found=klasse)
            yield LabelRow(get(row, "BAGVerblijfsobjectID"), address(row),
                           klasse, _date(get(row, "Registratiedatum")), _date(get(row, "GeldigTot")))

    return published, rows(), tally


@dataclass
class LabelCounts:
    counts: dict[str, Counter]
    matched: int
    unmatched: int
    expired: int
    published: date | None


def count_labels(path: Path, dwellings: list[bag.Dwelling], buurt_of: dict[str, str],
                 gemeenten: list[str], buurt_codes: list[str] | None = None) -> LabelCounts:
    """Woningen with a valid label and with E/F/G per buurt of ``gemeenten`` (every buurt, zeros too)."""
    by_id = {d.vbo_id: d for d in dwellings}
    by_address = {d.address: d for d in dwellings if d.address[0] and d.address[1] is not None}
    published, rows, tally = read_rows(path, set(by_id), set(by_address))
    reference = published or datetime.now(UTC).date()
    latest: dict[str, LabelRow] = {}
    for row in rows:
        dwelling = by_id.get(row.vbo_id) if row.vbo_id else by_address.get(row.address)
        previous = latest.get(dwelling.vbo_id)
        if previous is None or (row.registered or date.min) >= (previous.registered or date.min):
            latest[dwelling.vbo_id] = row
    wanted = {g[2:6] for g in gemeenten}
    counts: dict[str, Counter] = defaultdict(Counter)
    for code in {c for c in [*(buurt_codes or []), *buurt_of.values()] if c and c[2:6] in wanted}:
        counts[code] = Counter({LABELLED: 0, EFG: 0})
    expired = 0
    for vbo_id, row in latest.items():
        code = buurt_of.get(vbo_id)
        if not code or code[2:6] not in wanted:
            continue
        if row.valid_until is not None and row.valid_until < reference:
            expired += 1
            continue
        counts[code][LABELLED] += 1
        counts[code][EFG] += row.klasse in POOR
    for code in [c for c in counts if c.startswith("BU")]:
        for parent in (f"WK{code[2:8]}", f"GM{code[2:6]}"):
            counts[parent].update({LABELLED: counts[code][LABELLED], EFG: counts[code][EFG]})
    # Rows of other addresses: another gemeente, a non-woning, or an address the BAG fetch did not see.
    return LabelCounts(dict(counts), len(latest), tally["skipped"], expired, published)


def read_energielabels_cache(cache_dir: Path, buurten: dict[str, object],
                             boundary_year: int) -> tuple[SourceBatch, LabelCounts] | None:
    """The newest cached register joined to the cached BAG woningen; None when either is missing."""
    files = cached_files(cache_dir)
    gemeenten = bag.cached_gemeenten(cache_dir)
    if not files or not gemeenten:
        return None
    path = files[-1]
    dwellings = bag.read_dwellings(cache_dir, gemeenten)
    codes = bag.assign_buurten([(d.x, d.y) for d in dwellings], buurten)
    buurt_of = {d.vbo_id: c for d, c in zip(dwellings, codes, strict=True) if c}
    result = count_labels(path, dwellings, buurt_of, gemeenten, list(buurten))
    day = (result.published.isoformat() if result.published else read_meta(path)["retrieved_at"][:10])
    method = (f"EP-online {path.name} (publicatie {day}): woningen uit de BAG met een geldig geregistreerd "
              f"energielabel, gekoppeld op BAG-verblijfsobject-id (anders op adres); per woning het laatst "
              f"geregistreerde label")
    batch = SourceBatch(SOURCE_ID)
    period = int(day[:4])
    for code in sorted(result.counts):
        status = Status.OBSERVED.value if code.startswith("BU") else Status.DERIVED.value
        note = method if code.startswith("BU") else f"som van de buurten ({method})"
        for indicator_id in (LABELLED, EFG):
            batch.observations.append(ObservationRecord(code, indicator_id, period,
                                                        float(result.counts[code][indicator_id]), status,
                                                        SOURCE_ID, boundary_year, note))
    batch.files.append(str(path))
    return batch, result
