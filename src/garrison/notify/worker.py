"""The notification worker: delivers the outbox, and turns duty events into notifications.

Each round it marks interrupted attempts ``in_doubt``, claims what is due (committed
before anything is sent), sends concurrently, then records every outcome. It
sleeps on ``context.clock`` until the next due attempt, and is woken early by
``NotificationQueued``. Sending never happens on the probe or ingestion path:
those only write outbox rows. A channel's failure is an outcome, never the end of
the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

from garrison.bus.abc import Subscription
from garrison.bus.events import DomainEvent
from garrison.clock import sleep_or_wake
from garrison.config import EventConfig
from garrison.config.notifications import ChannelKind, NotificationsSection
from garrison.duty.events import CheckInMissed, CoverageGapDetected
from garrison.duty.source import EventLoader, running_event
from garrison.errors import GarrisonError
from garrison.incidents.outbox import commit_and_publish
from garrison.notify.channels.base import Channel
from garrison.notify.channels.registry import build_channels
from garrison.notify.delivery import (
    Claimed,
    RetryPolicy,
    claim_due,
    next_wakeup,
    record_outcomes,
)
from garrison.notify.duty_alerts import notify_check_in_missed, notify_coverage_gap
from garrison.notify.errors import DeliveryFailed
from garrison.notify.events import NotificationQueued
from garrison.notify.links import (
    acknowledge_url,
    directive_url,
    incident_url,
    server_secret,
    sign_ack_token,
)
from garrison.notify.messages import Links, render
from garrison.runtime.context import AppContext
from garrison.storage.engine import reading

logger = logging.getLogger(__name__)

BATCH = 64
IDLE_SECONDS = 30.0
LEASE_MARGIN_SECONDS = 60.0
RECORD_ATTEMPTS = 4
RECORD_BACKOFF_SECONDS = 0.25

E = TypeVar("E", bound=DomainEvent)


class NotificationWorker:
    name = "notifications"

    def __init__(
        self,
        context: AppContext,
        *,
        load_event: EventLoader | None = None,
        wrap_channel: Callable[[Channel], Channel] | None = None,
    ) -> None:
        self.context = context
        self._load_event = load_event or (lambda: running_event(self.context.settings))
        # Tests wrap channels to inject failures (e.g. a crash right after sending).
        self._wrap_channel = wrap_channel
        self._doorbell = asyncio.Event()
        self._client: httpx.AsyncClient | None = None
        # The next wake-up, read at the end of a round's last transaction.
        self._next_wakeup: Wakeup | None = None

    def _settings(self) -> tuple[EventConfig | None, NotificationsSection]:
        try:
            config = self._load_event()
        except GarrisonError as exc:
            logger.warning("notifications use defaults: the configuration cannot be read: %s", exc)
            config = None
        return config, config.notifications if config is not None else NotificationsSection()

    async def run(self, started: Callable[[], None]) -> None:
        bus = self.context.bus
        queued = bus.subscribe(NotificationQueued, consumer="notify.doorbell")
        missed = bus.subscribe(CheckInMissed, consumer="notify.check_in_missed")
        gaps = bus.subscribe(CoverageGapDetected, consumer="notify.coverage_gap")
        try:
            async with httpx.AsyncClient() as client, asyncio.TaskGroup() as group:
                self._client = client
                group.create_task(self._ring_on(queued))
                group.create_task(self._handle(missed, self.on_check_in_missed))
                group.create_task(self._handle(gaps, self.on_coverage_gap))
                started()
                group.create_task(self._deliver_forever())
        finally:
            self._client = None
            for subscription in (queued, missed, gaps):
                await subscription.close()

    async def _ring_on(self, subscription: Subscription[NotificationQueued]) -> None:
        async for _event in subscription:
            self._doorbell.set()

    async def _handle(
        self, subscription: Subscription[E], handler: Callable[[E], Awaitable[None]]
    ) -> None:
        async for event in subscription:
            try:
                await handler(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("could not queue a notification for %s", event.topic)

    async def on_check_in_missed(self, event: CheckInMissed) -> None:
        config, _settings = self._settings()
        if config is None:
            return
        async with self.context.sessions() as session:
            await notify_check_in_missed(
                session,
                event=event,
                config=config,
                now=self.context.clock.now(),
                default_language=self.context.settings.language,
            )
            await commit_and_publish(session, self.context.bus)

    async def on_coverage_gap(self, event: CoverageGapDetected) -> None:
        config, _settings = self._settings()
        if config is None:
            return
        async with self.context.sessions() as session:
            await notify_coverage_gap(
                session,
                event=event,
                config=config,
                now=self.context.clock.now(),
                default_language=self.context.settings.language,
            )
            await commit_and_publish(session, self.context.bus)

    async def _deliver_forever(self) -> None:
        while True:
            self._doorbell.clear()
            claimed = 0
            try:
                claimed = await self.deliver_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("notification round failed; trying again shortly")
            if claimed >= BATCH:
                continue
            await self._wait()

    async def _wait(self) -> None:
        delay = IDLE_SECONDS
        known, self._next_wakeup = self._next_wakeup, None
        with contextlib.suppress(Exception):
            if known is not None:
                wakeup = known.at
            else:
                async with self.context.sessions() as session:
                    wakeup = await next_wakeup(reading(session))
            if wakeup is not None:
                delay = (wakeup - self.context.clock.now()).total_seconds()
        if delay <= 0:
            return
        await sleep_or_wake(self.context.clock, min(delay, IDLE_SECONDS), self._doorbell)

    async def deliver_once(self) -> int:
        """One round: recover, claim, send, record. Returns how many attempts were made."""
        config, settings = self._settings()
        now = self.context.clock.now()
        lease = timedelta(seconds=_longest_timeout(settings) * 2 + LEASE_MARGIN_SECONDS)
        self._next_wakeup = None
        async with self.context.sessions() as session:
            found = await claim_due(
                session,
                now=now,
                limit=BATCH,
                lease=lease,
                row_locks=self.context.capabilities.row_locks,
            )
            claimed, interrupted = found.claimed, found.interrupted
            wakeup = None if claimed else Wakeup(await next_wakeup(session))
            await session.commit()
        self._next_wakeup = wakeup
        if interrupted:
            logger.warning(
                "%d deliveries were cut off while sending; marked in doubt, not sent again",
                interrupted,
            )
        if not claimed:
            return 0
        client = self._client or httpx.AsyncClient()
        try:
            channels = build_channels(settings, client=client, clock=self.context.clock)
            failures = await asyncio.gather(
                *(self._send(item, channels, config, settings) for item in claimed)
            )
        finally:
            if client is not self._client:
                await client.aclose()
        retry = RetryPolicy.from_settings(settings)
        # The messages are out: a busy database must not turn their outcome into "in doubt".
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            try:
                await self._record(claimed, failures, retry)
                break
            except (DBAPIError, SQLAlchemyTimeoutError):
                if attempt == RECORD_ATTEMPTS:
                    raise
                logger.warning("recording %d outcomes failed; retrying", len(claimed))
                await asyncio.sleep(RECORD_BACKOFF_SECONDS * attempt)
        return len(claimed)

    async def _record(
        self, claimed: list[Claimed], failures: list[DeliveryFailed | None], retry: RetryPolicy
    ) -> None:
        async with self.context.sessions() as session:
            finished = self.context.clock.now()
            results = await record_outcomes(
                session, claimed=claimed, failures=failures, now=finished, retry=retry
            )
            for item, result in zip(claimed, results, strict=True):
                logger.debug("notification %s via %s: %s", item.key, item.channel, result)
            # Read here, it saves the wait after the round a transaction.
            wakeup = Wakeup(await next_wakeup(session))
            await commit_and_publish(session, self.context.bus)
        self._next_wakeup = wakeup

    async def _send(
        self,
        item: Claimed,
        channels: dict[ChannelKind, Channel],
        config: EventConfig | None,
        settings: NotificationsSection,
    ) -> DeliveryFailed | None:
        channel = channels.get(ChannelKind(item.channel))
        if channel is None:
            return DeliveryFailed(f"the {item.channel} channel is not configured", temporary=False)
        if self._wrap_channel is not None:
            channel = self._wrap_channel(channel)
        try:
            message = render(item.notification, key=item.key, links=self._links(item, settings))
            await channel.send(message, address=item.address)
        except DeliveryFailed as exc:
            return exc
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.exception("the %s channel failed unexpectedly", item.channel)
            return DeliveryFailed(f"{type(exc).__name__}: {exc}", temporary=True)
        return None

    def _links(self, item: Claimed, settings: NotificationsSection) -> Links:
        notification = item.notification
        base = settings.public_url or _server_url(self.context)
        acknowledge = None
        if notification.ack_expires_at is not None:
            token = sign_ack_token(
                server_secret(self.context.settings),
                notification_id=notification.id,
                person_id=notification.recipient_id,
                expires_at=notification.ack_expires_at,
            )
            acknowledge = acknowledge_url(base, token)
        return Links(
            acknowledge=acknowledge,
            incident=incident_url(base, notification.incident_id)
            if notification.incident_id is not None
            else None,
            directive=directive_url(base, notification.directive_id)
            if notification.directive_id is not None
            else None,
        )


@dataclass(frozen=True, slots=True)
class Wakeup:
    """When the worker has something to do next (None: nothing is waiting)."""

    at: datetime | None


def _server_url(context: AppContext) -> str:
    settings = context.settings
    return f"http://{settings.host}:{settings.port}"


def _longest_timeout(settings: NotificationsSection) -> float:
    timeouts = [settings.chat.timeout_seconds]
    for section in (settings.email, settings.webhook, settings.sms):
        if section is not None:
            timeouts.append(section.timeout_seconds)
    return max(timeouts)
