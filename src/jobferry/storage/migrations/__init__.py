"""Alembic migrations of the jobferry schema (run with ``jobferry db upgrade``)."""
