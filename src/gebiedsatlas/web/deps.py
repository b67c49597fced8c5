"""Request-scoped dependencies: settings and a database session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from gebiedsatlas.config import Settings
from gebiedsatlas.store import db


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with db.session_scope(request.app.state.settings.database_url) as session:
        yield session


T = TypeVar("T")


def get_or_404(session: Session, model: type[T], key: object, detail: str) -> T:
    """The row of ``model`` with primary key ``key``, or a 404 saying ``detail``. An integer key the
    database cannot hold (above 2^63, or below 1) is simply not found."""
    if isinstance(key, int) and not 1 <= key <= 2**63 - 1:
        raise HTTPException(404, detail)
    row = session.get(model, key)
    if row is None:
        raise HTTPException(404, detail)
    return row
