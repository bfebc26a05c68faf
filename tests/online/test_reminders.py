"""Reminders: which reports are due on a day (by hand from the calendar), one a day per user, mail read back from
a real local SMTP server, the in-app notice for users without an address, failures logged, the CLI."""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Iterator
from email.message import EmailMessage, Message
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from hizone.auth.users import add_user
from hizone.catalog import default_catalog
from hizone.config import MailSettings
from hizone.errors import CatalogError
from hizone.online.dispatch import EMAIL, IN_APP, run_reminders
from hizone.online.reminders import Due, load_rules
from hizone.online.reminders import due_on as due
from hizone.store import session_scope
from hizone.store.models import Notice, ReminderLog
from hizone.store.notices import mark_read, notices_of, unread_count
from tests.intake.factory import seed_registry
from tests.mailserver import MailServer, free_port
from tests.reports import report

PASSWORD = "correct horse battery staple"
ANNUAL_NAME = default_catalog().form("enterprise_annual", 2023).name_zh
FORMS = {"enterprise_annual": "annual", "enterprise_energy": "annual", "zone_carbon_annual": "annual",
         "zone_monthly": "monthly"}


def test_the_days_due_from_the_torch_calendar() -> None:
    # 23 April 2024: a week before 30 April, the 2023 annual and energy reports' deadline.
    assert due(dt.date(2024, 4, 23), FORMS) == [
        Due("enterprise_annual", "2023", "before", 7, dt.date(2024, 4, 30)),
        Due("enterprise_energy", "2023", "before", 7, dt.date(2024, 4, 30))]
    # 3 April: the zones' carbon report of 2023 (deadline 31 March) three days late.
    assert due(dt.date(2024, 4, 3), FORMS) == [Due("zone_carbon_annual", "2023", "after", 3, dt.date(2024, 3, 31))]
    # Over the year end: December 2023's monthly form (deadline 10 January 2024) three days ahead, its own
    # schedule (3 and 1 days before), and November's (10 December) 28 days late: no rule.
    assert due(dt.date(2024, 1, 7), FORMS) == [Due("zone_monthly", "2023-12", "before", 3, dt.date(2024, 1, 10))]
    assert due(dt.date(2024, 1, 17), FORMS) == [Due("zone_monthly", "2023-12", "after", 7, dt.date(2024, 1, 10))]
    assert due(dt.date(2024, 6, 20), FORMS) == []


def test_bad_reminder_rules_name_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "torch-2019.yaml").write_text("version: 2019\nbefore: [7, 0]\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_rules([tmp_path], default_catalog())
    assert caught.value.where == f"{tmp_path / 'torch-2019.yaml'}.before" and "1 to 366" in caught.value.reason
    (tmp_path / "torch-2019.yaml").write_text("version: 2019\nforms: {nope: {after: [1]}}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="unknown form 'nope'") as caught:
        load_rules([tmp_path], default_catalog())
    assert caught.value.where == f"{tmp_path / 'torch-2019.yaml'}: forms.nope"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


def _seed(engine: Engine) -> list[str]:
    """Three enterprises (企业1 in Z1101, 企业2 in Z1102, 企业3 in Z3101); only 企业1's 2023 annual report is in.
    Their users: ent1 and ent2 with an address, ent3 without, and a zone user (not due anything on these days)."""
    codes = seed_registry(engine, 3)
    with session_scope(engine) as session:
        session.add(report(form_code="enterprise_annual", form_version=2019, entity_key=codes[0], zone_code="Z1101",
                           period="2023", revision=1, state="submitted", values={"revenue": 1.0},
                           created_by="test", created_at=dt.datetime(2024, 3, 10, tzinfo=dt.UTC)))
    add_user(engine, "ent1", PASSWORD, "enterprise", credit_code=codes[0], email="ent1@example.cn")
    add_user(engine, "ent2", PASSWORD, "enterprise", credit_code=codes[1], email="ent2@example.cn")
    add_user(engine, "ent3", PASSWORD, "enterprise", credit_code=codes[2])
    add_user(engine, "zone1", PASSWORD, "zone", zone="Z1101", email="zone1@example.cn")
    return codes


def _parsed(message: Message) -> EmailMessage:
    found = email.message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(found, EmailMessage)
    return found


def _text(message: EmailMessage) -> str:
    return str(message.get_content())


def _ids(engine: Engine) -> dict[str, int]:
    from hizone.store.models import User

    with engine.connect() as conn:
        return {name: uid for uid, name in conn.execute(select(User.id, User.username))}


def test_one_mail_a_day_per_user_with_every_due_report(engine: Engine, mail_server: MailServer) -> None:
    codes = _seed(engine)
    mail = MailSettings(host="127.0.0.1", port=mail_server.port, sender="hizone@test.cn", starttls=False)
    day = dt.date(2024, 4, 23)
    outcome = run_reminders(engine, day, mail)
    # ent1 sent its annual report but not its energy report; ent2 and ent3 neither: one reminder each.
    assert {name: sorted((i.due.form, i.entity_key) for i in items) for name, items in outcome.reminded.items()} == {
        "ent1": [("enterprise_energy", codes[0])],
        "ent2": [("enterprise_annual", codes[1]), ("enterprise_energy", codes[1])],
        "ent3": [("enterprise_annual", codes[2]), ("enterprise_energy", codes[2])]}
    inbox = mail_server.inbox.messages
    assert sorted(m["To"] for m in inbox) == ["ent1@example.cn", "ent2@example.cn"]
    parsed = {m["To"]: _parsed(m) for m in inbox}
    second = parsed["ent2@example.cn"]
    assert str(second["Subject"]) == "报送提醒：2项报表待报送 / Reporting reminder: 2 reports to send"
    text = _text(second)
    assert codes[1] in text and "企业2" in text and "截止日期2024-04-30，距截止还有7天" in text
    assert "国家高新区企业年度能源消费报表" in text and "deadline 2024-04-30, due in 7 days" in text
    first = _text(parsed["ent1@example.cn"])
    assert "国家高新区企业年度能源消费报表" in first and ANNUAL_NAME not in first
    # ent3 has no address: the in-app notice only, and the log says why no mail went.
    results = outcome.results
    assert results["ent3"] == {IN_APP: "sent", EMAIL: "skipped: the user has no e-mail address"}
    ids = _ids(engine)
    assert unread_count(engine, ids["ent3"]) == 1 and unread_count(engine, ids["zone1"]) == 0
    with engine.connect() as conn:
        logged = sorted(conn.execute(select(ReminderLog.user_id, ReminderLog.form_code, ReminderLog.channel,
                                            ReminderLog.kind, ReminderLog.days, ReminderLog.result)))
    assert len(logged) == 10  # (1 + 2 + 2 items) × two channels
    assert (ids["ent2"], "enterprise_annual", "email", "before", 7, "sent") in logged
    # The same day again: nothing sent, nothing stored.
    again = run_reminders(engine, day, mail)
    assert again.reminded == {} and sorted(again.already) == ["ent1", "ent2", "ent3"]
    assert len(mail_server.inbox.messages) == 2
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ReminderLog)) == 10
        assert conn.scalar(select(func.count()).select_from(Notice)) == 3


