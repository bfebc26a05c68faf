"""Running the rules over the analytic tables, and keeping the alerts (with their states) in the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from hizone.analytics.query import Analytics
from hizone.errors import HizoneError
from hizone.monitor.rules import Alert, Rule, SeriesTable, default_rules, evaluate
from hizone.store import session_scope
from hizone.store.models import Alert as AlertRow
from hizone.store.models import utcnow

STATES = ("open", "acknowledged", "resolved")
# Which states an alert may move to from each state (a resolved alert may be reopened).
TRANSITIONS = {"open": ("acknowledged", "resolved"), "acknowledged": ("resolved", "open"), "resolved": ("open",)}


def series_table(analytics: Analytics, rule: Rule, view: str = "published") -> SeriesTable:
    peers: dict[str, str] = {}
    if "peer_group" in rule.params:
        for group, zones in analytics.members(str(rule.params["peer_group"])).items():
            peers.update({zone: group for zone in zones})
    return SeriesTable.from_series(rule.indicator, rule.level, analytics.series(rule.indicator, rule.level, view),
                                   peers)


def run_rules(analytics: Analytics, rules: Sequence[Rule] | None = None, view: str = "published") -> list[Alert]:
    """Every alert the rules raise on the analytic tables, in rule order."""
    found: list[Alert] = []
    for rule in rules if rules is not None else default_rules():
        found += evaluate(rule, series_table(analytics, rule, view))
    return found


@dataclass(frozen=True)
class StoredAlert(Alert):
    """A raised alert as kept in the store, with its id and its acknowledge/resolve state."""

    id: int
    state: str
    changed_by: str | None
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _stored(row: AlertRow) -> StoredAlert:
    return StoredAlert(rule=row.rule_code, kind=row.kind, severity=row.severity, indicator=row.indicator,
                       level=row.level, key=row.entity_key, period=row.period, message=row.message,
                       evidence=row.evidence, id=row.id, state=row.state, changed_by=row.changed_by, note=row.note)


class AlertStore:
    """Alerts in the store: recorded once per (rule, group, period); state changes persist."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, alerts: Sequence[Alert]) -> dict[str, int]:
        """Insert new alerts as open; refresh the evidence of known ones without touching their state."""
        counts = {"new": 0, "seen": 0}
        now = utcnow()
        with session_scope(self.engine) as session:
            known = {(r.rule_code, r.level, r.entity_key, r.period): r for r in session.scalars(select(AlertRow))}
            for alert in alerts:
                row = known.get((alert.rule, alert.level, alert.key, alert.period))
                if row is None:
                    session.add(AlertRow(rule_code=alert.rule, indicator=alert.indicator, level=alert.level,
                                         entity_key=alert.key, period=alert.period, severity=alert.severity,
                                         kind=alert.kind, message=alert.message[:512], evidence=alert.evidence,
                                         state="open", first_seen=now, last_seen=now))
                    counts["new"] += 1
                else:
                    row.evidence, row.message, row.last_seen = alert.evidence, alert.message[:512], now
                    counts["seen"] += 1
        return counts

    def list(self, state: str | None = None, zone: str | None = None) -> list[StoredAlert]:
        if state is not None and state not in STATES:
            raise HizoneError(f"unknown state '{state}' (one of {', '.join(STATES)})", where="--state")
        stmt = select(AlertRow).order_by(AlertRow.id)
        if state:
            stmt = stmt.where(AlertRow.state == state)
        if zone:
            stmt = stmt.where(AlertRow.entity_key == zone)
        with session_scope(self.engine) as session:
            return [_stored(row) for row in session.scalars(stmt)]

    def transition(self, alert_id: int, state: str, by: str, note: str | None = None) -> StoredAlert:
        """Move an alert to ``state`` (acknowledged, resolved, or open again), recording who and when."""
        with session_scope(self.engine) as session:
            row = session.get(AlertRow, alert_id)
            if row is None:
                raise HizoneError(f"no alert {alert_id}", where="--id")
            if state not in TRANSITIONS[row.state]:
                raise HizoneError(f"alert {alert_id} is {row.state}; it cannot become {state}", where="--id")
            row.state, row.changed_by, row.changed_at = state, by, dt.datetime.now(dt.UTC)
            if note is not None:
                row.note = note[:512]
            session.flush()
            return _stored(row)
