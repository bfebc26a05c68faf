"""Who may see or change what: pure functions of a Principal and the object's zone/province/credit code.

This module is the only place that names roles: routes (``web/security.py``), services, the CLI, the API and
intake's workflow all ask these functions.

Roles: admin and analyst (national, everything; only admin manages users and reads the audit log),
province (the zones of its province), zone (its own zone), enterprise (its own reports),
judge (a contest's judge: only the entries assigned to it, and only its own scores),
public (anonymous: published aggregates and rankings only).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from hizone.registry.outside import outside_code

ROLES = ("admin", "analyst", "province", "zone", "enterprise", "judge")
NATIONAL_ROLES = ("admin", "analyst")
PUBLIC = "public"
# What a scoped role's user is tied to (a Principal's field); the national roles are tied to nothing.
SCOPE_FIELD = {"province": "province_code", "zone": "zone_code", "enterprise": "credit_code"}


@dataclass(frozen=True)


class Principal:
    """Who acts or asks, on the web, in the API, on the command line and in the audit log."""

    username: str
    role: str  # one of ROLES, or "public" for an anonymous visitor
    province_code: str | None = None
    zone_code: str | None = None
    credit_code: str | None = None
    user_id: int | None = None

    @classmethod
    def public(cls) -> Principal:
        return cls(username="", role=PUBLIC)

    @classmethod
    def of(cls, user: Principal | str) -> Principal:
        """A bare name (scripts, the demo loader, tests) stands for a national administrator of that name."""
        return user if isinstance(user, Principal) else cls(user, "admin")

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


def can_read_province(p: Principal, province_code: str) -> bool:
    """A province's own figures and alerts."""
    return p.is_national or (p.role == "province" and p.province_code == province_code)


def can_see_alert(p: Principal, level: str, key: str, zone_province: Mapping[str, str]) -> bool:
    """Zone alerts follow zone scope, province alerts the province; other levels are national."""
    if level == "zone":
        return p.is_national or (key in zone_province and can_read_zone(p, key, zone_province[key]))
    if level == "province":
        return can_read_province(p, key)
    return p.is_national


def zones_acted_on(p: Principal, zone_province: Mapping[str, str]) -> frozenset[str] | None:
    """The zones whose reports a principal may import, submit or move through the workflow (None: every zone).

    An enterprise acts in its own zone only, and there only for itself (``entities_acted_on``).
    """
    if p.is_national:
        return None
    if p.role == "enterprise":
        return frozenset([enterprise_zone(p)])
    return frozenset(z for z, province in zone_province.items() if can_read_zone(p, z, province))


def enterprise_zone(p: Principal) -> str:
    """The zone an enterprise's (or a carrier's) user reports in: its zone, or for a carrier outside any national
    zone its province's outside key (``registry.outside``); '' when neither is known."""
    if p.zone_code:
        return p.zone_code
    return outside_code(p.province_code) if p.province_code else ""


def entities_acted_on(p: Principal) -> frozenset[str] | None:
    """The entities whose reports a principal may send (None: any in its zones)."""
    return frozenset([p.credit_code or ""]) if p.role == "enterprise" else None


def own_enterprises(p: Principal) -> frozenset[str]:
    """The enterprises whose own reports and self-checks a principal reads besides its zones' (itself)."""
    return frozenset([p.credit_code]) if p.role == "enterprise" and p.credit_code else frozenset()


def can_read_enterprise(p: Principal, credit_code: str, zone_code: str, province_code: str) -> bool:
    if p.role == "enterprise":
        return p.credit_code == credit_code
    return can_read_zone(p, zone_code, province_code)


def may_review(p: Principal) -> bool:
    """Review, approve or return reports somewhere (which forms and steps: ``step_takers``; which zones:
    ``can_review``): the national roles, the provinces' departments and the zones' committees."""
    return p.is_national or p.role in REVIEWING_ROLES


def may_submit(p: Principal) -> bool:
    """Upload reports for some entity: the national roles, the zones' committees and the enterprises."""
    return p.is_national or p.role in ("zone", "enterprise")


def may_list_zones(p: Principal) -> bool:
    """Lists of zone-level detail, filtered to the principal's zones: everyone but enterprises and the public."""
    return p.is_national or p.role in ("province", "zone")


def may_submit_form(p: Principal, form_entity: str) -> bool:
    """An enterprise sends only the reports about an enterprise (its own); the zones also send the zone forms."""
    return may_submit(p) and (p.role != "enterprise" or form_entity == "enterprise")


