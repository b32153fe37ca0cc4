"""Alembic migrations of the read-model database (applied by `make_engine` at start, or `orderly db upgrade`)."""
