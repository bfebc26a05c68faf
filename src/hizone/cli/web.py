"""`hizone serve` (the web app under uvicorn) and `hizone users ...` (accounts and API tokens)."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from hizone.auth import ROLES
from hizone.cli.common import command_group, console, open_configured_store
from hizone.config import Settings

users_app = command_group("Users of the web app and the API: add, deactivate or reactivate users, reset passwords, "
                          "issue tokens, log out everywhere.")


def _read_password(from_stdin: bool) -> str:
    from hizone.auth.users import check_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    check_password(password)
    return password


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="login name (3–64 letters, digits, . _ @ -)"),
    role: str = typer.Option(..., "--role", help=f"one of: {', '.join(ROLES)}"),
    province: str | None = typer.Option(None, "--province", help="province code (role province), e.g. 44"),
    zone: str | None = typer.Option(None, "--zone", help="zone code (role zone), e.g. Z4403"),
    credit_code: str | None = typer.Option(None, "--credit-code", help="统一社会信用代码 (role enterprise)"),
    email: str | None = typer.Option(None, "--email", help="where login unlock links are mailed"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from standard input"),
) -> None:
    """Add a user with a role and its scope (province, zone or enterprise); the password is argon2-hashed."""
    from hizone.auth.users import add_user

    password = _read_password(password_stdin)
    info = add_user(open_configured_store(), username, password, role, province=province, zone=zone,
                    credit_code=credit_code, email=email)
    scope = info.credit_code or info.zone_code or info.province_code or "national"
    console().print(f"[green]added[/] {info.username} ({info.role}, {scope})")


@users_app.command("token")
def users_token(username: str = typer.Argument(...),
                name: str = typer.Option("cli", "--name", help="what the token is for")) -> None:
    """Issue an API token (Authorization: Bearer ...) for a user; it is shown once."""
    from hizone.auth.users import create_token

    print(create_token(open_configured_store(), username, name))


@users_app.command("logout-all")
def users_logout_all(username: str = typer.Argument(...)) -> None:
    """End every session and revoke every API token of a user."""
    from hizone.auth.users import revoke_sessions

    revoke_sessions(open_configured_store(), username)
    console().print(f"[green]logged out everywhere:[/] {username}")


@users_app.command("deactivate")
def users_deactivate(username: str = typer.Argument(...)) -> None:
    """Stop a user from logging in; their sessions and API tokens end."""
    from hizone.auth.users import set_active

    set_active(open_configured_store(), username, False, actor="cli")
    console().print(f"[green]deactivated:[/] {username}")


@users_app.command("activate")
def users_activate(username: str = typer.Argument(...)) -> None:
    """Let a deactivated user log in again (old sessions and tokens stay ended)."""
    from hizone.auth.users import set_active

    set_active(open_configured_store(), username, True, actor="cli")
    console().print(f"[green]activated:[/] {username}")


@users_app.command("reset-password")
def users_reset_password(
    username: str = typer.Argument(...),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from standard input"),
) -> None:
    """Give a user a new password; their sessions and API tokens end."""
    from hizone.auth.users import reset_password

    password = _read_password(password_stdin)
    reset_password(open_configured_store(), username, password, actor="cli")
    console().print(f"[green]password reset:[/] {username}")


def server_options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    """uvicorn's settings for the app: X-Forwarded-For/-Proto are believed only from HIZONE_TRUSTED_PROXIES
    (none by default), so nobody else can choose the address the login limit counts."""
    trusted = list(settings.trusted_proxies)
    return {"host": host, "port": port, "log_level": "warning", "proxy_headers": bool(trusted),
            "forwarded_allow_ips": trusted}


def default_workers() -> int:
    """One server process per core, at most four: a request's work holds one process's interpreter lock."""
    return max(1, min(os.cpu_count() or 1, 4))


def serve(host: str = typer.Option("127.0.0.1", "--host"),
          port: int = typer.Option(8000, "--port", min=1, max=65535),
          workers: int = typer.Option(default_workers(), "--workers", min=1, max=64, envvar="HIZONE_WEB_WORKERS",
                                      help="server processes sharing the port (default: one per core, "
                                           "at most 4)")) -> None:
    """Serve the web app and the API (uvicorn)."""
    import uvicorn

    from hizone.registry.sync import load_registry_if_empty
    from hizone.store import open_store

    settings = Settings.from_env()
    # Every worker reads its settings from the environment (hizone.web.app.serving_app): give them this run's
    # key (one random key for all of them when none is configured, so a session is good in every worker) and
    # the address links in mail point to.
    os.environ["HIZONE_SECRET_KEY"] = settings.secret_key
    if settings.base_url is None:
        os.environ["HIZONE_BASE_URL"] = f"http://{host}:{port}"
    # The schema check and a new store's registry, once here rather than in every worker at the same moment.
    load_registry_if_empty(open_store(settings.database_url)).dispose()
    console().print(f"hizone at [bold]http://{host}:{port}/[/]  (API: http://{host}:{port}/api/v1, "
                    f"docs: http://{host}:{port}/api/docs; {workers} server process{'es' if workers > 1 else ''})")
    uvicorn.run("hizone.web.app:serving_app", factory=True, workers=workers, **server_options(settings, host, port))


def register(app: typer.Typer) -> None:
    """Mount `serve` and `users` on the top-level `hizone` command."""
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
