"""Store: the relational schema (SQLAlchemy 2), its Alembic migrations and session handling."""
