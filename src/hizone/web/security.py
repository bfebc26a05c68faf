"""Sessions, CSRF, API tokens and the access rules every route declares.

Each route depends on exactly one ``Rule`` (public, logged_in, admin, national, analytic_sql, reviewer,
submitter, zone, enterprise, submission). The rule resolves the caller (session cookie or bearer token), checks
CSRF on state-changing cookie-authenticated requests, and answers 401/403/404 before the route runs.
What a role may do is decided by ``hizone.auth.policy``; a rule only finds the object and asks it.
The role × endpoint matrix test finds the rule of every route by walking ``app.routes``.

Rules are plain functions to FastAPI, so it runs them in its threadpool: their queries (the session, the
zone, the submission) never block the event loop, and requests are checked side by side.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, Engine, Select, and_, bindparam, func, select
from sqlalchemy.orm import Session

from hizone.auth.policy import (
    Principal,
    can_admin,
    can_link_contest_team,
    can_query_analytic_tables,
    can_read_bulletins,
    can_read_carrier,
    can_read_enterprise,
    can_read_province,
    can_read_zone,
    can_review_bulletins,
    can_run_contests,
    can_see_alert,
    can_see_own_points,
    may_attach_contest_documents,
    may_follow_contest_entrants,
    may_judge,
    may_list_zones,
    may_read_contest_scores,
    may_review,
    may_submit,
)
from hizone.auth.sessions import SessionWith, session_principal
from hizone.auth.users import principal_for_token
from hizone.store.db import read_connection
from hizone.store.models import AuditLog, Carrier, Enterprise, Province, Submission, Zone
from hizone.text import ascii_digits

SESSION_COOKIE = "hizone_session"
CSRF_COOKIE = "hizone_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class AuthProblem(HTTPException):
    """401/403 with a message key the error pages translate."""

    def __init__(self, status: int, key: str, detail: str) -> None:
        super().__init__(status_code=status, detail=detail)
        self.key = key


@dataclass
class Caller:
    principal: Principal
    via: str  # "session", "token" or "anonymous"
    session_expired: bool = False
    unread_notices: int | None = None  # read along with a page's session (None: not read)


class SessionCodec:
    """Signed, timed cookies and links (itsdangerous): the session cookie carries the server-side session's
    token, the CSRF cookie an anonymous visitor's token, an unlock link its token. A logged-in page's CSRF
    token is derived from its session (an HMAC), so it is worthless with any other session."""

    def __init__(self, secret: str, max_age: int, unlock_max_age: int = 30 * 60) -> None:
        self.max_age, self.unlock_max_age = max_age, unlock_max_age
        self._key = hashlib.sha256(f"hizone-csrf-binding:{secret}".encode()).digest()
        self._session = URLSafeTimedSerializer(secret, salt="hizone-session")
        self._csrf = URLSafeTimedSerializer(secret, salt="hizone-csrf")
        self._unlock = URLSafeTimedSerializer(secret, salt="hizone-unlock")

    def issue(self, session_token: str) -> str:
        return self._session.dumps({"s": session_token})

    def read(self, cookie: str | None) -> tuple[str | None, bool]:
        """(session token, expired)."""
        if not cookie:
            return None, False
        try:
            payload = self._session.loads(cookie, max_age=self.max_age)
        except SignatureExpired:
            return None, True
        except BadSignature:
            return None, False
        token = payload.get("s") if isinstance(payload, dict) else None
        return (token if isinstance(token, str) else None), False

    def session_csrf(self, session_token: str) -> str:
        return hmac.new(self._key, session_token.encode(), hashlib.sha256).hexdigest()

    def new_csrf(self) -> tuple[str, str]:
        """(token for forms, signed cookie value) for a visitor without a session."""
        token = secrets.token_urlsafe(24)
        return token, self._csrf.dumps(token)

    def read_csrf(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            value = self._csrf.loads(cookie)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def sign_unlock(self, token: str) -> str:
        return self._unlock.dumps(token)

    def read_unlock(self, signed: str) -> str | None:
        """The unlock token of a link signed by us and younger than ``unlock_max_age``, else None."""
        try:
            value = self._unlock.loads(signed, max_age=self.unlock_max_age)
        except BadSignature:  # SignatureExpired included
            return None
        return value if isinstance(value, str) else None


def session_cookie(request: Request) -> tuple[str | None, bool]:
    """(session token, expired) of the request's session cookie, its signature checked once per request (the
    CSRF check and the caller both ask)."""
    found = getattr(request.state, "session_cookie", None)
    if found is None:
        found = request.app.state.sessions.read(request.cookies.get(SESSION_COOKIE))
        request.state.session_cookie = found
    return found


def expected_csrf(request: Request) -> str | None:
    """The CSRF token this request's forms carry: its session's, else the visitor's cookie's."""
    sessions: SessionCodec = request.app.state.sessions
    session_token, _ = session_cookie(request)
    if session_token is not None:
        return sessions.session_csrf(session_token)
    return sessions.read_csrf(request.cookies.get(CSRF_COOKIE))


@dataclass(frozen=True)
class Backoff:
    """``free`` failures within ``lookback`` cost nothing; each one after them doubles the wait after the
    latest failure, from ``base`` up to ``cap``. A guesser is slowed to a few tries an hour while the owner,
    once the guessing stops (or through a mailed unlock link), gets in."""

    free: int
    base: dt.timedelta
    cap: dt.timedelta
    lookback: dt.timedelta

    def wait(self, count: int, latest: dt.datetime | None, now: dt.datetime) -> int:
        """Whole seconds until the next attempt is allowed (0: now)."""
        if latest is None or count < self.free:
            return 0
        delay = min(self.cap, self.base * 2 ** min(count - self.free, 32))
        return max(0, math.ceil((delay - (now - latest)).total_seconds()))


ACCOUNT_BACKOFF = Backoff(free=5, base=dt.timedelta(minutes=1), cap=dt.timedelta(hours=1),
                          lookback=dt.timedelta(days=1))
ADDRESS_BACKOFF = Backoff(free=5, base=dt.timedelta(minutes=1), cap=dt.timedelta(minutes=30),
                          lookback=dt.timedelta(hours=6))


class LoginLimiter:
    """Failed logins slow further attempts per account and per client address, with exponential backoff.

    The failures are the audit log's ``login_failed`` rows (written by ``authenticate``), so every process
    serving the same store shares the count; refused attempts write nothing, so waiting does not grow the
    wait. A successful login forgives its account's earlier failures (not its address's, or a guesser could
    reset the count with an account of their own).
    """

    def __init__(self, engine: Engine, account: Backoff = ACCOUNT_BACKOFF, address: Backoff = ADDRESS_BACKOFF) -> None:
        self.engine, self.account, self.address = engine, account, address

    def retry_after(self, username: str, client: str, *, check_account: bool = True) -> int:
        """Seconds until another attempt is allowed (0 when allowed now); an unlock link skips the account."""
        now = dt.datetime.now(dt.UTC)
        with Session(self.engine) as session:
            recent = self._by_client(client, now - self.address.lookback)
            by_client = self.address.wait(*self._failures(session, recent), now)
            if not check_account:
                return by_client
            since = now - self.account.lookback
            by_user = self.account.wait(*self._failures(session, self._by_username(session, username, since)), now)
        return max(by_user, by_client)

    @staticmethod
    def _by_username(session: Session, username: str, since: dt.datetime) -> ColumnElement[bool]:
        name = username[:64].lower()
        # Every condition starts from the window, so the index on the log's time keeps these queries short.
        last_login = session.scalar(select(func.max(AuditLog.at)).where(
            AuditLog.at > since, AuditLog.action == "login", func.lower(AuditLog.object_id) == name))
        if last_login is not None:
            since = max(since, _utc(last_login))
        return and_(AuditLog.at > since, AuditLog.action == "login_failed", func.lower(AuditLog.object_id) == name)

    @staticmethod
    def _by_client(client: str, since: dt.datetime) -> ColumnElement[bool]:
        return and_(AuditLog.at > since, AuditLog.action == "login_failed",
                    AuditLog.detail["client"].as_string() == client)

    @staticmethod
    def _failures(session: Session, where: ColumnElement[bool]) -> tuple[int, dt.datetime | None]:
        """How many failures match, and the latest one's time."""
        count, latest = session.execute(select(func.count(), func.max(AuditLog.at)).where(where)).one()
        return int(count or 0), (_utc(latest) if latest is not None else None)


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; the store writes UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def db(request: Request) -> Session:
    """A session on the app's engine for the duration of a dependency resolution."""
    return Session(request.app.state.engine)


