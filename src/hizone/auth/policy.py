"""Who may see or change what: pure functions of a Principal and the object's zone/province/credit code.

Roles: admin and analyst (national, everything; only admin manages users and reads the audit log),
province (the zones of its province), zone (its own zone), enterprise (its own reports),
public (anonymous: published aggregates and rankings only).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "analyst", "province", "zone", "enterprise")
NATIONAL_ROLES = ("admin", "analyst")
PUBLIC = "public"


@dataclass(frozen=True)
class Principal:
    username: str
    role: str  # one of ROLES, or "public" for an anonymous visitor
    province_code: str | None = None
    zone_code: str | None = None
    credit_code: str | None = None
    user_id: int | None = None

    @classmethod
    def public(cls) -> Principal:
        return cls(username="", role=PUBLIC)

    @property
    def is_authenticated(self) -> bool:
        return self.role != PUBLIC

    @property
    def is_national(self) -> bool:
        return self.role in NATIONAL_ROLES


@dataclass(frozen=True)
class Scope:
    """What part of the zone-level data a principal may list: None in a field means no restriction.

    ``nothing`` is True for principals that may list no zone-level data at all (public).
    """

    province_code: str | None = None
    zone_code: str | None = None
    credit_code: str | None = None
    nothing: bool = False


def data_scope(p: Principal) -> Scope:
    if p.is_national:
        return Scope()
    if p.role == "province":
        return Scope(province_code=p.province_code)
    if p.role == "zone":
        return Scope(zone_code=p.zone_code)
    if p.role == "enterprise":
        return Scope(credit_code=p.credit_code)
    return Scope(nothing=True)


def can_read_zone(p: Principal, zone_code: str, province_code: str) -> bool:
    """Zone-level detail (profile, monthly figures, enterprise lists, alerts)."""
    if p.is_national:
        return True
    if p.role == "province":
        return p.province_code == province_code
    if p.role == "zone":
        return p.zone_code == zone_code
    return False


def can_read_enterprise(p: Principal, credit_code: str, zone_code: str, province_code: str) -> bool:
    if p.role == "enterprise":
        return p.credit_code == credit_code
    return can_read_zone(p, zone_code, province_code)


def can_review(p: Principal, zone_code: str, province_code: str) -> bool:
    """Approve or return submissions: national roles, and a province's department for its zones."""
    if p.is_national:
        return True
    return p.role == "province" and p.province_code == province_code


def can_submit(p: Principal, entity_key: str, zone_code: str, province_code: str) -> bool:
    """Upload a report for an entity: its enterprise, its zone's committee, or the national roles."""
    if p.is_national:
        return True
    if p.role == "enterprise":
        return p.credit_code == entity_key
    if p.role == "zone":
        return p.zone_code == zone_code
    return False


def can_register(p: Principal, zone_code: str, province_code: str) -> bool:
    """Register enterprises, change their registration or record their qualifications in a zone: the national
    roles anywhere, a province's department in its zones, a zone's committee in its own zone."""
    if p.is_national:
        return True
    if p.role == "province":
        return p.province_code == province_code
    return p.role == "zone" and p.zone_code == zone_code


def can_query_analytic_tables(p: Principal) -> bool:
    """Run ad-hoc SQL over the analytic tables (the /sql page): they hold every zone's and enterprise's figures
    unsuppressed, so only the national roles."""
    return p.is_national


def can_admin(p: Principal) -> bool:
    """Manage users and read the audit log."""
    return p.role == "admin"
