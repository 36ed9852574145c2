"""Sending a written report by email to ``reports.recipients`` (people with an email
address), through the SMTP relay of ``notifications.email``. A failure is an outcome,
never an exception: the report files stay on disk and can be downloaded."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from garrison.config import EventConfig
from garrison.i18n import gettext as _
from garrison.i18n.translations import use_language
from garrison.notify.channels.files import EmailAttachment, send_email_with_files
from garrison.notify.errors import DeliveryFailed
from garrison.reports.render import MEDIA_TYPES

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    sent_to: tuple[str, ...] = ()
    without_address: tuple[str, ...] = ()  # person ids with no email address
    error: str | None = None


def recipient_addresses(config: EventConfig) -> tuple[list[str], list[str]]:
    """(email addresses, ids of recipients without one), in configuration order."""
    people = {person.id: person for person in config.organisation.people}
    addresses: list[str] = []
    missing: list[str] = []
    for person_id in config.reports.recipients:
        person = people.get(person_id)
        email = person.contacts.email if person is not None else None
        if email is None:
            missing.append(person_id)
        elif email not in addresses:
            addresses.append(email)
    return addresses, missing


def _subject(config: EventConfig, kind: str, now: datetime) -> tuple[str, str]:
    titles = {
        "shift": _("Shift report"),
        "daily": _("Daily situation report"),
        "final": _("Final evaluation report"),
    }
    day = now.astimezone(config.event.zone).strftime("%Y-%m-%d")
    subject = _("%(report)s: %(event)s, %(day)s") % {
        "report": titles.get(kind, kind),
        "event": config.event.name,
        "day": day,
    }
    text = _("The report is attached.")
    return subject, text


async def email_report(
    config: EventConfig, *, kind: str, files: list[Path], now: datetime
) -> DeliveryOutcome:
    """Email written report files (the daily report's)."""
    contents = [(path.name, path.read_bytes()) for path in files]
    return await email_report_contents(config, kind=kind, contents=contents, now=now)


async def email_report_contents(
    config: EventConfig, *, kind: str, contents: list[tuple[str, bytes]], now: datetime
) -> DeliveryOutcome:
    """Email a report given as (file name, content) pairs, e.g. a stored shift report."""
    addresses, missing = recipient_addresses(config)
    settings = config.notifications.email
    if not addresses:
        return DeliveryOutcome(without_address=tuple(missing))
    if settings is None:
        logger.warning("the %s report is not emailed: notifications.email is not set", kind)
        return DeliveryOutcome(
            without_address=tuple(missing), error="notifications.email is not configured"
        )
    with use_language(config.reports.language):
        subject, text = _subject(config, kind, now)
    attachments = [
        EmailAttachment(
            filename=name,
            content=content,
            media_type=MEDIA_TYPES[name.rsplit(".", 1)[-1]].split(";")[0],
        )
        for name, content in contents
    ]
    try:
        await send_email_with_files(
            settings,
            recipients=addresses,
            subject=subject,
            text=text,
            attachments=attachments,
            sent_at=now,
        )
    except DeliveryFailed as exc:
        logger.warning("the %s report could not be emailed: %s", kind, exc.reason)
        return DeliveryOutcome(without_address=tuple(missing), error=exc.reason)
    return DeliveryOutcome(sent_to=tuple(addresses), without_address=tuple(missing))