def test_after_the_deadline_a_dry_run_and_a_mail_server_down(engine: Engine, mail_server: MailServer) -> None:
    codes = _seed(engine)
    mail = MailSettings(host="127.0.0.1", port=mail_server.port, starttls=False)
    # 1 May 2024: the day after the deadline; a dry run stores and sends nothing.
    dry = run_reminders(engine, dt.date(2024, 5, 1), mail, dry_run=True)
    assert [d.kind for d in dry.due] == ["after", "after"]
    # After the deadline the zone's committee is reminded of its missing enterprises too: 企业1's energy report.
    assert sorted(dry.reminded) == ["ent1", "ent2", "ent3", "zone1"]
    assert [(i.due.form, i.entity_key) for i in dry.reminded["zone1"]] == [("enterprise_energy", codes[0])]
    assert mail_server.inbox.messages == []
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ReminderLog)) == 0
    # The mail server is gone: every mail fails, is logged as failed, the notices are there, the run ends.
    down = MailSettings(host="127.0.0.1", port=free_port(), starttls=False)
    outcome = run_reminders(engine, dt.date(2024, 5, 1), down)
    assert {r[EMAIL].split(":")[0] for n, r in outcome.results.items() if n != "ent3"} == {"failed"}
    with engine.connect() as conn:
        failed = conn.scalar(select(func.count()).select_from(ReminderLog)
                             .where(ReminderLog.channel == "email", ReminderLog.result.like("failed:%")))
    assert failed == 4  # ent1's one item, ent2's two, zone1's one
    ids = _ids(engine)
    notice = notices_of(engine, ids["ent2"])[0]
    assert notice.subject_zh == "催报：2项报表待报送" and "已逾期1天" in notice.body_zh
    assert "1 day overdue" in notice.body_en


def test_notices_are_the_users_own_to_read(engine: Engine) -> None:
    _seed(engine)
    run_reminders(engine, dt.date(2024, 4, 23), None)
    ids = _ids(engine)
    mine, theirs = notices_of(engine, ids["ent2"])[0], notices_of(engine, ids["ent3"])[0]
    assert mark_read(engine, ids["ent2"], theirs.id) == 0  # another user's notice: not found
    assert unread_count(engine, ids["ent3"]) == 1
    assert mark_read(engine, ids["ent2"], mine.id) == 1 and unread_count(engine, ids["ent2"]) == 0
    assert mark_read(engine, ids["ent2"], mine.id) == 0


def test_the_cli_runs_once_a_day_and_dry_runs(engine: Engine, database_url: str, mail_server: MailServer,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from hizone.cli import app

    codes = _seed(engine)
    for name, value in (("HIZONE_DATABASE_URL", database_url), ("HIZONE_SMTP_HOST", "127.0.0.1"),
                        ("HIZONE_SMTP_PORT", str(mail_server.port)), ("HIZONE_SMTP_STARTTLS", "0"),
                        ("HIZONE_BASE_URL", "https://hizone.example.cn")):
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    dry = runner.invoke(app, ["reminders", "run", "--on", "2024-04-23", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remind 3 user(s)" in dry.output and mail_server.inbox.messages == []
    first = runner.invoke(app, ["reminders", "run", "--on", "2024-04-23"])
    assert first.exit_code == 0 and "reminded 3 user(s); e-mail sent 2, failed 0" in first.output, first.output
    assert "https://hizone.example.cn/reporting" in str(_parsed(mail_server.inbox.messages[0]).get_content())
    second = runner.invoke(app, ["reminders", "run", "--on", "2024-04-23"])
    assert "reminded 0 user(s)" in second.output and "3 already reminded today" in second.output
    assert len(mail_server.inbox.messages) == 2
    # The completeness command's timeliness columns, on the day after the deadline.
    table = runner.invoke(app, ["completeness", "-f", "enterprise_annual", "-p", "2023", "--on", "2024-05-01",
                                       "--missing"])
    assert table.exit_code == 0, table.output
    assert "deadline 2024-04-30 (as of 2024-05-01)" in table.output
    assert f"missing: Z1102 {codes[1]} 企业2 (1 day(s) overdue)" in table.output
    bad = runner.invoke(app, ["reminders", "run", "--on", "2024-13-01"])
    assert bad.exit_code == 2 and "2024-13-01" in bad.output
