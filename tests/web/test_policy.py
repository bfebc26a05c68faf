"""The pure access rules: each role against its own and another province, zone and enterprise."""

from __future__ import annotations

import pytest

from hizone.auth import (
    Principal,
    Scope,
    can_admin,
    can_read_enterprise,
    can_read_zone,
    can_review,
    can_submit,
    data_scope,
)
from hizone.auth.policy import step_takers
from hizone.catalog import default_catalog

ADMIN = Principal("a", "admin")
ANALYST = Principal("b", "analyst")
PROVINCE = Principal("p", "province", province_code="11")
ZONE = Principal("z", "zone", province_code="11", zone_code="Z1101")
ENTERPRISE = Principal("e", "enterprise", province_code="11", zone_code="Z1101", credit_code="C1")
PUBLIC = Principal.public()


@pytest.mark.parametrize(("principal", "own", "neighbour", "other"), [
    (ADMIN, True, True, True), (ANALYST, True, True, True), (PROVINCE, True, True, False),
    (ZONE, True, False, False), (ENTERPRISE, False, False, False), (PUBLIC, False, False, False)])
def test_zone_reading(principal: Principal, own: bool, neighbour: bool, other: bool) -> None:
    assert can_read_zone(principal, "Z1101", "11") is own
    assert can_read_zone(principal, "Z1102", "11") is neighbour
    assert can_read_zone(principal, "Z4401", "44") is other


def test_enterprise_sees_only_itself_even_inside_its_zone() -> None:
    assert can_read_enterprise(ENTERPRISE, "C1", "Z1101", "11")
    assert not can_read_enterprise(ENTERPRISE, "C2", "Z1101", "11")
    assert can_read_enterprise(ZONE, "C2", "Z1101", "11")
    assert not can_read_enterprise(ZONE, "C3", "Z4401", "44")
    assert not can_read_enterprise(PUBLIC, "C1", "Z1101", "11")


def test_review_follows_the_forms_workflow_within_the_reviewers_scope() -> None:
    """A zone's report (zone_monthly): its province reviews and returns, the national roles approve. An enterprise's
    (enterprise_annual): its zone's committee reviews, returns and approves, its province may review and return."""
    zone_form = default_catalog().form("zone_monthly", 2023).workflow
    enterprise_form = default_catalog().form("enterprise_annual", 2023).workflow
    for chain in (zone_form, enterprise_form):
        assert can_review(ADMIN, "Z4401", "44", chain) and can_review(ANALYST, "Z4401", "44", chain, "approve")
        assert can_review(PROVINCE, "Z1101", "11", chain) and not can_review(PROVINCE, "Z4401", "44", chain)
        assert not can_review(PROVINCE, "Z1101", "11", chain, "approve")
        assert not can_review(ENTERPRISE, "Z1101", "11", chain, "return")
    assert not any(can_review(ZONE, "Z1101", "11", zone_form, step) for step in ("review", "approve", "return"))
    assert all(can_review(ZONE, "Z1101", "11", enterprise_form, step) for step in ("review", "approve", "return"))
    assert not any(can_review(ZONE, zone, province, enterprise_form, step) for zone, province in
                   (("Z1102", "11"), ("Z4401", "44")) for step in ("review", "approve", "return"))
    assert step_takers("approve", zone_form) == ("admin", "analyst")
    assert step_takers("approve", enterprise_form) == ("zone", "admin", "analyst")
    assert step_takers("publish", enterprise_form) == ()


def test_submitting_is_for_the_entity_itself_its_zone_or_national_roles() -> None:
    assert can_submit(ENTERPRISE, "C1", "Z1101", "11") and not can_submit(ENTERPRISE, "C2", "Z1101", "11")
    assert can_submit(ZONE, "C2", "Z1101", "11") and not can_submit(ZONE, "C3", "Z4401", "44")
    assert not can_submit(PROVINCE, "C1", "Z1101", "11") and not can_submit(PUBLIC, "C1", "Z1101", "11")
    assert can_submit(ANALYST, "C3", "Z4401", "44")


def test_only_admin_administers() -> None:
    assert can_admin(ADMIN)
    assert not any(can_admin(p) for p in (ANALYST, PROVINCE, ZONE, ENTERPRISE, PUBLIC))


def test_listing_scopes() -> None:
    assert data_scope(ADMIN) == Scope()
    assert data_scope(PROVINCE) == Scope(province_code="11")
    assert data_scope(ZONE) == Scope(zone_code="Z1101")
    assert data_scope(ENTERPRISE) == Scope(credit_code="C1")
    assert data_scope(PUBLIC).nothing
