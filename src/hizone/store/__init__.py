"""The store: SQLAlchemy models, Alembic migrations, connection handling."""

from hizone.store.db import connect, downgrade, open_store, session_scope, upgrade

__all__ = ["connect", "downgrade", "open_store", "session_scope", "upgrade"]
