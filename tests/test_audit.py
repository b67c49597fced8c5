"""`make audit` (scripts/audit.py) never calls a lock file clean unless every package was checked.

The interpretation of pip-audit's answer is tested on canned answers; the real pip-audit (from the
tools venv that `make tools` creates; skipped without it, so `make test` does not need it) is run
with its network cut off (a proxy that refuses connections, an unreachable index).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

from gebiedsatlas.config import REPO_DIR

LOCK = REPO_DIR / "requirements" / "lock.txt"
AUDIT_SCRIPT = REPO_DIR / "scripts" / "audit.py"
TOOLS_PYTHON = Path(os.environ.get("GEBIEDSATLAS_TOOLS_VENV", REPO_DIR / ".venv-tools")) / "bin" / "python"


def load_audit():
    spec = importlib.util.spec_from_file_location("audit_script", AUDIT_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def audit():
    return load_audit()


@pytest.fixture
def small_lock(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text("alembic==1.20.1 \\\n    --hash=sha256:aa\n    # via x\nJinja2==3.1.6 \\\n    --hash=sha256:bb\n")
    return lock


def answer(audit, monkeypatch, stdout: str, returncode: int = 0, stderr: str = ""):
    monkeypatch.setattr(audit, "run_pip_audit", lambda lock, extra: subprocess.CompletedProcess(
        ["pip-audit"], returncode, stdout=stdout, stderr=stderr))


def test_every_package_of_the_lock_file_is_counted(audit):
    pins = audit.locked_packages(LOCK)
    assert len(pins) > 50
    assert {"fastapi", "uvicorn", "argon2-cffi", "authlib", "itsdangerous", "oidc-provider-mock",
            "setuptools"} <= pins.keys()


def test_clean_only_when_every_package_was_checked(audit, small_lock, monkeypatch, capsys):
    deps = [{"name": "alembic", "version": "1.20.1", "vulns": []}, {"name": "jinja2", "version": "3.1.6", "vulns": []}]
    answer(audit, monkeypatch, json.dumps({"dependencies": deps, "fixes": []}))
    assert audit.report(small_lock, []) == audit.CLEAN
    assert "no known vulnerabilities in the 2 packages" in capsys.readouterr().out


def test_skipped_packages_are_not_a_clean_result(audit, small_lock, monkeypatch, capsys):
    # What pip-audit answers (exit 0, "No known vulnerabilities found") when it reached no data.
    deps = [{"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name}"}
            for name in ("alembic", "jinja2")]
    answer(audit, monkeypatch, json.dumps({"dependencies": deps, "fixes": []}), stderr="No known vulnerabilities found")
    assert audit.report(small_lock, []) == audit.NOT_CHECKED
    out = capsys.readouterr().out
    assert "COULD NOT CHECK 2 of 2 packages" in out and "NOT a clean result" in out
    assert "no known vulnerabilities" not in out.lower()


def test_a_package_missing_from_the_answer_is_not_checked(audit, small_lock, monkeypatch, capsys):
    answer(audit, monkeypatch, json.dumps({"dependencies": [{"name": "alembic", "version": "1.20.1", "vulns": []}]}))
    assert audit.report(small_lock, []) == audit.NOT_CHECKED
    assert "COULD NOT CHECK 1 of 2 packages for known vulnerabilities (e.g. jinja2: not in" in capsys.readouterr().out


def test_vulnerabilities_are_listed(audit, small_lock, monkeypatch, capsys):
    deps = [{"name": "alembic", "version": "1.20.1", "vulns": []},
            {"name": "Jinja2", "version": "3.1.6", "vulns": [
                {"id": "PYSEC-0000-1", "fix_versions": ["3.1.7"], "aliases": ["CVE-0000-1"], "description": "."}]}]
    answer(audit, monkeypatch, json.dumps({"dependencies": deps, "fixes": []}), returncode=1)
    assert audit.report(small_lock, []) == audit.VULNERABLE
    out = capsys.readouterr().out
    assert "VULNERABLE jinja2 3.1.6: PYSEC-0000-1 (CVE-0000-1); fixed in: 3.1.7" in out
    assert "1 known vulnerability in 1 package(s)" in out


def test_a_failed_pip_audit_is_not_a_clean_result(audit, small_lock, monkeypatch, capsys):
    answer(audit, monkeypatch, "", returncode=1,
           stderr="Traceback ...\nrequests.exceptions.ProxyError: Unable to connect to proxy\n")
    assert audit.report(small_lock, []) == audit.NOT_CHECKED
    out = capsys.readouterr().out
    assert "COULD NOT CHECK" in out and "ProxyError: Unable to connect to proxy" in out


@pytest.mark.skipif(not TOOLS_PYTHON.exists(), reason="no tools venv with pip-audit: run `make tools`")
def test_pip_audit_without_network_says_it_could_not_check(tmp_path):
    env = {key: value for key, value in os.environ.items() if "proxy" not in key.lower()}
    # Port 9 (discard) on loopback: nothing listens, so every connection is refused at once.
    env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
               PIP_INDEX_URL="http://127.0.0.1:9/simple", PIP_NO_INDEX="1")
    result = subprocess.run(
        [str(TOOLS_PYTHON), str(AUDIT_SCRIPT), str(LOCK), "--cache-dir", str(tmp_path / "cache"), "--timeout", "5"],
        env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "COULD NOT CHECK" in output and "NOT a clean result" in output
    assert "no known vulnerabilities" not in output.lower()
    assert f"{len(load_audit().locked_packages(LOCK))} packages pinned" in output
