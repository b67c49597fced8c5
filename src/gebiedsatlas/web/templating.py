"""The one Jinja2 environment of the web pages, shared by every page router.

Other routers import ``templates`` from here (or from ``gebiedsatlas.web.pages``) and render
templates that ``{% extends "base.html" %}``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from gebiedsatlas.web.auth import csrf_field, current_principal
from gebiedsatlas.web.formatting import register_filters

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
register_filters(templates.env)

# Main navigation: (path, label). The current page is marked with aria-current in base.html.
NAVIGATION = [
    ("/", "Home"),
    ("/kaart", "Kaart"),
    ("/opgave", "Opgavekaart"),
    ("/vergelijken", "Vergelijken"),
    ("/indicatoren", "Indicatoren"),
    ("/bronnen", "Bronnen en methode"),
]
templates.env.globals["navigation"] = NAVIGATION

# Every form posts its CSRF token; every page can say who is logged in (``web/auth.py``).
templates.env.globals["csrf_field"] = csrf_field
templates.env.globals["principal"] = current_principal
