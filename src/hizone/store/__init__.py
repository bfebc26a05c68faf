"""The store: SQLAlchemy models, Alembic migrations, connection handling."""

from hizone.store.db import connect, session_scope, upgrade

__all__ = ["connect", "session_scope", "upgrade"]
