"""`hizone users ...` and `hizone serve` through Typer's test runner."""

from __future__ import annotations

import os

import pytest
import typer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hizone.auth.users import authenticate
from hizone.cli.web import register
from hizone.errors import HizoneError
from hizone.store.models import User
from tests.web.seed import PASSWORD, Seeded, seed


@pytest.fixture
def cli(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    seed(engine, with_users=False)
    monkeypatch.setenv("HIZONE_DATABASE_URL", database_url)
    app = typer.Typer()
    register(app)
    return app


def test_users_add_reads_the_password_from_stdin(cli: typer.Typer, engine: Engine) -> None:
    result = CliRunner().invoke(cli, ["users", "add", "ops", "--role", "zone", "--zone", Seeded.own_zone,
                                      "--email", "ops@example.org", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "added ops (zone, Z1101)" in result.output
    found = authenticate(engine, "ops", PASSWORD, "t")
    assert found is not None and found.zone_code == Seeded.own_zone
    with Session(engine) as session:
        assert session.scalar(select(User.email).where(User.username == "ops")) == "ops@example.org"


def test_users_add_refuses_a_malformed_email(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["users", "add", "ops", "--role", "analyst", "--email", "ops at example",
                                      "--password-stdin"], input=PASSWORD + "\n")
    assert isinstance(result.exception, HizoneError)
    assert str(result.exception) == "--email: 'ops at example' is not an email address"


def test_users_add_refuses_a_bad_scope_with_a_clear_error(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["users", "add", "ops", "--role", "zone", "--zone", "Z9999",
                                      "--password-stdin"], input=PASSWORD + "\n")
    assert isinstance(result.exception, HizoneError)
    assert "known zone code" in str(result.exception) and "--zone" in str(result.exception)


def test_users_token_prints_a_token_once(cli: typer.Typer) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["users", "add", "bot", "--role", "analyst", "--password-stdin"], input=PASSWORD + "\n")
    result = runner.invoke(cli, ["users", "token", "bot", "--name", "nightly"])
    assert result.exit_code == 0 and result.output.strip().startswith("hzt_")


def test_users_deactivate_activate_and_reset_password(cli: typer.Typer, engine: Engine) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["users", "add", "ops", "--role", "analyst", "--password-stdin"], input=PASSWORD + "\n")
    assert runner.invoke(cli, ["users", "deactivate", "ops"]).exit_code == 0
    assert authenticate(engine, "ops", PASSWORD, "t") is None
    assert runner.invoke(cli, ["users", "activate", "ops"]).exit_code == 0
    reset = runner.invoke(cli, ["users", "reset-password", "ops", "--password-stdin"], input="new-passphrase-1\n")
    assert reset.exit_code == 0, reset.output
    assert authenticate(engine, "ops", PASSWORD, "t") is None
    assert authenticate(engine, "ops", "new-passphrase-1", "t") is not None
    short = runner.invoke(cli, ["users", "reset-password", "ops", "--password-stdin"], input="short\n")
    assert isinstance(short.exception, HizoneError) and "at least 10" in str(short.exception)


def test_serve_hands_its_workers_one_key_and_the_app_factory(cli: typer.Typer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers build their app from the environment: the same random key in each (a session made by one is
    good in the others), links in mail to where this server listens, and no proxy trusted."""
    started: dict[str, object] = {}
    import uvicorn

    for name in ("HIZONE_SECRET_KEY", "HIZONE_BASE_URL", "HIZONE_WEB_WORKERS"):
        monkeypatch.delenv(name, raising=False)  # and restored after the test, whatever serve sets
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(
        kw, app=app, key=os.environ.get("HIZONE_SECRET_KEY"), base=os.environ.get("HIZONE_BASE_URL")))
    result = CliRunner().invoke(cli, ["serve", "--port", "8123", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/" in result.output and "3 server processes" in result.output
    assert started["app"] == "hizone.web.app:serving_app" and started["factory"] is True
    assert started["workers"] == 3 and started["host"] == "127.0.0.1" and started["port"] == 8123
    assert isinstance(started["key"], str) and len(started["key"]) == 64
    assert started["base"] == "http://127.0.0.1:8123"
    assert started["proxy_headers"] is False and started["forwarded_allow_ips"] == []  # no proxy trusted


def test_serve_takes_its_worker_count_from_the_environment(cli: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    started: dict[str, object] = {}
    import uvicorn

    monkeypatch.setenv("HIZONE_WEB_WORKERS", "2")
    monkeypatch.setenv("HIZONE_SECRET_KEY", "k" * 40)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(kw))
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
    assert started["workers"] == 2 and os.environ["HIZONE_SECRET_KEY"] == "k" * 40  # a configured key is kept
    refused = CliRunner().invoke(cli, ["serve", "--workers", "0"])
    assert refused.exit_code == 2 and "--workers" in refused.output
