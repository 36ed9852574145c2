"""Who a notification goes to: a person of the configuration, their contacts, order, language.

The order is the person's own (``notifications.people``) or the default; a channel
counts only when it is configured and the person has the matching contact. The
language is the person's ``language`` key, else their account's preference, else
the server's default.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from garrison.auth.models import User
from garrison.config import EventConfig, Person
from garrison.config.notifications import ChannelKind
from garrison.i18n import SUPPORTED_LANGUAGES
from garrison.notify.channels.registry import configured_kinds


@dataclass(frozen=True, slots=True)
class Recipient:
    person_id: str
    name: str
    username: str | None
    language: str
    routes: tuple[tuple[ChannelKind, str], ...]
    """The channels that can reach this person, in their order, with the address for each."""


def find_person(config: EventConfig, person_id: str) -> Person | None:
    for person in config.organisation.people:
        if person.id == person_id:
            return person
    return None


def person_of_username(config: EventConfig, username: str) -> Person | None:
    for person in config.organisation.people:
        if person.username == username:
            return person
    return None


def routes_for(config: EventConfig, person: Person) -> tuple[tuple[ChannelKind, str], ...]:
    notifications = config.notifications
    own = notifications.for_person(person.id)
    order = own.channels if own is not None and own.channels else notifications.channels
    addresses: dict[ChannelKind, str | None] = {
        ChannelKind.EMAIL: person.contacts.email,
        ChannelKind.WEBHOOK: person.contacts.webhook,
        ChannelKind.SMS: person.contacts.phone,
        ChannelKind.CHAT: own.chat_webhook if own is not None else None,
    }
    usable = configured_kinds(notifications)
    routes = []
    for kind in order:
        address = addresses[kind]
        if kind in usable and address:
            routes.append((kind, address))
    return tuple(routes)


async def recipient_for(
    session: AsyncSession, *, config: EventConfig, person_id: str, default_language: str
) -> Recipient | None:
    """The recipient, or None when the configuration has no such person."""
    person = find_person(config, person_id)
    if person is None:
        return None
    return Recipient(
        person_id=person.id,
        name=person.name,
        username=person.username,
        language=await _language(session, config, person, default_language),
        routes=routes_for(config, person),
    )


async def _language(
    session: AsyncSession, config: EventConfig, person: Person, default_language: str
) -> str:
    own = config.notifications.for_person(person.id)
    if own is not None and own.language is not None:
        return own.language
    if person.username is not None:
        preferred = await session.scalar(
            select(User.language).where(User.username == person.username)
        )
        if preferred in SUPPORTED_LANGUAGES:
            return str(preferred)
    return default_language
