"""Notification texts, made at sending time in the recipient's language.

A notification keeps structured ``payload`` data only; the words are chosen here,
under the recipient's language, for each channel: a subject, a full text (email,
chat), a short text (SMS) and a JSON document (generic webhook). Times are shown
in the event's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from garrison.i18n import gettext as _
from garrison.i18n import use_language
from garrison.notify.channels.base import OutgoingMessage
from garrison.notify.models import Notification
from garrison.notify.vocabulary import NotificationKind

DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True, slots=True)
class Links:
    acknowledge: str | None = None
    incident: str | None = None
    directive: str | None = None


@dataclass(frozen=True, slots=True)
class _Text:
    subject: str
    lines: list[str]
    short: str


def render(notification: Notification, *, key: str, links: Links) -> OutgoingMessage:
    """The message for one delivery of ``notification``, in the recipient's language."""
    payload = notification.payload
    with use_language(notification.language):
        renderer = _RENDERERS.get(notification.kind, _render_test)
        text = renderer(payload, links)
        lines = [line for line in text.lines if line]
        if payload.get("is_drill"):
            lines.append(_("This is a drill."))
    document = {
        "type": "garrison.notification",
        "notification_id": notification.id,
        "kind": notification.kind,
        "language": notification.language,
        "recipient": {"id": notification.recipient_id, "name": notification.recipient_name},
        "subject": text.subject,
        "text": "\n".join(lines),
        "data": dict(payload),
        "links": {
            name: value
            for name, value in (
                ("acknowledge", links.acknowledge),
                ("incident", links.incident),
                ("directive", links.directive),
            )
            if value
        },
    }
    return OutgoingMessage(
        key=key,
        subject=text.subject,
        text="\n".join(lines),
        short_text=text.short,
        document=document,
    )


def local_time(value: Any, payload: Mapping[str, Any]) -> str:
    """An ISO time from a payload, shown in the event's time zone."""
    if not isinstance(value, str):
        return "-"
    try:
        moment = datetime.fromisoformat(value)
        zone = ZoneInfo(str(payload.get("timezone") or DEFAULT_TIMEZONE))
    except (ValueError, KeyError):
        return value
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _render_incident(payload: Mapping[str, Any], links: Links) -> _Text:
    values = {
        "id": int(payload.get("incident_id", 0)),
        "title": str(payload.get("title", "")),
        "severity": str(payload.get("severity", "")).upper(),
        "category": str(payload.get("category", "")),
        "level": int(payload.get("level", 1)),
        "round": int(payload.get("round", 1)),
        "services": ", ".join(payload.get("services") or []) or "-",
    }
    subject = _("[%(severity)s] Incident #%(id)d: %(title)s") % values
    lines = [
        _("Incident #%(id)d needs someone to acknowledge it: %(title)s") % values,
        _("Severity: %(severity)s. Category: %(category)s. Services: %(services)s.") % values,
        _("Escalation level %(level)d, round %(round)d.") % values,
    ]
    if links.acknowledge:
        lines.append(_("Acknowledge in one click: %(url)s") % {"url": links.acknowledge})
    if links.incident:
        lines.append(_("Open the incident: %(url)s") % {"url": links.incident})
    short = subject
    if links.acknowledge:
        short = _("%(text)s Acknowledge: %(url)s") % {"text": subject, "url": links.acknowledge}
    return _Text(subject, lines, short)


def _render_check_in(payload: Mapping[str, Any], links: Links) -> _Text:
    values = {
        "post": str(payload.get("post_name") or payload.get("post_id", "")),
        "person": str(payload.get("person_name") or payload.get("person_id", "")),
        "start": local_time(payload.get("shift_start"), payload),
        "due": local_time(payload.get("due_at"), payload),
    }
    subject = _("Missed check-in at post %(post)s") % values
    lines = [
        _(
            "%(person)s has not confirmed presence at post %(post)s for the shift that "
            "started at %(start)s (due by %(due)s)."
        )
        % values,
        _("Make sure the post is covered."),
    ]
    return _Text(subject, lines, f"{subject}: {values['person']}, {values['start']}")


def _render_gap(payload: Mapping[str, Any], links: Links) -> _Text:
    values = {
        "post": str(payload.get("post_name") or payload.get("post_id", "")),
        "start": local_time(payload.get("starts_at"), payload),
        "end": local_time(payload.get("ends_at"), payload),
        "person": str(payload.get("previous_person_name") or ""),
    }
    subject = _("Nobody on duty at post %(post)s") % values
    lines = [_("Post %(post)s has nobody on duty from %(start)s to %(end)s.") % values]
    if values["person"]:
        lines.append(_("On duty just before the gap: %(person)s.") % values)
    return _Text(subject, lines, f"{subject}: {values['start']} - {values['end']}")


def _directive_values(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": int(payload.get("directive_id", 0)),
        "issuer": str(payload.get("issuer", "")),
        "receiver": str(payload.get("receiver", "")),
        "text": str(payload.get("text", "")),
        "deadline": local_time(payload.get("deadline"), payload),
    }


def _directive_lines(values: Mapping[str, Any], links: Links) -> list[str]:
    lines = [str(values["text"]), _("Deadline: %(deadline)s") % values]
    if links.directive:
        lines.append(_("Directive: %(url)s") % {"url": links.directive})
    if links.incident:
        lines.append(_("Open the incident: %(url)s") % {"url": links.incident})
    return lines


def _render_directive(payload: Mapping[str, Any], links: Links) -> _Text:
    values = _directive_values(payload)
    subject = _("Directive #%(id)d from %(issuer)s") % values
    short = _("Directive #%(id)d, deadline %(deadline)s: %(text)s") % values
    return _Text(subject, _directive_lines(values, links), short)


def _render_reminder(payload: Mapping[str, Any], links: Links) -> _Text:
    values = _directive_values(payload)
    subject = _("Reminder: directive #%(id)d is overdue") % values
    lines = [
        _("The deadline of directive #%(id)d from %(issuer)s has passed.") % values,
        *_directive_lines(values, links),
    ]
    return _Text(subject, lines, subject)


def _render_overdue(payload: Mapping[str, Any], links: Links) -> _Text:
    values = _directive_values(payload)
    subject = _("Directive #%(id)d to %(receiver)s is overdue") % values
    lines = [
        _("Directive #%(id)d to %(receiver)s is not completed; its deadline was %(deadline)s.")
        % values,
        *_directive_lines(values, links),
    ]
    return _Text(subject, lines, subject)


def _render_test(payload: Mapping[str, Any], links: Links) -> _Text:
    subject = _("Garrison test notification")
    lines = [_("If you can read this, Garrison can reach you this way.")]
    return _Text(subject, lines, subject)


_RENDERERS: dict[str, Callable[[Mapping[str, Any], Links], _Text]] = {
    NotificationKind.INCIDENT_ESCALATION.value: _render_incident,
    NotificationKind.CHECK_IN_MISSED.value: _render_check_in,
    NotificationKind.COVERAGE_GAP.value: _render_gap,
    NotificationKind.DIRECTIVE_ISSUED.value: _render_directive,
    NotificationKind.DIRECTIVE_REMINDER.value: _render_reminder,
    NotificationKind.DIRECTIVE_OVERDUE.value: _render_overdue,
    NotificationKind.TEST.value: _render_test,
}
