"""Email with files attached (the scheduled reports), through the SMTP relay of the
``notifications.email`` section, via aiosmtplib.

Failures are translated as by :class:`~garrison.notify.channels.email.EmailSender`:
SMTP 4xx replies and network failures are temporary, 5xx replies are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib

from garrison.config.notifications import EmailChannel, SmtpSecurity
from garrison.notify.channels.email import PERMANENT_REPLY_FROM, smtp_tls_context
from garrison.notify.errors import DeliveryFailed

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_RECIPIENTS = 100


@dataclass(frozen=True, slots=True)
class EmailAttachment:
    filename: str
    content: bytes
    media_type: str = "application/octet-stream"  # "type/subtype"


def build_email_with_files(
    settings: EmailChannel,
    *,
    recipients: Sequence[str],
    subject: str,
    text: str,
    attachments: Sequence[EmailAttachment],
    sent_at: datetime,
) -> EmailMessage:
    if not recipients or len(recipients) > MAX_RECIPIENTS:
        raise ValueError(f"recipients: 1 to {MAX_RECIPIENTS} addresses")
    if sum(len(item.content) for item in attachments) > MAX_ATTACHMENT_BYTES:
        raise ValueError(f"attachments: at most {MAX_ATTACHMENT_BYTES} bytes in all")
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = ", ".join(recipients)
    email["Subject"] = subject
    email["Date"] = format_datetime(sent_at)
    email["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(text)
    for item in attachments:
        maintype, _slash, subtype = item.media_type.partition("/")
        email.add_attachment(
            item.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=item.filename,
        )
    return email


async def send_email_with_files(
    settings: EmailChannel,
    *,
    recipients: Sequence[str],
    subject: str,
    text: str,
    attachments: Sequence[EmailAttachment],
    sent_at: datetime,
) -> None:
    """Send one message to ``recipients``, or raise :class:`DeliveryFailed`."""
    message = build_email_with_files(
        settings,
        recipients=recipients,
        subject=subject,
        text=text,
        attachments=attachments,
        sent_at=sent_at,
    )
    password = settings.password.get_secret_value() if settings.password else None
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=password,
            use_tls=settings.security == SmtpSecurity.TLS,
            start_tls=settings.security == SmtpSecurity.STARTTLS,
            tls_context=smtp_tls_context(settings),
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
