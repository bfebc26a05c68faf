"""Settings read from the environment, with the embedded default (SQLite under var/)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from hizone.errors import HizoneError

DEFAULT_VAR_DIR = Path("var")
TRUTHY, FALSY = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class MailSettings:
    """The SMTP server that sends the login unlock links (HIZONE_SMTP_*)."""

    host: str
    port: int = 587
    sender: str = "hizone@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = True


@dataclass(frozen=True)
class Settings:
    database_url: str
    var_dir: Path
    secret_key: str
    # Addresses (or networks) of the reverse proxies whose X-Forwarded-For/-Proto headers are believed.
    trusted_proxies: tuple[str, ...] = ()
    cookie_secure: bool = False  # serving behind HTTPS: cookies only travel over it
    base_url: str | None = None  # how users reach the app, for links in mail (never taken from a request)
    mail: MailSettings | None = None

    @classmethod
    def from_env(cls) -> Settings:
        var_dir = Path(os.environ.get("HIZONE_VAR_DIR", DEFAULT_VAR_DIR))
        url = os.environ.get("HIZONE_DATABASE_URL") or f"sqlite:///{var_dir / 'hizone.sqlite'}"
        # A random per-process key keeps sessions safe when none is configured; production sets one.
        secret = os.environ.get("HIZONE_SECRET_KEY") or os.urandom(32).hex()
        return cls(database_url=url, var_dir=var_dir, secret_key=secret,
                   trusted_proxies=_proxies(os.environ.get("HIZONE_TRUSTED_PROXIES", "")),
                   cookie_secure=flag("HIZONE_COOKIE_SECURE", False),
                   base_url=(os.environ.get("HIZONE_BASE_URL") or "").rstrip("/") or None, mail=_mail())


def analytics_path(settings: Settings) -> Path:
    """The DuckDB analytics file: HIZONE_ANALYTICS_PATH, else var/analytics.duckdb."""
    configured = os.environ.get("HIZONE_ANALYTICS_PATH")
    return Path(configured) if configured else settings.var_dir / "analytics.duckdb"


def flag(name: str, default: bool) -> bool:
    """A yes/no setting: 1/true/yes/on or 0/false/no/off."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in TRUTHY + FALSY:
        raise HizoneError(f"'{raw}' is not a yes/no value (1 or 0)", where=name)
    return value in TRUTHY


def _proxies(raw: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (10.0.0.0/8); none by default."""
    found = tuple(item.strip() for item in raw.split(",") if item.strip())
    for item in found:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise HizoneError(f"'{item}' is not an IP address or network", where="HIZONE_TRUSTED_PROXIES") from None
    return found


def _mail() -> MailSettings | None:
    host = os.environ.get("HIZONE_SMTP_HOST")
    if not host:
        return None
    port = os.environ.get("HIZONE_SMTP_PORT", "587")
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise HizoneError(f"'{port}' is not a port number", where="HIZONE_SMTP_PORT")
    return MailSettings(host=host, port=int(port), sender=os.environ.get("HIZONE_SMTP_FROM") or f"hizone@{host}",
                        user=os.environ.get("HIZONE_SMTP_USER") or None,
                        password=os.environ.get("HIZONE_SMTP_PASSWORD") or None,
                        starttls=flag("HIZONE_SMTP_STARTTLS", True))
