"""Published carbon accounts: what was published stays as published.

A publication stores each group's figures with what they were computed from (the factors' version and the
fingerprint of their numbers, the analytics build's last change and its registry and indicator fingerprints).
When the factors or the data move on, readers show the published figures and say what changed
(:func:`stale_reason`); new figures take an explicit recomputation with a reason, which adds the next version
(the old ones stay) and is an event of the change sequence, so the audit log lists who, when and why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from hizone.auth.policy import Principal, can_publish_carbon_accounts
from hizone.carbon.accounts import GroupAccount, Status
from hizone.errors import HizoneError
from hizone.store.changes import Who, data_changes, record_publication
from hizone.store.models import CarbonAccountVersion, utcnow

# The derived figures published beside the account's own fields (properties of GroupAccount).
DERIVED = ("co2_total_location", "co2_total_market", "energy_intensity", "industrial_energy_intensity",
           "co2_intensity", "carbon_productivity", "co2_per_tce", "co2_intensity_yoy")
PUBLISH, RECOMPUTE = "carbon_publish", "carbon_recompute"  # the audit log's actions


@dataclass(frozen=True)
class Basis:
    """What accounts are computed from: the factors and the analytics build."""

    factor_version: str
    factor_fingerprint: str
    data_seq: int  # the number of the last change the build holds
    data_key: str  # the build's registry and indicator fingerprints

    @classmethod
    def of(cls, account: GroupAccount, build_state: Mapping[str, str]) -> Basis:
        """The basis of ``account``, computed over a build whose state (``Reader.build_state``) is given."""
        return cls.current(account.factor_version, account.factor_fingerprint, build_state)

    @classmethod
    def current(cls, factor_version: str, factor_fingerprint: str, build_state: Mapping[str, str]) -> Basis:
        """The basis of figures computed with those factors over a build whose state is given."""
        key = f"registry {build_state.get('registry', '')[:16]} indicators {build_state.get('indicators', '')[:16]}"
        return cls(factor_version, factor_fingerprint, int(build_state.get("seq", 0)), key)


@dataclass(frozen=True)
class PublishedAccount:
    year: int
    level: str
    key: str
    version: int
    figures: dict[str, Any]  # the account's fields, the DERIVED ratios, pathway, warning and ledger entries
    warning: str
    basis: Basis
    published_by: str
    published_role: str | None
    published_at: dt.datetime
    reason: str | None
    event_seq: int


def figures_of(status: Status) -> dict[str, Any]:
    """What is published of a group's status (JSON-ready)."""
    account = status.account
    return {**dataclasses.asdict(account), **{name: getattr(account, name) for name in DERIVED},
            "base_year": status.base_year, "energy_path": status.energy_path, "co2_path": status.co2_path,
            "warning": status.level.level, "ledger": [dataclasses.asdict(entry) for entry in status.ledger]}


def _published(row: CarbonAccountVersion) -> PublishedAccount:
    return PublishedAccount(row.year, row.level, row.key, row.version, dict(row.figures), row.warning,
                            Basis(row.factor_version, row.factor_fingerprint, row.data_seq, row.data_key),
                            row.published_by, row.published_role, row.published_at, row.reason, row.event_seq)


def latest_published(conn: Connection, year: int, level: str, keys: Sequence[str]) -> dict[str, PublishedAccount]:
    """key -> the latest published version of each of ``keys`` that has one."""
    latest = select(CarbonAccountVersion.key, func.max(CarbonAccountVersion.version).label("version")).where(
        CarbonAccountVersion.year == year, CarbonAccountVersion.level == level,
        CarbonAccountVersion.key.in_(list(keys))).group_by(CarbonAccountVersion.key).subquery()
    rows = conn.execute(select(CarbonAccountVersion).join(latest, (CarbonAccountVersion.key == latest.c.key) & (
        CarbonAccountVersion.version == latest.c.version)).where(
        CarbonAccountVersion.year == year, CarbonAccountVersion.level == level))
    return {row.key: _published(row) for row in _rows(rows)}


def _rows(result: Any) -> list[CarbonAccountVersion]:
    return [CarbonAccountVersion(**row._mapping) for row in result]


def published_account(engine: Engine, year: int, level: str, key: str) -> PublishedAccount | None:
    """The latest published version of a group's account in ``year``, None if it was never published."""
    with engine.connect() as conn:
        return latest_published(conn, year, level, [key]).get(key)


def published_versions(engine: Engine, year: int, level: str, key: str) -> list[PublishedAccount]:
    """Every published version of a group's account in ``year``, the first first."""
    with engine.connect() as conn:
        rows = conn.execute(select(CarbonAccountVersion).where(
            CarbonAccountVersion.year == year, CarbonAccountVersion.level == level, CarbonAccountVersion.key == key)
            .order_by(CarbonAccountVersion.version))
        return [_published(row) for row in _rows(rows)]


