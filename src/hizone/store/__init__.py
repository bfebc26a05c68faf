"""The store: SQLAlchemy models, Alembic migrations, connection handling."""

from hizone.store.db import (
    bulk_transaction,
    connect,
    downgrade,
    open_store,
    read_connection,
    session_scope,
    upgrade,
)

__all__ = ["bulk_transaction", "connect", "downgrade", "open_store", "read_connection", "session_scope", "upgrade"]
