"""HTML pages of the atlas (server-rendered with Jinja2, progressively enhanced with JS).

``templates`` is re-exported here so other page routers can ``from gebiedsatlas.web.pages import
templates`` and extend ``base.html``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gebiedsatlas.web.templating import templates

__all__ = ["router", "templates"]

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    """The seven New Towns at a glance, and a search box."""
    return templates.TemplateResponse(request, "home.html", {})