def resolve_caller(request: Request, zone_param: str | None = None) -> Caller:
    """The caller; ``zone_param``: the path parameter naming the zone the route's rule checks, whose province a
    page's session read brings along (``zone_provinces``)."""
    cached = getattr(request.state, "caller", None)
    if isinstance(cached, Caller):
        return cached
    caller = _resolve(request, str(request.path_params.get(zone_param, "")) if zone_param else None)
    request.state.caller = caller
    return caller


def session_read(probe: Select[Any]) -> SessionWith:
    """A page's session read: its user, the data version (``probe``) and the province of the zone named by the
    ``code`` parameter (NULL for none, or no such zone), in one statement."""
    return SessionWith(probe.add_columns(_ZONE_PROVINCE.scalar_subquery()))


def _resolve(request: Request, zone_code: str | None = None) -> Caller:
    header = request.headers.get("authorization", "")
    engine: Engine = request.app.state.engine
    if header:
        scheme, _, token = header.partition(" ")
        with Session(engine) as session:
            principal = principal_for_token(session, token.strip()) if scheme.lower() == "bearer" else None
        if principal is None:
            raise AuthProblem(401, "error.bad_token", "invalid or revoked API token")
        return Caller(principal, "token")
    session_token, expired = session_cookie(request)
    if session_token is None:
        return Caller(Principal.public(), "anonymous", session_expired=expired)
    unread: int | None = None
    with read_connection(engine) as conn:  # every page asks: a plain connection, not an ORM session
        if request.method in SAFE_METHODS:  # a page read, not a change: its header's badge and the data version
            # it is shown at come along (one round trip, not three)
            principal, unread, row = request.app.state.session_read(conn, session_token, {"code": zone_code})
            request.state.data_version = row[:-1]
            if zone_code is not None:  # the zone's rule asks no second time
                request.state.zone_provinces = {zone_code: row[-1]}
        else:
            principal = session_principal(conn, session_token)
    if principal is None:
        # Logged out (here or everywhere) or deactivated since this cookie was issued.
        return Caller(Principal.public(), "anonymous", session_expired=True)
    return Caller(principal, "session", unread_notices=unread)


