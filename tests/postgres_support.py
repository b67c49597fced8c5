"""A private PostgreSQL 15 cluster for tests: ``private_cluster()`` (initdb in a temporary folder, a free
loopback port, trust authentication, stopped and removed afterwards), and on it the module fixtures
``postgres_url`` (an empty database) and ``imported`` (the real bundled data imported into it). A test
module uses the fixtures with

    pytest_plugins = ("postgres_support",)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from gebiedsatlas.sources.importer import import_bundled
from gebiedsatlas.store import db

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def as_postgres(command: list[str]) -> list[str]:
    """initdb refuses to run as root; CI runs as root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PrivateCluster:
    def __init__(self, port: int) -> None:
        self.port = port

    def create_database(self, name: str) -> str:
        """A new, empty database; its SQLAlchemy URL."""
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 is missing: run scripts/install-system-deps.sh")
    base = Path(tempfile.mkdtemp(prefix="gebiedsatlas-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = base / "data"
    subprocess.run(as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True)
    subprocess.run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"), "-o",
                                f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off", "start"]),
                   check=True, capture_output=True)
    try:
        yield PrivateCluster(port)
    finally:
        db.get_engine.cache_clear()
        subprocess.run(as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_url():
    with private_cluster() as cluster:
        yield cluster.create_database("atlas")


@pytest.fixture(scope="module")
def imported(postgres_url, data_dir):
    import_bundled(postgres_url, data_dir)
    return postgres_url
