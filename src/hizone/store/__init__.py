"""The store: SQLAlchemy models, Alembic migrations, connection handling."""

from hizone.store.db import connect, downgrade, session_scope, upgrade

__all__ = ["connect", "downgrade", "session_scope", "upgrade"]
