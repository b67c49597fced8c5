"""Request-scoped dependencies: settings and a database session."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from gebiedsatlas.config import Settings
from gebiedsatlas.store import db


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with db.session_scope(request.app.state.settings.database_url) as session:
        yield session
