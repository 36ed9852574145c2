"""Email through an SMTP relay: STARTTLS or implicit TLS, with a login, via aiosmtplib.

The Message-ID is made from the delivery's idempotency key, so a retried message
carries the same id. SMTP 4xx replies and network failures are temporary; 5xx
replies (a refused recipient, a failed login) are not.
"""

from __future__ import annotations

import hashlib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from garrison.clock import Clock
from garrison.config.notifications import ChannelKind, EmailChannel, SmtpSecurity
from garrison.notify.channels.base import OutgoingMessage
from garrison.notify.errors import DeliveryFailed

PERMANENT_REPLY_FROM = 500


class EmailSender:
    kind = ChannelKind.EMAIL

    def __init__(self, settings: EmailChannel, *, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    def build(self, message: OutgoingMessage, *, address: str) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.settings.sender
        email["To"] = address
        email["Subject"] = message.subject
        email["Date"] = format_datetime(self.clock.now())
        email["Message-ID"] = message_id(message.key, self.settings.sender)
        email["Auto-Submitted"] = "auto-generated"
        email["X-Garrison-Key"] = message.key
        email.set_content(message.text)
        return email

    async def send(self, message: OutgoingMessage, *, address: str) -> None:
        settings = self.settings
        password = settings.password.get_secret_value() if settings.password else None
        try:
            await aiosmtplib.send(
                self.build(message, address=address),
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=password,
                use_tls=settings.security == SmtpSecurity.TLS,
                start_tls=settings.security == SmtpSecurity.STARTTLS,
                tls_context=smtp_tls_context(self.settings),
                timeout=settings.timeout_seconds,
            )
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailed(
                f"SMTP {exc.code}: {exc.message}", temporary=exc.code < PERMANENT_REPLY_FROM
            ) from exc
        except aiosmtplib.SMTPException as exc:
            raise DeliveryFailed(f"SMTP: {exc}", temporary=True) from exc
        except (OSError, TimeoutError) as exc:
            raise DeliveryFailed(f"SMTP connection: {exc}", temporary=True) from exc


def smtp_tls_context(settings: EmailChannel) -> ssl.SSLContext | None:
    """TLS for the SMTP server: verified by default; off only by ``verify_certificate: false``."""
    if settings.security == SmtpSecurity.NONE:
        return None
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    if not settings.verify_certificate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def message_id(key: str, sender: str) -> str:
    """``<digest@domain>``: stable for a key, valid whatever characters the key holds."""
    domain = sender.rpartition("@")[2] or "garrison.invalid"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"