# The reporting workflow: draft → submitted → reviewed → approved, and back to returned (from submitted or
# reviewed) for correction; approved is locked. An enterprise submits its own reports, a zone's committee its
# zone's and, on their behalf, its enterprises'. Who reviews, approves and returns is each form's: its YAML's
# ``workflow`` (catalog ``Form.workflow``: step -> the scoped roles taking it, e.g. the zone's committee for its
# enterprises' reports, the province's department for a zone's), passed in here; the national roles take every
# step of every form.
SUBMITTING_ROLES = ("zone", "enterprise")
REVIEWING_ROLES = ("zone", "province")  # the scoped roles a form's workflow may name
Workflow = Sequence[tuple[str, Sequence[str]]]


def step_takers(action: str, workflow: Workflow) -> tuple[str, ...]:
    """The roles that take a workflow step of a form (its ``workflow``), national roles last; () for no step."""
    if action == "submit":
        return (*SUBMITTING_ROLES, *NATIONAL_ROLES)
    roles = next((tuple(r) for step, r in workflow if step == action), None)
    return () if roles is None else (*(r for r in roles if r in REVIEWING_ROLES), *NATIONAL_ROLES)


def can_take_step(p: Principal, action: str, workflow: Workflow) -> bool:
    """Take a step of a form's workflow somewhere (which zones: ``zones_acted_on``, ``can_review``)."""
    return p.role in step_takers(action, workflow)


def can_review(p: Principal, zone_code: str, province_code: str, workflow: Workflow, action: str = "review") -> bool:
    """Take a review step (review, approve, return) on a report of a zone's (or of an enterprise in it): a role
    the form's workflow names for the step, in its own scope only (a zone's committee its zone, a province's
    department its province's zones); the national roles anywhere."""
    if action == "submit" or not can_take_step(p, action, workflow):
        return False
    return p.is_national or can_read_zone(p, zone_code, province_code)


# Separation of duties: the steps that accept a report are never taken by a user who wrote the revision (stored
# it, or submitted it: also a zone's committee filing for an enterprise on its behalf), when the form's workflow
# separates duties (``Form.separate_duties``, its YAML's ``workflow.separate_duties``, true by default). Another
# user of a role the workflow names for the step takes it: another of the zone's users, the province, the
# national level. A return is not acceptance (it sends the report back to be corrected), so its writer may.
DUTY_STEPS = ("review", "approve")


def duty_refusal(p: Principal, action: str, workflow: Workflow, writers: Collection[str],
                 separate: bool) -> str | None:
    """Why ``p`` may not take ``action`` on a revision written by ``writers`` (usernames), None when it may;
    whether ``p``'s role takes the step at all is ``can_take_step``'s."""
    if not separate or action not in DUTY_STEPS or p.username not in writers:
        return None
    takers = step_takers(action, workflow)
    return (f"you filed this revision; another reviewer must {action} it (a {', '.join(takers[:-1])} or "
            f"{takers[-1]} user other than you)")


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


def can_move(p: Principal, from_zone: str, from_province: str, to_zone: str, to_province: str) -> bool:
    """Record that an enterprise moved zone: whoever may register in both zones (a province's department within
    its province, the national roles anywhere; a zone's committee never, as no zone's scope holds two zones).
    A report never moves an enterprise, whoever files it: moves are the registry's."""
    return can_register(p, from_zone, from_province) and can_register(p, to_zone, to_province)


def can_query_analytic_tables(p: Principal) -> bool:
    """Run ad-hoc SQL over the analytic tables (the /sql page): they hold every zone's and enterprise's figures
    unsuppressed, so only the national roles."""
    return p.is_national


def can_admin(p: Principal) -> bool:
    """Manage users and read the audit log."""
    return p.role == "admin"


def can_register_energy_units(p: Principal, zone_code: str, province_code: str) -> bool:
    """Name an enterprise's main energy-using units (重点用能单位) and their meters: whoever registers enterprises
    in the zone (the designation is the authorities', not the enterprise's own)."""
    return can_register(p, zone_code, province_code)


def can_send_readings(p: Principal, credit_code: str, zone_code: str, province_code: str) -> bool:
    """Send meter readings of a unit: its enterprise (only its own units), its zone's committee, the national
    roles."""
    return can_submit(p, credit_code, zone_code, province_code)


def can_read_readings(p: Principal, credit_code: str, zone_code: str, province_code: str) -> bool:
    """Readings, roll-ups and warnings of a unit: its enterprise, its zone's committee, its province, national."""
    return can_read_enterprise(p, credit_code, zone_code, province_code)


def can_publish_carbon_accounts(p: Principal) -> bool:
    """Publish carbon accounts and recompute published ones: a published account is the national record every
    level reads, so only the national roles."""
    return p.is_national


