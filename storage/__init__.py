"""Persistence: SQLAlchemy models, the engine, Alembic migrations and encryption at rest."""