def stale_reason(engine: Engine, published: PublishedAccount, current: Basis) -> str | None:
    """Why ``published`` is not what ``current`` factors and data would give (None: it is), naming both."""
    with engine.connect() as conn:
        return _stale(conn, published, current)


def last_publication(engine: Engine, year: int) -> int:
    """The event number of the latest publication of ``year``'s accounts (0: none): what a page shows moves with it."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(CarbonAccountVersion.event_seq)).where(
            CarbonAccountVersion.year == year)).scalar() or 0)


def published_with_reasons(engine: Engine, year: int, level: str, current: Mapping[str, Basis]
                           ) -> dict[str, tuple[PublishedAccount, str | None]]:
    """key -> (its latest published version, why the ``current`` basis would give other figures or None), for the
    keys of ``current`` that were published."""
    with engine.connect() as conn:
        latest = latest_published(conn, year, level, list(current))
        return {key: (p, _stale(conn, p, current[key])) for key, p in latest.items()}


def _stale(conn: Connection, published: PublishedAccount, current: Basis) -> str | None:
    was, reasons = published.basis, []
    if was.factor_fingerprint != current.factor_fingerprint:
        reasons.append(f"factors changed since: published with {was.factor_version} (fingerprint "
                       f"{was.factor_fingerprint}), now {current.factor_version} (fingerprint "
                       f"{current.factor_fingerprint})")
    low, high = sorted((was.data_seq, current.data_seq))
    changes = data_changes(conn, low, high)
    if changes or was.data_key != current.data_key:
        reasons.append(f"data changed since: published from change {was.data_seq} ({was.data_key}), now change "
                       f"{current.data_seq} ({current.data_key}), {changes} data change(s) between")
    return "; ".join(reasons) or None


def publish(engine: Engine, who: Principal, year: int, level: str, statuses: Sequence[Status],
            build_state: Mapping[str, str], *, recompute: bool = False, reason: str | None = None
            ) -> list[PublishedAccount]:
    """Publish the groups' accounts not yet published; with ``recompute`` (and a ``reason``) also a new version
    of those published from other factors or data. Refused when there is nothing to write."""
    if not can_publish_carbon_accounts(who):
        raise HizoneError(f"role {who.role} may not publish carbon accounts (admin or analyst only)", where="--role")
    reason = (reason or "").strip() or None
    if recompute and reason is None:
        raise HizoneError("a recomputation needs a reason (--reason \"...\"): the audit log records why",
                          where="--reason")
    current = {s.account.key: (s, Basis.of(s.account, build_state)) for s in statuses}
    with engine.begin() as conn:
        latest = latest_published(conn, year, level, list(current))
        stale = {key: why for key, p in latest.items() if (why := _stale(conn, p, current[key][1]))}
        if stale and not recompute:
            key, why = next(iter(sorted(stale.items())))
            raise HizoneError(f"{len(stale)} published account(s) of {year} ({level}) would change, e.g. {key}: "
                              f"{why}; recompute them with --recompute --reason \"...\"", where="--recompute")
        todo = [key for key in sorted(current) if key not in latest or key in stale]
        if not todo or (recompute and not stale):
            raise HizoneError(f"nothing to {'recompute' if recompute else 'publish'}: the {level} accounts of "
                              f"{year} are published at the current factors and data", where="--year")
        return _write(conn, who, year, level, [current[k] for k in todo], latest, reason, recompute)


def _write(conn: Connection, who: Principal, year: int, level: str, todo: Sequence[tuple[Status, Basis]],
           latest: Mapping[str, PublishedAccount], reason: str | None, recompute: bool) -> list[PublishedAccount]:
    at = utcnow()
    first = todo[0][1]
    seq = record_publication(conn, Who(who.username, who.role), year, level, at,
                             action=RECOMPUTE if recompute else PUBLISH, reason=reason,
                             keys=[s.account.key for s, _ in todo], factor_version=first.factor_version,
                             factor_fingerprint=first.factor_fingerprint, data_seq=first.data_seq)
    rows = [{"year": year, "level": level, "key": status.account.key,
             "version": latest[status.account.key].version + 1 if status.account.key in latest else 1,
             "figures": figures_of(status), "warning": status.level.level,
             "factor_version": basis.factor_version, "factor_fingerprint": basis.factor_fingerprint,
             "data_seq": basis.data_seq, "data_key": basis.data_key, "published_by": who.username,
             "published_role": who.role, "published_at": at, "reason": reason, "event_seq": seq}
            for status, basis in todo]
    conn.execute(insert(CarbonAccountVersion), rows)
    return [_published(CarbonAccountVersion(**row)) for row in rows]