async def sent_csrf(request: Request) -> str | None:
    """The CSRF token a state-changing request echoes (header, else form field); reading the form needs the
    event loop, so this part of a rule is a coroutine (it queries nothing)."""
    if request.method in SAFE_METHODS:
        return None
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent


def check_csrf(request: Request, sent: str | None) -> None:
    """State-changing requests carrying cookies must echo their session's CSRF token (form field or header)."""
    expected = expected_csrf(request)
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise AuthProblem(403, "error.csrf", "missing or forged CSRF token: reload the page and try again")


Check = Callable[[Request, Principal], None]


class Rule:
    """A FastAPI dependency stating who may call a route; returns the caller's Principal."""

    def __init__(self, name: str, check: Check, needs_login: bool = True, zone_param: str | None = None) -> None:
        self.name = name
        self.check = check
        self.needs_login = needs_login
        self.zone_param = zone_param  # the path parameter of the zone ``check`` reads (read with the session)

    def __call__(self, request: Request, csrf: Annotated[str | None, Depends(sent_csrf)]) -> Principal:
        caller = resolve_caller(request, self.zone_param)
        if request.method not in SAFE_METHODS and caller.via != "token":
            check_csrf(request, csrf)
        principal = caller.principal
        if self.needs_login and not principal.is_authenticated:
            if caller.session_expired:
                raise AuthProblem(401, "error.session_expired", "your session has expired: log in again")
            raise AuthProblem(401, "error.login_required", "log in to see this page")
        self.check(request, principal)
        return principal

    def __repr__(self) -> str:
        return f"Rule({self.name})"


def _deny(principal: Principal) -> None:
    raise AuthProblem(403, "error.forbidden", f"role '{principal.role}' may not access this")


def _not_found(what: str, key: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"no {what} '{key}'")


def _allow(_request: Request, _principal: Principal) -> None:
    return None


def _requires(allowed: Callable[[Principal], bool]) -> Check:
    def check(_request: Request, principal: Principal) -> None:
        if not allowed(principal):
            _deny(principal)
    return check


_ZONE_PROVINCE = select(Zone.province_code).where(Zone.code == bindparam("code"))  # built once: every profile asks


def _zone_check(param: str) -> Check:
    def check(request: Request, principal: Principal) -> None:
        code = str(request.path_params.get(param, ""))
        known: dict[str, str | None] = getattr(request.state, "zone_provinces", {})
        if code in known:  # read along with this request's session, in the same statement
            province_code = known[code]
        else:
            with read_connection(request.app.state.engine) as conn:
                province_code = conn.execute(_ZONE_PROVINCE, {"code": code}).scalar()
        if province_code is None:
            raise _not_found("zone", code)
        if not can_read_zone(principal, code, province_code):
            _deny(principal)
    return check


