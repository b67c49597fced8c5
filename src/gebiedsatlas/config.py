"""Runtime settings, read from environment variables with sensible single-machine defaults."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from gebiedsatlas.accounts.oidc import OidcSettings

PACKAGE_DIR = Path(__file__).resolve().parent
# The repository's data/ folder: src/gebiedsatlas -> src -> repository root.
REPO_DIR = PACKAGE_DIR.parent.parent

TRUE = ("1", "true", "ja", "yes", "on")


def _flag(name: str, default: bool | None) -> bool | None:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in TRUE


@cache
def _process_secret() -> str:
    return secrets.token_urlsafe(48)


@dataclass(frozen=True)
class Settings:
    """Where the store lives, where bundled data is read from, and how the server is secured.

    ``GEBIEDSATLAS_DATABASE_URL``: SQLAlchemy URL; defaults to an SQLite file in ``var/``.
    ``GEBIEDSATLAS_DATA_DIR``: the bundled data folder; defaults to the repository's ``data/``.
    ``GEBIEDSATLAS_TILE_URL``: optional basemap tile URL template for the web maps (off when empty).
    ``GEBIEDSATLAS_SECRET_KEY``: signs session cookies; every worker needs the same one. Without it a
    random key is kept in ``var/secret_key`` (fine on one machine).
    ``GEBIEDSATLAS_TLS``: the site is served over HTTPS (Secure cookies, HSTS).
    ``GEBIEDSATLAS_ATLAS_PUBLIEK``: anyone may read the atlas statistics (default); ``0``: only after login.
    ``GEBIEDSATLAS_DEMO_LOGIN``: offer one-click login as the fictional demo accounts (default: on
    with SQLite, off with PostgreSQL). Demo accounts only ever reach the fictional organisations.
    ``GEBIEDSATLAS_OIDC_*``: OpenID Connect login (``accounts/oidc.py``).
    """

    database_url: str
    data_dir: Path
    tile_url: str = ""
    secret_key: str = ""
    tls: bool = False
    atlas_public: bool = True
    demo_login: bool | None = None
    oidc: OidcSettings | None = field(default=None)
    max_upload_mb: int = 20

    @classmethod
    def from_env(cls) -> Settings:
        default_db = REPO_DIR / "var" / "gebiedsatlas.sqlite"
        return cls(
            database_url=os.environ.get("GEBIEDSATLAS_DATABASE_URL", f"sqlite:///{default_db}"),
            data_dir=Path(os.environ.get("GEBIEDSATLAS_DATA_DIR", REPO_DIR / "data")),
            tile_url=os.environ.get("GEBIEDSATLAS_TILE_URL", ""),
            secret_key=os.environ.get("GEBIEDSATLAS_SECRET_KEY", ""),
            tls=bool(_flag("GEBIEDSATLAS_TLS", False)),
            atlas_public=bool(_flag("GEBIEDSATLAS_ATLAS_PUBLIEK", True)),
            demo_login=_flag("GEBIEDSATLAS_DEMO_LOGIN", None),
            oidc=OidcSettings.from_env(),
            max_upload_mb=int(os.environ.get("GEBIEDSATLAS_MAX_UPLOAD_MB", "20")),
        )

    @property
    def demo_login_enabled(self) -> bool:
        if self.demo_login is not None:
            return self.demo_login
        return self.database_url.startswith("sqlite")

    def session_secret(self) -> str:
        """The configured key, or one kept in ``var/secret_key`` (created once, shared by workers)."""
        if self.secret_key:
            return self.secret_key
        path = REPO_DIR / "var" / "secret_key"
        try:
            return self._kept_secret(path)
        except OSError as exc:  # var/ read-only (a read-only store, ProtectSystem=strict): serve all the same
            logging.getLogger("gebiedsatlas.config").warning(
                "Geen sessiesleutel in %s (%s): deze sleutel geldt alleen voor dit werkproces; zet "
                "GEBIEDSATLAS_SECRET_KEY.", path, exc.strerror)
            return _process_secret()

    @staticmethod
    def _kept_secret(path: Path) -> str:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written whole under a temporary name, then linked: a worker never reads half a key.
            temporary = path.with_name(f".secret_key.{os.getpid()}")
            temporary.write_text(secrets.token_urlsafe(48))
            temporary.chmod(0o600)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            finally:
                temporary.unlink()
        return path.read_text().strip()