def can_read_carbon_account(p: Principal, level: str, key: str, zone_province: Mapping[str, str]) -> bool:
    """A carbon account (碳账户): the nation's is everyone's; a province's is its department's and the national
    roles'; a zone's (with its largest emitters, enterprise figures) its committee's, its province's, national."""
    if level == "nation":
        return True
    if level == "province":
        return can_read_province(p, key)
    if level == "zone":
        return key in zone_province and can_read_zone(p, key, zone_province[key])
    return p.is_national


def can_see_own_points(p: Principal, enterprise_zone: str | None, zone_code: str) -> bool:
    """An enterprise sees its own innovation points and rank among its zone's (no other enterprise's values)."""
    return p.role == "enterprise" and enterprise_zone is not None and enterprise_zone == zone_code


def can_register_carrier(p: Principal, zone_code: str, province_code: str) -> bool:
    """Register an incubation carrier, its levels and incubatees: as for enterprises (a carrier outside any zone,
    ``zone_code`` "", by its province's department or the national roles)."""
    return can_register(p, zone_code, province_code)


def can_read_carrier(p: Principal, zone_code: str, province_code: str) -> bool:
    """A carrier's profile, incubatees and statistics: as a zone's detail (outside any zone, ``zone_code`` "",
    its province's department and the national roles)."""
    return can_read_zone(p, zone_code, province_code)


def can_read_bulletins(p: Principal) -> bool:
    """The bulletins' text and the facts taken from them: published material, for every logged-in role (the
    reported figures shown beside a zone's facts follow ``can_read_zone``)."""
    return p.is_authenticated


def can_review_bulletins(p: Principal) -> bool:
    """Confirm, correct or reject facts from bulletins, and see the review queue: the national roles."""
    return p.is_national


def can_load_bulletins(p: Principal) -> bool:
    """Load bulletins (their facts then wait for review): the national roles."""
    return p.is_national


def can_run_contests(p: Principal) -> bool:
    """Load contests, take entries, name judges, assign them, advance entries and award: the national roles
    (the Torch Center runs the contests)."""
    return p.is_national


def can_link_contest_team(p: Principal) -> bool:
    """Link a team's entry to the enterprise it registered since (the follow-up then follows the firm): the
    national roles, who run the contests and keep the entries."""
    return p.is_national


def can_read_contest_entry(p: Principal, entry_zone: str | None, entry_province: str | None,
                           credit_code: str | None, assigned_to: frozenset[str]) -> bool:
    """An entry and its eligibility: the national roles; a zone's committee or a province's department for its
    own entrants; an enterprise its own entry; a judge only the entries assigned to it (``assigned_to``: the
    usernames of the entry's judges). Other judges' scores are never a judge's (``can_read_contest_scores``)."""
    if p.role == "judge":
        return p.username in assigned_to
    if p.role == "enterprise":
        return credit_code is not None and p.credit_code == credit_code
    return p.is_national or (entry_zone is not None and entry_province is not None
                             and can_read_zone(p, entry_zone, entry_province))


def can_attach_contest_document(p: Principal, credit_code: str | None) -> bool:
    """Attach a document (business plan, certificate) to an entry: the national roles any entry's, an enterprise
    its own entry's. Reading the documents is reading the entry (``can_read_contest_entry``)."""
    return p.is_national or (p.role == "enterprise" and credit_code is not None and p.credit_code == credit_code)


def may_attach_contest_documents(p: Principal) -> bool:
    """Reach the document upload at all (which entries: ``can_attach_contest_document``)."""
    return p.is_national or p.role == "enterprise"


def can_read_contest_scores(p: Principal, judge_username: str) -> bool:
    """Judges' raw scores: the national roles all of them, a judge its own, nobody else."""
    return p.is_national or (p.role == "judge" and p.username == judge_username)


def can_score(p: Principal, assigned_to: frozenset[str]) -> bool:
    """Score an entry: a judge assigned to it, nobody else (an administrator corrects through the judge)."""
    return p.role == "judge" and p.username in assigned_to


def may_judge(p: Principal) -> bool:
    """Reach the scoring form and send scores at all (which entries: ``can_score``)."""
    return p.role == "judge"


def may_read_contest_scores(p: Principal) -> bool:
    """Reach a list of raw scores at all: the national roles and the judges (theirs only:
    ``can_read_contest_scores``)."""
    return p.is_national or p.role == "judge"


def may_follow_contest_entrants(p: Principal) -> bool:
    """The follow-up of entrants (跟踪) at all: everyone logged in but the judges (their task ends with the
    scores); which entrants, ``can_read_contest_entry`` decides."""
    return p.is_authenticated and p.role != "judge"


def can_set_talent_target(p: Principal, level: str, province_code: str) -> bool:
    """Campaign targets are set by the national level (any), or by a province for its own zones."""
    return p.is_national or (p.role == "province" and level == "zone" and p.province_code == province_code)
