"""Intake's own error: a whole file refused (unreadable, unsafe, no header), one line naming where and why."""

from __future__ import annotations

from hizone.errors import HizoneError


class IntakeError(HizoneError):
    """A file or payload that cannot be taken in at all; per-cell problems are Issues in a report instead."""


class WorkflowError(HizoneError):
    """An approval step that is not allowed (wrong state, wrong level, locked data)."""
