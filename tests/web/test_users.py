"""The user store: validation of roles and scopes, argon2 passwords, tokens, logout everywhere, demo users."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from hizone.analytics.read import data_version, version_probe
from hizone.auth.passwords import DEFAULT_PROFILE, profile_parameters, verify_password
from hizone.auth.sessions import SessionWith, open_session, session_principal
from hizone.auth.users import (
    AuthError,
    add_user,
    authenticate,
    create_demo_users,
    create_token,
    principal_for_token,
    reset_password,
    revoke_sessions,
    set_active,
)
from hizone.errors import HizoneError
from hizone.store import session_scope
from hizone.store.models import AuditLog, Notice, User, Zone
from hizone.store.notices import unread_count
from tests.web.seed import PASSWORD, Seeded, credit_code, seed


@pytest.fixture
def store(engine: Engine) -> Seeded:
    return seed(engine, with_users=False)


def test_password_is_stored_as_argon2_and_checked(engine: Engine, store: Seeded) -> None:
    add_user(engine, "alice", PASSWORD, "analyst")
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.username == "alice")).one()
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, PASSWORD)
    assert authenticate(engine, "alice", PASSWORD, "test") is not None
    assert authenticate(engine, "alice", "wrong-password!", "test") is None
    assert authenticate(engine, "nobody", PASSWORD, "test") is None
    with Session(engine) as session:
        actions = [a.action for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["user_add", "login", "login_failed", "login_failed"]


def test_scoped_roles_take_their_scope_from_the_store(engine: Engine, store: Seeded) -> None:
    info = add_user(engine, "zed", PASSWORD, "zone", zone="Z4401")
    assert (info.province_code, info.zone_code) == ("44", "Z4401")
    ent = add_user(engine, "ent", PASSWORD, "enterprise", credit_code=store.own_enterprise.lower())
    assert (ent.credit_code, ent.zone_code, ent.province_code) == (store.own_enterprise, "Z1101", "11")


@pytest.mark.parametrize(("role", "scope", "fragment", "problem"), [
    ("boss", {}, "unknown role 'boss'", "unknown_role"),
    ("province", {"province": "99"}, "known province", "unknown_province"),
    ("zone", {}, "known zone code", "unknown_zone"),
    ("zone", {"zone": "Z9999"}, "known zone code", "unknown_zone"),
    ("enterprise", {"credit_code": "123"}, "expected 18", "bad_credit_code"),
    ("enterprise", {"credit_code": credit_code(77)}, "no enterprise", "unknown_enterprise"),
])
def test_bad_roles_and_scopes_are_refused(engine: Engine, store: Seeded, role: str, scope: dict[str, str],
                                          fragment: str, problem: str) -> None:
    with pytest.raises(AuthError, match=fragment) as refused:
        add_user(engine, "bob", PASSWORD, role, **scope)
    assert refused.value.problem == problem
    with Session(engine) as session:
        assert session.scalar(select(User).where(User.username == "bob")) is None


def test_production_hashes_with_rfc_9106_and_a_login_moves_a_hash_to_the_current_profile(
        engine: Engine, store: Seeded) -> None:
    production = profile_parameters(DEFAULT_PROFILE)
    assert (production.memory_cost, production.time_cost, production.parallelism) == (65536, 3, 4)
    with pytest.raises(HizoneError, match=r"HIZONE_PASSWORD_PROFILE.*unknown password hashing profile .FAST."):
        profile_parameters("FAST")
    add_user(engine, "bob", PASSWORD, "analyst")
    strong = PasswordHasher.from_parameters(production).hash(PASSWORD)  # as stored by a production server
    with session_scope(engine) as session:
        session.scalars(select(User).where(User.username == "bob")).one().password_hash = strong
    assert authenticate(engine, "bob", PASSWORD, "test") is not None
    with Session(engine) as session:
        stored = session.scalars(select(User).where(User.username == "bob")).one().password_hash
    assert "m=65536,t=3,p=4" in strong and "m=8,t=1,p=1" in stored  # the suite runs on CHEAPEST
    assert verify_password(stored, PASSWORD) and not verify_password(stored, "wrong-password!")


def test_weak_passwords_bad_names_and_duplicates_are_refused(engine: Engine, store: Seeded) -> None:
    with pytest.raises(AuthError, match="at least 10"):
        add_user(engine, "carol", "short", "admin")
    with pytest.raises(AuthError, match="username"):
        add_user(engine, "c a", PASSWORD, "admin")
    add_user(engine, "carol", PASSWORD, "admin")
    with pytest.raises(AuthError, match="already exists"):
        add_user(engine, "carol", PASSWORD, "admin")


def test_tokens_work_until_logout_everywhere(engine: Engine, store: Seeded) -> None:
    add_user(engine, "bot", PASSWORD, "zone", zone="Z1101")
    token = create_token(engine, "bot", "sync job")
    with Session(engine) as session:
        principal = principal_for_token(session, token)
        assert principal is not None and principal.zone_code == "Z1101"
        assert principal_for_token(session, token + "x") is None
    bot = authenticate(engine, "bot", PASSWORD, "t")
    assert bot is not None and bot.user_id is not None
    laptop, phone = (open_session(engine, bot.user_id, 3600) for _ in range(2))
    revoke_sessions(engine, "bot")
    with Session(engine) as session:
        assert principal_for_token(session, token) is None
        assert session_principal(session, laptop) is None and session_principal(session, phone) is None
    assert authenticate(engine, "bot", PASSWORD, "t") is not None  # the password still works


def test_deactivation_revokes_tokens_for_good_and_a_reset_ends_sessions(engine: Engine, store: Seeded) -> None:
    add_user(engine, "bot", PASSWORD, "zone", zone="Z1101")
    token = create_token(engine, "bot", "sync job")
    bot = authenticate(engine, "bot", PASSWORD, "t")
    assert bot is not None and bot.user_id is not None
    before = open_session(engine, bot.user_id, 3600)
    set_active(engine, "bot", False, actor="admin1")
    assert authenticate(engine, "bot", PASSWORD, "t") is None
    set_active(engine, "bot", True, actor="admin1")
    with Session(engine) as session:
        assert principal_for_token(session, token) is None  # reactivation does not revive old tokens
        assert session_principal(session, before) is None  # nor old sessions
    after = open_session(engine, bot.user_id, 3600)
    reset_password(engine, "bot", "another-passphrase", actor="admin1")
    assert authenticate(engine, "bot", PASSWORD, "t") is None
    assert authenticate(engine, "bot", "another-passphrase", "t") is not None
    with Session(engine) as session:
        assert session_principal(session, after) is None  # the reset ended the session
    with pytest.raises(AuthError, match="at least 10"):
        reset_password(engine, "bot", "short", actor="admin1")
    with pytest.raises(AuthError, match="your own account"):
        set_active(engine, "bot", False, actor="bot")
    with Session(engine) as session:
        changes = [(a.actor, a.action) for a in session.scalars(select(AuditLog).where(AuditLog.object_id == "bot")
                                                                .where(AuditLog.action.like("user_%") |
                                                                       (AuditLog.action == "password_reset")))]
    assert changes == [("cli", "user_add"), ("admin1", "user_deactivate"), ("admin1", "user_activate"),
                       ("admin1", "password_reset")]


def test_demo_users_cover_every_role_and_can_log_in(engine: Engine, store: Seeded) -> None:
    created = create_demo_users(engine)
    assert [role for _, _, role, _ in created] == ["admin", "analyst", "province", "zone", "enterprise"]
    assert len({password for _, password, _, _ in created}) == 5
    for username, password, role, _ in created:
        result = authenticate(engine, username, password, "t")
        assert result is not None and result.role == role
    zone_user = next(c for c in created if c[2] == "zone")
    assert zone_user[3] == "zone Z1101"
    again = create_demo_users(engine)  # re-running resets the passwords instead of failing
    assert authenticate(engine, again[0][0], again[0][1], "t") is not None
    assert authenticate(engine, created[0][0], created[0][1], "t") is None


def test_a_session_read_with_the_data_version_gives_both_as_the_separate_reads_do(engine: Engine,
                                                                                    store: Seeded) -> None:
    """A page's session and data version come in one statement: the same principal (none for an ended
    session) and the same version as reading them one by one, and the version moves with a change."""
    add_user(engine, "bot", PASSWORD, "zone", zone="Z1101")
    bot = authenticate(engine, "bot", PASSWORD, "t")
    assert bot is not None and bot.user_id is not None
    token = open_session(engine, bot.user_id, 3600)
    with session_scope(engine) as session:  # two notices, one of them read: the badge counts one
        session.add_all([Notice(user_id=bot.user_id, subject_zh="甲", subject_en="a", body_zh="", body_en=""),
                         Notice(user_id=bot.user_id, subject_zh="乙", subject_en="b", body_zh="", body_en="",
                                read_at=dt.datetime.now(dt.UTC))])
    probe = version_probe(engine)
    session_with = SessionWith(probe)  # (the web adds the zone its rule checks: web.security.session_read)
    with engine.connect() as conn:
        principal, unread, version = session_with(conn, token)
        assert principal == session_principal(conn, token) and principal is not None
        assert principal.zone_code == "Z1101" and version == data_version(engine, probe)
        assert unread == unread_count(engine, bot.user_id) == 1
    add_user(engine, "other", PASSWORD, "analyst")  # a login's audit row moves nothing the pages show
    set_active(engine, "bot", False, actor="admin1")
    with engine.begin() as conn:
        conn.execute(insert(Zone).values(code="Z9901", name_zh="新区", name_en="New", province_code="11",
                                         city="北京", approved_year=2024, source="test"))
    with engine.connect() as conn:
        ended, _, moved = session_with(conn, token)
    assert ended is None and moved == data_version(engine, probe) and moved != version
