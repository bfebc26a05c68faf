"""The user store: add users, check passwords, issue API tokens, log out everywhere; all audited."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from hizone.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from hizone.auth.policy import ROLES, Principal
from hizone.auth.sessions import digest, end_all_sessions, issue_unlock, unlock_user, use_unlock
from hizone.errors import HizoneError, RegistryError
from hizone.registry import validate_credit_code
from hizone.store import session_scope
from hizone.store.models import ApiToken, AuditLog, Carrier, Enterprise, Province, User, Zone

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
UNLOCK_MAIL_INTERVAL = dt.timedelta(minutes=10)  # at most one unlock mail per user in this time
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "hzt_"


class AuthError(HizoneError):
    """A user-management mistake (unknown role, bad scope, weak password, duplicate user).

    ``problem`` names the kind of mistake (the web pages translate it) and ``value`` what was given.
    """

    def __init__(self, reason: str, where: str, problem: str, value: str = "") -> None:
        super().__init__(reason, where=where)
        self.problem = problem
        self.value = value


@dataclass(frozen=True)
class UserInfo:
    username: str
    role: str
    province_code: str | None
    zone_code: str | None
    credit_code: str | None
    email: str | None = None


def audit(session: Session, actor: str, action: str, kind: str, object_id: str, **detail: object) -> None:
    session.add(AuditLog(actor=actor or "anonymous", action=action, object_kind=kind, object_id=object_id,
                         detail=detail))


def _check_scope(session: Session, role: str, province: str | None, zone: str | None,
                 credit_code: str | None) -> tuple[str | None, str | None, str | None]:
    """The (province, zone, credit code) a role needs, checked against the store."""
    if role not in ROLES:
        raise AuthError(f"unknown role '{role}' (one of {', '.join(ROLES)})", where="--role",
                        problem="unknown_role", value=role)
    if role == "province":
        if not province or session.get(Province, province) is None:
            raise AuthError(f"role province needs a known province code, got '{province or ''}'",
                            where="--province", problem="unknown_province", value=province or "")
        return province, None, None
    if role == "zone":
        found = session.get(Zone, zone) if zone else None
        if found is None:
            raise AuthError(f"role zone needs a known zone code, got '{zone or ''}'", where="--zone",
                            problem="unknown_zone", value=zone or "")
        return found.province_code, found.code, None
    if role == "enterprise":
        code = _valid_credit_code(credit_code or "")
        enterprise = session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
        carrier = session.scalar(select(Carrier).where(Carrier.code == code)) if enterprise is None else None
        if carrier is not None:  # an incubation carrier's operator (outside any national zone: zone None)
            return carrier.province_code, carrier.zone_code, code
        if enterprise is None:
            raise AuthError(f"no enterprise or carrier with credit code '{code}' in the store", where="--credit-code",
                            problem="unknown_enterprise", value=code)
        zone_row = session.get(Zone, enterprise.zone_code)
        return (zone_row.province_code if zone_row else None), enterprise.zone_code, code
    return None, None, None


def _valid_credit_code(credit_code: str) -> str:
    try:
        return validate_credit_code(credit_code, where="--credit-code")
    except RegistryError as error:
        raise AuthError(error.reason, where="--credit-code", problem="bad_credit_code", value=credit_code) from None


def _check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise AuthError("username must be 3–64 letters, digits or . _ @ -", where="USERNAME",
                        problem="bad_username", value=username)


def check_email(email: str | None) -> str | None:
    """A plausible address (or None for none); the mail server decides whether it exists."""
    if not email:
        return None
    if len(email) > 254 or not EMAIL.match(email):
        raise AuthError(f"'{email}' is not an email address", where="--email", problem="bad_email", value=email)
    return email


def check_password(password: str) -> None:
    """The password policy: at least MIN_PASSWORD_LENGTH characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password must have at least {MIN_PASSWORD_LENGTH} characters", where="password",
                        problem="short_password")


def _existing_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AuthError(f"no user '{username}'", where="USERNAME", problem="no_user", value=username)
    return user


def add_user(engine: Engine, username: str, password: str, role: str, *, province: str | None = None,
             zone: str | None = None, credit_code: str | None = None, email: str | None = None,
             actor: str = "cli", replace_password: bool = False) -> UserInfo:
    """Create a user (or, with replace_password, reset an existing user's password and scope, ending their
    sessions); ``email`` receives login unlock links."""
    _check_username(username)
    check_password(password)
    email = check_email(email)
    with session_scope(engine) as session:
        prov, zone_code, code = _check_scope(session, role, province, zone, credit_code)
        user = session.scalar(select(User).where(User.username == username))
        if user is not None and not replace_password:
            raise AuthError(f"user '{username}' already exists", where="USERNAME", problem="duplicate_user",
                            value=username)
        if user is None:
            user = User(username=username, password_hash="", role=role, active=True)
            session.add(user)
            session.flush()
        else:
            _end_sessions(session, user)
        user.password_hash = hash_password(password)
        user.role, user.province_code, user.zone_code, user.credit_code = role, prov, zone_code, code
        user.email = email or user.email
        audit(session, actor, "user_add", "user", username, role=role, province=prov, zone=zone_code,
              credit_code=code, email=user.email)
        return UserInfo(username, role, prov, zone_code, code, user.email)


def principal_for_user(user: User) -> Principal:
    return Principal(username=user.username, role=user.role, province_code=user.province_code,
                     zone_code=user.zone_code, credit_code=user.credit_code, user_id=user.id)


