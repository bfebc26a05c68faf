"""Mail through the configured SMTP server (the standard library's smtplib): STARTTLS before any credentials."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from hizone.config import MailSettings
from hizone.errors import HizoneError

TIMEOUT_SECONDS = 15.0


class MailError(HizoneError):
    """The SMTP server could not be reached or refused the message."""


def send_mail(settings: MailSettings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, to, subject
    message.set_content(body)
    where = f"HIZONE_SMTP_HOST={settings.host}:{settings.port}"
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.starttls:
                # Raises SMTPNotSupportedError when the server offers no STARTTLS: nothing goes out in clear.
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"mail not sent: {error}", where=where) from None