def _province_check(param: str) -> Check:
    """A province's own figures (its reports): the national roles and the province's department."""
    def check(request: Request, principal: Principal) -> None:
        code = str(request.path_params.get(param, ""))
        with Session(request.app.state.engine) as session:
            if session.get(Province, code) is None:
                raise _not_found("province", code)
        if not can_read_province(principal, code):
            _deny(principal)
    return check


def _enterprise_check(param: str) -> Check:
    def check(request: Request, principal: Principal) -> None:
        code = str(request.path_params.get(param, ""))
        with Session(request.app.state.engine) as session:
            row = session.execute(select(Enterprise.zone_code, Zone.province_code)
                                  .join(Zone, Zone.code == Enterprise.zone_code)
                                  .where(Enterprise.credit_code == code)).first()
        if row is None:
            raise _not_found("enterprise", code)
        if not can_read_enterprise(principal, code, row.zone_code, row.province_code):
            _deny(principal)
    return check


def _entity_check(param: str) -> Check:
    """A report's entity: a zone code (zone forms) or an enterprise's credit code (enterprise forms)."""
    zone_check, enterprise_check = _zone_check(param), _enterprise_check(param)

    def check(request: Request, principal: Principal) -> None:
        key = str(request.path_params.get(param, ""))
        with Session(request.app.state.engine) as session:
            is_zone = session.get(Zone, key) is not None
        (zone_check if is_zone else enterprise_check)(request, principal)
    return check


def _submission_check(param: str) -> Check:
    def check(request: Request, principal: Principal) -> None:
        raw = str(request.path_params.get(param, ""))
        if not is_row_id(raw):
            raise HTTPException(status_code=404, detail=f"no submission '{raw}'")
        with Session(request.app.state.engine) as session:
            row = session.execute(select(Submission.entity_key, Submission.zone_code, Zone.province_code)
                                  .join(Zone, Zone.code == Submission.zone_code)
                                  .where(Submission.id == int(raw))).first()
        if row is None:
            raise _not_found("submission", raw)
        if not can_read_enterprise(principal, row.entity_key, row.zone_code, row.province_code):
            _deny(principal)
    return check


def _submission_step_check(param: str) -> Check:
    """A workflow step on a submission: a reviewing role (which steps and forms: the workflow, in
    intake.service.transition), on a submission it may read."""
    readable = _submission_check(param)

    def check(request: Request, principal: Principal) -> None:
        if not may_review(principal):
            _deny(principal)
        readable(request, principal)
    return check


