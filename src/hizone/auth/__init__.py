"""Users, password hashing, roles and scope: pure policy functions plus the user store service."""

from hizone.auth.passwords import hash_password, needs_rehash, verify_password
from hizone.auth.policy import (
    ROLES,
    Principal,
    Scope,
    can_admin,
    can_read_enterprise,
    can_read_zone,
    can_review,
    can_submit,
    data_scope,
)
from hizone.auth.users import (
    AuthError,
    UserInfo,
    add_user,
    authenticate,
    create_demo_users,
    create_token,
    principal_for_token,
    principal_for_user,
    reset_password,
    revoke_sessions,
    set_active,
)

__all__ = [
    "ROLES",
    "AuthError",
    "Principal",
    "Scope",
    "UserInfo",
    "add_user",
    "authenticate",
    "can_admin",
    "can_read_enterprise",
    "can_read_zone",
    "can_review",
    "can_submit",
    "create_demo_users",
    "create_token",
    "data_scope",
    "hash_password",
    "needs_rehash",
    "principal_for_token",
    "principal_for_user",
    "reset_password",
    "revoke_sessions",
    "set_active",
    "verify_password",
]
