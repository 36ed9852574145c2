"""The channels a configuration makes available, built for one delivery round."""

from __future__ import annotations

import httpx

from garrison.clock import Clock
from garrison.config.notifications import ChannelKind, NotificationsSection
from garrison.notify.channels.base import Channel
from garrison.notify.channels.chat import ChatSender
from garrison.notify.channels.email import EmailSender
from garrison.notify.channels.sms import SmsSender
from garrison.notify.channels.webhook import WebhookSender


def build_channels(
    settings: NotificationsSection, *, client: httpx.AsyncClient, clock: Clock
) -> dict[ChannelKind, Channel]:
    channels: dict[ChannelKind, Channel] = {
        ChannelKind.CHAT: ChatSender(settings.chat, client=client)
    }
    if settings.email is not None:
        channels[ChannelKind.EMAIL] = EmailSender(settings.email, clock=clock)
    if settings.webhook is not None:
        channels[ChannelKind.WEBHOOK] = WebhookSender(settings.webhook, client=client, clock=clock)
    if settings.sms is not None:
        channels[ChannelKind.SMS] = SmsSender(settings.sms, client=client)
    return channels


def configured_kinds(settings: NotificationsSection) -> frozenset[ChannelKind]:
    """The channels that can send at all (a person still needs the matching contact)."""
    kinds = {ChannelKind.CHAT}
    if settings.email is not None:
        kinds.add(ChannelKind.EMAIL)
    if settings.webhook is not None:
        kinds.add(ChannelKind.WEBHOOK)
    if settings.sms is not None:
        kinds.add(ChannelKind.SMS)
    return frozenset(kinds)
