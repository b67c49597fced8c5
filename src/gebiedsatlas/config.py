"""Runtime settings, read from environment variables with sensible single-machine defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The repository's data/ folder: src/gebiedsatlas -> src -> repository root.
REPO_DIR = PACKAGE_DIR.parent.parent


@dataclass(frozen=True)
class Settings:
    """Where the store lives and where bundled data is read from.

    ``GEBIEDSATLAS_DATABASE_URL``: SQLAlchemy URL; defaults to an SQLite file in ``var/``.
    ``GEBIEDSATLAS_DATA_DIR``: the bundled data folder; defaults to the repository's ``data/``.
    ``GEBIEDSATLAS_TILE_URL``: optional basemap tile URL template for the web maps (off when empty).
    ``GEBIEDSATLAS_TLS``: ``true``/``1``/``ja`` when the site is served over HTTPS (a TLS proxy in
    front of it); only then is ``Strict-Transport-Security`` sent.
    """

    database_url: str
    data_dir: Path
    tile_url: str = ""
    tls: bool = False

    @classmethod
    def from_env(cls) -> Settings:
        default_db = REPO_DIR / "var" / "gebiedsatlas.sqlite"
        return cls(
            database_url=os.environ.get("GEBIEDSATLAS_DATABASE_URL", f"sqlite:///{default_db}"),
            data_dir=Path(os.environ.get("GEBIEDSATLAS_DATA_DIR", REPO_DIR / "data")),
            tile_url=os.environ.get("GEBIEDSATLAS_TILE_URL", ""),
            tls=os.environ.get("GEBIEDSATLAS_TLS", "").strip().lower() in ("true", "1", "ja"),
        )
