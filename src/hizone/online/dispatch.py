"""Send the day's reminders: in-app notices and e-mail, at most one a day per user, each one logged.

The store and mail side of ``hizone.online.reminders``. Who is reminded: the reporter's own users (an
enterprise's for its reports, a zone committee's for the zone's forms) and, after the deadline, the level that
chases the missing (the zone's committee for its enterprises, the province's department for its zones); active
users only, the national roles never. A user already
reminded on the day (any row of the reminder log for it) is skipped: a second run on the same day sends nothing.
The notice and its log rows are committed before the mail is sent; a mail that fails is logged as failed, and the
run goes on with the next user.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from hizone.catalog import Catalog, default_catalog
from hizone.config import MailSettings
from hizone.intake.completeness import completeness
from hizone.mail import MailError, send_mail
from hizone.online.calendar import Calendar, default_calendars
from hizone.online.reminders import Due, Item, Message, ReminderRules, compose, due_on
from hizone.store import session_scope
from hizone.store.models import Notice, ReminderLog, User, Zone, utcnow

log = logging.getLogger(__name__)
Sender = Callable[[MailSettings, str, str, str], None]
IN_APP, EMAIL = "in_app", "email"


@dataclass(frozen=True)
class Recipient:
    user_id: int
    username: str
    email: str | None


@dataclass
class Outcome:
    """What a run did (or, dry, would do): per user, the items and each channel's result."""

    day: dt.date
    due: list[Due]
    reminded: dict[str, list[Item]] = field(default_factory=dict)  # username -> items
    results: dict[str, dict[str, str]] = field(default_factory=dict)  # username -> channel -> result
    already: list[str] = field(default_factory=list)  # reminded earlier the same day: skipped

    def count(self, channel: str, result: str = "sent") -> int:
        return sum(1 for r in self.results.values() if r.get(channel) == result)


def _users(engine: Engine, role: str, column: Any, keys: set[str]) -> dict[str, list[Recipient]]:
    """The active users of ``role`` tied to each of ``keys`` (by ``column``: credit, zone or province code)."""
    found: dict[str, list[Recipient]] = {}
    if not keys:
        return found
    # The role's users, filtered here: far fewer than the keys (every open reporter, up to 200,000), which an
    # IN list would have to carry.
    with engine.connect() as conn:
        for user_id, name, email, key in conn.execute(
                select(User.id, User.username, User.email, column)
                .where(User.role == role, User.active.is_(True), column.is_not(None)).order_by(User.username)):
            if key in keys:
                found.setdefault(str(key), []).append(Recipient(user_id, name, email or None))
    return found


def _recipients(engine: Engine, entity: str, due: Due, targets: dict[str, str],
                zones: dict[str, str]) -> dict[str, list[Recipient]]:
    """Per entity key: its own users (an enterprise's; a zone committee's for zone forms) and, once the deadline
    has passed, the level that chases it (the zone's committee for its enterprises, the province's department
    for its zones). ``targets``: key -> zone code; ``zones``: zone code -> province code."""
    if entity == "enterprise":
        found = _users(engine, "enterprise", User.credit_code, set(targets))
        if due.kind == "after":
            by_zone = _users(engine, "zone", User.zone_code, set(targets.values()))
            for key, zone in targets.items():
                found.setdefault(key, []).extend(by_zone.get(zone, []))
        return found
    found = _users(engine, "zone", User.zone_code, set(targets))
    if due.kind == "after":
        by_province = _users(engine, "province", User.province_code, {zones.get(z, "") for z in targets})
        for key in targets:
            found.setdefault(key, []).extend(by_province.get(zones.get(key, ""), []))
    return found


def _items_by_user(engine: Engine, day: dt.date, due: list[Due], catalog: Catalog
                   ) -> dict[Recipient, list[Item]]:
    with engine.connect() as conn:
        zones = {code: province for code, province in conn.execute(select(Zone.code, Zone.province_code))}
    by_user: dict[Recipient, list[Item]] = {}
    for d in due:
        form = catalog.form(d.form, int(d.period[:4]))
        report = completeness(engine, d.form, d.period, today=day, catalog=catalog)
        targets = [e for e in report.entities if e.status is d.status]
        names = {e.entity_key: e.name for e in targets}
        found = _recipients(engine, form.entity, d, {e.entity_key: e.zone_code for e in targets}, zones)
        for key, users in found.items():
            for user in users:
                by_user.setdefault(user, []).append(Item(d, key, names[key], form.name_zh, form.name_en))
    return by_user


def _reminded_on(engine: Engine, day: dt.date) -> set[int]:
    with engine.connect() as conn:
        return set(conn.scalars(select(ReminderLog.user_id).where(ReminderLog.sent_on == day).distinct()))


def _log_rows(user: Recipient, items: list[Item], day: dt.date, channel: str, result: str) -> list[ReminderLog]:
    return [ReminderLog(user_id=user.user_id, form_code=i.due.form, period=i.due.period, entity_key=i.entity_key,
                        kind=i.due.kind, days=i.due.days, channel=channel, sent_on=day, sent_at=utcnow(),
                        result=result[:256]) for i in items]


def _notify(engine: Engine, user: Recipient, items: list[Item], message: Message, day: dt.date) -> None:
    with session_scope(engine) as session:
        session.add(Notice(user_id=user.user_id, subject_zh=message.subject_zh, subject_en=message.subject_en,
                           body_zh=message.body_zh[:4000], body_en=message.body_en[:4000]))
        session.add_all(_log_rows(user, items, day, IN_APP, "sent"))


def _mail(engine: Engine, user: Recipient, items: list[Item], message: Message, day: dt.date,
          mail: MailSettings | None, send: Sender) -> str:
    if mail is None:
        result = "skipped: no SMTP server configured (HIZONE_SMTP_HOST)"
    elif not user.email:
        result = "skipped: the user has no e-mail address"
    else:
        try:
            send(mail, user.email, message.subject, message.body)
            result = "sent"
        except MailError as error:
            log.warning("reminder to %s not sent: %s", user.username, error)
            result = f"failed: {error}"
    with session_scope(engine) as session:
        session.add_all(_log_rows(user, items, day, EMAIL, result))
    return result


def run_reminders(engine: Engine, day: dt.date, mail: MailSettings | None, *, dry_run: bool = False,
                  link: str | None = None, send: Sender = send_mail, catalog: Catalog | None = None,
                  rules: Mapping[int, ReminderRules] | None = None,
                  calendars: Mapping[int, Calendar] | None = None) -> Outcome:
    """The reminders of ``day`` (China's): each user due one and not yet reminded that day gets one notice and,
    with an address and a mail server, one e-mail. ``dry_run``: the same choice, nothing sent or stored."""
    cat = catalog or default_catalog()
    found_calendars = default_calendars() if calendars is None else calendars
    frequencies = {form: cat.forms[form][-1].frequency for form in {f for c in found_calendars.values()
                                                                    for f, _ in c.rules}}
    due = due_on(day, frequencies, rules, found_calendars)
    outcome = Outcome(day, due)
    done = _reminded_on(engine, day)
    for user, items in sorted(_items_by_user(engine, day, due, cat).items(), key=lambda kv: kv[0].username):
        if user.user_id in done:
            outcome.already.append(user.username)
            continue
        outcome.reminded[user.username] = items
        if dry_run:
            continue
        message = compose(items, link)
        _notify(engine, user, items, message, day)
        outcome.results[user.username] = {IN_APP: "sent",
                                          EMAIL: _mail(engine, user, items, message, day, mail, send)}
    return outcome
