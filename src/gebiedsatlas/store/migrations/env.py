"""Alembic environment: runs migrations against the URL set by ``gebiedsatlas.store.db``."""

from alembic import context
from sqlalchemy import create_engine

import gebiedsatlas.store.accounts  # noqa: F401  (registers the account tables on Base)
import gebiedsatlas.store.agreements  # noqa: F401  (registers the agreement tables on Base)
import gebiedsatlas.store.housing  # noqa: F401  (registers the woonprogramma tables on Base)
from gebiedsatlas.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
