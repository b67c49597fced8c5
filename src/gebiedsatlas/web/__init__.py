"""Web: the JSON API and the server-rendered atlas (FastAPI + Jinja2)."""
