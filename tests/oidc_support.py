"""A real OpenID Connect provider for the tests (oidc-provider-mock, started in a thread), and logging
in through it in Chromium: the atlas redirects, the provider's own form authorises, the atlas checks
the code, the ID token and the claims. Nothing of the flow is mocked in the atlas."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import quote

import httpx


@contextlib.contextmanager
def provider() -> Iterator[str]:
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def settings_env(issuer: str) -> dict[str, str]:
    return {"GEBIEDSATLAS_OIDC_ISSUER": issuer, "GEBIEDSATLAS_OIDC_CLIENT_ID": "gebiedsatlas",
            "GEBIEDSATLAS_OIDC_CLIENT_SECRET": "test-geheim", "GEBIEDSATLAS_OIDC_LABEL": "Inloggen via uw organisatie"}


def register(issuer: str, subject: str, claims: dict) -> None:
    """Tell the provider who this person is (its claims)."""
    response = httpx.put(f"{issuer}/users/{quote(subject)}", json=claims)
    assert response.status_code == 204, response.text


def login_in_browser(page, base_url: str, subject: str) -> None:
    page.goto(f"{base_url}/inloggen")
    page.get_by_role("link", name="Inloggen via uw organisatie").click()
    page.get_by_placeholder("sub").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base_url}/**")
    page.wait_for_load_state()