def is_row_id(raw: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts '²' and other digits int() refuses."""
    return ascii_digits(raw) and len(raw) <= 18


def _alert_check(param: str) -> Check:
    def check(request: Request, principal: Principal) -> None:
        from hizone.store.models import Alert

        raw = str(request.path_params.get(param, ""))
        if not is_row_id(raw):
            raise HTTPException(status_code=404, detail=f"no alert '{raw}'")
        with Session(request.app.state.engine) as session:
            alert = session.get(Alert, int(raw))
            provinces = {z.code: z.province_code for z in session.scalars(select(Zone))}
        if alert is None:
            raise _not_found("alert", raw)
        if not can_see_alert(principal, alert.level, alert.entity_key, provinces):
            _deny(principal)
    return check


# The rules. Every route names one of these (or a scoped rule built by zone()/enterprise()/submission()).
public = Rule("public", _allow, needs_login=False)
logged_in = Rule("logged_in", _allow)
admin = Rule("admin", _requires(can_admin))
national = Rule("national", _requires(lambda p: p.is_national))
analytic_sql = Rule("analytic_sql", _requires(can_query_analytic_tables))  # the /sql page over the analytic tables
reviewer = Rule("reviewer", _requires(may_review))
submitter = Rule("submitter", _requires(may_submit))
scoped = Rule("scoped", _requires(may_list_zones))  # lists filtered by zone scope
bulletin_reader = Rule("bulletin_reader", _requires(can_read_bulletins))  # published bulletins and their facts
bulletin_reviewer = Rule("bulletin_reviewer", _requires(can_review_bulletins))  # the facts' review
contests = Rule("contests", _requires(can_run_contests))  # run a contest: entries, judges, advancing
judge = Rule("judge", _requires(may_judge))  # score (the entries assigned: the contests service checks)
contest_scores = Rule("contest_scores", _requires(may_read_contest_scores))  # a judge: its own scores only
contest_tracking = Rule("contest_tracking", _requires(may_follow_contest_entrants))  # entrants in scope only
contest_documents = Rule("contest_documents", _requires(may_attach_contest_documents))  # an enterprise: its own
contest_links = Rule("contest_links", _requires(can_link_contest_team))  # a team's entry to its enterprise


def _zone_points_check(param: str) -> Check:
    """A zone's innovation points: its readers, and an enterprise of the zone (which then sees its own row)."""
    readers = _zone_check(param)

    def check(request: Request, principal: Principal) -> None:
        if principal.role != "enterprise":
            readers(request, principal)
            return
        with request.app.state.engine.connect() as conn:
            own = conn.execute(select(Enterprise.zone_code).where(Enterprise.credit_code == principal.credit_code))
            if not can_see_own_points(principal, own.scalar(), str(request.path_params.get(param, ""))):
                _deny(principal)
    return check


def _carrier_check(param: str) -> Check:
    """An incubation carrier: as its zone's detail; outside any zone, its province's and the national roles."""
    def check(request: Request, principal: Principal) -> None:
        code = str(request.path_params.get(param, ""))
        with read_connection(request.app.state.engine) as conn:
            row = conn.execute(select(Carrier.zone_code, Carrier.province_code).where(Carrier.code == code)).first()
        if row is None:
            raise _not_found("carrier", code)
        if not can_read_carrier(principal, row.zone_code or "", row.province_code):
            _deny(principal)
    return check


def carrier(param: str = "carrier_code") -> Rule:
    return Rule(f"carrier:{param}", _carrier_check(param))


def zone(param: str = "zone_code") -> Rule:
    return Rule(f"zone:{param}", _zone_check(param), zone_param=param)


def province(param: str = "province_code") -> Rule:
    return Rule(f"province:{param}", _province_check(param))


def zone_points(param: str = "zone_code") -> Rule:
    return Rule(f"zone_points:{param}", _zone_points_check(param))


def enterprise(param: str = "credit_code") -> Rule:
    return Rule(f"enterprise:{param}", _enterprise_check(param))


def entity(param: str = "entity_key") -> Rule:
    return Rule(f"entity:{param}", _entity_check(param))


def alert(param: str = "alert_id") -> Rule:
    return Rule(f"alert:{param}", _alert_check(param))


def submission(param: str = "submission_id") -> Rule:
    return Rule(f"submission:{param}", _submission_check(param))


def submission_step(param: str = "submission_id") -> Rule:
    return Rule(f"submission_step:{param}", _submission_step_check(param))


# Route parameter types: `principal: ZoneReader` both declares the rule and receives the caller.
Public = Annotated[Principal, Depends(public)]
LoggedIn = Annotated[Principal, Depends(logged_in)]
Admin = Annotated[Principal, Depends(admin)]
AnalyticSql = Annotated[Principal, Depends(analytic_sql)]
Reviewer = Annotated[Principal, Depends(reviewer)]
Submitter = Annotated[Principal, Depends(submitter)]
Scoped = Annotated[Principal, Depends(scoped)]
BulletinReader = Annotated[Principal, Depends(bulletin_reader)]
BulletinReviewer = Annotated[Principal, Depends(bulletin_reviewer)]
Contests = Annotated[Principal, Depends(contests)]
Judge = Annotated[Principal, Depends(judge)]
ContestScores = Annotated[Principal, Depends(contest_scores)]
ContestTracking = Annotated[Principal, Depends(contest_tracking)]
ContestDocuments = Annotated[Principal, Depends(contest_documents)]
ContestLinks = Annotated[Principal, Depends(contest_links)]
ZoneReader = Annotated[Principal, Depends(zone())]
CarrierReader = Annotated[Principal, Depends(carrier())]
ProvinceReader = Annotated[Principal, Depends(province())]
ZonePointsReader = Annotated[Principal, Depends(zone_points())]
EnterpriseReader = Annotated[Principal, Depends(enterprise())]
EntityReader = Annotated[Principal, Depends(entity())]
SubmissionReader = Annotated[Principal, Depends(submission())]
SubmissionStep = Annotated[Principal, Depends(submission_step())]
AlertHandler = Annotated[Principal, Depends(alert())]
