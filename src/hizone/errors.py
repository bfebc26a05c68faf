"""User-facing errors: one line, naming the file/field and the reason; never a stack trace."""

from __future__ import annotations


class HizoneError(Exception):
    """A mistake in what a user gave us (a file, a setting, an argument).

    ``where`` names the file, row, column or field; ``reason`` says what is wrong.
    Surfaces print ``str(error)`` and exit non-zero (CLI) or answer 4xx (web).
    """

    def __init__(self, reason: str, where: str | None = None) -> None:
        self.reason = reason
        self.where = where
        super().__init__(f"{where}: {reason}" if where else reason)


class CatalogError(HizoneError):
    """Metadata (YAML) that does not load or validate."""


class RegistryError(HizoneError):
    """A registry row (province, zone, enterprise) that does not validate."""


class StoreError(HizoneError):
    """The store cannot be reached or is not in the expected state."""


class Refused(HizoneError):
    """A step the caller's role takes, refused to this caller on this object (a revision it filed itself: the
    separation of duties); 403 on the web, exit code 2 on the command line."""


class Conflict(HizoneError):
    """A request about a state the object has left (a step on a revision a later one has superseded); 409."""