def authenticate(engine: Engine, username: str, password: str, client: str,
                 unlock: str | None = None) -> Principal | None:
    """The principal for a right password of an active user, else None; audited both ways. A login that
    came through an unlock link (``unlock``, already checked to be this user's) uses the link up."""
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        ok = verify_password(user.password_hash if user else DUMMY_HASH, password)
        if user is None or not ok or not user.active:
            audit(session, username[:64], "login_failed", "user", username[:64], client=client)
            return None
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        unlocked = unlock is not None and use_unlock(session, unlock)
        audit(session, user.username, "login", "user", user.username, client=client,
              **({"unlock_link": True} if unlocked else {}))
        return principal_for_user(user)


def unlock_link_user(engine: Engine, token: str, max_age_seconds: int) -> str | None:
    """The username of an unused, unexpired unlock token, else None."""
    with Session(engine) as session:
        return unlock_user(session, token, max_age_seconds)


def request_unlock(engine: Engine, username: str, client: str) -> tuple[str, str] | None:
    """(email, token) for a new unlock link, or None: no such active user, no email address, or a link was
    mailed less than UNLOCK_MAIL_INTERVAL ago (so nobody can flood a user's mailbox). Audited when issued."""
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username, User.active))
        if user is None or not user.email:
            return None
        since = dt.datetime.now(dt.UTC) - UNLOCK_MAIL_INTERVAL
        recent = session.scalar(select(func.count()).where(AuditLog.at > since, AuditLog.action == "unlock_mail",
                                                           AuditLog.object_id == user.username))
        if recent:
            return None
        token = issue_unlock(session, user.id)
        audit(session, "anonymous", "unlock_mail", "user", user.username, client=client)
        return user.email, token


def _end_sessions(session: Session, user: User) -> None:
    """Every session and API token of the user stops working."""
    end_all_sessions(session, user.id)
    session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=dt.datetime.now(dt.UTC)))


def revoke_sessions(engine: Engine, username: str, actor: str | None = None) -> None:
    """Log out everywhere (by the user, or by ``actor`` on the user's behalf)."""
    with session_scope(engine) as session:
        user = _existing_user(session, username)
        _end_sessions(session, user)
        audit(session, actor or username, "logout_all", "user", username)


def set_active(engine: Engine, username: str, active: bool, actor: str) -> None:
    """Deactivate (which also ends the user's sessions and tokens) or reactivate a user."""
    with session_scope(engine) as session:
        user = _existing_user(session, username)
        if not active and user.username == actor:
            raise AuthError("you cannot deactivate your own account", where="USERNAME", problem="deactivate_self",
                            value=username)
        user.active = active
        if not active:
            _end_sessions(session, user)
        audit(session, actor, "user_activate" if active else "user_deactivate", "user", username)


def reset_password(engine: Engine, username: str, password: str, actor: str) -> None:
    """A new password; the user's sessions and tokens end, so the old password's sessions do not survive."""
    check_password(password)
    with session_scope(engine) as session:
        user = _existing_user(session, username)
        user.password_hash = hash_password(password)
        _end_sessions(session, user)
        audit(session, actor, "password_reset", "user", username)


def create_token(engine: Engine, username: str, name: str, actor: str = "cli") -> str:
    """A new bearer token for a user; only its digest is stored, so it is shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise AuthError(f"no active user '{username}'", where="USERNAME", problem="no_user", value=username)
        session.add(ApiToken(user_id=user.id, name=name[:64], token_sha256=digest(token)))
        audit(session, actor, "token_create", "user", username, name=name[:64])
    return token


def principal_for_token(session: Session, token: str) -> Principal | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(
        select(User).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_sha256 == digest(token), ApiToken.revoked_at.is_(None), User.active)
    ).scalar_one_or_none()
    return principal_for_user(row) if row is not None else None


def _demo_password() -> str:
    return secrets.token_urlsafe(12)


def create_demo_users(engine: Engine) -> list[tuple[str, str, str, str]]:
    """One user per role for the demo, with fresh random passwords: (username, password, role, scope).

    Scoped roles take the first zone (by code) that has enterprises, its province and its first
    enterprise, so each demo user sees real data; roles whose scope the store cannot supply are left out.
    """
    with session_scope(engine) as session:
        enterprise = session.scalar(select(Enterprise).order_by(Enterprise.zone_code, Enterprise.credit_code)
                                    .limit(1))
        zone = (session.get(Zone, enterprise.zone_code) if enterprise
                else session.scalar(select(Zone).order_by(Zone.code).limit(1)))
    plan: list[tuple[str, str, dict[str, str | None], str]] = [
        ("admin", "admin", {}, "national"),
        ("analyst", "analyst", {}, "national"),
    ]
    if zone is not None:
        plan.append(("province", "province", {"province": zone.province_code}, f"province {zone.province_code}"))
        plan.append(("zone", "zone", {"zone": zone.code}, f"zone {zone.code}"))
    if enterprise is not None:
        plan.append(("enterprise", "enterprise", {"credit_code": enterprise.credit_code},
                     f"enterprise {enterprise.credit_code}"))
    created = []
    for username, role, scope, label in plan:
        password = _demo_password()
        add_user(engine, f"demo-{username}", password, role, actor="demo", replace_password=True, **scope)
        created.append((f"demo-{username}", password, role, label))
    return created
