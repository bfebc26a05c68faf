"""Who may see and change what: the policy (pure functions of a Principal). Users, passwords and sessions are
in ``hizone.auth.users``, ``hizone.auth.passwords`` and ``hizone.auth.sessions``; they need the store, and the
policy is imported where no store is (the CLI's start, the engines)."""

from hizone.auth.policy import (
    ROLES,
    Principal,
    Scope,
    can_admin,
    can_query_analytic_tables,
    can_read_enterprise,
    can_read_province,
    can_read_zone,
    can_register,
    can_review,
    can_see_alert,
    can_submit,
    can_take_step,
    data_scope,
    duty_refusal,
    may_list_zones,
    may_review,
    may_submit,
    may_submit_form,
    own_enterprises,
)

__all__ = [
    "ROLES",
    "Principal",
    "Scope",
    "can_admin",
    "can_query_analytic_tables",
    "can_read_enterprise",
    "can_read_province",
    "can_read_zone",
    "can_register",
    "can_review",
    "can_see_alert",
    "can_submit",
    "can_take_step",
    "data_scope",
    "duty_refusal",
    "may_list_zones",
    "may_review",
    "may_submit",
    "may_submit_form",
    "own_enterprises",
]
